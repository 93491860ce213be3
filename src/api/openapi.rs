//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the Rust types and handlers.

use super::caller::changes;
use super::error::{ErrorBody, ErrorCode, ErrorDetail};
use crate::domain::*;
use crate::state::AppState;
use axum::http::Method;
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
            Authenticate with `Authorization: Bearer <token>` (create one with `icp-builder tokens create`, \
            or on the settings page). A token is `write` (the default) or `read`: a read token may \
            send `GET`s and the dry run `POST /api/v1/entities/icps/validate`, and any other request \
            answers 403 `FORBIDDEN`. An expired token answers 401 like an unknown one. \
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
        .merge(tagged(super::icps::router(), "ICPs"))
        .merge(tagged(super::users::router(), "Users"))
        .merge(tagged(super::history::router(), "History"))
        .merge(tagged(super::vocabularies::router(), "Vocabularies"))
        .merge(tagged(super::events::router(), "Events"))
        .merge(tagged(super::audit::router(), "Users"))
        .merge(tagged(super::webhooks::router(), "Webhooks"))
        .split_for_parts();
    let mut document = serde_json::to_value(document).unwrap_or(Value::Null);
    super::contract::apply(&mut document);
    authenticated(&mut document);
    (routes, document)
}

/// Files every operation of `routes` under `tag` (one of `ApiDoc`'s): a module's operations share
/// one, said here once rather than on each handler.
fn tagged(mut routes: OpenApiRouter<AppState>, tag: &str) -> OpenApiRouter<AppState> {
    for item in routes.get_openapi_mut().paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation.tags = Some(vec![tag.to_owned()]);
        }
    }
    routes
}

/// Every operation is the caller's (`AuthUser`): it needs the bearer token, and answers 401
/// without a valid one, and every one that may change something (`caller::changes`) answers 403
/// to a read token (the plain error body, where the operation says no more about either).
fn authenticated(document: &mut Value) {
    const READ_TOKEN: &str = "The token may only read";
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let error = json!({
        "description": "",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    });
    let operations = paths
        .iter_mut()
        .filter_map(|(path, item)| Some((path, item.as_object_mut()?)))
        .flat_map(|(path, item)| item.iter_mut().map(move |(method, op)| (path, method, op)));
    for (path, method, operation) in operations {
        operation["security"] = json!([{"bearer": []}]);
        let writes = Method::from_bytes(method.to_uppercase().as_bytes())
            .is_ok_and(|method| changes(&method, path));
        let responses = &mut operation["responses"];
        if responses.get("401").is_none() {
            responses["401"] = error.clone();
        }
        if writes {
            let forbidden = responses
                .as_object_mut()
                .map(|all| all.entry("403").or_insert_with(|| error.clone()));
            if let Some(forbidden) = forbidden {
                let said = forbidden["description"].as_str().unwrap_or_default();
                forbidden["description"] = match said {
                    "" => READ_TOKEN.into(),
                    said => format!("{said}; or {}", READ_TOKEN.to_lowercase()).into(),
                };
            }
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
        // Changes answer 403 to a read token; reads and the dry run do not.
        assert!(one["patch"]["responses"]["403"].is_object());
        assert!(icps["post"]["responses"]["403"].is_object());
        let read = one["get"]["responses"]["403"]["description"].as_str();
        assert!(!read.unwrap_or_default().contains("may only read"));
        let validate = &doc["paths"]["/api/v1/entities/icps/validate"]["post"];
        assert!(validate["responses"]["401"].is_object());
        assert!(validate["responses"]["403"].is_null());
        assert!(doc["components"]["schemas"]["CustomFilter"].is_object());
    }
}
