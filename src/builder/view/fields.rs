//! The form's field controls: a text box, a text area, a select and a tag list, each in a frame
//! with its label, hint and error message.

use super::use_builder;
use crate::builder::form::names;
use leptos::ev::{ClipboardEvent, FocusEvent, KeyboardEvent};
use leptos::prelude::*;
use leptos::tachys::html::attribute::any_attribute::{AnyAttribute, IntoAnyAttribute};

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

/// A text field: its frame around `control`, the `<input>` or `<textarea>` made of the
/// attributes both kinds share (id, name, required, length limit, error state) and the value.
#[component]
fn TextFrame<V: IntoView + 'static>(
    name: String,
    label: String,
    hint: Option<String>,
    required: bool,
    max: Option<usize>,
    control: impl FnOnce(AnyAttribute, String) -> V,
) -> impl IntoView {
    let builder = use_builder();
    let error = builder.error(&name);
    let shared = view! {
        <{..}
            id=name.clone()
            name=name.clone()
            required=required
            maxlength=max.map(|m| m.to_string())
            aria-invalid=move || error.with(Option::is_some).to_string()
            aria-describedby=described_by(&name, hint.is_some())
        />
    };
    let control = control(shared.into_any_attr(), builder.value(&name));
    view! {
        <FieldFrame name label hint required error>
            {control}
        </FieldFrame>
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
    #[prop(default = None)] max_value: Option<&'static str>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    let control = move |shared: AnyAttribute, value: String| {
        view! { <input {..shared} type=kind list=list value=value min=min max=max_value /> }
    };
    view! { <TextFrame name label hint required max control /> }
}

#[component]
pub(super) fn TextArea(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] required: bool,
    max: usize,
) -> impl IntoView {
    let control = |shared: AnyAttribute, value: String| {
        view! {
            <textarea {..shared} rows="3">
                {value}
            </textarea>
        }
    };
    view! { <TextFrame name label hint required max=Some(max) control /> }
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

/// An added value as a chip (with `note`, what is odd about it), and a button that removes it.
#[component]
pub(super) fn Tag(
    label: String,
    #[prop(default = None)] note: Option<String>,
    on_remove: impl Fn() + 'static,
) -> impl IntoView {
    let remove_label = format!("Remove {label}");
    let unknown = note.is_some();
    view! {
        <li class="tag" class:tag-unknown=unknown>
            <span>{label}</span>
            {note.map(|note| view! { <span class="tag-note">{note}</span> })}
            <button
                type="button"
                class="tag-remove"
                aria-label=remove_label
                on:click=move |_| on_remove()
            >
                "×"
            </button>
        </li>
    }
}

/// `text` compared ignoring case and accents, as the server's `store::fold` does: in the browser
/// by the browser (`normalize`, `toLowerCase`), so Unicode's tables stay out of the bundle.
fn fold(text: &str) -> String {
    #[cfg(feature = "ssr")]
    return crate::store::fold(text);
    #[cfg(not(feature = "ssr"))]
    {
        let marks = js_sys::RegExp::new("\\p{M}", "gu");
        js_sys::JsString::from(text)
            .normalize("NFKD")
            .replace_by_pattern(&marks, "")
            .to_lower_case()
            .into()
    }
}

/// The value of vocabulary `vocabulary` that `typed` names (its value, code or an alias, ignoring
/// case and accents): on the server from the vocabulary, in the browser from the page's
/// `<datalist>` of it (values, with codes and aliases in their labels).
fn known_term(vocabulary: &str, typed: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    return crate::vocabularies::Vocabulary::parse(vocabulary)
        .and_then(|v| v.resolve(typed))
        .map(|term| term.value.clone());
    #[cfg(not(feature = "ssr"))]
    {
        use wasm_bindgen::JsCast;
        let key = fold(typed.trim());
        let options = document()
            .query_selector_all(&format!("#vocabulary-{vocabulary} option"))
            .ok()?;
        (0..options.length())
            .filter_map(|i| options.item(i)?.dyn_into::<web_sys::Element>().ok())
            .find_map(|option| {
                let value = option.get_attribute("value")?;
                let label = option.get_attribute("label").unwrap_or_default();
                std::iter::once(value.as_str())
                    .chain(label.split(names::LABEL_SEPARATOR))
                    .any(|name| fold(name) == key)
                    .then_some(value)
            })
    }
}

/// What a typed or pasted text adds to `tags`: split at line breaks, tabs, commas and semicolons
/// (a column pasted from a spreadsheet is one value per line), each a vocabulary's value when it
/// names one, and none that folds to a value already there.
fn additions(tags: &[String], typed: &str, vocabulary: Option<&str>) -> Vec<String> {
    let mut seen: Vec<String> = tags.iter().map(|t| fold(t)).collect();
    let mut new = Vec::new();
    for piece in typed.split(['\n', '\r', '\t', ',', ';']).map(str::trim) {
        if piece.is_empty() {
            continue;
        }
        let value = vocabulary
            .and_then(|v| known_term(v, piece))
            .unwrap_or_else(|| piece.to_owned());
        let key = fold(&value);
        if !seen.contains(&key) {
            seen.push(key);
            new.push(value);
        }
    }
    new
}

/// A list input: committed tags as chips (kept, one per line, in a hidden field) and a box where
/// Enter, a comma or a semicolon adds what was typed, and a pasted list adds each of its lines.
/// Lists with a vocabulary suggest its values as you type (a `<datalist>`: the browser's own
/// combobox), turn a code or alias into its value ("Schweiz" → "Switzerland"), and mark a value
/// the vocabulary does not know, keeping it. Without JavaScript the box takes comma-separated
/// text.
#[component]
pub(super) fn TagInput(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    /// The vocabulary the values come from, and what a value is called.
    #[prop(default = None)]
    vocabulary: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let builder = use_builder();
    let input_name = names::new_tag(&name);
    let error = builder.error(&input_name);
    let tags = RwSignal::new(builder.tags(&name));
    let refresh = builder.refresh;
    let add = move |input: &web_sys::HtmlInputElement, text: &str| {
        let new = tags.with_untracked(|t| additions(t, text, vocabulary.map(|(v, _)| v)));
        input.set_value("");
        if !new.is_empty() && tags.try_update(|t| t.extend(new)).is_some() {
            refresh.run(());
        }
    };
    let commit = move |input: &web_sys::HtmlInputElement| add(input, &input.value());
    let on_keydown = move |ev: KeyboardEvent| {
        if matches!(ev.key().as_str(), "Enter" | "," | ";") {
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
    // A single-line box would join a pasted column's lines into one value.
    let on_paste = move |ev: ClipboardEvent| {
        let pasted = ev
            .clipboard_data()
            .and_then(|data| data.get_data("text").ok());
        if let Some(pasted) = pasted.filter(|p| p.contains(['\n', '\t', ',', ';'])) {
            ev.prevent_default();
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            add(&input, &format!("{}\n{pasted}", input.value()));
        }
    };
    let on_blur = move |ev: FocusEvent| commit(&event_target::<web_sys::HtmlInputElement>(&ev));
    let list = vocabulary.map(|(v, _)| format!("vocabulary-{v}"));
    let regions = list.as_deref() == Some(super::regions::REGIONS_LIST);
    let tags_name = name.clone();
    let on_focus = move |_: FocusEvent| {
        if regions {
            super::regions::offer_regions(&tags_name);
        }
    };
    let unknown = move |tag: &str| {
        let (vocabulary, noun) = vocabulary?;
        known_term(vocabulary, tag)
            .is_none()
            .then(|| format!("not a known {noun}"))
    };
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
                                let note = unknown(&tag);
                                let on_remove = move || {
                                    tags.update(|t| {
                                        if index < t.len() {
                                            t.remove(index);
                                        }
                                    });
                                    refresh.run(());
                                };
                                view! { <Tag label=tag note on_remove /> }
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
                    list=list
                    on:keydown=on_keydown
                    on:paste=on_paste
                    on:blur=on_blur
                    on:focus=on_focus
                />
            </div>
            <FieldMessage name=input_name.clone() error=error />
        </div>
    }
}
