//! An ICP's versions and the recently deleted ICPs, read from `icp_versions`.

use super::Db;
use crate::domain::{Timestamp, UserId};
use crate::store::history::{rebuild, version_from_row, StoredVersion, DELETED_WHERE};
use crate::store::{StoreResult, Version};
use sqlx::Pool;
use uuid::Uuid;

/// Up to `limit` versions older than `before`, newest first: read from the snapshot at or below
/// the oldest of them, each patch applied to the version before it (`history::rebuild`).
pub(super) async fn versions(
    pool: &Pool<Db>,
    id: Uuid,
    before: Option<u32>,
    limit: u32,
) -> StoreResult<Vec<Version>> {
    let numbers: Vec<i32> = sqlx::query_scalar(
        "SELECT version FROM icp_versions WHERE icp_id = $1 AND version < $2 \
         ORDER BY version DESC LIMIT $3",
    )
    .bind(id)
    .bind(before.map_or(i64::MAX, i64::from))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let (Some(&newest), Some(&oldest)) = (numbers.first(), numbers.last()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<StoredVersion> = sqlx::query_as(
        "SELECT CAST(version AS BIGINT), action, by_user, at, owner_id, CAST(icp AS TEXT), \
         CAST(patch AS TEXT) \
         FROM icp_versions WHERE icp_id = $1 AND version <= $2 AND version >= (\
         SELECT coalesce(max(version), 1) FROM icp_versions \
         WHERE icp_id = $1 AND version <= $3 AND patch IS NULL) ORDER BY version",
    )
    .bind(id)
    .bind(newest)
    .bind(oldest)
    .fetch_all(pool)
    .await?;
    rebuild(rows, |number| number >= i64::from(oldest))
}

pub(super) async fn deleted(
    pool: &Pool<Db>,
    owner: &UserId,
    since: Timestamp,
) -> StoreResult<Vec<Version>> {
    let rows: Vec<(i32, String, String, Timestamp, Option<String>, String)> =
        sqlx::query_as(&format!(
            "SELECT v.version, v.action, v.by_user, v.at, v.owner_id, CAST(v.icp AS TEXT) \
             FROM icp_versions v WHERE v.owner_id = $1 AND v.at >= $2 AND {DELETED_WHERE} \
             ORDER BY v.at DESC LIMIT 100"
        ))
        .bind(owner)
        .bind(since)
        .fetch_all(pool)
        .await?;
    rows.into_iter()
        .map(|(number, action, by, at, owner, icp)| {
            version_from_row(i64::from(number), &action, &by, at, owner.as_deref(), &icp)
        })
        .collect()
}
