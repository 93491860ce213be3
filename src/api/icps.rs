//! `/api/v1/entities/icps`: create, read, list, update and delete ICPs.

use super::caller::{AuthUser, Caller};
use super::error::{ApiError, BodyRejections, ErrorBody};
use super::json::ApiJson;
use crate::domain::{FieldError, Icp, IcpDraft, Timestamp};
use crate::icps;
use crate::icps::idempotent::{self, Created};
use crate::state::AppState;
use crate::store::{DynStore, IcpJson};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub const ICPS_PATH: &str = "/api/v1/entities/icps";
pub const IDEMPOTENCY_KEY: header::HeaderName = header::HeaderName::from_static("idempotency-key");
/// Set on a create's response that repeats the first response to its `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: header::HeaderName =
    header::HeaderName::from_static("idempotent-replayed");

/// The routes, taken from the handlers' `#[utoipa::path]`s, so the router and the OpenAPI document
/// cannot disagree.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(super::list::list_icps, create_icp))
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
    request_body(content = IcpDraft, description = "The ICP to create", examples(
        ("Basic ICP" = (value = json!(super::openapi::example("basic-icp")))),
        ("ICP with CRM Integration" = (value = json!(super::openapi::example("crm-integration")))),
        ("ICP with AI Filtering" = (value = json!(super::openapi::example("ai-filtering")))),
    )),
    params(
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$", description = "Makes retries safe: the same \
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
        (status = 413, description = format!("Body over {}", crate::domain::size_in_words(crate::domain::Limits::BODY_BYTES)), body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "The `Idempotency-Key` was used with another body", body = ErrorBody,
            example = json!({"error": {"code": "UNPROCESSABLE_ENTITY", "message": "Idempotency-Key 'order-42' was already used with a different request body; use a new key for a different request"}})),
        (status = 500, description = "Unexpected error (logged with the request id)", body = ErrorBody),
    ),
)]
async fn create_icp(
    AuthUser(user): AuthUser,
    State(store): State<DynStore>,
    headers: HeaderMap,
    ApiJson(body, nul): ApiJson,
) -> Result<Response, ApiError> {
    let Some(key) = header_text(&headers, IDEMPOTENCY_KEY)? else {
        // The ICP's text as the store wrote it: what `Json(&icp)` would write, not written again.
        let (icp, json) = icps::create_with_json(store.as_ref(), &user, &body, nul).await?;
        let json = Body::from(Bytes::from_owner(JsonText(json)));
        let json = ([(header::CONTENT_TYPE, "application/json")], json).into_response();
        return created(&icp, json, false);
    };
    idempotent::check_key(key).map_err(|message| ApiError::BadRequest {
        message,
        details: Vec::new(),
    })?;
    match idempotent::create_once(store.as_ref(), &user, key, &body, nul).await? {
        Created::New(icp) => created(&icp, Json(&icp).into_response(), false),
        Created::Replayed { icp, body } => {
            let json = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            created(&icp, json, true)
        }
    }
}

/// An ICP's stored JSON text as an answer's body, shared, not copied.
struct JsonText(IcpJson);

impl AsRef<[u8]> for JsonText {
    fn as_ref(&self) -> &[u8] {
        self.0.get().as_bytes()
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
    parse_uuid(raw, "id", "Invalid ICP id")
}

/// The UUID in path parameter `param`; else 400 `message` at `param`.
pub(super) fn parse_uuid(raw: &str, param: &str, message: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw).map_err(|_| ApiError::BadRequest {
        message: message.into(),
        details: vec![FieldError::new(
            vec![param.into()],
            format!("'{raw}' is not a UUID"),
        )],
    })
}

/// The `{id}` of an ICP's path, as the document describes it (a handler reads it as text, so that
/// a malformed one gets our 400: `parse_id`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IcpId {
    /// The ICP's id
    pub id: Uuid,
}

/// The `If-Match` of a change, as the document describes it (read by `if_match`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The ETag read before: 412 unless it is still current
    #[param(rename = "If-Match")]
    pub if_match: Option<String>,
}

/// Fetches one ICP.
#[utoipa::path(
    get,
    path = "/api/v1/entities/icps/{id}",
    params(
        IcpId,
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier read: 304 while it is current"),
    ),
    responses(
        (status = 200, body = Icp, headers(("ETag" = String, description = "The version: changes with `updatedAt`"))),
        (status = 304, description = "`If-None-Match` names the current version"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 403, description = "The caller is not in the ICP's `userIds`", body = ErrorBody,
            example = json!({"error": {"code": "FORBIDDEN", "message": "You do not have access to ICP 550e8400-e29b-41d4-a716-446655440000"}})),
        (status = 404, body = ErrorBody,
            example = json!({"error": {"code": "NOT_FOUND", "message": "ICP not found: 550e8400-e29b-41d4-a716-446655440000"}})),
    ),
)]
async fn get_icp(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let shown = icps::read_for(store.as_ref(), &user, parse_id(&id)?).await?;
    let tag = etag(&shown.icp)?;
    if none_match(&headers, &tag)? {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let json = shown.json().map_err(ApiError::internal)?;
    let content_type = HeaderValue::from_static("application/json");
    Ok((
        [(header::ETAG, tag), (header::CONTENT_TYPE, content_type)],
        json.to_owned(),
    )
        .into_response())
}

/// Updates an ICP partially.
#[utoipa::path(
    patch,
    path = "/api/v1/entities/icps/{id}",
    params(IcpId, IfMatch),
    request_body(content = super::openapi::IcpPatch, description = "Only the fields to change; `null` clears description, activeUntil and crmFilters",
        example = json!({"name": "DACH Tech Leaders (Q3)", "activeUntil": null})),
    responses(
        (status = 200, description = "The whole updated ICP", body = Icp,
            headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "`If-Match` names another version than the current one", body = ErrorBody,
            example = json!({"error": {"code": "PRECONDITION_FAILED", "message": "ICP 550e8400-e29b-41d4-a716-446655440000 has changed since you read it; read it again and retry"}})),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Concurrent updates kept colliding", body = ErrorBody),
    ),
)]
async fn update_icp(
    Caller { user, store }: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch, _): ApiJson,
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
    params(IcpId, IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Concurrent updates kept colliding", body = ErrorBody),
        (status = 412, description = "`If-Match` names another version than the current one", body = ErrorBody),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn delete_icp(
    Caller { user, store }: Caller,
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
    request_body(content = IcpDraft, description = "An ICP as it would be created", examples(
        ("Basic ICP" = (value = json!(super::openapi::example("basic-icp")))),
        ("ICP with AI Filtering" = (value = json!(super::openapi::example("ai-filtering")))),
    )),
    responses(
        (status = 200, description = "Valid: the body as it would be stored (the caller in `userIds`)", body = IcpDraft),
        (status = 400, description = "Invalid: every problem at its JSON path", body = ErrorBody),
        BodyRejections,
    ),
)]
async fn validate_icp(
    Caller { user, store }: Caller,
    ApiJson(body, _): ApiJson,
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
}
