//! What the builder starts from, and how it gets there: the server writes it as JSON beside the
//! island (`BuilderStart`) and the island reads it back by hand (`BuilderInit::given`).

use super::picker::Teammate;
use crate::builder::form::{FormError, Pairs};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the builder starts from: the fields' values, any errors to show, and who is building.
/// The page holds it as JSON (`BuilderStart`) beside the island, which reads it from there (an
/// island's props would be read through serde's typed path: see `domain::read_json`; its
/// `Deserialize` serves the server function that gives it, which only the server calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuilderInit {
    pub pairs: Pairs,
    pub errors: Vec<FormError>,
    /// The signed-in user, always among the ICP's users.
    pub creator: Teammate,
    /// The other members of the workspace, for "Share with teammates".
    #[serde(default)]
    pub teammates: Vec<Teammate>,
    /// The ICP being edited; `None` for a new one.
    pub editing: Option<String>,
}

/// The id of the page's `<script type="application/json">` that holds the builder's start.
const START_ID: &str = "builder-start";

impl BuilderInit {
    /// Read by hand (see `domain::read_json`).
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        use crate::domain::read_json::{field, list, optional, string};
        let pair = |value: &serde_json::Value| match value.as_array()?.as_slice() {
            [name, value] => Some((string(name)?, string(value)?)),
            _ => None,
        };
        Some(Self {
            pairs: list(field(value, "pairs")?, pair)?,
            errors: list(field(value, "errors")?, FormError::from_json)?,
            creator: Teammate::from_json(field(value, "creator")?)?,
            teammates: list(field(value, "teammates")?, Teammate::from_json)?,
            editing: optional(field(value, "editing"), string)?,
        })
    }

    /// The start the page gave the builder: on the server the page's context (`BuilderStart`
    /// provides it), in the browser the page's JSON of it.
    pub(super) fn given() -> Self {
        #[cfg(feature = "ssr")]
        return expect_context::<BuilderInit>();
        #[cfg(not(feature = "ssr"))]
        {
            let text = document()
                .get_element_by_id(START_ID)
                .and_then(|script| script.text_content())
                .unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .as_ref()
                .and_then(Self::from_json)
                .expect("the builder's page holds its start")
        }
    }
}

/// The builder's start on the page, as JSON in a `<script>` the island reads as it hydrates; and,
/// for the island's render on the server, in the context. Put it before `<IcpBuilder />`.
#[component]
pub fn BuilderStart(init: BuilderInit) -> impl IntoView {
    // `<` escaped, so no text in it can end the script (or open a comment).
    let json = serde_json::to_string(&init)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    provide_context(init);
    // Data, never run; it carries the page's nonce as every script of the page does.
    let nonce = leptos::nonce::use_nonce();
    view! { <script type="application/json" id=START_ID nonce=nonce inner_html=json></script> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::form::Section;

    #[test]
    fn the_start_reads_back_from_its_json() {
        let person = |n: &str| Teammate {
            id: format!("user_{n}"),
            name: n.to_owned(),
            email: format!("{n}@example.com"),
        };
        let init = BuilderInit {
            pairs: vec![("name".into(), "DACH </script> <!--".into())],
            errors: vec![FormError {
                field: Some("lead.0.type".into()),
                section: Some(Section::Conditions),
                place: "Condition 1".into(),
                message: "m".into(),
            }],
            creator: person("ana"),
            teammates: vec![person("bo")],
            editing: None,
        };
        let written = serde_json::to_value(&init).unwrap();
        assert_eq!(BuilderInit::from_json(&written), Some(init.clone()));
        let edited = BuilderInit {
            editing: Some("0192".into()),
            errors: vec![],
            ..init
        };
        let written = serde_json::to_value(&edited).unwrap();
        assert_eq!(BuilderInit::from_json(&written), Some(edited));
        assert_eq!(
            BuilderInit::from_json(&serde_json::json!({"pairs": [["a"]]})),
            None
        );
    }
}
