//! Blocks the ICP and settings pages are built of: a titled panel, a table (and one of things listed
//! with an action each (tokens, members, invitations), a fact of a definition list, a list filter's
//! choice, a form post with its submit button, a one-button post, a list's pager.

use leptos::prelude::*;

/// A table with a hidden `caption`, a header per name in `columns` and a last column of actions
/// (named for screen readers only); `children` are its rows. When there are none, `empty` says so
/// instead of the table.
#[component]
pub fn ActionTable(
    caption: &'static str,
    columns: &'static [&'static str],
    #[prop(default = None)] empty: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    if let Some(empty) = empty {
        return view! { <p>{empty}</p> }.into_any();
    }
    let head = view! {
        {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
        <th scope="col">
            <span class="visually-hidden">"Actions"</span>
        </th>
    };
    view! {
        <Table class="table" caption head>
            {children()}
        </Table>
    }
    .into_any()
}

/// A table of `class` with a hidden `caption`, the header cells `head` and its rows (`children`);
/// when there are none, `empty` says so instead (`<p class="meta">`).
#[component]
pub fn Table(
    class: &'static str,
    caption: &'static str,
    head: impl IntoView + 'static,
    #[prop(default = None)] empty: Option<AnyView>,
    children: Children,
) -> impl IntoView {
    if let Some(empty) = empty {
        return view! { <p class="meta">{empty}</p> }.into_any();
    }
    view! {
        <table class=class>
            <caption class="visually-hidden">{caption}</caption>
            <thead>
                <tr>{head}</tr>
            </thead>
            <tbody>{children()}</tbody>
        </table>
    }
    .into_any()
}

/// A panel of the page: a section titled `title`, named by its heading (`id`).
#[component]
pub fn Panel(id: &'static str, #[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            {children()}
        </section>
    }
}

/// One fact of a definition list (`<dl class="facts">`): its `label`, then the fact (`children`).
#[component]
pub fn Fact(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <dt>{label}</dt>
        <dd>{children()}</dd>
    }
}

/// A labelled choice that narrows a list: an empty option first (`none`, e.g. "Anyone"), then
/// `options` as (value, words), the one whose value is `chosen` selected.
#[component]
pub fn FilterChoice(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    none: &'static str,
    options: Vec<(String, String)>,
    chosen: Option<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id name=name>
            <option value="" selected=chosen.is_none()>
                {none}
            </option>
            {options
                .into_iter()
                .map(|(value, words)| {
                    let selected = chosen.as_deref() == Some(value.as_str());
                    view! {
                        <option value=value selected=selected>
                            {words}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A form posting to `action`: its fields (`children`), then its submit button (classed `class`)
/// saying `submit`.
#[component]
pub fn PostForm(
    #[prop(into)] action: String,
    submit: &'static str,
    #[prop(default = "button")] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=action>
            {children()}
            <button type="submit" class=class>
                {submit}
            </button>
        </form>
    }
}

/// A form that is one button posting to `action` (classed `class`; `inline`: the form stands in a
/// line of text); `children` are the button's words.
#[component]
pub fn ButtonForm(
    #[prop(into)] action: String,
    #[prop(default = "button")] class: &'static str,
    #[prop(optional)] inline: bool,
    children: Children,
) -> impl IntoView {
    let button = view! {
        <button type="submit" class=class>
            {children()}
        </button>
    };
    // A form without a class has no class attribute (an absent one would still write `class=""`).
    if inline {
        view! {
            <form method="post" action=action class="inline-form">
                {button}
            </form>
        }
        .into_any()
    } else {
        view! {
            <form method="post" action=action>
                {button}
            </form>
        }
        .into_any()
    }
}

/// Links to more of a list, named `label` for screen readers: `back` to its start and `next` to
/// the following page, each (where, in which words) when there is one; nothing when neither is.
#[component]
pub fn Pager(
    label: &'static str,
    back: Option<(String, &'static str)>,
    next: Option<(String, &'static str)>,
) -> impl IntoView {
    (back.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                {back.map(|(href, text)| view! { <a href=href>{text}</a> })}
                {next
                    .map(|(href, text)| {
                        view! {
                            <a href=href rel="next">
                                {text}
                            </a>
                        }
                    })}
            </nav>
        }
    })
}
