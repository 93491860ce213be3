//! A JSON text parsed into a `Value` within `Limits::VALUES` and `Limits::DEPTH`, counted while
//! it is parsed, as `shape_of` counts them before parsing (each `[` or `{`, and each item or member
//! after a container's first: its comma): a body is read once instead of scanned, then parsed.
//! Parsing stops at the first value over a limit, so what it holds stays a bounded multiple of the
//! text's size.

use super::{within_limits, FieldError, Shape};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Why a text is not a value.
#[derive(Debug)]
pub enum Unparsed {
    /// Over a limit (the problem `check_shape` would have said).
    Shape(FieldError),
    /// Not JSON.
    Malformed(serde_json::Error),
}

/// `text` as a value, refused as `check_shape` refuses it when it is over a limit.
pub fn parse_within_limits(text: &[u8]) -> Result<Value, Unparsed> {
    // Text that is UTF-8 as a whole (checked at once) is read as a `str`, so serde_json does not
    // check each string again; other bytes go through the slice reader, which says where they break.
    match std::str::from_utf8(text) {
        Ok(text) => parse_from(serde_json::Deserializer::from_str(text)),
        Err(_) => parse_from(serde_json::Deserializer::from_slice(text)),
    }
}

fn parse_from<'de, R: serde_json::de::Read<'de>>(
    mut reader: serde_json::Deserializer<R>,
) -> Result<Value, Unparsed> {
    let mut counted = Counted::default();
    let parsed = Bounded {
        counted: &mut counted,
        depth: 0,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    match (parsed, counted.refused) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some(problem)) => Err(Unparsed::Shape(problem)),
        (Err(error), None) => Err(Unparsed::Malformed(error)),
    }
}

/// What has been counted so far, and the problem once a limit is passed.
#[derive(Default)]
struct Counted {
    shape: Shape,
    refused: Option<FieldError>,
}

impl Counted {
    /// Counts one more value at nesting `depth`; an error (its problem kept) past a limit.
    fn one_more<E: serde::de::Error>(&mut self, depth: usize) -> Result<(), E> {
        self.shape.values += 1;
        self.shape.depth = self.shape.depth.max(depth);
        match within_limits(&self.shape) {
            Ok(()) => Ok(()),
            Err(problem) => {
                self.refused = Some(problem);
                Err(E::custom("over a limit"))
            }
        }
    }
}

/// One value at nesting `depth` (0: the text's own value).
struct Bounded<'c> {
    counted: &'c mut Counted,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        self.top_level_scalar(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        self.top_level_scalar(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        self.top_level_scalar(Value::Number(value.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Value, E> {
        let number = Number::from_f64(value).ok_or_else(|| E::custom("not a finite number"))?;
        self.top_level_scalar(Value::Number(number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        self.top_level_scalar(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        self.top_level_scalar(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        self.top_level_scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let depth = self.depth + 1;
        self.counted.one_more(depth)?;
        let mut values = Vec::new();
        while let Some(value) = items.next_element_seed(Bounded {
            counted: &mut *self.counted,
            depth,
        })? {
            values.push(value);
            // Every item after the first is one more (its comma).
            if values.len() > 1 {
                self.counted.one_more(depth)?;
            }
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let depth = self.depth + 1;
        self.counted.one_more(depth)?;
        let mut map = Map::new();
        let mut seen = 0usize;
        while let Some(key) = members.next_key::<String>()? {
            seen += 1;
            if seen > 1 {
                self.counted.one_more(depth)?;
            }
            let value = members.next_value_seed(Bounded {
                counted: &mut *self.counted,
                depth,
            })?;
            // As serde_json's own `Value`: a repeated key keeps its last value.
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

impl Bounded<'_> {
    /// A scalar: nothing to count inside a container (its comma was); the text's own value is one.
    fn top_level_scalar<E>(self, value: Value) -> Result<Value, E> {
        if self.depth == 0 {
            self.counted.shape.values = 1;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{check_shape, Limits};

    /// The counts and the parsed value are those of `shape_of` and `serde_json::from_slice`.
    fn same_as_before(text: &str) {
        let value = parse_within_limits(text.as_bytes()).expect(text);
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(value, expected, "{text}");
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "keys in the order given: {text}"
        );
    }

    #[test]
    fn a_body_within_the_limits_parses_as_serde_json_parses_it() {
        for text in [
            include_str!("../api/examples/ai-filtering.json"),
            r#"{"b": [1, -2, 3.5, 1e400], "a": {"x": null, "y": true}, "c": "\u00e9\"", "b": 0}"#,
            "[]",
            "{}",
            "7",
            r#""text""#,
            "[[[]]]",
        ] {
            // 1e400 is no finite f64: serde_json itself refuses it, and so does the bound parse.
            if text.contains("1e400") {
                assert!(serde_json::from_str::<Value>(text).is_err());
                assert!(matches!(
                    parse_within_limits(text.as_bytes()),
                    Err(Unparsed::Malformed(_))
                ));
                continue;
            }
            same_as_before(text);
        }
    }

    #[test]
    fn each_limit_refuses_as_check_shape_refuses_it() {
        let values = Limits::VALUES;
        // A `[` and VALUES - 1 commas: exactly at the limit; one more item is over it.
        let at = format!("[{}0]", "0,".repeat(values - 1));
        let over = format!("[{}0]", "0,".repeat(values));
        let deep_at = format!("{}{}", "[".repeat(Limits::DEPTH), "]".repeat(Limits::DEPTH));
        let deep_over = format!("[{deep_at}]");
        let members = (0..=values)
            .map(|n| format!("\"k{n}\": {n}"))
            .collect::<Vec<_>>()
            .join(",");
        let wide = format!("{{{members}}}");
        for text in [&at, &over, &deep_at, &deep_over, &wide] {
            let before = check_shape(text.as_bytes());
            match (parse_within_limits(text.as_bytes()), before) {
                (Ok(_), Ok(())) => {}
                (Err(Unparsed::Shape(now)), Err(then)) => assert_eq!(now, then),
                (now, then) => panic!("{now:?} against {then:?} for {}", &text[..40]),
            }
        }
        assert!(parse_within_limits(at.as_bytes()).is_ok());
        assert!(matches!(
            parse_within_limits(over.as_bytes()),
            Err(Unparsed::Shape(_))
        ));
        assert!(matches!(
            parse_within_limits(deep_over.as_bytes()),
            Err(Unparsed::Shape(_))
        ));
    }

    #[test]
    fn text_that_is_not_json_is_malformed_with_serde_jsons_position() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "[1] x", "nul"] {
            let expected = serde_json::from_str::<Value>(text).unwrap_err();
            match parse_within_limits(text.as_bytes()) {
                Err(Unparsed::Malformed(error)) => {
                    assert_eq!(
                        (error.line(), error.column(), error.classify()),
                        (expected.line(), expected.column(), expected.classify()),
                        "{text:?}"
                    );
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        // Bytes that are not UTF-8: where the slice reader finds them.
        let text = b"{\"a\": [\"ok\", \"\xff\"]}";
        let expected = serde_json::from_slice::<Value>(text).unwrap_err();
        match parse_within_limits(text) {
            Err(Unparsed::Malformed(error)) => assert_eq!(
                (error.line(), error.column(), error.to_string()),
                (expected.line(), expected.column(), expected.to_string())
            ),
            other => panic!("{other:?}"),
        }
    }
}
