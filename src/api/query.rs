//! Reading a query string: every problem found at once, each at its parameter's name.

use super::error::ApiError;
use super::list::{DEFAULT_PAGE, MAX_PAGE};
use crate::domain::FieldError;

/// A problem with the query parameter `key`.
pub fn bad_param(key: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(vec![key.into()], message)
}

/// Notes that `key` was given; the problem to report when it was given before.
fn given_again(seen: &mut Vec<String>, key: &str) -> Option<FieldError> {
    if seen.iter().any(|name| name == key) {
        return Some(bad_param(key, "Given more than once"));
    }
    seen.push(key.to_owned());
    None
}

/// `parsed` when its query string had no problems; else 400 "Invalid query parameters" with them.
pub fn checked<T>(parsed: T, details: Vec<FieldError>) -> Result<T, ApiError> {
    if details.is_empty() {
        Ok(parsed)
    } else {
        Err(ApiError::BadRequest {
            message: "Invalid query parameters".into(),
            details,
        })
    }
}

/// Reads a query string whose parameters may each be given once: `read` takes each name and value
/// into `parsed` or answers the problem with it. `parsed` when no parameter had a problem; else 400
/// "Invalid query parameters" with every problem found.
pub fn read_query<T>(
    query: Option<&str>,
    mut parsed: T,
    mut read: impl FnMut(&mut T, &str, std::borrow::Cow<'_, str>) -> Result<(), FieldError>,
) -> Result<T, ApiError> {
    let mut details = Vec::new();
    let mut seen = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let read = match given_again(&mut seen, &key) {
            Some(problem) => Err(problem),
            None => read(&mut parsed, &key, value),
        };
        details.extend(read.err());
    }
    checked(parsed, details)
}

/// A paged list's query: how many a page holds (`limit`, 1 to `MAX_PAGE`, else `DEFAULT_PAGE`)
/// and the list's own parameters.
#[derive(Debug, PartialEq)]
pub struct Paged<T> {
    pub limit: u32,
    pub params: T,
}

/// Reads a paged list's query as `read_query` does: `limit` here, every other parameter by `read`
/// into `params`.
pub fn read_paged_query<T>(
    query: Option<&str>,
    params: T,
    mut read: impl FnMut(&mut T, &str, std::borrow::Cow<'_, str>) -> Result<(), FieldError>,
) -> Result<Paged<T>, ApiError> {
    let start = Paged {
        limit: DEFAULT_PAGE,
        params,
    };
    read_query(query, start, |paged, key, value| match key {
        "limit" => {
            paged.limit = page_limit(&value, MAX_PAGE)?;
            Ok(())
        }
        _ => read(&mut paged.params, key, value),
    })
}

/// `limit`'s value: a whole number from 1 to `max`.
pub fn page_limit<N: std::str::FromStr + PartialOrd + From<u8> + std::fmt::Display>(
    value: &str,
    max: N,
) -> Result<N, FieldError> {
    match value.parse::<N>() {
        Ok(limit) if limit >= N::from(1) && limit <= max => Ok(limit),
        _ => Err(bad_param(
            "limit",
            format!("Must be a whole number from 1 to {max}"),
        )),
    }
}

/// The problem of a parameter this query does not have; `known` names those it has.
pub fn unknown_param(key: &str, known: &str) -> FieldError {
    bad_param(key, format!("Unknown query parameter; use {known}"))
}
