//! The validator's errors in the form's terms: the field each belongs to (found by row key), the
//! section it is shown under, and where it is in words.

use super::names::{self, lead, FilterField, Section};
use super::rows::Rows;
use crate::domain::{FieldError, PathSegment};
use serde::{Deserialize, Serialize};

/// An error as the form shows it: at its field (when it has one), under its section (when it
/// belongs to one), and in the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormError {
    pub field: Option<String>,
    /// The repeated section it belongs to; one without a field is shown under that section.
    pub section: Option<Section>,
    /// Where it is, in words: "Custom filter 2 › regex".
    pub place: String,
    pub message: String,
}

impl FormError {
    /// Read by hand (see `domain::read_json`).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use crate::domain::read_json::{field, optional, string, string_at};
        Some(Self {
            field: optional(field(value, "field"), string)?,
            section: optional(field(value, "section"), |v| {
                Section::from_prefix(v.as_str()?)
            })?,
            place: string_at(value, "place")?,
            message: string_at(value, "message")?,
        })
    }
}

/// Maps API errors to form errors.
pub fn form_errors(errors: &[FieldError], rows: &Rows) -> Vec<FormError> {
    errors
        .iter()
        .map(|error| FormError {
            field: field_for_path(&error.path, rows),
            section: section_of(&error.path),
            place: place(&error.path),
            message: error.message.clone(),
        })
        .collect()
}

fn section_of(path: &[PathSegment]) -> Option<Section> {
    match path.first() {
        Some(PathSegment::Key(top)) => Section::from_json_key(top),
        _ => None,
    }
}

/// The form field an error at `path` belongs to, given the rows the body was built from; `None`
/// when it belongs to no single field (it is then shown in the summary and at its section).
pub fn field_for_path(path: &[PathSegment], rows: &Rows) -> Option<String> {
    use PathSegment::{Index, Key};
    let [Key(top), rest @ ..] = path else {
        return None;
    };
    let top = top.as_str();
    if [
        names::NAME,
        names::DESCRIPTION,
        names::LEADS_PER_LIST,
        names::ACTIVE_UNTIL,
    ]
    .contains(&top)
    {
        return Some(top.to_owned());
    }
    if top == names::USER_IDS {
        return Some(names::new_tag(names::USER_IDS));
    }
    match (Section::from_json_key(top)?, rest) {
        (Section::Leads, [Index(i), rest @ ..]) => {
            let row = *rows.leads.get(*i)?;
            lead_field(rest).map(|name| Section::Leads.field(row, &name))
        }
        (Section::Filters, [Index(i), Key(name), ..]) => {
            let (row, _) = rows.filters.get(*i)?;
            let is_tags = FilterField::parse(name).is_some_and(|f| f.tag_label().is_some());
            let field = Section::Filters.field(*row, name);
            Some(if is_tags {
                names::new_tag(&field)
            } else {
                field
            })
        }
        (Section::Conditions, [Key(name)]) if name == "textSearch" => {
            Some(names::CRM_TEXT_SEARCH.to_owned())
        }
        (Section::Conditions, [Key(name)]) if name == "query" => Some(names::CRM_QUERY.to_owned()),
        (Section::Conditions, [Key(f), Index(i), Key(name), ..]) if f == "filters" => {
            let row = *rows.crm.get(*i)?;
            Some(Section::Conditions.field(row, name))
        }
        _ => None,
    }
}

/// The field of a lead row that the rest of an error's path (after the row index) points at.
fn lead_field(rest: &[PathSegment]) -> Option<String> {
    use PathSegment::Key;
    let is_tags = |name: &str| lead::tag_label(name).is_some();
    match rest {
        [Key(k), ..] if k == "type" => Some(lead::TYPE.to_owned()),
        [Key(f), Key(company), Key(sub), bound @ ..]
            if f == "filters" && company == "company" && sub == "employee_size" =>
        {
            let max = matches!(bound.first(), Some(Key(b)) if b == "max");
            Some(
                if max {
                    lead::EMPLOYEE_MAX
                } else {
                    lead::EMPLOYEE_MIN
                }
                .to_owned(),
            )
        }
        [Key(f), Key(_), Key(sub), ..] if f == "filters" && is_tags(sub) => {
            Some(names::new_tag(sub))
        }
        [Key(f), Key(sub), ..] if f == "filters" && is_tags(sub) => Some(names::new_tag(sub)),
        _ => None,
    }
}

/// Where the error at `path` is, in the form's words: "Custom filter 2 › regex".
pub(super) fn place(path: &[PathSegment]) -> String {
    let section = |name: &str| match name {
        "leadProviderCriteria" => "Lead source",
        "customFilterCriteria" => "Custom filter",
        "crmFilters" => "CRM",
        "userIds" => "Shared with",
        "leadsPerList" => "Leads per list",
        "activeUntil" => "Active until",
        "name" => "Name",
        "description" => "Description",
        _ => "",
    };
    let mut words: Vec<String> = Vec::new();
    for segment in path {
        match segment {
            PathSegment::Key(k) if words.is_empty() && !section(k).is_empty() => {
                words.push(section(k).into())
            }
            PathSegment::Key(k)
                if k == "filters" && words.len() == 2 && words[0] == "Lead source" => {}
            PathSegment::Key(k) if k == "filters" && words.first().is_some_and(|w| w == "CRM") => {
                words.push("condition".into())
            }
            PathSegment::Key(k) => words.push(k.replace('_', " ")),
            PathSegment::Index(i) => match words.last_mut() {
                Some(last) => last.push_str(&format!(" {}", i + 1)),
                None => words.push((i + 1).to_string()),
            },
        }
    }
    if words.is_empty() {
        "Form".into()
    } else {
        words.join(" › ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn errors_find_their_fields_by_row_key() {
        let rows = Rows {
            leads: vec![3, 8],
            filters: vec![(5, "ai".into()), (11, "website".into())],
            crm: vec![2],
        };
        let at = |path: Value| {
            let path: Vec<PathSegment> = serde_json::from_value(path).unwrap();
            field_for_path(&path, &rows)
        };
        assert_eq!(at(json!(["name"])).as_deref(), Some("name"));
        assert_eq!(
            at(json!(["customFilterCriteria", 1, "prompt"])).as_deref(),
            Some("filter.11.prompt")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                1,
                "filters",
                "job_title",
                0
            ]))
            .as_deref(),
            Some("lead.8.job_title.new")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                0,
                "filters",
                "location",
                "city",
                2
            ]))
            .as_deref(),
            Some("lead.3.city.new")
        );
        assert_eq!(
            at(json!([
                "leadProviderCriteria",
                0,
                "filters",
                "company",
                "employee_size",
                "min"
            ]))
            .as_deref(),
            Some("lead.3.employee_min")
        );
        assert_eq!(
            at(json!(["crmFilters", "filters", 0, "value", 1])).as_deref(),
            Some("crm.2.value")
        );
        assert_eq!(at(json!(["userIds", 0])).as_deref(), Some("userIds.new"));
        assert_eq!(at(json!(["customFilterCriteria", 7, "prompt"])), None);
        assert_eq!(
            place(
                &serde_json::from_value::<Vec<PathSegment>>(json!([
                    "customFilterCriteria",
                    1,
                    "prompt"
                ]))
                .unwrap()
            ),
            "Custom filter 2 › prompt"
        );
    }

    #[test]
    fn errors_without_a_field_carry_their_section() {
        let path: Vec<PathSegment> =
            serde_json::from_value(json!(["customFilterCriteria"])).unwrap();
        let errors = form_errors(&[FieldError::new(path, "Too many")], &Rows::default());
        assert_eq!(errors[0].field, None);
        assert_eq!(errors[0].section, Some(Section::Filters));
    }
}
