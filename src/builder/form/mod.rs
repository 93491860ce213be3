//! The builder form's fields and the API body they stand for, apart from any rendering: field
//! names (`names`), form→JSON (`to_json`), draft→form (`from_draft`), error mapping (`errors`),
//! rows and row actions (`rows`) and the API's limits on a post (`limits`).

mod errors;
mod from_draft;
mod limits;
pub mod names;
mod rows;
mod to_json;

pub use errors::{field_for_path, form_errors, FormError};
pub use from_draft::{draft_to_pairs, new_form};
pub use limits::within_limits;
pub use names::{Section, NEW_TAG};
pub use rows::{rekeyed, RowAction, Rows};
pub use to_json::{form_to_json, targets_everyone};

/// The form's fields as `(name, value)` pairs, in document order (as a browser submits them).
pub type Pairs = Vec<(String, String)>;

/// `Pairs` written as string literals (the tests' forms).
#[cfg(test)]
fn pairs(items: &[(&str, &str)]) -> Pairs {
    items
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Fields of a lead-source row that hold lists, with the filter they fill.
pub const LEAD_TAGS: [(&str, &str); 8] = names::lead::TAGS;
