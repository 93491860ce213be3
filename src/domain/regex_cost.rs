//! What compiling a `matchFieldWithRegex` pattern would cost, measured before the engine sees it.
//!
//! `regress` writes out counted repeats when it optimises (`(?:x){5}` becomes five copies of `x`,
//! `(?:x)+` becomes `x(?:x)*`), so nesting them multiplies: a 67-character pattern took 3 s and 1 GB
//! to compile. This scanner reads ECMAScript pattern syntax and computes the pattern's length with
//! every repeat written out, plus how deeply groups nest; the validator refuses patterns over
//! [`MAX_EXPANDED`] or [`MAX_DEPTH`] before compiling them. It never fails on malformed input (the
//! engine reports syntax errors afterwards) and counts generously where the syntax is ambiguous.

/// Largest expanded size accepted: ten times the longest pattern (1,000 characters). Chosen by
/// measurement (`cargo bench --bench regex_budget`): the costliest accepted shapes (repeated
/// alternations of ~100 branches) compile in a few milliseconds and under 1 MB in an optimised
/// build, against 10 ms and 10 MB allowed; common patterns expand to a few hundred.
pub const MAX_EXPANDED: u64 = 10_000;

/// Deepest group nesting accepted. The engine parses and optimises recursively: an unoptimised
/// build overflows a 1 MB stack (the browser's WASM stack size) at 200–250 nested groups, and a stack
/// overflow aborts the whole process. Real patterns nest a handful of groups.
pub const MAX_DEPTH: usize = 32;

/// The cost of one pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternCost {
    /// Characters the pattern would have with every counted repeat written out (saturating).
    pub expanded: u64,
    /// Deepest nesting of groups and lookarounds.
    pub depth: usize,
}

impl PatternCost {
    /// Why the pattern is refused, in words a person can act on; `None` when it is within budget.
    pub fn refusal(&self) -> Option<String> {
        if self.depth > MAX_DEPTH {
            Some(format!(
                "This pattern nests groups {} deep (at most {MAX_DEPTH}). Use fewer nested groups.",
                self.depth
            ))
        } else if self.expanded > MAX_EXPANDED {
            // Saturated sums say nothing useful past a billion.
            let about = if self.expanded > 1_000_000_000 {
                "over 1000000000".to_owned()
            } else {
                self.expanded.to_string()
            };
            Some(format!(
                "This pattern is too complex: its repeats expand to about {about} steps (at most {MAX_EXPANDED}). Use smaller {{n}} counts or fewer nested repeats."
            ))
        } else {
            None
        }
    }
}

/// One open group: the weight of what it holds so far.
struct Frame {
    /// Weight of the group's opening (`(`, `(?:`, `(?<name>`, …).
    opening: u64,
    /// Weight of the finished items, not counting the last one.
    done: u64,
    /// Weight of the last item, which a following quantifier multiplies (0: nothing to repeat).
    last: u64,
}

impl Frame {
    fn new(opening: u64) -> Self {
        Frame {
            opening,
            done: 0,
            last: 0,
        }
    }

    /// Starts a new item, committing the previous one.
    fn push(&mut self, weight: u64) {
        self.done = self.done.saturating_add(self.last);
        self.last = weight;
    }

    fn total(&self) -> u64 {
        self.opening
            .saturating_add(self.done)
            .saturating_add(self.last)
    }
}

/// Measures `pattern` (ECMAScript syntax, as `regress::Regex::new` reads it, without flags).
pub fn measure(pattern: &str) -> PatternCost {
    let chars: Vec<char> = pattern.chars().collect();
    let mut stack = vec![Frame::new(0)];
    let mut depth = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let len = escape_len(&chars, i);
                top(&mut stack).push(len as u64);
                i += len;
            }
            '[' => {
                let len = class_len(&chars, i);
                top(&mut stack).push(len as u64);
                i += len;
            }
            '(' => {
                let len = group_opening_len(&chars, i);
                stack.push(Frame::new(len as u64));
                depth = depth.max(stack.len() - 1);
                i += len;
            }
            ')' if stack.len() > 1 => {
                let group = stack
                    .pop()
                    .map_or(0, |frame| frame.total().saturating_add(1));
                top(&mut stack).push(group);
                i += 1;
            }
            '|' => {
                let frame = top(&mut stack);
                frame.push(1);
                frame.push(0);
                i += 1;
            }
            '*' | '+' | '?' | '{' => match quantifier(&chars, i) {
                Some((times, len)) => {
                    let frame = top(&mut stack);
                    frame.last = frame.last.saturating_mul(times).saturating_add(len as u64);
                    // What follows a quantifier is a new item (a second quantifier is a syntax error).
                    frame.push(0);
                    i += len;
                }
                None => {
                    top(&mut stack).push(1);
                    i += 1;
                }
            },
            _ => {
                top(&mut stack).push(1);
                i += 1;
            }
        }
    }
    // Unclosed groups are a syntax error for the engine; count them anyway.
    let mut expanded = 0u64;
    while let Some(frame) = stack.pop() {
        expanded = frame.total().saturating_add(expanded);
    }
    PatternCost { expanded, depth }
}

fn top(stack: &mut Vec<Frame>) -> &mut Frame {
    if stack.is_empty() {
        stack.push(Frame::new(0));
    }
    let last = stack.len() - 1;
    &mut stack[last]
}

/// Length of the escape starting at `chars[at] == '\\'`.
fn escape_len(chars: &[char], at: usize) -> usize {
    let next = |offset: usize| chars.get(at + offset).copied();
    let is_hex = |offset: usize| next(offset).is_some_and(|c| c.is_ascii_hexdigit());
    match next(1) {
        None => 1,
        // `\u{1F600}`: the engine reads a code point escape even without the `u` flag.
        Some('u') if next(2) == Some('{') => {
            let digits = (3..).take_while(|&o| is_hex(o)).count();
            if digits > 0 && next(3 + digits) == Some('}') {
                3 + digits + 1
            } else {
                2
            }
        }
        Some('u') if (2..6).all(is_hex) => 6,
        Some('x') if (2..4).all(is_hex) => 4,
        Some('c') if next(2).is_some_and(|c| c.is_ascii_alphabetic()) => 3,
        // `\k<name>`: a named backreference.
        Some('k') if next(2) == Some('<') => {
            match (3..).find(|&o| matches!(next(o), Some('>') | None)) {
                Some(end) if next(end) == Some('>') => end + 1,
                _ => 2,
            }
        }
        // Backreferences and legacy octal escapes: all the digits.
        Some(d) if d.is_ascii_digit() => {
            1 + (1..)
                .take_while(|&o| next(o).is_some_and(|c| c.is_ascii_digit()))
                .count()
        }
        Some(_) => 2,
    }
}

/// Length of the character class starting at `chars[at] == '['`. In ECMAScript the first
/// unescaped `]` closes it, even right after `[` or `[^` (`[]` matches nothing).
fn class_len(chars: &[char], at: usize) -> usize {
    let mut i = at + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 2,
            ']' => return i + 1 - at,
            _ => i += 1,
        }
    }
    chars.len().saturating_sub(at).max(1)
}

/// Length of a group's opening at `chars[at] == '('`: `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`
/// or `(?<name>`.
fn group_opening_len(chars: &[char], at: usize) -> usize {
    let next = |offset: usize| chars.get(at + offset).copied();
    match (next(1), next(2), next(3)) {
        (Some('?'), Some(':' | '=' | '!'), _) => 3,
        (Some('?'), Some('<'), Some('=' | '!')) => 4,
        (Some('?'), Some('<'), _) => match (3..).find(|&o| matches!(next(o), Some('>') | None)) {
            Some(end) if next(end) == Some('>') => end + 1,
            _ => 3,
        },
        _ => 1,
    }
}

/// A quantifier at `chars[at]`: how many copies of its item the engine may write out, and its length.
///
/// `{n}` and `{n,m}` write out `n` copies, plus one loop when more are allowed; `+` is `{1,}`.
/// Copies beyond the minimum stay a loop, so `*` and `?` cost nothing extra.
fn quantifier(chars: &[char], at: usize) -> Option<(u64, usize)> {
    let (min, more, mut len) = match chars.get(at)? {
        '*' => (0, true, 1),
        '+' => (1, true, 1),
        '?' => (0, true, 1),
        _ => {
            let mut i = at + 1;
            let (min, digits) = decimal(chars, i);
            if digits == 0 {
                return None;
            }
            i += digits;
            let mut more = false;
            if chars.get(i) == Some(&',') {
                i += 1;
                let (max, digits) = decimal(chars, i);
                i += digits;
                more = digits == 0 || max > min;
            }
            if chars.get(i) != Some(&'}') {
                return None;
            }
            (min, more, i + 1 - at)
        }
    };
    // A lazy quantifier (`*?`, `{2,5}?`) costs the same.
    if chars.get(at + len) == Some(&'?') {
        len += 1;
    }
    let times = min.max(1).saturating_add(u64::from(more && min > 0));
    Some((times, len))
}

/// The decimal number at `chars[at..]` (saturating) and how many digits it has.
fn decimal(chars: &[char], at: usize) -> (u64, usize) {
    let mut value = 0u64;
    let mut digits = 0;
    while let Some(d) = chars.get(at + digits).and_then(|c| c.to_digit(10)) {
        value = value.saturating_mul(10).saturating_add(u64::from(d));
        digits += 1;
    }
    (value, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(?:…){n}` nested `depth` times around `inner`.
    fn nested(depth: usize, inner: &str, quantifier: &str) -> String {
        let mut pattern = inner.to_owned();
        for _ in 0..depth {
            pattern = format!("(?:{pattern}){quantifier}");
        }
        pattern
    }

    #[test]
    fn the_reported_nested_repeats_are_refused_before_compiling() {
        // Depth 8, 9 and 10 took 0.16 s, 0.7 s / 225 MB and 3 s / 1 GB to compile.
        for depth in [8, 9, 10] {
            let cost = measure(&nested(depth, "a", "{5}"));
            let refusal = cost.refusal().expect("refused");
            assert!(
                refusal.starts_with("This pattern is too complex: its repeats expand to about"),
                "{refusal}"
            );
            assert!(refusal
                .ends_with("(at most 10000). Use smaller {n} counts or fewer nested repeats."));
        }
        assert_eq!(measure(&nested(4, "a", "{5}")).refusal(), None);
    }

    #[test]
    fn repeats_multiply_by_the_copies_the_engine_writes_out() {
        assert_eq!(measure("abc").expanded, 3);
        // `(?:ab)` is 6 characters; `{3}` writes out 3 copies, plus the 3 characters of `{3}`.
        assert_eq!(measure("(?:ab){3}").expanded, 6 * 3 + 3);
        // `+` is one copy and a loop; `*`, `?` and `{0,n}` stay a loop.
        assert_eq!(measure("(?:ab)+").expanded, 6 * 2 + 1);
        assert_eq!(measure("(?:ab)*").expanded, 6 + 1);
        assert_eq!(measure("(?:ab){0,9}?").expanded, 6 + 6);
        assert_eq!(measure("(?:ab){2,}").expanded, 6 * 3 + 4);
        assert_eq!(measure("(?:ab){2,9}").expanded, 6 * 3 + 5);
        assert_eq!(measure("(?:ab){2,2}").expanded, 6 * 2 + 5);
        // Only the last item before a quantifier repeats; alternation does not.
        assert_eq!(measure("xa{4}").expanded, 1 + 4 + 3);
        assert_eq!(measure("a|b{3}").expanded, 1 + 1 + 3 + 3);
        assert_eq!(
            measure("(?:(?:a){5}){5}").expanded,
            ((4 + 1) * 5 + 3 + 4) * 5 + 3
        );
    }

    #[test]
    fn escapes_classes_and_group_openings_are_single_items() {
        for (item, len) in [
            (r"\u{1F600}", 9),
            (r"\u0041", 6),
            (r"\x41", 4),
            (r"\cJ", 3),
            (r"\k<name>", 8),
            (r"\12", 3),
            (r"\b", 2),
            (r"[a-z\]]", 7),
            ("[]", 2),
            ("[^]", 3),
        ] {
            assert_eq!(measure(item).expanded, len, "{item}");
            assert_eq!(
                measure(&format!("{item}{{4}}")).expanded,
                len * 4 + 3,
                "{item}{{4}}"
            );
        }
        // `\u{…}` that is not a code point is `u` followed by a literal or a quantifier.
        assert_eq!(measure(r"\u{").expanded, 3);
        // A `{` that is not a quantifier is a literal character.
        assert_eq!(measure("a{,5}").expanded, 5);
        assert_eq!(measure("(?<year>x){4}").expanded, (9 + 1) * 4 + 3);
        for opening in ["(?=", "(?!", "(?<=", "(?<!", "(?:", "("] {
            let pattern = format!("{opening}a){{3}}");
            let expected = (opening.len() as u64 + 2) * 3 + 3;
            assert_eq!(measure(&pattern).expanded, expected, "{pattern}");
            assert_eq!(measure(&pattern).depth, 1);
        }
    }

    #[test]
    fn deep_nesting_is_refused_whatever_it_costs() {
        let deep = format!("{}a{}", "(".repeat(33), ")".repeat(33));
        let cost = measure(&deep);
        assert_eq!(cost.depth, 33);
        assert_eq!(
            cost.refusal().as_deref(),
            Some("This pattern nests groups 33 deep (at most 32). Use fewer nested groups.")
        );
        let fine = format!("{}a{}", "(?:".repeat(32), ")".repeat(32));
        assert_eq!(measure(&fine).refusal(), None);
    }

    #[test]
    fn huge_and_unbalanced_patterns_are_measured_without_panicking() {
        assert_eq!(measure("a{99999999999999999999999}").expanded, u64::MAX);
        assert!(measure(&"(?:a{9999}){9999}".repeat(60)).refusal().is_some());
        for odd in [
            "", "\\", "(", ")", "((", "))", "[", "[\\", "\\u{", "\\k<", "(?<", "(?", "{", "{5",
            "{5,", "*", "+?", "a{5}{5}", "|", "(|)", "\u{0}", "é{3}",
        ] {
            let cost = measure(odd);
            assert!(cost.expanded <= 2 * odd.chars().count() as u64 + 1, "{odd}");
        }
    }
}
