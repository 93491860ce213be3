//! Export and import: ICPs as files of create bodies.
//!
//! An export is what a create takes (the ICP without its id and timestamps): one ICP as an object,
//! all of a user's as an array. An import takes either, checks every body exactly as a create
//! would, and stores them **all or none**: one refused body refuses the file, with every body's
//! problems reported, and nothing is stored; otherwise all are created in one transaction.

use super::{check_added_members, IcpError, IcpResult};
use crate::domain::{validate_draft, FieldError, Icp, IcpDraft, Timestamp, UserId};
use crate::store::{Change, ListCursor, ListFilter, Store, StoreError, VersionAction};
use serde_json::Value;
use uuid::Uuid;

/// The most ICPs one file may hold.
pub const MAX_IMPORT_ICPS: usize = 1000;
/// The largest file accepted (about a thousand large ICPs).
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

/// An ICP as a create body: everything but `id`, `createdAt` and `updatedAt`.
pub fn export_body(icp: &Icp) -> Value {
    let mut body = serde_json::to_value(icp).unwrap_or(Value::Null);
    if let Some(fields) = body.as_object_mut() {
        for key in ["id", "createdAt", "updatedAt"] {
            fields.remove(key);
        }
    }
    body
}

/// ICPs read at a time by an export.
const EXPORT_PAGE: u32 = 100;

/// Every ICP shared with `user`, newest first, as create bodies.
pub async fn export_all(store: &dyn Store, user: &UserId) -> IcpResult<Vec<Value>> {
    let mut bodies = Vec::new();
    let mut after = None;
    // Read from the database, page by page (not through the read cache: an export is read once).
    loop {
        let page = store
            .list_icps(user, &ListFilter::default(), after, EXPORT_PAGE)
            .await?;
        bodies.extend(page.iter().map(export_body));
        match page.last() {
            Some(last) if page.len() == EXPORT_PAGE as usize => after = Some(ListCursor::of(last)),
            _ => return Ok(bodies),
        }
    }
}

/// What an import found in one body of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The body's `name`, when it has a readable one.
    pub name: Option<String>,
    /// Why it would be refused; empty when it would be created.
    pub problems: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// Every body was created, in the file's order.
    All(Vec<Icp>),
    /// At least one body was refused, so none was stored: each body's verdict.
    Nothing(Vec<ImportRow>),
    /// The file is not a JSON ICP body or an array of them.
    Unreadable(String),
}

/// Imports `file` for `user` (see the module's rules). Reading and validating up to
/// `MAX_IMPORT_ICPS` bodies (each with up to 50 patterns to check) is CPU work of up to a second:
/// it runs on the blocking pool, so other requests go on meanwhile.
pub async fn import(store: &dyn Store, user: &UserId, file: Vec<u8>) -> IcpResult<Imported> {
    let read = tokio::task::spawn_blocking(move || read_and_validate(&file))
        .await
        .map_err(|error| IcpError::Store(StoreError::Corrupt(format!("import check: {error}"))))?;
    let bodies = match read {
        Ok(bodies) => bodies,
        Err(message) => return Ok(Imported::Unreadable(message)),
    };
    let now = Timestamp::now();
    let mut rows = Vec::with_capacity(bodies.len());
    let mut icps = Vec::with_capacity(bodies.len());
    for (body, validated) in &bodies {
        let name = body["name"].as_str().map(str::to_owned);
        let checked = match validated {
            Ok(draft) => check_added_members(store, user, &[], &draft.user_ids, body)
                .await
                .map(|()| draft.clone()),
            Err(problems) => Err(IcpError::Invalid(problems.clone())),
        };
        match checked {
            Ok(draft) => {
                let mut icp = draft.with_member(user).into_icp(Uuid::nil(), now, now);
                icp.owner = Some(user.clone());
                icps.push(icp);
                rows.push(ImportRow {
                    name,
                    problems: Vec::new(),
                });
            }
            Err(IcpError::Invalid(problems)) => rows.push(ImportRow { name, problems }),
            Err(other) => return Err(other),
        }
    }
    if icps.len() < bodies.len() {
        return Ok(Imported::Nothing(rows));
    }
    // All created at one instant, listed newest (largest id) first: the file's first body gets the
    // largest id, so the list shows them in the file's order, as an export wrote them.
    for icp in icps.iter_mut().rev() {
        icp.id = Uuid::now_v7();
    }
    store
        .insert_icps(icps.clone(), &Change::new(user, VersionAction::Created))
        .await?;
    Ok(Imported::All(icps))
}

/// Each body of `file` with its verdict, or why the file is not a list of ICP bodies.
type Validated = (Value, Result<IcpDraft, Vec<FieldError>>);

fn read_and_validate(file: &[u8]) -> Result<Vec<Validated>, String> {
    let bodies = match serde_json::from_slice::<Value>(file) {
        Ok(Value::Array(bodies)) => bodies,
        Ok(body @ Value::Object(_)) => vec![body],
        Ok(_) => {
            return Err(
                "The file must hold an ICP (a JSON object) or a list of them (a JSON array)."
                    .to_owned(),
            )
        }
        Err(error) => return Err(format!("The file is not valid JSON ({error}).")),
    };
    if bodies.is_empty() {
        return Err("The file holds no ICPs.".to_owned());
    }
    if bodies.len() > MAX_IMPORT_ICPS {
        return Err(format!(
            "The file holds {} ICPs; import at most {MAX_IMPORT_ICPS} at a time.",
            bodies.len()
        ));
    }
    Ok(bodies
        .into_iter()
        .map(|body| {
            let verdict = validate_draft(&body);
            (body, verdict)
        })
        .collect())
}
