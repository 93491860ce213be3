//! Generated request bodies for property tests: arbitrary JSON, valid ICP bodies, and mutations of
//! them. Plain JSON only (no crate types), so integration tests include this file as it is.
//! Size: test-only (compiled under `cfg(test)`); one generator per part of the body, kept together.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Map, Value};

/// A string with the characters that break things: NUL, quotes, escapes, non-ASCII, emoji.
pub fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._-]{0,12}",
        2 => any::<String>().prop_map(|s| s.chars().take(24).collect()),
        1 => "[\\x00\"\\\\é😀\u{200b}\\n]{0,6}",
        1 => (1usize..400).prop_map(|n| "é".repeat(n)),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(vec![0.0, -0.0, 0.5, 1e300, -1e300, 9_007_199_254_740_993.0])
            .prop_map(Value::from),
        (-3i64..1_100).prop_map(Value::from),
    ]
}

/// Any JSON value, nested a few levels.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

fn tags() -> impl Strategy<Value = Value> {
    prop::collection::vec("[A-Za-zé][A-Za-z0-9 é]{0,15}", 0..4).prop_map(|v| json!(v))
}

/// Inserts `key: value` when `value` is `Some`.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value);
    }
}

/// A JSON object of the `fields` that have a value.
fn object<const N: usize>(fields: [(&str, Option<Value>); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in fields {
        put(&mut map, key, value);
    }
    Value::Object(map)
}

fn lead_source() -> impl Strategy<Value = Value> {
    let location = (
        prop::option::of(tags()),
        prop::option::of(tags()),
        prop::option::of(tags()),
    )
        .prop_map(|(country, state, city)| {
            object([("country", country), ("state", state), ("city", city)])
        });
    let employee_size = (
        prop::option::of(0u32..5_000),
        prop::option::of(5_000u32..10_000_000),
    )
        .prop_map(|(min, max)| {
            object([("min", min.map(Value::from)), ("max", max.map(Value::from))])
        });
    let company = (
        prop::option::of(employee_size),
        prop::option::of(tags()),
        prop::option::of(tags()),
    )
        .prop_map(|(size, industry, keywords)| {
            object([
                ("employee_size", size),
                ("industry", industry),
                ("keywords", keywords),
            ])
        });
    // Provider-specific keys are kept as given, whatever they hold.
    let other = prop::collection::vec(("x_[a-z]{1,8}", any_json()), 0..3);
    (
        prop::option::of(prop::sample::select(vec!["person", "company"])),
        prop::option::of(tags()),
        prop::option::of(location),
        prop::option::of(company),
        prop::option::of(tags()),
        prop::option::of(tags()),
        other,
    )
        .prop_map(
            |(kind, job_title, location, company, skills, seniority, other)| {
                let mut filters = Map::new();
                put(&mut filters, "job_title", job_title);
                put(&mut filters, "location", location);
                put(&mut filters, "company", company);
                put(&mut filters, "skills", skills);
                put(&mut filters, "seniority", seniority);
                for (key, value) in other {
                    // A control character would be refused; the generated ones never hold NUL keys.
                    filters.insert(key, strip_nul(value));
                }
                let mut source = Map::new();
                source.insert("provider".into(), json!("baseProvider"));
                put(&mut source, "type", kind.map(Value::from));
                source.insert("filters".into(), Value::Object(filters));
                Value::Object(source)
            },
        )
}

/// `value` with every NUL removed from its strings and keys (a valid body holds none).
fn strip_nul(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nul).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace('\0', ""), strip_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

fn prompt() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 ,.?é]{0,60}"
}

fn regex() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "^(?!.*Test).*$",
        "^[A-Z][a-z]+ (GmbH|AG)$",
        "(?:\\d{1,3}\\.){3}\\d{1,3}",
        "\\bCTO\\b|\\bVP\\b",
        "(?<word>\\w+)\\s\\k<word>",
        "[\\u00e4\\u00f6\\u00fc]+",
        "(?:a{5}){5}",
    ])
    .prop_map(str::to_owned)
}

fn non_limit_filter() -> impl Strategy<Value = Value> {
    prop_oneof![
        prompt().prop_map(|p| json!({"type": "website", "provider": "browserUse", "prompt": p})),
        (
            prompt(),
            prop::option::of(prompt()),
            prop::option::of(tags()),
            prop::option::of(tags())
        )
            .prop_map(|(extraction, page, include, exclude)| {
                let mut map = Map::new();
                map.insert("type".into(), json!("webscraping"));
                map.insert("provider".into(), json!("firecrawl"));
                map.insert("extractionPrompt".into(), json!(extraction));
                put(&mut map, "pageFindingPrompt", page.map(Value::from));
                put(&mut map, "includeSearchStrings", include);
                put(&mut map, "excludeSearchStrings", exclude);
                Value::Object(map)
            }),
        (prop::sample::select(vec!["person", "company"]), prompt())
            .prop_map(|(entity, p)| json!({"type": "ai", "entityType": entity, "prompt": p})),
        ("[a-z_]{1,8}(\\.[a-z_]{1,8}){0,2}", regex()).prop_map(
            |(field, regex)| json!({"type": "matchFieldWithRegex", "field": field, "regex": regex})
        ),
    ]
}

fn custom_filters() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(non_limit_filter(), 0..4),
        prop::option::of(1u32..=10_000),
        prop::option::of(prop_oneof![
            (0u32..=100).prop_map(Value::from),
            (0.0f64..=100.0).prop_map(Value::from)
        ]),
        prop::option::of(0u32..=36_500),
        any::<Index>(),
    )
        .prop_map(|(mut filters, people, percent, days, at)| {
            let limits = [
                people.map(|v| json!({"type": "maxPeoplePerCompany", "value": v})),
                percent.map(|v| json!({"type": "maxPercentFromCRM", "value": v})),
                days.map(|v| json!({"type": "minDaysUntilReuse", "value": v})),
            ];
            for limit in limits.into_iter().flatten() {
                let index = at.index(filters.len() + 1);
                filters.insert(index, limit);
            }
            Value::Array(filters)
        })
}

fn crm_filters() -> impl Strategy<Value = Option<Value>> {
    let text = || prop::option::of(prop::option::of("[A-Za-z* ]{0,20}"));
    let condition = (
        "[a-z]{1,8}(\\.[a-z]{1,8})?",
        prop::sample::select(vec!["equals", "in", "startsWith"]),
        prop::collection::vec("[A-Za-z ,]{0,10}", 1..4),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(path, mode, values, exclude)| {
            let value = if mode == "in" {
                json!(values)
            } else {
                json!(values[0])
            };
            let mut map = Map::new();
            map.insert("path".into(), json!(path));
            map.insert("mode".into(), json!(mode));
            map.insert("value".into(), value);
            put(&mut map, "exclude", exclude.map(Value::Bool));
            Value::Object(map)
        });
    prop::option::of(
        (
            text(),
            text(),
            prop::option::of(prop::collection::vec(condition, 0..3)),
        )
            .prop_map(|(text_search, query, conditions)| {
                let mut map = Map::new();
                map.insert("provider".into(), json!("bullhorn"));
                put(&mut map, "textSearch", text_search.map(|t| json!(t)));
                put(&mut map, "query", query.map(|t| json!(t)));
                put(&mut map, "filters", conditions.map(Value::Array));
                Value::Object(map)
            }),
    )
}

/// An RFC 3339 timestamp whose UTC instant lies in years 0001–9999, with a random offset.
fn timestamp() -> impl Strategy<Value = String> {
    // A day inside each end, so that any offset keeps the local time's year four digits long.
    let (min, max) = (
        -62_135_596_800_000i64 + 86_400_000,
        253_402_300_799_999 - 86_400_000,
    );
    (min..=max, -1439i32..=1439, any::<bool>()).prop_map(|(millis, minutes, utc)| {
        let instant =
            chrono::DateTime::from_timestamp_millis(millis).unwrap_or(chrono::DateTime::UNIX_EPOCH);
        let offset = chrono::FixedOffset::east_opt(minutes * 60)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
        if utc {
            instant.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        } else {
            instant
                .with_timezone(&offset)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
        }
    })
}

/// A body the validator accepts.
pub fn valid_body() -> impl Strategy<Value = Value> {
    (
        "[ ]{0,2}[A-Za-z0-9é][A-Za-z0-9 é]{0,30}",
        prop::option::of(prop::option::of("[A-Za-z0-9 .é]{0,40}")),
        prop::collection::vec(lead_source(), 0..3),
        custom_filters(),
        (
            prop::option::of(crm_filters()),
            prop::collection::vec("user_[a-zA-Z0-9]{1,10}", 0..4),
            prop::option::of(1u16..=1000),
            prop::option::of(prop::option::of(timestamp())),
        ),
    )
        .prop_map(
            |(name, description, sources, filters, (crm, users, leads, until))| {
                let mut body = Map::new();
                body.insert("name".into(), json!(name));
                put(&mut body, "description", description.map(|d| json!(d)));
                body.insert("leadProviderCriteria".into(), Value::Array(sources));
                body.insert("customFilterCriteria".into(), filters);
                put(
                    &mut body,
                    "crmFilters",
                    crm.map(|c| c.unwrap_or(Value::Null)),
                );
                body.insert("userIds".into(), json!(users));
                put(&mut body, "leadsPerList", leads.map(Value::from));
                put(&mut body, "activeUntil", until.map(|t| json!(t)));
                Value::Object(body)
            },
        )
}

/// One change to a body.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Replace the value at a node with any JSON.
    Replace(Index, Value),
    /// Remove a key from an object.
    Remove(Index),
    /// Add a key the schema does not know.
    AddKey(Index, String, Value),
    /// Put NUL (or other control characters) into a string or key.
    Nul(Index),
    /// Replace a value with a number out of any range.
    BigNumber(Index, Value),
    /// Bury a value in deep nesting.
    Nest(Index, usize),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any_json()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), tricky_string(), any_json())
            .prop_map(|(at, k, v)| Mutation::AddKey(at, k, v)),
        any::<Index>().prop_map(Mutation::Nul),
        (
            any::<Index>(),
            prop::sample::select(vec![
                json!(u64::MAX),
                json!(i64::MIN),
                json!(1e308),
                json!(-1.5),
                json!(65_536),
                json!(4_294_967_296u64)
            ])
        )
            .prop_map(|(at, v)| Mutation::BigNumber(at, v)),
        (any::<Index>(), 1usize..60).prop_map(|(at, depth)| Mutation::Nest(at, depth)),
    ]
}

/// A valid body changed by a few mutations: mostly invalid, sometimes still valid.
pub fn mutated_body() -> impl Strategy<Value = Value> {
    (valid_body(), prop::collection::vec(mutation(), 0..4)).prop_map(|(mut body, mutations)| {
        for change in mutations {
            apply(&mut body, change);
        }
        body
    })
}

/// Every node of `value`: the root, then each member and element, as JSON pointers' segments.
fn nodes(value: &Value) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut pending = vec![(value, Vec::new())];
    while let Some((node, path)) = pending.pop() {
        match node {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut next = path.clone();
                    next.push(json!(i));
                    pending.push((item, next));
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let mut next = path.clone();
                    next.push(json!(key));
                    pending.push((item, next));
                }
            }
            _ => {}
        }
        out.push(path);
    }
    out
}

/// The node at `path` (keys as strings, indexes as numbers), if there is one.
pub fn resolve<'a>(root: &'a Value, path: &[Value]) -> Option<&'a Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Value::String(key) => node.as_object()?.get(key),
        Value::Number(index) => node.as_array()?.get(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}

fn resolve_mut<'a>(root: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Value::String(key) => node.as_object_mut()?.get_mut(key),
        Value::Number(index) => node
            .as_array_mut()?
            .get_mut(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}

pub fn apply(body: &mut Value, change: Mutation) {
    let all = nodes(body);
    let pick = |at: &Index| all[at.index(all.len())].clone();
    match change {
        Mutation::Replace(at, value) => {
            if let Some(node) = resolve_mut(body, &pick(&at)) {
                *node = value;
            }
        }
        Mutation::Remove(at) => {
            let path = pick(&at);
            if let Some((Value::String(key), parent)) = path.split_last() {
                if let Some(Value::Object(map)) = resolve_mut(body, parent) {
                    map.shift_remove(key);
                }
            }
        }
        Mutation::AddKey(at, key, value) => {
            let objects: Vec<_> = all
                .iter()
                .filter(|p| resolve(body, p).is_some_and(Value::is_object))
                .cloned()
                .collect();
            if objects.is_empty() {
                return;
            }
            let path = objects[at.index(objects.len())].clone();
            if let Some(Value::Object(map)) = resolve_mut(body, &path) {
                map.insert(format!("{key}_extra"), value);
            }
        }
        Mutation::Nul(at) => {
            let path = pick(&at);
            match resolve_mut(body, &path) {
                Some(Value::String(text)) => {
                    let middle = text
                        .char_indices()
                        .nth(text.chars().count() / 2)
                        .map_or(text.len(), |(i, _)| i);
                    text.insert(middle, '\0');
                }
                Some(Value::Object(map)) => {
                    map.insert("nul\0key".into(), json!("x"));
                }
                Some(node) => *node = json!("a\0b"),
                None => {}
            }
        }
        Mutation::BigNumber(at, value) => {
            if let Some(node) = resolve_mut(body, &pick(&at)) {
                *node = value;
            }
        }
        Mutation::Nest(at, depth) => {
            if let Some(node) = resolve_mut(body, &pick(&at)) {
                let mut nested = node.take();
                for level in 0..depth {
                    nested = if level % 2 == 0 {
                        Value::Array(vec![nested])
                    } else {
                        json!({ "k": nested })
                    };
                }
                *node = nested;
            }
        }
    }
}
