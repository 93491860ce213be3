//! The page shell, the routes and the layout.

use crate::pages::account::{SignIn, SignUp, UserMenu};
use crate::pages::audit::AuditLog;
use crate::pages::builder_page::{EditIcp, NewIcp};
use crate::pages::history::{IcpHistory, RecentlyDeleted};
use crate::pages::icp_list::IcpList;
use crate::pages::icps::IcpDetail;
use crate::pages::import::ImportIcps;
use crate::pages::invitation::InvitationPage;
use crate::pages::recovery::{ConfirmEmail, ForgotPassword, ResetPassword};
use crate::pages::settings::Settings;
use crate::pages::team::TeamSettings;
use crate::pages::webhooks::WebhookSettings;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The bundle's two files (`/pkg/NAME.HASH.js`, `/pkg/NAME.HASH.wasm`), named from the build's hash
/// list (`hash.txt` beside the binary: `js: HASH`, `wasm: HASH`) when file hashing is on.
fn bundle_paths(options: &LeptosOptions, hashes: &str) -> (String, String) {
    let hash_of = |kind: &str| {
        hashes.lines().find_map(|line| {
            let (name, hash) = line.split_once(':')?;
            (name.trim() == kind).then(|| format!(".{}", hash.trim()))
        })
    };
    let (name, pkg) = (&options.output_name, &options.site_pkg_dir);
    let js = hash_of("js").unwrap_or_default();
    // Unhashed, the WASM keeps wasm-bindgen's `_bg` name unless cargo-leptos named the build.
    let wasm = hash_of("wasm").unwrap_or_else(|| match option_env!("LEPTOS_OUTPUT_NAME") {
        Some(_) => String::new(),
        None => "_bg".to_owned(),
    });
    (
        format!("/{pkg}/{name}{js}.js"),
        format!("/{pkg}/{name}{wasm}.wasm"),
    )
}

/// The stylesheet's path (`/pkg/NAME.HASH.css` with hashed names), for pages made outside Leptos
/// (the answers of the no-JavaScript forms).
pub fn stylesheet_path(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let exe = std::env::current_exe().ok()?;
            let hashes =
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()?;
            hashes.lines().find_map(|line| {
                let (name, hash) = line.split_once(':')?;
                (name.trim() == "css").then(|| format!(".{}", hash.trim()))
            })
        })
        .flatten()
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

/// [`bundle_paths`] of this build, its hash list read once.
fn bundle_files(options: &LeptosOptions) -> &'static (String, String) {
    static FILES: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let hashes = options.hash_files.then(|| {
            let exe = std::env::current_exe().ok()?;
            std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()
        });
        bundle_paths(options, &hashes.flatten().unwrap_or_default())
    })
}

/// The two scripts that start the bundle: a classic one, first in the head, fetches and compiles
/// the WASM (on the browser's compiler threads, while the page is parsed and laid out); the module
/// one runs once the page is parsed, instantiates that module and hydrates the page's islands.
/// Where streaming compilation fails the module is fetched by name instead. The marks time each
/// step for `performance.getEntriesByType("mark")`.
fn island_scripts(js: &str, wasm: &str) -> (String, String) {
    let compile = format!(
        "window.__icpWasm = WebAssembly.compileStreaming \
         ? WebAssembly.compileStreaming(fetch({wasm:?})).catch(() => {wasm:?}) : {wasm:?};"
    );
    let hydrate = format!(
        "import init, * as bundle from {js:?};\n\
         performance.mark(\"bundle-evaluated\");\n\
         await init({{ module_or_path: await window.__icpWasm }});\n\
         performance.mark(\"bundle-instantiated\");\n\
         bundle.hydrate();\n\
         for (const island of document.querySelectorAll(\"leptos-island\")) {{\n\
           bundle[island.dataset.component]?.(island);\n\
         }}\n\
         performance.mark(\"islands-hydrated\");"
    );
    (compile, hydrate)
}

/// Leptos's `HydrationScripts` for islands, but without waiting: its script waits for the browser
/// to be idle after the first paint, and only then fetches and compiles the WASM (measured: the
/// builder hydrated ~30 ms later on a cold load, BENCHMARKS.md).
#[component]
fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    let (js, wasm) = bundle_files(&options);
    let (compile, hydrate) = island_scripts(js, wasm);
    let nonce = leptos::nonce::use_nonce();
    // As `HydrationScripts` does: islands, not the whole page, hydrate.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    view! {
        <script nonce=nonce.clone()>{compile}</script>
        <script type="module" nonce=nonce>
            {hydrate}
        </script>
    }
}

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // No favicon to fetch (and no 404 for it in every page's console).
                <link rel="icon" href="data:," />
                // First, so that the bundle's download and compilation start before the stylesheet's.
                <IslandScripts options=options.clone() />
                // The hashed names from the build's hash.txt when hash-files is on (release).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document's title for a page's `<Title text>`. Escaped here: leptos_meta writes the title
/// into the server's HTML as it is, so a name holding `</title><script>` would end the element
/// (no page of this app sets its title in the browser, so the text is only ever HTML).
fn page_title(page: String) -> String {
    if page.is_empty() {
        return "ICP Builder".to_owned();
    }
    let mut escaped = String::with_capacity(page.len() + 16);
    for c in page.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped + " · ICP Builder"
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title formatter=page_title />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <header class="topbar">
                <a class="brand" href="/icps">
                    "ICP Builder"
                </a>
                <nav aria-label="Main">
                    <UserMenu />
                </nav>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/sign-in") view=SignIn />
                    <Route path=path!("/sign-up") view=SignUp />
                    <Route path=path!("/forgot-password") view=ForgotPassword />
                    <Route path=path!("/reset-password/:token") view=ResetPassword />
                    <Route path=path!("/confirm-email/:token") view=ConfirmEmail />
                    <Route path=path!("/settings") view=Settings ssr=SsrMode::Async />
                    <Route path=path!("/settings/team") view=TeamSettings ssr=SsrMode::Async />
                    <Route path=path!("/settings/audit") view=AuditLog ssr=SsrMode::Async />
                    <Route
                        path=path!("/settings/webhooks")
                        view=WebhookSettings
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/invite/:token") view=InvitationPage ssr=SsrMode::Async />
                    // Async: the status (403/404) is known before the first byte is sent.
                    <Route path=path!("/icps") view=IcpList ssr=SsrMode::Async />
                    <Route path=path!("/icps/new") view=NewIcp ssr=SsrMode::Async />
                    <Route path=path!("/icps/deleted") view=RecentlyDeleted ssr=SsrMode::Async />
                    <Route path=path!("/icps/import") view=ImportIcps />
                    <Route path=path!("/icps/:id/history") view=IcpHistory ssr=SsrMode::Async />
                    <Route path=path!("/icps/:id") view=IcpDetail ssr=SsrMode::Async />
                    <Route path=path!("/icps/:id/edit") view=EditIcp ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. " <a href="/icps">"Go to your ICPs"</a></p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_is_named_by_the_builds_hash_list() {
        let options = LeptosOptions::builder().output_name("icp-builder").build();
        let hashes =
            "js: 43-M7DqPjTaLmA_laGccTw\nwasm: O5HAdHV6r4nNv0gSIHl55g\ncss: s5eBZibxD5Tt4q\n";
        assert_eq!(
            bundle_paths(&options, hashes),
            (
                "/pkg/icp-builder.43-M7DqPjTaLmA_laGccTw.js".to_owned(),
                "/pkg/icp-builder.O5HAdHV6r4nNv0gSIHl55g.wasm".to_owned()
            )
        );
        // Unhashed (debug builds, tests): the plain names.
        let (js, wasm) = bundle_paths(&options, "");
        assert_eq!(js, "/pkg/icp-builder.js");
        assert!(
            wasm == "/pkg/icp-builder.wasm" || wasm == "/pkg/icp-builder_bg.wasm",
            "{wasm}"
        );
    }

    #[test]
    fn the_scripts_compile_the_wasm_first_then_hydrate_the_islands_with_it() {
        let (compile, hydrate) = island_scripts("/pkg/a.1.js", "/pkg/a.2.wasm");
        assert!(
            compile.contains(r#"WebAssembly.compileStreaming(fetch("/pkg/a.2.wasm"))"#),
            "{compile}"
        );
        assert!(
            compile.contains(r#".catch(() => "/pkg/a.2.wasm")"#),
            "{compile}"
        );
        assert!(
            hydrate.starts_with(r#"import init, * as bundle from "/pkg/a.1.js";"#),
            "{hydrate}"
        );
        let order = [
            "await window.__icpWasm",
            "bundle.hydrate()",
            "island.dataset.component",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|part| hydrate.find(part).unwrap_or(usize::MAX))
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]) && at[2] != usize::MAX,
            "{hydrate}"
        );
    }
}
