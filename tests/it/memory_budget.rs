//! The heap one request may take (issue 25): a counting allocator measures the peak of one request
//! through each entry point that takes a body — the API's create, validate and update, the
//! builder's save, the plain form post and the import — for adversarial bodies up to each one's
//! size limit, and holds it to 8 × the body's bytes + 1 MiB.
//!
//! What is counted: every Rust allocation in the process between just before the request is sent
//! and its answer's body read whole, less what was live before (the request's own body is built
//! before that). The allocator is the whole test binary's, so each test runs in a process of its
//! own (this binary again, given only that test) on a current-thread runtime: the only other work
//! is the request's own (the store's threads included), not the other tests'. SQLite's page cache
//! is C memory and is not counted. Every case prints its figures (`--nocapture`, or read them in a
//! failure's output).

use crate::common;
use crate::common::{browser, Caller, Database, TestApp, SITE};
use axum::body::{Body, Bytes};
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use icp_builder::api::error::MAX_BODY_BYTES;
use icp_builder::builder::form::{form_to_json, within_limits, Pairs};
use icp_builder::builder::save::SaveIcp;
use icp_builder::domain::regex_cost::{self, MAX_DEPTH};
use icp_builder::domain::{validate_draft, Limits};
use icp_builder::forms::MAX_FORM_BYTES;
use icp_builder::icps::transfer::{MAX_IMPORT_BYTES, MAX_IMPORT_ICPS};
use leptos::server_fn::ServerFn;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use tower::ServiceExt;

// ---------------------------------------------------------------------------------------------
// The counting allocator.

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by, Relaxed);
}

// SAFETY: every call is passed unchanged to `System`; only the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            // Counted as a move (the new block, then the old one freed): the most a growing
            // `Vec` or `String` can hold at once.
            grew(new_size);
            shrank(layout.size());
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: the peak is set to what is live now, which is returned (the baseline).
fn reset_peak() -> usize {
    let live = LIVE.load(Relaxed);
    PEAK.store(live, Relaxed);
    live
}

/// What `work` returns and the peak it took beyond what was live before it: for the figures that
/// say where a request's heap goes (no budget applies to them).
fn peak_of<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let baseline = reset_peak();
    let out = work();
    (out, PEAK.load(Relaxed).saturating_sub(baseline))
}

/// The heap a request may take beyond what was live before it.
fn budget(body_bytes: usize) -> usize {
    8 * body_bytes + (1 << 20)
}

/// Names the one test a process was started to run (see [`alone`]).
const ALONE_VAR: &str = "ICP_TEST_MEMORY_ALONE";

/// Runs the test `function` of this module alone: in a process of its own, where `test` runs on a
/// current-thread runtime, on SQLite, then on Postgres. The counters are the process's, and the
/// other tests of this binary (run in parallel unless `--test-threads=1`) would allocate in them.
fn alone<F: std::future::Future<Output = ()>>(function: &str, test: impl Fn(Database) -> F) {
    // `it::memory_budget` without the crate: the test's name as the harness knows it.
    let module = module_path!().split_once("::").map_or("", |(_, path)| path);
    let name = format!("{module}::{function}");
    if std::env::var(ALONE_VAR).as_deref() != Ok(name.as_str()) {
        return in_a_process_of_its_own(&name);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!("[memory] on SQLite");
    runtime.block_on(test(Database::sqlite()));
    if let Some(postgres) = runtime.block_on(Database::postgres()) {
        eprintln!("[memory] on Postgres");
        runtime.block_on(test(postgres));
    }
}

/// Runs the test `name` in this test binary started again with only that test, and fails when it
/// fails (or did not run). Its figures and panics (its standard error) are this test's output; the
/// harness's lines (its standard output) only when it failed.
fn in_a_process_of_its_own(name: &str) {
    let binary = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(binary)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE_VAR, name)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "{name} failed in its own process:\n{stdout}"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed"),
        "{name} did not run in its own process"
    );
}

struct Measured {
    status: StatusCode,
    body: Bytes,
    peak: usize,
}

/// Sends `request` through `router` and reads the answer whole; the peak is counted from just
/// before it is sent to just after the answer's last byte.
async fn measure(router: &Router, request: Request<Body>) -> Measured {
    let router = router.clone();
    let baseline = reset_peak();
    let response = router.oneshot(request).await.expect("router answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("answer's body")
        .to_bytes();
    let peak = PEAK.load(Relaxed).saturating_sub(baseline);
    Measured { status, body, peak }
}

/// Every case's figures for one entry point; failures are listed together at the end.
struct Ledger {
    endpoint: &'static str,
    failures: Vec<String>,
    worst_ratio: (f64, String),
    worst_peak: (usize, String),
}

impl Ledger {
    fn new(endpoint: &'static str) -> Self {
        Ledger {
            endpoint,
            failures: Vec::new(),
            worst_ratio: (0.0, String::new()),
            worst_peak: (0, String::new()),
        }
    }

    /// Records one request: `note` says where its heap goes (figures measured apart).
    fn record(
        &mut self,
        label: &str,
        body_bytes: usize,
        expected: StatusCode,
        got: &Measured,
        note: &str,
    ) {
        let ratio = got.peak as f64 / body_bytes.max(1) as f64;
        let limit = budget(body_bytes);
        let verdict = if got.peak <= limit { "ok" } else { "OVER" };
        eprintln!(
            "[memory] {} | {label} | body {body_bytes} B | peak {} B | {ratio:.1}x body | \
             budget {limit} B {verdict} | {} | {note}",
            self.endpoint, got.peak, got.status
        );
        let line = format!("{label} ({body_bytes} B body)");
        if ratio > self.worst_ratio.0 {
            self.worst_ratio = (ratio, line.clone());
        }
        if got.peak > self.worst_peak.0 {
            self.worst_peak = (got.peak, line.clone());
        }
        if got.status != expected {
            self.failures.push(format!(
                "{line}: answered {} where {expected} was expected: {}",
                got.status,
                excerpt(&got.body)
            ));
        }
        if got.peak > limit {
            self.failures.push(format!(
                "{line}: peak {} B ({ratio:.1}x the body) is over the budget of {limit} B",
                got.peak
            ));
        }
    }

    fn finish(self) {
        eprintln!(
            "[memory] {} worst ratio: {:.1}x ({}); largest peak: {} B ({})",
            self.endpoint,
            self.worst_ratio.0,
            self.worst_ratio.1,
            self.worst_peak.0,
            self.worst_peak.1
        );
        assert!(
            self.failures.is_empty(),
            "{}: {} failure(s):\n{}",
            self.endpoint,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Adversarial bodies.

/// One item of a wide array.
#[derive(Debug, Clone, Copy)]
enum Element {
    Zero,
    Null,
    Nul,
    EmptyObject,
    EmptyArray,
    Letter,
}

impl Element {
    fn value(self) -> Value {
        match self {
            Element::Zero => json!(0),
            Element::Null => Value::Null,
            Element::Nul => json!("\u{0}"),
            Element::EmptyObject => json!({}),
            Element::EmptyArray => json!([]),
            Element::Letter => json!("a"),
        }
    }

    fn has_nul(self) -> bool {
        matches!(self, Element::Nul)
    }
}

/// An adversarial set of keys, `n` units big.
#[derive(Debug, Clone, Copy)]
enum Payload {
    /// `{"wide": [element × n]}`.
    WideArray(Element),
    /// `{"deep": [nested × n]}`, each nested value `depth` objects and arrays deep.
    DeepNesting(usize),
    /// `keys` keys sharing n characters, each over `0` (with a NUL in its middle when `nul`).
    LongKeys { keys: usize, nul: bool },
    /// n short keys, each over `0`.
    ManyKeys,
    /// One key of `key_len` characters (ending in a NUL when `nul_key`) over `[element × n]`.
    UnderLongKey {
        key_len: usize,
        element: Element,
        nul_key: bool,
    },
}

impl Payload {
    fn map(self, n: usize) -> Map<String, Value> {
        let mut map = Map::new();
        match self {
            Payload::WideArray(element) => {
                map.insert("wide".into(), Value::Array(vec![element.value(); n]));
            }
            Payload::DeepNesting(depth) => {
                let mut nested = json!(0);
                for level in 0..depth {
                    nested = if level % 2 == 0 {
                        json!({ "a": nested })
                    } else {
                        json!([nested])
                    };
                }
                map.insert("deep".into(), Value::Array(vec![nested; n]));
            }
            Payload::LongKeys { keys, nul } => {
                let each = (n / keys.max(1)).max(1);
                for index in 0..keys.max(1) {
                    let mut key = format!("k{index}-");
                    key.push_str(&"x".repeat(each));
                    if nul {
                        key.insert(key.len() / 2, '\u{0}');
                    }
                    map.insert(key, json!(0));
                }
            }
            Payload::ManyKeys => {
                for index in 0..n {
                    map.insert(format!("k{index}"), json!(0));
                }
            }
            Payload::UnderLongKey {
                key_len,
                element,
                nul_key,
            } => {
                let mut key = "k".repeat(key_len.saturating_sub(usize::from(nul_key)).max(1));
                if nul_key {
                    key.push('\u{0}');
                }
                map.insert(key, Value::Array(vec![element.value(); n]));
            }
        }
        map
    }

    /// Whether the payload with `n` units holds a NUL anywhere.
    fn has_nul(self, n: usize) -> bool {
        match self {
            Payload::WideArray(element) => n > 0 && element.has_nul(),
            Payload::DeepNesting(_) | Payload::ManyKeys => false,
            Payload::LongKeys { nul, .. } => nul,
            Payload::UnderLongKey {
                element, nul_key, ..
            } => nul_key || (n > 0 && element.has_nul()),
        }
    }
}

/// A whole ICP body, `n` units big.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// A payload in a lead source's provider filters, which keep unknown keys: valid unless it
    /// holds a NUL, and then stored.
    InFilters(Payload),
    /// A payload's keys at the body's top level, each refused as an unrecognised key.
    AtTopLevel(Payload),
    /// NULs in keys and strings all over: the name, the description, a tag and n provider-filter
    /// entries (a NUL in the key and in the value of each).
    NulsEverywhere,
    /// n `matchFieldWithRegex` filters of `regex_len` characters each (over 50 are refused).
    ManyRegexes { regex_len: usize },
    /// n `matchFieldWithRegex` filters with the costliest pattern the validator accepts.
    CostliestRegexes,
    /// `sources` lead sources sharing n provider filters of `value_len` characters each.
    BigProviderFilters { sources: usize, value_len: usize },
    /// n unrecognised top-level keys: one error each.
    ManyUnknownKeys,
}

fn base() -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("name".into(), json!("Memory"));
    for list in ["leadProviderCriteria", "customFilterCriteria", "userIds"] {
        body.insert(list.into(), json!([]));
    }
    body
}

fn lead_source(filters: Map<String, Value>) -> Value {
    json!({"provider": "baseProvider", "type": "person", "filters": filters})
}

/// A valid ECMAScript pattern of about `len` characters: an alternation of literal words.
fn pattern(len: usize, seed: usize) -> String {
    let mut words = String::new();
    let mut index = 0;
    loop {
        let word = format!("w{seed}x{index}");
        if !words.is_empty() && words.len() + word.len() + 1 + 6 > len {
            break;
        }
        if !words.is_empty() {
            words.push('|');
        }
        words.push_str(&word);
        index += 1;
    }
    format!("^(?:{words})$")
}

/// `(?:…){5}`/`{4}` around a 99-branch alternation, as deep as the validator accepts: the kind of
/// pattern `benches/regex_budget.rs` found costliest to compile.
fn costliest_pattern() -> String {
    let alternation = vec!["ab"; 99].join("|");
    let accepted = |pattern: &String| {
        pattern.chars().count() <= Limits::REGEX && regex_cost::measure(pattern).refusal().is_none()
    };
    let mut best = alternation.clone();
    let mut pattern = alternation;
    for level in 0..MAX_DEPTH {
        let quantifier = if level % 2 == 0 { "{5}" } else { "{4}" };
        pattern = format!("(?:{pattern}){quantifier}");
        if !accepted(&pattern) {
            break;
        }
        best = pattern.clone();
    }
    best
}

fn regex_filter(regex: String) -> Value {
    json!({"type": "matchFieldWithRegex", "field": "company.name", "regex": regex})
}

impl Shape {
    fn body(self, n: usize) -> Value {
        let mut body = base();
        match self {
            Shape::InFilters(payload) => {
                body.insert(
                    "leadProviderCriteria".into(),
                    json!([lead_source(payload.map(n))]),
                );
            }
            Shape::AtTopLevel(payload) => body.extend(payload.map(n)),
            Shape::NulsEverywhere => {
                body.insert("name".into(), json!("Memory\u{0}"));
                body.insert("description".into(), json!("\u{0}"));
                let mut filters = Map::new();
                filters.insert("job_title".into(), json!(["\u{0}"]));
                for index in 0..n {
                    filters.insert(format!("\u{0}{index}"), json!("\u{0}"));
                }
                body.insert("leadProviderCriteria".into(), json!([lead_source(filters)]));
            }
            Shape::ManyRegexes { regex_len } => {
                let filters = (0..n).map(|i| regex_filter(pattern(regex_len, i)));
                body.insert("customFilterCriteria".into(), filters.collect());
            }
            Shape::CostliestRegexes => {
                let costliest = costliest_pattern();
                let filters = (0..n).map(|_| regex_filter(costliest.clone()));
                body.insert("customFilterCriteria".into(), filters.collect());
            }
            Shape::BigProviderFilters { sources, value_len } => {
                let sources = sources.clamp(1, Limits::LEAD_SOURCES);
                let each = n.div_ceil(sources);
                let mut leads = Vec::with_capacity(sources);
                for source in 0..sources {
                    let mut filters = Map::new();
                    filters.insert("job_title".into(), json!(["CTO"]));
                    for key in 0..each.min(n.saturating_sub(source * each)) {
                        filters.insert(format!("x{key}"), json!("v".repeat(value_len)));
                    }
                    leads.push(lead_source(filters));
                }
                body.insert("leadProviderCriteria".into(), Value::Array(leads));
            }
            Shape::ManyUnknownKeys => {
                for index in 0..n {
                    body.insert(format!("k{index}"), json!(0));
                }
            }
        }
        Value::Object(body)
    }

    /// Whether the body with `n` units is one the validator accepts.
    fn valid(self, n: usize) -> bool {
        match self {
            Shape::InFilters(payload) => !payload.has_nul(n),
            Shape::AtTopLevel(_) | Shape::NulsEverywhere => false,
            Shape::ManyRegexes { .. } | Shape::CostliestRegexes => n <= Limits::CUSTOM_FILTERS,
            Shape::BigProviderFilters { .. } => true,
            Shape::ManyUnknownKeys => n == 0,
        }
    }

    fn has_nul(self, n: usize) -> bool {
        match self {
            Shape::InFilters(payload) | Shape::AtTopLevel(payload) => payload.has_nul(n),
            Shape::NulsEverywhere => true,
            Shape::ManyRegexes { .. }
            | Shape::CostliestRegexes
            | Shape::BigProviderFilters { .. }
            | Shape::ManyUnknownKeys => false,
        }
    }
}

/// The largest `n` (from an estimate, then down) whose built thing is at most `target` long;
/// `n = 0` when even that is longer.
fn fill<T>(target: usize, build: impl Fn(usize) -> T, len: impl Fn(&T) -> usize) -> (usize, T) {
    let at_zero = len(&build(0));
    let per_unit = len(&build(64)).saturating_sub(at_zero).div_ceil(64).max(1);
    let mut n = target.saturating_sub(at_zero) / per_unit;
    loop {
        let built = build(n);
        if n == 0 || len(&built) <= target {
            return (n, built);
        }
        n = (n * 97 / 100).min(n - 1);
    }
}

/// A JSON body of `shape` as close to `target` bytes as it fills: (units, body, its text).
fn json_body(shape: Shape, target: usize) -> (usize, String) {
    let (n, text) = fill(
        target,
        |n| serde_json::to_string(&shape.body(n)).expect("body as JSON"),
        String::len,
    );
    (n, text)
}

/// Where a JSON body's heap goes before any handler: parsing it into a `Value`, then validating it
/// (beyond the parsed value).
fn json_anatomy(text: &str) -> String {
    let (value, parse) = peak_of(|| serde_json::from_str::<Value>(text));
    let Ok(value) = value else {
        return format!("parse alone {parse} B (malformed)");
    };
    let (_, check) = peak_of(|| validate_draft(&value));
    format!("parse alone {parse} B, validate alone {check} B")
}

/// Checks a generated body against the validator (outside any measurement), so a wrong
/// expectation is a generator's mistake, never taken for the server's.
fn checked_expectation(shape: Shape, n: usize, text: &str) -> bool {
    let valid = shape.valid(n);
    // A NUL body's expectation is by construction: the walk over it is what is being measured.
    if !shape.has_nul(n) {
        let body: Value = serde_json::from_str(text).expect("generated JSON");
        assert_eq!(
            validate_draft(&body).is_ok(),
            valid,
            "{shape:?} × {n}: the generator's expectation is wrong"
        );
    }
    // Refused before it is parsed when it holds more values, or nests deeper, than a body may.
    valid && icp_builder::domain::check_shape(text.as_bytes()).is_ok()
}

fn element() -> impl Strategy<Value = Element> {
    prop_oneof![
        Just(Element::Zero),
        Just(Element::Null),
        Just(Element::Nul),
        Just(Element::EmptyObject),
        Just(Element::EmptyArray),
        Just(Element::Letter),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        element().prop_map(Payload::WideArray),
        (1usize..=100).prop_map(Payload::DeepNesting),
        (1usize..=64, any::<bool>()).prop_map(|(keys, nul)| Payload::LongKeys { keys, nul }),
        Just(Payload::ManyKeys),
        // At least one NUL: in the array's items or at the end of the key.
        (1usize..=24_000, any::<bool>()).prop_map(|(key_len, nul_items)| {
            Payload::UnderLongKey {
                key_len,
                element: if nul_items {
                    Element::Nul
                } else {
                    Element::Zero
                },
                nul_key: !nul_items,
            }
        }),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        payload().prop_map(Shape::InFilters),
        payload().prop_map(Shape::AtTopLevel),
        Just(Shape::NulsEverywhere),
        (8usize..=Limits::REGEX).prop_map(|regex_len| Shape::ManyRegexes { regex_len }),
        (1usize..=Limits::LEAD_SOURCES, 0usize..=200)
            .prop_map(|(sources, value_len)| Shape::BigProviderFilters { sources, value_len }),
        Just(Shape::ManyUnknownKeys),
    ]
}

/// `count` values from `strategy`, the same on every run.
fn generated<T>(strategy: impl Strategy<Value = T>, count: usize) -> Vec<T> {
    let mut runner = TestRunner::deterministic();
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("a generated value")
                .current()
        })
        .collect()
}

const NUL_KEY_LEN: usize = 24_000;

/// The fixed worst cases for a JSON body of at most `limit` bytes: (label, shape, target bytes).
fn worst_json_cases(limit: usize) -> Vec<(&'static str, Shape, usize)> {
    let nul_strings_under_long_key = Payload::UnderLongKey {
        key_len: NUL_KEY_LEN,
        element: Element::Nul,
        nul_key: false,
    };
    let zeros_under_long_nul_key = Payload::UnderLongKey {
        key_len: NUL_KEY_LEN,
        element: Element::Zero,
        nul_key: true,
    };
    // 24,000 items under the 24,000-character key: the case that cost ~0.5 GB.
    let items = |payload: Payload| serde_json::to_string(&Shape::InFilters(payload).body(24_000));
    let exact = |payload| items(payload).map_or(0, |text| text.len());
    vec![
        (
            "24,000 NUL strings under a 24,000-character key",
            Shape::InFilters(nul_strings_under_long_key),
            exact(nul_strings_under_long_key),
        ),
        (
            "24,000 zeros under a 24,000-character key ending in a NUL",
            Shape::InFilters(zeros_under_long_nul_key),
            exact(zeros_under_long_nul_key),
        ),
        (
            "NUL strings under a 24,000-character key, at the limit",
            Shape::InFilters(nul_strings_under_long_key),
            limit,
        ),
        (
            "one key of the whole body with a NUL in it",
            Shape::InFilters(Payload::LongKeys { keys: 1, nul: true }),
            limit,
        ),
        (
            "NULs everywhere, at the limit",
            Shape::NulsEverywhere,
            limit,
        ),
        (
            "zeros in provider filters (kept), at the limit",
            Shape::InFilters(Payload::WideArray(Element::Zero)),
            limit,
        ),
        (
            "empty objects under an unknown key, at the limit",
            Shape::AtTopLevel(Payload::WideArray(Element::EmptyObject)),
            limit,
        ),
        (
            "100-deep values in provider filters (kept), at the limit",
            Shape::InFilters(Payload::DeepNesting(100)),
            limit,
        ),
        (
            "unknown top-level keys (one error each), at the limit",
            Shape::ManyUnknownKeys,
            limit,
        ),
        (
            "short provider filters in 50 sources (kept), at the limit",
            Shape::BigProviderFilters {
                sources: Limits::LEAD_SOURCES,
                value_len: 0,
            },
            limit,
        ),
        (
            "1,000-character regexes, at the limit",
            Shape::ManyRegexes {
                regex_len: Limits::REGEX,
            },
            limit,
        ),
    ]
}

/// The costliest accepted regex in all 50 filters (valid; each pattern is compiled).
fn costliest_regexes() -> (String, String) {
    let text = serde_json::to_string(&Shape::CostliestRegexes.body(Limits::CUSTOM_FILTERS))
        .expect("body as JSON");
    assert!(checked_expectation(
        Shape::CostliestRegexes,
        Limits::CUSTOM_FILTERS,
        &text
    ));
    (
        format!(
            "50 copies of the costliest accepted regex ({} characters)",
            costliest_pattern().chars().count()
        ),
        text,
    )
}

/// Every JSON body case for an entry point whose JSON may be `limit` bytes: generated ones, then
/// the fixed worst ones. (label, text, valid).
fn json_cases(limit: usize, generated_count: usize) -> Vec<(String, String, bool)> {
    let mut cases = Vec::new();
    for (shape, target) in generated((shape(), 1024usize..=limit), generated_count) {
        let (n, text) = json_body(shape, target);
        assert!(text.len() <= limit, "{shape:?}: {} B", text.len());
        let valid = checked_expectation(shape, n, &text);
        cases.push((format!("generated {shape:?} × {n}"), text, valid));
    }
    for (label, shape, target) in worst_json_cases(limit) {
        let (n, text) = json_body(shape, target.min(limit));
        assert!(text.len() <= limit, "{label}: {} B", text.len());
        let valid = checked_expectation(shape, n, &text);
        cases.push((format!("{label} (× {n})"), text, valid));
    }
    let (label, text) = costliest_regexes();
    cases.push((label, text, true));
    cases
}

// ---------------------------------------------------------------------------------------------
// Requests.

fn api_request(method: Method, uri: &str, caller: &Caller, json: String) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", caller.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json))
        .expect("request")
}

/// The builder's save call, as its `send_save` posts it.
fn save_request(cookie: &str, call: String) -> Request<Body> {
    browser(Method::POST, SaveIcp::PATH, Some(cookie))
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(call))
        .expect("request")
}

fn form_request(cookie: &str, encoded: String) -> Request<Body> {
    browser(Method::POST, "/forms/icps", Some(cookie))
        .header(header::ORIGIN, SITE)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encoded))
        .expect("request")
}

const BOUNDARY: &str = "----memorybudgetboundary";

fn multipart(file: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"icps.json\"\r\n\
         Content-Type: application/json\r\n\r\n{file}\r\n--{BOUNDARY}--\r\n"
    )
}

fn import_request(cookie: &str, body: String) -> Request<Body> {
    browser(Method::POST, "/forms/icps/import", Some(cookie))
        .header(header::ORIGIN, SITE)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .expect("request")
}

const ICPS: &str = "/api/v1/entities/icps";

/// A small valid body and a small invalid one, sent first so one-time set-up (lazy statics,
/// prepared statements) is not counted against the first case.
fn warm_up_bodies() -> [String; 2] {
    [
        serde_json::to_string(&Shape::InFilters(Payload::WideArray(Element::Zero)).body(8))
            .expect("JSON"),
        serde_json::to_string(&Shape::NulsEverywhere.body(8)).expect("JSON"),
    ]
}

// ---------------------------------------------------------------------------------------------
// The API.

/// How many generated bodies each entry point gets (besides its fixed worst cases).
const GENERATED: usize = 12;

/// The API's JSON entry points, one per test: the URI and the statuses for a valid and an
/// invalid body.
async fn api_entry_point(
    db: Database,
    endpoint: &'static str,
    method: Method,
    uri: impl Fn(&str) -> String,
    ok: StatusCode,
) {
    let app = TestApp::start(db).await;
    let ana = app.caller("ana").await;
    // Each request's URI; an update's names a new small ICP (created outside any measurement), so
    // what one case stored does not weigh on the next.
    let fresh_uri = || {
        let (app, ana, uri) = (&app, &ana, &uri);
        async move {
            let created = app.create(ana, &common::minimal("Patched")).await;
            uri(created["id"].as_str().expect("id"))
        }
    };
    eprintln!(
        "[memory] a serde_json Value is {} B here (preserve_order)",
        std::mem::size_of::<Value>()
    );
    for warm in warm_up_bodies() {
        let request = api_request(method.clone(), &fresh_uri().await, &ana, warm);
        measure(&app.router, request).await;
    }
    let mut ledger = Ledger::new(endpoint);
    for (label, text, valid) in json_cases(MAX_BODY_BYTES, GENERATED) {
        let bytes = text.len();
        let note = json_anatomy(&text);
        let request = api_request(method.clone(), &fresh_uri().await, &ana, text);
        let got = measure(&app.router, request).await;
        let expected = if valid { ok } else { StatusCode::BAD_REQUEST };
        ledger.record(&label, bytes, expected, &got, &note);
    }
    // One byte over the limit: refused before it is read whole.
    let over = "x".repeat(MAX_BODY_BYTES + 1);
    let request = api_request(method, &fresh_uri().await, &ana, over);
    let got = measure(&app.router, request).await;
    ledger.record(
        "one byte over the limit",
        MAX_BODY_BYTES + 1,
        StatusCode::PAYLOAD_TOO_LARGE,
        &got,
        "",
    );
    ledger.finish();
}

#[test]
fn api_create_stays_within_the_budget() {
    alone("api_create_stays_within_the_budget", |db| {
        api_entry_point(
            db,
            "POST /api/v1/entities/icps",
            Method::POST,
            |_| ICPS.to_owned(),
            StatusCode::CREATED,
        )
    });
}

#[test]
fn api_validate_stays_within_the_budget() {
    alone("api_validate_stays_within_the_budget", |db| {
        api_entry_point(
            db,
            "POST /api/v1/entities/icps/validate",
            Method::POST,
            |_| format!("{ICPS}/validate"),
            StatusCode::OK,
        )
    });
}

#[test]
fn api_update_stays_within_the_budget() {
    alone("api_update_stays_within_the_budget", |db| {
        api_entry_point(
            db,
            "PATCH /api/v1/entities/icps/{id}",
            Method::PATCH,
            |id| format!("{ICPS}/{id}"),
            StatusCode::OK,
        )
    });
}

// ---------------------------------------------------------------------------------------------
// The builder's save (a server function whose JSON argument `body` is the API's body as text).

fn save_call(body: &str) -> String {
    json!({ "body": body, "everyone": false }).to_string()
}

#[test]
fn builder_save_stays_within_the_budget() {
    alone("builder_save_stays_within_the_budget", |db| async move {
        let app = TestApp::start(db).await;
        let ana = app.caller("ana").await;
        let cookie = app.session_cookie(&ana).await;
        for warm in warm_up_bodies() {
            measure(&app.router, save_request(&cookie, save_call(&warm))).await;
        }
        let mut ledger = Ledger::new("POST /fn/save_icp (builder save)");
        // The body's JSON is held to the API's limit; the call around it (escaped) may be larger.
        for (label, text, valid) in json_cases(MAX_BODY_BYTES, GENERATED) {
            let note = json_anatomy(&text);
            let call = save_call(&text);
            drop(text);
            let bytes = call.len();
            let got = measure(&app.router, save_request(&cookie, call)).await;
            let expected = if valid {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            ledger.record(&label, bytes, expected, &got, &note);
        }
        ledger.finish();
    });
}

// ---------------------------------------------------------------------------------------------
// The plain form post.

#[derive(Debug, Clone, Copy)]
enum Section {
    Leads,
    Filters,
    Conditions,
}

/// A form post, `n` units big.
#[derive(Debug, Clone, Copy)]
enum FormShape {
    /// n empty fields (`a=&a=&…`): the most fields a byte buys; unknown names are ignored.
    EmptyFields,
    /// n rows of a section; past its 50 rows the form comes back.
    ManyRows(Section),
    /// A payload as a lead row's provider filters (`lead.1.other`, a JSON object).
    ProviderJson(Payload),
    /// n job titles in one lead row's list (one a line); past 100 they are refused.
    ManyTags,
    /// NULs in the name, the description and n job titles.
    NulValues,
    /// n regex filter rows of `regex_len` characters each.
    ManyRegexes { regex_len: usize },
}

fn pair(name: impl Into<String>, value: impl Into<String>) -> (String, String) {
    (name.into(), value.into())
}

impl FormShape {
    fn pairs(self, n: usize) -> Pairs {
        let mut pairs = vec![pair("name", "Memory")];
        match self {
            FormShape::EmptyFields => pairs.extend((0..n).map(|_| pair("a", ""))),
            FormShape::ManyRows(section) => {
                for row in 0..n {
                    match section {
                        Section::Leads => pairs.push(pair(format!("lead.{row}.type"), "person")),
                        Section::Filters => pairs.extend([
                            pair(format!("filter.{row}.type"), "ai"),
                            pair(format!("filter.{row}.entityType"), "person"),
                            pair(format!("filter.{row}.prompt"), "p"),
                        ]),
                        Section::Conditions => pairs.extend([
                            pair(format!("crm.{row}.path"), "a"),
                            pair(format!("crm.{row}.mode"), "equals"),
                            pair(format!("crm.{row}.value"), "v"),
                        ]),
                    }
                }
            }
            FormShape::ProviderJson(payload) => pairs.extend([
                pair("lead.1.type", "person"),
                pair(
                    "lead.1.other",
                    serde_json::to_string(&payload.map(n)).expect("JSON"),
                ),
            ]),
            FormShape::ManyTags => pairs.extend([
                pair("lead.1.type", "person"),
                pair("lead.1.job_title", vec!["t"; n].join("\n")),
            ]),
            FormShape::NulValues => {
                pairs[0].1.push('\u{0}');
                pairs.extend([
                    pair("description", "\u{0}".repeat(n)),
                    pair("lead.1.type", "person"),
                    pair("lead.1.job_title", vec!["\u{0}"; n].join("\n")),
                ]);
            }
            FormShape::ManyRegexes { regex_len } => {
                for row in 0..n {
                    pairs.extend([
                        pair(format!("filter.{row}.type"), "matchFieldWithRegex"),
                        pair(format!("filter.{row}.field"), "company.name"),
                        pair(format!("filter.{row}.regex"), pattern(regex_len, row)),
                    ]);
                }
            }
        }
        pairs
    }

    fn has_nul(self, n: usize) -> bool {
        match self {
            FormShape::ProviderJson(payload) => payload.has_nul(n),
            FormShape::NulValues => true,
            FormShape::EmptyFields
            | FormShape::ManyRows(_)
            | FormShape::ManyTags
            | FormShape::ManyRegexes { .. } => false,
        }
    }

    /// Whether the post with `n` units is saved (a redirect) rather than sent back (422).
    fn saved(self, n: usize) -> bool {
        match self {
            FormShape::EmptyFields => true,
            FormShape::ManyRows(_) | FormShape::ManyRegexes { .. } => n <= 50,
            // Provider filters past a body's shape are refused before they are parsed.
            FormShape::ProviderJson(payload) => {
                let text = serde_json::to_string(&payload.map(n)).expect("JSON");
                !payload.has_nul(n) && icp_builder::domain::check_shape(text.as_bytes()).is_ok()
            }
            FormShape::ManyTags => n <= Limits::TAGS,
            FormShape::NulValues => false,
        }
    }
}

fn encoded(pairs: &Pairs) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish()
}

/// The post's expected status, checked against the form's own reading (outside any measurement)
/// where no NUL makes the check itself the costly thing.
fn form_expectation(shape: FormShape, n: usize, pairs: &Pairs) -> StatusCode {
    let saved = shape.saved(n);
    if !shape.has_nul(n) {
        let (fields, too_many) = within_limits(pairs.clone());
        let reads_as_saved = too_many.is_empty() && validate_draft(&form_to_json(&fields)).is_ok();
        assert_eq!(
            reads_as_saved, saved,
            "{shape:?} × {n}: the generator's expectation is wrong"
        );
    }
    if pairs.len() > icp_builder::forms::MAX_FORM_FIELDS {
        StatusCode::PAYLOAD_TOO_LARGE
    } else if saved {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Where a form post's heap goes before any handler: reading it into its fields, as pairs of
/// strings (what `Form<Pairs>` holds).
fn form_anatomy(post: &str) -> String {
    let (pairs, parse) = peak_of(|| {
        url::form_urlencoded::parse(post.as_bytes())
            .into_owned()
            .collect::<Vec<(String, String)>>()
    });
    format!("{} fields, read alone {parse} B", pairs.len())
}

fn form_shape() -> impl Strategy<Value = FormShape> {
    prop_oneof![
        Just(FormShape::EmptyFields),
        prop_oneof![
            Just(Section::Leads),
            Just(Section::Filters),
            Just(Section::Conditions)
        ]
        .prop_map(FormShape::ManyRows),
        payload().prop_map(FormShape::ProviderJson),
        Just(FormShape::ManyTags),
        Just(FormShape::NulValues),
        (8usize..=Limits::REGEX).prop_map(|regex_len| FormShape::ManyRegexes { regex_len }),
    ]
}

#[test]
fn form_post_stays_within_the_budget() {
    alone("form_post_stays_within_the_budget", |db| async move {
        let app = TestApp::start(db).await;
        let ana = app.caller("ana").await;
        let cookie = app.session_cookie(&ana).await;
        for warm in [FormShape::EmptyFields, FormShape::NulValues] {
            let post = encoded(&warm.pairs(4));
            measure(&app.router, form_request(&cookie, post)).await;
        }
        let mut cases: Vec<(String, FormShape, usize)> =
            generated((form_shape(), 1024usize..=MAX_FORM_BYTES), GENERATED)
                .into_iter()
                .map(|(shape, target)| (format!("generated {shape:?}"), shape, target))
                .collect();
        let fixed = [
            ("empty fields", FormShape::EmptyFields),
            ("lead rows", FormShape::ManyRows(Section::Leads)),
            (
                "NUL strings under a 24,000-character key in provider filters",
                FormShape::ProviderJson(Payload::UnderLongKey {
                    key_len: NUL_KEY_LEN,
                    element: Element::Nul,
                    nul_key: false,
                }),
            ),
            (
                "zeros in provider filters (kept)",
                FormShape::ProviderJson(Payload::WideArray(Element::Zero)),
            ),
            (
                "short keys in provider filters (kept)",
                FormShape::ProviderJson(Payload::ManyKeys),
            ),
            ("job titles", FormShape::ManyTags),
            ("NULs in every text", FormShape::NulValues),
            (
                "1,000-character regex rows",
                FormShape::ManyRegexes {
                    regex_len: Limits::REGEX,
                },
            ),
        ];
        cases.extend(
            fixed
                .into_iter()
                .map(|(label, shape)| (format!("{label}, at the limit"), shape, MAX_FORM_BYTES)),
        );
        let mut ledger = Ledger::new("POST /forms/icps (no-JS form)");
        for (label, shape, target) in cases {
            let (n, post) = fill(target, |n| encoded(&shape.pairs(n)), String::len);
            assert!(post.len() <= MAX_FORM_BYTES, "{label}: {} B", post.len());
            let expected = form_expectation(shape, n, &shape.pairs(n));
            let bytes = post.len();
            let note = form_anatomy(&post);
            let got = measure(&app.router, form_request(&cookie, post)).await;
            ledger.record(&format!("{label} × {n}"), bytes, expected, &got, &note);
        }
        // The 50 costliest accepted regexes, saved.
        let costliest = costliest_pattern();
        let mut pairs = vec![pair("name", "Memory")];
        for row in 0..Limits::CUSTOM_FILTERS {
            pairs.extend([
                pair(format!("filter.{row}.type"), "matchFieldWithRegex"),
                pair(format!("filter.{row}.field"), "company.name"),
                pair(format!("filter.{row}.regex"), costliest.as_str()),
            ]);
        }
        let post = encoded(&pairs);
        let bytes = post.len();
        let note = form_anatomy(&post);
        let got = measure(&app.router, form_request(&cookie, post)).await;
        ledger.record(
            "50 copies of the costliest accepted regex",
            bytes,
            StatusCode::SEE_OTHER,
            &got,
            &note,
        );
        ledger.finish();
    });
}

// ---------------------------------------------------------------------------------------------
// The import (a multipart upload of one body or an array of up to 1,000).

/// An import file, `n` units big.
#[derive(Debug, Clone, Copy)]
enum FileShape {
    /// One body (no per-ICP size limit applies to a file's bodies).
    One(Shape),
    /// `count` copies of a body sharing the file.
    Many { count: usize, shape: Shape },
    /// `[element × n]`: past 1,000 items, unreadable; below, each item refused.
    Items(Element),
}

impl FileShape {
    /// The file's text, what it holds, and whether it imports.
    fn file(self, target: usize) -> (String, String, bool) {
        match self {
            FileShape::One(shape) => {
                let (n, text) = json_body(shape, target);
                let valid = checked_expectation(shape, n, &text);
                (text, format!("one body × {n}"), valid)
            }
            FileShape::Many { count, shape } => {
                let count = count.clamp(1, MAX_IMPORT_ICPS);
                let (n, one) = json_body(shape, (target / count).saturating_sub(1));
                let valid = checked_expectation(shape, n, &one);
                // As many as fit when even the smallest body is larger than its share.
                let count = count.min(target / (one.len() + 1)).max(1);
                let mut file = String::with_capacity(count * (one.len() + 1) + 1);
                file.push('[');
                for index in 0..count {
                    if index > 0 {
                        file.push(',');
                    }
                    file.push_str(&one);
                }
                file.push(']');
                (file, format!("{count} bodies × {n}"), valid)
            }
            FileShape::Items(element) => {
                let (n, text) = fill(
                    target,
                    |n| serde_json::to_string(&vec![element.value(); n]).expect("JSON"),
                    String::len,
                );
                (text, format!("{n} items"), false)
            }
        }
    }
}

/// Import files' shapes (the regex shapes left out: compiling thousands of patterns takes a
/// debug build minutes, and each pattern is small next to the file).
fn import_body_shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        payload().prop_map(Shape::InFilters),
        payload().prop_map(Shape::AtTopLevel),
        Just(Shape::NulsEverywhere),
        (1usize..=Limits::LEAD_SOURCES, 0usize..=200)
            .prop_map(|(sources, value_len)| Shape::BigProviderFilters { sources, value_len }),
        Just(Shape::ManyUnknownKeys),
    ]
}

fn file_shape() -> impl Strategy<Value = FileShape> {
    prop_oneof![
        import_body_shape().prop_map(FileShape::One),
        (1usize..=MAX_IMPORT_ICPS, import_body_shape())
            .prop_map(|(count, shape)| FileShape::Many { count, shape }),
        element().prop_map(FileShape::Items),
    ]
}

/// Where an import's heap goes before the use case: the file parsed into a `Value`.
fn import_anatomy(file: &str) -> String {
    let (_, parse) = peak_of(|| serde_json::from_str::<Value>(file));
    format!("parse alone {parse} B")
}

/// How many generated files the import gets: each is up to 4 MiB, so fewer than the others.
const GENERATED_FILES: usize = 8;

#[test]
fn import_stays_within_the_budget() {
    alone("import_stays_within_the_budget", |db| async move {
        let app = TestApp::start(db).await;
        let ana = app.caller("ana").await;
        let cookie = app.session_cookie(&ana).await;
        for warm in warm_up_bodies() {
            measure(&app.router, import_request(&cookie, multipart(&warm))).await;
        }
        // The file's room: the upload's limit less the multipart framing around it.
        let room = MAX_IMPORT_BYTES - multipart("").len();
        let mut cases: Vec<(String, FileShape, usize)> =
            generated((file_shape(), 1024usize..=room), GENERATED_FILES)
                .into_iter()
                .map(|(shape, target)| (format!("generated {shape:?}"), shape, target))
                .collect();
        let nul_strings_under_long_key = Shape::InFilters(Payload::UnderLongKey {
            key_len: NUL_KEY_LEN,
            element: Element::Nul,
            nul_key: false,
        });
        // At the limit, and at a quarter of it: the ratios hold at any size, and a debug build
        // takes seconds for each of these at 4 MiB.
        let at_the_limit = [
            ("zeros (too many ICPs)", FileShape::Items(Element::Zero)),
            (
                "1,000 bodies: short provider filters (kept)",
                FileShape::Many {
                    count: MAX_IMPORT_ICPS,
                    shape: Shape::BigProviderFilters {
                        sources: 1,
                        value_len: 0,
                    },
                },
            ),
            (
                "16 bodies: NUL strings under a 24,000-character key",
                FileShape::Many {
                    count: 16,
                    shape: nul_strings_under_long_key,
                },
            ),
        ];
        let at_a_quarter = [
            (
                "one body: zeros in provider filters (kept)",
                FileShape::One(Shape::InFilters(Payload::WideArray(Element::Zero))),
            ),
            (
                "empty objects (too many ICPs)",
                FileShape::Items(Element::EmptyObject),
            ),
            (
                "one body: NULs everywhere",
                FileShape::One(Shape::NulsEverywhere),
            ),
            (
                "1,000 bodies: unknown keys (one error each)",
                FileShape::Many {
                    count: MAX_IMPORT_ICPS,
                    shape: Shape::ManyUnknownKeys,
                },
            ),
        ];
        for (label, shape) in at_the_limit {
            cases.push((format!("{label}, at the limit"), shape, room));
        }
        for (label, shape) in at_a_quarter {
            let target = MAX_IMPORT_BYTES / 4 - multipart("").len();
            cases.push((format!("{label}, at a quarter of the limit"), shape, target));
        }
        let mut ledger = Ledger::new("POST /forms/icps/import");
        for (label, shape, target) in cases {
            let (file, holds, imports) = shape.file(target);
            let note = import_anatomy(&file);
            let upload = multipart(&file);
            drop(file);
            assert!(
                upload.len() <= MAX_IMPORT_BYTES,
                "{label}: {} B",
                upload.len()
            );
            let bytes = upload.len();
            let got = measure(&app.router, import_request(&cookie, upload)).await;
            let expected = if imports {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::BAD_REQUEST
            };
            let label = format!("{label}: {holds}");
            ledger.record(&label, bytes, expected, &got, &note);
            // A file within the limit is read: refused for what it holds, never as unreadable.
            if String::from_utf8_lossy(&got.body).contains("could not be read") {
                ledger.failures.push(format!(
                    "{label} ({bytes} B upload, within the {MAX_IMPORT_BYTES} B limit): refused \
                     as unreadable: {}",
                    excerpt(&got.body)
                ));
            }
        }
        ledger.finish();
    });
}
