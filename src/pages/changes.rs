//! What changed between two versions of an ICP, in words ("Leads per list: 20 → 50", "Added
//! filter: …"), for the history page. Server-side only: the page receives the sentences.

use super::describe::{day_month_year_time, describe_condition, describe_filter, describe_lead};
use crate::domain::{Icp, UserId};

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
    listed(
        &mut said,
        "lead source",
        &before.lead_provider_criteria,
        &after.lead_provider_criteria,
        describe_lead,
    );
    listed(
        &mut said,
        "filter",
        &before.custom_filter_criteria,
        &after.custom_filter_criteria,
        |filter| format!("{}: {}", filter.kind().label(), describe_filter(filter)),
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

/// "Added <what>: …" and "Removed <what>: …" for the items of a list that differ.
fn listed<T: PartialEq>(
    said: &mut Vec<String>,
    what: &str,
    before: &[T],
    after: &[T],
    describe: impl Fn(&T) -> String,
) {
    let start = said.len();
    for item in after.iter().filter(|item| !before.contains(item)) {
        said.push(format!("Added {what}: {}", describe(item)));
    }
    for item in before.iter().filter(|item| !after.contains(item)) {
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
                "Added filter: Field matches pattern: company.name matches /^A/",
                "Removed filter: Max people per company: At most 2 people per company",
            ]
        );
        assert!(changes(&before, &before, &name).is_empty());
    }
}
