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
    pub other: Map<String, Value>,
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
