//! The API body a form's fields stand for. The same conversion runs in the browser (from the live
//! form) and on the server (from a plain form post without JavaScript).

use super::names::{self, condition, lead, FilterField, Section};
use super::rows::Rows;
use super::Pairs;
use crate::domain::condition::Operator;
use crate::domain::FilterKind;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Looks fields up by name, through an index built once: each lookup costs the same however many
/// fields were posted.
struct Fields<'a>(HashMap<&'a str, Vec<&'a str>>);

impl<'a> Fields<'a> {
    fn new(pairs: &'a Pairs) -> Self {
        let mut index: HashMap<&'a str, Vec<&'a str>> = HashMap::new();
        for (name, value) in pairs {
            index.entry(name.as_str()).or_default().push(value.as_str());
        }
        Fields(index)
    }

    /// Every value posted under `name`, in document order.
    fn all(&self, name: &str) -> impl Iterator<Item = &'a str> + '_ {
        self.0.get(name).into_iter().flatten().copied()
    }

    fn text(&self, name: &str) -> Option<&'a str> {
        self.0.get(name).and_then(|values| values.first().copied())
    }

    /// A non-blank value.
    fn filled(&self, name: &str) -> Option<&'a str> {
        self.text(name).filter(|v| !v.trim().is_empty())
    }

    /// Committed tags (one per line) and typed ones (comma-separated), in that order.
    fn tags(&self, name: &str) -> Vec<String> {
        let committed = self.all(name).flat_map(|v| v.split('\n'));
        let new_name = names::new_tag(name);
        let typed = self.all(&new_name).flat_map(|v| v.split(','));
        committed
            .chain(typed)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A number typed in a box: a JSON number when it reads as one, else the text (which the
/// validator then reports), and nothing when blank.
/// Whether `body` (an API body) sources leads from providers without a single filter: it
/// targets everyone, everywhere.
pub fn targets_everyone(body: &Value) -> bool {
    let leads = body["leadProviderCriteria"].as_array();
    leads.is_some_and(|leads| {
        !leads.is_empty()
            && leads
                .iter()
                .all(|lead| lead["filters"].as_object().is_none_or(Map::is_empty))
    })
}

fn number(raw: Option<&str>) -> Option<Value> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(int) = raw.parse::<i64>() {
        return Some(json!(int));
    }
    match parse_float(raw) {
        Some(float) if float.is_finite() => Some(json!(float)),
        _ => Some(json!(raw)),
    }
}

/// `raw` read as `f64::from_str` reads it. In the browser the browser reads it (`Number()`,
/// whose grammar is the same once the text holds only digits, signs, points and exponent marks),
/// so the bundle carries no float parser and its tables.
fn parse_float(raw: &str) -> Option<f64> {
    #[cfg(target_arch = "wasm32")]
    {
        let plain = raw
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        if raw.is_empty() || !plain {
            return None;
        }
        // Unary `+`: JavaScript's `Number(raw)`.
        let float = js_sys::JsString::from(raw).unchecked_into_f64();
        (!float.is_nan()).then_some(float)
    }
    #[cfg(not(target_arch = "wasm32"))]
    raw.parse().ok()
}

/// `datetime-local` gives `2024-12-31T23:59` with no zone; the form says the time is UTC.
fn utc_instant(raw: &str) -> String {
    let raw = raw.trim();
    match raw.len() {
        16 => format!("{raw}:00.000Z"),
        19 => format!("{raw}.000Z"),
        23 => format!("{raw}Z"),
        _ => raw.to_owned(),
    }
}

fn insert_tags(target: &mut Map<String, Value>, key: &str, tags: Vec<String>) {
    if !tags.is_empty() {
        target.insert(key.to_owned(), json!(tags));
    }
}

/// The API body these form fields stand for.
pub fn form_to_json(pairs: &Pairs) -> Value {
    let fields = Fields::new(pairs);
    let rows = Rows::of(pairs);
    let mut body = Map::new();
    let name = fields.text(names::NAME).unwrap_or_default();
    body.insert("name".into(), json!(name));
    let description = fields.filled(names::DESCRIPTION);
    body.insert(
        "description".into(),
        description.map_or(Value::Null, |d| json!(d)),
    );

    let leads = rows.leads.iter().map(|key| lead_json(&fields, *key));
    body.insert("leadProviderCriteria".into(), leads.collect());
    let filters = rows
        .filters
        .iter()
        .map(|(key, tag)| filter_json(&fields, *key, tag));
    body.insert("customFilterCriteria".into(), filters.collect());

    let crm = if fields.text(names::CRM_ENABLED).is_some() {
        crm_json(&fields, &rows)
    } else {
        Value::Null
    };
    body.insert("crmFilters".into(), crm);
    body.insert("userIds".into(), json!(fields.tags(names::USER_IDS)));
    if let Some(leads) = number(fields.text(names::LEADS_PER_LIST)) {
        body.insert("leadsPerList".into(), leads);
    }
    let until = fields.filled(names::ACTIVE_UNTIL);
    body.insert(
        "activeUntil".into(),
        until.map_or(Value::Null, |t| json!(utc_instant(t))),
    );
    Value::Object(body)
}

fn lead_json(fields: &Fields, key: u32) -> Value {
    let field = |name: &str| Section::Leads.field(key, name);
    // The provider-specific filters an ICP read from the API carried, round-tripped as JSON text
    // (the builder shows no field for them); held to a body's shape before they are parsed.
    let mut filters = fields
        .text(&field(lead::OTHER))
        .filter(|raw| crate::domain::check_shape(raw.as_bytes()).is_ok())
        // Read as any `Value` (see `domain::read_json`), then taken if it is an object.
        .and_then(|raw| match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    for name in ["job_title", "seniority", "skills"] {
        insert_tags(&mut filters, name, fields.tags(&field(name)));
    }
    let mut location = Map::new();
    for name in ["country", "state", "city"] {
        insert_tags(&mut location, name, fields.tags(&field(name)));
    }
    if !location.is_empty() {
        filters.insert("location".into(), Value::Object(location));
    }
    let mut company = Map::new();
    let mut size = Map::new();
    for (name, bound) in [(lead::EMPLOYEE_MIN, "min"), (lead::EMPLOYEE_MAX, "max")] {
        if let Some(value) = number(fields.text(&field(name))) {
            size.insert(bound.into(), value);
        }
    }
    if !size.is_empty() {
        company.insert("employee_size".into(), Value::Object(size));
    }
    insert_tags(&mut company, "industry", fields.tags(&field("industry")));
    insert_tags(&mut company, "keywords", fields.tags(&field("keywords")));
    if !company.is_empty() {
        filters.insert("company".into(), Value::Object(company));
    }
    json!({
        "provider": "baseProvider",
        "type": fields.text(&field(lead::TYPE)).unwrap_or("person"),
        "filters": filters,
    })
}

/// A filter row's body. A row whose `type` is no kind gives just that `type`, which the validator
/// then reports.
fn filter_json(fields: &Fields, key: u32, tag: &str) -> Value {
    let field = |f: FilterField| Section::Filters.field(key, f.name());
    let mut filter = Map::new();
    filter.insert("type".into(), json!(tag));
    let text = |filter: &mut Map<String, Value>, f: FilterField| {
        if let Some(value) = fields.filled(&field(f)) {
            filter.insert(f.name().to_owned(), json!(value));
        }
    };
    let tags = |filter: &mut Map<String, Value>, f: FilterField| {
        insert_tags(filter, f.name(), fields.tags(&field(f)));
    };
    let Some(kind) = FilterKind::parse(tag) else {
        return Value::Object(filter);
    };
    match kind {
        FilterKind::Website => {
            filter.insert("provider".into(), json!("browserUse"));
            text(&mut filter, FilterField::Prompt);
        }
        FilterKind::Webscraping => {
            filter.insert("provider".into(), json!("firecrawl"));
            text(&mut filter, FilterField::ExtractionPrompt);
            text(&mut filter, FilterField::PageFindingPrompt);
            tags(&mut filter, FilterField::IncludeSearchStrings);
            tags(&mut filter, FilterField::ExcludeSearchStrings);
        }
        FilterKind::Ai => {
            text(&mut filter, FilterField::EntityType);
            text(&mut filter, FilterField::Prompt);
        }
        FilterKind::MatchFieldWithRegex => {
            text(&mut filter, FilterField::Field);
            // Without an operator (a form from before words), the value is the pattern.
            let operator = fields.text(&field(FilterField::Operator));
            let operator = operator
                .and_then(Operator::parse)
                .unwrap_or(Operator::Matches);
            if let Some(value) = fields.filled(&field(FilterField::Regex)) {
                filter.insert("regex".into(), json!(operator.pattern(value)));
            }
        }
        FilterKind::MaxPeoplePerCompany
        | FilterKind::MaxPercentFromCrm
        | FilterKind::MinDaysUntilReuse => {
            if let Some(value) = number(fields.text(&field(FilterField::Value))) {
                filter.insert("value".into(), value);
            }
        }
    }
    Value::Object(filter)
}

fn crm_json(fields: &Fields, rows: &Rows) -> Value {
    let mut crm = Map::new();
    crm.insert("provider".into(), json!("bullhorn"));
    for (key, name) in [
        ("textSearch", names::CRM_TEXT_SEARCH),
        ("query", names::CRM_QUERY),
    ] {
        if let Some(value) = fields.filled(name) {
            crm.insert(key.into(), json!(value));
        }
    }
    let conditions: Vec<Value> = rows
        .crm
        .iter()
        .map(|key| {
            let field = |name: &str| Section::Conditions.field(*key, name);
            let mode = fields.text(&field(condition::MODE)).unwrap_or("equals");
            let raw = fields.text(&field(condition::VALUE)).unwrap_or_default();
            let value = if mode == "in" {
                let list = raw.split(',').map(str::trim).filter(|v| !v.is_empty());
                json!(list.collect::<Vec<_>>())
            } else {
                json!(raw)
            };
            json!({
                "path": fields.text(&field(condition::PATH)).unwrap_or_default().trim(),
                "mode": mode,
                "value": value,
                "exclude": fields.text(&field(condition::EXCLUDE)).is_some(),
            })
        })
        .collect();
    if !conditions.is_empty() {
        crm.insert("filters".into(), Value::Array(conditions));
    }
    Value::Object(crm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::form::pairs;
    use crate::domain::validate_draft;

    #[test]
    fn a_condition_in_words_becomes_its_pattern() {
        let regex_of = |operator: &str, value: &str| {
            let form = pairs(&[
                ("filter.1.type", "matchFieldWithRegex"),
                ("filter.1.field", "company.name"),
                ("filter.1.operator", operator),
                ("filter.1.regex", value),
            ]);
            form_to_json(&form)["customFilterCriteria"][0]["regex"].clone()
        };
        assert_eq!(regex_of("notContains", "Test"), json!("^(?!.*Test).*$"));
        assert_eq!(regex_of("contains", "A.G."), json!("^.*A\\.G\\..*$"));
        assert_eq!(regex_of("startsWith", "Acme"), json!("^Acme"));
        assert_eq!(regex_of("is", "Acme (EU)"), json!("^Acme \\(EU\\)$"));
        assert_eq!(regex_of("matches", "^A|B$"), json!("^A|B$"));
        // No value: no pattern, which the validator reports at the value's field.
        assert_eq!(regex_of("contains", " "), Value::Null);
    }

    #[test]
    fn form_fields_become_the_api_body() {
        let form = pairs(&[
            ("name", "DACH Tech Leaders"),
            ("description", ""),
            ("leadsPerList", "20"),
            ("activeUntil", "2030-12-31T23:59"),
            ("userIds", ""),
            ("userIds.new", "user_teammate123"),
            ("lead.4.type", "person"),
            ("lead.4.job_title", "CTO\nVP Engineering"),
            ("lead.4.job_title.new", "Head of Technology"),
            ("lead.4.country", "Germany"),
            ("lead.4.employee_min", "100"),
            ("lead.4.employee_max", ""),
            ("filter.9.type", "maxPeoplePerCompany"),
            ("filter.9.value", "2"),
            ("filter.2.type", "matchFieldWithRegex"),
            ("filter.2.field", "company.name"),
            ("filter.2.regex", "^(?!.*Test).*$"),
            ("crm.enabled", "on"),
            ("crm.textSearch", "Director OR Manager"),
            ("crm.5.path", "address.countryName"),
            ("crm.5.mode", "in"),
            ("crm.5.value", "Germany, Austria"),
        ]);
        let body = form_to_json(&form);
        assert_eq!(
            body,
            json!({
                "name": "DACH Tech Leaders",
                "description": null,
                "leadProviderCriteria": [{"provider": "baseProvider", "type": "person", "filters": {
                    "job_title": ["CTO", "VP Engineering", "Head of Technology"],
                    "location": {"country": ["Germany"]},
                    "company": {"employee_size": {"min": 100}}
                }}],
                "customFilterCriteria": [
                    {"type": "maxPeoplePerCompany", "value": 2},
                    {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^(?!.*Test).*$"}
                ],
                "crmFilters": {"provider": "bullhorn", "textSearch": "Director OR Manager", "filters": [
                    {"path": "address.countryName", "mode": "in", "value": ["Germany", "Austria"], "exclude": false}
                ]},
                "userIds": ["user_teammate123"],
                "leadsPerList": 20,
                "activeUntil": "2030-12-31T23:59:00.000Z"
            })
        );
        assert!(validate_draft(&body).is_ok());
    }

    #[test]
    fn repeated_fields_read_as_the_browser_sent_them() {
        let form = pairs(&[
            ("name", "First"),
            ("name", "Second"),
            ("userIds", "user_a"),
            ("userIds", "user_b"),
            ("userIds.new", "user_c, user_d"),
        ]);
        let body = form_to_json(&form);
        assert_eq!(body["name"], "First");
        assert_eq!(
            body["userIds"],
            json!(["user_a", "user_b", "user_c", "user_d"])
        );
    }

    #[test]
    fn a_row_of_no_known_kind_gives_its_type_for_the_validator_to_report() {
        let body = form_to_json(&pairs(&[
            ("filter.3.type", "magic"),
            ("filter.3.value", "2"),
        ]));
        assert_eq!(body["customFilterCriteria"], json!([{"type": "magic"}]));
    }

    #[test]
    fn lead_sources_without_a_single_filter_target_everyone() {
        let lead = |filters: Value| json!({"provider": "baseProvider", "filters": filters});
        let body = |leads: Vec<Value>| json!({"leadProviderCriteria": leads});
        assert!(targets_everyone(&body(vec![lead(json!({}))])));
        assert!(targets_everyone(&body(vec![
            lead(json!({})),
            lead(json!({}))
        ])));
        assert!(!targets_everyone(&body(vec![
            lead(json!({})),
            lead(json!({"job_title": ["CTO"]}))
        ])));
        // Leads only from the CRM: not everyone.
        assert!(!targets_everyone(&body(vec![])));
    }
}
