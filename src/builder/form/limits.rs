//! The API's limits on rows and tag lists, applied to a posted form before anything else is done
//! with it.

use super::errors::FormError;
use super::names::{self, lead, FilterField, Section};
use super::rows::Rows;
use super::Pairs;
use crate::domain::Limits;
use std::collections::{HashMap, HashSet};

/// The API's limit on a field holding a list of tags (committed ones, one per line), with the
/// field's label; `None` for any other field.
fn tag_list(name: &str) -> Option<(usize, &'static str)> {
    if name == names::USER_IDS {
        return Some((Limits::USER_IDS, "user ids"));
    }
    let (section, _, field) = names::row_field(name)?;
    let label = match section {
        Section::Leads => lead::tag_label(field),
        Section::Filters => FilterField::parse(field).and_then(FilterField::tag_label),
        Section::Conditions => None,
    };
    label.map(|label| (Limits::TAGS, label))
}

/// Applies the API's limits on rows and on tag lists to a posted form before anything else is done
/// with it. Within them, the fields come back unchanged and without errors. Past them, only the
/// first rows of an overfull section and the first tags of an overfull list are kept (showing
/// thousands of them again would cost what the limits prevent), every other value is kept, and each
/// cut gets an error saying so; nothing is saved.
pub fn within_limits(pairs: Pairs) -> (Pairs, Vec<FormError>) {
    let rows = Rows::of(&pairs);
    let mut errors = Vec::new();
    let mut dropped: [HashSet<u32>; 3] = Default::default();
    for section in Section::ALL {
        let (count, limit) = (rows.count(section), section.limit());
        if count <= limit {
            continue;
        }
        let (place, noun) = section.words();
        errors.push(FormError {
            field: None,
            section: Some(section),
            place: place.to_owned(),
            message: format!(
                "At most {limit} {noun} are allowed; the form sent had {count}, so only the first \
                 {limit} are kept. Nothing was saved."
            ),
        });
        dropped[section as usize] = rows.keys(section).into_iter().skip(limit).collect();
    }
    // Rows are numbered by position, as the builder shows them (the first rows are the kept ones).
    let position = |section: Section| -> HashMap<u32, usize> {
        let keys = rows.keys(section).into_iter().enumerate();
        keys.map(|(i, k)| (k, i + 1)).collect()
    };
    let (lead_at, filter_at) = (position(Section::Leads), position(Section::Filters));
    let mut kept: Pairs = Vec::with_capacity(pairs.len());
    for (name, mut value) in pairs {
        let row = names::row_field(&name).map(|(section, key, _)| (section, key));
        if row.is_some_and(|(section, key)| dropped[section as usize].contains(&key)) {
            continue;
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
                let (section, place) = match row {
                    Some((Section::Leads, key)) => match lead_at.get(&key) {
                        Some(n) => (Some(Section::Leads), format!("Lead source {n} › {label}")),
                        None => (Some(Section::Leads), format!("Lead source › {label}")),
                    },
                    Some((section, key)) => match filter_at.get(&key) {
                        Some(n) => (Some(section), format!("Custom filter {n} › {label}")),
                        None => (Some(section), format!("Custom filter › {label}")),
                    },
                    None => (None, "Shared with".to_owned()),
                };
                errors.push(FormError {
                    field: Some(names::new_tag(&name)),
                    section,
                    place,
                    message: format!(
                        "At most {limit} entries are allowed; the form sent had {count}, so only \
                         the first {limit} are kept. Nothing was saved."
                    ),
                });
            }
        }
        let other =
            row.filter(|_| names::row_field(&name).is_some_and(|(_, _, f)| f == lead::OTHER));
        if let Some((_, key)) = other {
            // The provider-specific filters an ICP from the API carried: held to a body's shape
            // before they are parsed, and never dropped without a word.
            if let Err(problem) = crate::domain::check_shape(value.as_bytes()) {
                let place = match lead_at.get(&key) {
                    Some(n) => format!("Lead source {n} › Provider-specific filters"),
                    None => "Lead source › Provider-specific filters".to_owned(),
                };
                errors.push(FormError {
                    field: None,
                    section: Some(Section::Leads),
                    place,
                    message: format!("{} Nothing was saved.", problem.message),
                });
                value = "{}".to_owned();
            }
        }
        kept.push((name, value));
    }
    (kept, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::form::rows::tests::leads;

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
    fn provider_filters_past_a_bodys_shape_are_refused_with_a_word() {
        let wide = format!("{{\"scores\": [{}0]}}", "0,".repeat(Limits::VALUES));
        let form: Pairs = vec![
            ("lead.3.type".into(), "person".into()),
            ("lead.3.other".into(), wide),
        ];
        let (kept, errors) = within_limits(form);
        assert_eq!(kept[1].1, "{}");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].place, "Lead source 1 › Provider-specific filters");
        assert!(
            errors[0].message.contains("more than 4000 JSON values"),
            "{}",
            errors[0].message
        );
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
}
