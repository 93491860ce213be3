//! What every part of one builder shares (`Builder`, in the context), and reading its form.

use crate::builder::form::{FormError, Pairs};
use leptos::prelude::*;
use std::collections::HashMap;

/// Shared by every field of one builder.
#[derive(Clone, Copy)]
pub(super) struct Builder {
    /// The starting value of each field (the first, when a name was posted twice), indexed once:
    /// rendering a form costs the same per field however many fields were posted.
    pub(super) initial: StoredValue<HashMap<String, String>>,
    pub(super) errors: RwSignal<Vec<FormError>>,
    /// The message shown at each field (the first error for it), indexed once per change of the
    /// errors: a field finds its own in constant time.
    pub(super) errors_by_field: Memo<HashMap<String, String>>,
    /// Re-checks the form once edits pause.
    pub(super) refresh: Callback<()>,
    /// The key the next added row gets.
    pub(super) next_key: StoredValue<u32>,
}

impl Builder {
    pub(super) fn value(&self, name: &str) -> String {
        self.initial
            .with_value(|values| values.get(name).cloned())
            .unwrap_or_default()
    }

    /// A key for a new row, never used before in this builder.
    pub(super) fn take_key(&self) -> u32 {
        let key = self.next_key.get_value();
        self.next_key.set_value(key.wrapping_add(1));
        key
    }

    pub(super) fn tags(&self, name: &str) -> Vec<String> {
        self.value(name)
            .split('\n')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The error shown at `field`: a memo, so a change of the form's errors updates only the
    /// fields whose message changes.
    pub(super) fn error(&self, field: &str) -> Signal<Option<String>> {
        let errors = self.errors_by_field;
        let field = field.to_owned();
        Memo::new(move |_| errors.with(|all| all.get(&field).cloned())).into()
    }
}

pub(super) fn index_by_field(errors: &[FormError]) -> HashMap<String, String> {
    let mut index = HashMap::with_capacity(errors.len());
    for error in errors {
        if let Some(field) = &error.field {
            index
                .entry(field.clone())
                .or_insert_with(|| error.message.clone());
        }
    }
    index
}

pub(super) fn first_values(pairs: &Pairs) -> HashMap<String, String> {
    let mut values = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        values.entry(name.clone()).or_insert_with(|| value.clone());
    }
    values
}

pub(super) fn use_builder() -> Builder {
    expect_context::<Builder>()
}

/// Reads a form's fields as the browser would submit them.
pub(super) fn read_form(form: &web_sys::HtmlFormElement) -> Pairs {
    let mut pairs = Vec::new();
    let Ok(data) = web_sys::FormData::new_with_form(form) else {
        return pairs;
    };
    if let Ok(Some(entries)) = js_sys::try_iter(&data) {
        for entry in entries.flatten() {
            let entry = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (entry.get(0).as_string(), entry.get(1).as_string())
            {
                pairs.push((name, value));
            }
        }
    }
    pairs
}
