//! Where in a JSON text a parse error points, as a field path (`consumers[0].config.group.id`),
//! so that a wrong type reads like a range error does. A small scanner over the text up to the
//! error's line and column; no JSON value is built.

/// The field path at `line`:`column` (1-based, as serde_json reports them) of `text`. Empty at
/// the top level.
pub fn path_at(text: &str, line: usize, column: usize) -> String {
    let offset = offset_of(text, line, column);
    let bytes = text.as_bytes();
    // The containers open at the error: an object (with the key being read) or an array (with
    // the index of the element being read).
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // After a key's string, until its value starts.
    let mut expect_key = false;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object { key: None });
                expect_key = true;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => {
                    *key = None;
                    expect_key = true;
                }
                None => {}
            },
            b'"' => {
                let (s, end) = string_at(bytes, i);
                if expect_key && let Some(Frame::Object { key }) = stack.last_mut() {
                    *key = Some(s);
                    expect_key = false;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The byte offset of a 1-based line and column (a column counts characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(i, _)| i);
        }
        offset += l.len();
    }
    text.len()
}

/// The string starting at the quote at `start`, and the index just past its closing quote.
fn string_at(bytes: &[u8], start: usize) -> (String, usize) {
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if let Some(&c) = bytes.get(i + 1) {
                    out.push(c);
                }
                i += 2;
            }
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> String {
        // The position just after `needle`, as serde_json reports a bad value.
        let offset = text.find(needle).unwrap() + needle.len();
        let line = text[..offset].matches('\n').count() + 1;
        let column = text[..offset].rsplit('\n').next().unwrap().chars().count();
        path_at(text, line, column)
    }

    #[test]
    fn finds_the_field_of_a_position() {
        let t = r#"{"version":1,"consumers":[{"name":"a"},{"name":"b","config":{"session.timeout.ms":"800"}}]}"#;
        assert_eq!(at(t, r#""800""#), "consumers[1].config.session.timeout.ms");
        assert_eq!(at(t, r#""version":1"#), "version");
        let pretty = "{\n  \"topic\": {\n    \"partitions\": \"four\"\n  }\n}";
        assert_eq!(at(pretty, "\"four\""), "topic.partitions");
        assert_eq!(path_at("{}", 9, 9), "");
        // Keys with escapes and commas inside strings do not confuse it.
        let tricky = r#"{"a,b":{"x\"y":[1,2,{"k":"v,]"}]}}"#;
        assert_eq!(at(tricky, r#""v,]""#), r#"a,b.x"y[2].k"#);
    }
}
