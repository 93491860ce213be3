//! The event log: one row per change to an ICP (`events`), written by the change's own write in
//! its transaction (an outbox: a committed change always has its event, a rolled-back one never
//! does), and who may read each (`event_audience`, filled from the row's `audience` by a trigger).
//!
//! Order: a row's position is `(xid, seq)`. On SQLite (one writer) `xid` is 0 and `seq` is commit
//! order. On Postgres several transactions write at once, so `seq` alone could show a later event
//! before an earlier one commits; rows carry their transaction id (`xid`), and a page shows only
//! those of transactions older than every one still running (`Dialect::horizon`): what a reader
//! has passed never gains an earlier row. (A long-running writing transaction delays events; it
//! never loses one.)
//!
//! Bounds: an event holds its ICP (at most the body limit) and, on updates, the changed fields as
//! they were; events are kept `KEPT` and purged after (`purge_events`, hourly).

use super::history::{version_at, Change, VersionAction};
use super::StoreResult;
use crate::domain::event::{event_json_spliced, previous_fields};
use crate::domain::{EventType, Icp, Timestamp, UserId};
use async_trait::async_trait;
use serde_json::value::RawValue;
use uuid::Uuid;

/// How long events are kept (and so how far back `GET /api/v1/events` reaches).
pub const KEPT: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// A page of events, each as its JSON text, oldest first.
#[derive(Debug, Default, PartialEq)]
pub struct EventsPage {
    pub events: Vec<String>,
    /// Whether more events follow the last (the page was full, or ended at `PAGE_BYTES`).
    pub more: bool,
}

/// The events a reader may see.
#[async_trait]
pub trait Events {
    /// Up to `limit` events `reader` may see (they were a member of the ICP then and are in its
    /// workspace now), oldest first, after the event `after`; fewer when `PAGE_BYTES` of them
    /// ended the page. `None` when `after` is not an event `reader` may see (unknown, purged, or
    /// someone else's).
    async fn events_page(
        &self,
        reader: &UserId,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Option<EventsPage>>;

    /// Deletes the events older than `before` (and the webhook deliveries made before it); how
    /// many events.
    async fn purge_events(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The type of the event of `change` to `icp` (`previous`: what an update replaced); None for a
/// change that is not one (a baseline version).
pub(super) fn kind_of(icp: &Icp, previous: Option<&Icp>, change: &Change) -> Option<EventType> {
    Some(match (change.action, previous) {
        (VersionAction::Baseline, _) => return None,
        (VersionAction::Created, _) => EventType::Created,
        (VersionAction::Deleted, _) => EventType::Deleted,
        (VersionAction::Restored, None) => EventType::Restored,
        (_, Some(before)) if before.owner != icp.owner => EventType::OwnerChanged,
        (VersionAction::Updated | VersionAction::Restored, _) => EventType::Updated,
    })
}

/// An event as it is written: its columns.
#[derive(Debug)]
pub(super) struct NewEvent<'a> {
    pub id: Uuid,
    pub kind: EventType,
    pub icp: Uuid,
    /// Whose workspace the event belongs to: the ICP's owner (or, for ICPs from before owners,
    /// its first member; all of an ICP's members share one workspace).
    pub workspace_of: Option<&'a UserId>,
    pub at: Timestamp,
    /// The user ids who may see it, as a JSON array: the ICP's members at the time.
    pub audience: String,
    /// The event's JSON, as it is read and delivered.
    pub body: String,
}

impl<'a> NewEvent<'a> {
    /// The event of `change` to `icp` (`icp_json`: its JSON text, made once for its version row
    /// and its event; `previous`: what an update replaced). None for a change that is not one (a
    /// baseline version).
    pub(super) fn of(
        icp: &'a Icp,
        icp_json: &RawValue,
        previous: Option<&Icp>,
        change: &Change,
    ) -> StoreResult<Option<Self>> {
        let Some(kind) = kind_of(icp, previous, change) else {
            return Ok(None);
        };
        let previous = match previous {
            Some(before) if kind != EventType::Deleted => Some(previous_fields(before, icp)?),
            _ => None,
        };
        let id = Uuid::now_v7();
        let at = version_at(icp, change);
        Ok(Some(Self {
            id,
            kind,
            icp: icp.id,
            workspace_of: icp.owner.as_ref().or(icp.user_ids.first()),
            at,
            audience: serde_json::to_string(&icp.user_ids)?,
            body: event_json_spliced(id, kind, at, icp, icp_json, previous.as_ref())?,
        }))
    }

    /// The events of several changes (those that are changes).
    pub(super) fn of_all<'b>(
        changes: impl IntoIterator<Item = (&'a Icp, &'b RawValue, Option<&'b Icp>, &'b Change)>,
    ) -> StoreResult<Vec<Self>> {
        let mut events = Vec::new();
        for (icp, icp_json, previous, change) in changes {
            events.extend(Self::of(icp, icp_json, previous, change)?);
        }
        Ok(events)
    }
}
