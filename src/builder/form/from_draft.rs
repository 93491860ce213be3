//! The form fields that show an ICP draft (for editing or duplicating it), and those of a new one.

use super::names::{self, condition, lead, FilterField, Section};
use super::Pairs;
use crate::domain::condition::Operator;
use crate::domain::{CrmMode, CrmValue, CustomFilter, IcpDraft, LeadKind, LeadSource};
use chrono::Timelike;
use serde_json::json;

/// The fields of a new ICP: one empty lead-source row and the default list size.
pub fn new_form() -> Pairs {
    vec![
        (names::LEADS_PER_LIST.into(), "10".into()),
        (Section::Leads.field(1, lead::TYPE), "person".into()),
    ]
}

fn lines(tags: &Option<Vec<String>>) -> String {
    tags.as_deref().unwrap_or_default().join("\n")
}

/// The form fields that show `draft`. Rows get keys 1, 2, … across all sections.
pub fn draft_to_pairs(draft: &IcpDraft) -> Pairs {
    let mut pairs: Pairs = Vec::new();
    pairs.push((names::NAME.into(), draft.name.clone()));
    let description = draft.description.clone().unwrap_or_default();
    pairs.push((names::DESCRIPTION.into(), description));
    pairs.push((
        names::LEADS_PER_LIST.into(),
        draft.leads_per_list.to_string(),
    ));
    if let Some(until) = draft.active_until {
        // The datetime-local box, in UTC, as precise as the ICP is.
        let format = match (until.0.second(), until.0.timestamp_subsec_millis()) {
            (0, 0) => "%Y-%m-%dT%H:%M",
            (_, 0) => "%Y-%m-%dT%H:%M:%S",
            _ => "%Y-%m-%dT%H:%M:%S%.3f",
        };
        pairs.push((
            names::ACTIVE_UNTIL.into(),
            until.0.format(format).to_string(),
        ));
    }
    let users: Vec<String> = draft.user_ids.iter().map(|u| u.to_string()).collect();
    pairs.push((names::USER_IDS.into(), users.join("\n")));

    let mut key = 0;
    for source in &draft.lead_provider_criteria {
        key += 1;
        lead_pairs(&mut pairs, key, source);
    }
    for filter in &draft.custom_filter_criteria {
        key += 1;
        filter_pairs(&mut pairs, key, filter);
    }
    if let Some(crm) = &draft.crm_filters {
        pairs.push((names::CRM_ENABLED.into(), "on".into()));
        let text = |text: &Option<Option<String>>| text.clone().flatten().unwrap_or_default();
        pairs.push((names::CRM_TEXT_SEARCH.into(), text(&crm.text_search)));
        pairs.push((names::CRM_QUERY.into(), text(&crm.query)));
        for c in crm.filters.as_deref().unwrap_or_default() {
            key += 1;
            let field = |name: &str| Section::Conditions.field(key, name);
            let mode = match c.mode {
                CrmMode::Equals => "equals",
                CrmMode::In => "in",
                CrmMode::StartsWith => "startsWith",
            };
            pairs.push((field(condition::PATH), c.path.clone()));
            pairs.push((field(condition::MODE), mode.into()));
            let value = match &c.value {
                CrmValue::One(one) => one.clone(),
                // One text box, comma-separated (a value holding a comma cannot be edited here).
                CrmValue::Many(many) => many.join(", "),
            };
            pairs.push((field(condition::VALUE), value));
            if c.exclude {
                pairs.push((field(condition::EXCLUDE), "on".into()));
            }
        }
    }
    pairs
}

fn lead_pairs(pairs: &mut Pairs, key: u32, source: &LeadSource) {
    let field = |name: &str| Section::Leads.field(key, name);
    let f = &source.filters;
    let kind = match source.kind {
        LeadKind::Company => "company",
        LeadKind::Person => "person",
    };
    pairs.push((field(lead::TYPE), kind.into()));
    if !f.other.is_empty() {
        pairs.push((field(lead::OTHER), f.other.as_json().to_owned()));
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
        pairs.push((field(name), lines(tags)));
    }
    let bound = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    pairs.push((field(lead::EMPLOYEE_MIN), bound(size.min)));
    pairs.push((field(lead::EMPLOYEE_MAX), bound(size.max)));
}

fn filter_pairs(pairs: &mut Pairs, key: u32, filter: &CustomFilter) {
    let mut push = |f: FilterField, value: String| {
        pairs.push((Section::Filters.field(key, f.name()), value));
    };
    push(FilterField::Type, filter.kind().tag().into());
    match filter {
        CustomFilter::Website { prompt, .. } => push(FilterField::Prompt, prompt.clone()),
        CustomFilter::Webscraping {
            extraction_prompt,
            page_finding_prompt,
            include_search_strings,
            exclude_search_strings,
            ..
        } => {
            push(FilterField::ExtractionPrompt, extraction_prompt.clone());
            let page = page_finding_prompt.clone().unwrap_or_default();
            push(FilterField::PageFindingPrompt, page);
            push(
                FilterField::IncludeSearchStrings,
                lines(include_search_strings),
            );
            push(
                FilterField::ExcludeSearchStrings,
                lines(exclude_search_strings),
            );
        }
        CustomFilter::Ai {
            entity_type,
            prompt,
        } => {
            push(FilterField::EntityType, entity_type.as_str().into());
            push(FilterField::Prompt, prompt.clone());
        }
        CustomFilter::MaxPeoplePerCompany { value } | CustomFilter::MinDaysUntilReuse { value } => {
            push(FilterField::Value, value.to_string())
        }
        CustomFilter::MaxPercentFromCrm { value } => {
            push(FilterField::Value, json!(value).to_string())
        }
        CustomFilter::MatchFieldWithRegex { field, regex } => {
            push(FilterField::Field, field.clone());
            let (operator, value) = Operator::read(regex);
            push(FilterField::Operator, operator.tag().into());
            push(FilterField::Regex, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::form::form_to_json;
    use crate::domain::validate_draft;

    #[test]
    fn a_draft_survives_the_trip_through_the_form() {
        for name in ["basic-icp", "crm-integration", "ai-filtering"] {
            let text = match name {
                "basic-icp" => include_str!("../../api/examples/basic-icp.json"),
                "crm-integration" => include_str!("../../api/examples/crm-integration.json"),
                _ => include_str!("../../api/examples/ai-filtering.json"),
            };
            let draft = validate_draft(&serde_json::from_str(text).unwrap()).unwrap();
            let again = validate_draft(&form_to_json(&draft_to_pairs(&draft))).unwrap();
            assert_eq!(again, draft, "{name}");
        }
    }

    #[test]
    fn active_until_fills_the_box_as_precisely_as_it_was_given() {
        for (given, shown) in [
            ("2031-06-30T12:00:00Z", "2031-06-30T12:00"),
            ("2031-06-30T12:00:07+02:00", "2031-06-30T10:00:07"),
            ("2031-06-30T12:00:00.5Z", "2031-06-30T12:00:00.500"),
            ("0001-01-01T00:00:00.001Z", "0001-01-01T00:00:00.001"),
            ("9999-12-31T23:59:00Z", "9999-12-31T23:59"),
        ] {
            let body = json!({
                "name": "A", "activeUntil": given, "userIds": [],
                "leadProviderCriteria": [], "customFilterCriteria": [],
            });
            let draft = validate_draft(&body).unwrap();
            let pairs = draft_to_pairs(&draft);
            let value = pairs.iter().find(|(name, _)| name == names::ACTIVE_UNTIL);
            assert_eq!(value.map(|(_, v)| v.as_str()), Some(shown), "{given}");
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
}
