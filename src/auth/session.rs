//! Browser sessions: tower-sessions kept in the app's own database, so they survive restarts and
//! are shared by every instance.

use crate::account::NewToken;
use crate::domain::UserId;
use crate::store::{Pools, StoreError, StoreResult};
use async_trait::async_trait;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, Result};
use tower_sessions::{Session, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session store of whichever database the app runs on. On SQLite, sessions are read through
/// the read pool and written through the one writer connection, so page views do not queue behind
/// writes.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Sqlite {
        reads: SqliteStore,
        writes: SqliteStore,
        /// The writer, for who holds which session (`user_sessions`).
        writer: sqlx::SqlitePool,
    },
    Postgres(PostgresStore, sqlx::PgPool),
}

/// Sessions one user holds at most: each sign-in past it ends that user's oldest session.
pub const MAX_SESSIONS: u32 = 50;

impl SessionBackend {
    /// The session store in the database behind `pools` (its table is created if missing).
    pub async fn open(pools: &Pools) -> StoreResult<Self> {
        match pools {
            // Session writes share the one writer connection with everything else; loading a
            // session (every cookie request) uses the read pool, so it does not wait behind writes.
            Pools::Sqlite { readers, writer } => {
                let writes = SqliteStore::new(writer.clone())
                    .with_table_name("sessions")
                    .map_err(StoreError::Corrupt)?;
                writes.migrate().await?;
                let reads = SqliteStore::new(readers.clone())
                    .with_table_name("sessions")
                    .map_err(StoreError::Corrupt)?;
                Ok(SessionBackend::Sqlite {
                    reads,
                    writes,
                    writer: writer.clone(),
                })
            }
            Pools::Postgres(pool) => {
                // In the app's own schema (not a shared `tower_sessions` one), beside its tables.
                let (schema,): (String,) = sqlx::query_as("SELECT current_schema()")
                    .fetch_one(pool)
                    .await?;
                let store = PostgresStore::new(pool.clone())
                    .with_schema_name(&schema)
                    .and_then(|s| s.with_table_name("sessions"))
                    .map_err(StoreError::Corrupt)?;
                // `CREATE TABLE IF NOT EXISTS` races when two instances start at once on a new
                // database (one fails on a duplicate type name): one at a time, under a lock held
                // by this transaction (released when it ends, whatever happens).
                let mut lock = pool.begin().await?;
                let key =
                    "SELECT pg_advisory_xact_lock(hashtextextended('icp-builder sessions', 0))";
                sqlx::query(key).execute(&mut *lock).await?;
                store.migrate().await?;
                lock.commit().await?;
                Ok(SessionBackend::Postgres(store, pool.clone()))
            }
        }
    }
}

#[async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            SessionBackend::Sqlite { writes, .. } => writes.create(record).await,
            SessionBackend::Postgres(store, _) => store.create(record).await,
        }
    }

    /// Updating an existing session is best effort: a failure is logged and reported as success.
    /// tower-sessions saves a changed session *after* the handler ran and, if that fails, replaces
    /// the handler's answer with an empty 500 — even a 201 for a committed write, which a client
    /// would then retry. What an update carries here is only the daily "last used" mark (losing it
    /// can end the session a day early) and a removed one-time token (which stays unreadable). The
    /// one save that matters, a new session at sign-in, goes through `create`, done inside the
    /// handler (see `sign_in`), whose errors are not swallowed.
    async fn save(&self, record: &Record) -> Result<()> {
        let saved = match self {
            SessionBackend::Sqlite { writes, .. } => writes.save(record).await,
            SessionBackend::Postgres(store, _) => store.save(record).await,
        };
        if let Err(error) = saved {
            tracing::error!(error = %crate::error_chain(&error), "could not update a session; the answer stands");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            SessionBackend::Sqlite { reads, .. } => reads.load(id).await,
            SessionBackend::Postgres(store, _) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            SessionBackend::Sqlite { writes, .. } => writes.delete(id).await,
            SessionBackend::Postgres(store, _) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for SessionBackend {
    async fn delete_expired(&self) -> Result<()> {
        match self {
            SessionBackend::Sqlite { writes, .. } => writes.delete_expired().await,
            SessionBackend::Postgres(store, _) => store.delete_expired().await,
        }
    }
}

/// The name of the session cookie.
pub const COOKIE_NAME: &str = "icp_session";
const USER_KEY: &str = "user_id";
const SEEN_KEY: &str = "seen_on";
const NEW_TOKEN_KEY: &str = "new_token";

/// The user signed in to this session, if any.
///
/// Reading it counts as use: once a day it marks the session changed. tower-sessions re-saves (and
/// so re-dates) only changed sessions, so without this a session would end 7 days after sign-in
/// rather than after 7 days without use. The session layer saves that mark after the handler, and
/// a failure to do so is only logged (`SessionBackend::save`): it never replaces the answer.
pub async fn session_user(session: &Session) -> Option<UserId> {
    let raw: String = session.get(USER_KEY).await.ok().flatten()?;
    let user = UserId::parse(&raw)?;
    let today = tower_sessions::cookie::time::OffsetDateTime::now_utc().to_julian_day();
    if session.get::<i32>(SEEN_KEY).await.ok().flatten() != Some(today) {
        if let Err(error) = session.insert(SEEN_KEY, today).await {
            tracing::warn!(error = %crate::error_chain(&error), "could not mark the session as used");
        }
    }
    Some(user)
}

/// The cookie holding the one-time pad of a just-created API token (see `hold_new_token`).
pub const NEW_TOKEN_COOKIE: &str = "icp_new_token";

/// How long a new token can wait to be shown.
pub const NEW_TOKEN_TTL_SECS: u32 = 600;

/// A just-created token as the session keeps it: XOR-ed with a one-time pad that only the browser
/// holds (in the `NEW_TOKEN_COOKIE` cookie). The session row alone, or the cookie alone, says
/// nothing about the token; the settings page puts the two together once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SealedToken {
    label: String,
    sealed: String,
}

/// A secret shown once on the next page: a new API token (settings), a new invitation link
/// (team settings) or a webhook endpoint's new signing secret (webhook settings; labelled with the
/// endpoint's id). Each kind has its own session key and pad cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    ApiToken,
    InvitationLink,
    WebhookSecret,
}

impl Secret {
    /// The cookie holding the secret's one-time pad.
    pub fn cookie(self) -> &'static str {
        match self {
            Secret::ApiToken => NEW_TOKEN_COOKIE,
            Secret::InvitationLink => "icp_new_invitation",
            Secret::WebhookSecret => "icp_new_webhook_secret",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Secret::ApiToken => NEW_TOKEN_KEY,
            Secret::InvitationLink => "new_invitation",
            Secret::WebhookSecret => "new_webhook_secret",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Secret::ApiToken => crate::auth::TOKEN_PREFIX,
            Secret::InvitationLink => crate::workspaces::INVITATION_PREFIX,
            Secret::WebhookSecret => crate::webhooks::sign::SECRET_PREFIX,
        }
    }

    /// Whether a secret of this kind may hold `byte` (never a space, which parts held secrets).
    fn allows(self, byte: u8) -> bool {
        byte.is_ascii_alphanumeric()
            || byte == b'_'
            // A webhook secret is `whsec_` and standard base64.
            || (self == Secret::WebhookSecret && matches!(byte, b'+' | b'/' | b'='))
    }
}

/// Keeps a just-created API token, sealed, in the session for the next settings page only; returns
/// the pad (hex) for the browser's cookie.
pub async fn hold_new_token(
    session: &Session,
    label: &str,
    token: &str,
) -> std::result::Result<String, tower_sessions::session::Error> {
    hold_secret(session, Secret::ApiToken, label, token).await
}

/// Takes the token `hold_new_token` kept, if any (see `take_secret`).
pub async fn take_new_token(session: &Session, pad: Option<&str>) -> Option<NewToken> {
    take_secret(session, Secret::ApiToken, pad).await
}

/// Keeps a just-created secret, sealed, in the session for the next page only; returns the pad
/// (hex) for the browser's cookie. Saved at once, inside the handler, so a failure is the
/// handler's to report.
pub async fn hold_secret(
    session: &Session,
    kind: Secret,
    label: &str,
    secret: &str,
) -> std::result::Result<String, tower_sessions::session::Error> {
    hold_secrets(session, kind, &[(label.to_owned(), secret.to_owned())]).await
}

/// As `hold_secret`, for several secrets made by one post (each with its label), shown together.
pub async fn hold_secrets(
    session: &Session,
    kind: Secret,
    secrets: &[(String, String)],
) -> std::result::Result<String, tower_sessions::session::Error> {
    // Labels are kept one per line, secrets apart by spaces (which `take_secrets` checks they
    // never hold).
    let labels: Vec<String> = secrets
        .iter()
        .map(|(label, _)| label.replace('\n', " "))
        .collect();
    let joined: Vec<&str> = secrets.iter().map(|(_, secret)| secret.as_str()).collect();
    let joined = joined.join(" ");
    let mut pad = vec![0u8; joined.len()];
    rand::thread_rng().fill_bytes(&mut pad);
    let sealed = SealedToken {
        label: labels.join("\n"),
        sealed: hex::encode(xor(joined.as_bytes(), &pad)),
    };
    session.insert(kind.key(), sealed).await?;
    session.save().await?;
    Ok(hex::encode(pad))
}

/// Takes the secret `hold_secret` kept, if any (the first, when several were held).
pub async fn take_secret(session: &Session, kind: Secret, pad: Option<&str>) -> Option<NewToken> {
    take_secrets(session, kind, pad).await.into_iter().next()
}

/// Takes the secrets `hold_secrets` kept, if any, so they are shown once, and opens them with the
/// browser's `pad`. Saved at once: a page that streams may still be rendering when the session
/// layer saves what it saw changed.
pub async fn take_secrets(session: &Session, kind: Secret, pad: Option<&str>) -> Vec<NewToken> {
    let Ok(Some(held)) = session.get::<SealedToken>(kind.key()).await else {
        return Vec::new();
    };
    let removed = session.remove_value(kind.key()).await;
    if let Err(error) = removed.and(session.save().await) {
        tracing::error!(error = %crate::error_chain(&error), "could not forget a shown secret");
    }
    open_secrets(&held, kind, pad).unwrap_or_default()
}

fn open_secrets(held: &SealedToken, kind: Secret, pad: Option<&str>) -> Option<Vec<NewToken>> {
    let sealed = hex::decode(&held.sealed).ok()?;
    let pad = hex::decode(pad?).ok()?;
    if pad.len() != sealed.len() {
        return None;
    }
    let opened = String::from_utf8(xor(&sealed, &pad)).ok()?;
    let labels: Vec<&str> = held.label.split('\n').collect();
    let tokens: Vec<&str> = opened.split(' ').collect();
    // A pad from another secret opens nothing readable; show nothing rather than garbage.
    let well_formed = |token: &&str| {
        token.starts_with(kind.prefix()) && token.bytes().all(|byte| kind.allows(byte))
    };
    (labels.len() == tokens.len() && tokens.iter().all(well_formed)).then(|| {
        labels
            .into_iter()
            .zip(tokens)
            .map(|(label, token)| NewToken {
                label: label.to_owned(),
                token: token.to_owned(),
            })
            .collect()
    })
}

/// The pad of `kind` the browser sent in its cookies.
pub fn pad_cookie(headers: &axum::http::HeaderMap, kind: Secret) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == kind.cookie())
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that gives the browser a secret's pad.
pub fn pad_set_cookie(kind: Secret, pad: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={pad}; Path=/; Max-Age={NEW_TOKEN_TTL_SECS}; HttpOnly; SameSite=Strict{secure}",
        kind.cookie()
    )
}

fn xor(data: &[u8], pad: &[u8]) -> Vec<u8> {
    data.iter().zip(pad).map(|(a, b)| a ^ b).collect()
}

/// Signs `user` in: a new session id (no fixation) holding nothing from before, then the user.
/// The new session is stored here, not after the handler, so a failure reaches the caller; on
/// failure the session is emptied, so nothing is left for the session layer to try again.
/// The user's sessions beyond `MAX_SESSIONS` (the oldest) end.
pub async fn sign_in(
    session: &Session,
    user: &UserId,
    sessions: &SessionBackend,
) -> std::result::Result<(), tower_sessions::session::Error> {
    let signed_in = async {
        session.cycle_id().await?;
        session.clear().await;
        session.insert(USER_KEY, user.as_str()).await?;
        session.save().await
    }
    .await;
    if signed_in.is_err() {
        session.clear().await;
        return signed_in;
    }
    if let Some(id) = session.id() {
        if let Err(error) = sessions.keep_newest(user, id).await {
            // The sign-in stands; the bound is kept at the user's next one.
            tracing::error!(error = %crate::error_chain(&error), "could not end the user's oldest sessions");
        }
    }
    Ok(())
}

/// Signs out: the session is deleted from the store and the cookie cleared.
pub async fn sign_out(
    session: &Session,
) -> std::result::Result<(), tower_sessions::session::Error> {
    session.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;

    #[tokio::test]
    async fn a_held_token_opens_only_with_its_pad_and_only_once() {
        let store = Arc::new(MemoryStore::default());
        let session = Session::new(None, store, None);
        let token = "icp_abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        let pad = hold_new_token(&session, "CRM sync", token).await.unwrap();
        let kept = serde_json::to_string(&session.get_value(NEW_TOKEN_KEY).await.unwrap()).unwrap();
        assert!(!kept.contains(token), "{kept}");
        assert!(!kept.contains("abcdefghij"), "{kept}");

        let shown = take_new_token(&session, Some(&pad)).await.unwrap();
        assert_eq!(
            (shown.label.as_str(), shown.token.as_str()),
            ("CRM sync", token)
        );
        assert!(take_new_token(&session, Some(&pad)).await.is_none(), "once");

        hold_new_token(&session, "other", token).await.unwrap();
        assert!(
            take_new_token(&session, Some(&pad)).await.is_none(),
            "another pad"
        );
        hold_new_token(&session, "other", token).await.unwrap();
        assert!(take_new_token(&session, None).await.is_none(), "no pad");
        assert!(session.get_value(NEW_TOKEN_KEY).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sessions_load_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("icp.db").display());
        let store = crate::store::SqliteStore::connect(&url).await.unwrap();
        let pools = crate::store::Store::pools(&store);
        let sessions = SessionBackend::open(&pools).await.unwrap();
        let mut record = Record {
            id: Id::default(),
            data: [("user_id".to_owned(), serde_json::json!("user_abc"))]
                .into_iter()
                .collect(),
            expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
                + tower_sessions::cookie::time::Duration::hours(1),
        };
        sessions.create(&mut record).await.unwrap();

        // With the one writer connection gone (as good as busy), loading still works: it uses
        // the read pool. Creating a session does need the writer.
        let Pools::Sqlite { writer, .. } = &pools else {
            unreachable!()
        };
        writer.close().await;
        let loaded = sessions.load(&record.id).await.unwrap().unwrap();
        assert_eq!(loaded.data, record.data);
        let mut another = Record {
            id: Id::default(),
            ..record.clone()
        };
        assert!(sessions.create(&mut another).await.is_err());
    }
}
