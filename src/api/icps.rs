//! `/api/v1/entities/icps`: create, read, list, update and delete ICPs.

use super::caller::AuthUser;
use super::error::{ApiError, ErrorBody};
use super::json::ApiJson;
use crate::domain::{FieldError, Icp, IcpDraft, Timestamp, UserId};
use crate::icps;
use crate::icps::idempotent::{self, Created};
use crate::state::AppState;
use crate::store::{DynStore, ListCursor, ListFilter};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub const ICPS_PATH: &str = "/api/v1/entities/icps";
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";
pub const IDEMPOTENCY_KEY: header::HeaderName = header::HeaderName::from_static("idempotency-key");
/// Set on a create's response that repeats the first response to its `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: header::HeaderName =
    header::HeaderName::from_static("idempotent-replayed");
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;
/// Limits of the list's `q`.
pub const MAX_SEARCH_CHARS: usize = 200;
pub const MAX_SEARCH_WORDS: usize = 20;

/// The routes, taken from the handlers' `#[utoipa::path]`s, so the router and the OpenAPI document
/// cannot disagree.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_icps, create_icp))
        .routes(routes!(validate_icp))
        .routes(routes!(get_icp, update_icp, delete_icp))
}

/// An ICP's entity tag: its `updatedAt` in milliseconds, which every change moves (strong: the
/// same tag is the same bytes).
fn etag(icp: &Icp) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!("\"{}\"", icp.updated_at.millis())).map_err(ApiError::internal)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Result<Option<&str>, ApiError> {
    headers
        .get(&name)
        .map(|value| {
            value.to_str().map_err(|_| ApiError::BadRequest {
                message: format!("Invalid {name} header"),
                details: Vec::new(),
            })
        })
        .transpose()
}

/// `If-Match`: `*`, or the versions it names (strong comparison: weak tags never match).
fn if_match(headers: &HeaderMap) -> Result<icps::IfMatch, ApiError> {
    let Some(value) = header_text(headers, header::IF_MATCH)? else {
        return Ok(icps::IfMatch::Any);
    };
    if value.trim() == "*" {
        return Ok(icps::IfMatch::Any);
    }
    Ok(icps::IfMatch::OneOf(
        value
            .split(',')
            .filter_map(|tag| {
                let millis = tag.trim().strip_prefix('"')?.strip_suffix('"')?;
                Timestamp::from_millis(millis.parse().ok()?)
            })
            .collect(),
    ))
}

/// Whether `If-None-Match` names `etag` (weak comparison) or is `*`.
fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> Result<bool, ApiError> {
    let Some(value) = header_text(headers, header::IF_NONE_MATCH)? else {
        return Ok(false);
    };
    let etag = etag.to_str().unwrap_or_default();
    Ok(value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag))
}

/// Creates an ICP.
#[utoipa::path(
    post,
    path = "/api/v1/entities/icps",
    tag = "ICPs",
    request_body(content = IcpDraft, description = "The ICP to create", examples(
        ("Basic ICP" = (value = json!(super::openapi::example("basic-icp")))),
        ("ICP with CRM Integration" = (value = json!(super::openapi::example("crm-integration")))),
        ("ICP with AI Filtering" = (value = json!(super::openapi::example("ai-filtering")))),
    )),
    params(
        ("Idempotency-Key" = Option<String>, Header, max_length = 255, description = "Makes retries safe: the same \
            key from the same user within 24 hours answers the first create's response (same status, \
            `Location`, `ETag` and body, plus `Idempotent-Replayed: true`) without creating again. A retry \
            while the first request still runs waits up to 5 s for it, then answers 409. The same key \
            with another body answers 422. Only creates are remembered: a refused request frees its key."),
    ),
    responses(
        (status = 201, description = "The created ICP; the caller is in `userIds`", body = Icp,
            headers(
                ("Location" = String, description = "The new ICP's URL"),
                ("ETag" = String, description = "Its version"),
                ("Idempotent-Replayed" = String, description = "`true` when this repeats the first response to the `Idempotency-Key`")
            ),
            example = json!(super::openapi::example("created-201"))),
        (status = 400, description = "Invalid body: every problem at its JSON path", body = ErrorBody,
            example = json!({"error": {"code": "BAD_REQUEST", "message": "Invalid request body", "details": [{"path": ["name"], "message": "Required"}]}})),
        (status = 401, description = "No valid credential", body = ErrorBody,
            example = json!({"error": {"code": "UNAUTHORIZED", "message": "User not authenticated"}})),
        (status = 409, description = "The request holding this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 413, description = "Body over 256 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "The `Idempotency-Key` was used with another body", body = ErrorBody,
            example = json!({"error": {"code": "UNPROCESSABLE_ENTITY", "message": "Idempotency-Key 'order-42' was already used with a different request body; use a new key for a different request"}})),
        (status = 500, description = "Unexpected error (logged with the request id)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn create_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    headers: HeaderMap,
    ApiJson(body): ApiJson,
) -> Result<Response, ApiError> {
    let Some(key) = header_text(&headers, IDEMPOTENCY_KEY)? else {
        let icp = icps::create(store.as_ref(), &user, &body, false).await?;
        return created(&icp, Json(&icp).into_response(), false);
    };
    idempotent::check_key(key).map_err(|message| ApiError::BadRequest {
        message,
        details: Vec::new(),
    })?;
    match idempotent::create_once(store.as_ref(), &user, key, &body).await? {
        Created::New(icp) => created(&icp, Json(&icp).into_response(), false),
        Created::Replayed { icp, body } => {
            let json = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            created(&icp, json, true)
        }
    }
}

/// A create's 201: `body`, with the new ICP's `Location` and `ETag` (and `Idempotent-Replayed`
/// when it repeats an earlier response).
fn created(icp: &Icp, body: Response, replayed: bool) -> Result<Response, ApiError> {
    let location =
        HeaderValue::from_str(&format!("{ICPS_PATH}/{}", icp.id)).map_err(ApiError::internal)?;
    let mut response = (
        StatusCode::CREATED,
        [(header::LOCATION, location), (header::ETAG, etag(icp)?)],
        body,
    )
        .into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

pub(super) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::BadRequest {
        message: "Invalid ICP id".into(),
        details: vec![FieldError::new(
            vec!["id".into()],
            format!("'{raw}' is not a UUID"),
        )],
    })
}

/// Fetches one ICP.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(
        ("id" = Uuid, Path, description = "The ICP's id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read: 304 while it is current"),
    ),
    responses(
        (status = 200, body = Icp, headers(("ETag" = String, description = "The version: changes with `updatedAt`"))),
        (status = 304, description = "`If-None-Match` names the current version"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not in the ICP's `userIds`", body = ErrorBody,
            example = json!({"error": {"code": "FORBIDDEN", "message": "You do not have access to ICP 550e8400-e29b-41d4-a716-446655440000"}})),
        (status = 404, body = ErrorBody,
            example = json!({"error": {"code": "NOT_FOUND", "message": "ICP not found: 550e8400-e29b-41d4-a716-446655440000"}})),
    ),
    security(("bearer" = []))
)]
async fn get_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let icp = icps::get_for(store.as_ref(), &user, parse_id(&id)?).await?;
    let tag = etag(&icp)?;
    if none_match(&headers, &tag)? {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok(([(header::ETAG, tag)], Json(icp)).into_response())
}

/// The list endpoint's query: `limit`, `cursor` and the filters.
struct ListQuery {
    limit: u32,
    after: Option<ListCursor>,
    filter: ListFilter,
    /// The filters as given (decoded), for the next page's link.
    filter_params: Vec<(&'static str, String)>,
}

fn bad_param(key: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(vec![key.into()], message)
}

fn parse_list_query(query: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut list = ListQuery {
        limit: DEFAULT_PAGE,
        after: None,
        filter: ListFilter::default(),
        filter_params: Vec::new(),
    };
    let mut details = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if seen.contains(&key.to_string()) {
            details.push(bad_param(&key, "Given more than once"));
            continue;
        }
        seen.push(key.to_string());
        match &*key {
            "limit" => match value.parse::<u32>() {
                Ok(limit @ 1..=MAX_PAGE) => list.limit = limit,
                _ => details.push(bad_param(
                    "limit",
                    format!("Must be a whole number from 1 to {MAX_PAGE}"),
                )),
            },
            "cursor" => match ListCursor::decode(&value) {
                Some(cursor) => list.after = Some(cursor),
                None => details.push(bad_param(
                    "cursor",
                    "Invalid cursor; pass the x-next-cursor header of the previous page unchanged",
                )),
            },
            "q" => {
                let words = ListFilter::words_of(&value);
                if value.chars().count() > MAX_SEARCH_CHARS {
                    details.push(bad_param(
                        "q",
                        format!("Must be at most {MAX_SEARCH_CHARS} characters"),
                    ));
                } else if words.len() > MAX_SEARCH_WORDS {
                    details.push(bad_param(
                        "q",
                        format!("Must be at most {MAX_SEARCH_WORDS} words"),
                    ));
                } else {
                    list.filter.words = words;
                    list.filter_params.push(("q", value.into_owned()));
                }
            }
            "active" => match &*value {
                "true" | "false" => {
                    list.filter.active = Some(value == "true");
                    list.filter_params.push(("active", value.into_owned()));
                }
                _ => details.push(bad_param("active", "Must be true or false")),
            },
            "sharedWith" => match UserId::parse(&value) {
                Some(user) => {
                    list.filter.shared_with = Some(user);
                    list.filter_params.push(("sharedWith", value.into_owned()));
                }
                None => details.push(bad_param(
                    "sharedWith",
                    format!(
                        "Invalid user id '{value}'; expected user_ followed by letters and digits (at most {} characters)",
                        UserId::MAX_LEN
                    ),
                )),
            },
            _ => details.push(bad_param(
                &key,
                "Unknown query parameter; use limit, cursor, q, active and sharedWith",
            )),
        }
    }
    if details.is_empty() {
        Ok(list)
    } else {
        Err(ApiError::BadRequest {
            message: "Invalid query parameters".into(),
            details,
        })
    }
}

/// Lists the caller's ICPs, newest first, optionally narrowed.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps",
    tag = "ICPs",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1–100 (default 50)", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "The `x-next-cursor` header of the previous page"),
        ("q" = Option<String>, Query, max_length = 200, description = "Words that must each appear in the name or \
            description, ignoring case and accents (`dach` finds \"DACH Tech\", `munchen` finds \"München\"); \
            at most 200 characters and 20 words"),
        ("active" = Option<bool>, Query, description = "`true`: only ICPs active now (no `activeUntil`, or one \
            still ahead); `false`: only expired ones"),
        ("sharedWith" = Option<String>, Query, description = "Only ICPs also shared with this user id"),
    ),
    responses(
        (status = 200, description = "ICPs shared with the caller that match the filters, newest first. When \
            more follow, the `x-next-cursor` header holds the cursor of the next page and `Link` its URL \
            (rel=\"next\", with the same filters).",
            body = Vec<Icp>,
            headers(("x-next-cursor" = String, description = "Cursor of the next page, absent on the last"))),
        (status = 400, description = "Bad `limit`, `cursor`, `q`, `active` or `sharedWith`, or an unknown parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list_icps(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let list = parse_list_query(query.as_deref())?;
    let found = icps::list(store.as_ref(), &user, &list.filter, list.after, list.limit).await?;
    let mut headers = HeaderMap::new();
    if let Some(next) = found.next {
        let cursor = next.encode();
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("limit", &list.limit.to_string());
        for (key, value) in &list.filter_params {
            link.append_pair(key, value);
        }
        link.append_pair("cursor", &cursor);
        let link = format!("<{ICPS_PATH}?{}>; rel=\"next\"", link.finish());
        for (name, value) in [(NEXT_CURSOR_HEADER, cursor), ("link", link)] {
            headers.insert(
                name,
                HeaderValue::from_str(&value).map_err(ApiError::internal)?,
            );
        }
    }
    Ok((headers, Json(found.icps)))
}

/// Updates an ICP partially.
#[utoipa::path(
    patch,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(
        ("id" = Uuid, Path, description = "The ICP's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag read before: 412 unless it is still current"),
    ),
    request_body(content = super::openapi::IcpPatch, description = "Only the fields to change; `null` clears description, activeUntil and crmFilters",
        example = json!({"name": "DACH Tech Leaders (Q3)", "activeUntil": null})),
    responses(
        (status = 200, description = "The whole updated ICP", body = Icp,
            headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "`If-Match` names another version than the current one", body = ErrorBody,
            example = json!({"error": {"code": "PRECONDITION_FAILED", "message": "ICP 550e8400-e29b-41d4-a716-446655440000 has changed since you read it; read it again and retry"}})),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Concurrent updates kept colliding", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn update_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson,
) -> Result<Response, ApiError> {
    let condition = if_match(&headers)?;
    let icp = icps::update_if(
        store.as_ref(),
        &user,
        parse_id(&id)?,
        &patch,
        None,
        &condition,
    )
    .await?;
    Ok(([(header::ETAG, etag(&icp)?)], Json(icp)).into_response())
}

/// Deletes an ICP.
#[utoipa::path(
    delete,
    path = "/api/v1/entities/icps/{id}",
    tag = "ICPs",
    params(
        ("id" = Uuid, Path, description = "The ICP's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag read before: 412 unless it is still current"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "`If-Match` names another version than the current one", body = ErrorBody),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn delete_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let condition = if_match(&headers)?;
    icps::delete_if(store.as_ref(), &user, parse_id(&id)?, &condition).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks an ICP body exactly as a create would, and answers what would be stored (without its
/// id and timestamps); nothing is stored.
#[utoipa::path(
    post,
    path = "/api/v1/entities/icps/validate",
    tag = "ICPs",
    request_body(content = IcpDraft, description = "An ICP as it would be created"),
    responses(
        (status = 200, description = "Valid: the body as it would be stored (the caller in `userIds`)", body = IcpDraft),
        (status = 400, description = "Invalid: every problem at its JSON path", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn validate_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    ApiJson(body): ApiJson,
) -> Result<Json<IcpDraft>, ApiError> {
    Ok(Json(icps::dry_run(store.as_ref(), &user, &body).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_paths_are_the_served_ones() {
        let (_, doc) = router().split_for_parts();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        assert_eq!(
            paths,
            [
                ICPS_PATH,
                &format!("{ICPS_PATH}/validate"),
                &format!("{ICPS_PATH}/{{id}}")
            ]
        );
    }

    #[test]
    fn list_parameters_are_checked() {
        let page = parse_list_query(Some("limit=5")).unwrap();
        assert_eq!(page.limit, 5);
        assert!(page.after.is_none());
        assert!(page.filter.is_empty());
        assert_eq!(parse_list_query(None).unwrap().limit, DEFAULT_PAGE);
        let filtered =
            parse_list_query(Some("q=M%C3%BCnchen+SaaS&active=false&sharedWith=user_ab")).unwrap();
        assert_eq!(filtered.filter.words, ["munchen", "saas"]);
        assert_eq!(filtered.filter.active, Some(false));
        assert_eq!(filtered.filter.shared_with, UserId::parse("user_ab"));
        assert_eq!(filtered.filter_params[0], ("q", "München SaaS".to_owned()));
        let too_long = format!("q={}", "a".repeat(MAX_SEARCH_CHARS + 1));
        for bad in [
            "limit=0",
            "limit=101",
            "limit=x",
            "cursor=zzz",
            "offset=3",
            "active=yes",
            "sharedWith=bob",
            "limit=5&limit=6",
            &too_long,
        ] {
            assert!(parse_list_query(Some(bad)).is_err(), "{bad}");
        }
    }
}
