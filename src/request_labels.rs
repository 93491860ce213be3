//! What the inner parts of the app learn about a request for its log line and metrics
//! (`server::observe`): routing its route template, authentication its user. A leaf module, so
//! the parts that note things need not depend on the server.
#![cfg(feature = "ssr")]

use std::sync::{Arc, OnceLock};

/// What the inner parts learned about a request.
#[derive(Clone, Default)]
pub struct RequestLabels(Arc<RequestLabelsInner>);

#[derive(Default)]
struct RequestLabelsInner {
    route: OnceLock<String>,
    user: OnceLock<String>,
}

impl RequestLabels {
    pub fn route(&self, route: &str) {
        let _ = self.0.route.set(route.to_owned());
    }

    pub fn user(&self, user: &str) {
        let _ = self.0.user.set(user.to_owned());
    }

    pub fn route_template(&self) -> Option<&str> {
        self.0.route.get().map(String::as_str)
    }

    pub fn user_id(&self) -> Option<&str> {
        self.0.user.get().map(String::as_str)
    }
}

/// Notes who the request is from, when it carries `RequestLabels` (every request the app serves does).
pub fn note_user(extensions: &axum::http::Extensions, user: &crate::domain::UserId) {
    if let Some(notes) = extensions.get::<RequestLabels>() {
        notes.user(user.as_str());
    }
}
