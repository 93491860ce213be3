//! ICPs in words, for the list and detail pages: a lead source, a filter, a CRM condition, a date.

use crate::domain::condition;
use crate::domain::{CrmMode, CrmValue, CustomFilter, LeadKind, LeadSource, Timestamp};
use chrono::{Datelike, Timelike};

pub fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A lead source in words: "People · Job titles: CTO, VP Engineering · Countries: Germany".
pub fn describe_lead(lead: &LeadSource) -> String {
    let f = &lead.filters;
    let mut parts = vec![if lead.kind == LeadKind::Company {
        "Companies"
    } else {
        "People"
    }
    .to_owned()];
    let mut list = |label: &str, items: &Option<Vec<String>>| {
        if let Some(items) = items.as_ref().filter(|i| !i.is_empty()) {
            parts.push(format!("{label}: {}", items.join(", ")));
        }
    };
    list("Job titles", &f.job_title);
    list("Seniority", &f.seniority);
    list("Skills", &f.skills);
    if let Some(location) = &f.location {
        list("Countries", &location.country);
        list("States", &location.state);
        list("Cities", &location.city);
    }
    if let Some(company) = &f.company {
        list("Industries", &company.industry);
        list("Keywords", &company.keywords);
        if let Some(size) = company.employee_size {
            let range = match (size.min, size.max) {
                (Some(min), Some(max)) => format!("{min}–{max} employees"),
                (Some(min), None) => format!("at least {min} employees"),
                (None, Some(max)) => format!("at most {max} employees"),
                (None, None) => String::new(),
            };
            if !range.is_empty() {
                parts.push(range);
            }
        }
    }
    for (key, value) in f.other.to_map() {
        parts.push(format!("{key}: {value}"));
    }
    parts.join(" · ")
}

/// Whom an ICP targets, in a line for the list: the job titles, countries and company sizes of
/// its lead sources (a few of each), "Everyone" when they filter nothing, "CRM only" without any.
pub fn targets(icp: &crate::domain::Icp) -> String {
    let leads = &icp.lead_provider_criteria;
    if leads.is_empty() {
        return "CRM only".to_owned();
    }
    let mut titles: Vec<&str> = Vec::new();
    let mut places: Vec<&str> = Vec::new();
    let mut sizes: Vec<String> = Vec::new();
    for lead in leads {
        let f = &lead.filters;
        titles.extend(f.job_title.iter().flatten().map(String::as_str));
        titles.extend(f.seniority.iter().flatten().map(String::as_str));
        if let Some(location) = &f.location {
            for names in [&location.country, &location.state, &location.city] {
                places.extend(names.iter().flatten().map(String::as_str));
            }
        }
        if let Some(size) = f.company.as_ref().and_then(|c| c.employee_size) {
            sizes.push(match (size.min, size.max) {
                (Some(min), Some(max)) => format!("{min}–{max} employees"),
                (Some(min), None) => format!("{min}+ employees"),
                (None, Some(max)) => format!("≤ {max} employees"),
                (None, None) => continue,
            });
        }
    }
    let few = |items: &[&str]| {
        let mut unique: Vec<&str> = Vec::new();
        for item in items {
            if !unique.contains(item) {
                unique.push(item);
            }
        }
        match unique.len() {
            0..=3 => unique.join(", "),
            n => format!("{} +{}", unique[..3].join(", "), n - 3),
        }
    };
    let parts: Vec<String> = [few(&titles), few(&places), sizes.join(", ")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    if parts.is_empty() {
        "Everyone".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// A custom filter in words: "At most 2 people per company".
pub fn describe_filter(filter: &CustomFilter) -> String {
    match filter {
        CustomFilter::Website { prompt, .. } => {
            format!("Website check by a browser agent: “{prompt}”")
        }
        CustomFilter::Webscraping {
            extraction_prompt,
            page_finding_prompt,
            include_search_strings: include,
            exclude_search_strings: exclude,
            ..
        } => {
            let mut text = format!("Scrape the website and extract: “{extraction_prompt}”");
            if let Some(page) = page_finding_prompt {
                text.push_str(&format!("; find the page by: “{page}”"));
            }
            for (words, must) in [(include, "must"), (exclude, "must not")] {
                if let Some(words) = words.as_ref().filter(|words| !words.is_empty()) {
                    text.push_str(&format!("; pages {must} mention {}", words.join(", ")));
                }
            }
            text
        }
        CustomFilter::Ai {
            entity_type,
            prompt,
        } => {
            format!("AI judges the {}: “{prompt}”", entity_type.as_str())
        }
        CustomFilter::MaxPeoplePerCompany { value } => {
            format!(
                "At most {} per company",
                plural(*value as usize, "person", "people")
            )
        }
        CustomFilter::MaxPercentFromCrm { value } => format!(
            "At most {}% of leads from the CRM",
            serde_json::json!(value)
        ),
        CustomFilter::MinDaysUntilReuse { value } => {
            format!(
                "A lead is reused only after {}",
                plural(*value as usize, "day", "days")
            )
        }
        CustomFilter::MatchFieldWithRegex { field, regex } => condition::in_words(field, regex),
    }
}

pub fn describe_condition(condition: &crate::domain::CrmCondition) -> String {
    let value = match &condition.value {
        CrmValue::One(one) => format!("“{one}”"),
        CrmValue::Many(many) => many.join(", "),
    };
    let mode = match condition.mode {
        CrmMode::Equals => "equals",
        CrmMode::In => "is one of",
        CrmMode::StartsWith => "starts with",
    };
    let text = format!("{} {mode} {value}", condition.path);
    if condition.exclude {
        format!("Exclude contacts where {text}")
    } else {
        format!("Contacts where {text}")
    }
}

// Dates by hand rather than with chrono's `format`: its strftime parser is ~10 KB of the WASM
// bundle, for three fixed shapes. Years are 0001–9999 (`Timestamp`), so `{:04}` matches `%Y`.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "5 Mar 2025" (UTC), as strftime's `%-d %b %Y` writes it.
pub fn day_month_year(at: Timestamp) -> String {
    let date = at.0.date_naive();
    let month = MONTHS.get(date.month0() as usize).copied().unwrap_or("");
    format!("{} {month} {:04}", date.day(), date.year())
}

/// "5 Mar 2025, 09:30 UTC", as strftime's `%-d %b %Y, %H:%M UTC` writes it.
pub fn day_month_year_time(at: Timestamp) -> String {
    let time = at.0.time();
    format!(
        "{}, {:02}:{:02} UTC",
        day_month_year(at),
        time.hour(),
        time.minute()
    )
}

/// How long before `now` `at` was, in words: "just now", "5 minutes ago", "2 hours ago",
/// "yesterday", "3 days ago"; past four weeks, the date ("5 Mar 2025"). A time ahead of `now`
/// (clocks apart) reads as "just now".
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    let seconds = (now.0 - at.0).num_seconds().max(0);
    let (minutes, hours, days) = (seconds / 60, seconds / 3_600, seconds / 86_400);
    match () {
        _ if minutes < 1 => "just now".to_owned(),
        _ if hours < 1 => format!("{} ago", plural(minutes as usize, "minute", "minutes")),
        _ if days < 1 => format!("{} ago", plural(hours as usize, "hour", "hours")),
        _ if days < 2 => "yesterday".to_owned(),
        _ if days < 28 => format!("{days} days ago"),
        _ => day_month_year(at),
    }
}

/// A past instant as people say it ("2 hours ago"), and exactly on hover: in UTC as served, in
/// the viewer's time zone once the page's script runs (`crate::local_times`).
#[leptos::component]
pub fn When(at: Timestamp) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! {
        <time datetime=at.to_string() title=day_month_year_time(at)>
            {relative(at, Timestamp::now())}
        </time>
    }
}

/// The day of `at` (UTC, as `iso_date` writes it), with its exact instant for machines.
#[leptos::component]
pub fn Day(at: Timestamp) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! { <time datetime=at.to_string()>{iso_date(at)}</time> }
}

/// "2025-03-05" (UTC), as strftime's `%Y-%m-%d` writes it.
fn iso_date(at: Timestamp) -> String {
    let date = at.0.date_naive();
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn relative_times_read_as_people_say_them() {
        let now = Timestamp::parse("2026-12-06T12:00:00Z").unwrap();
        let ago = |text: &str| relative(Timestamp::parse(text).unwrap(), now);
        assert_eq!(ago("2026-12-06T12:00:30Z"), "just now");
        assert_eq!(ago("2026-12-06T11:59:10Z"), "just now");
        assert_eq!(ago("2026-12-06T11:59:00Z"), "1 minute ago");
        assert_eq!(ago("2026-12-06T11:15:00Z"), "45 minutes ago");
        assert_eq!(ago("2026-12-06T10:00:00Z"), "2 hours ago");
        assert_eq!(ago("2026-12-05T09:00:00Z"), "yesterday");
        assert_eq!(ago("2026-12-01T12:00:00Z"), "5 days ago");
        assert_eq!(ago("2026-10-01T12:00:00Z"), "1 Oct 2026");
    }

    #[test]
    fn dates_read_as_strftime_wrote_them() {
        for raw in [
            "2025-03-05T09:30:59.999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T23:05:00+01:00",
            "2031-10-10T10:10:10Z",
        ] {
            let at = Timestamp::parse(raw).unwrap();
            assert_eq!(day_month_year(at), at.0.format("%-d %b %Y").to_string());
            assert_eq!(
                day_month_year_time(at),
                at.0.format("%-d %b %Y, %H:%M UTC").to_string()
            );
            assert_eq!(iso_date(at), at.0.format("%Y-%m-%d").to_string());
        }
    }
}
