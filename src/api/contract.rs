//! The request bodies of the OpenAPI document, exactly as the validator (`domain::validate`) takes
//! them: every length, count and range from the validator's own `Limits`, `additionalProperties:
//! false` wherever unknown keys are refused (everywhere but a lead source's `filters`, which keeps
//! provider-specific keys), the shape each `type` of custom filter and each CRM `mode` needs.
//!
//! Written by hand rather than derived from the Rust types: the types say what is stored (defaults
//! filled in, nulls dropped), these say what a client may send. What JSON Schema cannot say is in
//! the descriptions, and `contract/hooks.py` keeps schemathesis from generating it: no string may
//! contain U+0000; an employee-size `min` is not above its `max`; a regex must compile and stay
//! within the matching budget; `userIds` name no registered user outside the caller's workspace.

use crate::domain::Limits;
use crate::domain::{FilterKind, UserId};
use serde_json::{json, Map, Value};

/// Component names of the request bodies, and the schemas they replace in operations.
pub const CREATE: &str = "IcpCreate";
pub const PATCH: &str = "IcpPatch";

/// A string of at most `max` characters.
fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max})
}

/// The characters the validator counts as white space (Rust's `char::is_whitespace`, Unicode's
/// White_Space), as inclusive ranges. ECMAScript's `\s` differs (it has U+FEFF, lacks U+0085), so
/// patterns name them.
const WHITE_SPACE: [(char, char); 10] = [
    ('\u{9}', '\u{d}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// A pattern that finds a character other than white space.
fn not_blank() -> String {
    let escape = |c: char| format!("\\u{:04x}", u32::from(c));
    let ranges: String = WHITE_SPACE
        .iter()
        .map(|&(low, high)| {
            if low == high {
                escape(low)
            } else {
                format!("{}-{}", escape(low), escape(high))
            }
        })
        .collect();
    format!("[^{ranges}]")
}

/// A string with something other than white space in it, of at most `max` characters.
fn required_text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": not_blank()})
}

fn nullable(schema: Value) -> Value {
    json!({"oneOf": [{"type": "null"}, schema]})
}

fn integer(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

/// An object with exactly these properties (`required` among them), refusing others.
fn strict(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// Job titles, skills, places, search strings: up to `TAGS` non-blank strings.
fn tags() -> Value {
    json!({"type": "array", "maxItems": Limits::TAGS, "items": required_text(Limits::TAG)})
}

/// `a.b_c`: dot-separated identifiers.
fn dot_path() -> Value {
    json!({
        "type": "string",
        "maxLength": Limits::DOT_PATH,
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$",
        "example": "address.countryName",
    })
}

fn lead_source() -> Value {
    let company = strict(
        &[],
        json!({
            "employee_size": strict(&[], json!({
                "min": integer(0, Limits::MAX_EMPLOYEES),
                "max": integer(0, Limits::MAX_EMPLOYEES),
            })),
            "industry": tags(),
            "keywords": tags(),
        }),
    );
    let filters = json!({
        "type": "object",
        "description": "The base provider's filters. The keys below are checked; any other key is \
            provider-specific and kept as given.",
        "properties": {
            "job_title": tags(),
            "skills": tags(),
            "seniority": tags(),
            "location": strict(&[], json!({"country": tags(), "state": tags(), "city": tags()})),
            "company": company,
        },
    });
    strict(
        &["provider", "filters"],
        json!({
            "provider": {"type": "string", "enum": ["baseProvider"]},
            "type": {"type": "string", "enum": ["person", "company"], "description": "`person` when omitted."},
            "filters": filters,
        }),
    )
}

/// One custom filter: an object per `type`, each with its own keys.
fn custom_filter() -> Value {
    let prompt = required_text(Limits::PROMPT);
    let variant = |kind: FilterKind, required: &[&str], mut properties: Value| {
        properties["type"] = json!({"type": "string", "const": kind.tag()});
        let mut required = required.to_vec();
        required.insert(0, "type");
        strict(&required, properties)
    };
    json!({"oneOf": [
        variant(FilterKind::Website, &["provider", "prompt"], json!({
            "provider": {"type": "string", "enum": ["browserUse"]},
            "prompt": prompt,
        })),
        variant(FilterKind::Webscraping, &["provider", "extractionPrompt"], json!({
            "provider": {"type": "string", "enum": ["firecrawl"]},
            "extractionPrompt": prompt,
            "pageFindingPrompt": prompt,
            "includeSearchStrings": tags(),
            "excludeSearchStrings": tags(),
        })),
        variant(FilterKind::Ai, &["entityType", "prompt"], json!({
            "entityType": {"type": "string", "enum": ["person", "company"]},
            "prompt": prompt,
        })),
        variant(FilterKind::MaxPeoplePerCompany, &["value"], json!({
            "value": integer(1, Limits::MAX_PEOPLE_PER_COMPANY),
        })),
        variant(FilterKind::MaxPercentFromCrm, &["value"], json!({
            "value": {"type": "number", "minimum": 0, "maximum": 100},
        })),
        variant(FilterKind::MinDaysUntilReuse, &["value"], json!({
            "value": integer(0, Limits::MAX_DAYS_UNTIL_REUSE),
        })),
        variant(FilterKind::MatchFieldWithRegex, &["field", "regex"], json!({
            "field": dot_path(),
            "regex": {
                "type": "string", "format": "regex", "minLength": 1, "maxLength": Limits::REGEX,
                "pattern": not_blank(),
                "description": "An ECMAScript regular expression; it must compile, and patterns whose \
                    matching could take exponential time (nested or overlapping repetition) are refused.",
            },
        })),
    ]})
}

/// The custom filters: up to `CUSTOM_FILTERS`, at most one of each limit (`maxPeoplePerCompany`,
/// `maxPercentFromCRM`, `minDaysUntilReuse`).
fn custom_filters() -> Value {
    let once = FilterKind::ALL
        .into_iter()
        .filter(|kind| kind.is_limit())
        .map(|kind| {
            json!({
                "contains": {"type": "object", "required": ["type"], "properties": {"type": {"const": kind.tag()}}},
                "minContains": 0,
                "maxContains": 1,
            })
        })
        .collect::<Vec<_>>();
    json!({
        "type": "array",
        "maxItems": Limits::CUSTOM_FILTERS,
        "items": custom_filter(),
        "allOf": once,
        "description": "Filters applied after the search; may be empty. At most one of each limit \
            (`maxPeoplePerCompany`, `maxPercentFromCRM`, `minDaysUntilReuse`).",
    })
}

fn crm_filters() -> Value {
    let condition = |modes: &[&str], value: Value| {
        strict(
            &["path", "mode", "value"],
            json!({
                "path": dot_path(),
                "mode": {"type": "string", "enum": modes},
                "value": value,
                "exclude": {"type": "boolean", "default": false},
            }),
        )
    };
    strict(
        &["provider"],
        json!({
            "provider": {"type": "string", "enum": ["bullhorn"]},
            "textSearch": nullable(text(Limits::CRM_TEXT)),
            "query": nullable(text(Limits::CRM_TEXT)),
            "filters": {
                "type": "array",
                "maxItems": Limits::CRM_CONDITIONS,
                "items": {"oneOf": [
                    condition(&["equals", "startsWith"], text(Limits::CRM_VALUE)),
                    condition(&["in"], json!({
                        "type": "array", "minItems": 1, "maxItems": Limits::TAGS,
                        "items": text(Limits::CRM_VALUE),
                    })),
                ]},
            },
        }),
    )
}

/// The create body's properties; `leadsPerList` defaults to 10.
fn icp_properties() -> Map<String, Value> {
    let (min, max) = Limits::LEADS_PER_LIST;
    let properties = json!({
        "name": required_text(Limits::NAME),
        "description": nullable(text(Limits::DESCRIPTION)),
        "leadProviderCriteria": {"type": "array", "maxItems": Limits::LEAD_SOURCES, "items": lead_source()},
        "customFilterCriteria": custom_filters(),
        "crmFilters": nullable(crm_filters()),
        "userIds": {
            "type": "array", "maxItems": Limits::USER_IDS,
            "items": {"$ref": "#/components/schemas/UserId"},
            "description": "Who shares the ICP; the caller is always added. A registered user must be \
                in the caller's workspace.",
        },
        "leadsPerList": {"type": "integer", "minimum": min, "maximum": max, "default": 10},
        "activeUntil": nullable(json!({"$ref": "#/components/schemas/Timestamp"})),
    });
    match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The create body (`POST …/icps` and `…/icps/validate`).
pub fn create() -> Value {
    json!({
        "type": "object",
        "description": "An ICP to create. No string anywhere in it may contain U+0000.",
        "required": ["name", "leadProviderCriteria", "customFilterCriteria", "userIds"],
        "properties": icp_properties(),
        "additionalProperties": false,
    })
}

/// The PATCH body: any of the create body's fields; `null` clears `description`, `activeUntil`
/// and `crmFilters`.
pub fn patch() -> Value {
    json!({
        "type": "object",
        "description": "Only the fields to change; `null` clears description, activeUntil and \
            crmFilters. The ICP it makes must pass the create rules. Only the owner may remove \
            members (403), and nobody the owner.",
        "properties": icp_properties(),
        "additionalProperties": false,
    })
}

/// Where a client goes from a created ICP (OpenAPI links, which stateful testers follow too): its
/// id into the one-ICP operations, its `ETag` into a conditional update.
fn links_from_created() -> Value {
    let id = json!({"id": "$response.body#/id"});
    let mut links = Map::new();
    for (name, operation) in [
        ("GetIcp", "get_icp"),
        ("UpdateIcp", "update_icp"),
        ("DeleteIcp", "delete_icp"),
        ("IcpVersions", "list_versions"),
        ("HandOverIcp", "hand_over"),
    ] {
        links.insert(
            name.to_owned(),
            json!({"operationId": operation, "parameters": id}),
        );
    }
    links.insert(
        "UpdateIcpIfCurrent".to_owned(),
        json!({
            "operationId": "update_icp",
            "parameters": {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        }),
    );
    Value::Object(links)
}

/// Puts the request bodies into `document` (an OpenAPI document as JSON): the components, and
/// every operation whose body named the Rust types (`IcpDraft` for creates, `IcpPatch`) refers to
/// them instead.
pub fn apply(document: &mut Value) {
    let schemas = &mut document["components"]["schemas"];
    schemas[CREATE] = create();
    schemas[PATCH] = patch();
    schemas["UserId"]["maxLength"] = json!(UserId::MAX_LEN);
    // RFC 3339 with at most millisecond precision, a four-digit year.
    schemas["Timestamp"]["pattern"] =
        json!("^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})$");
    document["paths"]["/api/v1/entities/icps"]["post"]["responses"]["201"]["links"] =
        links_from_created();
    document["paths"]["/api/v1/entities/icps/{id}"]["delete"]["responses"]["204"]["links"] = json!({
        "RestoreDeletedIcp": {"operationId": "restore_deleted", "parameters": {"id": "$request.path.id"}},
        "DeletedIcpVersions": {"operationId": "list_versions", "parameters": {"id": "$request.path.id"}},
    });
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in operation.values_mut() {
            let Some(body) = operation.get_mut("requestBody") else {
                continue;
            };
            let schema = &mut body["content"]["application/json"]["schema"];
            if schema["$ref"] == "#/components/schemas/IcpDraft" {
                *schema = json!({"$ref": format!("#/components/schemas/{CREATE}")});
            }
            // Every JSON body is read the same way (`api::json`).
            let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
            let too_large = format!(
                "The body is larger than {}",
                crate::domain::size_in_words(crate::domain::Limits::BODY_BYTES)
            );
            for (status, why) in [
                (
                    "400",
                    "The body breaks the rules: every problem at its JSON path",
                ),
                ("413", too_large.as_str()),
                ("415", "The body is not sent as `application/json`"),
            ] {
                let responses = &mut operation["responses"];
                if responses.get(status).is_none() {
                    let mut answer = error.clone();
                    answer["description"] = json!(why);
                    responses[status] = answer;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate_draft;

    /// Every example body of the reference page is valid under the schema's own rules as far as
    /// a few spot checks go, and what the schema says matches the validator's limits.
    #[test]
    fn white_space_is_the_validators() {
        let listed = |c: char| {
            WHITE_SPACE
                .iter()
                .any(|&(low, high)| (low..=high).contains(&c))
        };
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), listed(c), "U+{:04X}", u32::from(c));
        }
        assert!(not_blank().starts_with("[^\\u0009-\\u000d\\u0020\\u0085"));
    }

    #[test]
    fn the_limits_are_the_validators() {
        let create = create();
        let properties = &create["properties"];
        assert_eq!(properties["name"]["maxLength"], Limits::NAME);
        assert_eq!(
            properties["leadProviderCriteria"]["maxItems"],
            Limits::LEAD_SOURCES
        );
        assert_eq!(create["additionalProperties"], false);
        let filters = &properties["leadProviderCriteria"]["items"]["properties"]["filters"];
        assert!(filters.get("additionalProperties").is_none(), "open");
        for body in ["basic-icp", "crm-integration", "ai-filtering"] {
            let example = super::super::openapi::example(body);
            assert!(validate_draft(&example).is_ok());
            for key in example.as_object().unwrap().keys() {
                assert!(properties.get(key).is_some(), "{key}");
            }
        }
    }
}
