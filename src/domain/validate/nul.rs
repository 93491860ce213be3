//! The NUL check: no string or object key of a body may hold U+0000, wherever it is.

use super::{Check, Path, PathSegment};
use serde_json::Value;

/// The NUL character: Postgres text and jsonb cannot hold it, so no database is given one.
pub(super) const NUL: char = '\u{0}';
pub(super) const NUL_IN_TEXT: &str = "Must not contain the NUL character (\\u0000)";
pub(super) const NUL_IN_KEY: &str = "Keys must not contain the NUL character (\\u0000)";

/// What a body's JSON text tells of NULs in its strings and keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NulInText {
    /// Not known (a body built in code, or parsed from a form): every string and key is looked at.
    Unknown,
    /// The text spells none. A JSON string holds U+0000 only as the escape `\u0000` (the raw
    /// character is not allowed in one, and the parser refuses it), and the text holds no such
    /// escape, so no string or key of the value parsed from it holds one.
    Absent,
}

impl NulInText {
    /// What `text`, the JSON a body was parsed from, tells. Conservative: an escaped backslash
    /// before `u0000` (`\\u0000`) counts as `Unknown` too, and the walk then finds no NUL.
    pub fn of(text: &[u8]) -> Self {
        if memchr::memmem::find(text, b"\\u0000").is_some() {
            NulInText::Unknown
        } else {
            NulInText::Absent
        }
    }
}

/// Whether any string or object key in `value` holds a NUL: the usual answer, no, costs no path.
/// Recursive: a parsed body nests at most 128 deep (serde_json's limit; the API's own is lower).
#[cfg(feature = "ssr")]
pub(super) fn has_nul(value: &Value) -> bool {
    let nul = |text: &str| text.as_bytes().contains(&0);
    match value {
        Value::String(text) => nul(text),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(key, value)| nul(key) || has_nul(value)),
        _ => false,
    }
}

/// One step down into a body, borrowed from it: a path is made of these only for a NUL found.
#[derive(Clone, Copy)]
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

/// The values left to visit in one array or object of the body.
enum Children<'a> {
    Items(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    Entries(serde_json::map::Iter<'a>),
}

impl<'a> Iterator for Children<'a> {
    type Item = (Step<'a>, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Children::Items(items) => items.next().map(|(i, v)| (Step::Index(i), v)),
            Children::Entries(entries) => entries.next().map(|(k, v)| (Step::Key(k), v)),
        }
    }
}

/// The path of `trail` followed by `last`, made when a problem is found there.
fn path_of(trail: &[Step], last: Step) -> Vec<PathSegment> {
    let segment = |step: &Step| match *step {
        Step::Index(i) => PathSegment::Index(i),
        Step::Key(key) => PathSegment::Key(key.to_owned()),
    };
    trail.iter().chain([&last]).map(segment).collect()
}

impl Check {
    /// Refuses a NUL in any string or object key of `body`, wherever it is (provider-specific
    /// filters included), at its path. Walks with its own stack, so any depth is safe, and holds
    /// only the steps down to the current value (borrowed): a path is made for a NUL found, never
    /// for the values passed.
    pub(super) fn no_nul(&mut self, body: &Value, in_text: NulInText) {
        if in_text == NulInText::Absent {
            return;
        }
        // The same answer either way; on the server, where bodies come by the thousand, a body
        // without a NUL (nearly all) is passed without the walk below (~5% of a create's
        // instructions).
        #[cfg(feature = "ssr")]
        if !has_nul(body) {
            return;
        }
        let mut trail: Vec<Step> = Vec::new();
        let mut open: Vec<Children> = Vec::new();
        if let Value::String(text) = body {
            if text.contains(NUL) {
                self.fail(&Path::root(), NUL_IN_TEXT);
            }
        }
        self.open(body, &trail, &mut open);
        // `trail` holds the steps to the innermost open array or object: one fewer than `open`.
        while let Some(children) = open.last_mut() {
            let Some((step, value)) = children.next() else {
                open.pop();
                trail.pop();
                continue;
            };
            match value {
                Value::String(text) if text.contains(NUL) => {
                    self.fail_at(path_of(&trail, step), NUL_IN_TEXT);
                }
                Value::Array(_) | Value::Object(_) => {
                    trail.push(step);
                    self.open(value, &trail, &mut open);
                }
                _ => {}
            }
            if self.full() {
                return;
            }
        }
    }

    /// Starts visiting the array or object `value` (at `trail`), refusing its keys with a NUL.
    fn open<'a>(&mut self, value: &'a Value, trail: &[Step<'a>], open: &mut Vec<Children<'a>>) {
        match value {
            Value::Array(items) => open.push(Children::Items(items.iter().enumerate())),
            Value::Object(map) => {
                for key in map.keys().filter(|key| key.contains(NUL)) {
                    self.fail_at(path_of(trail, Step::Key(key)), NUL_IN_KEY);
                }
                open.push(Children::Entries(map.iter()));
            }
            _ => {}
        }
    }
}
