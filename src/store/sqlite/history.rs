//! An ICP's versions and the recently deleted ICPs, read from SQLite (`icp_versions`).

use super::instant;
use crate::domain::{Timestamp, UserId};
use crate::store::history::{rebuild, version_from_row, DELETED_WHERE};
use crate::store::{StoreResult, Version};
use sqlx::SqlitePool;
use uuid::Uuid;

type VersionRow = (i64, String, String, i64, Option<String>, String);
/// A version's row with its patch: number, action, by, at, owner, `icp`, `patch`.
type StoredRow = (
    i64,
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
);

fn version((number, action, by, at, owner, icp): VersionRow) -> StoreResult<Version> {
    version_from_row(number, &action, &by, instant(at)?, owner.as_deref(), &icp)
}

/// Up to `limit` versions older than `before`, newest first: read from the snapshot at or below
/// the oldest of them, each patch applied to the version before it (`history::rebuild`).
pub(super) async fn versions(
    pool: &SqlitePool,
    id: Uuid,
    before: Option<u32>,
    limit: u32,
) -> StoreResult<Vec<Version>> {
    let numbers: Vec<i64> = sqlx::query_scalar(
        "SELECT version FROM icp_versions WHERE icp_id = ? AND version < ? \
         ORDER BY version DESC LIMIT ?",
    )
    .bind(id)
    .bind(before.map_or(i64::MAX, i64::from))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let (Some(&newest), Some(&oldest)) = (numbers.first(), numbers.last()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<StoredRow> = sqlx::query_as(
        "SELECT version, action, by_user, at, owner_id, icp, patch FROM icp_versions \
             WHERE icp_id = ?1 AND version <= ?2 AND version >= (SELECT coalesce(max(version), 1) \
             FROM icp_versions WHERE icp_id = ?1 AND version <= ?3 AND patch IS NULL) \
             ORDER BY version",
    )
    .bind(id)
    .bind(newest)
    .bind(oldest)
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(number, action, by, at, owner, icp, patch)| {
            Ok((number, action, by, instant(at)?, owner, icp, patch))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    rebuild(rows, |number| number >= oldest)
}

pub(super) async fn deleted(
    pool: &SqlitePool,
    owner: &UserId,
    since: Timestamp,
) -> StoreResult<Vec<Version>> {
    let rows: Vec<VersionRow> = sqlx::query_as(&format!(
        "SELECT v.version, v.action, v.by_user, v.at, v.owner_id, v.icp FROM icp_versions v \
         WHERE v.owner_id = ? AND v.at >= ? AND {DELETED_WHERE} ORDER BY v.at DESC LIMIT 100"
    ))
    .bind(owner.as_str())
    .bind(since.millis())
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(version).collect()
}
