//! Sourcing from a connected CRM: its free-text search and structured conditions.

use serde::{Deserialize, Deserializer, Serialize};

/// Sourcing from a connected CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CrmFilters {
    pub provider: CrmProvider,
    /// Free text over occupation/title, e.g. `Head OR Leit* OR Direktor`. Absent and `null` are kept apart.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub text_search: Option<Option<String>>,
    /// Legacy query, kept for backward compatibility.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub query: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<CrmCondition>>,
}

/// Marks a field that was present in the input (even as `null`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CrmProvider {
    #[serde(rename = "bullhorn")]
    Bullhorn,
}

/// One structured CRM condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CrmCondition {
    /// A dot path such as `address.zip`.
    #[cfg_attr(feature = "ssr", schema(example = "address.countryName"))]
    pub path: String,
    pub mode: CrmMode,
    pub value: CrmValue,
    #[serde(default)]
    pub exclude: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CrmMode {
    #[serde(rename = "equals")]
    Equals,
    #[serde(rename = "in")]
    In,
    #[serde(rename = "startsWith")]
    StartsWith,
}

/// A string for `equals` / `startsWith`, a non-empty list for `in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CrmValue {
    One(String),
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_text_search_keeps_null_apart_from_absent() {
        let given: CrmFilters =
            serde_json::from_str(r#"{"provider":"bullhorn","textSearch":null}"#).unwrap();
        assert_eq!(given.text_search, Some(None));
        assert_eq!(given.query, None);
        assert_eq!(
            serde_json::to_string(&given).unwrap(),
            r#"{"provider":"bullhorn","textSearch":null}"#
        );
    }
}
