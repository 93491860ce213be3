//! Group commit for ICP writes: a writer task runs the writes queued by concurrent requests (in
//! their order, up to `MAX_BATCH`) in one transaction, and answers them only after its one durable
//! commit.
//!
//! A request's write fails alone, with the error it would have had on its own: at a batch's first
//! failure the batch is rolled back and run again with a savepoint per write. A failed BEGIN or
//! COMMIT fails the whole batch. A writer task checks the pool's connection
//! out per batch, so the other writers sharing that pool (users, tokens, sessions) wait for at most
//! one batch, and the batch waits for at most one of their statements — neither holds the
//! connection while waiting for the other.

use super::history::Change;
use super::{IcpJson, StoreError, StoreResult};
use crate::domain::Icp;
use async_trait::async_trait;
use serde_json::value::RawValue;
use sqlx::{Acquire, Database, Pool};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;

/// The most writes one transaction takes; the rest wait for the next batch.
pub(super) const MAX_BATCH: usize = 256;
/// Requests queued beyond this wait to enqueue (backpressure instead of unbounded memory).
const QUEUE: usize = 4 * MAX_BATCH;

/// `icp`'s `IcpJson`.
pub(super) fn icp_json(icp: &Icp) -> StoreResult<IcpJson> {
    Ok(Arc::from(serde_json::value::to_raw_value(icp)?))
}

/// An ICP write, owned so that it can travel to the writer task. Each records its version
/// (`history`) in the same transaction.
#[derive(Debug)]
pub(super) enum IcpWrite {
    /// With the ICP's JSON text (`IcpJson`), made by the requester, not on the writer.
    Insert(Arc<Icp>, Change, IcpJson),
    /// Several ICPs, all or none (an import).
    InsertAll(Vec<Icp>, Change),
    /// Applied only if the row is still as `previous` (its `updated_at`); `Stale` otherwise.
    Update {
        icp: Icp,
        previous: Box<Icp>,
        change: Change,
    },
    /// Deletes the ICP if it is still as `icp` (its `updated_at`): `Stale` when it changed since,
    /// `Deleted(false)` when it is gone.
    Delete(Icp, Change),
}

impl IcpWrite {
    /// The ICPs this write touches.
    pub(super) fn ids(&self) -> Vec<Uuid> {
        match self {
            IcpWrite::Insert(icp, ..) => vec![icp.id],
            IcpWrite::Delete(icp, _) | IcpWrite::Update { icp, .. } => vec![icp.id],
            IcpWrite::InsertAll(icps, _) => icps.iter().map(|icp| icp.id).collect(),
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Done,
    /// A delete: whether there was a row to delete.
    Deleted(bool),
}

/// How one database runs an `IcpWrite` on a connection that is inside a transaction.
#[async_trait]
pub(super) trait ApplyWrite: Send + Sync + 'static {
    type Db: Database;
    /// Whether `insert_many` is one statement, atomic by itself: a batch of inserts then runs
    /// without BEGIN and COMMIT (on Postgres two round trips fewer a batch).
    const INSERTS_IN_ONE_STATEMENT: bool = false;
    async fn apply(
        conn: &mut <Self::Db as Database>::Connection,
        write: &IcpWrite,
    ) -> StoreResult<Written>;

    /// Inserts several ICPs at once, as `apply` would one by one. On an error the batch runs
    /// again write by write.
    async fn insert_many(
        conn: &mut <Self::Db as Database>::Connection,
        icps: &[(&Icp, &RawValue, &Change)],
    ) -> StoreResult<()>;
}

/// How ICP writes reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Concurrent writes share one transaction and one durable commit; `writers` tasks (each with
    /// a connection while it runs a batch) take batches from one queue. SQLite always uses one.
    GroupCommit { writers: usize },
    /// One transaction (and one commit) per write: the path before group commit, kept to measure
    /// against (`benches/writes.rs`).
    PerWrite,
}

pub(super) struct Job {
    write: IcpWrite,
    reply: oneshot::Sender<StoreResult<Written>>,
}

/// The sending side of the writer task; the task ends when the last clone is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts `writers` writer tasks on `pool` (must be called inside a Tokio runtime).
    pub(super) fn spawn<A: ApplyWrite>(pool: Pool<A::Db>, writers: usize) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            tokio::spawn(run::<A>(pool.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Queues `write` and waits for its answer, which comes only after its batch committed.
    pub(super) async fn submit(&self, write: IcpWrite) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let queued = self.jobs.max_capacity() - self.jobs.capacity();
        metrics::gauge!("icp_write_queue_depth").set(queued as f64);
        self.jobs
            .send(Job { write, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        // A writer that stopped (or panicked) mid-batch drops the reply: an error, never a hang.
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    #[cfg(test)]
    pub(super) fn from_sender(jobs: mpsc::Sender<Job>) -> Self {
        Self { jobs }
    }
}

/// Runs one write in its own transaction: the per-write path.
pub(super) async fn apply_alone<A: ApplyWrite>(
    pool: &Pool<A::Db>,
    write: &IcpWrite,
) -> StoreResult<Written> {
    let mut tx = pool.begin().await?;
    let written = A::apply(&mut tx, write).await?;
    tx.commit().await?;
    Ok(written)
}

async fn run<A: ApplyWrite>(pool: Pool<A::Db>, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Whatever queued while the writers were busy forms the next batch: no timer, no added wait.
    // The lock is held only while taking a batch, never while running one.
    loop {
        let taken = queue.lock().await.recv_many(&mut batch, MAX_BATCH).await;
        if taken == 0 {
            break;
        }
        run_batch::<A>(&pool, std::mem::take(&mut batch)).await;
    }
    tracing::debug!("ICP writer stopped: the store was dropped");
}

/// Runs `batch` in one transaction and answers every job of it, in order.
pub(super) async fn run_batch<A: ApplyWrite>(pool: &Pool<A::Db>, batch: Vec<Job>) {
    let size = batch.len();
    metrics::histogram!("icp_write_batch_size").record(size as f64);
    match apply_batch::<A>(pool, &batch).await {
        Ok(outcomes) => {
            tracing::trace!(size, "ICP write batch committed");
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                // A requester that went away does not care; the others still get their answer.
                let _ = job.reply.send(outcome);
            }
        }
        Err(cause) => {
            tracing::error!(%cause, size, "ICP write batch failed; failing all of its writes");
            let cause = Arc::new(cause);
            for job in batch {
                let _ = job.reply.send(Err(StoreError::BatchFailed(cause.clone())));
            }
        }
    }
}

/// Each job's own outcome, or the error that failed the whole transaction (nothing committed).
///
/// Most batches have no failing write, so a batch first runs without savepoints (on Postgres each
/// savepoint and its release is a round trip). At its first failure it is rolled back and run again
/// with one savepoint per write, so that only the failing writes fail.
async fn apply_batch<A: ApplyWrite>(
    pool: &Pool<A::Db>,
    batch: &[Job],
) -> Result<Vec<StoreResult<Written>>, sqlx::Error> {
    let inserts = only_inserts(batch);
    if let Some(inserts) = inserts.as_ref().filter(|_| A::INSERTS_IN_ONE_STATEMENT) {
        // Committed by the statement itself, or not at all.
        let mut conn = pool.acquire().await?;
        return match A::insert_many(&mut conn, inserts).await {
            Ok(()) => Ok(batch.iter().map(|_| Ok(Written::Done)).collect()),
            Err(_) => {
                drop(conn);
                apply_each_in_savepoint::<A>(pool, batch).await
            }
        };
    }
    let mut tx = pool.begin().await?;
    if let Some(inserts) = inserts {
        return match A::insert_many(&mut tx, &inserts).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(batch.iter().map(|_| Ok(Written::Done)).collect())
            }
            Err(_) => {
                tx.rollback().await?;
                apply_each_in_savepoint::<A>(pool, batch).await
            }
        };
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        match A::apply(&mut tx, &job.write).await {
            Ok(written) => outcomes.push(Ok(written)),
            Err(_) => {
                tx.rollback().await?;
                return apply_each_in_savepoint::<A>(pool, batch).await;
            }
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The ICPs of a batch made only of single inserts (the usual batch under load), in order.
fn only_inserts(batch: &[Job]) -> Option<Vec<(&Icp, &RawValue, &Change)>> {
    batch
        .iter()
        .map(|job| match &job.write {
            IcpWrite::Insert(icp, change, json) => Some((&**icp, &**json, change)),
            _ => None,
        })
        .collect()
}

async fn apply_each_in_savepoint<A: ApplyWrite>(
    pool: &Pool<A::Db>,
    batch: &[Job],
) -> Result<Vec<StoreResult<Written>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        // A nested transaction is a SAVEPOINT: a failing write rolls back only its own rows.
        let mut savepoint = tx.begin().await?;
        let outcome = A::apply(&mut savepoint, &job.write).await;
        if outcome.is_ok() {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests;
