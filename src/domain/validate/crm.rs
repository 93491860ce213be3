//! CRM sourcing: its text searches and structured conditions.

use super::{member, Check, Limits, Path, Text};
use crate::domain::{CrmCondition, CrmFilters, CrmMode, CrmProvider, CrmValue};
use serde_json::Value;

impl Check {
    pub(super) fn crm_filters(&mut self, value: &Value, path: &Path) -> Option<CrmFilters> {
        let map =
            self.strict_object(value, path, &["provider", "textSearch", "query", "filters"])?;
        let provider = self
            .required(map, "provider", path)
            .and_then(|v| self.one_of(v, &path.key("provider"), &["bullhorn"]));
        let nullable_text = |check: &mut Self, key: &str| {
            check.optional(map, key, path, |check, v, at| {
                check.nullable_string(v, at, Text::any(Limits::CRM_TEXT))
            })
        };
        let text_search = nullable_text(self, "textSearch");
        let query = nullable_text(self, "query");
        let filters = self.optional(map, "filters", path, Self::crm_conditions);
        provider?;
        Some(CrmFilters {
            provider: CrmProvider::Bullhorn,
            text_search: text_search?,
            query: query?,
            filters: filters?,
        })
    }

    fn crm_conditions(&mut self, value: &Value, path: &Path) -> Option<Vec<CrmCondition>> {
        self.each(value, path, Limits::CRM_CONDITIONS, Self::crm_condition)
    }

    fn crm_condition(&mut self, value: &Value, path: &Path) -> Option<CrmCondition> {
        let map = self.strict_object(value, path, &["path", "mode", "value", "exclude"])?;
        let field_path = self
            .required(map, "path", path)
            .and_then(|v| self.dot_path(v, &path.key("path")));
        let mode = self
            .required(map, "mode", path)
            .and_then(|v| self.one_of(v, &path.key("mode"), &["equals", "in", "startsWith"]))
            .map(|i| [CrmMode::Equals, CrmMode::In, CrmMode::StartsWith][i]);
        let exclude = match member(map, "exclude") {
            None => Some(false),
            Some(Value::Bool(flag)) => Some(*flag),
            Some(other) => {
                self.expected(&path.key("exclude"), "boolean", other);
                None
            }
        };
        let value_path = path.key("value");
        let crm_value = match (mode, self.required(map, "value", path)) {
            (Some(CrmMode::In), Some(v)) => self.crm_list(v, &value_path),
            (Some(_), Some(Value::Array(_))) => {
                self.fail(
                    &value_path,
                    "Expected a string: equals and startsWith match one value (use mode 'in' for a list)",
                );
                None
            }
            (Some(_), Some(v)) => self
                .string(v, &value_path, Text::any(Limits::CRM_VALUE))
                .map(CrmValue::One),
            _ => None,
        };
        Some(CrmCondition {
            path: field_path?,
            mode: mode?,
            value: crm_value?,
            exclude: exclude?,
        })
    }

    fn crm_list(&mut self, value: &Value, path: &Path) -> Option<CrmValue> {
        let what = "array (mode 'in' matches a list of values)";
        let items = self.expect(value, path, what, Value::as_array)?;
        if items.is_empty() {
            self.fail(path, "Must have at least 1 item");
            return None;
        }
        let values = self.each(value, path, Limits::TAGS, |check, item, at| {
            check.string(item, at, Text::any(Limits::CRM_VALUE))
        });
        values.map(CrmValue::Many)
    }
}
