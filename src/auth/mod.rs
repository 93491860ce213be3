//! Who is calling: password hashing, API tokens, sessions and the `AuthUser` extractor.

pub mod limiter;
pub mod origin;
pub mod session;
pub mod web;

use crate::api::ApiError;
use crate::domain::UserId;
use crate::server::AppState;
use crate::store::{Store, StoreError, User};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};
use tower_sessions::Session;
use uuid::Uuid;

/// Prefix of every API token, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "icp_";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
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

/// Why an account or token could not be made; one variant per field, so forms can point at it.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("enter an email address like name@company.com")]
    InvalidEmail,
    #[error("the name must be 1 to 200 characters")]
    InvalidName,
    #[error("the password must be at least 8 characters")]
    ShortPassword,
    #[error("the label must be 1 to 100 characters")]
    InvalidLabel,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("no user has the email {0}")]
    UnknownEmail(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
}

/// Normalises an email for storage and look-up.
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(AccountError::InvalidEmail)
    }
}

pub const MIN_PASSWORD_LEN: usize = 8;

/// Creates an account; the id is new and random.
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    name: &str,
    password: &str,
) -> Result<User, AccountError> {
    let email = normalise_email(email)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AccountError::InvalidName);
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AccountError::ShortPassword);
    }
    let hash = hash_password(password).map_err(AccountError::Hash)?;
    let user = User {
        id: new_user_id(),
        email,
        name: name.to_owned(),
    };
    match store.create_user(&user, &hash).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(other) => Err(AccountError::Store(other)),
    }
}

/// Creates an API token for the user with `email`; returns it (the only time it is visible).
pub async fn create_token(
    store: &dyn Store,
    email: &str,
    label: &str,
) -> Result<(Uuid, String), AccountError> {
    let email = normalise_email(email)?;
    let label = checked_label(label)?;
    let record = store
        .user_by_email(&email)
        .await
        .map_err(AccountError::Store)?
        .ok_or(AccountError::UnknownEmail(email))?;
    create_token_for(store, &record.user.id, label).await
}

/// Creates an API token for `user`; returns its id and the token (the only time it is visible).
pub async fn create_token_for(
    store: &dyn Store,
    user: &UserId,
    label: &str,
) -> Result<(Uuid, String), AccountError> {
    let label = checked_label(label)?;
    let (token, hash) = new_token();
    let id = Uuid::now_v7();
    store
        .create_token(id, user, label, &hash)
        .await
        .map_err(AccountError::Store)?;
    Ok((id, token))
}

fn checked_label(label: &str) -> Result<&str, AccountError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(AccountError::InvalidLabel);
    }
    Ok(label)
}

/// The signed-in caller: by `Authorization: Bearer <token>`, or else by the session cookie. Extracting
/// it answers 401 when there is no valid credential, before the body is read. (Cookie-authenticated
/// writes must also pass the same-origin check, a layer in front of every route.)
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserId);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(header) = parts.headers.get(header::AUTHORIZATION) {
            let token = header
                .to_str()
                .ok()
                .and_then(|value| {
                    let (scheme, token) = value.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
                })
                .filter(|token| !token.is_empty())
                .ok_or(ApiError::Unauthorized)?;
            let user = state
                .store
                .user_by_token_hash(&token_hash(token))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(AuthUser(user));
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        session::session_user(&session)
            .await
            .map(AuthUser)
            .ok_or(ApiError::Unauthorized)
    }
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
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (first, first_hash) = new_token();
        let (second, _) = new_token();
        assert_ne!(first, second);
        assert!(first.starts_with(TOKEN_PREFIX));
        assert_eq!(first_hash, token_hash(&first));
        assert_eq!(first_hash.len(), 32);
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
    }
}
