//! Account pages: sign-up, sign-in, settings (API tokens), and the user menu in the header.

use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    view! { <h1>"Sign in"</h1> }
}

#[component]
pub fn SignUp() -> impl IntoView {
    view! { <h1>"Create your account"</h1> }
}

#[component]
pub fn Settings() -> impl IntoView {
    view! { <h1>"Settings"</h1> }
}

/// The signed-in user's name and a sign-out button (nothing when signed out).
#[component]
pub fn UserMenu() -> impl IntoView {
    view! { <span></span> }
}
