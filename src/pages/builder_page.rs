//! The builder's pages (`/icps/new`, `/icps/{id}/edit`): the heading naming the ICP, Cancel, the
//! vocabularies the builder suggests from, and the builder island, loaded unless a plain post
//! brought the form back.

use super::loaded::Problem;
use crate::builder::save::builder_start;
use crate::builder::view::{BuilderInit, BuilderStart, IcpBuilder};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The form state a plain (no-JavaScript) post sends back, with its errors; rendered instead of
/// loading the ICP afresh.
#[derive(Debug, Clone)]
pub struct Resubmission(pub BuilderInit);

/// The builder page's heading, naming the ICP being edited ("Edit “DACH Tech”"), and Cancel: back
/// to the ICP, or to the list for a new one.
fn builder_head(title: &'static str, init: &BuilderInit) -> impl IntoView {
    let text = match &init.editing {
        Some(_) => {
            let name = init
                .pairs
                .iter()
                .find(|(key, _)| key == crate::builder::form::names::NAME)
                .map_or("ICP", |(_, name)| name.as_str());
            format!("Edit “{name}”")
        }
        None => title.to_owned(),
    };
    let back = init
        .editing
        .as_ref()
        .map_or_else(|| "/icps".to_owned(), |id| format!("/icps/{id}"));
    view! {
        <Title text=text.clone() />
        <div class="page-head">
            <h1>{text}</h1>
            <div class="actions">
                <a class="button" href=back>
                    "Cancel"
                </a>
            </div>
        </div>
    }
}

/// The builder page around its form: loads where to start unless a plain post brought it back.
#[component]
fn BuilderPage(title: &'static str, edit: bool) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let resubmitted = use_context::<Resubmission>();
    let start = Resource::new(
        move || {
            let edit = edit.then(|| params.with(|p| p.get("id"))).flatten();
            (edit, query.with(|q| q.get("from")))
        },
        |(edit, from)| builder_start(edit, from),
    );
    let builder = move |init: BuilderInit| {
        view! {
            {builder_head(title, &init)}
            <BuilderStart init=init />
            <IcpBuilder />
        }
    };
    view! {
        <VocabularyLists />
        <ConditionFieldLists />
        {match resubmitted {
            Some(Resubmission(init)) => builder(init).into_any(),
            None => {
                view! {
                    <Suspense fallback=move || {
                        view! {
                            <h1>{title}</h1>
                            <p class="loading">"Loading the builder…"</p>
                        }
                    }>
                        {move || Suspend::new(async move {
                            match start.await {
                                Ok(init) => builder(init).into_any(),
                                Err(error) => {
                                    view! {
                                        <Title text=title />
                                        <h1>{title}</h1>
                                        <Problem error=error />
                                    }
                                        .into_any()
                                }
                            }
                        })}
                    </Suspense>
                }
                    .into_any()
            }
        }}
    }
}

/// The vocabularies the builder's lists suggest values from, as `<datalist>`s: on the page,
/// outside the island, so the browser's bundle never holds them. Each option's label holds the
/// term's code and aliases, which the browser matches too ("schw" offers Switzerland). Regions
/// (5,000+) start empty: the builder fills their list with the regions of a row's countries when
/// its "States or regions" box is focused (`region_options`).
#[component]
fn VocabularyLists() -> impl IntoView {
    #[cfg(not(feature = "ssr"))]
    return;
    #[cfg(feature = "ssr")]
    {
        use crate::builder::form::names::lead::VOCABULARIES;
        use crate::vocabularies::Vocabulary;
        VOCABULARIES
            .iter()
            .filter_map(|(_, name, _)| Vocabulary::parse(name))
            .map(|vocabulary| {
                let options = (vocabulary != Vocabulary::Regions)
                    .then(|| term_options(vocabulary.terms()));
                view! { <datalist id=format!("vocabulary-{}", vocabulary.as_str())>{options}</datalist> }
            })
            .collect_view()
    }
}

/// `terms` as a vocabulary `<datalist>`'s options: the value, and its code and aliases in the
/// label.
#[cfg(feature = "ssr")]
fn term_options<'a>(terms: impl Iterator<Item = &'a crate::vocabularies::Term>) -> impl IntoView {
    use crate::builder::form::names::LABEL_SEPARATOR;
    terms
        .map(|term| {
            let label: Vec<&str> = term
                .code
                .iter()
                .chain(&term.aliases)
                .map(String::as_str)
                .collect();
            view! { <option value=term.value.clone() label=label.join(LABEL_SEPARATOR) /> }
        })
        .collect_view()
}

/// The most countries one `region_options` answer covers: a row rarely targets more, and the
/// country with the most regions (Great Britain) has 220, so an answer stays under ~80 KB.
pub const REGION_COUNTRIES: usize = 5;

/// `GET /vocabularies/regions?country=…` (repeated): the regions of those countries (names, codes
/// or aliases; unknown ones and those past `REGION_COUNTRIES` left out) as `<option>`s for the
/// builder's regions `<datalist>`. HTML, so the browser puts it in place without reading it.
#[cfg(feature = "ssr")]
pub async fn region_options(
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> impl axum::response::IntoResponse {
    use crate::vocabularies::Vocabulary;
    use axum::http::header;
    let mut countries: Vec<&str> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let code = (key == "country")
            .then(|| Vocabulary::Countries.resolve(&value))
            .flatten()
            .and_then(|country| country.code.as_deref());
        if let Some(code) = code.filter(|code| !countries.contains(code)) {
            countries.push(code);
            if countries.len() == REGION_COUNTRIES {
                break;
            }
        }
    }
    let regions = Vocabulary::Regions.terms().filter(|region| {
        region
            .country
            .as_deref()
            .is_some_and(|c| countries.contains(&c))
    });
    let html = term_options(regions).to_html();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        html,
    )
}

/// The lead and Bullhorn fields a condition may test, each path named, as the `<datalist>`s the
/// builder's field boxes suggest from; on the server only, like `VocabularyLists`.
#[component]
fn ConditionFieldLists() -> impl IntoView {
    #[cfg(not(feature = "ssr"))]
    return;
    #[cfg(feature = "ssr")]
    {
        use crate::builder::form::names::{CRM_FIELDS_LIST, LEAD_FIELDS_LIST};
        use crate::domain::condition::{CRM_FIELDS, LEAD_FIELDS};
        [
            (LEAD_FIELDS_LIST, &LEAD_FIELDS[..]),
            (CRM_FIELDS_LIST, &CRM_FIELDS[..]),
        ]
        .map(|(id, fields)| {
            let options = fields
                .iter()
                .map(|(path, name)| view! { <option value=*path>{*name}</option> })
                .collect_view();
            view! { <datalist id=id>{options}</datalist> }
        })
        .collect_view()
    }
}

#[component]
pub fn NewIcp() -> impl IntoView {
    view! { <BuilderPage title="New ICP" edit=false /> }
}

#[component]
pub fn EditIcp() -> impl IntoView {
    view! { <BuilderPage title="Edit ICP" edit=true /> }
}
