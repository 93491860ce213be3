//! The body as a whole: its top-level keys, the expiry and who shares the ICP.

use super::{member, Check, Limits, Path, Text, TOP_LEVEL};
use crate::domain::{IcpDraft, Timestamp, UserId, DEFAULT_LEADS_PER_LIST};
use serde_json::Value;

impl Check {
    pub(super) fn draft(&mut self, body: &Value, root: &Path) -> Option<IcpDraft> {
        let map = self.strict_object(body, root, TOP_LEVEL)?;

        let name = self.required(map, "name", root).and_then(|v| {
            self.string(
                v,
                &root.key("name"),
                Text {
                    trim: true,
                    ..Text::required(Limits::NAME)
                },
            )
        });
        // Absent and null alike: no description.
        let description = self
            .optional(map, "description", root, |check, v, at| {
                check.nullable_string(v, at, Text::any(Limits::DESCRIPTION))
            })
            .map(Option::flatten);
        let lead_sources = self
            .required(map, "leadProviderCriteria", root)
            .and_then(|v| self.lead_sources(v, &root.key("leadProviderCriteria")));
        let custom_filters = self
            .required(map, "customFilterCriteria", root)
            .and_then(|v| self.custom_filters(v, &root.key("customFilterCriteria")));
        let crm_filters = match member(map, "crmFilters") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.crm_filters(v, &root.key("crmFilters")).map(Some),
        };
        let user_ids = self
            .required(map, "userIds", root)
            .and_then(|v| self.user_ids(v, &root.key("userIds")));
        let (min, max) = Limits::LEADS_PER_LIST;
        let leads_per_list = match member(map, "leadsPerList") {
            None => Some(DEFAULT_LEADS_PER_LIST),
            Some(v) => self
                .integer(v, &root.key("leadsPerList"), min, max)
                .and_then(|n| u16::try_from(n).ok()),
        };
        let active_until = match member(map, "activeUntil") {
            None | Some(Value::Null) => Some(None),
            Some(v) => self.timestamp(v, &root.key("activeUntil")).map(Some),
        };

        Some(IcpDraft {
            name: name?,
            description: description?,
            lead_provider_criteria: lead_sources?,
            custom_filter_criteria: custom_filters?,
            crm_filters: crm_filters?,
            user_ids: user_ids?,
            leads_per_list: leads_per_list?,
            active_until: active_until?,
        })
    }

    fn timestamp(&mut self, value: &Value, path: &Path) -> Option<Timestamp> {
        let what = "an RFC 3339 timestamp string or null";
        let raw = self.expect(value, path, what, Value::as_str)?;
        Timestamp::parse(raw)
            .map_err(|message| self.fail(path, message))
            .ok()
    }

    /// User ids in the given order, each once.
    fn user_ids(&mut self, value: &Value, path: &Path) -> Option<Vec<UserId>> {
        let items = self.array(value, path, Limits::USER_IDS)?;
        let mut ids: Vec<UserId> = Vec::with_capacity(items.len());
        let mut all_valid = true;
        for (index, item) in items.iter().enumerate() {
            let item_path = path.at(index);
            let Some(raw) = self.string(item, &item_path, Text::required(UserId::MAX_LEN + 1))
            else {
                all_valid = false;
                continue;
            };
            match UserId::parse(&raw) {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => {
                    all_valid = false;
                    self.fail(
                        &item_path,
                        format!(
                            "Invalid user id '{raw}'; expected user_ followed by letters and digits (at most {} characters)",
                            UserId::MAX_LEN
                        ),
                    );
                }
            }
        }
        all_valid.then_some(ids)
    }
}
