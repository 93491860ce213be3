//! The regions a row's "States or regions" box suggests: those of the row's countries, fetched
//! from the server as the options of the page's one regions `<datalist>` when the box is
//! focused (ISO 3166-2 has 5,000+ regions: neither the page nor the bundle holds them all).

use crate::builder::form::names::lead::REGION_OPTIONS;

/// The id of the page's regions `<datalist>` (see `pages::builder_page::VocabularyLists`).
pub(super) const REGIONS_LIST: &str = "vocabulary-regions";

/// The URL of the regions of `countries` (one per line, as the row's hidden field holds them);
/// `None` when there are none.
#[cfg_attr(feature = "ssr", allow(dead_code))]
fn options_url(countries: &str, encode: fn(&str) -> String) -> Option<String> {
    let query: Vec<String> = countries
        .lines()
        .map(str::trim)
        .filter(|country| !country.is_empty())
        .map(|country| format!("country={}", encode(country)))
        .collect();
    (!query.is_empty()).then(|| format!("{REGION_OPTIONS}?{}", query.join("&")))
}

/// Fills the regions list with the regions of the countries in the row of the field `name`
/// (`lead.3.state` → `lead.3.country`), unless it holds them already; empties it when the row has
/// no country.
pub(super) fn offer_regions(name: &str) {
    #[cfg(not(feature = "ssr"))]
    {
        use leptos::prelude::{document, window};
        use leptos::wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let Some((row, _)) = name.rsplit_once('.') else {
            return;
        };
        let countries = document()
            .get_elements_by_name(&format!("{row}.country"))
            .item(0)
            .and_then(|field| field.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|field| field.value())
            .unwrap_or_default();
        let Some(list) = document().get_element_by_id(REGIONS_LIST) else {
            return;
        };
        let encode = |text: &str| String::from(js_sys::encode_uri_component(text));
        let Some(url) = options_url(&countries, encode) else {
            let _ = list.remove_attribute("data-for");
            list.set_inner_html("");
            return;
        };
        if list.get_attribute("data-for").as_deref() == Some(url.as_str()) {
            return;
        }
        let _ = list.set_attribute("data-for", &url);
        leptos::task::spawn_local(async move {
            let answer = match JsFuture::from(window().fetch_with_str(&url)).await {
                Ok(answer) => answer.unchecked_into::<web_sys::Response>(),
                Err(_) => return,
            };
            let Ok(text) = answer.text() else { return };
            let text = JsFuture::from(text).await.ok().and_then(|t| t.as_string());
            // Still the list of these countries (focus may have moved to another row meanwhile).
            if let Some(text) = text.filter(|_| answer.ok()) {
                if list.get_attribute("data-for").as_deref() == Some(url.as_str()) {
                    list.set_inner_html(&text);
                }
            }
        });
    }
    #[cfg(feature = "ssr")]
    let _ = name;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rows_countries_make_one_url() {
        let encode = |text: &str| text.replace(' ', "%20");
        assert_eq!(
            options_url("Switzerland\n United Kingdom \n\n", encode).as_deref(),
            Some("/vocabularies/regions?country=Switzerland&country=United%20Kingdom")
        );
        assert_eq!(options_url("\n ", encode), None);
    }
}
