//! The rule glossary: every rule id the simulator cites (`B5`, `C1.6`, `F.1`, …), read from
//! `docs/semantics.md`, so that the app can explain an id where it appears and a clone of the
//! repository has the same text to read.

/// The glossary's source, compiled in.
pub const SOURCE: &str = include_str!("../../../docs/semantics.md");

/// One rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// What the real client or broker does, in a paragraph (Markdown: `code`, **bold**).
    pub body: &'a str,
    /// `librdkafka`, `Java`, `broker` or `both`.
    pub client: &'a str,
    /// Where in the client's source or documentation it comes from.
    pub source: &'a str,
    /// Where Offset Lab implements and tests it.
    pub in_offset_lab: &'a str,
}

/// Every entry of the glossary, in order.
pub fn entries() -> impl Iterator<Item = Entry<'static>> {
    entries_in(SOURCE)
}

/// The entry of rule `id` (`B5`, `b5`, `F.1`).
pub fn entry(id: &str) -> Option<Entry<'static>> {
    entry_in(SOURCE, id)
}

/// Every entry of a glossary's text (`docs/semantics.md`; the page reads it from the site
/// instead of carrying it in its bundle).
pub fn entries_in(source: &str) -> impl Iterator<Item = Entry<'_>> {
    let rules = source.split_once("\n## Rules\n").map_or("", |(_, r)| r);
    rules.split("\n### ").filter_map(parse)
}

/// The entry of rule `id` in a glossary's text.
pub fn entry_in<'a>(source: &'a str, id: &str) -> Option<Entry<'a>> {
    entries_in(source).find(|e| e.id.eq_ignore_ascii_case(id))
}

fn parse(section: &str) -> Option<Entry<'_>> {
    let section = section.trim_start_matches("### ");
    let (head, rest) = section.split_once('\n')?;
    let (id, title) = head.split_once(" — ")?;
    let field = |name: &str| {
        rest.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or("")
    };
    let body = rest.split("\n**Client:**").next().unwrap_or("").trim();
    Some(Entry {
        id: id.trim(),
        title: title.trim(),
        body,
        client: field("**Client:**"),
        source: field("**Source:**"),
        in_offset_lab: field("**In Offset Lab:**"),
    })
}

/// Where a text may cite rule ids (`… (B5, D2).`): the byte range of each, every occurrence, in
/// order. Whether each is in the glossary is not checked here (that needs the glossary's text).
pub fn id_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'#');
        if (b'A'..=b'F').contains(&c) && before_ok {
            let mut j = i + 1;
            if bytes.get(j) == Some(&b'.') {
                j += 1;
            }
            let digits = j;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j > digits
                && bytes.get(j) == Some(&b'.')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let after_ok = j == bytes.len() || !bytes[j].is_ascii_alphanumeric();
            if j > digits && after_ok {
                out.push((i, j));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The rule ids cited in a text (`… (B5, D2).` → `["B5", "D2"]`) that the glossary defines,
/// each once, in order.
pub fn ids_in(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (a, b) in id_spans(text) {
        let id = &text[a..b];
        if entry(id).is_some() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses() {
        let all: Vec<Entry> = entries().collect();
        assert!(all.len() >= 50, "{}", all.len());
        for e in &all {
            assert!(!e.title.is_empty() && !e.body.is_empty(), "{e:?}");
            assert!(
                ["librdkafka", "Java", "broker", "both"].contains(&e.client),
                "{e:?}"
            );
            assert!(
                !e.source.is_empty() && !e.in_offset_lab.is_empty(),
                "{}",
                e.id
            );
        }
        let b5 = entry("B5").unwrap();
        assert!(b5.title.contains("auto-commit timer"));
        assert!(entry("F.1").is_some() && entry("B10.4").is_some() && entry("Z9").is_none());
    }

    #[test]
    fn finds_the_ids_a_sentence_cites() {
        assert_eq!(
            ids_in("commits past it (B5); Java (D2, D3). See F.1, C1.6."),
            vec!["B5", "D2", "D3", "F.1", "C1.6"]
        );
        assert!(ids_in("colour #B5E7F0, base64, B99, AB5").is_empty());
        let text = "B5 then (B5, D2).";
        let spans: Vec<&str> = id_spans(text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(
            spans,
            ["B5", "B5", "D2"],
            "every occurrence, for the page to link"
        );
    }
}
