//! Reading JSON that our own server wrote, by hand from a `serde_json::Value`, for the browser.
//!
//! Why not `Deserialize`: serde's typed readers report a value of the wrong type with its text,
//! and the text of a number with a fraction is core's float printing (~14 KB of the WASM bundle),
//! linked in by any typed read. Reading a `Value` (`serde_json::from_str::<Value>`) accepts every
//! JSON value and prints none, so the builder reads its start and the save's answer this way; each
//! reader has a unit test against the type's own `Serialize`.

use serde_json::Value;

/// `key` of an object.
pub fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object.as_object()?.get(key)
}

/// A string, owned.
pub fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// A string field of an object.
pub fn string_at(object: &Value, key: &str) -> Option<String> {
    field(object, key).and_then(string)
}

/// An optional field: missing or `null` is `Some(None)`; a value `read` cannot read is `None`.
pub fn optional<T>(value: Option<&Value>, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(value) => read(value).map(Some),
    }
}

/// An array whose every item `read` reads.
pub fn list<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    value.as_array()?.iter().map(read).collect()
}

/// A serde enum variant as serde writes it by default: a unit variant is its name, any other an
/// object of one key, its name, holding its content. Gives the name and the content (`Null` for a
/// unit variant).
pub fn variant(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::String(name) => Some((name, &Value::Null)),
        Value::Object(object) if object.len() == 1 => {
            object.iter().next().map(|(k, v)| (k.as_str(), v))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_optional_fields_lists_and_variants() {
        let object = json!({"a": "x", "n": null, "l": ["p", "q"], "bad": [1]});
        assert_eq!(string_at(&object, "a").as_deref(), Some("x"));
        assert_eq!(optional(field(&object, "n"), string), Some(None));
        assert_eq!(optional(field(&object, "missing"), string), Some(None));
        assert_eq!(
            optional(field(&object, "a"), string),
            Some(Some("x".into()))
        );
        assert_eq!(optional(field(&object, "l"), string), None);
        assert_eq!(
            list(&object["l"], string),
            Some(vec!["p".into(), "q".into()])
        );
        assert_eq!(list(&object["bad"], string), None);
        assert_eq!(variant(&json!("Server")), Some(("Server", &Value::Null)));
        assert_eq!(
            variant(&json!({"NotFound": "x"})),
            Some(("NotFound", &json!("x")))
        );
        assert_eq!(variant(&json!({"a": 1, "b": 2})), None);
    }
}
