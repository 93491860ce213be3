//! The values the base provider's filters are picked from: countries (ISO 3166-1) and their
//! regions (ISO 3166-2), seniority levels, employee-size bands and industries (NAICS 2022 sectors
//! and subsectors). Served by the server (`GET /api/v1/vocabularies/{name}?q=`), never bundled
//! into the browser's WASM.
//!
//! Countries, regions and industries are generated from published packages by
//! `scripts/vocabularies/generate.py` (sources and versions in each file and in its README);
//! seniority levels and bands are ours, modelled on the large lead databases' lists. An ICP
//! stores a term's `value` (a country's English name, as the reference's examples do); a value a
//! vocabulary does not know is still accepted (the reference's filters are open), and the builder
//! says so beside it.
#![cfg(feature = "ssr")]

use crate::domain::closed_set;
use crate::store::fold;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The longest `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Terms one answer holds at most (and by default).
pub const MAX_TERMS: usize = 50;
pub const DEFAULT_TERMS: usize = 20;

closed_set! {
    /// A vocabulary, named as in its URL.
    pub enum Vocabulary {
        Countries = "countries",
        Regions = "regions",
        Seniorities = "seniorities",
        EmployeeSizes = "employee-sizes",
        Industries = "industries",
    }
}

impl Vocabulary {
    /// The vocabulary's terms and where they come from, read once.
    fn index(self) -> &'static Index {
        static INDEXES: OnceLock<Vec<Index>> = OnceLock::new();
        let all = INDEXES.get_or_init(|| Self::ALL.into_iter().map(Index::build).collect());
        &all[self as usize]
    }

    pub fn source(self) -> &'static str {
        &self.index().source
    }

    pub fn version(self) -> &'static str {
        &self.index().version
    }

    /// Every term, in the vocabulary's order.
    pub fn terms(self) -> impl Iterator<Item = &'static Term> {
        self.index().entries.iter().map(|entry| &entry.term)
    }

    /// The term `value` names exactly, ignoring case and accents: its value, code or an alias
    /// ("Schweiz", "CH", "switzerland" → Switzerland).
    pub fn resolve(self, value: &str) -> Option<&'static Term> {
        let key = fold(value.trim());
        self.index()
            .entries
            .iter()
            .find(|entry| entry.keys.contains(&key))
            .map(|entry| &entry.term)
    }

    /// Up to `limit` terms for `query`, best first: those it names exactly, then those with a
    /// name or alias starting with it, then with a word starting with it, then containing it.
    /// An empty query lists the vocabulary from its start. `within` keeps only the regions of
    /// one country (its alpha-2 code).
    pub fn search(self, query: &str, within: Option<&str>, limit: usize) -> Vec<Found> {
        let query = fold(query.trim());
        let mut found: Vec<(u8, usize, Found)> = Vec::new();
        for (order, entry) in self.index().entries.iter().enumerate() {
            if within.is_some_and(|country| entry.term.country.as_deref() != Some(country)) {
                continue;
            }
            let rank = if query.is_empty() {
                Some(4)
            } else {
                entry.keys.iter().filter_map(|key| rank(key, &query)).min()
            };
            if let Some(rank) = rank {
                let found_term = Found {
                    term: entry.term.clone(),
                    exact: rank == 0,
                };
                found.push((rank, order, found_term));
            }
        }
        found.sort_by_key(|(rank, order, _)| (*rank, *order));
        found.truncate(limit);
        found.into_iter().map(|(_, _, found)| found).collect()
    }
}

/// How well `key` matches `query` (both folded): 0 exactly, 1 at its start, 2 at a word's start,
/// 3 anywhere; `None` not at all.
fn rank(key: &str, query: &str) -> Option<u8> {
    if key == query {
        Some(0)
    } else if key.starts_with(query) {
        Some(1)
    } else if key
        .match_indices(query)
        .any(|(at, _)| !key[..at].ends_with(char::is_alphanumeric))
    {
        Some(2)
    } else if key.contains(query) {
        Some(3)
    } else {
        None
    }
}

/// A value a filter can take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Term {
    /// What an ICP stores: "Switzerland", "C-Suite", "51–200", "Information".
    pub value: String,
    /// The term's code, when it has one: ISO 3166 ("CH", "CH-ZH"), NAICS ("51", "513").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The country a region is in (alpha-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// What the term is within its vocabulary: a region's type ("Canton"), an industry's level
    /// ("sector", "subsector") and a subsector's sector code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// An employee-size band's bounds, as `company.employee_size` takes them (`max` absent: no
    /// upper bound).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Other names the term is found by (native names, codes, shorthands).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aliases: Vec<String>,
}

/// A term found for a query; `exact` when the query names it (the builder replaces a typed or
/// pasted value with such a term's `value`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Found {
    #[serde(flatten)]
    pub term: Term,
    pub exact: bool,
}

struct Entry {
    term: Term,
    /// The folded value, code and aliases.
    keys: Vec<String>,
}

struct Index {
    source: String,
    version: String,
    entries: Vec<Entry>,
}

/// A generated file: `{"source", "version", "entries": [...]}`.
#[derive(Deserialize)]
struct File<T> {
    source: String,
    version: String,
    entries: Vec<T>,
}

#[derive(Deserialize)]
struct CountryRow {
    code: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
struct RegionRow {
    code: String,
    country: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct IndustryRow {
    code: String,
    name: String,
    level: String,
    sector: Option<String>,
}

/// Seniority levels, most senior first, with the other names people type for them.
const SENIORITIES: &[(&str, &[&str])] = &[
    ("Owner", &[]),
    ("Founder", &["Co-Founder", "Cofounder"]),
    ("C-Suite", &["C-Level", "CXO", "Chief", "Executive"]),
    ("Partner", &[]),
    ("VP", &["Vice President", "Vice-President", "SVP", "EVP"]),
    ("Head", &["Head of"]),
    ("Director", &[]),
    ("Manager", &[]),
    ("Senior", &["Sr", "Senior Individual Contributor"]),
    ("Entry", &["Entry Level", "Junior", "Jr"]),
    ("Intern", &["Internship", "Trainee"]),
];

/// Employee-size bands, as the large lead databases band companies.
const BANDS: &[(i64, Option<i64>)] = &[
    (1, Some(10)),
    (11, Some(50)),
    (51, Some(200)),
    (201, Some(500)),
    (501, Some(1_000)),
    (1_001, Some(5_000)),
    (5_001, Some(10_000)),
    (10_001, None),
];

/// `n` with thousands separated by commas: 10,001.
fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A band's name: "51–200", "10,001+".
pub fn band_name(min: i64, max: Option<i64>) -> String {
    match max {
        Some(max) => format!("{}–{}", thousands(min), thousands(max)),
        None => format!("{}+", thousands(min)),
    }
}

fn term(value: &str) -> Term {
    Term {
        value: value.to_owned(),
        code: None,
        country: None,
        detail: None,
        min: None,
        max: None,
        aliases: Vec::new(),
    }
}

/// The source, the version and the terms (`to_term` of each row) of the vocabulary file `text`.
fn from_file<R: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
    to_term: impl Fn(R) -> Term,
) -> (String, String, Vec<Term>) {
    // The files are part of the build: one that does not parse is a bug found by the tests.
    let file: File<R> =
        serde_json::from_str(text).unwrap_or_else(|error| panic!("vocabulary {name}: {error}"));
    let terms = file.entries.into_iter().map(to_term).collect();
    (file.source, file.version, terms)
}

impl Index {
    fn build(vocabulary: Vocabulary) -> Self {
        let ours = |entries: Vec<Term>| {
            (
                "icp-builder (src/vocabularies/mod.rs)".to_owned(),
                "1".to_owned(),
                entries,
            )
        };
        let (source, version, terms) = match vocabulary {
            Vocabulary::Countries => from_file(
                "countries",
                include_str!("countries.json"),
                |row: CountryRow| Term {
                    code: Some(row.code),
                    aliases: row.aliases,
                    ..term(&row.name)
                },
            ),
            Vocabulary::Regions => {
                from_file("regions", include_str!("regions.json"), |row: RegionRow| {
                    Term {
                        code: Some(row.code),
                        country: Some(row.country),
                        detail: Some(row.kind),
                        ..term(&row.name)
                    }
                })
            }
            Vocabulary::Industries => {
                let text = include_str!("industries.json");
                from_file("industries", text, |row: IndustryRow| Term {
                    code: Some(row.code),
                    detail: Some(match row.sector {
                        Some(sector) => format!("{} of sector {sector}", row.level),
                        None => row.level,
                    }),
                    ..term(&row.name)
                })
            }
            Vocabulary::Seniorities => ours(
                SENIORITIES
                    .iter()
                    .map(|(value, aliases)| Term {
                        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                        ..term(value)
                    })
                    .collect(),
            ),
            Vocabulary::EmployeeSizes => ours(
                BANDS
                    .iter()
                    .map(|&(min, max)| Term {
                        min: Some(min),
                        max,
                        ..term(&band_name(min, max))
                    })
                    .collect(),
            ),
        };
        let entries = terms
            .into_iter()
            .map(|term| {
                let mut keys: Vec<String> = std::iter::once(&term.value)
                    .chain(&term.code)
                    .chain(&term.aliases)
                    .map(|key| fold(key))
                    .collect();
                keys.dedup();
                Entry { term, keys }
            })
            .collect();
        Self {
            source,
            version,
            entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_loads_with_its_source() {
        for vocabulary in Vocabulary::ALL {
            assert!(!vocabulary.index().entries.is_empty(), "{vocabulary:?}");
            assert!(!vocabulary.source().is_empty());
            assert_eq!(Vocabulary::parse(vocabulary.as_str()), Some(vocabulary));
        }
        assert_eq!(Vocabulary::Countries.index().entries.len(), 249);
        assert_eq!(Vocabulary::Industries.version(), "2022");
        assert!(Vocabulary::Regions.index().entries.len() > 5_000);
    }

    #[test]
    fn names_codes_and_aliases_resolve_to_one_country() {
        for typed in [
            "Schweiz",
            "CH",
            "switzerland",
            " SWITZERLAND ",
            "Suisse",
            "CHE",
        ] {
            let found = Vocabulary::Countries
                .resolve(typed)
                .map(|t| t.value.as_str());
            assert_eq!(found, Some("Switzerland"), "{typed}");
        }
        let germany = Vocabulary::Countries.resolve("Deutschland").unwrap();
        assert_eq!(germany.value, "Germany");
        assert_eq!(
            Vocabulary::Countries.resolve("osterreich").unwrap().value,
            "Austria"
        );
        assert_eq!(
            Vocabulary::Countries.resolve("UK").unwrap().code.as_deref(),
            Some("GB")
        );
        assert_eq!(Vocabulary::Countries.resolve("Atlantis"), None);
        assert_eq!(
            Vocabulary::Seniorities.resolve("c-level").unwrap().value,
            "C-Suite"
        );
    }

    #[test]
    fn typing_the_start_of_a_name_offers_it_first() {
        let found = Vocabulary::Countries.search("schw", None, DEFAULT_TERMS);
        assert_eq!(found[0].term.value, "Switzerland");
        assert!(!found[0].exact);
        let exact = Vocabulary::Countries.search("schweiz", None, DEFAULT_TERMS);
        assert!(exact[0].exact && exact[0].term.value == "Switzerland");
        // A word inside a name is found too: "korea" finds North and South Korea.
        let korea = Vocabulary::Countries.search("korea", None, DEFAULT_TERMS);
        assert!(korea.iter().any(|f| f.term.code.as_deref() == Some("KR")));
        assert!(korea.iter().any(|f| f.term.code.as_deref() == Some("KP")));
        assert!(Vocabulary::Countries.search("zzzz", None, 5).is_empty());
        assert_eq!(Vocabulary::Countries.search("", None, 7).len(), 7);
    }

    #[test]
    fn regions_narrow_to_a_country() {
        let cantons = Vocabulary::Regions.search("", Some("CH"), MAX_TERMS);
        assert_eq!(cantons.len(), 26);
        assert!(cantons
            .iter()
            .all(|f| f.term.country.as_deref() == Some("CH")));
        let zurich = Vocabulary::Regions.search("zurich", Some("CH"), 5);
        assert_eq!(zurich[0].term.value, "Zürich");
    }

    #[test]
    fn bands_carry_their_bounds() {
        let bands = Vocabulary::EmployeeSizes.search("", None, MAX_TERMS);
        assert_eq!(bands.len(), BANDS.len());
        assert_eq!(bands[2].term.value, "51–200");
        assert_eq!(
            (bands[2].term.min, bands[2].term.max),
            (Some(51), Some(200))
        );
        assert_eq!(bands.last().unwrap().term.value, "10,001+");
        assert_eq!(bands.last().unwrap().term.max, None);
    }

    #[test]
    fn industries_are_naics_2022() {
        let publishing = Vocabulary::Industries.resolve("513").unwrap();
        assert_eq!(publishing.value, "Publishing Industries");
        let information = Vocabulary::Industries.search("information", None, 3);
        assert_eq!(information[0].term.code.as_deref(), Some("51"));
    }
}
