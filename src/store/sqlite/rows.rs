//! Rows as the SQLite queries give them: an ICP as one JSON object (`icp_object!`), decoded
//! straight into the typed ICP.

use super::super::{leads_per_list, member_ids, user_id, StoreError, StoreResult};
use crate::domain::{CrmFilters, CustomFilter, Icp, LeadSource, Timestamp};
use serde::Deserialize;
use uuid::Uuid;

/// An ICP as `icp_object!` writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IcpJson {
    id: String,
    name: String,
    description: Option<String>,
    lead_provider_criteria: Vec<LeadSource>,
    custom_filter_criteria: Vec<CustomFilter>,
    crm_filters: Option<CrmFilters>,
    leads_per_list: i64,
    active_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
    owner_id: Option<String>,
    everyone: i64,
    user_ids: Vec<String>,
}

pub(super) fn timestamp_at(millis: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millis(millis)
        .ok_or_else(|| StoreError::Corrupt(format!("bad instant {millis}")))
}

/// Reads what `icp_object!` (or `as_one_array!`) wrote.
pub(super) fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    Ok(serde_json::from_str(text)?)
}

impl TryFrom<IcpJson> for Icp {
    type Error = StoreError;

    fn try_from(row: IcpJson) -> StoreResult<Icp> {
        Ok(Icp {
            id: Uuid::try_parse(&row.id)
                .map_err(|_| StoreError::Corrupt(format!("bad ICP id {:?}", row.id)))?,
            name: row.name,
            description: row.description,
            created_at: timestamp_at(row.created_at)?,
            updated_at: timestamp_at(row.updated_at)?,
            lead_provider_criteria: row.lead_provider_criteria,
            custom_filter_criteria: row.custom_filter_criteria,
            crm_filters: row.crm_filters,
            user_ids: member_ids(&row.user_ids)?,
            leads_per_list: leads_per_list(row.leads_per_list)?,
            active_until: row.active_until.map(timestamp_at).transpose()?,
            owner: row.owner_id.as_deref().map(user_id).transpose()?,
            everyone: row.everyone != 0,
        })
    }
}
