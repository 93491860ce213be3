//! The page shell, the routes and the layout.

use crate::pages::account::{SignIn, SignUp, UserMenu};
use crate::pages::history::{IcpHistory, RecentlyDeleted};
use crate::pages::icp_list::IcpList;
use crate::pages::icps::{EditIcp, IcpDetail, NewIcp};
use crate::pages::import::ImportIcps;
use crate::pages::invitation::InvitationPage;
use crate::pages::settings::Settings;
use crate::pages::team::TeamSettings;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

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
                // The hashed names from the build's hash.txt when hash-files is on (release).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
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

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() {
                "ICP Builder".to_owned()
            } else {
                format!("{page} · ICP Builder")
            }
        } />
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
                    <Route path=path!("/settings") view=Settings ssr=SsrMode::Async />
                    <Route path=path!("/settings/team") view=TeamSettings ssr=SsrMode::Async />
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
