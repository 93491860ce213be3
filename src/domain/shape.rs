//! A JSON text's shape, read from its bytes before it is parsed: how many values it holds, how
//! deeply they nest, and the extent of each item of a top-level array. A parsed value costs 72
//! bytes or more (an object member more again) while its text may be two (`0,`), so the server
//! refuses a body whose shape would cost more than a bounded multiple of its size before parsing
//! it (`Limits::VALUES`, `Limits::DEPTH`).

use super::{FieldError, Limits};

/// A body's text refused for its shape before it is parsed: more values or nesting than
/// `Limits` allow (at the body's root path).
pub fn check_shape(text: &[u8]) -> Result<(), FieldError> {
    within_limits(&shape_of(text))
}

/// `check_shape` of a shape counted already (`shape_of`, or while parsing: `parse_within_limits`).
pub fn within_limits(shape: &Shape) -> Result<(), FieldError> {
    let refuse = |message: String| Err(FieldError::new(Vec::new(), message));
    if shape.values > Limits::VALUES {
        return refuse(format!(
            "The body holds more than {} JSON values (items, members and values together); an ICP needs far fewer",
            Limits::VALUES
        ));
    }
    if shape.depth > Limits::DEPTH {
        return refuse(format!(
            "The body nests deeper than {} levels of arrays and objects",
            Limits::DEPTH
        ));
    }
    Ok(())
}

/// What `shape_of` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Values and object members (each comma, `[` and `{` outside strings starts one more).
    pub values: usize,
    /// The deepest nesting of arrays and objects.
    pub depth: usize,
    /// For a top-level array: its items, and the most bytes one of them spans.
    pub items: usize,
    pub largest_item: usize,
}

/// The shape of `text`, in one pass over its bytes with no allocation (a string's contents are
/// skipped with `memchr`: they are most of a body). Malformed JSON gets some
/// shape; the parser that follows says what is wrong with it.
pub fn shape_of(text: &[u8]) -> Shape {
    scan(text, |_| {})
}

/// The byte ranges of the items of the top-level array `text` (none if it is not one).
pub fn top_level_items(text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut items = Vec::new();
    scan(text, |item| items.push(item));
    items
}

fn scan(text: &[u8], mut on_item: impl FnMut(std::ops::Range<usize>)) -> Shape {
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut top_array = false;
    let mut item_start = None;
    let mut seen_any = false;
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        // Whitespace between values changes nothing (a pretty-printed body has runs of it).
        if byte.is_ascii_whitespace() {
            while text.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            continue;
        }
        if top_array && depth == 1 && item_start.is_none() && byte != b']' {
            item_start = Some(at - 1);
        }
        let first = !seen_any;
        seen_any = true;
        match byte {
            // Most of a body is inside strings: on to the closing quote, over escapes.
            b'"' => at = string_end(text, at),
            b'[' | b'{' => {
                if depth == 0 && byte == b'[' && first {
                    top_array = true;
                }
                depth += 1;
                shape.values += 1;
                shape.depth = shape.depth.max(depth);
            }
            b']' | b'}' => {
                if top_array && depth == 1 {
                    end_item(&mut shape, &mut item_start, at - 1, &mut on_item);
                }
                depth = depth.saturating_sub(1);
            }
            b',' => {
                shape.values += 1;
                if top_array && depth == 1 {
                    end_item(&mut shape, &mut item_start, at - 1, &mut on_item);
                }
            }
            _ => {}
        }
    }
    if shape.values == 0 && seen_any {
        shape.values = 1;
    }
    shape
}

/// Where the string whose contents start at `from` ends: just past its closing quote (or the
/// text's end when it has none).
fn string_end(text: &[u8], mut from: usize) -> usize {
    loop {
        let rest = text.get(from..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            None => return text.len(),
            Some(skip) if rest[skip] == b'"' => return from + skip + 1,
            // A backslash: the byte after it is escaped.
            Some(skip) => from += skip + 2,
        }
    }
}

fn end_item(
    shape: &mut Shape,
    start: &mut Option<usize>,
    end: usize,
    on_item: &mut impl FnMut(std::ops::Range<usize>),
) {
    if let Some(start) = start.take() {
        shape.items += 1;
        shape.largest_item = shape.largest_item.max(end - start);
        on_item(start..end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_depth_are_counted_outside_strings() {
        let shape = shape_of(br#"{"a": [1, 2, {"b": "x,[{"}], "c\"": null}"#);
        // {, a's [, 1 2 (one comma), {, the comma before "c": 6 starts.
        assert_eq!(shape.values, 6);
        assert_eq!(shape.depth, 3);
        assert_eq!(shape.items, 0);
        assert_eq!(shape_of(b"7").values, 1);
        assert_eq!(shape_of(b"  ").values, 0);
        assert_eq!(shape_of(b"[0,0,0,0]").values, 4);
    }

    #[test]
    fn escapes_inside_strings_never_end_them_early() {
        // `a\` ends at its second quote; `\\\"x,[` holds an escaped backslash and quote.
        let shape = shape_of(br#"{"a\\": [1,2], "b": "\\\"x,[", "c": {}}"#);
        assert_eq!(shape.values, 6);
        assert_eq!(shape.depth, 2);
        // An unterminated string runs to the end: nothing in it counts.
        assert_eq!(shape_of(br#"["a,b,[c"#).values, 1);
        assert_eq!(shape_of(br#""\"#).values, 1);
    }

    #[test]
    fn the_items_of_a_top_level_array_are_measured() {
        let shape = shape_of(br#"[ {"name": "a"}, {"name": "bcd", "x": [1,2]} ,7]"#);
        assert_eq!(shape.items, 3);
        assert_eq!(shape.largest_item, r#"{"name": "bcd", "x": [1,2]} "#.len());
        assert_eq!(shape_of(b"[]").items, 0);
        assert_eq!(shape_of(b"[[1],[2]]").items, 2);
        assert_eq!(shape_of(br#"{"a": [1]}"#).items, 0);
        let text = br#"[{"a": "]"} , [1, 2]]"#;
        let items: Vec<&[u8]> = top_level_items(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(items, [&br#"{"a": "]"} "#[..], b"[1, 2]"]);
    }
}
