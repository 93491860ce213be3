//! The builder form. Rendered on the server with every value; once hydrated, rows are added and
//! removed in place, fields are checked as they are left (with the domain validator compiled to
//! WASM), and the API body is previewed live. Without JavaScript it is a plain form: its buttons post
//! it back to the server, which adds/removes rows or saves.

use super::form::{
    filter_label, form_errors, form_to_json, FormError, Pairs, Rows, LEAD_TAGS, NEW_TAG,
};
use super::save::save_icp;
use crate::domain::{validate_draft, CustomFilter, Limits};
use crate::page_error::PageError;
use leptos::ev::{FocusEvent, KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// What the builder starts from: the fields' values, any errors to show, and who is building.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuilderInit {
    pub pairs: Pairs,
    pub errors: Vec<FormError>,
    /// The signed-in user, always among the ICP's users.
    pub creator: String,
    /// The ICP being edited; `None` for a new one.
    pub editing: Option<String>,
}

/// Shared by every field of one builder.
#[derive(Clone, Copy)]
struct Builder {
    /// The starting value of each field (the first, when a name was posted twice), indexed once:
    /// rendering a form costs the same per field however many fields were posted.
    initial: StoredValue<HashMap<String, String>>,
    errors: RwSignal<Vec<FormError>>,
    refresh: Callback<()>,
}

impl Builder {
    fn value(&self, name: &str) -> String {
        self.initial
            .with_value(|values| values.get(name).cloned())
            .unwrap_or_default()
    }

    fn tags(&self, name: &str) -> Vec<String> {
        self.value(name)
            .split('\n')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn error(&self, field: &str) -> Signal<Option<String>> {
        let errors = self.errors;
        let field = field.to_owned();
        Signal::derive(move || {
            errors.with(|all| {
                all.iter()
                    .find(|e| e.field.as_deref() == Some(field.as_str()))
                    .map(|e| e.message.clone())
            })
        })
    }
}

fn first_values(pairs: &Pairs) -> HashMap<String, String> {
    let mut values = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        values.entry(name.clone()).or_insert_with(|| value.clone());
    }
    values
}

fn use_builder() -> Builder {
    expect_context::<Builder>()
}

/// Reads a form's fields as the browser would submit them.
fn read_form(form: &web_sys::HtmlFormElement) -> Pairs {
    let mut pairs = Vec::new();
    let Ok(data) = web_sys::FormData::new_with_form(form) else {
        return pairs;
    };
    if let Ok(Some(entries)) = js_sys::try_iter(&data) {
        for entry in entries.flatten() {
            let entry = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (entry.get(0).as_string(), entry.get(1).as_string())
            {
                pairs.push((name, value));
            }
        }
    }
    pairs
}

fn pretty(body: &serde_json::Value) -> String {
    serde_json::to_string_pretty(body).unwrap_or_default()
}

/// The curl command that sends `body` to the API.
pub fn curl_command(origin: &str, body: &str) -> String {
    format!(
        "curl -X POST '{origin}/api/v1/entities/icps' \\\n  -H \"Authorization: Bearer $ICP_TOKEN\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        body.replace('\'', "'\\''")
    )
}

#[component]
pub fn IcpBuilder(init: BuilderInit) -> impl IntoView {
    let saving = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let rows = Rows::of(&init.pairs);
    let next_key = StoredValue::new(rows.next_key());
    let leads = RwSignal::new(rows.leads.clone());
    let filters = RwSignal::new(rows.filters.clone());
    let conditions = RwSignal::new(rows.crm.clone());
    let errors = RwSignal::new(init.errors.clone());
    let preview = RwSignal::new(form_to_json(&init.pairs));
    let touched = RwSignal::new(HashSet::<String>::new());
    let submitted = RwSignal::new(!init.errors.is_empty());
    let form_ref = NodeRef::<html::Form>::new();
    let summary_ref = NodeRef::<html::Div>::new();
    let editing = init.editing.clone();

    let current = move || {
        form_ref
            .try_get_untracked()
            .flatten()
            .map(|form| read_form(&form))
    };

    // Re-checks the whole form; shows errors of fields the user has left (all of them after a submit).
    let check = move || {
        // A check scheduled just before the builder went away (saving navigates) has nothing to do.
        if errors.is_disposed() {
            return;
        }
        let Some(pairs) = current() else { return };
        let body = form_to_json(&pairs);
        preview.try_set(body.clone());
        let found = match validate_draft(&body) {
            Ok(_) => Vec::new(),
            Err(details) => form_errors(&details, &Rows::of(&pairs)),
        };
        let show_all = submitted.get_untracked();
        touched.with_untracked(|touched| {
            errors.try_set(
                found
                    .into_iter()
                    .filter(|e| show_all || e.field.as_ref().is_some_and(|f| touched.contains(f)))
                    .collect(),
            );
        });
    };
    // After the DOM has caught up with a row or tag change.
    let refresh = Callback::new(move |()| set_timeout(check, Duration::ZERO));
    provide_context(Builder {
        initial: StoredValue::new(first_values(&init.pairs)),
        errors,
        refresh,
    });

    // Deferred, and tolerant of a builder already gone: removing the page (after saving) makes the
    // browser fire focusout on the field that had focus.
    let on_focusout = move |ev: FocusEvent| {
        if let Some(name) = event_target::<web_sys::HtmlInputElement>(&ev).get_attribute("name") {
            touched.try_update(|t| {
                t.insert(name);
            });
        }
        set_timeout(check, Duration::ZERO);
    };

    let on_submit = {
        let editing = editing.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            submitted.set(true);
            let Some(pairs) = current() else { return };
            let body = form_to_json(&pairs);
            match validate_draft(&body) {
                Ok(_) => {
                    saving.set(true);
                    failure.set(None);
                    let (editing, navigate) = (editing.clone(), navigate.clone());
                    leptos::task::spawn_local(async move {
                        let saved = save_icp(editing, body.to_string()).await;
                        saving.set(false);
                        match saved {
                            Ok(id) => navigate(&format!("/icps/{id}"), Default::default()),
                            Err(PageError::Invalid(details)) => {
                                errors.set(form_errors(&details, &Rows::of(&pairs)));
                                focus_summary(summary_ref);
                            }
                            Err(other) => failure.set(Some(other.to_string())),
                        }
                    });
                }
                Err(details) => {
                    errors.set(form_errors(&details, &Rows::of(&pairs)));
                    focus_summary(summary_ref);
                }
            }
        }
    };

    let add_lead = move |ev: MouseEvent| {
        ev.prevent_default();
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        leads.update(|rows| rows.push(key));
        refresh.run(());
    };
    let kind_ref = NodeRef::<html::Select>::new();
    let add_filter = move |ev: MouseEvent| {
        ev.prevent_default();
        let Some(kind) = kind_ref.get_untracked().map(|select| select.value()) else {
            return;
        };
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        filters.update(|rows| rows.push((key, kind)));
        refresh.run(());
    };
    let add_condition = move |ev: MouseEvent| {
        ev.prevent_default();
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        conditions.update(|rows| rows.push(key));
        refresh.run(());
    };

    let is_new = init.editing.is_none();
    let action = match &init.editing {
        Some(id) => format!("/forms/icps/{id}"),
        None => "/forms/icps".to_owned(),
    };
    let save_label = if is_new { "Create ICP" } else { "Save changes" };
    let creator = init.creator.clone();
    let crm_on = init.pairs.iter().any(|(name, _)| name == "crm.enabled");

    view! {
        <div class="builder">
            <form
                class="builder-form"
                method="post"
                action=action
                novalidate
                node_ref=form_ref
                on:submit=on_submit
                on:focusout=on_focusout
                on:input=move |_| refresh.run(())
                on:change=move |_| refresh.run(())
            >
                // The first submit button is the one Enter presses: saving, never a row action.
                <div class="form-actions form-actions-top">
                    <button type="submit" class="button button-primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { save_label }}
                    </button>
                </div>
                <ErrorSummary errors=errors summary_ref=summary_ref />
                <p class="alert alert-error" role="alert" hidden=move || failure.with(Option::is_none)>
                    {move || failure.get()}
                </p>

                <section class="panel" aria-labelledby="basics-heading">
                    <h2 id="basics-heading">"Basics"</h2>
                    <TextField name="name" label="Name" required=true hint="Who this ICP targets, e.g. “DACH Tech Leaders”" max=Limits::NAME />
                    <TextArea name="description" label="Description" hint="Optional context for your team" max=Limits::DESCRIPTION />
                    <div class="field-row">
                        <TextField name="leadsPerList" label="Leads per list" kind="number" hint="1 to 1,000" min="1" max_value="1000" />
                        <TextField name="activeUntil" label="Active until (UTC)" kind="datetime-local" hint="Leave empty to keep it active" />
                    </div>
                    <div class="form-field">
                        <span class="label" id="creator-label">"Shared with"</span>
                        <ul class="tags" aria-labelledby="creator-label">
                            <li class="tag tag-fixed">{creator} " (you)"</li>
                        </ul>
                    </div>
                    <TagInput name="userIds" label="Teammates’ user ids" hint="user_… ids; Enter or comma adds one" />
                </section>

                <section class="panel" aria-labelledby="leads-heading">
                    <h2 id="leads-heading">"Lead sources"</h2>
                    <p class="section-hint">"Where leads come from. Add at least one to source new leads."</p>
                    <SectionError field="leadProviderCriteria" />
                    <ol class="rows">
                        <For each=move || leads.get() key=|key| *key children=move |key| {
                            view! { <LeadRow key=key position=Signal::derive(move || leads.with(|r| r.iter().position(|k| *k == key).unwrap_or(0) + 1)) on_remove=move || { leads.update(|r| r.retain(|k| *k != key)); refresh.run(()); } /> }
                        } />
                    </ol>
                    <button type="submit" name="_action" value="add-lead" class="button" on:click=add_lead>
                        "Add lead source"
                    </button>
                </section>

                <section class="panel" aria-labelledby="filters-heading">
                    <h2 id="filters-heading">"Custom filters"</h2>
                    <p class="section-hint">"Checks applied to every lead found."</p>
                    <SectionError field="customFilterCriteria" />
                    <ol class="rows">
                        <For each=move || filters.get() key=|(key, _)| *key children=move |(key, kind)| {
                            view! { <FilterRow key=key kind=kind position=Signal::derive(move || filters.with(|r| r.iter().position(|(k, _)| *k == key).unwrap_or(0) + 1)) on_remove=move || { filters.update(|r| r.retain(|(k, _)| *k != key)); refresh.run(()); } /> }
                        } />
                    </ol>
                    <div class="add-filter">
                        <label for="add-filter-kind">"Filter type"</label>
                        <select id="add-filter-kind" name="_filter_kind" node_ref=kind_ref>
                            {CustomFilter::TYPES.into_iter().map(|kind| view! { <option value=kind>{filter_label(kind)}</option> }).collect_view()}
                        </select>
                        <button type="submit" name="_action" value="add-filter" class="button" on:click=add_filter>
                            "Add filter"
                        </button>
                    </div>
                </section>

                <section class="panel" aria-labelledby="crm-heading">
                    <h2 id="crm-heading">"CRM"</h2>
                    <div class="toggle">
                        <input type="checkbox" id="crm.enabled" name="crm.enabled" value="on" checked=crm_on />
                        <label for="crm.enabled">"Also source leads from Bullhorn"</label>
                    </div>
                    <div class="crm-fields">
                        <TextField name="crm.textSearch" label="Text search" hint="Occupation or title; wildcards and OR work, e.g. Head OR Leit*" max=Limits::CRM_TEXT />
                        <TextField name="crm.query" label="Legacy query" hint="Optional; kept for older integrations" max=Limits::CRM_TEXT />
                        <SectionError field="crmFilters" />
                        <ol class="rows">
                            <For each=move || conditions.get() key=|key| *key children=move |key| {
                                view! { <ConditionRow key=key position=Signal::derive(move || conditions.with(|r| r.iter().position(|k| *k == key).unwrap_or(0) + 1)) on_remove=move || { conditions.update(|r| r.retain(|k| *k != key)); refresh.run(()); } /> }
                            } />
                        </ol>
                        <button type="submit" name="_action" value="add-condition" class="button" on:click=add_condition>
                            "Add condition"
                        </button>
                    </div>
                </section>

                <div class="form-actions">
                    <button type="submit" class="button button-primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { save_label }}
                    </button>
                </div>
            </form>
            <JsonPreview preview=preview />
        </div>
    }
}

/// Moves focus to the error summary once it is shown (it is hidden until the DOM catches up).
fn focus_summary(summary_ref: NodeRef<html::Div>) {
    set_timeout(
        move || {
            if let Some(summary) = summary_ref.try_get_untracked().flatten() {
                let _ = summary.focus();
            }
        },
        Duration::ZERO,
    );
}

/// Focuses the field a summary link points at (the router would only scroll to it).
/// The link still updates the address (the router handles it); focus follows right after.
fn focus_field(field: String) {
    set_timeout(
        move || {
            if let Some(element) = document().get_element_by_id(&field) {
                element.scroll_into_view();
                if let Ok(input) = element.dyn_into::<web_sys::HtmlElement>() {
                    let _ = input.focus();
                }
            }
        },
        Duration::ZERO,
    );
}

#[component]
fn ErrorSummary(
    errors: RwSignal<Vec<FormError>>,
    summary_ref: NodeRef<html::Div>,
) -> impl IntoView {
    view! {
        <div class="alert alert-error error-summary" tabindex="-1" node_ref=summary_ref role="alert" hidden=move || errors.with(Vec::is_empty)>
            <h2>{move || match errors.with(Vec::len) { 0 => String::new(), 1 => "1 problem to fix".to_owned(), n => format!("{n} problems to fix") }}</h2>
            <ul>
                {move || errors.get().into_iter().map(|e| {
                    let text = format!("{}: {}", e.place, e.message);
                    match e.field {
                        Some(field) => {
                            let href = format!("#{field}");
                            view! { <li><a href=href on:click=move |_| focus_field(field.clone())>{text}</a></li> }.into_any()
                        }
                        None => view! { <li>{text}</li> }.into_any(),
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// An error that belongs to a whole section (e.g. too many rows).
#[component]
fn SectionError(field: &'static str) -> impl IntoView {
    let builder = use_builder();
    let errors = builder.errors;
    let message = move || {
        errors.with(|all| {
            all.iter()
                .filter(|e| e.field.is_none() && e.place.starts_with(section_place(field)))
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    view! { <p class="field-error" hidden=move || message().is_empty()>{message}</p> }
}

fn section_place(field: &str) -> &'static str {
    match field {
        "leadProviderCriteria" => "Lead source",
        "customFilterCriteria" => "Custom filter",
        _ => "CRM",
    }
}

fn described_by(name: &str, hint: bool) -> String {
    if hint {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-error")
    }
}

#[component]
fn FieldMessage(name: String, error: Signal<Option<String>>) -> impl IntoView {
    view! { <p class="field-error" id=format!("{name}-error")>{move || error.get()}</p> }
}

/// A field's frame: label (with a required mark), hint, the control, and its error message.
#[component]
fn FieldFrame(
    name: String,
    label: String,
    hint: Option<String>,
    required: bool,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="form-field" class:has-error=move || error.with(Option::is_some)>
            <label for=name.clone()>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{name}-hint")>{hint}</p> })}
            {children()}
            <FieldMessage name=name error=error />
        </div>
    }
}

#[component]
fn TextField(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] max: Option<usize>,
    #[prop(optional, into)] min: Option<String>,
    #[prop(optional, into)] max_value: Option<String>,
) -> impl IntoView {
    let builder = use_builder();
    let error = builder.error(&name);
    let value = builder.value(&name);
    let described = described_by(&name, hint.is_some());
    view! {
        <FieldFrame name=name.clone() label=label hint=hint required=required error=error>
            <input
                id=name.clone()
                name=name.clone()
                type=kind
                value=value
                required=required
                maxlength=max.map(|m| m.to_string())
                min=min
                max=max_value
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=described
            />
        </FieldFrame>
    }
}

#[component]
fn TextArea(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] required: bool,
    max: usize,
) -> impl IntoView {
    let builder = use_builder();
    let error = builder.error(&name);
    let value = builder.value(&name);
    let described = described_by(&name, hint.is_some());
    view! {
        <FieldFrame name=name.clone() label=label hint=hint required=required error=error>
            <textarea
                id=name.clone()
                name=name.clone()
                rows="3"
                required=required
                maxlength=max.to_string()
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=described
            >
                {value}
            </textarea>
        </FieldFrame>
    }
}

#[component]
fn SelectField(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let builder = use_builder();
    let error = builder.error(&name);
    let value = builder.value(&name);
    view! {
        <div class="form-field" class:has-error=move || error.with(Option::is_some)>
            <label for=name.clone()>{label}</label>
            <select id=name.clone() name=name.clone() aria-describedby=described_by(&name, false)>
                {options.into_iter().map(|(option, text)| {
                    view! { <option value=option selected=value == option>{text}</option> }
                }).collect_view()}
            </select>
            <FieldMessage name=name.clone() error=error />
        </div>
    }
}

/// A list input: committed tags as chips (kept, one per line, in a hidden field) and a box where
/// Enter or a comma adds what was typed. Without JavaScript the box takes comma-separated text.
#[component]
fn TagInput(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let builder = use_builder();
    let input_name = format!("{name}{NEW_TAG}");
    let error = builder.error(&input_name);
    let tags = RwSignal::new(builder.tags(&name));
    let refresh = builder.refresh;
    let commit = move |input: &web_sys::HtmlInputElement| {
        let typed = input.value();
        let new: Vec<String> = typed
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if !new.is_empty() && tags.try_update(|t| t.extend(new)).is_some() {
            input.set_value("");
            refresh.run(());
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == "," {
            ev.prevent_default();
            commit(&event_target::<web_sys::HtmlInputElement>(&ev));
        } else if ev.key() == "Backspace" {
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            if input.value().is_empty() && tags.with(|t| !t.is_empty()) {
                tags.update(|t| {
                    t.pop();
                });
                refresh.run(());
            }
        }
    };
    let on_blur = move |ev: FocusEvent| commit(&event_target::<web_sys::HtmlInputElement>(&ev));
    view! {
        <div class="form-field tag-field" class:has-error=move || error.with(Option::is_some)>
            <label for=input_name.clone()>{label}</label>
            {hint.clone().map(|hint| view! { <p class="hint" id=format!("{input_name}-hint")>{hint}</p> })}
            <div class="tag-box">
                <ul class="tags" aria-label="Added">
                    {move || tags.get().into_iter().enumerate().map(|(index, tag)| {
                        let remove_label = format!("Remove {tag}");
                        view! {
                            <li class="tag">
                                <span>{tag}</span>
                                <button type="button" class="tag-remove" aria-label=remove_label on:click=move |_| {
                                    tags.update(|t| { if index < t.len() { t.remove(index); } });
                                    refresh.run(());
                                }>"×"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <input type="hidden" name=name.clone() prop:value=move || tags.get().join("\n") value=builder.tags(&name).join("\n") />
                <input
                    id=input_name.clone()
                    name=input_name.clone()
                    type="text"
                    value=builder.value(&input_name)
                    autocomplete="off"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby=described_by(&input_name, hint.is_some())
                    on:keydown=on_keydown
                    on:blur=on_blur
                />
            </div>
            <FieldMessage name=input_name.clone() error=error />
        </div>
    }
}

#[component]
fn RemoveButton(
    section: &'static str,
    key: u32,
    // What the row is called, e.g. "lead source 2": it follows the row's position.
    row_name: Signal<String>,
    on_remove: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <button type="submit" name="_action" value=format!("remove:{section}.{key}") class="button button-quiet"
            aria-label=move || format!("Remove {}", row_name.get())
            on:click=move |ev: MouseEvent| { ev.prevent_default(); on_remove(); }>
            "Remove"
        </button>
    }
}

#[component]
fn LeadRow(key: u32, position: Signal<usize>, on_remove: impl Fn() + 'static) -> impl IntoView {
    let field = |name: &str| format!("lead.{key}.{name}");
    let heading = format!("lead-{key}-heading");
    view! {
        <li class="row">
            <div class="row-head">
                <h3 id=heading>"Lead source " {move || position.get()}</h3>
                <RemoveButton section="lead" key=key row_name=Signal::derive(move || format!("lead source {}", position.get())) on_remove=on_remove />
            </div>
            <input type="hidden" name=field("other") value=use_builder().value(&field("other")) />
            <SelectField name=field("type") label="Search for" options=vec![("person", "People"), ("company", "Companies")] />
            <div class="field-grid">
                {LEAD_TAGS.iter().map(|(name, label)| view! { <TagInput name=field(name) label=*label /> }).collect_view()}
                <TextField name=field("employee_min") label="Employees, at least" kind="number" min="0" />
                <TextField name=field("employee_max") label="Employees, at most" kind="number" min="0" />
            </div>
        </li>
    }
}

#[component]
fn FilterRow(
    key: u32,
    kind: String,
    position: Signal<usize>,
    on_remove: impl Fn() + 'static,
) -> impl IntoView {
    let field = |name: &str| format!("filter.{key}.{name}");
    let heading = format!("filter-{key}-heading");
    let title = filter_label(&kind);
    let fields = match kind.as_str() {
        "website" => view! {
            <TextArea name=field("prompt") label="What should the agent check on the website?" required=true max=Limits::PROMPT />
        }
        .into_any(),
        "webscraping" => view! {
            <TextArea name=field("extractionPrompt") label="What to extract" required=true max=Limits::PROMPT />
            <TextField name=field("pageFindingPrompt") label="How to find the page (optional)" max=Limits::PROMPT />
            <TagInput name=field("includeSearchStrings") label="Pages must mention" />
            <TagInput name=field("excludeSearchStrings") label="Pages must not mention" />
        }
        .into_any(),
        "ai" => view! {
            <SelectField name=field("entityType") label="Judge the" options=vec![("person", "Person"), ("company", "Company")] />
            <TextArea name=field("prompt") label="Question for the AI" required=true max=Limits::PROMPT />
        }
        .into_any(),
        "maxPeoplePerCompany" => view! {
            <TextField name=field("value") label="At most this many people per company" kind="number" min="1" required=true />
        }
        .into_any(),
        "maxPercentFromCRM" => view! {
            <TextField name=field("value") label="At most this % of leads from the CRM" kind="number" min="0" max_value="100" required=true />
        }
        .into_any(),
        "minDaysUntilReuse" => view! {
            <TextField name=field("value") label="Days before a lead may be reused" kind="number" min="0" required=true />
        }
        .into_any(),
        "matchFieldWithRegex" => view! {
            <TextField name=field("field") label="Field (dot path, e.g. company.name)" required=true max=Limits::DOT_PATH />
            <TextField name=field("regex") label="Pattern (JavaScript regular expression)" required=true max=Limits::REGEX />
        }
        .into_any(),
        _ => view! { <p class="field-error">"This filter type is not known."</p> }.into_any(),
    };
    view! {
        <li class="row">
            <div class="row-head">
                <h3 id=heading>{title} <span class="row-number">" · filter " {move || position.get()}</span></h3>
                <RemoveButton section="filter" key=key row_name=Signal::derive(move || format!("filter {} ({})", position.get(), title.to_lowercase())) on_remove=on_remove />
            </div>
            <input type="hidden" name=field("type") value=kind.clone() />
            <SectionErrorFor field=format!("filter.{key}.type") />
            {fields}
        </li>
    }
}

/// An error at a row's hidden `type` (e.g. a second limit filter of one kind).
#[component]
fn SectionErrorFor(field: String) -> impl IntoView {
    let error = use_builder().error(&field);
    view! { <p class="field-error" id=format!("{field}-error") hidden=move || error.with(Option::is_none)>{move || error.get()}</p> }
}

#[component]
fn ConditionRow(
    key: u32,
    position: Signal<usize>,
    on_remove: impl Fn() + 'static,
) -> impl IntoView {
    let field = |name: &str| format!("crm.{key}.{name}");
    let heading = format!("crm-{key}-heading");
    let excluded = use_builder().value(&field("exclude")) == "on";
    view! {
        <li class="row">
            <div class="row-head">
                <h3 id=heading>"Condition " {move || position.get()}</h3>
                <RemoveButton section="crm" key=key row_name=Signal::derive(move || format!("condition {}", position.get())) on_remove=on_remove />
            </div>
            <div class="field-grid">
                <TextField name=field("path") label="Field (e.g. address.zip)" required=true max=Limits::DOT_PATH />
                <SelectField name=field("mode") label="Match" options=vec![("equals", "equals"), ("in", "is one of"), ("startsWith", "starts with")] />
                <TextField name=field("value") label="Value (comma-separated for “is one of”)" max=Limits::CRM_VALUE />
            </div>
            <div class="toggle">
                <input type="checkbox" id=field("exclude") name=field("exclude") value="on" checked=excluded />
                <label for=field("exclude")>"Exclude contacts that match"</label>
            </div>
        </li>
    }
}

#[component]
fn JsonPreview(preview: RwSignal<serde_json::Value>) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let copy = move |_| {
        let origin = window().location().origin().unwrap_or_default();
        let command = curl_command(&origin, &preview.with_untracked(|body| body.to_string()));
        let promise = window().navigator().clipboard().write_text(&command);
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            status.set(if done {
                "Copied to the clipboard".into()
            } else {
                "Copy failed: select the JSON and copy it".into()
            });
        });
    };
    view! {
        <aside class="preview panel" aria-labelledby="preview-heading">
            <div class="row-head">
                <h2 id="preview-heading">"API body"</h2>
                <button type="button" class="button" on:click=copy>"Copy as curl"</button>
            </div>
            <p class="hint">"Exactly what the API receives for this ICP."</p>
            <p class="copy-status" role="status">{move || status.get()}</p>
            <pre class="json" tabindex="0" aria-label="API request body"><code>{move || preview.with(pretty)}</code></pre>
        </aside>
    }
}
