//! An ICP's history as stored: each create, update, delete and restore is a numbered version with
//! who, when, and the ICP as it was after it (`icp_versions`), written in the same transaction as
//! the change itself (`group_commit`). An edit is stored as what it changed (a JSON Patch against
//! the version before), every `SNAPSHOT_EVERY`-th version and each first version and deletion as
//! the whole ICP: an edit costs what it changed, and reading a version applies at most 19 patches.

use crate::domain::{closed_set, Icp, Timestamp, UserId};

closed_set! {
    pub enum VersionAction {
        /// The ICP as it was before its first recorded change (ICPs from before history existed).
        Baseline = "baseline",
        Created = "created",
        Updated = "updated",
        Deleted = "deleted",
        Restored = "restored",
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

/// How a version is stored: the whole ICP's JSON (`icp_json`), or what changed since the version
/// before it (a JSON Patch; the `icp` column then holds `{}`).
pub(super) enum Stored {
    Whole(String),
    Patch(String),
}

impl Stored {
    /// The `icp` and `patch` columns.
    pub(super) fn columns(self) -> (String, Option<String>) {
        match self {
            Stored::Whole(json) => (json, None),
            Stored::Patch(patch) => ("{}".to_owned(), Some(patch)),
        }
    }
}

/// Every `SNAPSHOT_EVERY`-th version holds the whole ICP, so reading any version applies at most
/// `SNAPSHOT_EVERY - 1` patches.
pub const SNAPSHOT_EVERY: i64 = 20;

/// What changed from `before` to `after`, as the JSON text of an RFC 6902 patch against their
/// versions' JSON (`icp_json`). Compared field by field and list item by list item on the typed
/// ICPs, so only what changed is turned into JSON trees (a 200 KB ICP whose `leadsPerList`
/// changed costs two numbers, not two 200 KB trees).
fn patch_between(before: &Icp, after: &Icp) -> Option<String> {
    let mut ops: Vec<String> = Vec::new();
    if before.everyone != after.everyone {
        ops.push(if after.everyone {
            r#"{"op":"add","path":"/everyone","value":true}"#.to_owned()
        } else {
            r#"{"op":"remove","path":"/everyone"}"#.to_owned()
        });
    }
    diff_field(&mut ops, "/id", &before.id, &after.id)?;
    diff_field(&mut ops, "/name", &before.name, &after.name)?;
    diff_field(
        &mut ops,
        "/description",
        &before.description,
        &after.description,
    )?;
    diff_field(
        &mut ops,
        "/createdAt",
        &before.created_at,
        &after.created_at,
    )?;
    diff_field(
        &mut ops,
        "/updatedAt",
        &before.updated_at,
        &after.updated_at,
    )?;
    diff_list(
        &mut ops,
        "/leadProviderCriteria",
        &before.lead_provider_criteria,
        &after.lead_provider_criteria,
    )?;
    diff_list(
        &mut ops,
        "/customFilterCriteria",
        &before.custom_filter_criteria,
        &after.custom_filter_criteria,
    )?;
    diff_field(
        &mut ops,
        "/crmFilters",
        &before.crm_filters,
        &after.crm_filters,
    )?;
    diff_list(&mut ops, "/userIds", &before.user_ids, &after.user_ids)?;
    diff_field(
        &mut ops,
        "/leadsPerList",
        &before.leads_per_list,
        &after.leads_per_list,
    )?;
    diff_field(
        &mut ops,
        "/activeUntil",
        &before.active_until,
        &after.active_until,
    )?;
    Some(format!("[{}]", ops.join(",")))
}

/// Items up to this many bytes of JSON are compared value by value (`json_patch::diff` on their
/// trees); a larger one that changed is replaced whole, written straight to text, so a patch
/// never builds the tree of a large item.
const FINE_DIFF_BYTES: usize = 4 * 1024;

/// The operations (JSON texts) turning `before` into `after` at `path`, if they differ.
fn diff_field<T: serde::Serialize + PartialEq>(
    ops: &mut Vec<String>,
    path: &str,
    before: &T,
    after: &T,
) -> Option<()> {
    if before == after {
        return Some(());
    }
    let new = serde_json::to_string(after).ok()?;
    if new.len() > FINE_DIFF_BYTES {
        ops.push(op_text("replace", path, Some(&new))?);
        return Some(());
    }
    let old = serde_json::to_value(before).ok()?;
    let new: serde_json::Value = serde_json::from_str(&new).ok()?;
    for op in json_patch::diff(&old, &new).0 {
        let mut op = serde_json::to_value(op).ok()?;
        let inner = op["path"].as_str()?.to_owned();
        op["path"] = format!("{path}{inner}").into();
        ops.push(serde_json::to_string(&op).ok()?);
    }
    Some(())
}

/// One operation's JSON text: `op` at `path`, with `value` (JSON text) when it has one.
fn op_text(op: &str, path: &str, value: Option<&str>) -> Option<String> {
    let path = serde_json::to_string(path).ok()?;
    Some(match value {
        Some(value) => format!(r#"{{"op":"{op}","path":{path},"value":{value}}}"#),
        None => format!(r#"{{"op":"{op}","path":{path}}}"#),
    })
}

/// The operations turning list `before` into `after` at `path`: item by item, then what was
/// added at the end, or removed from it (last first).
fn diff_list<T: serde::Serialize + PartialEq>(
    ops: &mut Vec<String>,
    path: &str,
    before: &[T],
    after: &[T],
) -> Option<()> {
    for (i, (old, new)) in before.iter().zip(after).enumerate() {
        diff_field(ops, &format!("{path}/{i}"), old, new)?;
    }
    for (i, added) in after.iter().enumerate().skip(before.len()) {
        let value = serde_json::to_string(added).ok()?;
        ops.push(op_text("add", &format!("{path}/{i}"), Some(&value))?);
    }
    for i in (after.len()..before.len()).rev() {
        ops.push(op_text("remove", &format!("{path}/{i}"), None)?);
    }
    Some(())
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

/// The baseline an ICP changed for the first time since history began records first (as version
/// 1): who, when and what it was before the change.
pub(super) fn baseline(previous: &Icp, change: &Change) -> (UserId, Timestamp, String) {
    let by = previous.owner.clone().unwrap_or_else(|| change.by.clone());
    (by, previous.updated_at, icp_json(previous))
}

/// How the version `change` makes of `icp` (from `previous`) is stored, as version `next` of an
/// ICP whose newest version was made at `newest_at`: as its patch, unless it is a deletion (kept
/// whole: "Recently deleted" reads it and a restore starts from it), a snapshot's number, or the
/// newest version is not `previous` (a workspace move changes an ICP's members without a version).
pub(super) fn stored_version(
    icp: &Icp,
    previous: &Icp,
    change: &Change,
    next: i64,
    newest_at: Timestamp,
) -> Stored {
    let as_patch = change.action != VersionAction::Deleted
        && next % SNAPSHOT_EVERY != 1
        && newest_at == previous.updated_at;
    match as_patch.then(|| patch_between(previous, icp)).flatten() {
        Some(patch) => Stored::Patch(patch),
        None => Stored::Whole(icp_json(icp)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn icp(body: serde_json::Value) -> Icp {
        let mut base = serde_json::json!({
            "id": "01a22b48-0f03-74b8-861c-c6972d6733d2", "name": "A", "description": null,
            "createdAt": "2026-11-30T07:00:00.000Z", "updatedAt": "2026-11-30T07:00:00.000Z",
            "leadProviderCriteria": [], "customFilterCriteria": [], "crmFilters": null,
            "userIds": ["user_a"], "leadsPerList": 10, "activeUntil": null
        });
        for (key, value) in body.as_object().unwrap() {
            base[key] = value.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn source(titles: &[&str], extra: serde_json::Value) -> serde_json::Value {
        let mut filters = serde_json::json!({ "job_title": titles });
        for (key, value) in extra.as_object().unwrap() {
            filters[key] = value.clone();
        }
        serde_json::json!({"provider": "baseProvider", "type": "person", "filters": filters})
    }

    #[test]
    fn a_patch_turns_one_versions_json_into_the_next() {
        let before = icp(serde_json::json!({
            "leadProviderCriteria": [
                source(&["CTO"], serde_json::json!({"x": [1, 2]})),
                source(&["VP"], serde_json::json!({})),
            ],
            "userIds": ["user_a", "user_b", "user_c"],
        }));
        let mut after = icp(serde_json::json!({
            "name": "B", "description": "now described", "leadsPerList": 50,
            "leadProviderCriteria": [
                source(&["CTO", "CIO"], serde_json::json!({"x": [1, 3]})),
                source(&["VP"], serde_json::json!({})),
                source(&["Head"], serde_json::json!({})),
            ],
            "userIds": ["user_a"],
        }));
        after.everyone = true;
        for (from, to) in [(&before, &after), (&after, &before), (&before, &before)] {
            let patch: json_patch::Patch =
                serde_json::from_str(&patch_between(from, to).unwrap()).unwrap();
            let mut json: serde_json::Value = serde_json::from_str(&icp_json(from)).unwrap();
            json_patch::patch(&mut json, &patch).unwrap();
            let expected: serde_json::Value = serde_json::from_str(&icp_json(to)).unwrap();
            assert_eq!(json, expected);
        }
        assert_eq!(patch_between(&before, &before).unwrap(), "[]");
        // A large item that changed is replaced whole.
        let mut big = before.clone();
        big.lead_provider_criteria[1] = serde_json::from_value(source(
            &["VP"],
            serde_json::json!({"notes": "n".repeat(10_000)}),
        ))
        .unwrap();
        let patch = patch_between(&before, &big).unwrap();
        assert!(patch.starts_with(r#"[{"op":"replace","path":"/leadProviderCriteria/1","value":{"#));
        let mut json: serde_json::Value = serde_json::from_str(&icp_json(&before)).unwrap();
        json_patch::patch(
            &mut json,
            &serde_json::from_str::<json_patch::Patch>(&patch).unwrap(),
        )
        .unwrap();
        assert_eq!(
            json,
            serde_json::from_str::<serde_json::Value>(&icp_json(&big)).unwrap()
        );
        // One changed number: one small operation, whatever else the ICP holds.
        let mut fifty = before.clone();
        fifty.leads_per_list = 50;
        assert_eq!(
            patch_between(&before, &fifty).unwrap(),
            r#"[{"op":"replace","path":"/leadsPerList","value":50}]"#
        );
    }
}
