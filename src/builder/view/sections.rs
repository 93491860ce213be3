//! The form's sections: the basics, and the three repeated sections whose rows are added and
//! removed in place (or, without JavaScript, by posting the form back).

use super::fields::{TextArea, TextField};
use super::picker::{Teammate, TeammatePicker};
use super::rows::{ConditionRow, FilterRow, LeadRow, RowPlace};
use super::summary::SectionError;
use super::use_builder;
use crate::builder::form::names;
use crate::builder::form::Section;
use crate::domain::{FilterKind, Limits};
use leptos::ev::MouseEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// A row's 1-based position, following removals: `ForEnumerate` sets a row's index only when it
/// changes, so adding a row at the end touches no other row, and removing one renumbers only the
/// rows after it.
fn position(index: ReadSignal<usize>) -> Signal<usize> {
    Signal::derive(move || index.get() + 1)
}

/// Adds a row, a new key, to `rows` (and gives the key).
fn adder(rows: RwSignal<Vec<u32>>) -> impl Fn() -> Option<u32> + 'static {
    let builder = use_builder();
    move || {
        let key = builder.take_key();
        rows.update(|rows| rows.push(key));
        Some(key)
    }
}

/// Removes the row `key` from `rows` and re-checks the form.
fn remover<T: Send + Sync + 'static>(
    rows: RwSignal<Vec<T>>,
    key: u32,
    key_of: fn(&T) -> u32,
    refresh: Callback<()>,
) -> Callback<()> {
    Callback::new(move |()| {
        rows.update(|r| r.retain(|row| key_of(row) != key));
        refresh.run(());
    })
}

/// The rows of a repeated section, `row` of each (given where it stands; `key_of` names it),
/// after the section's error.
#[component]
fn RowList<T, R, V>(
    section: Section,
    rows: RwSignal<Vec<T>>,
    key_of: fn(&T) -> u32,
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: Fn(RowPlace, T) -> V + Send + Clone + 'static,
    V: IntoView + 'static,
{
    let refresh = use_builder().refresh;
    let placed = move |index: ReadSignal<usize>, item: T| {
        let key = key_of(&item);
        let on_remove = remover(rows, key, key_of, refresh);
        row(
            RowPlace {
                key,
                position: position(index),
                on_remove,
            },
            item,
        )
    };
    view! {
        <SectionError section=section />
        <ol class="rows">
            <ForEnumerate each=move || rows.get() key=key_of children=placed />
        </ol>
    }
}

/// A repeated section: a panel titled `title` (its heading's id `id` names it), with a hint
/// under the title.
#[component]
fn HintedPanel(
    id: &'static str,
    title: &'static str,
    hint: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            <p class="section-hint">{hint}</p>
            {children()}
        </section>
    }
}

/// Moves focus to the first control of `section`'s row `key`, so typing goes on where the row
/// was added (and the browser scrolls it into view).
fn focus_row(section: Section, key: u32) {
    let control = document()
        .get_element_by_id(&section.heading_id(key))
        .and_then(|heading| heading.closest("li").ok().flatten())
        .and_then(|row| {
            row.query_selector("input:not([type=hidden]), select, textarea")
                .ok()
                .flatten()
        });
    if let Some(control) = control.and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = control.focus();
    }
}

/// A submit button that, with JavaScript, adds a row of `section` in place instead (`on_add`
/// gives the new row's key); when focus was on the button (a keyboard, or a click in Chromium or
/// Firefox), it moves into the new row at the next frame, so typing goes on there. Focus left
/// elsewhere stays: a focus move scrolls the page to the row and has it laid out and painted at
/// once (`end2end/perf/builder-timing.ts`: its scripted clicks leave focus where it was). Rows
/// added within one frame (a held key) focus only the last.
#[component]
fn AddButton(
    action: &'static str,
    section: Section,
    on_add: impl Fn() -> Option<u32> + 'static,
    children: Children,
) -> impl IntoView {
    let refresh = use_builder().refresh;
    let pending = StoredValue::new(None::<u32>);
    let on_click = move |ev: MouseEvent| {
        ev.prevent_default();
        let added = on_add();
        refresh.run(());
        let on_button =
            document().active_element() == ev.current_target().and_then(|t| t.dyn_into().ok());
        let Some(key) = added.filter(|_| on_button) else {
            return;
        };
        if pending.try_update_value(|p| p.replace(key).is_none()) == Some(true) {
            request_animation_frame(move || {
                if let Some(key) = pending.try_update_value(Option::take).flatten() {
                    focus_row(section, key);
                }
            });
        }
    };
    view! {
        <button type="submit" name=names::ACTION value=action class="button" on:click=on_click>
            {children()}
        </button>
    }
}

#[component]
pub(super) fn Basics(creator: Teammate, teammates: Vec<Teammate>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="basics-heading">
            <h2 id="basics-heading">"Basics"</h2>
            <TextField
                name=names::NAME
                label="Name"
                required=true
                hint="Who this ICP targets, e.g. “DACH Tech Leaders”"
                max=Limits::NAME
            />
            <TextArea
                name=names::DESCRIPTION
                label="Description"
                hint="Optional context for your team"
                max=Limits::DESCRIPTION
            />
            <div class="field-row">
                <TextField
                    name=names::LEADS_PER_LIST
                    label="Leads per list"
                    kind="number"
                    hint="How many leads each list made for this ICP holds: 1 to 1,000"
                    min="1"
                    max_value=Some("1000")
                />
                <TextField
                    name=names::ACTIVE_UNTIL
                    label="Active until (UTC)"
                    kind="datetime-local"
                    hint="Leave empty to keep it active"
                />
            </div>
            <div class="form-field">
                <span class="label" id="creator-label">
                    "Shared with"
                </span>
                <ul class="tags" aria-labelledby="creator-label">
                    <li class="tag tag-fixed" title=creator.email data-user-id=creator.id.clone()>
                        {creator.name}
                        " (you)"
                    </li>
                </ul>
            </div>
            <TeammatePicker creator=creator.id teammates />
        </section>
    }
}

#[component]
pub(super) fn LeadSources(leads: RwSignal<Vec<u32>>) -> impl IntoView {
    let row = |place: RowPlace, _| view! { <LeadRow place /> };
    view! {
        <HintedPanel
            id="leads-heading"
            title="Lead sources"
            hint="Where leads come from. Add at least one to source new leads."
        >
            <RowList section=Section::Leads rows=leads key_of=u32::clone row />
            <AddButton action=names::ADD_LEAD section=Section::Leads on_add=adder(leads)>
                "Add lead source"
            </AddButton>
        </HintedPanel>
    }
}

#[component]
pub(super) fn CustomFilters(filters: RwSignal<Vec<(u32, String)>>) -> impl IntoView {
    let builder = use_builder();
    let kind_ref = NodeRef::<html::Select>::new();
    let add = move || {
        let tag = kind_ref.get_untracked().map(|select| select.value())?;
        let key = builder.take_key();
        filters.update(|rows| rows.push((key, tag)));
        Some(key)
    };
    let key_of: fn(&(u32, String)) -> u32 = |(key, _)| *key;
    let row = |place: RowPlace, (_, tag): (u32, String)| view! { <FilterRow place tag /> };
    let options = FilterKind::ALL
        .into_iter()
        .map(|kind| view! { <option value=kind.tag()>{kind.label()}</option> })
        .collect_view();
    view! {
        <HintedPanel
            id="filters-heading"
            title="Custom filters"
            hint="Checks applied to every lead found. A field condition compares text as typed (case matters); “matches pattern” takes a JavaScript regular expression."
        >
            <RowList section=Section::Filters rows=filters key_of row />
            <div class="add-filter">
                <label for="add-filter-kind">"Filter type"</label>
                <select id="add-filter-kind" name=names::FILTER_KIND node_ref=kind_ref>
                    {options}
                </select>
                <AddButton action=names::ADD_FILTER section=Section::Filters on_add=add>
                    "Add filter"
                </AddButton>
            </div>
        </HintedPanel>
    }
}

#[component]
pub(super) fn Crm(conditions: RwSignal<Vec<u32>>, enabled: bool) -> impl IntoView {
    let builder = use_builder();
    let has_query = !builder.value(names::CRM_QUERY).is_empty();
    let row = |place: RowPlace, _| view! { <ConditionRow place /> };
    view! {
        <section class="panel" aria-labelledby="crm-heading">
            <h2 id="crm-heading">"CRM"</h2>
            <div class="toggle">
                <input
                    type="checkbox"
                    id=names::CRM_ENABLED
                    name=names::CRM_ENABLED
                    value="on"
                    checked=enabled
                />
                // `names::CRM_ENABLED` as a literal: a computed `for` makes Leptos mark the text
                // (`<!>`), which the page did not have.
                <label for="crm.enabled">"Also source leads from Bullhorn"</label>
            </div>
            <div class="crm-fields">
                <TextField
                    name=names::CRM_TEXT_SEARCH
                    label="Text search"
                    hint="Occupation or title; wildcards and OR work, e.g. Head OR Leit*"
                    max=Limits::CRM_TEXT
                />
                // Open when it holds something: nothing stored is hidden.
                <details class="advanced" open=has_query>
                    <summary>"Advanced"</summary>
                    <TextField
                        name=names::CRM_QUERY
                        label="Legacy query"
                        hint="Optional; kept for older integrations"
                        max=Limits::CRM_TEXT
                    />
                </details>
                <RowList section=Section::Conditions rows=conditions key_of=u32::clone row />
                <AddButton
                    action=names::ADD_CONDITION
                    section=Section::Conditions
                    on_add=adder(conditions)
                >
                    "Add condition"
                </AddButton>
            </div>
        </section>
    }
}
