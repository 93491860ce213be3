//! The filters applied to leads after the provider search, and `FilterKind`, the closed set of
//! their `type` tags that validation, the builder and the pages match on.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A filter applied to leads after the provider search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum CustomFilter {
    /// An agent browses the company website and answers `prompt`.
    #[serde(rename = "website")]
    Website {
        provider: WebsiteProvider,
        prompt: String,
    },
    /// Pages of the website are scraped and `extractionPrompt` is asked of them.
    #[serde(rename = "webscraping", rename_all = "camelCase")]
    Webscraping {
        provider: ScrapingProvider,
        extraction_prompt: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page_finding_prompt: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        include_search_strings: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exclude_search_strings: Option<Vec<String>>,
    },
    /// A language model judges the person or company by `prompt`.
    #[serde(rename = "ai", rename_all = "camelCase")]
    Ai {
        entity_type: EntityType,
        prompt: String,
    },
    #[serde(rename = "maxPeoplePerCompany")]
    MaxPeoplePerCompany { value: u32 },
    #[serde(rename = "maxPercentFromCRM")]
    MaxPercentFromCrm { value: Percent },
    #[serde(rename = "minDaysUntilReuse")]
    MinDaysUntilReuse { value: u32 },
    /// Keeps leads whose `field` (a dot path) matches the ECMAScript `regex`.
    #[serde(rename = "matchFieldWithRegex")]
    MatchFieldWithRegex { field: String, regex: String },
}

impl CustomFilter {
    /// Which of the seven kinds this filter is.
    pub fn kind(&self) -> FilterKind {
        match self {
            CustomFilter::Website { .. } => FilterKind::Website,
            CustomFilter::Webscraping { .. } => FilterKind::Webscraping,
            CustomFilter::Ai { .. } => FilterKind::Ai,
            CustomFilter::MaxPeoplePerCompany { .. } => FilterKind::MaxPeoplePerCompany,
            CustomFilter::MaxPercentFromCrm { .. } => FilterKind::MaxPercentFromCrm,
            CustomFilter::MinDaysUntilReuse { .. } => FilterKind::MinDaysUntilReuse,
            CustomFilter::MatchFieldWithRegex { .. } => FilterKind::MatchFieldWithRegex,
        }
    }

    /// The JSON `type` tag.
    pub fn type_tag(&self) -> &'static str {
        self.kind().tag()
    }
}

/// The kinds of custom filter: a closed set, matched exhaustively wherever a kind decides
/// something, so a new kind is a compile error until every place handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKind {
    Website,
    Webscraping,
    Ai,
    MaxPeoplePerCompany,
    MaxPercentFromCrm,
    MinDaysUntilReuse,
    MatchFieldWithRegex,
}

impl FilterKind {
    /// Every kind, in the order the builder offers them.
    pub const ALL: [FilterKind; 7] = [
        FilterKind::Website,
        FilterKind::Webscraping,
        FilterKind::Ai,
        FilterKind::MaxPeoplePerCompany,
        FilterKind::MaxPercentFromCrm,
        FilterKind::MinDaysUntilReuse,
        FilterKind::MatchFieldWithRegex,
    ];

    /// The JSON `type` tag (also the builder's field value).
    pub fn tag(self) -> &'static str {
        match self {
            FilterKind::Website => "website",
            FilterKind::Webscraping => "webscraping",
            FilterKind::Ai => "ai",
            FilterKind::MaxPeoplePerCompany => "maxPeoplePerCompany",
            FilterKind::MaxPercentFromCrm => "maxPercentFromCRM",
            FilterKind::MinDaysUntilReuse => "minDaysUntilReuse",
            FilterKind::MatchFieldWithRegex => "matchFieldWithRegex",
        }
    }

    /// The kind whose tag is `tag`; `None` for anything else.
    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.tag() == tag)
    }

    /// What a sales person calls it (the builder and the detail page show this).
    pub fn label(self) -> &'static str {
        match self {
            FilterKind::Website => "Website check",
            FilterKind::Webscraping => "Web scraping",
            FilterKind::Ai => "AI judgement",
            FilterKind::MaxPeoplePerCompany => "Max people per company",
            FilterKind::MaxPercentFromCrm => "Max share from CRM",
            FilterKind::MinDaysUntilReuse => "Min days before reuse",
            FilterKind::MatchFieldWithRegex => "Field condition",
        }
    }

    /// Whether it is a limit (`{type, value}`), of which an ICP may have one of each kind.
    pub fn is_limit(self) -> bool {
        match self {
            FilterKind::MaxPeoplePerCompany
            | FilterKind::MaxPercentFromCrm
            | FilterKind::MinDaysUntilReuse => true,
            FilterKind::Website
            | FilterKind::Webscraping
            | FilterKind::Ai
            | FilterKind::MatchFieldWithRegex => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum WebsiteProvider {
    #[serde(rename = "browserUse")]
    BrowserUse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ScrapingProvider {
    #[serde(rename = "firecrawl")]
    Firecrawl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum EntityType {
    Person,
    Company,
}

impl EntityType {
    /// Its text in the ICP's JSON and the builder's form.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Person => "person",
            EntityType::Company => "company",
        }
    }
}

/// A percentage 0–100. Whole numbers are written without a fraction, as they were given.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(value_type = f64, example = 50))]
pub struct Percent(pub f64);

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Always within 0..=100 (validated), so the integer conversion is exact.
        if self.0.fract() == 0.0 {
            serializer.serialize_u64(self.0 as u64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Percent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_tags_and_nothing_else() {
        for kind in FilterKind::ALL {
            assert_eq!(FilterKind::parse(kind.tag()), Some(kind));
        }
        assert_eq!(FilterKind::parse("maxPercentFromCrm"), None);
        assert_eq!(FilterKind::parse(""), None);
    }

    /// The builder names a filter row with its label lowercased as ASCII (to keep Unicode's case
    /// tables out of the WASM bundle), which is the full lowercasing only for ASCII labels.
    #[test]
    fn labels_are_ascii() {
        for kind in FilterKind::ALL {
            assert!(kind.label().is_ascii(), "{}", kind.label());
            assert_eq!(
                kind.label().to_ascii_lowercase(),
                kind.label().to_lowercase()
            );
        }
    }

    /// `ALL` is written by hand; this match fails to compile when a kind is added, and the loop
    /// fails when `ALL` misses one or holds one twice.
    #[test]
    fn all_holds_every_kind_once_in_builder_order() {
        for kind in FilterKind::ALL {
            let position = match kind {
                FilterKind::Website => 0,
                FilterKind::Webscraping => 1,
                FilterKind::Ai => 2,
                FilterKind::MaxPeoplePerCompany => 3,
                FilterKind::MaxPercentFromCrm => 4,
                FilterKind::MinDaysUntilReuse => 5,
                FilterKind::MatchFieldWithRegex => 6,
            };
            assert_eq!(FilterKind::ALL[position], kind);
        }
    }

    #[test]
    fn entity_types_are_written_as_their_json_text() {
        for entity in [EntityType::Person, EntityType::Company] {
            assert_eq!(serde_json::to_value(entity).unwrap(), entity.as_str());
        }
    }

    #[test]
    fn whole_percentages_keep_their_integer_form() {
        assert_eq!(serde_json::to_string(&Percent(50.0)).unwrap(), "50");
        assert_eq!(serde_json::to_string(&Percent(12.5)).unwrap(), "12.5");
    }
}
