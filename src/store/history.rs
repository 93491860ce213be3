//! An ICP's history as stored: each create, update, delete and restore is a numbered version with
//! who, when, and the ICP as it was after it (`icp_versions`), written in the same transaction as
//! the change itself (`group_commit`). An edit is stored as what it changed (a JSON Patch against
//! the version before), every `SNAPSHOT_EVERY`-th version and each first version and deletion as
//! the whole ICP: an edit costs what it changed, and reading a version applies at most 19 patches.

use crate::domain::{Icp, Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionAction {
    /// The ICP as it was before its first recorded change (ICPs from before history existed).
    Baseline,
    Created,
    Updated,
    Deleted,
    Restored,
}

impl VersionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionAction::Baseline => "baseline",
            VersionAction::Created => "created",
            VersionAction::Updated => "updated",
            VersionAction::Deleted => "deleted",
            VersionAction::Restored => "restored",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            VersionAction::Baseline,
            VersionAction::Created,
            VersionAction::Updated,
            VersionAction::Deleted,
            VersionAction::Restored,
        ]
        .into_iter()
        .find(|action| action.as_str() == raw)
    }
}

/// Who changes an ICP and how: recorded as a version with the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub by: UserId,
    pub action: VersionAction,
}

impl Change {
    pub fn new(by: &UserId, action: VersionAction) -> Self {
        Self {
            by: by.clone(),
            action,
        }
    }
}

/// One version of an ICP.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub number: u32,
    pub action: VersionAction,
    pub by: UserId,
    pub at: Timestamp,
    /// The ICP as it was after this version (with its owner).
    pub icp: Icp,
}

/// A version as the SQL of each database binds it.
pub(super) struct VersionRow {
    pub action: VersionAction,
    pub by: UserId,
    pub at: Timestamp,
    /// The whole ICP's JSON (see `icp_json`).
    pub icp: String,
    /// What changed since the version before, as a JSON Patch, when the write knows that version:
    /// the SQL stores it instead of `icp` unless the version is a snapshot's (its number
    /// `% SNAPSHOT_EVERY == 1`) or the newest version is not the patch's base.
    pub patch: Option<String>,
    /// The `updatedAt` of the ICP the patch starts from: the patch is stored only when the newest
    /// version is that state (a workspace move changes an ICP's members without a version).
    pub base_at: Timestamp,
}

/// Every `SNAPSHOT_EVERY`-th version holds the whole ICP, so reading any version applies at most
/// `SNAPSHOT_EVERY - 1` patches.
pub const SNAPSHOT_EVERY: i64 = 20;

/// What changed from `before` to `after` (JSON texts), as the JSON text of an RFC 6902 patch.
fn patch_between(before: &str, after: &str) -> Option<String> {
    let before: serde_json::Value = serde_json::from_str(before).ok()?;
    let after: serde_json::Value = serde_json::from_str(after).ok()?;
    serde_json::to_string(&json_patch::diff(&before, &after)).ok()
}

/// A version's JSON: the ICP as the API shows it, and `"everyone": true` first when it is shared
/// with everyone in the workspace (not part of the API's ICP), so a restore keeps that.
fn icp_json(icp: &Icp) -> String {
    let json = serde_json::to_string(icp).unwrap_or_else(|_| "{}".to_owned());
    match json.strip_prefix('{') {
        Some(rest) if icp.everyone => format!("{{\"everyone\":true,{rest}"),
        _ => json,
    }
}

/// The flags a version's JSON carries besides the ICP (see `icp_json`).
#[derive(serde::Deserialize)]
struct VersionFlags {
    #[serde(default)]
    everyone: bool,
}

/// When the version `change` makes of `icp` happened: the ICP's own `updatedAt`, or now for a
/// delete.
pub(super) fn version_at(icp: &Icp, change: &Change) -> Timestamp {
    match change.action {
        VersionAction::Deleted => Timestamp::now(),
        _ => icp.updated_at,
    }
}

/// The versions a write records: a baseline of `previous` (recorded only when the ICP has no
/// version yet; the SQL checks), then the change's own.
pub(super) fn versions_of_write(
    icp: &Icp,
    previous: Option<&Icp>,
    change: &Change,
) -> Vec<VersionRow> {
    let mut versions = Vec::with_capacity(2);
    let before = previous.map(icp_json);
    if let (Some(previous), Some(before)) = (previous, &before) {
        let by = previous.owner.clone().unwrap_or_else(|| change.by.clone());
        versions.push(VersionRow {
            action: VersionAction::Baseline,
            by,
            at: previous.updated_at,
            icp: before.clone(),
            patch: None,
            base_at: previous.updated_at,
        });
    }
    let after = icp_json(icp);
    // A deletion keeps the whole ICP ("Recently deleted" reads it, and a restore starts from it).
    let patch = match (&before, change.action) {
        (_, VersionAction::Deleted) | (None, _) => None,
        (Some(before), _) => patch_between(before, &after),
    };
    versions.push(VersionRow {
        action: change.action,
        by: change.by.clone(),
        at: version_at(icp, change),
        icp: after,
        patch,
        base_at: previous.map_or(icp.updated_at, |previous| previous.updated_at),
    });
    versions
}

/// A version's row as read: its number, action, by, at, owner, `icp` JSON and `patch`.
pub(super) type StoredVersion = (
    i64,
    String,
    String,
    Timestamp,
    Option<String>,
    String,
    Option<String>,
);

/// The versions `rows` hold (oldest first, starting at a snapshot), newest first: each patch
/// applied to the version before it. `keep` says which to return (the page asked for).
pub(super) fn rebuild(
    rows: Vec<StoredVersion>,
    keep: impl Fn(i64) -> bool,
) -> super::StoreResult<Vec<Version>> {
    let corrupt = |what: String| super::StoreError::Corrupt(what);
    let mut state: Option<serde_json::Value> = None;
    let mut versions = Vec::new();
    for (number, action, by, at, owner, icp, patch) in rows {
        let json = match patch {
            None => {
                let whole: serde_json::Value =
                    serde_json::from_str(&icp).map_err(|e| corrupt(e.to_string()))?;
                state = Some(whole);
                icp
            }
            Some(patch) => {
                let patch: json_patch::Patch =
                    serde_json::from_str(&patch).map_err(|e| corrupt(e.to_string()))?;
                let current = state.as_mut().ok_or_else(|| {
                    corrupt(format!("version {number} has no snapshot before it"))
                })?;
                json_patch::patch(current, &patch).map_err(|e| corrupt(e.to_string()))?;
                current.to_string()
            }
        };
        if keep(number) {
            versions.push(version_from_row(
                number,
                &action,
                &by,
                at,
                owner.as_deref(),
                &json,
            )?);
        }
    }
    versions.reverse();
    Ok(versions)
}

/// A version as both databases read it back (`icp` is the JSON text `versions_of_write` wrote).
pub(super) fn version_from_row(
    number: i64,
    action: &str,
    by: &str,
    at: Timestamp,
    owner: Option<&str>,
    icp: &str,
) -> super::StoreResult<Version> {
    let corrupt = |what: String| super::StoreError::Corrupt(what);
    let flags: VersionFlags = serde_json::from_str(icp).map_err(|e| corrupt(e.to_string()))?;
    let mut icp: Icp = serde_json::from_str(icp).map_err(|e| corrupt(e.to_string()))?;
    icp.owner = owner.map(super::user_id).transpose()?;
    icp.everyone = flags.everyone;
    Ok(Version {
        number: u32::try_from(number).map_err(|_| corrupt(format!("bad version {number}")))?,
        action: VersionAction::parse(action)
            .ok_or_else(|| corrupt(format!("bad version action {action:?}")))?,
        by: super::user_id(by)?,
        at,
        icp,
    })
}

/// The newest deletion of each ICP an owner deleted, unless a later version restored it.
pub(super) const DELETED_WHERE: &str = "v.action = 'deleted' AND NOT EXISTS (\
     SELECT 1 FROM icp_versions later WHERE later.icp_id = v.icp_id AND later.version > v.version)";
