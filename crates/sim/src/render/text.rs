//! Text helpers: a line writer with the program-point map, quoting, wrapping.

use super::*;
use crate::client::Pc;
use crate::scenario::ProgramPoint;

// ---- text helpers ----------------------------------------------------------------------------

/// Collects lines at an indentation depth.
pub(crate) struct Writer {
    pub(crate) lines: Vec<SourceLine>,
    pub(crate) depth: usize,
    pub(crate) unit: &'static str,
}

impl Writer {
    pub(crate) fn new(unit: &'static str) -> Writer {
        Writer {
            lines: Vec::new(),
            depth: 0,
            unit,
        }
    }

    pub(crate) fn push(
        &mut self,
        text: impl AsRef<str>,
        pc: Option<Pc>,
        crash_point: Option<ProgramPoint>,
    ) {
        let text = text.as_ref();
        let text = if text.is_empty() {
            String::new()
        } else {
            format!("{}{text}", self.unit.repeat(self.depth))
        };
        self.lines.push(SourceLine {
            text,
            pc,
            crash_point,
        });
    }

    pub(crate) fn line(&mut self, text: impl AsRef<str>) {
        self.push(text, None, None);
    }

    /// A line one level deeper than the current one.
    pub(crate) fn indented(&mut self, text: impl AsRef<str>) {
        self.indent();
        self.line(text);
        self.dedent();
    }

    /// A continuation line of a statement (two levels deeper, as Java style has it).
    pub(crate) fn cont(&mut self, text: impl AsRef<str>) {
        self.depth += 2;
        self.line(text);
        self.depth -= 2;
    }

    pub(crate) fn blank(&mut self) {
        self.line("");
    }

    /// Lines as given, without indentation. A leading line break gives a blank line.
    pub(crate) fn raw(&mut self, text: &str) {
        for l in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            self.lines.push(SourceLine {
                text: l.to_string(),
                pc: None,
                crash_point: None,
            });
        }
    }

    pub(crate) fn indent(&mut self) {
        self.depth += 1;
    }

    pub(crate) fn dedent(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// `code  # note` (or `//`).
pub(crate) fn with_note(code: String, marker: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{code}  {marker} {n}"),
        None => code,
    }
}

/// A Python string literal.
pub(crate) fn py_str(s: &str) -> String {
    quoted(s, '\'')
}

/// A Java string literal.
pub(crate) fn java_str(s: &str) -> String {
    quoted(s, '"')
}

/// A string literal in `quote`s, with the escapes Python and Java share.
pub(crate) fn quoted(s: &str, quote: char) -> String {
    let mut out = String::from(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || invisible(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A Python docstring holding `text` (which ends with a line break).
pub(crate) fn py_doc(text: &str) -> String {
    let mut body: String = text
        .chars()
        .filter(|c| *c == '\n' || !(c.is_control() || invisible(*c)))
        .collect();
    body = body.replace('\\', "\\\\");
    if body.contains("\"\"\"") {
        body = body.replace('"', "\\\"");
    }
    format!("\"\"\"{body}\"\"\"")
}

pub(crate) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Scenario text for one line of a comment or a docstring: control characters become spaces,
/// invisible ones go.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .filter(|c| !invisible(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Unicode bidi controls and invisible format characters: in code a reader runs, they can make
/// the text on screen differ from what runs (CVE-2021-42574, "Trojan Source"). Scenario text
/// that lands in exported code escapes them in string literals and drops them from comments.
pub(crate) fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{2028}' | '\u{2029}' // line and paragraph separators
        | '\u{061C}' | '\u{FEFF}')
}

/// A name usable as a file name, short and safe: letters, digits, `-`, `_` and `.` (anything
/// else becomes `_`), no leading dot, at most 48 characters.
pub fn file_safe(s: &str) -> String {
    let safe: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "scenario".to_string()
    } else {
        safe.to_string()
    }
}

/// A word for a shell command line, quoted when it needs to be.
pub(crate) fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", one_line(s).replace('\'', "'\\''"))
    }
}

/// Seconds as a Python float literal: `1.0`, `0.25`.
pub(crate) fn py_seconds(ms: u64) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        format!("{s}.0")
    } else {
        format!("{s}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

/// A duration for people: `7 s`, `1.5 s`, `250 ms`.
pub(crate) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", py_seconds(ms))
    }
}

/// Greedy word wrap; the text's own line breaks start new lines.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_format_characters_are_escaped_in_literals_and_dropped_from_comments() {
        let evil = "pay\u{202E}ments\u{2066}x\u{200B}\u{2028}y";
        let lit = py_str(evil);
        assert!(lit.chars().all(|c| !invisible(c)), "{lit:?}");
        assert!(
            lit.contains("\\u202e") && lit.contains("\\u2066") && lit.contains("\\u2028"),
            "{lit}"
        );
        assert!(java_str(evil).contains("\\u202e"));
        assert_eq!(one_line(evil), "paymentsxy");
        assert!(py_doc(evil).chars().all(|c| !invisible(c)));
        assert!(shell_word(evil).chars().all(|c| !invisible(c)));
    }

    #[test]
    fn file_names_are_safe_and_short() {
        assert_eq!(file_safe("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_safe("..."), "scenario");
        assert_eq!(file_safe(&"x".repeat(300)).len(), 48);
        assert_eq!(file_safe("consumer-1"), "consumer-1");
    }
}
