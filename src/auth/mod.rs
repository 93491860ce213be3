//! Who is calling: password hashing, API tokens, sessions, the sign-in rule for pages and the
//! same-origin check. The HTTP layers turn these into their own answers.
#![cfg(feature = "ssr")]

pub mod guard;
pub mod limiter;
pub mod origin;
pub mod session;
pub mod user_sessions;

use crate::account::MAX_TOKEN_DAYS;
use crate::domain::{Timestamp, UserId};
use crate::store::{NewToken, Store, StoreError, StoreResult, TokenOwner, TokenScope, User};
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::Argon2;
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};
use std::sync::{Arc, PoisonError};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Prefix of every API token, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "icp_";

/// Hashes a password with argon2id (the crate's default parameters: 19 MiB, 2 passes) and a random
/// salt, into the usual PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let argon = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let output = argon2_output(
        &argon,
        password.as_bytes(),
        raw_salt,
        argon2::Params::DEFAULT_OUTPUT_LEN,
    )?;
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: ParamsString::try_from(argon.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Stored hashes asking for more memory than this are treated as not matching.
const MAX_HASH_MEMORY_KIB: u32 = 256 * 1024;

pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_HASH_MEMORY_KIB {
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    // `Output`'s equality is constant-time.
    argon2_output(&argon, password.as_bytes(), raw_salt, expected.len())
        .is_ok_and(|computed| computed == expected)
}

/// Argon2's working memory, kept for reuse: one buffer per hash running at once (so at most one per
/// core, see `HASHING`). Allocating 19 MiB per hash instead lets glibc's allocator keep every freed
/// buffer (its mmap threshold rises to the buffer size): measured, a dozen sign-ins in a row grew
/// the process by 19 MiB each, to 230 MB, and 100 parallel sign-ups to 780 MB.
static MEMORY: std::sync::Mutex<Vec<Vec<argon2::Block>>> = std::sync::Mutex::new(Vec::new());

/// Runs argon2 with `argon`'s parameters into an output of `len` bytes, on pooled memory.
fn argon2_output(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    len: usize,
) -> Result<Output, argon2::password_hash::Error> {
    let take = || MEMORY.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut memory = take().unwrap_or_default();
    let blocks = argon.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::new());
    }
    let output = Output::init_with(len, |out| {
        Ok(argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])?)
    });
    MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(memory);
    output
}

/// A new random user id: `user_` and 24 letters or digits.
pub fn new_user_id() -> UserId {
    let suffix = Alphanumeric.sample_string(&mut rand::thread_rng(), 24);
    UserId::parse(&format!("{}{suffix}", UserId::PREFIX)).expect("generated ids are well-formed")
}

/// A new API token (shown once) and the hash that is stored in its place.
pub fn new_token() -> (String, Vec<u8>) {
    let token = format!(
        "{TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
    );
    let hash = token_hash(&token);
    (token, hash)
}

/// Tokens carry 238 bits of randomness, so a fast hash is enough: no one can guess a preimage.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Checks a sign-in: `password` against the user's `hash`, or, when there is no such user, against
/// a made-up hash, so an unknown email takes as long as a wrong password and does not reveal which
/// emails have accounts.
pub fn verify_sign_in(password: &str, hash: Option<&str>) -> bool {
    static NOBODY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no one's password").unwrap_or_default());
    match hash {
        Some(hash) => verify_password(password, hash),
        None => {
            verify_password(password, &NOBODY);
            false
        }
    }
}

/// Argon2 takes tens of milliseconds of CPU and 19 MiB per hash. Hashes run on the blocking pool,
/// at most one per core at a time; further requests wait in line (first come, first served) rather
/// than each taking a thread and its memory. One gate per process, because the cores are.
static HASHING: std::sync::LazyLock<Arc<Semaphore>> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cores))
});

/// Runs `work` on the blocking pool once a core is free for it.
async fn on_a_free_core<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let permit = HASHING.clone().acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        // Held until the hash is done, even if the request that wanted it is gone.
        let _permit = permit;
        work()
    })
    .await
    .ok()
}

/// `hash_password` off the async workers, queued behind the other hashes.
pub async fn hash_password_queued(password: String) -> Result<String, AccountError> {
    on_a_free_core(move || hash_password(&password))
        .await
        .ok_or(AccountError::HashingStopped)?
        .map_err(AccountError::Hash)
}

/// `verify_sign_in` off the async workers, queued behind the other hashes; false if it could not run.
pub async fn verify_sign_in_queued(password: String, hash: Option<String>) -> bool {
    on_a_free_core(move || verify_sign_in(&password, hash.as_deref()))
        .await
        .unwrap_or(false)
}

/// Why an account or token could not be made; one variant per field, so forms can point at it.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("enter an email address like name@company.com")]
    InvalidEmail,
    #[error("the name must be 1 to 200 characters")]
    InvalidName,
    #[error("the password must be at least 8 characters")]
    ShortPassword,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the label must be 1 to 100 characters")]
    InvalidLabel,
    #[error("a token expires in 1 to {MAX_TOKEN_DAYS} days")]
    InvalidExpiry,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("no user has the email {0}")]
    UnknownEmail(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("password hashing stopped before it finished")]
    HashingStopped,
}

/// Normalises an email for storage and look-up (see `domain::normalised_email`).
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    crate::domain::normalised_email(email).ok_or(AccountError::InvalidEmail)
}

pub const MIN_PASSWORD_LEN: usize = 8;

/// Replaces `user`'s password with `new` once `current` is theirs (checked as a sign-in is).
pub async fn change_password(
    store: &dyn Store,
    user: &User,
    current: &str,
    new: &str,
) -> Result<(), AccountError> {
    let record = store
        .user_by_email(&user.email)
        .await
        .map_err(AccountError::Store)?
        .filter(|record| record.user.id == user.id);
    let hash = record.map(|record| record.password_hash);
    if !verify_sign_in_queued(current.to_owned(), hash).await {
        return Err(AccountError::WrongPassword);
    }
    if new.chars().count() < MIN_PASSWORD_LEN {
        return Err(AccountError::ShortPassword);
    }
    let hash = hash_password_queued(new.to_owned()).await?;
    match store.set_password(&user.id, &hash).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::UnknownEmail(user.email.clone())),
        Err(error) => Err(AccountError::Store(error)),
    }
}

/// Sets the password of the user with `email` (the sign-up rules), without asking the current
/// one: the administrator's reset (`users set-password`). Returns the user's id.
pub async fn set_password(
    store: &dyn Store,
    email: &str,
    password: &str,
) -> Result<UserId, AccountError> {
    let email = normalise_email(email)?;
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AccountError::ShortPassword);
    }
    let record = store
        .user_by_email(&email)
        .await
        .map_err(AccountError::Store)?
        .ok_or(AccountError::UnknownEmail(email))?;
    let hash = hash_password_queued(password.to_owned()).await?;
    match store.set_password(&record.user.id, &hash).await {
        Ok(true) => Ok(record.user.id),
        Ok(false) => Err(AccountError::UnknownEmail(record.user.email)),
        Err(error) => Err(AccountError::Store(error)),
    }
}

/// Creates an account; the id is new and random.
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    password: &str,
) -> Result<User, AccountError> {
    let email = normalise_email(email)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AccountError::InvalidName);
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AccountError::ShortPassword);
    }
    let hash = hash_password_queued(password.to_owned()).await?;
    let user = User {
        id: new_user_id(),
        email,
        name: name.to_owned(),
    };
    let workspace = crate::workspaces::own_workspace(&user);
    match store.create_user(&user, &hash, &workspace).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(other) => Err(AccountError::Store(other)),
    }
}

/// What a new API token may do and how long it lives: by default it may write and never expires.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenTerms {
    pub scope: TokenScope,
    /// Days until it expires, 1 to `MAX_TOKEN_DAYS`; `None`: never.
    pub expires_in_days: Option<u16>,
}

impl TokenTerms {
    /// When a token made at `now` on these terms expires; `InvalidExpiry` outside 1 to
    /// `MAX_TOKEN_DAYS` days.
    fn expires_at(self, now: Timestamp) -> Result<Option<Timestamp>, AccountError> {
        let Some(days) = self.expires_in_days else {
            return Ok(None);
        };
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(AccountError::InvalidExpiry);
        }
        let millis = now.millis() + i64::from(days) * 86_400_000;
        Timestamp::from_millis(millis)
            .map(Some)
            .ok_or(AccountError::InvalidExpiry)
    }
}

/// Creates an API token for the user with `email` on `terms`; returns it (the only time it is
/// visible).
pub async fn create_token(
    store: &dyn Store,
    email: &str,
    label: &str,
    terms: TokenTerms,
) -> Result<(Uuid, String), AccountError> {
    let email = normalise_email(email)?;
    let label = checked_label(label)?;
    let record = store
        .user_by_email(&email)
        .await
        .map_err(AccountError::Store)?
        .ok_or(AccountError::UnknownEmail(email))?;
    issue_token(store, &record.user.id, label, terms).await
}

/// Creates an API token for `user` on `terms`; returns its id and the token (the only time it is
/// visible).
pub async fn create_token_for(
    store: &dyn Store,
    user: &UserId,
    label: &str,
    terms: TokenTerms,
) -> Result<(Uuid, String), AccountError> {
    issue_token(store, user, checked_label(label)?, terms).await
}

/// Stores a new token for `user` under `label` (already checked): its id and the token.
async fn issue_token(
    store: &dyn Store,
    user: &UserId,
    label: &str,
    terms: TokenTerms,
) -> Result<(Uuid, String), AccountError> {
    let expires_at = terms.expires_at(Timestamp::now())?;
    let (token, hash) = new_token();
    let id = Uuid::now_v7();
    store
        .create_token(NewToken {
            id,
            user,
            label,
            scope: terms.scope,
            expires_at,
            token_hash: &hash,
        })
        .await
        .map_err(AccountError::Store)?;
    Ok((id, token))
}

fn checked_label(label: &str) -> Result<&str, AccountError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(AccountError::InvalidLabel);
    }
    Ok(label)
}

/// Who an `Authorization` header value names, and what they may do: `Bearer <token>` of a live
/// (unrevoked, unexpired) token. `None` for any other value.
pub async fn bearer_user(
    store: &dyn Store,
    authorization: &str,
) -> StoreResult<Option<TokenOwner>> {
    let Some(token) = authorization
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
    else {
        return Ok(None);
    };
    store.live_token(&token_hash(token)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn hashes_match_the_standard_argon2_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Hashes stored before pooled memory still verify, and ours verify with the crate's own.
        let salt = SaltString::generate(&mut OsRng);
        let standard = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &standard));
        assert!(!verify_password("correct horsf", &standard));
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        assert_eq!(
            ours.split('$').take(4).collect::<Vec<_>>(),
            standard.split('$').take(4).collect::<Vec<_>>(),
            "same algorithm, version and parameters"
        );
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (first, first_hash) = new_token();
        let (second, _) = new_token();
        assert_ne!(first, second);
        assert!(first.starts_with(TOKEN_PREFIX));
        assert_eq!(first_hash, token_hash(&first));
        assert_eq!(first_hash.len(), 32);
    }

    #[tokio::test]
    async fn queued_hashes_verify_like_direct_ones() {
        let hash = hash_password_queued("correct horse".into()).await.unwrap();
        assert!(verify_sign_in_queued("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify_sign_in_queued("wrong horse".into(), Some(hash)).await);
        assert!(!verify_sign_in_queued("correct horse".into(), None).await);
    }

    #[test]
    fn labels_with_control_characters_are_refused() {
        assert!(matches!(
            checked_label("CRM\0sync"),
            Err(AccountError::InvalidLabel)
        ));
        assert_eq!(checked_label("  CRM sync ").unwrap(), "CRM sync");
    }

    #[test]
    fn tokens_expire_in_1_to_3650_days_or_never() {
        let now = Timestamp::parse("2025-01-01T00:00:00.000Z").unwrap();
        let in_days = |days| TokenTerms {
            scope: TokenScope::Read,
            expires_in_days: days,
        };
        assert_eq!(in_days(None).expires_at(now).unwrap(), None);
        assert_eq!(
            in_days(Some(30)).expires_at(now).unwrap(),
            Some(Timestamp::parse("2025-01-31T00:00:00.000Z").unwrap())
        );
        assert!(in_days(Some(3650)).expires_at(now).unwrap().is_some());
        for bad in [0, 3651, u16::MAX] {
            assert!(matches!(
                in_days(Some(bad)).expires_at(now),
                Err(AccountError::InvalidExpiry)
            ));
        }
        assert_eq!(TokenTerms::default().scope, TokenScope::Write);
    }

    #[test]
    fn generated_user_ids_are_valid() {
        let id = new_user_id();
        assert!(UserId::parse(id.as_str()).is_some());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalise_email("  Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        assert!(normalise_email("nobody").is_err());
        assert!(normalise_email("a@b").is_err());
        assert!(normalise_email("ana\0@example.com").is_err());
        assert!(normalise_email("ana lopez@example.com").is_err());
    }
}
