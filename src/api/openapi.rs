//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the Rust types and handlers.

use super::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::domain::*;
use crate::state::AppState;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ICP Builder API",
        description = "Create and manage Ideal Customer Profiles (ICPs) for lead generation. \
            Authenticate with `Authorization: Bearer <token>` (create one with `icp-builder tokens create`). \
            Every error is `{\"error\": {\"code\", \"message\", \"details\"?}}`; 400s list every problem of \
            the body at its JSON path."
    ),
    components(schemas(
        Icp, IcpDraft, IcpPatch, LeadSource, LeadProvider, LeadKind, LeadFilters, LocationFilter,
        CompanyFilter, EmployeeSize, CustomFilter, WebsiteProvider, ScrapingProvider, EntityType,
        Percent, CrmFilters, CrmProvider, CrmCondition, CrmMode, CrmValue, UserId, Timestamp,
        FieldError, ErrorBody, ErrorCode, ErrorDetail, Event, EventData, EventType,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "ICPs", description = "Ideal Customer Profiles"),
        (name = "Users", description = "The members of the caller's workspace"),
        (name = "History", description = "An ICP's versions, restoring them, recently deleted ICPs, and owners"),
        (name = "Vocabularies", description = "The values the base provider's filters are picked from"),
        (name = "Events", description = "Every change to the ICPs the caller may see, in order"),
        (name = "Webhooks", description = "Endpoints that receive the caller's events as signed POSTs (Standard Webhooks 1.0)")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("icp_…")
                    .build(),
            ),
        );
    }
}

/// The body of a PATCH: any subset of the create fields. (Documentation only: updates are
/// validated by merging into the stored ICP and running the create validation.)
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IcpPatch {
    name: Option<String>,
    description: Option<String>,
    lead_provider_criteria: Option<Vec<LeadSource>>,
    custom_filter_criteria: Option<Vec<CustomFilter>>,
    crm_filters: Option<CrmFilters>,
    user_ids: Option<Vec<UserId>>,
    #[schema(minimum = 1, maximum = 1000)]
    leads_per_list: Option<u16>,
    active_until: Option<Timestamp>,
}

/// One of the reference page's examples, shipped in `src/api/examples/`.
pub fn example(name: &str) -> Value {
    let text = match name {
        "basic-icp" => include_str!("examples/basic-icp.json"),
        "crm-integration" => include_str!("examples/crm-integration.json"),
        "ai-filtering" => include_str!("examples/ai-filtering.json"),
        "created-201" => include_str!("examples/created-201.json"),
        _ => "null",
    };
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The API's routes and its OpenAPI document, both from the handlers' `#[utoipa::path]`s, with
/// the request bodies exactly as the validator takes them (`contract`).
pub fn routes_and_document() -> (Router<AppState>, Value) {
    let (routes, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::icps::router())
        .merge(super::users::router())
        .merge(super::history::router())
        .merge(super::vocabularies::router())
        .merge(super::events::router())
        .merge(super::webhooks::router())
        .split_for_parts();
    let mut document = serde_json::to_value(document).unwrap_or(Value::Null);
    super::contract::apply(&mut document);
    authenticated(&mut document);
    (routes, document)
}

/// Every operation is the caller's (`AuthUser`): it needs the bearer token, and answers 401
/// without a valid one (the plain error body, where the operation says no more about it).
fn authenticated(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|path| path.values_mut());
    for operation in operations {
        operation["security"] = json!([{"bearer": []}]);
        let responses = &mut operation["responses"];
        if responses.get("401").is_none() {
            responses["401"] = json!({
                "description": "",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_examples_pass_validation() {
        for name in ["basic-icp", "crm-integration", "ai-filtering"] {
            assert!(validate_draft(&example(name)).is_ok(), "{name}");
        }
    }

    #[test]
    fn document_lists_every_operation() {
        let doc = routes_and_document().1;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let icps = &doc["paths"]["/api/v1/entities/icps"];
        let one = &doc["paths"]["/api/v1/entities/icps/{id}"];
        for operation in [
            &icps["get"],
            &icps["post"],
            &one["get"],
            &one["patch"],
            &one["delete"],
        ] {
            assert!(operation.is_object());
        }
        assert!(doc["paths"]["/api/v1/entities/users"]["get"].is_object());
        assert!(doc["components"]["schemas"]["CustomFilter"].is_object());
    }
}
