//! The ICP builder: the form's fields and their API body (`form`), the form itself (`view`), and its
//! server functions (`save`).
//! Callers use the names re-exported here.

pub mod form;
pub mod save;
pub mod view;

pub use form::{
    draft_to_pairs, field_for_path, form_errors, form_to_json, new_form, within_limits, FormError,
    Pairs, RowAction, Rows, Section,
};
pub use view::{curl_command, BuilderInit, IcpBuilder};
