//! What the regex budget lets through costs: compile time and peak memory of the costliest
//! patterns the validator accepts, and how fast it refuses the ones reported in issue 6.
//!
//! `cargo bench --features ssr --bench regex_budget` (optimised build). Plain std timing; a counting
//! allocator gives the peak bytes allocated while `regress` compiles.

use icp_builder::domain::regex_cost::{measure, MAX_DEPTH, MAX_EXPANDED};
use icp_builder::domain::{validate_draft, Limits};
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is passed straight to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(ptr, layout, new_size);
        if !moved.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const RUNS: usize = 15;

/// Best and median of `RUNS` runs of `work`, and the peak bytes it allocated beyond what was live.
fn time<T>(mut work: impl FnMut() -> T) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut peak = 0;
    for _ in 0..RUNS {
        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let start = Instant::now();
        let result = work();
        times.push(start.elapsed());
        peak = peak.max(PEAK.load(Relaxed).saturating_sub(before));
        drop(result);
    }
    times.sort();
    (times[0], times[RUNS / 2], peak)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// `(?:…){q}` around `inner`, alternating two quantifiers, `depth` times.
fn nested(inner: &str, depth: usize, quantifiers: (&str, &str)) -> String {
    let mut pattern = inner.to_owned();
    for level in 0..depth {
        let quantifier = if level % 2 == 0 {
            quantifiers.0
        } else {
            quantifiers.1
        };
        pattern = format!("(?:{pattern}){quantifier}");
    }
    pattern
}

fn accepted(pattern: &str) -> bool {
    pattern.chars().count() <= Limits::REGEX && measure(pattern).refusal().is_none()
}

/// Candidate shapes: repeated alternations, classes, lookarounds, assertions, backreferences,
/// unicode escapes and literals, under every mix of quantifiers, as deep as the budget allows.
fn candidates() -> Vec<(String, String)> {
    let mut bodies: Vec<(String, String)> = Vec::new();
    for branches in [10, 30, 60, 90, 99, 100, 150] {
        bodies.push((
            format!("{branches} × ab alternation"),
            vec!["ab"; branches].join("|"),
        ));
        bodies.push((
            format!("{branches} × a alternation"),
            vec!["a"; branches].join("|"),
        ));
        bodies.push((
            format!("{branches} × lookahead alternation"),
            vec!["(?=a)"; branches].join("|"),
        ));
    }
    let class: String = (0..100)
        .map(|i| char::from_u32(0x100 + 2 * i).unwrap_or('a'))
        .collect();
    for (name, body) in [
        ("literal", "a".to_owned()),
        ("literal run", "abcdefghij".to_owned()),
        ("100-range class", format!("[{class}]")),
        ("lookahead", "(?=a)".to_owned()),
        ("lookbehind alternation", "(?<=a|b|c)".to_owned()),
        ("word boundary", r"\b".to_owned()),
        ("any", ".".to_owned()),
        ("loop", "(?:a|b)+".to_owned()),
        ("capture + backreference", r"(a)\1".to_owned()),
        ("named backreference", r"(?<n>a)\k<n>".to_owned()),
        ("unicode escape", r"\u{10FFFF}".to_owned()),
        ("negative lookahead + class", r"(?!a)[a-z]".to_owned()),
    ] {
        bodies.push((name.to_owned(), body));
    }
    let quantifiers = ["{5}", "{4}", "{3}", "{2}", "+", "{5,}", "{2,}", "{1,5}"];
    let mut out = Vec::new();
    for (name, body) in &bodies {
        for first in quantifiers {
            for second in quantifiers {
                // The deepest nesting of this shape that is still accepted.
                let deepest = (1..=MAX_DEPTH)
                    .map(|depth| nested(body, depth, (first, second)))
                    .take_while(|pattern| accepted(pattern))
                    .last();
                if let Some(pattern) = deepest {
                    out.push((format!("{name} in {first}/{second}"), pattern));
                }
            }
        }
        // Filled up to the length limit without repeats.
        let mut flat = body.clone();
        while flat.chars().count() + body.chars().count() < Limits::REGEX {
            flat.push_str(body);
        }
        if accepted(&flat) {
            out.push((format!("{name} × length limit"), flat));
        }
    }
    out
}

fn main() {
    println!(
        "Regex budget: expanded size ≤ {MAX_EXPANDED}, nesting ≤ {MAX_DEPTH}, length ≤ {}",
        Limits::REGEX
    );
    println!();

    // Pass 1: every candidate once, to find the costliest; pass 2: those, timed properly.
    let shapes = candidates();
    let mut ranked: Vec<(f64, usize, &str, &str)> = shapes
        .iter()
        .map(|(name, pattern)| {
            let (best, _, peak) = time(|| regress::Regex::new(pattern));
            (ms(best), peak, name.as_str(), pattern.as_str())
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let by_memory = ranked.iter().map(|r| r.1).max().unwrap_or(0);
    println!(
        "{} accepted shapes compiled; the costliest (best / median of {RUNS}, peak bytes):",
        shapes.len()
    );
    for (_, _, name, pattern) in ranked.iter().take(8) {
        let (best, median, peak) = time(|| regress::Regex::new(pattern));
        let cost = measure(pattern);
        println!(
            "  {:>7.3} ms / {:>7.3} ms  {:>9} B  expanded {:>5}  depth {:>2}  {:>4} chars  {name}",
            ms(best),
            ms(median),
            peak,
            cost.expanded,
            cost.depth,
            pattern.chars().count(),
        );
    }
    println!("  largest peak of any accepted shape: {by_memory} B");
    println!();

    println!("The issue's patterns, refused by the validator (whole validate_draft, best / median of {RUNS}):");
    for depth in [8, 9, 10] {
        let pattern = nested("a", depth, ("{5}", "{5}"));
        let body = json!({
            "name": "x", "leadProviderCriteria": [], "userIds": [],
            "customFilterCriteria": [{"type": "matchFieldWithRegex", "field": "company.name", "regex": pattern}],
        });
        let (best, median, peak) = time(|| validate_draft(&body));
        let refused = match validate_draft(&body) {
            Err(errors) => errors
                .iter()
                .any(|e| e.message.starts_with("This pattern is too complex")),
            Ok(_) => false,
        };
        println!(
            "  depth {depth:>2} ({} chars): refused={refused}  {:>7.4} ms / {:>7.4} ms  {peak} B  expanded {}",
            pattern.chars().count(),
            ms(best),
            ms(median),
            measure(&pattern).expanded,
        );
    }
    // The scanner itself on a 1,000-character pattern (deep, so it is refused by depth).
    let longest = "(?:".repeat(199) + "a" + &")+".repeat(199);
    let (best, median, _) = time(|| measure(&longest));
    println!(
        "  measuring a {}-char pattern: {:.4} ms / {:.4} ms",
        longest.chars().count(),
        ms(best),
        ms(median)
    );
}
