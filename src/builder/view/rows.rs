//! One row of each repeated section: a lead source, a custom filter (its fields chosen by its
//! kind), a CRM condition; each with a Remove button that also works without JavaScript.

use super::fields::{SelectField, TagInput, TextArea, TextField};
use super::summary::SectionErrorFor;
use super::use_builder;
use crate::builder::form::names::{self, condition, lead, FilterField};
use crate::builder::form::Section;
use crate::domain::condition::Operator;
use crate::domain::{FilterKind, Limits};
use leptos::ev::MouseEvent;
use leptos::prelude::*;

/// Where a row stands in its section: its key, its 1-based position, and how to remove it.
#[derive(Clone, Copy)]
pub(super) struct RowPlace {
    pub key: u32,
    pub position: Signal<usize>,
    pub on_remove: Callback<()>,
}

/// A row's head: its heading (`children`) and the button that removes it.
#[component]
fn RowHead(
    section: Section,
    place: RowPlace,
    // What the row is called, e.g. "lead source 2": it follows the row's position.
    row_name: Signal<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="row-head">
            <h3 id=section.heading_id(place.key)>{children()}</h3>
            <button
                type="submit"
                name=names::ACTION
                value=section.remove_action(place.key)
                class="button button-quiet"
                aria-label=move || format!("Remove {}", row_name.get())
                on:click=move |ev: MouseEvent| {
                    ev.prevent_default();
                    place.on_remove.run(());
                }
            >
                "Remove"
            </button>
        </div>
    }
}

/// A row headed "`noun` 2" (its Remove button names it "`noun` 2" in lowercase), `children`
/// below its head.
#[component]
fn NumberedRow(
    section: Section,
    place: RowPlace,
    noun: &'static str,
    children: Children,
) -> impl IntoView {
    let position = place.position;
    let row_name =
        Signal::derive(move || format!("{} {}", noun.to_ascii_lowercase(), position.get()));
    view! {
        <li class="row">
            <RowHead section place row_name>
                {move || format!("{noun} {}", position.get())}
            </RowHead>
            {children()}
        </li>
    }
}

#[component]
pub(super) fn LeadRow(place: RowPlace) -> impl IntoView {
    let field = move |name: &str| Section::Leads.field(place.key, name);
    let kinds = vec![("person", "People"), ("company", "Companies")];
    // A "Companies" search shows only company fields: style/main.css hides the empty person
    // fields of such a row (with or without JavaScript; a field holding values stays).
    let tags = lead::TAGS
        .iter()
        .map(|(name, label)| {
            view! { <TagInput name=field(name) label=*label vocabulary=lead::vocabulary_of(name) /> }
        })
        .collect_view();
    view! {
        <NumberedRow section=Section::Leads place noun="Lead source">
            <input
                type="hidden"
                name=field(lead::OTHER)
                value=use_builder().value(&field(lead::OTHER))
            />
            <SelectField name=field(lead::TYPE) label="Search for" options=kinds />
            <div class="field-grid">
                {tags}
                <TextField
                    name=field(lead::EMPLOYEE_MIN)
                    label="Employees, at least"
                    kind="number"
                    min="0"
                />
                <TextField
                    name=field(lead::EMPLOYEE_MAX)
                    label="Employees, at most"
                    kind="number"
                    min="0"
                />
            </div>
        </NumberedRow>
    }
}

/// How a field condition compares: a select without an error line (no error is ever about it),
/// as light as it can be: a form may hold a hundred of them.
#[component]
fn OperatorSelect(name: String) -> impl IntoView {
    let chosen = use_builder().value(&name);
    let options = Operator::ALL.map(|op| {
        view! {
            <option value=op.tag() selected=chosen == op.tag()>
                {op.label()}
            </option>
        }
    });
    view! {
        <div class="form-field">
            <label for=name.clone()>"Condition"</label>
            <select id=name.clone() name=name>
                {options}
            </select>
        </div>
    }
}

/// The whole number a count or share filter needs: at least `min`, at most `max` when it has one.
fn number_field(
    name: String,
    label: &'static str,
    min: &'static str,
    max: Option<&'static str>,
) -> AnyView {
    view! { <TextField name label kind="number" min required=true max_value=max /> }.into_any()
}

/// What an agent is asked: required, at most `Limits::PROMPT` characters.
#[component]
fn PromptArea(name: String, label: &'static str) -> impl IntoView {
    view! { <TextArea name label required=true max=Limits::PROMPT /> }
}

/// The fields of a filter row of `kind`.
fn filter_fields(kind: FilterKind, key: u32) -> AnyView {
    let field = move |f: FilterField| Section::Filters.field(key, f.name());
    match kind {
        FilterKind::Website => view! {
            <PromptArea
                name=field(FilterField::Prompt)
                label="What should the agent check on the website?"
            />
        }
        .into_any(),
        FilterKind::Webscraping => view! {
            <PromptArea name=field(FilterField::ExtractionPrompt) label="What to extract" />
            <TextField
                name=field(FilterField::PageFindingPrompt)
                label="How to find the page (optional)"
                max=Limits::PROMPT
            />
            <TagInput name=field(FilterField::IncludeSearchStrings) label="Pages must mention" />
            <TagInput
                name=field(FilterField::ExcludeSearchStrings)
                label="Pages must not mention"
            />
        }
        .into_any(),
        FilterKind::Ai => view! {
            <SelectField
                name=field(FilterField::EntityType)
                label="Judge the"
                options=vec![("person", "Person"), ("company", "Company")]
            />
            <PromptArea name=field(FilterField::Prompt) label="Question for the AI" />
        }
        .into_any(),
        FilterKind::MaxPeoplePerCompany => {
            let label = "At most this many people per company";
            number_field(field(FilterField::Value), label, "1", None)
        }
        FilterKind::MaxPercentFromCrm => {
            let label = "At most this % of leads from the CRM";
            number_field(field(FilterField::Value), label, "0", Some("100"))
        }
        FilterKind::MinDaysUntilReuse => {
            let label = "Days before a lead may be reused";
            number_field(field(FilterField::Value), label, "0", None)
        }
        FilterKind::MatchFieldWithRegex => view! {
            <div class="field-grid">
                <TextField
                    name=field(FilterField::Field)
                    label="Lead field"
                    list=names::LEAD_FIELDS_LIST
                    required=true
                    max=Limits::DOT_PATH
                />
                <OperatorSelect name=field(FilterField::Operator) />
                <TextField
                    name=field(FilterField::Regex)
                    label="Value"
                    required=true
                    max=Limits::REGEX
                />
            </div>
        }
        .into_any(),
    }
}

/// A filter row. `tag` is its posted `type`: a row of no known kind says so instead of fields.
#[component]
pub(super) fn FilterRow(place: RowPlace, tag: String) -> impl IntoView {
    let RowPlace { key, position, .. } = place;
    let kind = FilterKind::parse(&tag);
    let title = kind.map_or("Unknown filter", FilterKind::label);
    let fields = match kind {
        Some(kind) => filter_fields(kind, key),
        None => view! { <p class="field-error">"This filter type is not known."</p> }.into_any(),
    };
    // ASCII lowercasing: the labels are ASCII, and `to_lowercase` would bring Unicode's case
    // tables (~14 KB) into the WASM bundle.
    let row_name = Signal::derive(move || {
        format!("filter {} ({})", position.get(), title.to_ascii_lowercase())
    });
    let type_field = Section::Filters.field(key, FilterField::Type.name());
    view! {
        <li class="row">
            <RowHead section=Section::Filters place row_name>
                {title}
                <span class="row-number">" · filter " {move || position.get()}</span>
            </RowHead>
            <input type="hidden" name=type_field.clone() value=tag />
            <SectionErrorFor field=type_field />
            {fields}
        </li>
    }
}

#[component]
pub(super) fn ConditionRow(place: RowPlace) -> impl IntoView {
    let field = move |name: &str| Section::Conditions.field(place.key, name);
    let excluded = use_builder().value(&field(condition::EXCLUDE)) == "on";
    let modes = vec![
        ("equals", "equals"),
        ("in", "is one of"),
        ("startsWith", "starts with"),
    ];
    view! {
        <NumberedRow section=Section::Conditions place noun="Condition">
            <div class="field-grid">
                <TextField
                    name=field(condition::PATH)
                    label="Bullhorn field"
                    hint="Pick one, or type a dot path"
                    list=names::CRM_FIELDS_LIST
                    required=true
                    max=Limits::DOT_PATH
                />
                <SelectField name=field(condition::MODE) label="Match" options=modes />
                <TextField
                    name=field(condition::VALUE)
                    label="Value (comma-separated for “is one of”)"
                    max=Limits::CRM_VALUE
                />
            </div>
            <div class="toggle">
                <input
                    type="checkbox"
                    id=field(condition::EXCLUDE)
                    name=field(condition::EXCLUDE)
                    value="on"
                    checked=excluded
                />
                <label for=field(condition::EXCLUDE)>"Exclude contacts that match"</label>
            </div>
        </NumberedRow>
    }
}
