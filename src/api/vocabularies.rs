//! `GET /api/v1/vocabularies/{name}`: the values the base provider's filters are picked from
//! (see `crate::vocabularies`), searched by `q`.

use super::caller::AuthUser;
use super::error::{ApiError, ErrorBody};
use super::query::{bad_param, checked, page_limit, unknown_param};
use crate::state::AppState;
use crate::vocabularies::{Found, Vocabulary, DEFAULT_TERMS, MAX_QUERY_CHARS, MAX_TERMS};
use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(vocabulary))
}

/// Terms of a vocabulary that match a query, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Terms {
    #[schema(example = "countries")]
    pub vocabulary: &'static str,
    /// Where the vocabulary comes from (a published standard and the package it was taken from).
    pub source: &'static str,
    pub version: &'static str,
    pub terms: Vec<Found>,
}

struct TermsQuery {
    q: String,
    country: Option<String>,
    limit: usize,
}

fn parse_query(vocabulary: Vocabulary, query: Option<&str>) -> Result<TermsQuery, ApiError> {
    let mut found = TermsQuery {
        q: String::new(),
        country: None,
        limit: DEFAULT_TERMS,
    };
    let mut details = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "q" if value.chars().count() > MAX_QUERY_CHARS => details.push(bad_param(
                "q",
                format!("Must be at most {MAX_QUERY_CHARS} characters"),
            )),
            "q" if value.contains('\0') => details.push(bad_param(
                "q",
                "Must not contain the NUL character (\\u0000)",
            )),
            "q" => found.q = value.into_owned(),
            "limit" => match page_limit(&value, MAX_TERMS) {
                Ok(limit) => found.limit = limit,
                Err(problem) => details.push(problem),
            },
            "country" if vocabulary != Vocabulary::Regions => {
                details.push(bad_param("country", "Only regions are narrowed by country"))
            }
            "country" => match Vocabulary::Countries.resolve(&value) {
                Some(country) => found.country = country.code.clone(),
                None => details.push(bad_param(
                    "country",
                    format!(
                        "Unknown country '{}'",
                        value.chars().take(40).collect::<String>()
                    ),
                )),
            },
            _ => details.push(unknown_param(&key, "q, limit and (for regions) country")),
        }
    }
    checked(found, details)
}

/// The terms of a vocabulary that match `q`, best first: those it names exactly (by name, code
/// or alias, ignoring case and accents: `Schweiz`, `CH` and `switzerland` are Switzerland), then
/// those starting with it, then those with a word starting with it, then those containing it.
#[utoipa::path(
    get,
    path = "/api/v1/vocabularies/{name}",
    description = "Values for the base provider's filters: `countries` (ISO 3166-1, for \
        `location.country`), `regions` (ISO 3166-2, for `location.state`; `country` narrows them), \
        `seniorities` (`seniority`), `employee-sizes` (bands with the `min`/`max` of \
        `company.employee_size`) and `industries` (NAICS 2022 sectors and subsectors, for \
        `company.industry`). An ICP stores a term's `value`; values not in a vocabulary are still \
        accepted by the ICP endpoints, as the reference's `filters` are open.",
    params(
        ("name" = String, Path, description = "countries, regions, seniorities, employee-sizes or industries"),
        ("q" = Option<String>, Query, max_length = 100, description = "What was typed; empty lists the vocabulary from its start"),
        ("country" = Option<String>, Query, description = "Regions only: a country (name, code or alias) whose regions to list"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 50, description = "Most terms to answer (default 20)"),
    ),
    responses(
        (status = 200, description = "Matching terms, best first", body = Terms,
            example = json!({"vocabulary": "countries", "source": "ISO 3166-1 …", "version": "…",
                "terms": [{"value": "Switzerland", "code": "CH", "aliases": ["CHE", "Schweiz", "Suisse", "Svizzera"], "exact": true}]})),
        (status = 400, description = "Bad `q`, `limit` or `country`, or an unknown parameter", body = ErrorBody),
        (status = 404, description = "No such vocabulary", body = ErrorBody),
    ),
)]
async fn vocabulary(
    AuthUser(_): AuthUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let vocabulary = Vocabulary::parse(&name).ok_or_else(|| {
        let known: Vec<&str> = Vocabulary::ALL.iter().map(|v| v.as_str()).collect();
        ApiError::NotFound(format!(
            "No vocabulary named '{}'; there are {}",
            name.chars().take(40).collect::<String>(),
            known.join(", ")
        ))
    })?;
    let query = parse_query(vocabulary, query.as_deref())?;
    let terms = vocabulary.search(&query.q, query.country.as_deref(), query.limit);
    Ok((
        // The same for everyone and for a release's life: the browser may keep it an hour.
        [(header::CACHE_CONTROL, "private, max-age=3600")],
        Json(Terms {
            vocabulary: vocabulary.as_str(),
            source: vocabulary.source(),
            version: vocabulary.version(),
            terms,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked() {
        let regions =
            parse_query(Vocabulary::Regions, Some("q=z&country=Schweiz&limit=5")).unwrap();
        assert_eq!(regions.country.as_deref(), Some("CH"));
        assert_eq!(regions.limit, 5);
        for bad in [
            "limit=0",
            "limit=51",
            "country=Atlantis",
            "q=%00",
            "sort=name",
            &format!("q={}", "a".repeat(MAX_QUERY_CHARS + 1)),
        ] {
            assert!(
                parse_query(Vocabulary::Regions, Some(bad)).is_err(),
                "{bad}"
            );
        }
        assert!(parse_query(Vocabulary::Countries, Some("country=CH")).is_err());
    }
}
