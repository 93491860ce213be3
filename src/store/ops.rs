//! What running the database needs besides the app's own data: whether it answers with the
//! schema this binary expects (readiness), and a consistent copy of a SQLite database taken while
//! the server serves and writes (backup).

use super::Pools;
use sqlx::migrate::Migrator;
use std::path::Path;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The newest migration a migrator holds.
fn latest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// `Ok` when the database answers and holds every migration this binary has; otherwise why not,
/// in a short sentence for `/readyz`.
pub async fn readiness(pools: &Pools) -> Result<(), String> {
    const APPLIED: &str = "SELECT max(version) FROM _sqlx_migrations WHERE success";
    let (applied, wanted) = match pools {
        Pools::Sqlite { readers, .. } => (
            sqlx::query_scalar::<_, Option<i64>>(APPLIED)
                .fetch_one(readers)
                .await,
            latest(&SQLITE_MIGRATIONS),
        ),
        Pools::Postgres(pool) => (
            sqlx::query_scalar::<_, Option<i64>>(APPLIED)
                .fetch_one(pool)
                .await,
            latest(&POSTGRES_MIGRATIONS),
        ),
    };
    match applied {
        Ok(Some(version)) if version >= wanted => Ok(()),
        Ok(version) => Err(format!(
            "database migrations are not all applied (at {}, this binary needs {wanted})",
            version.unwrap_or(0)
        )),
        Err(error) => Err(format!("the database does not answer: {error}")),
    }
}

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already: choose a new file, so that no backup is overwritten")]
    Exists(String),
    #[error(
        "backup copies a SQLite database; on Postgres use pg_dump, e.g. \
         pg_dump --format=custom \"$DATABASE_URL\" > icp-builder.dump"
    )]
    Postgres,
    #[error("the backup failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the backup could not be moved into place: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes a consistent copy of the SQLite database to `to` while it serves and writes: SQLite's
/// `VACUUM INTO` reads one snapshot (a read transaction, so writers go on) into a new, compact
/// file. Written beside `to` first and renamed, so `to` never holds half a copy.
pub async fn backup(pools: &Pools, to: &Path) -> Result<(), BackupError> {
    let Pools::Sqlite { readers, .. } = pools else {
        return Err(BackupError::Postgres);
    };
    if to.exists() {
        return Err(BackupError::Exists(to.display().to_string()));
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    if partial.exists() {
        std::fs::remove_file(&partial)?;
    }
    sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().as_ref())
        .execute(readers)
        .await?;
    std::fs::rename(&partial, to)?;
    Ok(())
}
