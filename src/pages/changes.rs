//! What changed between two versions of an ICP, in words ("Leads per list: 20 → 50", "Added
//! filter: …"), for the history page. Server-side only: the page receives the sentences.

use super::describe::{day_month_year_time, describe_condition, describe_filter, describe_lead};
use crate::domain::condition::{field_name, Operator, LEAD_FIELDS};
use crate::domain::{CustomFilter, Icp, LeadKind, LeadSource, UserId};

/// The changes from `before` to `after`, one sentence each, in the order of the ICP's fields;
/// `name_of` names a user (their name, or their id when they are not a teammate).
pub fn changes(before: &Icp, after: &Icp, name_of: &dyn Fn(&UserId) -> String) -> Vec<String> {
    let mut said = Vec::new();
    if before.name != after.name {
        said.push(format!("Name: “{}” → “{}”", before.name, after.name));
    }
    if before.description != after.description {
        said.push(match &after.description {
            Some(text) if !text.is_empty() => format!("Description: “{text}”"),
            _ => "Description removed".to_owned(),
        });
    }
    if before.leads_per_list != after.leads_per_list {
        said.push(format!(
            "Leads per list: {} → {}",
            before.leads_per_list, after.leads_per_list
        ));
    }
    if before.active_until != after.active_until {
        let until = |icp: &Icp| {
            icp.active_until
                .map(day_month_year_time)
                .unwrap_or_else(|| "no end date".to_owned())
        };
        said.push(format!(
            "Active until: {} → {}",
            until(before),
            until(after)
        ));
    }
    if before.owner != after.owner {
        let owner = |icp: &Icp| icp.owner.as_ref().map_or("nobody".to_owned(), name_of);
        said.push(format!("Owner: {} → {}", owner(before), owner(after)));
    }
    for user in after
        .user_ids
        .iter()
        .filter(|u| !before.user_ids.contains(u))
    {
        said.push(format!("Shared with {}", name_of(user)));
    }
    for user in before
        .user_ids
        .iter()
        .filter(|u| !after.user_ids.contains(u))
    {
        said.push(format!("No longer shared with {}", name_of(user)));
    }
    let several = before.lead_provider_criteria.len() > 1 || after.lead_provider_criteria.len() > 1;
    listed(
        &mut said,
        "lead source",
        &before.lead_provider_criteria,
        &after.lead_provider_criteria,
        describe_lead,
        |position, old, new| {
            let prefix = if several {
                format!("Lead source {position} · ")
            } else {
                String::new()
            };
            field_changes(&lead_fields(old), &lead_fields(new))
                .into_iter()
                .map(|change| format!("{prefix}{change}"))
                .collect()
        },
    );
    listed(
        &mut said,
        "filter",
        &before.custom_filter_criteria,
        &after.custom_filter_criteria,
        |filter| format!("{}: {}", filter.kind().label(), describe_filter(filter)),
        |_, old, new| {
            if old.kind() != new.kind() {
                return Vec::new();
            }
            let (old, new) = (filter_fields(old), filter_fields(new));
            let label = old.0;
            match (old.1.as_slice(), new.1.as_slice()) {
                // A limit reads as its kind: "Min days before reuse: 180 → 90".
                ([(_, Field::Text(old))], [(_, Field::Text(new))]) => {
                    vec![format!("{label}: {old} → {new}")]
                }
                (old, new) => field_changes(old, new)
                    .into_iter()
                    .map(|change| format!("{label} · {change}"))
                    .collect(),
            }
        },
    );
    if before.crm_filters != after.crm_filters {
        let conditions = |icp: &Icp| -> Vec<String> {
            icp.crm_filters
                .as_ref()
                .and_then(|crm| crm.filters.clone())
                .unwrap_or_default()
                .iter()
                .map(describe_condition)
                .collect()
        };
        match (&before.crm_filters, &after.crm_filters) {
            (None, Some(_)) => said.push("CRM filters added".to_owned()),
            (Some(_), None) => said.push("CRM filters removed".to_owned()),
            _ => {}
        }
        let (old, new) = (conditions(before), conditions(after));
        for added in new.iter().filter(|c| !old.contains(c)) {
            said.push(format!("Added CRM condition: {added}"));
        }
        for removed in old.iter().filter(|c| !new.contains(c)) {
            said.push(format!("Removed CRM condition: {removed}"));
        }
        if before.crm_filters.is_some() && after.crm_filters.is_some() && old == new {
            said.push("CRM search changed".to_owned());
        }
    }
    said
}

/// What an ICP started with, one sentence each (its first version).
pub fn started_with(icp: &Icp, name_of: &dyn Fn(&UserId) -> String) -> Vec<String> {
    let mut said = vec![
        format!("Name: “{}”", icp.name),
        format!("Leads per list: {}", icp.leads_per_list),
    ];
    if let Some(text) = icp.description.as_ref().filter(|t| !t.is_empty()) {
        said.insert(1, format!("Description: “{text}”"));
    }
    if let Some(until) = icp.active_until {
        said.push(format!("Active until: {}", day_month_year_time(until)));
    }
    for (index, lead) in icp.lead_provider_criteria.iter().enumerate() {
        said.push(format!(
            "Lead source {}: {}",
            index + 1,
            describe_lead(lead)
        ));
    }
    for filter in &icp.custom_filter_criteria {
        said.push(format!(
            "Filter: {}: {}",
            filter.kind().label(),
            describe_filter(filter)
        ));
    }
    if let Some(crm) = &icp.crm_filters {
        let conditions = crm.filters.as_deref().unwrap_or_default();
        said.push(format!(
            "CRM filters, {}",
            crate::pages::describe::plural(conditions.len(), "condition", "conditions")
        ));
        said.extend(conditions.iter().map(describe_condition));
    }
    let shared: Vec<String> = icp
        .user_ids
        .iter()
        .filter(|user| icp.owner.as_ref() != Some(*user))
        .map(name_of)
        .collect();
    if icp.everyone {
        said.push("Shared with everyone in the workspace".to_owned());
    } else if !shared.is_empty() {
        said.push(format!("Shared with {}", shared.join(", ")));
    }
    said
}

/// A field of a lead source or filter, as the history compares it.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Text(String),
    List(Vec<String>),
}

/// A lead source's fields, labelled as the builder labels them; absent ones left out.
fn lead_fields(lead: &LeadSource) -> Vec<(String, Field)> {
    let f = &lead.filters;
    let mut fields = vec![(
        "Search for".to_owned(),
        Field::Text(
            if lead.kind == LeadKind::Company {
                "Companies"
            } else {
                "People"
            }
            .to_owned(),
        ),
    )];
    let mut list = |label: &str, items: Option<&Vec<String>>| {
        if let Some(items) = items.filter(|i| !i.is_empty()) {
            fields.push((label.to_owned(), Field::List(items.clone())));
        }
    };
    let location = f.location.as_ref();
    let company = f.company.as_ref();
    list("Job titles", f.job_title.as_ref());
    list("Seniority", f.seniority.as_ref());
    list("Skills", f.skills.as_ref());
    list("Countries", location.and_then(|l| l.country.as_ref()));
    list("States", location.and_then(|l| l.state.as_ref()));
    list("Cities", location.and_then(|l| l.city.as_ref()));
    list("Industries", company.and_then(|c| c.industry.as_ref()));
    list(
        "Company keywords",
        company.and_then(|c| c.keywords.as_ref()),
    );
    let size = company.and_then(|c| c.employee_size);
    let bound = |n: Option<u32>| n.map_or("any".to_owned(), |n| n.to_string());
    if let Some(size) = size.filter(|s| s.min.is_some() || s.max.is_some()) {
        fields.push((
            "Employees".to_owned(),
            Field::Text(format!("{}–{}", bound(size.min), bound(size.max))),
        ));
    }
    for (key, value) in lead.filters.other.to_map() {
        fields.push((key, Field::Text(value.to_string())));
    }
    fields
}

/// A filter's label and its fields.
fn filter_fields(filter: &CustomFilter) -> (&'static str, Vec<(String, Field)>) {
    let text = |label: &str, value: String| (label.to_owned(), Field::Text(value));
    let list = |label: &str, items: &Option<Vec<String>>| {
        (
            label.to_owned(),
            Field::List(items.clone().unwrap_or_default()),
        )
    };
    let fields = match filter {
        CustomFilter::Website { prompt, .. } => vec![text("Prompt", prompt.clone())],
        CustomFilter::Webscraping {
            extraction_prompt,
            page_finding_prompt,
            include_search_strings,
            exclude_search_strings,
            ..
        } => vec![
            text("What to extract", extraction_prompt.clone()),
            text(
                "Find the page by",
                page_finding_prompt.clone().unwrap_or_default(),
            ),
            list("Pages must mention", include_search_strings),
            list("Pages must not mention", exclude_search_strings),
        ],
        CustomFilter::Ai {
            entity_type,
            prompt,
        } => vec![
            text("Judges", entity_type.as_str().to_owned()),
            text("Prompt", prompt.clone()),
        ],
        CustomFilter::MaxPeoplePerCompany { value } | CustomFilter::MinDaysUntilReuse { value } => {
            vec![text("Value", value.to_string())]
        }
        CustomFilter::MaxPercentFromCrm { value } => {
            vec![text("Value", format!("{}%", serde_json::json!(value)))]
        }
        CustomFilter::MatchFieldWithRegex { field, regex } => {
            let (operator, value) = Operator::read(regex);
            let value = match operator {
                Operator::Matches => format!("/{value}/"),
                _ => value,
            };
            vec![
                text("Field", field_name(&LEAD_FIELDS, field).to_owned()),
                text("Condition", format!("{} {value}", operator.label())),
            ]
        }
    };
    (filter.kind().label(), fields)
}

/// "Countries: + Liechtenstein, − Austria", "Employees: 100–any → 200–5000", one per field that
/// differs between `old` and `new`, in `new`'s order (then fields only `old` had).
fn field_changes(old: &[(String, Field)], new: &[(String, Field)]) -> Vec<String> {
    let get = |fields: &[(String, Field)], label: &str| {
        fields
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, field)| field.clone())
    };
    let mut labels: Vec<&String> = new.iter().map(|(label, _)| label).collect();
    for (label, _) in old {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let quoted = |text: &str| {
        if text.is_empty() {
            "none".to_owned()
        } else {
            format!("“{text}”")
        }
    };
    labels
        .into_iter()
        .filter_map(|label| {
            let (was, is) = (get(old, label), get(new, label));
            if was == is {
                return None;
            }
            let list = |field: &Option<Field>| match field {
                Some(Field::List(items)) => items.clone(),
                _ => Vec::new(),
            };
            let text = |field: &Option<Field>| match field {
                Some(Field::Text(text)) => text.clone(),
                _ => String::new(),
            };
            let change =
                if matches!(was, Some(Field::List(_))) || matches!(is, Some(Field::List(_))) {
                    let (was, is) = (list(&was), list(&is));
                    let added = is
                        .iter()
                        .filter(|v| !was.contains(v))
                        .map(|v| format!("+ {v}"));
                    let removed = was
                        .iter()
                        .filter(|v| !is.contains(v))
                        .map(|v| format!("− {v}"));
                    let mut parts: Vec<String> = added.chain(removed).collect();
                    if parts.is_empty() {
                        parts.push("reordered".to_owned());
                    }
                    parts.join(", ")
                } else {
                    format!("{} → {}", quoted(&text(&was)), quoted(&text(&is)))
                };
            Some(format!("{label}: {change}"))
        })
        .collect()
}

/// The items of a list that differ between versions: those in both stay unsaid; the others are
/// paired in order, and a pair says what changed in it (`changed`, given the item's position in
/// the new list, from 1), or, when that says nothing (different kinds), is one removed and one
/// added; the rest are "Added <what>: …" or "Removed <what>: …".
fn listed<T: PartialEq>(
    said: &mut Vec<String>,
    what: &str,
    before: &[T],
    after: &[T],
    describe: impl Fn(&T) -> String,
    changed: impl Fn(usize, &T, &T) -> Vec<String>,
) {
    let start = said.len();
    let gone: Vec<&T> = before.iter().filter(|item| !after.contains(item)).collect();
    let new: Vec<(usize, &T)> = after
        .iter()
        .enumerate()
        .filter(|(_, item)| !before.contains(item))
        .collect();
    let mut removed = Vec::new();
    for pair in 0..gone.len().max(new.len()) {
        match (gone.get(pair), new.get(pair)) {
            (Some(old), Some((position, item))) => {
                let changes = changed(position + 1, old, item);
                if changes.is_empty() {
                    said.push(format!("Added {what}: {}", describe(item)));
                    removed.push(*old);
                } else {
                    said.extend(changes);
                }
            }
            (None, Some((_, item))) => said.push(format!("Added {what}: {}", describe(item))),
            (Some(old), None) => removed.push(*old),
            (None, None) => {}
        }
    }
    for item in removed {
        said.push(format!("Removed {what}: {}", describe(item)));
    }
    if said.len() == start && before != after {
        said.push(format!("{}s reordered", capitalised(what)));
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{validate_draft, Timestamp};
    use serde_json::json;
    use uuid::Uuid;

    fn icp(body: serde_json::Value) -> Icp {
        let now = Timestamp::now();
        validate_draft(&body)
            .unwrap()
            .into_icp(Uuid::nil(), now, now)
    }

    #[test]
    fn changes_read_as_sentences() {
        let before = icp(
            json!({"name": "DACH", "leadProviderCriteria": [], "userIds": ["user_a"],
            "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": 2}], "leadsPerList": 20}),
        );
        let after = icp(
            json!({"name": "DACH leaders", "leadProviderCriteria": [], "userIds": ["user_b"],
            "customFilterCriteria": [{"type": "matchFieldWithRegex", "field": "company.name", "regex": "^A"}],
            "leadsPerList": 50}),
        );
        let name = |user: &UserId| format!("name of {user}");
        assert_eq!(
            changes(&before, &after, &name),
            vec![
                "Name: “DACH” → “DACH leaders”",
                "Leads per list: 20 → 50",
                "Shared with name of user_b",
                "No longer shared with name of user_a",
                "Added filter: Field condition: Company name starts with “A”",
                "Removed filter: Max people per company: At most 2 people per company",
            ]
        );
        assert!(changes(&before, &before, &name).is_empty());
    }

    #[test]
    fn changes_inside_a_lead_source_or_filter_read_as_values() {
        let lead = |countries: &[&str], titles: &[&str], min: u32| {
            json!({"provider": "baseProvider", "filters": {
                "job_title": titles, "location": {"country": countries},
                "company": {"employee_size": {"min": min}}}})
        };
        let body = |lead: serde_json::Value, days: u32| {
            json!({"name": "DACH", "leadProviderCriteria": [lead], "userIds": [],
                "customFilterCriteria": [{"type": "minDaysUntilReuse", "value": days},
                    {"type": "matchFieldWithRegex", "field": "company.name", "regex": "^A"}]})
        };
        let before = icp(body(
            lead(&["Germany", "Austria"], &["CTO", "CIO"], 100),
            180,
        ));
        let after = icp(body(
            lead(&["Germany", "Austria", "Liechtenstein"], &["CTO"], 200),
            90,
        ));
        let name = |user: &UserId| user.to_string();
        assert_eq!(
            changes(&before, &after, &name),
            vec![
                "Job titles: − CIO",
                "Countries: + Liechtenstein",
                "Employees: “100–any” → “200–any”",
                "Min days before reuse: 180 → 90",
            ]
        );
        // With several lead sources, each change says which; a new one is added whole.
        let mut two = body(lead(&["Germany"], &["CTO"], 100), 180);
        two["leadProviderCriteria"]
            .as_array_mut()
            .unwrap()
            .push(lead(&["France"], &["CEO"], 100));
        let mut three = two.clone();
        three["leadProviderCriteria"][1]["filters"]["location"]["country"] =
            json!(["France", "Belgium"]);
        assert_eq!(
            changes(&icp(two.clone()), &icp(three), &name),
            vec!["Lead source 2 · Countries: + Belgium"]
        );
        let mut pattern = two.clone();
        pattern["customFilterCriteria"][1]["regex"] = json!("^B");
        assert_eq!(
            changes(&icp(two), &icp(pattern), &name),
            vec!["Field condition · Condition: “starts with A” → “starts with B”"]
        );
    }

    #[test]
    fn a_creation_lists_what_the_icp_started_with() {
        let icp = icp(
            json!({"name": "DACH", "description": "Tech buyers", "userIds": [],
            "leadProviderCriteria": [{"provider": "baseProvider", "filters": {"job_title": ["CTO"]}}],
            "customFilterCriteria": [{"type": "maxPeoplePerCompany", "value": 2}], "leadsPerList": 20}),
        );
        let name = |user: &UserId| user.to_string();
        assert_eq!(
            started_with(&icp, &name),
            vec![
                "Name: “DACH”",
                "Description: “Tech buyers”",
                "Leads per list: 20",
                "Lead source 1: People · Job titles: CTO",
                "Filter: Max people per company: At most 2 people per company",
            ]
        );
    }
}
