//! A text condition in words — "Company name · does not contain · Test" — and the
//! `matchFieldWithRegex` pattern the API stores it as (`^(?!.*Test).*$`). The builder writes the
//! pattern from the words and reads a stored pattern back into words when it has one of the shapes
//! written here; any other pattern stays "matches pattern", shown as it is.

/// How a condition compares a lead's field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Contains,
    DoesNotContain,
    StartsWith,
    Is,
    /// The value is an ECMAScript regular expression, kept as typed.
    Matches,
}

impl Operator {
    /// In the order the builder offers them.
    pub const ALL: [Operator; 5] = [
        Operator::Contains,
        Operator::DoesNotContain,
        Operator::StartsWith,
        Operator::Is,
        Operator::Matches,
    ];

    /// The builder's field value.
    pub fn tag(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::DoesNotContain => "notContains",
            Operator::StartsWith => "startsWith",
            Operator::Is => "is",
            Operator::Matches => "matches",
        }
    }

    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.tag() == tag)
    }

    /// In words, as the builder's choice and the ICP page say it.
    pub fn label(self) -> &'static str {
        match self {
            Operator::Contains => "contains",
            Operator::DoesNotContain => "does not contain",
            Operator::StartsWith => "starts with",
            Operator::Is => "is",
            Operator::Matches => "matches pattern",
        }
    }

    /// The pattern that keeps the leads whose field compares so with `value` (case as typed).
    pub fn pattern(self, value: &str) -> String {
        let text = escape(value);
        match self {
            Operator::Contains => format!("^.*{text}.*$"),
            Operator::DoesNotContain => format!("^(?!.*{text}).*$"),
            Operator::StartsWith => format!("^{text}"),
            Operator::Is => format!("^{text}$"),
            Operator::Matches => value.to_owned(),
        }
    }

    /// The words a stored `pattern` says: the operator and its value, or `Matches` and the pattern
    /// itself when it has none of `pattern`'s shapes (nor a bare literal, which contains).
    pub fn read(pattern: &str) -> (Operator, String) {
        let shapes: [(Operator, &str, &str); 5] = [
            (Operator::DoesNotContain, "^(?!.*", ").*$"),
            (Operator::Contains, "^.*", ".*$"),
            (Operator::Is, "^", "$"),
            (Operator::StartsWith, "^", ""),
            (Operator::Contains, "", ""),
        ];
        shapes
            .into_iter()
            .find_map(|(op, head, tail)| {
                let inner = pattern.strip_prefix(head)?.strip_suffix(tail)?;
                unescape(inner).map(|text| (op, text))
            })
            .unwrap_or((Operator::Matches, pattern.to_owned()))
    }
}

/// ECMAScript's syntax characters: the ones a literal must escape.
const SYNTAX: &str = "^$\\.*+?()[]{}|";

/// `text` as a pattern matching exactly it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if SYNTAX.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text a pattern matches when it is a plain literal (syntax characters escaped, nothing
/// else special); `None` otherwise, and for an empty pattern.
fn unescape(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(|next| SYNTAX.contains(*next))?),
            c if SYNTAX.contains(c) => return None,
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Lead fields a condition may test, as (dot path, name): those the reference's base provider
/// filters by, for the person and their company. Any other path may still be typed.
pub const LEAD_FIELDS: [(&str, &str); 9] = [
    ("company.name", "Company name"),
    ("company.domain", "Company domain"),
    ("company.industry", "Company industry"),
    ("company.keywords", "Company keywords"),
    ("person.title", "Job title"),
    ("person.seniority", "Seniority"),
    ("person.skills", "Skills"),
    ("person.location.country", "Country"),
    ("person.location.city", "City"),
];

/// Bullhorn candidate fields a CRM condition may test, as (dot path, name); the reference names
/// `address.countryName`, `address.zip` and `status`. Any other path may still be typed.
pub const CRM_FIELDS: [(&str, &str); 8] = [
    ("address.countryName", "Country"),
    ("address.state", "State"),
    ("address.city", "City"),
    ("address.zip", "ZIP code"),
    ("status", "Status"),
    ("occupation", "Occupation"),
    ("companyName", "Company name"),
    ("source", "Source"),
];

/// What `path` is called in `fields`; the path itself when it is not there.
pub fn field_name<'a>(fields: &[(&str, &'a str)], path: &'a str) -> &'a str {
    fields
        .iter()
        .find(|(known, _)| *known == path)
        .map_or(path, |(_, name)| name)
}

/// A stored condition in words: "Company name does not contain “Test”", or for a pattern with no
/// words "Company name matches /Gmb[hH]$/".
pub fn in_words(field: &str, pattern: &str) -> String {
    let name = field_name(&LEAD_FIELDS, field);
    match Operator::read(pattern) {
        (Operator::Matches, _) => format!("{name} matches /{pattern}/"),
        (operator, value) => format!("{name} {} “{value}”", operator.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operator_reads_back_what_it_wrote() {
        for value in [
            "Test",
            "a.b (c) [d] {e} ^f$ g|h i*j+k?",
            "Müller & Söhne",
            "\\",
        ] {
            for op in Operator::ALL {
                let pattern = op.pattern(value);
                let (read, text) = Operator::read(&pattern);
                // A pattern that is plain text finds that text anywhere: it reads as "contains".
                let expected = match op {
                    Operator::Matches if unescape(value).is_some() => Operator::Contains,
                    op => op,
                };
                assert_eq!((read, text.as_str()), (expected, value), "{pattern}");
            }
        }
    }

    #[test]
    fn the_reference_example_reads_as_does_not_contain() {
        assert_eq!(Operator::DoesNotContain.pattern("Test"), "^(?!.*Test).*$");
        assert_eq!(
            Operator::read("^(?!.*Test).*$"),
            (Operator::DoesNotContain, "Test".into())
        );
    }

    #[test]
    fn other_patterns_stay_patterns() {
        for pattern in [
            "^A",
            "Gmb[hH]$",
            "^(?!.*Te.t).*$",
            "^.*a|b.*$",
            "x\\d",
            "^$",
            "",
        ] {
            let (op, value) = Operator::read(pattern);
            if pattern == "^A" {
                assert_eq!((op, value.as_str()), (Operator::StartsWith, "A"));
            } else {
                assert_eq!(
                    (op, value.as_str()),
                    (Operator::Matches, pattern),
                    "{pattern}"
                );
            }
        }
        // A bare literal contains it.
        assert_eq!(Operator::read("GmbH"), (Operator::Contains, "GmbH".into()));
        // An escaped dollar is text, not the end.
        assert_eq!(Operator::read("^a\\$"), (Operator::StartsWith, "a$".into()));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_patterns_compile_as_ecmascript() {
        for op in Operator::ALL {
            let pattern = op.pattern("a.b (c) [d] {e} ^f$ g|h i*j+k? / -");
            assert!(regress::Regex::new(&pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn stored_conditions_read_in_words() {
        assert_eq!(
            in_words("company.name", "^(?!.*Test).*$"),
            "Company name does not contain “Test”"
        );
        assert_eq!(in_words("person.title", "^CTO$"), "Job title is “CTO”");
        assert_eq!(in_words("x.y", "Gmb[hH]$"), "x.y matches /Gmb[hH]$/");
    }

    #[test]
    fn known_fields_have_names_and_others_show_their_path() {
        assert_eq!(field_name(&LEAD_FIELDS, "company.name"), "Company name");
        assert_eq!(field_name(&CRM_FIELDS, "address.zip"), "ZIP code");
        assert_eq!(field_name(&LEAD_FIELDS, "x.y"), "x.y");
    }
}
