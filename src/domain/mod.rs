//! The ICP domain: types, the one validator and its error paths. No server-only dependency, so the
//! browser runs exactly the validation the API runs.

pub mod icp;
pub mod path;
pub mod regex_cost;
#[cfg(test)]
pub(crate) mod sample_bodies;
pub mod validate;

pub use icp::*;
pub use path::{FieldError, PathSegment};
pub use validate::{validate_draft, Limits};
