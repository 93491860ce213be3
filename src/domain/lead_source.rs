//! One lead-provider search and the base provider's filters.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One lead-provider search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeadSource {
    pub provider: LeadProvider,
    /// `person` when omitted.
    #[serde(rename = "type", default)]
    pub kind: LeadKind,
    pub filters: LeadFilters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LeadProvider {
    #[serde(rename = "baseProvider")]
    BaseProvider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LeadKind {
    #[default]
    Person,
    Company,
}

/// The base provider's filters. Keys it does not know are provider-specific and kept as given.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeadFilters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(example = json!(["CTO", "VP Engineering"])))]
    pub job_title: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seniority: Option<Vec<String>>,
    /// Provider-specific keys, returned unchanged.
    #[serde(flatten)]
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub other: OtherFilters,
}

/// Provider-specific filters: the keys the base provider's filters do not name, as given and in
/// their order, held as the compact JSON text of an object. They are only passed through, and a
/// parsed JSON tree costs many times its text (a `0,` of two bytes is a value of 72), so they are
/// parsed only while an ICP is read or written, one ICP at a time.
#[derive(Debug, Clone, Default)]
pub struct OtherFilters(String);

/// The same filters whatever the order of their keys (Postgres' `jsonb` keeps nested keys
/// sorted), as two JSON objects compare.
impl PartialEq for OtherFilters {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_map() == other.to_map()
    }
}

impl OtherFilters {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON object text (`{}` when there are none).
    pub fn as_json(&self) -> &str {
        if self.0.is_empty() {
            "{}"
        } else {
            &self.0
        }
    }

    /// Adds `key` with `value` after the others.
    pub fn push(&mut self, key: &str, value: &Value) {
        if self.0.is_empty() {
            self.0.push('{');
        } else {
            self.0.pop();
            self.0.push(',');
        }
        // Writing a string key and a JSON value as text cannot fail.
        let entry = serde_json::to_string(key).unwrap_or_default()
            + ":"
            + &serde_json::to_string(value).unwrap_or_default();
        self.0.push_str(&entry);
        self.0.push('}');
    }

    /// The filters as a JSON object, parsed now.
    pub fn to_map(&self) -> Map<String, Value> {
        if self.0.is_empty() {
            return Map::new();
        }
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    pub fn from_map(map: &Map<String, Value>) -> Self {
        let mut filters = Self::default();
        for (key, value) in map {
            filters.push(key, value);
        }
        filters
    }
}

impl Serialize for OtherFilters {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OtherFilters {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::<String, Value>::deserialize(deserializer).map(|map| Self::from_map(&map))
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LocationFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompanyFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_size: Option<EmployeeSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmployeeSize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}
