//! Lead-provider searches: the base provider's known filters checked, its other keys kept.

use super::{member, Check, Limits, Path};
use crate::domain::{
    CompanyFilter, EmployeeSize, LeadFilters, LeadKind, LeadProvider, LeadSource, LocationFilter,
};
use serde_json::Value;

impl Check {
    pub(super) fn lead_sources(&mut self, value: &Value, path: &Path) -> Option<Vec<LeadSource>> {
        self.each(value, path, Limits::LEAD_SOURCES, Self::lead_source)
    }

    fn lead_source(&mut self, value: &Value, path: &Path) -> Option<LeadSource> {
        let map = self.strict_object(value, path, &["provider", "type", "filters"])?;
        let provider = self
            .required(map, "provider", path)
            .and_then(|v| self.one_of(v, &path.key("provider"), &["baseProvider"]))
            .map(|_| LeadProvider::BaseProvider);
        let kind = match member(map, "type") {
            None => Some(LeadKind::Person),
            Some(v) => self
                .one_of(v, &path.key("type"), &["person", "company"])
                .map(|i| [LeadKind::Person, LeadKind::Company][i]),
        };
        let filters = self
            .required(map, "filters", path)
            .and_then(|v| self.lead_filters(v, &path.key("filters")));
        Some(LeadSource {
            provider: provider?,
            kind: kind?,
            filters: filters?,
        })
    }

    fn lead_filters(&mut self, value: &Value, path: &Path) -> Option<LeadFilters> {
        let map = self.object(value, path)?;
        let mut filters = LeadFilters::default();
        let mut all_valid = true;
        for (key, v) in map {
            let at = path.key(key);
            let ok = match key.as_str() {
                "job_title" => self.strings(v, &at).map(|s| filters.job_title = Some(s)),
                "skills" => self.strings(v, &at).map(|s| filters.skills = Some(s)),
                "seniority" => self.strings(v, &at).map(|s| filters.seniority = Some(s)),
                "location" => self.location(v, &at).map(|l| filters.location = Some(l)),
                "company" => self.company(v, &at).map(|c| filters.company = Some(c)),
                _ => {
                    filters.other.push(key, v);
                    Some(())
                }
            };
            all_valid &= ok.is_some();
        }
        all_valid.then_some(filters)
    }

    fn location(&mut self, value: &Value, path: &Path) -> Option<LocationFilter> {
        const KEYS: [&str; 3] = ["country", "state", "city"];
        let map = self.strict_object(value, path, &KEYS)?;
        // Each is read (and its problems noted) before any `?`: a body gets all its problems.
        let [country, state, city] = KEYS.map(|key| self.optional_strings(map, key, path));
        Some(LocationFilter {
            country: country?,
            state: state?,
            city: city?,
        })
    }

    fn company(&mut self, value: &Value, path: &Path) -> Option<CompanyFilter> {
        let map = self.strict_object(value, path, &["employee_size", "industry", "keywords"])?;
        let employee_size = self.optional(map, "employee_size", path, Self::employee_size);
        let industry = self.optional_strings(map, "industry", path);
        let keywords = self.optional_strings(map, "keywords", path);
        Some(CompanyFilter {
            employee_size: employee_size?,
            industry: industry?,
            keywords: keywords?,
        })
    }

    fn employee_size(&mut self, value: &Value, path: &Path) -> Option<EmployeeSize> {
        let map = self.strict_object(value, path, &["min", "max"])?;
        let bound = |check: &mut Self, key: &str| {
            check.optional(map, key, path, |check, v, at| {
                check
                    .integer(v, at, 0, Limits::MAX_EMPLOYEES)
                    .map(|n| n as u32)
            })
        };
        let min = bound(self, "min");
        let max = bound(self, "max");
        let (min, max) = (min?, max?);
        if let (Some(low), Some(high)) = (min, max) {
            if low > high {
                self.fail(&path.key("min"), "Must not be greater than max");
                return None;
            }
        }
        Some(EmployeeSize { min, max })
    }
}
