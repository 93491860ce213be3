//! Export and import: ICPs as files of create bodies.
//!
//! An export is what a create takes (the ICP without its id and timestamps): one ICP as an object,
//! all of a user's as an array. An import takes either, checks every body exactly as a create
//! would, and stores them **all or none**: one refused body refuses the file, with every body's
//! problems reported, and nothing is stored; otherwise all are created in one transaction.

use super::{check_added_members, IcpError, IcpResult};
use crate::domain::Limits;
use crate::domain::{validate_draft, FieldError, Icp, IcpDraft, Timestamp, UserId};
use crate::store::{Change, Store, StoreError, VersionAction};
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
    /// Every body was created, in the file's order: how many.
    All(usize),
    /// At least one body was refused, so none was stored: each body's verdict.
    Nothing(Vec<ImportRow>),
    /// The file is not a JSON ICP body or an array of them.
    Unreadable(String),
}

/// Imports `file` for `user` (see the module's rules). Reading and validating up to
/// `MAX_IMPORT_ICPS` bodies (each with up to 50 patterns to check) is CPU work of up to a second:
/// it runs on the blocking pool, so other requests go on meanwhile.
pub async fn import(store: &dyn Store, user: &UserId, file: Vec<u8>) -> IcpResult<Imported> {
    super::writer(store, user).await?;
    // One file checked at a time: checking one is up to a core's work for its whole time budget.
    let _turn = CHECKING
        .acquire()
        .await
        .map_err(|error| IcpError::Store(StoreError::Corrupt(format!("import turn: {error}"))))?;
    let budget = Budget::new(store.search_limit().mul_f32(0.8));
    let checking = budget.clone();
    let read = tokio::task::spawn_blocking(move || read_and_validate(&file, &checking))
        .await
        .map_err(|error| IcpError::Store(StoreError::Corrupt(format!("import check: {error}"))))?;
    drop(budget);
    let bodies = match read {
        Ok(bodies) => bodies,
        Err(message) => return Ok(Imported::Unreadable(message)),
    };
    let now = Timestamp::now();
    let mut rows = Vec::with_capacity(bodies.len());
    let mut icps = Vec::with_capacity(bodies.len());
    let count = bodies.len();
    for body in bodies {
        let name = body.name;
        let checked = match body.verdict {
            Ok(draft) => check_added_members(store, user, &[], &draft.user_ids, &body.user_ids)
                .await
                .map(|()| draft),
            Err(problems) => Err(IcpError::Invalid(problems)),
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
    if icps.len() < count {
        return Ok(Imported::Nothing(rows));
    }
    // All created at one instant, listed newest (largest id) first: the file's first body gets the
    // largest id, so the list shows them in the file's order, as an export wrote them.
    for icp in icps.iter_mut().rev() {
        icp.id = Uuid::now_v7();
    }
    let count = icps.len();
    store
        .insert_icps(icps, &Change::new(user, VersionAction::Created))
        .await?;
    Ok(Imported::All(count))
}

/// One body of a file as the import keeps it while the rest are read: its name, its `userIds` (for
/// the membership check's paths) and its verdict. The parsed body itself is dropped, so a file
/// costs its typed ICPs, not its JSON trees (many times their text).
struct Validated {
    name: Option<String>,
    user_ids: Value,
    verdict: Result<IcpDraft, Vec<FieldError>>,
}

/// Each body of `file` with its verdict, or why the file is not a list of ICP bodies. The file's
/// syntax is checked without building it; then each body is parsed, checked and dropped in turn.
fn read_and_validate(file: &[u8], budget: &Budget) -> Result<Vec<Validated>, String> {
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(file) {
        return Err(format!("The file is not valid JSON ({error})."));
    }
    let first = file.iter().find(|b| !b.is_ascii_whitespace());
    let bodies: Vec<&[u8]> = match first {
        Some(b'[') if crate::domain::shape_of(file).items > MAX_IMPORT_ICPS => {
            return Err(format!(
                "The file holds {} ICPs; import at most {MAX_IMPORT_ICPS} at a time.",
                crate::domain::shape_of(file).items
            ))
        }
        Some(b'[') => crate::domain::shape::top_level_items(file)
            .into_iter()
            .map(|span| &file[span])
            .collect(),
        Some(b'{') => vec![file],
        _ => {
            return Err(
                "The file must hold an ICP (a JSON object) or a list of them (a JSON array)."
                    .to_owned(),
            )
        }
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
    // What the refused bodies' problems may take together: past it, a refused body's problems
    // are not kept, only that it was refused.
    let mut problem_bytes = 0;
    bodies
        .into_iter()
        .map(|text| {
            if !budget.left() {
                return Err(format!(
                    "Checking the file took longer than its {} seconds, so nothing was imported: \
                     import it in smaller files (its patterns are costly to check).",
                    budget.seconds()
                ));
            }
            let mut body = validated(text);
            if let Err(problems) = &mut body.verdict {
                if problems.len() > ROW_PROBLEMS {
                    let more = problems.len() - ROW_PROBLEMS;
                    problems.truncate(ROW_PROBLEMS);
                    problems.push(FieldError::new(Vec::new(), format!("… and {more} more")));
                }
                // Each problem's text, and its own and its path's slots.
                problem_bytes += problems
                    .iter()
                    .map(|p| p.message.len() + p.field_key().len() + 64 + 32 * p.path.len())
                    .sum::<usize>();
                if problem_bytes > PROBLEM_BYTES {
                    *problems = vec![FieldError::new(
                        Vec::new(),
                        "Refused (too many problems in the file to list them all)",
                    )];
                }
            }
            Ok(body)
        })
        .collect()
}

/// Files checked at once in this process.
static CHECKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// How long checking a file may take, and whether its request still waits: checked between two
/// ICPs, so a request answered 503 (and dropped) stops its check at the next ICP rather than
/// running it to its end on the blocking pool. The request's side stops it when dropped.
#[derive(Clone)]
struct Budget {
    until: std::time::Instant,
    limit: std::time::Duration,
    /// Held by the request and the check: alone, the check's is the last (the request is gone).
    waiting: std::sync::Arc<()>,
}

impl Budget {
    fn new(limit: std::time::Duration) -> Self {
        Self {
            until: std::time::Instant::now() + limit,
            limit,
            waiting: std::sync::Arc::new(()),
        }
    }

    /// Whether checking may go on: time is left and the request still waits.
    fn left(&self) -> bool {
        std::sync::Arc::strong_count(&self.waiting) > 1 && std::time::Instant::now() < self.until
    }

    fn seconds(&self) -> u64 {
        self.limit.as_secs().max(1)
    }
}

/// Problems kept for one refused body of a file (and a line saying how many more), and for all
/// of them together, in bytes.
const ROW_PROBLEMS: usize = 10;
const PROBLEM_BYTES: usize = 64 * 1024;

/// One body of a file, checked as a create's body is (size, shape, then the validator).
fn validated(text: &[u8]) -> Validated {
    let refused = |message: String| Validated {
        name: None,
        user_ids: Value::Null,
        verdict: Err(vec![FieldError::new(Vec::new(), message)]),
    };
    if text.len() > Limits::BODY_BYTES {
        return refused(format!(
            "This ICP is larger than {} KiB, the most one ICP may be",
            Limits::BODY_BYTES / 1024
        ));
    }
    if let Err(problem) = crate::domain::check_shape(text) {
        return refused(problem.message);
    }
    let body: Value = match serde_json::from_slice(text) {
        Ok(body) => body,
        Err(error) => return refused(format!("Not valid JSON ({error})")),
    };
    if !body.is_object() {
        return refused("Each ICP must be a JSON object".to_owned());
    }
    Validated {
        name: body["name"].as_str().map(str::to_owned),
        user_ids: serde_json::json!({ "userIds": body["userIds"] }),
        verdict: validate_draft(&body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(count: usize) -> Vec<u8> {
        let body = serde_json::json!({"name": "x", "leadProviderCriteria": [], "customFilterCriteria": [], "userIds": []});
        serde_json::to_vec(&vec![body; count]).unwrap()
    }

    #[test]
    fn a_check_stops_when_its_request_is_gone_or_its_time_is_up() {
        let budget = Budget::new(std::time::Duration::from_secs(60));
        let checking = budget.clone();
        assert_eq!(
            read_and_validate(&file(3), &checking).map(|b| b.len()),
            Ok(3)
        );
        // The request was answered (dropped): the check stops before the next ICP.
        drop(budget);
        let stopped = read_and_validate(&file(3), &checking).map(|b| b.len());
        assert!(stopped
            .unwrap_err()
            .starts_with("Checking the file took longer"));
        // Out of time, the request still waiting: the file is refused, saying why.
        let expired = Budget::new(std::time::Duration::ZERO);
        let checking = expired.clone();
        let refused = read_and_validate(&file(1), &checking)
            .map(|b| b.len())
            .unwrap_err();
        assert!(refused.contains("import it in smaller files"), "{refused}");
    }
}
