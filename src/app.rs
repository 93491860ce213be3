//! The page shell, the routes and the layout.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page as interactive, so tests (and people) know when clicks will be handled.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/icp-builder.css" />
        <Title text="ICP Builder" />
        <Router>
            <main>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=StaticSegment("") view=Home />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! {
        <h1>"ICP Builder"</h1>
        <p>
            "Define who to target for lead generation. Integrations create ICPs through the "
            <a href="/api/openapi.json">"JSON API"</a> "."
        </p>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p><a href="/">"Back to the start"</a></p>
    }
}
