//! The ICP builder: the form's fields and their API body (`form`), and the form itself (`view`).
//! Callers use the names re-exported here.

pub mod form;
pub mod view;

pub use form::{
    draft_to_pairs, field_for_path, filter_label, form_errors, form_to_json, new_form,
    within_limits, FormError, Pairs, RowAction, Rows, Section,
};
pub use view::{curl_command, BuilderInit, IcpBuilder};
