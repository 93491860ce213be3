//! The Ideal Customer Profile itself, its user ids and timestamps, in the JSON shape of the
//! reference API. Its parts live beside it: `lead_source`, `custom_filter`, `crm`.

use super::{CrmFilters, CustomFilter, LeadSource};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
    /// Who created it (or was handed it): only they delete it or remove members. Not part of the
    /// reference's ICP body; pages and the owner endpoint show it.
    #[serde(skip)]
    pub owner: Option<UserId>,
    /// Shared with everyone in the owner's workspace, including members who join later (who are
    /// then added to `user_ids`). Set from the builder's "Everyone in the workspace".
    #[serde(skip)]
    pub everyone: bool,
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

/// How many days a deleted ICP can be restored by its owner.
pub const RESTORE_DAYS: i64 = 30;

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
            owner: None,
            everyone: false,
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
}
