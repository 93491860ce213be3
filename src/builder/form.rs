//! The builder form's fields and the API body they stand for. Field names are keyed by a stable row
//! key (`filter.7.regex`), never a list position, so they survive removals. The same conversion runs
//! in the browser (from the live form) and on the server (from a plain form post without JavaScript).

use crate::domain::{
    CrmMode, CrmValue, CustomFilter, EntityType, FieldError, IcpDraft, LeadKind, Limits,
    PathSegment,
};
use chrono::Timelike;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// The form's fields as `(name, value)` pairs, in document order (as a browser submits them).
pub type Pairs = Vec<(String, String)>;

/// Fields of a lead-source row that hold lists, with the filter they fill.
pub const LEAD_TAGS: [(&str, &str); 8] = [
    ("job_title", "Job titles"),
    ("seniority", "Seniority"),
    ("skills", "Skills"),
    ("country", "Countries"),
    ("state", "States or regions"),
    ("city", "Cities"),
    ("industry", "Industries"),
    ("keywords", "Company keywords"),
];

/// Suffix of the text box where new tags are typed, beside the hidden list of committed ones.
pub const NEW_TAG: &str = ".new";

/// The row keys of each repeated section, in document order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub leads: Vec<u32>,
    pub filters: Vec<(u32, String)>,
    pub crm: Vec<u32>,
}

impl Rows {
    /// Reads the rows present in `pairs` (a row exists when any of its fields does). One pass, with
    /// a set of the keys seen, so a post's cost grows with its size, not its square.
    pub fn of(pairs: &Pairs) -> Self {
        let mut rows = Rows::default();
        let mut seen: [HashSet<u32>; 3] = Default::default();
        for (name, value) in pairs {
            let mut parts = name.splitn(3, '.');
            let (Some(section), Some(key), Some(field)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(key) = key.parse::<u32>() else {
                continue;
            };
            match section {
                "lead" if seen[0].insert(key) => rows.leads.push(key),
                "filter" if field == "type" && seen[1].insert(key) => {
                    rows.filters.push((key, value.clone()))
                }
                "crm" if seen[2].insert(key) => rows.crm.push(key),
                _ => {}
            }
        }
        rows
    }

    /// A key no row uses yet: one past the largest, so a removed row's key is not reused (or, after
    /// a key of `u32::MAX`, the smallest free one).
    pub fn next_key(&self) -> u32 {
        let used: HashSet<u32> = self
            .leads
            .iter()
            .chain(self.filters.iter().map(|(k, _)| k))
            .chain(self.crm.iter())
            .copied()
            .collect();
        match used.iter().max() {
            None => 1,
            Some(max) => max
                .checked_add(1)
                .or_else(|| (1..u32::MAX).find(|k| !used.contains(k)))
                .unwrap_or(0),
        }
    }

    /// Problems with the number of rows: the API's own limits, said in the form's words.
    fn over_limits(&self) -> Vec<(Section, usize)> {
        [
            (Section::Leads, self.leads.len()),
            (Section::Filters, self.filters.len()),
            (Section::Conditions, self.crm.len()),
        ]
        .into_iter()
        .filter(|(section, count)| *count > section.limit())
        .collect()
    }
}

/// A repeated section of the form, with the API's limit on its rows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Section {
    Leads,
    Filters,
    Conditions,
}

impl Section {
    fn limit(self) -> usize {
        match self {
            Section::Leads => Limits::LEAD_SOURCES,
            Section::Filters => Limits::CUSTOM_FILTERS,
            Section::Conditions => Limits::CRM_CONDITIONS,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Section::Leads => "lead",
            Section::Filters => "filter",
            Section::Conditions => "crm",
        }
    }

    /// Its name in the form; each starts with the heading the builder shows section errors under.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Section::Leads => ("Lead sources", "lead sources"),
            Section::Filters => ("Custom filters", "custom filters"),
            Section::Conditions => ("CRM conditions", "CRM conditions"),
        }
    }

    fn keys(self, rows: &Rows) -> Vec<u32> {
        match self {
            Section::Leads => rows.leads.clone(),
            Section::Filters => rows.filters.iter().map(|(k, _)| *k).collect(),
            Section::Conditions => rows.crm.clone(),
        }
    }
}

/// The row key a field belongs to, when it is a row's field: `("lead", 7)` for `lead.7.type`.
fn row_of(name: &str) -> Option<(&str, u32)> {
    let mut parts = name.splitn(3, '.');
    let (section, key, _) = (parts.next()?, parts.next()?, parts.next()?);
    Some((section, key.parse().ok()?))
}

/// The API's limit on a field holding a list of tags (committed ones, one per line), with the
/// field's label; `None` for any other field.
fn tag_list(name: &str) -> Option<(usize, &'static str)> {
    if name == "userIds" {
        return Some((Limits::USER_IDS, "user ids"));
    }
    let mut parts = name.splitn(3, '.');
    let (section, _, field) = (parts.next()?, parts.next()?, parts.next()?);
    match section {
        "lead" => LEAD_TAGS
            .iter()
            .find(|(tag, _)| *tag == field)
            .map(|(_, label)| (Limits::TAGS, *label)),
        "filter" if field == "includeSearchStrings" => Some((Limits::TAGS, "Pages must mention")),
        "filter" if field == "excludeSearchStrings" => {
            Some((Limits::TAGS, "Pages must not mention"))
        }
        _ => None,
    }
}

/// Applies the API's limits on rows and on tag lists to a posted form before anything else is done
/// with it. Within them, the fields come back unchanged and without errors. Past them, only the
/// first rows of an overfull section and the first tags of an overfull list are kept (showing
/// thousands of them again would cost what the limits prevent), every other value is kept, and each
/// cut gets an error saying so; nothing is saved.
pub fn within_limits(pairs: Pairs) -> (Pairs, Vec<FormError>) {
    let rows = Rows::of(&pairs);
    let over = rows.over_limits();
    let mut errors = Vec::new();
    let mut dropped: [HashSet<u32>; 3] = Default::default();
    for (section, count) in over {
        let (place, noun) = section.words();
        let limit = section.limit();
        errors.push(FormError {
            field: None,
            place: place.to_owned(),
            message: format!(
                "At most {limit} {noun} are allowed; the form sent had {count}, so only the first \
                 {limit} are kept. Nothing was saved."
            ),
        });
        dropped[section as usize] = section.keys(&rows).into_iter().skip(limit).collect();
    }
    let sections = [Section::Leads, Section::Filters, Section::Conditions];
    // Rows are numbered by position, as the builder shows them (the first rows are the kept ones).
    let lead_at: HashMap<u32, usize> = rows
        .leads
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i + 1))
        .collect();
    let filter_at: HashMap<u32, usize> = rows
        .filters
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (*k, i + 1))
        .collect();
    let mut kept: Pairs = Vec::with_capacity(pairs.len());
    for (name, mut value) in pairs {
        if let Some((prefix, key)) = row_of(&name) {
            let cut = sections
                .iter()
                .find(|s| s.prefix() == prefix)
                .is_some_and(|s| dropped[*s as usize].contains(&key));
            if cut {
                continue;
            }
        }
        if let Some((limit, label)) = tag_list(&name) {
            let count = value.split('\n').filter(|t| !t.trim().is_empty()).count();
            if count > limit {
                value = value
                    .split('\n')
                    .filter(|t| !t.trim().is_empty())
                    .take(limit)
                    .collect::<Vec<_>>()
                    .join("\n");
                let place = match row_of(&name) {
                    Some(("lead", key)) => match lead_at.get(&key) {
                        Some(n) => format!("Lead source {n} › {label}"),
                        None => format!("Lead source › {label}"),
                    },
                    Some((_, key)) => match filter_at.get(&key) {
                        Some(n) => format!("Custom filter {n} › {label}"),
                        None => format!("Custom filter › {label}"),
                    },
                    None => "Shared with".to_owned(),
                };
                errors.push(FormError {
                    field: Some(format!("{name}{NEW_TAG}")),
                    place,
                    message: format!(
                        "At most {limit} entries are allowed; the form sent had {count}, so only \
                         the first {limit} are kept. Nothing was saved."
                    ),
                });
            }
        }
        kept.push((name, value));
    }
    (kept, errors)
}

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
        let new_name = format!("{name}{NEW_TAG}");
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
fn number(raw: Option<&str>) -> Option<Value> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(int) = raw.parse::<i64>() {
        return Some(json!(int));
    }
    match raw.parse::<f64>() {
        Ok(float) if float.is_finite() => Some(json!(float)),
        _ => Some(json!(raw)),
    }
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
    body.insert(
        "name".into(),
        json!(fields.text("name").unwrap_or_default()),
    );
    body.insert(
        "description".into(),
        fields
            .filled("description")
            .map_or(Value::Null, |d| json!(d)),
    );

    let leads: Vec<Value> = rows
        .leads
        .iter()
        .map(|key| lead_json(&fields, *key))
        .collect();
    body.insert("leadProviderCriteria".into(), Value::Array(leads));

    let filters: Vec<Value> = rows
        .filters
        .iter()
        .map(|(key, kind)| filter_json(&fields, *key, kind))
        .collect();
    body.insert("customFilterCriteria".into(), Value::Array(filters));

    let crm = if fields.text("crm.enabled").is_some() {
        crm_json(&fields, &rows)
    } else {
        Value::Null
    };
    body.insert("crmFilters".into(), crm);
    body.insert("userIds".into(), json!(fields.tags("userIds")));
    if let Some(leads) = number(fields.text("leadsPerList")) {
        body.insert("leadsPerList".into(), leads);
    }
    body.insert(
        "activeUntil".into(),
        fields
            .filled("activeUntil")
            .map_or(Value::Null, |t| json!(utc_instant(t))),
    );
    Value::Object(body)
}

fn lead_json(fields: &Fields, key: u32) -> Value {
    let field = |name: &str| format!("lead.{key}.{name}");
    let mut filters = fields
        .text(&field("other"))
        .and_then(|raw| serde_json::from_str::<Map<String, Value>>(raw).ok())
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
    for (name, bound) in [("employee_min", "min"), ("employee_max", "max")] {
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
        "type": fields.text(&field("type")).unwrap_or("person"),
        "filters": filters,
    })
}

fn filter_json(fields: &Fields, key: u32, kind: &str) -> Value {
    let field = |name: &str| format!("filter.{key}.{name}");
    let mut filter = Map::new();
    filter.insert("type".into(), json!(kind));
    let text = |filter: &mut Map<String, Value>, name: &str| {
        if let Some(value) = fields.filled(&field(name)) {
            filter.insert(name.to_owned(), json!(value));
        }
    };
    match kind {
        "website" => {
            filter.insert("provider".into(), json!("browserUse"));
            text(&mut filter, "prompt");
        }
        "webscraping" => {
            filter.insert("provider".into(), json!("firecrawl"));
            text(&mut filter, "extractionPrompt");
            text(&mut filter, "pageFindingPrompt");
            insert_tags(
                &mut filter,
                "includeSearchStrings",
                fields.tags(&field("includeSearchStrings")),
            );
            insert_tags(
                &mut filter,
                "excludeSearchStrings",
                fields.tags(&field("excludeSearchStrings")),
            );
        }
        "ai" => {
            text(&mut filter, "entityType");
            text(&mut filter, "prompt");
        }
        "matchFieldWithRegex" => {
            text(&mut filter, "field");
            text(&mut filter, "regex");
        }
        _ => {
            if let Some(value) = number(fields.text(&field("value"))) {
                filter.insert("value".into(), value);
            }
        }
    }
    Value::Object(filter)
}

fn crm_json(fields: &Fields, rows: &Rows) -> Value {
    let mut crm = Map::new();
    crm.insert("provider".into(), json!("bullhorn"));
    for name in ["textSearch", "query"] {
        if let Some(value) = fields.filled(&format!("crm.{name}")) {
            crm.insert(name.into(), json!(value));
        }
    }
    let conditions: Vec<Value> = rows
        .crm
        .iter()
        .map(|key| {
            let field = |name: &str| format!("crm.{key}.{name}");
            let mode = fields.text(&field("mode")).unwrap_or("equals");
            let value = if mode == "in" {
                let raw = fields.text(&field("value")).unwrap_or_default();
                let list: Vec<&str> = raw
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .collect();
                json!(list)
            } else {
                json!(fields.text(&field("value")).unwrap_or_default())
            };
            json!({
                "path": fields.text(&field("path")).unwrap_or_default().trim(),
                "mode": mode,
                "value": value,
                "exclude": fields.text(&field("exclude")).is_some(),
            })
        })
        .collect();
    if !conditions.is_empty() {
        crm.insert("filters".into(), Value::Array(conditions));
    }
    Value::Object(crm)
}

/// The form fields that show `draft` (for editing or duplicating an ICP).
pub fn draft_to_pairs(draft: &IcpDraft) -> Pairs {
    let mut pairs: Pairs = Vec::new();
    let mut push = |name: String, value: String| pairs.push((name, value));
    let lines = |tags: &Option<Vec<String>>| tags.as_deref().unwrap_or_default().join("\n");
    push("name".into(), draft.name.clone());
    push(
        "description".into(),
        draft.description.clone().unwrap_or_default(),
    );
    push("leadsPerList".into(), draft.leads_per_list.to_string());
    if let Some(until) = draft.active_until {
        // The datetime-local box, in UTC, as precise as the ICP is.
        let format = match (until.0.second(), until.0.timestamp_subsec_millis()) {
            (0, 0) => "%Y-%m-%dT%H:%M",
            (_, 0) => "%Y-%m-%dT%H:%M:%S",
            _ => "%Y-%m-%dT%H:%M:%S%.3f",
        };
        push("activeUntil".into(), until.0.format(format).to_string());
    }
    push(
        "userIds".into(),
        draft
            .user_ids
            .iter()
            .map(|u| u.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );

    let mut key = 0;
    for lead in &draft.lead_provider_criteria {
        key += 1;
        let f = &lead.filters;
        let kind = if lead.kind == LeadKind::Company {
            "company"
        } else {
            "person"
        };
        push(format!("lead.{key}.type"), kind.into());
        if !f.other.is_empty() {
            push(
                format!("lead.{key}.other"),
                Value::Object(f.other.clone()).to_string(),
            );
        }
        let location = f.location.clone().unwrap_or_default();
        let company = f.company.clone().unwrap_or_default();
        let size = company.employee_size.unwrap_or_default();
        for (name, tags) in [
            ("job_title", &f.job_title),
            ("seniority", &f.seniority),
            ("skills", &f.skills),
            ("country", &location.country),
            ("state", &location.state),
            ("city", &location.city),
            ("industry", &company.industry),
            ("keywords", &company.keywords),
        ] {
            push(format!("lead.{key}.{name}"), lines(tags));
        }
        push(
            format!("lead.{key}.employee_min"),
            size.min.map(|n| n.to_string()).unwrap_or_default(),
        );
        push(
            format!("lead.{key}.employee_max"),
            size.max.map(|n| n.to_string()).unwrap_or_default(),
        );
    }
    for filter in &draft.custom_filter_criteria {
        key += 1;
        let field = |name: &str| format!("filter.{key}.{name}");
        push(field("type"), filter.type_tag().into());
        match filter {
            CustomFilter::Website { prompt, .. } => push(field("prompt"), prompt.clone()),
            CustomFilter::Webscraping {
                extraction_prompt,
                page_finding_prompt,
                include_search_strings,
                exclude_search_strings,
                ..
            } => {
                push(field("extractionPrompt"), extraction_prompt.clone());
                push(
                    field("pageFindingPrompt"),
                    page_finding_prompt.clone().unwrap_or_default(),
                );
                push(field("includeSearchStrings"), lines(include_search_strings));
                push(field("excludeSearchStrings"), lines(exclude_search_strings));
            }
            CustomFilter::Ai {
                entity_type,
                prompt,
            } => {
                let entity = if *entity_type == EntityType::Company {
                    "company"
                } else {
                    "person"
                };
                push(field("entityType"), entity.into());
                push(field("prompt"), prompt.clone());
            }
            CustomFilter::MaxPeoplePerCompany { value }
            | CustomFilter::MinDaysUntilReuse { value } => push(field("value"), value.to_string()),
            CustomFilter::MaxPercentFromCrm { value } => {
                push(field("value"), json!(value).to_string())
            }
            CustomFilter::MatchFieldWithRegex { field: path, regex } => {
                push(field("field"), path.clone());
                push(field("regex"), regex.clone());
            }
        }
    }
    if let Some(crm) = &draft.crm_filters {
        push("crm.enabled".into(), "on".into());
        push(
            "crm.textSearch".into(),
            crm.text_search.clone().flatten().unwrap_or_default(),
        );
        push(
            "crm.query".into(),
            crm.query.clone().flatten().unwrap_or_default(),
        );
        for condition in crm.filters.as_deref().unwrap_or_default() {
            key += 1;
            let mode = match condition.mode {
                CrmMode::Equals => "equals",
                CrmMode::In => "in",
                CrmMode::StartsWith => "startsWith",
            };
            push(format!("crm.{key}.path"), condition.path.clone());
            push(format!("crm.{key}.mode"), mode.into());
            let value = match &condition.value {
                CrmValue::One(one) => one.clone(),
                // One text box, comma-separated (a value holding a comma cannot be edited here).
                CrmValue::Many(many) => many.join(", "),
            };
            push(format!("crm.{key}.value"), value);
            if condition.exclude {
                push(format!("crm.{key}.exclude"), "on".into());
            }
        }
    }
    pairs
}

/// The form field an error at `path` belongs to, given the rows the body was built from; `None`
/// when it belongs to no single field (it is then shown in the summary and at its section).
pub fn field_for_path(path: &[PathSegment], rows: &Rows) -> Option<String> {
    use PathSegment::{Index, Key};
    fn key(segment: Option<&PathSegment>) -> Option<&str> {
        match segment {
            Some(PathSegment::Key(k)) => Some(k.as_str()),
            _ => None,
        }
    }
    match path {
        [Key(top), rest @ ..] => match (top.as_str(), rest) {
            ("name" | "description" | "leadsPerList" | "activeUntil", _) => Some(top.clone()),
            ("userIds", _) => Some("userIds.new".into()),
            ("leadProviderCriteria", [Index(i), rest @ ..]) => {
                let row = rows.leads.get(*i)?;
                let name = match rest {
                    [Key(k), ..] if k == "type" => "type",
                    [Key(f), Key(kind), Key(sub), ..]
                        if f == "filters" && kind == "company" && sub == "employee_size" =>
                    {
                        if key(rest.get(3)) == Some("max") {
                            "employee_max"
                        } else {
                            "employee_min"
                        }
                    }
                    [Key(f), Key(_), Key(sub), ..]
                        if f == "filters" && LEAD_TAGS.iter().any(|(n, _)| n == sub) =>
                    {
                        sub.as_str()
                    }
                    [Key(f), Key(sub), ..]
                        if f == "filters" && LEAD_TAGS.iter().any(|(n, _)| n == sub) =>
                    {
                        sub.as_str()
                    }
                    _ => return None,
                };
                let suffix = if LEAD_TAGS.iter().any(|(n, _)| *n == name) {
                    NEW_TAG
                } else {
                    ""
                };
                Some(format!("lead.{row}.{name}{suffix}"))
            }
            ("customFilterCriteria", [Index(i), Key(name), ..]) => {
                let (row, _) = rows.filters.get(*i)?;
                let suffix = if name.ends_with("SearchStrings") {
                    NEW_TAG
                } else {
                    ""
                };
                Some(format!("filter.{row}.{name}{suffix}"))
            }
            ("crmFilters", [Key(name)]) if name == "textSearch" || name == "query" => {
                Some(format!("crm.{name}"))
            }
            ("crmFilters", [Key(f), Index(i), Key(name), ..]) if f == "filters" => {
                let row = rows.crm.get(*i)?;
                Some(format!("crm.{row}.{name}"))
            }
            _ => None,
        },
        _ => None,
    }
}

/// An error as the form shows it: at its field (when it has one) and in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormError {
    pub field: Option<String>,
    /// Where it is, in words: "Custom filter 2 › regex".
    pub place: String,
    pub message: String,
}

/// Maps API errors to form errors.
pub fn form_errors(errors: &[FieldError], rows: &Rows) -> Vec<FormError> {
    errors
        .iter()
        .map(|error| FormError {
            field: field_for_path(&error.path, rows),
            place: place(&error.path),
            message: error.message.clone(),
        })
        .collect()
}

fn place(path: &[PathSegment]) -> String {
    let section = |name: &str| match name {
        "leadProviderCriteria" => "Lead source",
        "customFilterCriteria" => "Custom filter",
        "crmFilters" => "CRM",
        "userIds" => "Shared with",
        "leadsPerList" => "Leads per list",
        "activeUntil" => "Active until",
        "name" => "Name",
        "description" => "Description",
        _ => "",
    };
    let mut words: Vec<String> = Vec::new();
    for segment in path {
        match segment {
            PathSegment::Key(k) if words.is_empty() && !section(k).is_empty() => {
                words.push(section(k).into())
            }
            PathSegment::Key(k)
                if k == "filters" && words.len() == 2 && words[0] == "Lead source" => {}
            PathSegment::Key(k) if k == "filters" && words.first().is_some_and(|w| w == "CRM") => {
                words.push("condition".into())
            }
            PathSegment::Key(k) => words.push(k.replace('_', " ")),
            PathSegment::Index(i) => match words.last_mut() {
                Some(last) => last.push_str(&format!(" {}", i + 1)),
                None => words.push((i + 1).to_string()),
            },
        }
    }
    if words.is_empty() {
        "Form".into()
    } else {
        words.join(" › ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate_draft;

    fn pairs(items: &[(&str, &str)]) -> Pairs {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
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
    fn a_draft_survives_the_trip_through_the_form() {
        for name in ["basic-icp", "crm-integration", "ai-filtering"] {
            let text = match name {
                "basic-icp" => include_str!("../api/examples/basic-icp.json"),
                "crm-integration" => include_str!("../api/examples/crm-integration.json"),
                _ => include_str!("../api/examples/ai-filtering.json"),
            };
            let draft = validate_draft(&serde_json::from_str(text).unwrap()).unwrap();
            let again = validate_draft(&form_to_json(&draft_to_pairs(&draft))).unwrap();
            assert_eq!(again, draft, "{name}");
        }
    }

    #[test]
    fn every_filter_kind_and_provider_keys_round_trip() {
        let body = json!({
            "name": "All", "userIds": [], "leadsPerList": 10, "activeUntil": "2031-01-02T03:04:05.000Z",
            "leadProviderCriteria": [{"provider": "baseProvider", "type": "company", "filters": {
                "funding_stage": ["Seed"], "company": {"industry": ["SaaS, B2B"], "keywords": ["ai"], "employee_size": {"max": 50}},
                "location": {"city": ["Berlin"], "state": ["BE"]}, "skills": ["Rust"], "seniority": ["VP"]}}],
            "customFilterCriteria": [
                {"type": "website", "provider": "browserUse", "prompt": "B2B?"},
                {"type": "webscraping", "provider": "firecrawl", "extractionPrompt": "Pricing", "pageFindingPrompt": "Find it",
                 "includeSearchStrings": ["enterprise"], "excludeSearchStrings": ["free"]},
                {"type": "ai", "entityType": "company", "prompt": "Buyer?"},
                {"type": "maxPercentFromCRM", "value": 12.5},
                {"type": "minDaysUntilReuse", "value": 0}
            ],
            "crmFilters": {"provider": "bullhorn", "query": "legacy", "filters": [
                {"path": "status", "mode": "startsWith", "value": "Act", "exclude": true}]}
        });
        let draft = validate_draft(&body).unwrap();
        let again = validate_draft(&form_to_json(&draft_to_pairs(&draft))).unwrap();
        assert_eq!(again, draft);
    }

    #[test]
    fn errors_find_their_fields_by_row_key() {
        let rows = Rows {
            leads: vec![3, 8],
            filters: vec![(5, "ai".into()), (11, "website".into())],
            crm: vec![2],
        };
        let at = |path: Value| {
            let path: Vec<PathSegment> = serde_json::from_value(path).unwrap();
            field_for_path(&path, &rows)
        };
        assert_eq!(at(json!(["name"])).as_deref(), Some("name"));
        assert_eq!(
            at(json!(["customFilterCriteria", 1, "prompt"])).as_deref(),
            Some("filter.11.prompt")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                1,
                "filters",
                "job_title",
                0
            ]))
            .as_deref(),
            Some("lead.8.job_title.new")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                0,
                "filters",
                "location",
                "city",
                2
            ]))
            .as_deref(),
            Some("lead.3.city.new")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "employee_size",
                "min"
            ]))
            .as_deref(),
            Some("lead.3.employee_min")
        );
        assert_eq!(
            at(json!(["crmFilters", "filters", 0, "value", 1])).as_deref(),
            Some("crm.2.value")
        );
        assert_eq!(at(json!(["userIds", 0])).as_deref(), Some("userIds.new"));
        assert_eq!(at(json!(["customFilterCriteria", 7, "prompt"])), None);
        assert_eq!(
            place(
                &serde_json::from_value::<Vec<PathSegment>>(json!([
                    "customFilterCriteria",
                    1,
                    "prompt"
                ]))
                .unwrap()
            ),
            "Custom filter 2 › prompt"
        );
    }

    #[test]
    fn new_keys_never_reuse_old_ones() {
        let rows = Rows::of(&pairs(&[
            ("lead.4.type", "person"),
            ("filter.9.type", "ai"),
            ("crm.2.mode", "in"),
        ]));
        assert_eq!(rows.leads, vec![4]);
        assert_eq!(rows.filters, vec![(9, "ai".to_owned())]);
        assert_eq!(rows.next_key(), 10);
    }
}

/// What a sales person calls each custom filter type.
pub fn filter_label(kind: &str) -> &'static str {
    match kind {
        "website" => "Website check",
        "webscraping" => "Web scraping",
        "ai" => "AI judgement",
        "maxPeoplePerCompany" => "Max people per company",
        "maxPercentFromCRM" => "Max share from CRM",
        "minDaysUntilReuse" => "Min days before reuse",
        "matchFieldWithRegex" => "Field matches pattern",
        _ => "Unknown filter",
    }
}

/// The fields of a new ICP: one empty lead-source row and the default list size.
pub fn new_form() -> Pairs {
    vec![
        ("leadsPerList".into(), "10".into()),
        ("lead.1.type".into(), "person".into()),
    ]
}

/// A form change requested by a plain (no-JavaScript) post: `_action` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum RowAction {
    AddLead,
    AddFilter(String),
    AddCondition,
    Remove { section: String, key: u32 },
}

impl RowAction {
    pub fn parse(action: &str, filter_kind: Option<&str>) -> Option<Self> {
        match action {
            "add-lead" => Some(RowAction::AddLead),
            "add-condition" => Some(RowAction::AddCondition),
            "add-filter" => {
                let kind = filter_kind.filter(|k| CustomFilter::TYPES.contains(k))?;
                Some(RowAction::AddFilter(kind.to_owned()))
            }
            other => {
                let (section, key) = other.strip_prefix("remove:")?.split_once('.')?;
                let section = ["lead", "filter", "crm"]
                    .into_iter()
                    .find(|s| *s == section)?;
                Some(RowAction::Remove {
                    section: section.to_owned(),
                    key: key.parse().ok()?,
                })
            }
        }
    }

    /// Applies the change to the submitted fields; every other value is kept. An "Add" past the
    /// section's limit changes nothing and comes back with the error to show.
    pub fn apply(&self, mut pairs: Pairs) -> (Pairs, Option<FormError>) {
        let rows = Rows::of(&pairs);
        let full = |section: Section, count: usize| {
            let (place, noun) = section.words();
            let limit = section.limit();
            (count >= limit).then(|| FormError {
                field: None,
                place: place.to_owned(),
                message: format!(
                    "At most {limit} {noun} are allowed; remove one before adding another."
                ),
            })
        };
        let refused = match self {
            RowAction::AddLead => full(Section::Leads, rows.leads.len()),
            RowAction::AddFilter(_) => full(Section::Filters, rows.filters.len()),
            RowAction::AddCondition => full(Section::Conditions, rows.crm.len()),
            RowAction::Remove { .. } => None,
        };
        if refused.is_some() {
            return (pairs, refused);
        }
        let key = rows.next_key();
        match self {
            RowAction::AddLead => pairs.push((format!("lead.{key}.type"), "person".into())),
            RowAction::AddFilter(kind) => pairs.push((format!("filter.{key}.type"), kind.clone())),
            RowAction::AddCondition => {
                pairs.push(("crm.enabled".into(), "on".into()));
                pairs.push((format!("crm.{key}.mode"), "equals".into()));
            }
            RowAction::Remove { section, key } => {
                let prefix = format!("{section}.{key}.");
                pairs.retain(|(name, _)| !name.starts_with(&prefix));
            }
        }
        (pairs, None)
    }
}

#[cfg(test)]
mod row_action_tests {
    use super::*;

    #[test]
    fn plain_posts_add_and_remove_rows_keeping_values() {
        let form: Pairs = vec![
            ("name".into(), "Kept".into()),
            ("lead.1.type".into(), "person".into()),
            ("lead.1.job_title.new".into(), "CTO".into()),
        ];
        let (added, refused) = RowAction::parse("add-filter", Some("ai"))
            .unwrap()
            .apply(form.clone());
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&added).filters, vec![(2, "ai".to_owned())]);
        assert!(added.contains(&("name".into(), "Kept".into())));
        let (removed, _) = RowAction::parse("remove:lead.1", None)
            .unwrap()
            .apply(added);
        assert!(Rows::of(&removed).leads.is_empty());
        assert_eq!(removed.len(), 2);
        assert_eq!(RowAction::parse("add-filter", Some("bogus")), None);
        assert_eq!(RowAction::parse("remove:name.1", None), None);
    }

    fn leads(count: u32) -> Pairs {
        let mut form: Pairs = vec![("name".into(), "Many".into())];
        for key in 1..=count {
            form.push((format!("lead.{key}.type"), "company".into()));
            form.push((format!("lead.{key}.job_title.new"), format!("Title {key}")));
        }
        form
    }

    #[test]
    fn a_post_past_the_row_limits_keeps_the_first_rows_and_says_so() {
        let mut form = leads(8_000);
        form.push(("filter.9000.type".into(), "ai".into()));
        form.push(("filter.9000.prompt".into(), "Kept".into()));
        let (kept, errors) = within_limits(form);
        let rows = Rows::of(&kept);
        assert_eq!(rows.leads, (1..=50).collect::<Vec<_>>());
        assert_eq!(rows.filters, vec![(9000, "ai".to_owned())]);
        assert!(kept.contains(&("name".into(), "Many".into())));
        assert!(kept.contains(&("lead.50.job_title.new".into(), "Title 50".into())));
        assert!(kept.contains(&("filter.9000.prompt".into(), "Kept".into())));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, None);
        assert_eq!(errors[0].place, "Lead sources");
        assert_eq!(
            errors[0].message,
            "At most 50 lead sources are allowed; the form sent had 8000, so only the first 50 \
             are kept. Nothing was saved."
        );

        let (same, none) = within_limits(leads(50));
        assert_eq!(same, leads(50));
        assert!(none.is_empty());
    }

    #[test]
    fn a_tag_list_past_its_limit_keeps_the_first_tags_and_says_so() {
        let many = (1..=5_000)
            .map(|n| format!("Title {n}"))
            .collect::<Vec<_>>();
        let form: Pairs = vec![
            ("lead.3.type".into(), "person".into()),
            ("lead.3.job_title".into(), many.join("\n")),
            ("lead.3.country".into(), "Germany".into()),
        ];
        let (kept, errors) = within_limits(form);
        assert_eq!(kept[1].1, many[..100].join("\n"));
        assert_eq!(kept[2].1, "Germany");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field.as_deref(), Some("lead.3.job_title.new"));
        assert_eq!(errors[0].place, "Lead source 1 › Job titles");
        assert!(errors[0]
            .message
            .starts_with("At most 100 entries are allowed; the form sent had 5000"));
    }

    #[test]
    fn add_buttons_stop_at_the_api_limits() {
        let (form, refused) = RowAction::AddLead.apply(leads(50));
        assert_eq!(form, leads(50), "nothing added, every value kept");
        let refused = refused.expect("refused");
        assert_eq!(refused.place, "Lead sources");
        assert!(refused.message.starts_with("At most 50 lead sources"));

        let mut conditions: Pairs = vec![("crm.enabled".into(), "on".into())];
        for key in 1..=50 {
            conditions.push((format!("crm.{key}.mode"), "equals".into()));
        }
        let (_, refused) = RowAction::AddCondition.apply(conditions);
        assert_eq!(refused.expect("refused").place, "CRM conditions");

        let (form, refused) = RowAction::AddLead.apply(leads(49));
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&form).leads.len(), 50);
    }

    #[test]
    fn the_largest_row_key_does_not_overflow() {
        let form: Pairs = vec![(format!("lead.{}.type", u32::MAX), "person".into())];
        let (form, refused) = RowAction::AddLead.apply(form);
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&form).leads, vec![u32::MAX, 1]);
    }

    #[test]
    fn repeated_fields_read_as_the_browser_sent_them() {
        let form: Pairs = vec![
            ("name".into(), "First".into()),
            ("name".into(), "Second".into()),
            ("userIds".into(), "user_a".into()),
            ("userIds".into(), "user_b".into()),
            ("userIds.new".into(), "user_c, user_d".into()),
        ];
        let body = form_to_json(&form);
        assert_eq!(body["name"], "First");
        assert_eq!(
            body["userIds"],
            json!(["user_a", "user_b", "user_c", "user_d"])
        );
    }
}
