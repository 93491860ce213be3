//! The live preview of the API body, with a button that copies it as a curl command.

use leptos::prelude::*;

/// `body` indented by two spaces. In the browser the browser does it (`JSON.stringify`), so a
/// second, pretty JSON writer stays out of the bundle; the server writes the same.
fn pretty(body: &serde_json::Value) -> String {
    #[cfg(feature = "ssr")]
    return serde_json::to_string_pretty(body).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    {
        let value = js_sys::JSON::parse(&body.to_string()).unwrap_or_default();
        let two = wasm_bindgen::JsValue::from_f64(2.0);
        js_sys::JSON::stringify_with_replacer_and_space(&value, &wasm_bindgen::JsValue::NULL, &two)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default()
    }
}

/// The curl command that sends `body` to the API.
pub fn curl_command(origin: &str, body: &str) -> String {
    format!(
        "curl -X POST '{origin}/api/v1/entities/icps' \\\n  -H \"Authorization: Bearer $ICP_TOKEN\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{}'",
        body.replace('\'', "'\\''")
    )
}

#[component]
pub(super) fn JsonPreview(preview: RwSignal<serde_json::Value>) -> impl IntoView {
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
                <button type="button" class="button" on:click=copy>
                    "Copy as curl"
                </button>
            </div>
            <p class="hint">"Exactly what the API receives for this ICP."</p>
            <p class="copy-status" role="status">
                {move || status.get()}
            </p>
            <pre class="json" tabindex="0" aria-label="API request body">
                <code>{move || preview.with(pretty)}</code>
            </pre>
        </aside>
    }
}
