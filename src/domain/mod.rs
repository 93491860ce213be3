//! The ICP domain: types, the one validator and its error paths. No server-only dependency, so the
//! browser runs exactly the validation the API runs.

mod bounded_parse;
mod closed_set;
pub mod condition;
pub mod crm;
pub mod custom_filter;
pub mod email;
pub mod event;
pub mod icp;
pub mod lead_source;
pub mod path;
pub mod read_json;
pub mod regex_cost;
#[cfg(test)]
pub(crate) mod sample_bodies;
pub mod shape;
pub mod validate;
pub mod webhook;

pub use bounded_parse::{parse_within_limits, Unparsed};
pub(crate) use closed_set::closed_set;
pub use crm::*;
pub use custom_filter::*;
pub use email::normalised_email;
pub use event::{Event, EventData, EventType};
pub use icp::*;
pub use lead_source::*;
pub use path::{FieldError, PathSegment};
pub use shape::{check_shape, shape_of, within_limits, Shape};
pub use validate::{size_in_words, validate_draft, validate_parsed, Limits, NulInText};
pub use webhook::{Delivery, DeliveryState, Webhook};
