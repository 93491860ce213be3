//! "Share with teammates": a combobox over the workspace's members (WAI-ARIA combobox with a
//! listbox: type a name or email, arrows move, Enter picks, Escape closes), chosen teammates as
//! chips with remove buttons. The chosen ids travel in the same hidden field as any tag list, so
//! the form's JSON is unchanged; a typed `user_…` id that names no teammate is still added on Enter
//! (as the API allows). Without JavaScript the box takes comma-separated ids.

use super::fields::{described_by, FieldMessage, Tag};
use super::use_builder;
use crate::builder::form::names;
use leptos::ev::{FocusEvent, KeyboardEvent};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A member of the builder's workspace: the builder themselves, or a teammate to share with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Teammate {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl Teammate {
    /// Read by hand (see `domain::read_json`).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use crate::domain::read_json::string_at;
        Some(Self {
            id: string_at(value, "id")?,
            name: string_at(value, "name")?,
            email: string_at(value, "email")?,
        })
    }
}

const LISTBOX: &str = "teammates-listbox";

/// `text` lowercased for matching. In the browser the browser does it (`toLowerCase`, the same
/// Unicode mapping as `str::to_lowercase`), so Unicode's case tables stay out of the bundle.
fn lowercase(text: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    return js_sys::JsString::from(text).to_lower_case().into();
    #[cfg(not(target_arch = "wasm32"))]
    text.to_lowercase()
}

fn option_id(index: usize) -> String {
    format!("teammate-option-{index}")
}

/// What the listbox offers: "Everyone in the workspace" (unless chosen: it also takes in whoever
/// joins later), then each teammate not chosen yet whose name or email contains the query.
#[derive(Debug, Clone, PartialEq)]
enum Choice {
    Everyone,
    One(Teammate),
}

/// The listbox's choices for `query` (as typed): "Everyone" first while the box is empty and
/// everyone is not chosen yet, then the teammates of `all` not in `chosen` whose name or email
/// holds it, ignoring case.
fn choices_for(all: &[Teammate], chosen: &[String], everyone: bool, query: &str) -> Vec<Choice> {
    let query = lowercase(query.trim());
    let mut choices = Vec::new();
    if query.is_empty() && !everyone {
        choices.push(Choice::Everyone);
    }
    choices.extend(
        all.iter()
            .filter(|t| !chosen.contains(&t.id))
            .filter(|t| {
                query.is_empty()
                    || lowercase(&t.name).contains(&query)
                    || lowercase(&t.email).contains(&query)
            })
            .cloned()
            .map(Choice::One),
    );
    choices
}

/// The choice an arrow key moves to among `count` (`down` or up) from `at`: the first or the last
/// when none is active yet, round the ends.
fn step(at: Option<usize>, count: usize, down: bool) -> usize {
    match (at, down) {
        (None, true) => 0,
        (None, false) => count - 1,
        (Some(i), true) => (i + 1) % count,
        (Some(i), false) => (i + count - 1) % count,
    }
}

#[component]
pub(super) fn TeammatePicker(creator: String, teammates: Vec<Teammate>) -> impl IntoView {
    let builder = use_builder();
    let name = names::USER_IDS;
    let input_name = names::new_tag(name);
    let error = builder.error(&input_name);
    let refresh = builder.refresh;
    let chosen = RwSignal::new(builder.tags(name));
    let everyone = RwSignal::new(builder.value(names::EVERYONE) == "true");
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let teammates = StoredValue::new(teammates);

    let choices = Memo::new(move |_| {
        let (query, chosen) = (query.get(), chosen.get());
        teammates.with_value(|all| choices_for(all, &chosen, everyone.get(), &query))
    });
    let label_of = move |id: &str| {
        teammates.with_value(|all| {
            all.iter()
                .find(|t| t.id == id)
                .map_or_else(|| id.to_owned(), |t| t.name.clone())
        })
    };
    let add = move |ids: Vec<String>| {
        chosen.update(|current| {
            for id in ids {
                if !current.contains(&id) {
                    current.push(id);
                }
            }
        });
        query.set(String::new());
        active.set(None);
        refresh.run(());
    };
    let is_teammate = move |id: &str| teammates.with_value(|all| all.iter().any(|t| t.id == id));
    let pick = move |choice: Choice| match choice {
        Choice::Everyone => {
            everyone.set(true);
            add(teammates.with_value(|all| all.iter().map(|t| t.id.clone()).collect::<Vec<_>>()))
        }
        Choice::One(teammate) => add(vec![teammate.id]),
    };
    // Removing "Everyone" removes the teammates it stood for; ids of others stay.
    let remove_everyone = move || {
        everyone.set(false);
        chosen.update(|c| c.retain(|id| !is_teammate(id)));
        refresh.run(());
    };
    let commit_typed = move |input: &web_sys::HtmlInputElement| {
        let typed: Vec<String> = input
            .value()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if !typed.is_empty() {
            input.set_value("");
            add(typed);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let count = choices.with(Vec::len);
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                let down = ev.key() == "ArrowDown";
                active.update(|at| *at = Some(step(*at, count, down)));
            }
            "Enter" => {
                ev.prevent_default();
                let picked = active
                    .get_untracked()
                    .filter(|_| open.get_untracked())
                    .and_then(|i| choices.with_untracked(|all| all.get(i).cloned()));
                match picked {
                    Some(choice) => {
                        input.set_value("");
                        pick(choice);
                    }
                    None => commit_typed(&input),
                }
            }
            "," => {
                ev.prevent_default();
                commit_typed(&input);
            }
            "Escape" => {
                open.set(false);
                active.set(None);
            }
            "Backspace" if input.value().is_empty() && chosen.with(|c| !c.is_empty()) => {
                chosen.update(|c| {
                    c.pop();
                });
                refresh.run(());
            }
            _ => {}
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        query.set(typed.clone());
        open.set(true);
        // Typing makes the first match the one Enter picks; an empty box picks nothing.
        let first = choices.with_untracked(|all| {
            all.iter()
                .position(|choice| matches!(choice, Choice::One(_)))
        });
        active.set(if typed.trim().is_empty() { None } else { first });
    };
    let on_blur = move |ev: FocusEvent| {
        open.set(false);
        active.set(None);
        commit_typed(&event_target::<web_sys::HtmlInputElement>(&ev));
    };
    let expanded = move || open.get() && choices.with(|all| !all.is_empty());
    view! {
        <div class="form-field tag-field" class:has-error=move || error.with(Option::is_some)>
            <label for=input_name.clone()>"Share with teammates"</label>
            <p class="hint" id=format!("{input_name}-hint")>
                "Type a name or email, then pick with the arrow keys and Enter. A user id works too."
            </p>
            <div class="tag-box picker">
                <ul class="tags" aria-label="Shared with">
                    {move || {
                        everyone
                            .get()
                            .then(|| {
                                view! {
                                    <Tag
                                        label="Everyone in the workspace".to_owned()
                                        on_remove=remove_everyone
                                    />
                                }
                            })
                    }}
                    {move || {
                        chosen
                            .get()
                            .into_iter()
                            .filter(|id| *id != creator && !(everyone.get() && is_teammate(id)))
                            .map(|id| {
                                let label = label_of(&id);
                                let on_remove = move || {
                                    chosen.update(|c| c.retain(|other| *other != id));
                                    refresh.run(());
                                };
                                // The builder is shown apart ("… (you)") and always kept.
                                view! { <Tag label on_remove /> }
                            })
                            .collect_view()
                    }}
                </ul>
                <input
                    type="hidden"
                    name=name
                    prop:value=move || chosen.get().join("\n")
                    value=builder.tags(name).join("\n")
                />
                <input
                    type="hidden"
                    name=names::EVERYONE
                    prop:value=move || if everyone.get() { "true" } else { "" }
                    value=if builder.value(names::EVERYONE) == "true" { "true" } else { "" }
                />
                <input
                    id=input_name.clone()
                    name=input_name.clone()
                    type="text"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-controls=LISTBOX
                    aria-expanded=move || expanded().to_string()
                    aria-activedescendant=move || {
                        active.get().filter(|_| expanded()).map(option_id)
                    }
                    value=builder.value(&input_name)
                    autocomplete="off"
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby=described_by(&input_name, true)
                    on:keydown=on_keydown
                    on:input=on_input
                    on:focus=move |_| open.set(true)
                    on:blur=on_blur
                />
                <ul
                    id=LISTBOX
                    role="listbox"
                    aria-label="Teammates"
                    class="listbox"
                    hidden=move || !expanded()
                >
                    {move || {
                        choices
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(index, choice)| {
                                let text = match &choice {
                                    Choice::Everyone => {
                                        "Everyone in the workspace, also who joins later".to_owned()
                                    }
                                    Choice::One(teammate) => {
                                        format!("{} · {}", teammate.name, teammate.email)
                                    }
                                };
                                view! {
                                    <li
                                        id=option_id(index)
                                        role="option"
                                        class="option"
                                        class:active=move || active.get() == Some(index)
                                        aria-selected=move || {
                                            (active.get() == Some(index)).to_string()
                                        }
                                        on:mousedown=move |ev| {
                                            ev.prevent_default();
                                            pick(choice.clone());
                                        }
                                    >
                                        {text}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
            <FieldMessage name=input_name.clone() error=error />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, name: &str) -> Teammate {
        Teammate {
            id: id.into(),
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase()),
        }
    }

    #[test]
    fn the_choices_follow_the_query_and_leave_out_who_is_chosen() {
        let all = [
            person("user_a", "Ana"),
            person("user_b", "Bo"),
            person("user_t", "Tim"),
        ];
        let names = |choices: Vec<Choice>| -> Vec<String> {
            choices
                .into_iter()
                .map(|choice| match choice {
                    Choice::Everyone => "Everyone".to_owned(),
                    Choice::One(t) => t.name,
                })
                .collect()
        };
        assert_eq!(
            names(choices_for(&all, &[], false, "")),
            ["Everyone", "Ana", "Bo", "Tim"]
        );
        assert_eq!(
            names(choices_for(&all, &["user_b".into()], true, "")),
            ["Ana", "Tim"]
        );
        // By name or email, ignoring case; "Everyone" only while nothing is typed.
        assert_eq!(names(choices_for(&all, &[], false, " TI ")), ["Tim"]);
        assert_eq!(names(choices_for(&all, &[], false, "bo@")), ["Bo"]);
        assert!(choices_for(&all, &[], false, "zed").is_empty());
    }

    #[test]
    fn arrows_go_round_the_ends() {
        assert_eq!(step(None, 3, true), 0);
        assert_eq!(step(None, 3, false), 2);
        assert_eq!(step(Some(2), 3, true), 0);
        assert_eq!(step(Some(0), 3, false), 2);
        assert_eq!(step(Some(1), 3, true), 2);
    }
}
