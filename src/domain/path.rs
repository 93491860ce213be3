//! Where in a request body a problem is: a JSON path of keys and indexes, and its message.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One step of a JSON path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}

impl From<&str> for PathSegment {
    fn from(key: &str) -> Self {
        PathSegment::Key(key.to_owned())
    }
}

impl From<usize> for PathSegment {
    fn from(index: usize) -> Self {
        PathSegment::Index(index)
    }
}

/// A problem with one value of a request: `{"path": ["customFilterCriteria", 2, "regex"], "message": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON path of the offending value, as object keys and array indexes.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<serde_json::Value>, example = json!(["customFilterCriteria", 2, "regex"])))]
    pub path: Vec<PathSegment>,
    pub message: String,
}

impl PathSegment {
    /// Read by hand (see `read_json`): an index or a key.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::String(key) => Some(PathSegment::Key(key.clone())),
            number => number
                .as_u64()
                .and_then(|index| usize::try_from(index).ok())
                .map(PathSegment::Index),
        }
    }
}

impl FieldError {
    /// Read by hand (see `read_json`).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use super::read_json::{field, list, string_at};
        Some(Self {
            path: list(field(value, "path")?, PathSegment::from_json)?,
            message: string_at(value, "message")?,
        })
    }

    pub fn new(path: Vec<PathSegment>, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }

    /// The path as the dotted key a form field uses, e.g. `customFilterCriteria.2.regex`.
    pub fn field_key(&self) -> String {
        dotted(&self.path)
    }
}

/// Joins a path with dots: `["crmFilters", "filters", 0, "path"]` → `crmFilters.filters.0.path`.
pub fn dotted(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match segment {
            PathSegment::Index(index) => out.push_str(&index.to_string()),
            PathSegment::Key(key) => out.push_str(key),
        }
    }
    out
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", dotted(&self.path), self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_keys_as_strings_and_indexes_as_numbers() {
        let error = FieldError::new(
            vec!["customFilterCriteria".into(), 2.into(), "regex".into()],
            "Invalid regular expression",
        );
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"path": ["customFilterCriteria", 2, "regex"], "message": "Invalid regular expression"})
        );
        assert_eq!(error.field_key(), "customFilterCriteria.2.regex");
        let written = serde_json::to_value(&error).unwrap();
        assert_eq!(FieldError::from_json(&written), Some(error));
        assert_eq!(
            FieldError::from_json(&serde_json::json!({"path": [-1], "message": "m"})),
            None
        );
    }
}
