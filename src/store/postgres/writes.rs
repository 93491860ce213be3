//! ICP inserts on Postgres: a batch as one statement over a JSON array (the updates and deletions
//! are `sql::writes`).

use super::sql::write_events;
use crate::domain::{Icp, Timestamp, UserId};
use crate::store::events::NewEvent;
use crate::store::history::{version_at, Change};
use crate::store::search_text::search_text;
use crate::store::{json_text, StoreResult};
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct PgWrites;

/// An ICP, its members and its first version as one element of `insert_many`'s JSON array: the
/// version's ICP nested as JSON (read as a `jsonb` column), not as a string holding JSON, which
/// Postgres would have to unescape and parse again. The criteria columns are taken from it (its
/// `leadProviderCriteria`, …: the same JSON), so the batch carries them once.
#[derive(Serialize)]
struct InsertRow<'a> {
    id: Uuid,
    name: &'a str,
    description: Option<&'a str>,
    leads_per_list: u16,
    active_until: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
    owner_id: Option<&'a str>,
    everyone: bool,
    search_text: String,
    members: Vec<&'a str>,
    action: &'static str,
    by_user: &'a str,
    at: Timestamp,
    /// The ICP's JSON text, made once (also its event's).
    icp: &'a RawValue,
}

/// Inserts ICPs (one, an import's, or a batch's), their members and first versions in one
/// statement, whatever their number: the rows travel as one JSON array (`jsonb_to_recordset`).
/// One round trip for a whole batch.
pub(super) async fn insert_many(
    conn: &mut PgConnection,
    icps: &[(&Icp, &RawValue, &Change)],
) -> StoreResult<()> {
    let rows: Vec<InsertRow> = icps
        .iter()
        .map(|&(icp, json, change)| InsertRow {
            id: icp.id,
            name: &icp.name,
            description: icp.description.as_deref(),
            leads_per_list: icp.leads_per_list,
            active_until: icp.active_until,
            created_at: icp.created_at,
            updated_at: icp.updated_at,
            owner_id: icp.owner.as_ref().map(|owner| owner.as_str()),
            everyone: icp.everyone,
            search_text: search_text(icp),
            members: icp.user_ids.iter().map(|user| user.as_str()).collect(),
            action: change.action.as_str(),
            by_user: change.by.as_str(),
            at: version_at(icp, change),
            icp: json,
        })
        .collect();
    sqlx::query(
        "WITH r AS ( \
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, name text, description text, \
           leads_per_list integer, active_until timestamptz, created_at timestamptz, \
           updated_at timestamptz, owner_id text, everyone boolean, search_text text, \
           members jsonb, action text, by_user text, at timestamptz, icp jsonb) \
         ), inserted AS ( \
           INSERT INTO icps (id, name, description, lead_provider_criteria, custom_filter_criteria, \
           crm_filters, leads_per_list, active_until, created_at, updated_at, owner_id, everyone, search_text) \
           SELECT id, name, description, icp->'leadProviderCriteria', icp->'customFilterCriteria', \
           NULLIF(icp->'crmFilters', 'null'::jsonb), leads_per_list, active_until, created_at, updated_at, owner_id, \
           everyone, search_text FROM r RETURNING id \
         ), members AS ( \
           INSERT INTO icp_members (icp_id, user_id, position, created_at) \
           SELECT r.id, u.user_id, u.position - 1, r.created_at \
           FROM inserted JOIN r ON r.id = inserted.id, \
           jsonb_array_elements_text(r.members) WITH ORDINALITY AS u(user_id, position) \
         ) \
         INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
         SELECT r.id, (SELECT coalesce(max(v.version), 0) + 1 FROM icp_versions v WHERE v.icp_id = r.id), \
         r.action, r.by_user, r.at, r.owner_id, r.icp FROM r",
    )
    .bind(json_text(&rows)?)
    .execute(&mut *conn)
    .await?;
    let events = icps
        .iter()
        .map(|&(icp, json, change)| (icp, json, None, change));
    write_events(conn, &NewEvent::of_all(events)?).await
}

/// Inserts `icps`' member rows (one ICP's, after an update): who each is shared with, in order.
pub(super) async fn write_members(conn: &mut PgConnection, icps: &[&Icp]) -> StoreResult<()> {
    for icp in icps {
        let users: Vec<&str> = icp.user_ids.iter().map(UserId::as_str).collect();
        sqlx::query(
            "INSERT INTO icp_members (icp_id, user_id, position, created_at) \
             SELECT $1, u.user_id, u.position - 1, $3 \
             FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, position)",
        )
        .bind(icp.id)
        .bind(&users)
        // The ICP's creation instant, copied so a list page is one index range.
        .bind(icp.created_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
