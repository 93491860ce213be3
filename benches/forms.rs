//! What a no-JavaScript builder post costs the server before rendering: reading its rows, applying
//! the row limits, a row button, and building the API body, for posts of 2,000 and 8,000 fields
//! (issue 6 measured 0.42 s and 4.4 s end to end when field lookups scanned every pair).
//!
//! `cargo bench --features ssr --bench forms` (optimised build). Plain std timing, median of runs.

use icp_builder::builder::form::{form_to_json, within_limits, Pairs, RowAction, Rows};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A post of `fields` fields: `lead.N.type` rows, as in the issue.
fn lead_rows(fields: usize) -> Pairs {
    (1..=fields)
        .map(|key| (format!("lead.{key}.type"), "person".to_owned()))
        .collect()
}

/// A post of `fields` fields inside the row limits: 50 full lead rows, then repeated tag fields.
fn fifty_full_rows(fields: usize) -> Pairs {
    let mut pairs: Pairs = vec![("name".into(), "Bench".into())];
    let mut key = 0;
    while pairs.len() < fields {
        key = key % 50 + 1;
        for name in ["type", "job_title", "country", "industry", "employee_min"] {
            pairs.push((format!("lead.{key}.{name}"), "value".into()));
        }
    }
    pairs.truncate(fields);
    pairs
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(label: &str, fields: usize, mut run: impl FnMut()) {
    let runs: Vec<Duration> = (0..21)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    println!(
        "{label:<48} {fields:>6} fields  median {:>9.3} ms  max {:>9.3} ms",
        median(runs.clone()).as_secs_f64() * 1e3,
        runs.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

fn main() {
    for fields in [2_000, 8_000] {
        let rows = lead_rows(fields);
        time("Rows::of (lead rows)", fields, || {
            black_box(Rows::of(black_box(&rows)));
        });
        time("within_limits (refuses, keeps 50)", fields, || {
            black_box(within_limits(black_box(rows.clone())));
        });
        time("form_to_json (every row, no limit)", fields, || {
            black_box(form_to_json(black_box(&rows)));
        });
        let full = fifty_full_rows(fields);
        time(
            "within_limits + form_to_json (50 full rows)",
            fields,
            || {
                let (kept, errors) = within_limits(black_box(full.clone()));
                black_box((form_to_json(&kept), errors));
            },
        );
        let tags: Pairs = vec![
            ("lead.1.type".into(), "person".into()),
            ("lead.1.job_title".into(), "a\n".repeat(fields)),
        ];
        time("within_limits (one tag list, keeps 100)", fields, || {
            black_box(within_limits(black_box(tags.clone())));
        });
        time("RowAction::apply remove (50 rows)", fields, || {
            let change = RowAction::Remove {
                section: "lead".into(),
                key: 7,
            };
            black_box(change.apply(black_box(full.clone())));
        });
    }
}
