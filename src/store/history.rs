//! An ICP's history as stored: each create, update, delete and restore is a numbered version with
//! who, when, and the ICP as it was after it (`icp_versions`), written in the same transaction as
//! the change itself (`group_commit`).

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

/// A version as the SQL of each database binds it: `(action, by, at, icp)`.
pub(super) type VersionRow = (VersionAction, UserId, Timestamp, String);

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
    if let Some(previous) = previous {
        let by = previous.owner.clone().unwrap_or_else(|| change.by.clone());
        versions.push((
            VersionAction::Baseline,
            by,
            previous.updated_at,
            icp_json(previous),
        ));
    }
    versions.push((
        change.action,
        change.by.clone(),
        version_at(icp, change),
        icp_json(icp),
    ));
    versions
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
