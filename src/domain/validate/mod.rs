//! The one validator: a JSON body in, a typed `IcpDraft` or every problem at its JSON path out.
//! The API, the server functions and the browser form all call `validate_draft`.

mod body_path;
mod crm;
mod custom_filters;
mod draft;
mod leads;
mod nul;
mod pattern_syntax;

pub use nul::NulInText;

use super::path::{FieldError, PathSegment};
use super::IcpDraft;
use body_path::Path;
use serde_json::{Map, Value};

/// The bounds every accepted value is held to.
pub struct Limits;

impl Limits {
    pub const NAME: usize = 200;
    pub const DESCRIPTION: usize = 2_000;
    pub const LEAD_SOURCES: usize = 50;
    pub const CUSTOM_FILTERS: usize = 50;
    pub const PROMPT: usize = 4_000;
    pub const TAGS: usize = 100;
    pub const TAG: usize = 200;
    pub const USER_IDS: usize = 100;
    pub const DOT_PATH: usize = 200;
    pub const REGEX: usize = 1_000;
    pub const CRM_TEXT: usize = 1_000;
    pub const CRM_CONDITIONS: usize = 50;
    pub const CRM_VALUE: usize = 500;
    pub const LEADS_PER_LIST: (i64, i64) = (1, 1_000);
    pub const MAX_EMPLOYEES: i64 = 10_000_000;
    pub const MAX_PEOPLE_PER_COMPANY: i64 = 10_000;
    pub const MAX_DAYS_UNTIL_REUSE: i64 = 36_500;
    /// JSON values (and object members) one body may hold, and how deeply it may nest: checked on
    /// its text before it is parsed (`shape_of`), or while it is (`parse_within_limits`, the API's
    /// bodies), so that parsing costs a bounded multiple of it.
    pub const VALUES: usize = 4_000;
    /// The most bytes of JSON one ICP's body may take (the API's request body limit).
    pub const BODY_BYTES: usize = 256 * 1024;
    pub const DEPTH: usize = 32;
    /// The most characters of a list search (`q`), as typed and once folded.
    pub const SEARCH_CHARS: usize = 200;
}

/// A size limit as people read it: whole mebibytes ("4 MiB"), else whole kibibytes ("256 KiB"),
/// else bytes. Messages name a limit through this, from its constant, so the words follow it.
pub fn size_in_words(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = KIB * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

const TOP_LEVEL: &[&str] = &[
    "name",
    "description",
    "leadProviderCriteria",
    "customFilterCriteria",
    "crmFilters",
    "userIds",
    "leadsPerList",
    "activeUntil",
];

/// Validates a create body (or a merged update) into a draft, reporting all problems at once.
pub fn validate_draft(body: &Value) -> Result<IcpDraft, Vec<FieldError>> {
    validate_parsed(body, NulInText::Unknown)
}

/// `validate_draft` for a body parsed from JSON text, with what that text tells of NULs: where it
/// spells none, the walk over every string and key for one is left out (the API's create).
pub fn validate_parsed(body: &Value, nul: NulInText) -> Result<IcpDraft, Vec<FieldError>> {
    let mut check = Check::default();
    check.no_nul(body, nul);
    let root = Path::root();
    let draft = check.draft(body, &root);
    match draft {
        Some(draft) if check.errors.is_empty() => Ok(draft),
        _ => Err(check.errors),
    }
}

/// How a string is held: its length bounds and whether surrounding space is dropped.
#[derive(Clone, Copy)]
struct Text {
    max: usize,
    non_empty: bool,
    trim: bool,
}

impl Text {
    const fn required(max: usize) -> Self {
        Text {
            max,
            non_empty: true,
            trim: false,
        }
    }

    const fn any(max: usize) -> Self {
        Text {
            max,
            non_empty: false,
            trim: false,
        }
    }
}

#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
    /// The bytes of `errors`' paths and messages so far (see `ERRORS_BYTES`).
    errors_bytes: usize,
    /// Whether problems were left out past `ERRORS_BYTES` (and a line says so).
    left_out: bool,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `map`'s value at `key`. A body's objects hold a handful of keys: comparing them in turn costs
/// less than hashing `key` (SipHash), as `Map::get` does; a larger object is looked up by hash.
fn member<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= 16 {
        map.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        map.get(key)
    }
}

fn quoted_list(allowed: &[&str]) -> String {
    allowed
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Problems reported for one body at most, counted in bytes of their paths and messages: past it
/// the list ends with one line saying so. A body can hold a problem per value (a NUL in each of
/// 24,000 strings under one long key), and each problem's path would copy that key.
const ERRORS_BYTES: usize = 16 * 1024;

impl Check {
    /// Whether the problems found fill their budget (`ERRORS_BYTES`): none is added after.
    fn full(&self) -> bool {
        self.errors_bytes >= ERRORS_BYTES
    }

    /// Records a problem; once the problems fill their budget, one more line says that further
    /// problems were left out.
    fn fail(&mut self, path: &Path, message: impl Into<String>) {
        self.fail_at(path.segments(), message);
    }

    /// `fail`, at a path already made into segments.
    fn fail_at(&mut self, segments: Vec<PathSegment>, message: impl Into<String>) {
        if self.full() {
            if !self.left_out {
                self.left_out = true;
                self.errors.push(FieldError::new(
                    Vec::new(),
                    "Too many problems to list: fix these and send the body again",
                ));
            }
            return;
        }
        let message = message.into();
        self.errors_bytes += message.len()
            + segments
                .iter()
                .map(|segment| match segment {
                    PathSegment::Index(_) => 8,
                    PathSegment::Key(key) => key.len() + 8,
                })
                .sum::<usize>();
        self.errors.push(FieldError::new(segments, message));
    }

    fn expected(&mut self, path: &Path, what: &str, value: &Value) {
        self.fail(path, format!("Expected {what}, received {}", kind(value)));
    }

    /// What `pick` finds in `value` (its string, its number…); else the problem "Expected `what`".
    fn expect<'a, T>(
        &mut self,
        value: &'a Value,
        path: &Path,
        what: &str,
        pick: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let picked = pick(value);
        if picked.is_none() {
            self.expected(path, what, value);
        }
        picked
    }

    fn object<'a>(&mut self, value: &'a Value, path: &Path) -> Option<&'a Map<String, Value>> {
        self.expect(value, path, "object", Value::as_object)
    }

    /// An object whose keys must all be among `allowed`.
    fn strict_object<'a>(
        &mut self,
        value: &'a Value,
        path: &Path,
        allowed: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let map = self.object(value, path)?;
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.fail(
                    &path.key(key),
                    format!("Unrecognized key; expected one of {}", quoted_list(allowed)),
                );
            }
        }
        Some(map)
    }

    fn required<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &Path,
    ) -> Option<&'a Value> {
        let value = member(map, key);
        if value.is_none() {
            self.fail(&path.key(key), "Required");
        }
        value
    }

    fn array<'a>(&mut self, value: &'a Value, path: &Path, max: usize) -> Option<&'a [Value]> {
        match value {
            Value::Array(items) if items.len() > max => {
                self.fail(path, format!("Must have at most {max} items"));
                None
            }
            Value::Array(items) => Some(items),
            other => {
                self.expected(path, "array", other);
                None
            }
        }
    }

    fn string(&mut self, value: &Value, path: &Path, rule: Text) -> Option<String> {
        let raw = self.expect(value, path, "string", Value::as_str)?;
        let text = if rule.trim { raw.trim() } else { raw };
        if rule.non_empty && text.trim().is_empty() {
            self.fail(path, "Must not be empty");
            return None;
        }
        if text.chars().count() > rule.max {
            self.fail(path, format!("Must be at most {} characters", rule.max));
            return None;
        }
        Some(text.to_owned())
    }

    /// `null` or a string.
    fn nullable_string(
        &mut self,
        value: &Value,
        path: &Path,
        rule: Text,
    ) -> Option<Option<String>> {
        match value {
            Value::Null => Some(None),
            other => self.string(other, path, rule).map(Some),
        }
    }

    /// The items of the array `value` (at most `max`), each checked by `check`: all of them, or
    /// `None` when one fails (the problems of every item are reported either way).
    fn each<T, F>(&mut self, value: &Value, path: &Path, max: usize, mut check: F) -> Option<Vec<T>>
    where
        F: FnMut(&mut Self, &Value, &Path) -> Option<T>,
    {
        let items = self.array(value, path, max)?;
        let checked: Vec<Option<T>> = items
            .iter()
            .enumerate()
            .map(|(index, item)| check(self, item, &path.at(index)))
            .collect();
        checked.into_iter().collect()
    }

    /// A list of non-empty strings (tags, job titles, search strings).
    fn strings(&mut self, value: &Value, path: &Path) -> Option<Vec<String>> {
        self.each(value, path, Limits::TAGS, |check, item, at| {
            check.string(item, at, Text::required(Limits::TAG))
        })
    }

    fn integer(&mut self, value: &Value, path: &Path, min: i64, max: i64) -> Option<i64> {
        let number = self.expect(value, path, "integer", Value::as_number)?;
        // A whole number written with a fraction (`10.0`) is that integer, as JSON Schema says.
        let whole = number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64);
        let Some(int) = number.as_i64().or(whole) else {
            let message = if number.as_f64().is_some_and(|f| f.fract() != 0.0) {
                "Expected integer, received a fraction"
            } else {
                "Number is too large"
            };
            self.fail(path, message);
            return None;
        };
        self.within(path, int as f64, min, max).then_some(int)
    }

    fn number(&mut self, value: &Value, path: &Path, min: i64, max: i64) -> Option<f64> {
        let number = self.expect(value, path, "number", Value::as_f64)?;
        self.within(path, number, min, max).then_some(number)
    }

    /// Bounds are whole numbers, written as integers: formatting a float would bring core's float
    /// printing (~15 KB) into the WASM bundle for these two messages.
    fn within(&mut self, path: &Path, number: f64, min: i64, max: i64) -> bool {
        if number < min as f64 {
            self.fail(path, format!("Must be at least {min}"));
            false
        } else if number > max as f64 {
            self.fail(path, format!("Must be at most {max}"));
            false
        } else {
            true
        }
    }

    /// A string that must be one of `allowed`; returns its index.
    fn one_of(&mut self, value: &Value, path: &Path, allowed: &[&str]) -> Option<usize> {
        // The list is written out only when it is needed.
        let Some(raw) = value.as_str() else {
            self.expected(path, &format!("one of {}", quoted_list(allowed)), value);
            return None;
        };
        let found = allowed.iter().position(|a| *a == raw);
        if found.is_none() {
            self.fail(
                path,
                format!("Invalid value '{raw}'; expected {}", quoted_list(allowed)),
            );
        }
        found
    }

    fn dot_path(&mut self, value: &Value, path: &Path) -> Option<String> {
        let text = self.string(value, path, Text::required(Limits::DOT_PATH))?;
        let well_formed = text.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if !well_formed {
            self.fail(
                path,
                "Must be a dot path of field names, like company.name or address.zip",
            );
            return None;
        }
        Some(text)
    }

    /// `key` of `map`, checked by `check` when it is there: `Some(None)` when it is absent (which
    /// is fine), `None` when it is there and wrong (the problem is recorded).
    fn optional<T>(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        path: &Path,
        check: impl FnOnce(&mut Self, &Value, &Path) -> Option<T>,
    ) -> Option<Option<T>> {
        match member(map, key) {
            None => Some(None),
            Some(v) => check(self, v, &path.key(key)).map(Some),
        }
    }

    fn optional_strings(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        path: &Path,
    ) -> Option<Option<Vec<String>>> {
        self.optional(map, key, path, Self::strings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_without_a_nul_escape_is_validated_alike_without_the_walk() {
        let body = |name: &str| minimal().to_string().replacen("DACH Tech Leaders", name, 1);
        for text in [
            body("DACH"),
            body("a\\u0000b"),
            body("a\\\\u0000b"),
            body("\\u0001"),
        ] {
            let value: Value = serde_json::from_str(&text).unwrap();
            let nul = NulInText::of(text.as_bytes());
            assert_eq!(
                validate_parsed(&value, nul),
                validate_draft(&value),
                "{text}"
            );
        }
        assert_eq!(NulInText::of(br#""a\u0000""#), NulInText::Unknown);
        // Conservative: an escaped backslash before "u0000" is no NUL, and is walked all the same.
        assert_eq!(NulInText::of(br#""a\\u0000""#), NulInText::Unknown);
        assert_eq!(NulInText::of(br#""a\u0001""#), NulInText::Absent);
        let with_nul: Value = serde_json::from_str(&body("a\\u0000b")).unwrap();
        assert!(validate_draft(&with_nul).is_err());
    }

    #[test]
    fn sizes_read_in_whole_units() {
        assert_eq!(size_in_words(Limits::BODY_BYTES), "256 KiB");
        assert_eq!(size_in_words(4 << 20), "4 MiB");
        assert_eq!(size_in_words(1536), "1536 bytes");
        assert_eq!(size_in_words(3 << 10), "3 KiB");
    }
    use crate::domain::{FilterKind, LeadKind};
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "name": "DACH Tech Leaders",
            "leadProviderCriteria": [],
            "customFilterCriteria": [],
            "userIds": []
        })
    }

    fn errors_of(body: Value) -> Vec<(String, String)> {
        validate_draft(&body)
            .expect_err("body should be refused")
            .into_iter()
            .map(|e| (e.field_key(), e.message))
            .collect()
    }

    fn with(mut body: Value, key: &str, value: Value) -> Value {
        body[key] = value;
        body
    }

    #[test]
    fn minimal_body_gets_defaults() {
        let draft = validate_draft(&minimal()).unwrap();
        assert_eq!(draft.leads_per_list, 10);
        assert_eq!(draft.description, None);
        assert_eq!(draft.crm_filters, None);
        assert_eq!(draft.active_until, None);
    }

    #[test]
    fn missing_required_fields_are_all_reported() {
        let errors = errors_of(json!({}));
        let paths: Vec<_> = errors
            .iter()
            .map(|(p, m)| (p.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("name", "Required"),
                ("leadProviderCriteria", "Required"),
                ("customFilterCriteria", "Required"),
                ("userIds", "Required"),
            ]
        );
    }

    #[test]
    fn name_is_trimmed_and_bounded() {
        let draft = validate_draft(&with(minimal(), "name", json!("  Buyers  "))).unwrap();
        assert_eq!(draft.name, "Buyers");
        assert_eq!(
            errors_of(with(minimal(), "name", json!("   "))),
            vec![("name".into(), "Must not be empty".into())]
        );
        assert_eq!(
            errors_of(with(minimal(), "name", json!("x".repeat(201)))),
            vec![("name".into(), "Must be at most 200 characters".into())]
        );
        assert!(validate_draft(&with(minimal(), "name", json!("é".repeat(200)))).is_ok());
    }

    #[test]
    fn user_ids_are_deduplicated_in_order() {
        let body = with(minimal(), "userIds", json!(["user_b", "user_a", "user_b"]));
        let ids: Vec<_> = validate_draft(&body)
            .unwrap()
            .user_ids
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(ids, ["user_b", "user_a"]);
    }

    #[test]
    fn reference_regex_with_lookahead_is_accepted() {
        let body = with(
            minimal(),
            "customFilterCriteria",
            json!([{"type": "matchFieldWithRegex", "field": "company.name", "regex": "^(?!.*Test).*$"}]),
        );
        assert!(validate_draft(&body).is_ok());
        let bad = with(
            minimal(),
            "customFilterCriteria",
            json!([{"type": "matchFieldWithRegex", "field": "company..name", "regex": "(unclosed"}]),
        );
        let errors = errors_of(bad);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "customFilterCriteria.0.field");
        assert_eq!(errors[1].0, "customFilterCriteria.0.regex");
    }

    #[test]
    fn regex_over_the_budget_is_refused_at_its_path() {
        // The issue's depth-9 pattern: 0.7 s and 225 MB to compile without the budget.
        let mut pattern = "a".to_owned();
        for _ in 0..9 {
            pattern = format!("(?:{pattern}){{5}}");
        }
        let body = with(
            minimal(),
            "customFilterCriteria",
            json!([{"type": "matchFieldWithRegex", "field": "company.name", "regex": pattern}]),
        );
        let errors = errors_of(body);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "customFilterCriteria.0.regex");
        assert!(
            errors[0].1.starts_with("This pattern is too complex"),
            "{}",
            errors[0].1
        );
    }

    #[test]
    fn a_nul_is_found_however_deep_and_only_where_there_is_one() {
        assert!(!super::nul::has_nul(
            &json!({"a": [1, "x", {"b": [null, true]}]})
        ));
        assert!(super::nul::has_nul(
            &json!({"a": [1, "x", {"b": ["\u{0}"]}]})
        ));
        assert!(super::nul::has_nul(&json!([[{"deep\u{0}key": 1}]])));
        assert!(super::nul::has_nul(&json!("\u{0}")));
    }

    #[test]
    fn nul_is_refused_in_any_string_or_key() {
        let body = json!({
            "name": "A\u{0}B",
            "leadProviderCriteria": [{"provider": "baseProvider", "filters": {
                "funding\u{0}stage": ["Seed"],
                "stage": {"any": ["x", "y\u{0}"]}
            }}],
            "customFilterCriteria": [],
            "userIds": []
        });
        let errors = errors_of(body);
        assert_eq!(
            errors,
            vec![
                (
                    "name".into(),
                    "Must not contain the NUL character (\\u0000)".into()
                ),
                (
                    "leadProviderCriteria.0.filters.funding\u{0}stage".into(),
                    "Keys must not contain the NUL character (\\u0000)".into()
                ),
                (
                    "leadProviderCriteria.0.filters.stage.any.1".into(),
                    "Must not contain the NUL character (\\u0000)".into()
                ),
            ]
        );
    }

    #[test]
    fn nuls_under_a_long_key_cost_a_bounded_list_of_problems() {
        // One 24,000-character key over 24,000 strings with a NUL: each problem's path copies the
        // key, so the list ends at its byte budget, with a line saying more were not listed.
        let key = "k".repeat(24_000);
        let body = json!({
            "name": "x",
            "leadProviderCriteria": [{"provider": "baseProvider", "filters": {
                key.clone(): vec!["\u{0}"; 24_000]
            }}],
        });
        let errors = super::validate_draft(&body).unwrap_err();
        let bytes: usize = errors
            .iter()
            .map(|e| e.message.len() + e.field_key().len())
            .sum();
        assert!(bytes < 2 * super::ERRORS_BYTES, "{bytes} bytes of problems");
        assert_eq!(errors[0].path[3], super::PathSegment::Key(key));
        assert_eq!(errors[0].path[4], super::PathSegment::Index(0));
        assert_eq!(
            errors.last().unwrap().message,
            "Too many problems to list: fix these and send the body again"
        );
    }

    #[test]
    fn a_nul_deep_down_is_found_at_its_path() {
        // serde_json reads at most 128 levels: 100 is as deep as a request body gets here.
        let mut deep = json!(["x", "\u{0}"]);
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let body = json!({"name": "x", "leadProviderCriteria": [
            {"provider": "baseProvider", "filters": {"deep": deep}}
        ]});
        let errors: Vec<_> = super::validate_draft(&body)
            .unwrap_err()
            .into_iter()
            .filter(|e| e.message == super::nul::NUL_IN_TEXT)
            .collect();
        assert_eq!(errors.len(), 1);
        let mut path = vec![
            "leadProviderCriteria".into(),
            0.into(),
            "filters".into(),
            "deep".into(),
        ];
        path.extend(std::iter::repeat_n(super::PathSegment::Index(0), 100));
        path.push(super::PathSegment::Index(1));
        assert_eq!(errors[0].path, path);
    }

    #[test]
    fn active_until_is_refused_outside_four_digit_utc_years() {
        for edge in ["9999-12-31T23:30:00-01:00", "0000-01-01T00:30:00+01:00"] {
            let errors = errors_of(with(minimal(), "activeUntil", json!(edge)));
            assert_eq!(errors.len(), 1, "{edge}");
            assert_eq!(errors[0].0, "activeUntil");
            assert!(
                errors[0].1.contains("9999-12-31T23:59:59.999Z"),
                "{}",
                errors[0].1
            );
        }
        let draft = validate_draft(&with(
            minimal(),
            "activeUntil",
            json!("9999-12-31T23:59:59.999Z"),
        ));
        assert!(draft.is_ok());
    }

    #[test]
    fn numbers_read_from_json_text_are_written_back_unchanged() {
        // Without correctly rounded parsing this came back as 12.874560591713893.
        let text = r#"{"name": "x", "leadProviderCriteria": [{"provider": "baseProvider",
            "filters": {"score": 994733.6580253695}}], "userIds": [],
            "customFilterCriteria": [{"type": "maxPercentFromCRM", "value": 12.874560591713891}]}"#;
        let body: Value = serde_json::from_str(text).unwrap();
        let written = serde_json::to_string(&validate_draft(&body).unwrap()).unwrap();
        assert!(
            written.contains(r#""value":12.874560591713891"#),
            "{written}"
        );
        assert!(
            written.contains(r#""score":994733.6580253695"#),
            "{written}"
        );
    }

    #[test]
    fn unknown_filter_type_names_the_allowed_ones() {
        let errors = errors_of(with(
            minimal(),
            "customFilterCriteria",
            json!([{"type": "magic"}]),
        ));
        assert_eq!(errors[0].0, "customFilterCriteria.0.type");
        for allowed in FilterKind::ALL.map(FilterKind::tag) {
            assert!(
                errors[0].1.contains(allowed),
                "{} lacks {allowed}",
                errors[0].1
            );
        }
    }

    #[test]
    fn limit_filters_appear_once_each() {
        let errors = errors_of(with(
            minimal(),
            "customFilterCriteria",
            json!([
                {"type": "maxPeoplePerCompany", "value": 2},
                {"type": "minDaysUntilReuse", "value": 0},
                {"type": "maxPeoplePerCompany", "value": 3}
            ]),
        ));
        assert_eq!(
            errors,
            vec![(
                "customFilterCriteria.2.type".into(),
                "Only one maxPeoplePerCompany filter is allowed".into()
            )]
        );
    }

    #[test]
    fn unknown_provider_filters_are_kept_and_known_ones_checked() {
        let body = with(
            minimal(),
            "leadProviderCriteria",
            json!([{"provider": "baseProvider", "filters": {"funding_stage": ["Series A"], "job_title": ["CTO", ""]}}]),
        );
        assert_eq!(
            errors_of(body),
            vec![(
                "leadProviderCriteria.0.filters.job_title.1".into(),
                "Must not be empty".into()
            )]
        );
        let body = with(
            minimal(),
            "leadProviderCriteria",
            json!([{"provider": "baseProvider", "filters": {"funding_stage": {"any": [1, 2]}}}]),
        );
        let draft = validate_draft(&body).unwrap();
        assert_eq!(draft.lead_provider_criteria[0].kind, LeadKind::Person);
        assert_eq!(
            serde_json::to_value(&draft.lead_provider_criteria[0]).unwrap(),
            json!({"provider": "baseProvider", "type": "person", "filters": {"funding_stage": {"any": [1, 2]}}})
        );
    }

    #[test]
    fn employee_size_bounds_are_ordered() {
        let body = with(
            minimal(),
            "leadProviderCriteria",
            json!([{"provider": "baseProvider", "filters": {"company": {"employee_size": {"min": 500, "max": 100}}}}]),
        );
        assert_eq!(
            errors_of(body),
            vec![(
                "leadProviderCriteria.0.filters.company.employee_size.min".into(),
                "Must not be greater than max".into()
            )]
        );
    }

    #[test]
    fn crm_in_mode_needs_a_non_empty_list() {
        let crm = |value: Value, mode: &str| {
            with(
                minimal(),
                "crmFilters",
                json!({"provider": "bullhorn", "filters": [{"path": "status", "mode": mode, "value": value}]}),
            )
        };
        assert_eq!(
            errors_of(crm(json!([]), "in"))[0].0,
            "crmFilters.filters.0.value"
        );
        assert_eq!(
            errors_of(crm(json!("x"), "in"))[0].0,
            "crmFilters.filters.0.value"
        );
        assert_eq!(
            errors_of(crm(json!(["x"]), "equals"))[0].0,
            "crmFilters.filters.0.value"
        );
        let draft = validate_draft(&crm(json!("Active"), "equals")).unwrap();
        assert!(!draft.crm_filters.unwrap().filters.unwrap()[0].exclude);
    }

    #[test]
    fn leads_per_list_must_be_a_whole_number_in_range() {
        for bad in [json!(0), json!(1001), json!(2.5), json!("10"), json!(null)] {
            let errors = errors_of(with(minimal(), "leadsPerList", bad.clone()));
            assert_eq!(errors.len(), 1, "{bad}");
            assert_eq!(errors[0].0, "leadsPerList");
        }
    }

    #[test]
    fn unrecognized_top_level_keys_are_refused() {
        assert_eq!(errors_of(with(minimal(), "nmae", json!("x")))[0].0, "nmae");
    }

    mod properties {
        use super::*;
        use crate::domain::regex_cost;
        use crate::domain::sample_bodies::{any_json, mutated_body, resolve, valid_body};
        use proptest::prelude::*;

        /// Every error points into `body`: its path resolves, or for a missing key its parent
        /// does and lacks that key.
        fn assert_paths_point_into(body: &Value, errors: &[FieldError]) {
            for error in errors {
                let path = serde_json::to_value(&error.path).unwrap();
                let path = path.as_array().unwrap();
                if error.message == "Required" {
                    let (key, parent) = path.split_last().expect("a missing key has a parent");
                    let parent = resolve(body, parent);
                    assert!(
                        parent.is_some_and(
                            |p| p.is_object() && p.get(key.as_str().unwrap()).is_none()
                        ),
                        "{error} does not point into {body}"
                    );
                } else {
                    assert!(
                        resolve(body, path).is_some(),
                        "{error} does not point into {body}"
                    );
                }
            }
        }

        /// The validator's whole contract on one body.
        fn check(body: &Value) {
            match validate_draft(body) {
                Ok(draft) => {
                    let written = serde_json::to_value(&draft).unwrap();
                    assert_eq!(
                        validate_draft(&written).as_ref(),
                        Ok(&draft),
                        "{body} was accepted as {written}, which does not re-validate the same"
                    );
                }
                Err(errors) => {
                    assert!(!errors.is_empty());
                    assert_paths_point_into(body, &errors);
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_json_is_answered_without_panicking(body in any_json()) {
                check(&body);
            }

            #[test]
            fn valid_bodies_are_accepted_and_round_trip(body in valid_body()) {
                prop_assert!(validate_draft(&body).is_ok(), "{body}: {:?}", validate_draft(&body));
                check(&body);
            }

            #[test]
            fn mutated_bodies_are_answered_at_paths_in_the_input(body in mutated_body()) {
                check(&body);
            }

            /// Patterns from ECMAScript syntax characters: never a panic in the scanner or the
            /// engine, and whatever passes the budget compiles or is refused as invalid.
            #[test]
            fn any_regex_is_measured_and_checked_without_panicking(
                pattern in prop_oneof![
                    4 => r"[()\[\]{}|?*+^$.,:=!<>\\ukxcpPbBdDwW0-9a-fA-F-]{0,80}",
                    1 => any::<String>(),
                ]
            ) {
                let cost = regex_cost::measure(&pattern);
                prop_assert!(cost.depth <= pattern.chars().count());
                let body = json!({
                    "name": "x", "leadProviderCriteria": [], "userIds": [],
                    "customFilterCriteria": [{"type": "matchFieldWithRegex", "field": "a", "regex": pattern}],
                });
                check(&body);
            }
        }
    }
}
