//! The Ideal Customer Profile and its parts, typed, in the JSON shape of the reference API.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use uuid::Uuid;

/// A stored ICP, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Icp {
    pub id: Uuid,
    #[cfg_attr(feature = "ssr", schema(example = "DACH Tech Leaders"))]
    pub name: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub lead_provider_criteria: Vec<LeadSource>,
    pub custom_filter_criteria: Vec<CustomFilter>,
    pub crm_filters: Option<CrmFilters>,
    pub user_ids: Vec<UserId>,
    pub leads_per_list: u16,
    pub active_until: Option<Timestamp>,
}

/// Everything a user decides about an ICP: a validated request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IcpDraft {
    #[cfg_attr(
        feature = "ssr",
        schema(example = "DACH Tech Leaders", min_length = 1, max_length = 200)
    )]
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub description: Option<String>,
    /// Lead-provider searches; may be empty.
    pub lead_provider_criteria: Vec<LeadSource>,
    /// Filters applied after the search; may be empty.
    pub custom_filter_criteria: Vec<CustomFilter>,
    #[serde(default)]
    pub crm_filters: Option<CrmFilters>,
    /// Users who share the ICP. The caller is always added.
    pub user_ids: Vec<UserId>,
    #[serde(default = "default_leads_per_list")]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 1000, default = 10))]
    pub leads_per_list: u16,
    #[serde(default)]
    pub active_until: Option<Timestamp>,
}

pub const DEFAULT_LEADS_PER_LIST: u16 = 10;

fn default_leads_per_list() -> u16 {
    DEFAULT_LEADS_PER_LIST
}

impl IcpDraft {
    /// Adds `user` to `userIds` unless it is there already; order and the rest stay.
    pub fn with_member(mut self, user: &UserId) -> Self {
        if !self.user_ids.contains(user) {
            self.user_ids.push(user.clone());
        }
        self
    }

    /// The ICP this draft becomes when stored under `id` at `now`.
    pub fn into_icp(self, id: Uuid, created_at: Timestamp, updated_at: Timestamp) -> Icp {
        Icp {
            id,
            name: self.name,
            description: self.description,
            created_at,
            updated_at,
            lead_provider_criteria: self.lead_provider_criteria,
            custom_filter_criteria: self.custom_filter_criteria,
            crm_filters: self.crm_filters,
            user_ids: self.user_ids,
            leads_per_list: self.leads_per_list,
            active_until: self.active_until,
        }
    }
}

impl Icp {
    /// What a user decided about this ICP, without the fields the server sets.
    pub fn to_draft(&self) -> IcpDraft {
        IcpDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            lead_provider_criteria: self.lead_provider_criteria.clone(),
            custom_filter_criteria: self.custom_filter_criteria.clone(),
            crm_filters: self.crm_filters.clone(),
            user_ids: self.user_ids.clone(),
            leads_per_list: self.leads_per_list,
            active_until: self.active_until,
        }
    }

    /// Whether `user` may read, change or delete this ICP.
    pub fn is_shared_with(&self, user: &UserId) -> bool {
        self.user_ids.contains(user)
    }

    /// Whether the ICP has expired at `now` (an ICP without `activeUntil` never does).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.active_until.is_some_and(|until| until.0 <= now)
    }
}

/// A user id of the form `user_<letters and digits>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(value_type = String, example = "user_teammate123", pattern = "^user_[A-Za-z0-9]+$"))]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub const PREFIX: &'static str = "user_";
    pub const MAX_LEN: usize = 64;

    /// Checks the form; `None` when `raw` is not a user id.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(Self::PREFIX)?;
        let well_formed = !rest.is_empty()
            && raw.len() <= Self::MAX_LEN
            && rest.chars().all(|c| c.is_ascii_alphanumeric());
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UTC instant with millisecond precision, written like `2024-01-15T10:30:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime, example = "2024-01-15T10:30:00.000Z"))]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// 0001-01-01T00:00:00.000Z: years before 1 have no four-digit RFC 3339 form.
    pub const MIN_MILLIS: i64 = -62_135_596_800_000;
    /// 9999-12-31T23:59:59.999Z: later years have no four-digit RFC 3339 form.
    pub const MAX_MILLIS: i64 = 253_402_300_799_999;

    /// Parses any RFC 3339 timestamp in years 0001–9999 once converted to UTC (so that what is
    /// stored can be written back and parsed again). Finer than milliseconds is refused rather
    /// than cut off.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let parsed = DateTime::parse_from_rfc3339(raw)
            .map_err(|_| "Invalid timestamp: expected RFC 3339, like 2024-12-31T23:59:59.000Z")?
            .with_timezone(&Utc);
        if parsed.timestamp_subsec_nanos() % 1_000_000 != 0 {
            return Err("Timestamps are kept to the millisecond: use at most 3 fractional digits");
        }
        Self::from_millis(parsed.timestamp_millis()).ok_or(
            "Must be between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z once converted to UTC",
        )
    }

    /// Now, cut to the millisecond so that what is stored is what is returned.
    pub fn now() -> Self {
        Self::from_millis(Utc::now().timestamp_millis()).unwrap_or(Self(DateTime::UNIX_EPOCH))
    }

    /// The instant `millis` after the Unix epoch; `None` outside years 0001–9999.
    pub fn from_millis(millis: i64) -> Option<Self> {
        if !(Self::MIN_MILLIS..=Self::MAX_MILLIS).contains(&millis) {
            return None;
        }
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Timestamp::parse(&raw).map_err(serde::de::Error::custom)
    }
}

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

/// A filter applied to leads after the provider search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum CustomFilter {
    /// An agent browses the company website and answers `prompt`.
    #[serde(rename = "website")]
    Website {
        provider: WebsiteProvider,
        prompt: String,
    },
    /// Pages of the website are scraped and `extractionPrompt` is asked of them.
    #[serde(rename = "webscraping", rename_all = "camelCase")]
    Webscraping {
        provider: ScrapingProvider,
        extraction_prompt: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page_finding_prompt: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        include_search_strings: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exclude_search_strings: Option<Vec<String>>,
    },
    /// A language model judges the person or company by `prompt`.
    #[serde(rename = "ai", rename_all = "camelCase")]
    Ai {
        entity_type: EntityType,
        prompt: String,
    },
    #[serde(rename = "maxPeoplePerCompany")]
    MaxPeoplePerCompany { value: u32 },
    #[serde(rename = "maxPercentFromCRM")]
    MaxPercentFromCrm { value: Percent },
    #[serde(rename = "minDaysUntilReuse")]
    MinDaysUntilReuse { value: u32 },
    /// Keeps leads whose `field` (a dot path) matches the ECMAScript `regex`.
    #[serde(rename = "matchFieldWithRegex")]
    MatchFieldWithRegex { field: String, regex: String },
}

impl CustomFilter {
    /// The `type` tags, in the order the builder offers them.
    pub const TYPES: [&'static str; 7] = [
        "website",
        "webscraping",
        "ai",
        "maxPeoplePerCompany",
        "maxPercentFromCRM",
        "minDaysUntilReuse",
        "matchFieldWithRegex",
    ];

    pub fn type_tag(&self) -> &'static str {
        let index = match self {
            CustomFilter::Website { .. } => 0,
            CustomFilter::Webscraping { .. } => 1,
            CustomFilter::Ai { .. } => 2,
            CustomFilter::MaxPeoplePerCompany { .. } => 3,
            CustomFilter::MaxPercentFromCrm { .. } => 4,
            CustomFilter::MinDaysUntilReuse { .. } => 5,
            CustomFilter::MatchFieldWithRegex { .. } => 6,
        };
        Self::TYPES[index]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum WebsiteProvider {
    #[serde(rename = "browserUse")]
    BrowserUse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ScrapingProvider {
    #[serde(rename = "firecrawl")]
    Firecrawl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EntityType {
    Person,
    Company,
}

/// A percentage 0–100. Whole numbers are written without a fraction, as they were given.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(value_type = f64, example = 50))]
pub struct Percent(pub f64);

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Always within 0..=100 (validated), so the integer conversion is exact.
        if self.0.fract() == 0.0 {
            serializer.serialize_u64(self.0 as u64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Percent)
    }
}

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
    fn user_ids_need_the_prefix_and_letters_or_digits() {
        assert!(UserId::parse("user_teammate123").is_some());
        assert!(UserId::parse("user_abc123").is_some());
        for bad in [
            "user_", "teammate", "user_a-b", "User_abc", "user_ä", " user_a",
        ] {
            assert!(UserId::parse(bad).is_none(), "{bad} should be refused");
        }
        assert!(UserId::parse(&format!("user_{}", "a".repeat(60))).is_none());
    }

    #[test]
    fn timestamps_normalise_to_utc_milliseconds() {
        let parsed = Timestamp::parse("2024-12-31T23:59:59+02:00").unwrap();
        assert_eq!(parsed.to_string(), "2024-12-31T21:59:59.000Z");
        assert_eq!(
            Timestamp::parse("2024-12-31T23:59:59.5Z")
                .unwrap()
                .to_string(),
            "2024-12-31T23:59:59.500Z"
        );
        assert!(Timestamp::parse("2024-12-31T23:59:59.0001Z").is_err());
        assert!(Timestamp::parse("31.12.2024").is_err());
    }

    #[test]
    fn timestamps_stay_within_four_digit_years_in_utc() {
        let range = "Must be between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z once converted to UTC";
        for outside in [
            "9999-12-31T23:30:00-01:00",
            "0000-01-01T00:30:00+01:00",
            "0000-12-31T23:59:59.999Z",
        ] {
            assert_eq!(Timestamp::parse(outside), Err(range), "{outside}");
        }
        for (edge, utc) in [
            ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
            ("9999-12-31T22:30:00-01:00", "9999-12-31T23:30:00.000Z"),
            ("0001-01-01T00:30:00+00:30", "0001-01-01T00:00:00.000Z"),
        ] {
            let parsed = Timestamp::parse(edge).unwrap();
            assert_eq!(parsed.to_string(), utc);
            // What is written parses back, and the stored millisecond form reads back.
            assert_eq!(Timestamp::parse(&parsed.to_string()), Ok(parsed));
            assert_eq!(Timestamp::from_millis(parsed.millis()), Some(parsed));
        }
        assert_eq!(
            Timestamp::from_millis(Timestamp::MAX_MILLIS).map(|t| t.to_string()),
            Some("9999-12-31T23:59:59.999Z".to_owned())
        );
        assert_eq!(
            Timestamp::from_millis(Timestamp::MIN_MILLIS).map(|t| t.to_string()),
            Some("0001-01-01T00:00:00.000Z".to_owned())
        );
        assert_eq!(Timestamp::from_millis(Timestamp::MAX_MILLIS + 1), None);
        assert_eq!(Timestamp::from_millis(Timestamp::MIN_MILLIS - 1), None);
    }

    #[test]
    fn whole_percentages_keep_their_integer_form() {
        assert_eq!(serde_json::to_string(&Percent(50.0)).unwrap(), "50");
        assert_eq!(serde_json::to_string(&Percent(12.5)).unwrap(), "12.5");
    }

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
