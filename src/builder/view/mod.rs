//! The builder form. Rendered on the server with every value; once hydrated, rows are added and
//! removed in place, fields are checked as they are left (with the domain validator compiled to
//! WASM), and the API body is previewed live. Without JavaScript it is a plain form: its buttons post
//! it back to the server, which adds/removes rows or saves.
//!
//! Editing stays cheap however big the form: a check reads the whole form, so it runs off the input
//! path, at most one pending at a time: right away when a field is left, else once edits pause
//! ([`SETTLE`]). Adding a row renders that row only, and no other row's number changes; each
//! field's error is a memo over an index, so a change of the errors reaches only the fields whose
//! message changes.
//!
//! `IcpBuilder` holds the form's state; `sections` and `rows` lay it out, `fields` are the
//! controls, `summary` shows errors beyond their fields, `preview` the API body.

mod actions;
mod context;
mod fields;
mod picker;
mod preview;
mod regions;
mod restore;
mod rows;
mod sections;
mod start;
mod summary;

pub use picker::Teammate;
pub use preview::curl_command;
pub use start::{BuilderInit, BuilderStart};

use super::form::{form_errors, form_to_json, names, targets_everyone, FormError, Rows};
use super::save::{send_save, SaveIcp};
use crate::domain::validate_draft;
use crate::page_error::PageError;
use actions::{ask_before_leaving, enter_never_saves, EveryoneWarning, SaveButton};
use context::{first_values, index_by_field, read_form, use_builder, Builder};
use leptos::ev::{FocusEvent, SubmitEvent};
use leptos::html;
use leptos::prelude::*;
use preview::JsonPreview;
use sections::{Basics, Crm, CustomFilters, LeadSources};
use std::collections::HashSet;
use std::time::Duration;
use summary::{focus_summary, ErrorSummary};

/// How long edits (keys typed, rows or tags added and removed) must pause before the form is
/// checked and the preview redrawn: a burst of them costs one check.
const SETTLE: Duration = Duration::from_millis(150);

/// When the scheduled check runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Due {
    /// Right after the current event (a field was left: its error shows now).
    Now,
    /// Once edits pause for [`SETTLE`].
    Settled,
}

impl Due {
    /// What asking for a check due `self` does while the check `pending` waits (one at a time):
    /// `None`, nothing (a check coming right away sees this change too); else the delay to start
    /// the check with, in place of the pending one (a settled check moves with each edit: the
    /// debounce).
    fn delay_after(self, pending: Option<Due>) -> Option<Duration> {
        match (pending, self) {
            (Some(Due::Now), _) => None,
            (_, Due::Now) => Some(Duration::ZERO),
            (_, Due::Settled) => Some(SETTLE),
        }
    }
}

/// The builder: the one island of the app, so the one part of any page that runs in the browser.
#[island]
pub fn IcpBuilder() -> impl IntoView {
    let init = BuilderInit::given();
    let saving = RwSignal::new(false);
    // Whether a save found that the ICP targets everyone, until the form changes or is saved anyway.
    let warned = RwSignal::new(false);
    let warning_ref = NodeRef::<html::Div>::new();
    let failure = RwSignal::new(None::<String>);
    let rows = Rows::of(&init.pairs);
    let next_key = StoredValue::new(rows.next_key());
    let initial = StoredValue::new(first_values(&init.pairs));
    let leads = RwSignal::new(rows.leads);
    let filters = RwSignal::new(rows.filters);
    let crm = RwSignal::new(rows.crm);
    let errors = RwSignal::new(init.errors.clone());
    let preview = RwSignal::new(form_to_json(&init.pairs));
    let touched = RwSignal::new(HashSet::<String>::new());
    let submitted = RwSignal::new(!init.errors.is_empty());
    let form_ref = NodeRef::<html::Form>::new();
    let summary_ref = NodeRef::<html::Div>::new();

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
        restore::remember(&pairs);
        let body = form_to_json(&pairs);
        preview.try_set(body.clone());
        let found = match validate_draft(&body) {
            Ok(_) => Vec::new(),
            Err(details) => form_errors(&details, &Rows::of(&pairs)),
        };
        let show_all = submitted.get_untracked();
        let shown: Vec<FormError> = touched.with_untracked(|touched| {
            found
                .into_iter()
                .filter(|e| show_all || e.field.as_ref().is_some_and(|f| touched.contains(f)))
                .collect()
        });
        // Unchanged errors notify nobody.
        if errors.try_with_untracked(|current| *current != shown) == Some(true) {
            errors.try_set(shown);
        }
    };
    // One check pending at a time: a later request moves it (debounce) or joins it.
    let pending = StoredValue::new(None::<(TimeoutHandle, Due)>);
    let schedule = move |due: Due| {
        let waiting = pending.try_get_value().flatten();
        let Some(delay) = due.delay_after(waiting.map(|(_, due)| due)) else {
            return;
        };
        if let Some((handle, _)) = waiting {
            handle.clear();
        }
        let run = move || {
            pending.try_set_value(None);
            check();
        };
        if let Ok(handle) = set_timeout_with_handle(run, delay) {
            pending.try_set_value(Some((handle, due)));
        }
    };
    let cancel = move || {
        if let Some(Some((handle, _))) = pending.try_get_value() {
            handle.clear();
            pending.try_set_value(None);
        }
    };
    on_cleanup(cancel);
    // The browser puts those values back as late as the page's load event, which can come after
    // hydrating (the bundle starts as soon as the page is parsed), and with no input event: the
    // form is checked again then.
    #[cfg(feature = "hydrate")]
    window_event_listener(leptos::ev::load, move |_| schedule(Due::Now));
    // Back from the saved ICP, the browser may show this page as it was left (its back/forward
    // cache): "Saving…", of an ICP now saved. It is loaded afresh instead. A page left unsaved
    // comes back as it was, with what was typed.
    #[cfg(feature = "hydrate")]
    window_event_listener(leptos::ev::pageshow, move |ev| {
        if ev.persisted() && saving.get_untracked() {
            let _ = window().location().reload();
        }
    });
    let dirty = StoredValue::new(false);
    let stop_asking = ask_before_leaving(dirty, saving);
    // After the DOM has caught up with a row or tag change, once edits pause.
    let refresh = Callback::new(move |()| {
        dirty.try_set_value(true);
        // A change answers the "targets everyone" warning: the next save checks again.
        if warned.try_get_untracked() == Some(true) {
            warned.set(false);
        }
        schedule(Due::Settled);
    });
    let builder = Builder {
        initial,
        errors,
        errors_by_field: Memo::new(move |_| errors.with(|all| index_by_field(all))),
        refresh,
        next_key,
    };
    provide_context(builder);
    // Effects run once the island is hydrated: from then on the form is handled here. The form may
    // not hold what the server rendered: on Back or a reload the browser puts back what was typed
    // in the fields it rendered, and the history entry has every field (`restore`): the rows are
    // drawn again from it, with fresh keys, and the preview (and any errors) are made to match.
    #[cfg(feature = "hydrate")]
    {
        let rendered = init.pairs.clone();
        Effect::new(move |_| {
            match restore::remembered(&rendered) {
                Some(kept) => {
                    let kept = super::form::rekeyed(kept, || builder.take_key());
                    initial.set_value(first_values(&kept));
                    let rows = Rows::of(&kept);
                    leads.set(rows.leads);
                    filters.set(rows.filters);
                    crm.set(rows.crm);
                    dirty.set_value(true);
                    // Once the rows are drawn.
                    schedule(Due::Now);
                }
                None => check(),
            }
            crate::mark_hydrated();
        });
    }

    // A field shows its errors once it was changed and left: merely passing through (Tab, or the
    // focus "Add …" puts in a new row) flags nothing before a submit.
    let edited = StoredValue::new(HashSet::<String>::new());
    let on_edit = move |ev: leptos::ev::Event| {
        if let Some(name) = event_target::<web_sys::Element>(&ev).get_attribute("name") {
            edited.try_update_value(|e| e.insert(name));
        }
        refresh.run(());
    };
    // Deferred, and tolerant of a builder already gone: removing the page (after saving) makes the
    // browser fire focusout on the field that had focus.
    // Leaving a field that was not changed checks nothing (nothing new to show): focus moving
    // through the form, or into each row "Add" makes, costs no check of the whole form.
    let on_focusout = move |ev: FocusEvent| {
        let name = event_target::<web_sys::Element>(&ev).get_attribute("name");
        if let Some(name) =
            name.filter(|name| edited.try_with_value(|e| e.contains(name)) == Some(true))
        {
            touched.try_update(|t| {
                t.insert(name);
            });
            schedule(Due::Now);
        }
    };

    let editing = init.editing.clone();
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        // One save at a time: a second Enter or click while one is under way (or while the saved
        // ICP's page loads) would create the ICP twice.
        if saving.get_untracked() {
            return;
        }
        submitted.set(true);
        let Some(pairs) = current() else { return };
        let body = form_to_json(&pairs);
        let everyone = pairs
            .iter()
            .any(|(name, value)| name == names::EVERYONE && value == "true");
        let version = pairs
            .iter()
            .find(|(name, _)| name == names::VERSION)
            .and_then(|(_, value)| value.parse::<i64>().ok());
        // This is the check a pending one would make; a later one could hide the server's errors.
        cancel();
        preview.set(body.clone());
        let details = match validate_draft(&body) {
            Ok(_) => {
                // Lead sources without a single filter target everyone: say so once, before saving.
                if targets_everyone(&body) && !warned.get_untracked() {
                    warned.set(true);
                    focus_summary(warning_ref);
                    return;
                }
                saving.set(true);
                failure.set(None);
                let editing = editing.clone();
                leptos::task::spawn_local(async move {
                    let saved = send_save(SaveIcp {
                        id: editing,
                        body: body.to_string(),
                        everyone,
                        version,
                    })
                    .await;
                    // Once saved, the form stays "Saving…" while the ICP's page loads.
                    if saved.is_err() {
                        saving.set(false);
                    }
                    match saved {
                        Ok(id) => {
                            stop_asking();
                            restore::forget();
                            let _ = window().location().assign(&format!("/icps/{id}"));
                        }
                        Err(PageError::Invalid(details)) => {
                            errors.set(form_errors(&details, &Rows::of(&pairs)));
                            focus_summary(summary_ref);
                        }
                        Err(other) => failure.set(Some(other.to_string())),
                    }
                });
                return;
            }
            Err(details) => details,
        };
        errors.set(form_errors(&details, &Rows::of(&pairs)));
        focus_summary(summary_ref);
    };

    let action = match &init.editing {
        Some(id) => format!("/forms/icps/{id}"),
        None => "/forms/icps".to_owned(),
    };
    let save_label = match init.editing {
        None => "Create ICP",
        Some(_) => "Save changes",
    };
    let version = first_values(&init.pairs)
        .remove(names::VERSION)
        .unwrap_or_default();
    let crm_on = init
        .pairs
        .iter()
        .any(|(name, _)| name == names::CRM_ENABLED);

    view! {
        <div class="builder">
            <form
                class="builder-form"
                method="post"
                action=action
                novalidate
                node_ref=form_ref
                on:submit=on_submit
                on:keydown=enter_never_saves
                on:focusout=on_focusout
                on:input=on_edit
                on:change=on_edit
                on:paste=move |ev: leptos::ev::ClipboardEvent| on_edit(ev.into())
            >
                // The first submit button: the one a browser's implicit submission would press
                // (without JavaScript), saving, never a row action.
                <div class="form-actions form-actions-top">
                    <SaveButton saving=saving label=save_label />
                </div>
                <ErrorSummary errors=errors summary_ref=summary_ref />
                <p
                    class="alert alert-error"
                    role="alert"
                    hidden=move || failure.with(Option::is_none)
                >
                    {move || failure.get()}
                </p>
                <input type="hidden" name=names::VERSION value=version />
                <Basics creator=init.creator teammates=init.teammates />
                <LeadSources leads=leads />
                <CustomFilters filters=filters />
                <Crm conditions=crm enabled=crm_on />
                <EveryoneWarning warned=warned warning_ref=warning_ref />
                <div class="form-actions">
                    <SaveButton saving=saving label=save_label />
                </div>
            </form>
            <JsonPreview preview=preview />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_check_waits_at_a_time_and_edits_move_a_settled_one() {
        assert_eq!(Due::Settled.delay_after(None), Some(SETTLE));
        assert_eq!(Due::Now.delay_after(None), Some(Duration::ZERO));
        // Each edit moves the settled check (debounce); leaving a field brings it forward.
        assert_eq!(Due::Settled.delay_after(Some(Due::Settled)), Some(SETTLE));
        assert_eq!(
            Due::Now.delay_after(Some(Due::Settled)),
            Some(Duration::ZERO)
        );
        // A check coming right away takes in whatever is asked meanwhile.
        assert_eq!(Due::Settled.delay_after(Some(Due::Now)), None);
        assert_eq!(Due::Now.delay_after(Some(Due::Now)), None);
    }
}
