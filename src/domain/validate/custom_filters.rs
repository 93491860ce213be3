//! Custom filters, each checked by its `FilterKind`; limit filters appear at most once each.

use super::{pattern_syntax, Check, Limits, Path, Text};
use crate::domain::regex_cost;
use crate::domain::{
    CustomFilter, EntityType, FilterKind, Percent, ScrapingProvider, WebsiteProvider,
};
use serde_json::{Map, Value};
use std::collections::HashSet;

impl Check {
    pub(super) fn custom_filters(
        &mut self,
        value: &Value,
        path: &Path,
    ) -> Option<Vec<CustomFilter>> {
        let items = self.array(value, path, Limits::CUSTOM_FILTERS)?;
        let mut seen_limits = HashSet::new();
        let mut filters = Vec::with_capacity(items.len());
        let mut all_valid = true;
        for (index, item) in items.iter().enumerate() {
            let at = path.at(index);
            match self.custom_filter(item, &at) {
                Some(filter) => {
                    let kind = filter.kind();
                    if kind.is_limit() && !seen_limits.insert(kind) {
                        all_valid = false;
                        self.fail(
                            &at.key("type"),
                            format!("Only one {} filter is allowed", kind.tag()),
                        );
                    }
                    filters.push(filter);
                }
                None => all_valid = false,
            }
        }
        all_valid.then_some(filters)
    }

    fn custom_filter(&mut self, value: &Value, path: &Path) -> Option<CustomFilter> {
        let map = self.object(value, path)?;
        let tags = FilterKind::ALL.map(FilterKind::tag);
        let kind = self
            .required(map, "type", path)
            .and_then(|v| self.one_of(v, &path.key("type"), &tags))
            .map(|index| FilterKind::ALL[index])?;
        let prompt = Text::required(Limits::PROMPT);
        let field = |check: &mut Self, key: &str, rule: Text| {
            check
                .required(map, key, path)
                .and_then(|v| check.string(v, &path.key(key), rule))
        };
        match kind {
            FilterKind::Website => {
                self.strict_object(value, path, &["type", "provider", "prompt"]);
                let provider = self
                    .required(map, "provider", path)
                    .and_then(|v| self.one_of(v, &path.key("provider"), &["browserUse"]));
                let prompt = field(self, "prompt", prompt);
                provider?;
                Some(CustomFilter::Website {
                    provider: WebsiteProvider::BrowserUse,
                    prompt: prompt?,
                })
            }
            FilterKind::Webscraping => {
                self.strict_object(
                    value,
                    path,
                    &[
                        "type",
                        "provider",
                        "extractionPrompt",
                        "pageFindingPrompt",
                        "includeSearchStrings",
                        "excludeSearchStrings",
                    ],
                );
                let provider = self
                    .required(map, "provider", path)
                    .and_then(|v| self.one_of(v, &path.key("provider"), &["firecrawl"]));
                let extraction_prompt = field(self, "extractionPrompt", prompt);
                let page_finding_prompt =
                    self.optional(map, "pageFindingPrompt", path, |check, v, at| {
                        check.string(v, at, prompt)
                    });
                let include = self.optional_strings(map, "includeSearchStrings", path);
                let exclude = self.optional_strings(map, "excludeSearchStrings", path);
                provider?;
                Some(CustomFilter::Webscraping {
                    provider: ScrapingProvider::Firecrawl,
                    extraction_prompt: extraction_prompt?,
                    page_finding_prompt: page_finding_prompt?,
                    include_search_strings: include?,
                    exclude_search_strings: exclude?,
                })
            }
            FilterKind::Ai => {
                self.strict_object(value, path, &["type", "entityType", "prompt"]);
                let entity_type = self
                    .required(map, "entityType", path)
                    .and_then(|v| self.one_of(v, &path.key("entityType"), &["person", "company"]))
                    .map(|i| [EntityType::Person, EntityType::Company][i]);
                let prompt = field(self, "prompt", prompt);
                Some(CustomFilter::Ai {
                    entity_type: entity_type?,
                    prompt: prompt?,
                })
            }
            FilterKind::MaxPeoplePerCompany => self
                .limit_value(value, map, path, 1, Limits::MAX_PEOPLE_PER_COMPANY)
                .map(|v| CustomFilter::MaxPeoplePerCompany { value: v as u32 }),
            FilterKind::MinDaysUntilReuse => self
                .limit_value(value, map, path, 0, Limits::MAX_DAYS_UNTIL_REUSE)
                .map(|v| CustomFilter::MinDaysUntilReuse { value: v as u32 }),
            FilterKind::MaxPercentFromCrm => {
                self.strict_object(value, path, &["type", "value"]);
                self.required(map, "value", path)
                    .and_then(|v| self.number(v, &path.key("value"), 0, 100))
                    .map(|v| CustomFilter::MaxPercentFromCrm { value: Percent(v) })
            }
            FilterKind::MatchFieldWithRegex => {
                self.strict_object(value, path, &["type", "field", "regex"]);
                let field_path = self
                    .required(map, "field", path)
                    .and_then(|v| self.dot_path(v, &path.key("field")));
                let regex = field(self, "regex", Text::required(Limits::REGEX));
                let regex = regex.and_then(|pattern| {
                    // Measured before compiling: the engine's own cost is what must be bounded.
                    if let Some(refusal) = regex_cost::measure(&pattern).refusal() {
                        self.fail(&path.key("regex"), refusal);
                        return None;
                    }
                    self.compiles(&pattern, &path.key("regex"))
                        .then_some(pattern)
                });
                Some(CustomFilter::MatchFieldWithRegex {
                    field: field_path?,
                    regex: regex?,
                })
            }
        }
    }

    /// Whether `pattern` is a valid ECMAScript regular expression; reports why not at `path`.
    fn compiles(&mut self, pattern: &str, path: &Path) -> bool {
        match pattern_syntax::syntax_error(pattern) {
            None => true,
            Some(message) => {
                self.fail(path, message);
                false
            }
        }
    }

    /// The integer `value` of a limit filter (`{type, value}` and nothing else).
    fn limit_value(
        &mut self,
        value: &Value,
        map: &Map<String, Value>,
        path: &Path,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        self.strict_object(value, path, &["type", "value"]);
        self.required(map, "value", path)
            .and_then(|v| self.integer(v, &path.key("value"), min, max))
    }
}
