//! Searches (`LIKE` scans over a member's ICPs) that stop when nobody waits for them any more: the
//! request asking was answered 503 and dropped, or the search limit passed. A dropped sqlx future
//! does not stop SQLite, which would run the scan to its end on the reader's thread; a progress
//! handler, checked every few thousand steps, interrupts it.

use crate::store::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// SQLite virtual-machine steps between two checks (about a tenth of a millisecond).
const STEPS: i32 = 10_000;

const RUNNING: u8 = 0;
const STOPPED: u8 = 1;
const DONE: u8 = 2;

/// A reader connection holding one search. Dropped before `done` (the request went away), it
/// stops the statement and closes the connection, whose handler would stop every later one.
pub(super) struct Search {
    connection: Option<PoolConnection<Sqlite>>,
    state: Arc<AtomicU8>,
}

impl Search {
    pub(super) async fn start(readers: &SqlitePool, limit: Duration) -> Result<Self, sqlx::Error> {
        let mut connection = readers.acquire().await?;
        let state = Arc::new(AtomicU8::new(RUNNING));
        let deadline = Instant::now() + limit;
        let seen = state.clone();
        connection
            .lock_handle()
            .await?
            .set_progress_handler(STEPS, move || match seen.load(Ordering::Relaxed) {
                RUNNING if Instant::now() < deadline => true,
                RUNNING => {
                    seen.store(STOPPED, Ordering::Relaxed);
                    false
                }
                STOPPED => false,
                _ => true,
            });
        Ok(Self {
            connection: Some(connection),
            state,
        })
    }

    pub(super) fn connection(&mut self) -> &mut sqlx::SqliteConnection {
        self.connection
            .as_deref_mut()
            .expect("a search holds its connection until dropped")
    }

    /// The search's statements ran; its connection goes back to the pool (its handler lets
    /// everything run until the next search sets its own). After an error, it is closed; a search
    /// stopped at its limit is `SearchStopped`.
    pub(super) async fn done<T>(mut self, result: Result<T, sqlx::Error>) -> StoreResult<T> {
        match result {
            Ok(found) => {
                self.state.store(DONE, Ordering::Relaxed);
                drop(self.connection.take());
                Ok(found)
            }
            Err(_) if self.state.load(Ordering::Relaxed) == STOPPED => {
                Err(StoreError::SearchStopped)
            }
            Err(error) => Err(error.into()),
        }
    }
}

impl Drop for Search {
    fn drop(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            self.state.store(STOPPED, Ordering::Relaxed);
            connection.close_on_drop();
        }
    }
}
