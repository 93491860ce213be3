//! The form's repeated rows: which are present in a post, the keys new ones get, and the row
//! buttons of a plain (no-JavaScript) post.

use super::errors::FormError;
use super::names::{self, condition, lead, Section};
use super::Pairs;
use crate::domain::FilterKind;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The row keys of each repeated section, in document order. A filter row keeps the `type` it was
/// posted with, even one that is no `FilterKind` (the validator then reports it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub leads: Vec<u32>,
    pub filters: Vec<(u32, String)>,
    pub crm: Vec<u32>,
}

impl Rows {
    /// Reads the rows present in `pairs` (a row exists when any of its fields does). One pass, with
    /// a set of the keys seen, so a post's cost grows with its size, not its square.
    pub fn of(pairs: &Pairs) -> Self {
        let mut rows = Rows::default();
        let mut seen: [HashSet<u32>; 3] = Default::default();
        for (name, value) in pairs {
            let Some((section, key, field)) = names::row_field(name) else {
                continue;
            };
            let seen = &mut seen[section as usize];
            match section {
                Section::Leads if seen.insert(key) => rows.leads.push(key),
                // Only its `type` makes a filter row (it says which kind the row is).
                Section::Filters
                    if field == names::FilterField::Type.name() && seen.insert(key) =>
                {
                    rows.filters.push((key, value.clone()))
                }
                Section::Conditions if seen.insert(key) => rows.crm.push(key),
                Section::Leads | Section::Filters | Section::Conditions => {}
            }
        }
        rows
    }

    /// The row keys of `section`, in document order.
    pub fn keys(&self, section: Section) -> Vec<u32> {
        match section {
            Section::Leads => self.leads.clone(),
            Section::Filters => self.filters.iter().map(|(k, _)| *k).collect(),
            Section::Conditions => self.crm.clone(),
        }
    }

    pub fn count(&self, section: Section) -> usize {
        match section {
            Section::Leads => self.leads.len(),
            Section::Filters => self.filters.len(),
            Section::Conditions => self.crm.len(),
        }
    }

    /// A key no row uses yet: one past the largest, so a removed row's key is not reused (or, after
    /// a key of `u32::MAX`, the smallest free one).
    pub fn next_key(&self) -> u32 {
        let used: HashSet<u32> = self
            .leads
            .iter()
            .chain(self.filters.iter().map(|(k, _)| k))
            .chain(self.crm.iter())
            .copied()
            .collect();
        match used.iter().max() {
            None => 1,
            Some(max) => max
                .checked_add(1)
                .or_else(|| (1..u32::MAX).find(|k| !used.contains(k)))
                .unwrap_or(0),
        }
    }
}

/// `pairs` with each row's key replaced by a fresh one from `next` (the same for all fields of a
/// row), so its rows can be drawn beside, or instead of, rows the page already has.
pub fn rekeyed(pairs: Pairs, mut next: impl FnMut() -> u32) -> Pairs {
    let mut fresh: HashMap<(Section, u32), u32> = HashMap::new();
    pairs
        .into_iter()
        .map(|(name, value)| match names::row_field(&name) {
            Some((section, key, field)) => {
                let key = *fresh.entry((section, key)).or_insert_with(&mut next);
                (section.field(key, field), value)
            }
            None => (name, value),
        })
        .collect()
}

/// A form change requested by a plain (no-JavaScript) post: `_action` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum RowAction {
    AddLead,
    AddFilter(FilterKind),
    AddCondition,
    /// `section` is a section's field prefix (`lead`, `filter`, `crm`); `parse` accepts no other.
    Remove {
        section: String,
        key: u32,
    },
}

impl RowAction {
    pub fn parse(action: &str, filter_kind: Option<&str>) -> Option<Self> {
        match action {
            names::ADD_LEAD => Some(RowAction::AddLead),
            names::ADD_CONDITION => Some(RowAction::AddCondition),
            names::ADD_FILTER => filter_kind
                .and_then(FilterKind::parse)
                .map(RowAction::AddFilter),
            other => {
                let (section, key) = other.strip_prefix(names::REMOVE)?.split_once('.')?;
                let section = Section::from_prefix(section)?;
                Some(RowAction::Remove {
                    section: section.prefix().to_owned(),
                    key: key.parse().ok()?,
                })
            }
        }
    }

    /// Applies the change to the submitted fields; every other value is kept. An "Add" past the
    /// section's limit changes nothing and comes back with the error to show.
    pub fn apply(&self, mut pairs: Pairs) -> (Pairs, Option<FormError>) {
        let rows = Rows::of(&pairs);
        let full = |section: Section| {
            let (place, noun) = section.words();
            let limit = section.limit();
            (rows.count(section) >= limit).then(|| FormError {
                field: None,
                section: Some(section),
                place: place.to_owned(),
                message: format!(
                    "At most {limit} {noun} are allowed; remove one before adding another."
                ),
            })
        };
        let refused = match self {
            RowAction::AddLead => full(Section::Leads),
            RowAction::AddFilter(_) => full(Section::Filters),
            RowAction::AddCondition => full(Section::Conditions),
            RowAction::Remove { .. } => None,
        };
        if refused.is_some() {
            return (pairs, refused);
        }
        let key = rows.next_key();
        match self {
            RowAction::AddLead => {
                pairs.push((Section::Leads.field(key, lead::TYPE), "person".into()))
            }
            RowAction::AddFilter(kind) => pairs.push((
                Section::Filters.field(key, names::FilterField::Type.name()),
                kind.tag().into(),
            )),
            RowAction::AddCondition => {
                pairs.push((names::CRM_ENABLED.into(), "on".into()));
                pairs.push((
                    Section::Conditions.field(key, condition::MODE),
                    "equals".into(),
                ));
            }
            RowAction::Remove { section, key } => {
                let prefix = format!("{section}.{key}.");
                pairs.retain(|(name, _)| !name.starts_with(&prefix));
            }
        }
        (pairs, None)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::builder::form::pairs;

    #[test]
    fn rekeying_gives_each_row_one_fresh_key_and_keeps_the_rest() {
        let form = pairs(&[
            ("name", "DACH"),
            ("lead.3.country", "Germany"),
            ("filter.3.type", "website"),
            ("lead.3.job_title", "CTO"),
            ("lead.7.country", "Austria"),
            ("crm.3.path", "status"),
        ]);
        let mut next = 40..;
        let again = rekeyed(form, || next.next().unwrap());
        let names: Vec<&str> = again.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "name",
                "lead.40.country",
                "filter.41.type",
                "lead.40.job_title",
                "lead.42.country",
                "crm.43.path"
            ]
        );
        assert_eq!(again[3].1, "CTO");
    }

    #[test]
    fn plain_posts_add_and_remove_rows_keeping_values() {
        let form = pairs(&[
            ("name", "Kept"),
            ("lead.1.type", "person"),
            ("lead.1.job_title.new", "CTO"),
        ]);
        let (added, refused) = RowAction::parse("add-filter", Some("ai"))
            .unwrap()
            .apply(form.clone());
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&added).filters, vec![(2, "ai".to_owned())]);
        assert!(added.contains(&("name".into(), "Kept".into())));
        let (removed, _) = RowAction::parse("remove:lead.1", None)
            .unwrap()
            .apply(added);
        assert!(Rows::of(&removed).leads.is_empty());
        assert_eq!(removed.len(), 2);
        assert_eq!(RowAction::parse("add-filter", Some("bogus")), None);
        assert_eq!(RowAction::parse("remove:name.1", None), None);
    }

    pub(crate) fn leads(count: u32) -> Pairs {
        let mut form: Pairs = vec![("name".into(), "Many".into())];
        for key in 1..=count {
            form.push((format!("lead.{key}.type"), "company".into()));
            form.push((format!("lead.{key}.job_title.new"), format!("Title {key}")));
        }
        form
    }

    #[test]
    fn add_buttons_stop_at_the_api_limits() {
        let (form, refused) = RowAction::AddLead.apply(leads(50));
        assert_eq!(form, leads(50), "nothing added, every value kept");
        let refused = refused.expect("refused");
        assert_eq!(refused.place, "Lead sources");
        assert!(refused.message.starts_with("At most 50 lead sources"));

        let mut conditions: Pairs = vec![("crm.enabled".into(), "on".into())];
        for key in 1..=50 {
            conditions.push((format!("crm.{key}.mode"), "equals".into()));
        }
        let (_, refused) = RowAction::AddCondition.apply(conditions);
        assert_eq!(refused.expect("refused").place, "CRM conditions");

        let (form, refused) = RowAction::AddLead.apply(leads(49));
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&form).leads.len(), 50);
    }

    #[test]
    fn the_largest_row_key_does_not_overflow() {
        let form: Pairs = vec![(format!("lead.{}.type", u32::MAX), "person".into())];
        let (form, refused) = RowAction::AddLead.apply(form);
        assert_eq!(refused, None);
        assert_eq!(Rows::of(&form).leads, vec![u32::MAX, 1]);
    }

    #[test]
    fn new_keys_never_reuse_old_ones() {
        let rows = Rows::of(&vec![
            ("lead.4.type".to_owned(), "person".to_owned()),
            ("filter.9.type".to_owned(), "ai".to_owned()),
            ("crm.2.mode".to_owned(), "in".to_owned()),
        ]);
        assert_eq!(rows.leads, vec![4]);
        assert_eq!(rows.filters, vec![(9, "ai".to_owned())]);
        assert_eq!(rows.next_key(), 10);
    }
}
