//! ICP inserts on Postgres: a batch as one statement over a JSON array (the updates and deletions
//! are `sql::writes`).

use crate::domain::event::event_json_around;
use crate::domain::{Icp, Timestamp, UserId};
use crate::store::events::kind_of;
use crate::store::history::{version_at, Change};
use crate::store::search_text::search_text;
use crate::store::StoreResult;
use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

/// The ICP writes' SQL, run on a connection already inside a transaction (or a savepoint).
pub(in crate::store) struct PgWrites;

/// An ICP's columns, its members and its first version's, as one element of `insert_many`'s JSON
/// array. The ICP's JSON text travels beside the array, once (`$2`): the version's `icp`, the
/// criteria columns and the event's body are made from it in the statement.
#[derive(Serialize)]
struct InsertRow<'a> {
    /// The row's place in the batch, from 1: its ICP's text is `$2[n]`.
    n: usize,
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
}

/// An insert's event, but for what the row has (its ICP, instant and workspace): its body is
/// `head || the ICP's text || tail`, joined in the statement.
struct EventParts {
    n: i64,
    id: Uuid,
    kind: &'static str,
    audience: String,
    head: String,
    tail: String,
}

/// Inserts ICPs (one, an import's, or a batch's), their members, first versions and events in
/// one statement, whatever their number: one round trip for a whole batch, atomic by itself. The
/// rows travel as one JSON array (`jsonb_to_recordset`), each ICP's JSON text once beside it, so
/// the batch holds each ICP once.
pub(super) async fn insert_many(
    conn: &mut PgConnection,
    icps: &[(&Icp, &RawValue, &Change)],
) -> StoreResult<()> {
    let rows: Vec<InsertRow> = icps
        .iter()
        .enumerate()
        .map(|(index, &(icp, _, change))| InsertRow {
            n: index + 1,
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
        })
        .collect();
    let texts: Vec<&str> = icps.iter().map(|(_, json, _)| json.get()).collect();
    let mut events = Vec::with_capacity(icps.len());
    for (index, &(icp, _, change)) in icps.iter().enumerate() {
        let Some(kind) = kind_of(icp, None, change) else {
            continue;
        };
        let id = Uuid::now_v7();
        let (head, tail) = event_json_around(id, kind, version_at(icp, change), icp, None)?;
        events.push(EventParts {
            n: index as i64 + 1,
            id,
            kind: kind.as_str(),
            audience: serde_json::to_string(&icp.user_ids)?,
            head,
            tail,
        });
    }
    let column = |part: fn(&EventParts) -> &str| events.iter().map(part).collect::<Vec<_>>();
    sqlx::query(
        "WITH r AS MATERIALIZED ( \
           SELECT r.*, t.icp AS icp_text, t.icp::jsonb AS icp \
           FROM jsonb_to_recordset($1::jsonb) AS r(n bigint, id uuid, name text, description text, \
           leads_per_list integer, active_until timestamptz, created_at timestamptz, \
           updated_at timestamptz, owner_id text, everyone boolean, search_text text, \
           members jsonb, action text, by_user text, at timestamptz) \
           JOIN unnest($2::text[]) WITH ORDINALITY AS t(icp, n) ON t.n = r.n \
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
         ), versions AS ( \
           INSERT INTO icp_versions (icp_id, version, action, by_user, at, owner_id, icp) \
           SELECT r.id, (SELECT coalesce(max(v.version), 0) + 1 FROM icp_versions v WHERE v.icp_id = r.id), \
           r.action, r.by_user, r.at, r.owner_id, r.icp FROM r \
         ) \
         INSERT INTO events (id, type, icp_id, workspace_id, at, audience, body) \
         SELECT e.id, e.type, r.id, (SELECT m.workspace_id FROM workspace_members m \
           WHERE m.user_id = coalesce(r.owner_id, r.members->>0)), r.at, e.audience::jsonb, \
           e.head || r.icp_text || e.tail \
         FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[]) \
           AS e(n, id, type, audience, head, tail) \
         JOIN r ON r.n = e.n ORDER BY e.n",
    )
    .bind(sqlx::types::Json(&rows))
    .bind(&texts)
    .bind(events.iter().map(|event| event.n).collect::<Vec<_>>())
    .bind(events.iter().map(|event| event.id).collect::<Vec<_>>())
    .bind(column(|event| event.kind))
    .bind(column(|event| &event.audience))
    .bind(column(|event| &event.head))
    .bind(column(|event| &event.tail))
    .execute(&mut *conn)
    .await?;
    Ok(())
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
