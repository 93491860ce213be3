//! The form's field controls: a text box, a text area, a select and a tag list, each in a frame
//! with its label, hint and error message.

use super::use_builder;
use crate::builder::form::names;
use leptos::ev::{FocusEvent, KeyboardEvent};
use leptos::prelude::*;

pub(super) fn described_by(name: &str, hint: bool) -> String {
    if hint {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-error")
    }
}

#[component]
pub(super) fn FieldMessage(name: String, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="field-error" id=format!("{name}-error")>
            {move || error.get()}
        </p>
    }
}

/// A field's frame: label (with a required mark), hint, the control, and its error message.
#[component]
pub(super) fn FieldFrame(
    name: String,
    label: String,
    hint: Option<String>,
    required: bool,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    let mark = required.then(|| {
        view! {
            <span class="required" aria-hidden="true">
                " *"
            </span>
        }
    });
    let hint = hint.map(|hint| {
        view! {
            <p class="hint" id=format!("{name}-hint")>
                {hint}
            </p>
        }
    });
    let label_for = name.clone();
    view! {
        <div class="form-field" class:has-error=move || error.with(Option::is_some)>
            <label for=label_for>{label}{mark}</label>
            {hint}
            {children()}
            <FieldMessage name=name error=error />
        </div>
    }
}

#[component]
pub(super) fn TextField(
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
pub(super) fn TextArea(
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
pub(super) fn SelectField(
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
                {options
                    .into_iter()
                    .map(|(option, text)| {
                        view! {
                            <option value=option selected=value == option>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <FieldMessage name=name.clone() error=error />
        </div>
    }
}

/// A list input: committed tags as chips (kept, one per line, in a hidden field) and a box where
/// Enter or a comma adds what was typed. Without JavaScript the box takes comma-separated text.
#[component]
pub(super) fn TagInput(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let builder = use_builder();
    let input_name = names::new_tag(&name);
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
            {hint
                .clone()
                .map(|hint| {
                    view! {
                        <p class="hint" id=format!("{input_name}-hint")>
                            {hint}
                        </p>
                    }
                })}
            <div class="tag-box">
                <ul class="tags" aria-label="Added">
                    {move || {
                        tags.get()
                            .into_iter()
                            .enumerate()
                            .map(|(index, tag)| {
                                let remove_label = format!("Remove {tag}");
                                view! {
                                    <li class="tag">
                                        <span>{tag}</span>
                                        <button
                                            type="button"
                                            class="tag-remove"
                                            aria-label=remove_label
                                            on:click=move |_| {
                                                tags.update(|t| {
                                                    if index < t.len() {
                                                        t.remove(index);
                                                    }
                                                });
                                                refresh.run(());
                                            }
                                        >
                                            "×"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <input
                    type="hidden"
                    name=name.clone()
                    prop:value=move || tags.get().join("\n")
                    value=builder.tags(&name).join("\n")
                />
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
