//! The rule glossary, `docs/semantics.md`, defines every rule id the project cites.
//!
//! This test parses the glossary into entries (id, title, paragraph, Client, Source, In Offset
//! Lab), checks their shape and that the files and functions they name exist, then scans the
//! repository's text files for rule ids (`B5`, `B10.4`, `C1.6`, `F.1`, …) and fails on any id
//! the glossary does not define, naming the file and line.
//!
//! A rule id token is an upper-case letter A–F followed by a number 0–20, optionally `.n`
//! (`B10.4`), or a letter followed by `.n` (`F.1`). It must not follow a letter, a digit, `_`,
//! `#` (CSS colours), `%` (URL escapes), `\` or `{` (character escapes), and must not be followed
//! by a letter, a digit or `_`: so `0xB5`, `#E69F00`, `B64` and `AB5` are not rule ids.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The rules the glossary must define, besides any sub-ids.
const REQUIRED: &[(char, u32)] = &[('A', 5), ('B', 15), ('C', 5), ('D', 8), ('E', 4), ('F', 4)];

const CLIENTS: &[&str] = &["librdkafka", "Java", "broker", "both"];

/// Where the scan looks, relative to the repository root.
const SCAN_DIRS: &[&str] = &["crates", "src", "tests", "examples", "docs"];
const SCAN_FILES: &[&str] = &["README.md"];
const SKIP_DIRS: &[&str] = &["target", "node_modules"];

#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    paragraph: String,
    client: String,
    source: String,
    in_lab: String,
    /// 1-based line of the heading.
    line: usize,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn glossary_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/semantics.md")
}

fn glossary() -> Vec<Entry> {
    let path = glossary_path();
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse(&text).unwrap_or_else(|problems| {
        panic!(
            "docs/semantics.md is malformed:\n  {}",
            problems.join("\n  ")
        )
    })
}

/// A parsed rule id: letter, number, optional sub-number, and whether it is written `F.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RuleId {
    letter: char,
    number: u32,
    sub: Option<u32>,
    dotted: bool,
}

/// Reads a rule id token that starts at `chars[i]`, returning it and the index after it.
/// The character before `i` is not checked here.
fn token_at(chars: &[char], i: usize) -> Option<(RuleId, usize)> {
    let letter = *chars.get(i)?;
    if !('A'..='F').contains(&letter) {
        return None;
    }
    let digits = |from: usize| -> (usize, Option<u32>) {
        let mut j = from;
        while chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        let text: String = chars[from..j].iter().collect();
        let value = if j > from && j - from <= 2 {
            text.parse::<u32>().ok().filter(|v| *v <= 20)
        } else {
            None
        };
        (j, value)
    };
    let dot_digit = |j: usize| {
        chars.get(j) == Some(&'.') && chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
    };
    let (end, id) = if chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        let (j, number) = digits(i + 1);
        let number = number?;
        if dot_digit(j) {
            let (k, sub) = digits(j + 1);
            let id = RuleId {
                letter,
                number,
                sub: Some(sub?),
                dotted: false,
            };
            (k, id)
        } else {
            let id = RuleId {
                letter,
                number,
                sub: None,
                dotted: false,
            };
            (j, id)
        }
    } else if dot_digit(i + 1) {
        let (j, number) = digits(i + 2);
        let id = RuleId {
            letter,
            number: number?,
            sub: None,
            dotted: true,
        };
        (j, id)
    } else {
        return None;
    };
    if chars
        .get(end)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return None;
    }
    Some((id, end))
}

fn blocks_token_before(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '#' | '%' | '\\' | '{')
}

/// Every rule id token in a line of text, in order, as written.
fn rule_ids(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let free = i == 0 || !blocks_token_before(chars[i - 1]);
        if free && let Some((_, end)) = token_at(&chars, i) {
            // As written, so that a typo such as a leading zero is reported, not corrected.
            out.push(chars[i..end].iter().collect());
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

fn format_id(id: RuleId) -> String {
    match (id.dotted, id.sub) {
        (true, _) => format!("{}.{}", id.letter, id.number),
        (false, Some(sub)) => format!("{}{}.{}", id.letter, id.number, sub),
        (false, None) => format!("{}{}", id.letter, id.number),
    }
}

/// The id of a heading, if `text` is exactly one rule id.
fn parse_id(text: &str) -> Option<RuleId> {
    let chars: Vec<char> = text.chars().collect();
    match token_at(&chars, 0) {
        Some((id, end)) if end == chars.len() => Some(id),
        _ => None,
    }
}

/// The spans between backticks on a line.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

fn is_path(span: &str) -> bool {
    span.contains('/') && !span.contains(' ') && !span.contains("://")
}

/// A plain lower-case identifier, taken to be a function name.
fn is_fn_name(span: &str) -> bool {
    let mut chars = span.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn parse(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let rules_at: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i] == "## Rules")
        .collect();
    let [start] = rules_at[..] else {
        return Err(vec![format!(
            "expected exactly one `## Rules` line, found {}",
            rules_at.len()
        )]);
    };
    let mut headings = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if line.starts_with('#') {
            headings.push(i);
        }
    }
    match headings.first() {
        None => return Err(vec!["no rule sections under `## Rules`".into()]),
        Some(&first) => {
            for (i, line) in lines.iter().enumerate().take(first).skip(start + 1) {
                if !line.trim().is_empty() {
                    problems.push(format!(
                        "line {}: only rule sections may follow `## Rules`",
                        i + 1
                    ));
                }
            }
        }
    }
    let mut entries = Vec::new();
    for (n, &h) in headings.iter().enumerate() {
        let end = headings.get(n + 1).copied().unwrap_or(lines.len());
        let at = h + 1;
        let heading = lines[h];
        let Some(rest) = heading.strip_prefix("### ") else {
            problems.push(format!(
                "line {at}: only `### <id> — <title>` headings may follow `## Rules`: {heading:?}"
            ));
            continue;
        };
        let Some((id_text, title)) = rest.split_once(" — ") else {
            problems.push(format!(
                "line {at}: a heading is `### <id> — <title>`, with an em dash: {heading:?}"
            ));
            continue;
        };
        let Some(id) = parse_id(id_text) else {
            problems.push(format!("line {at}: {id_text:?} is not a rule id"));
            continue;
        };
        if format_id(id) != id_text || (id.letter == 'F') != id.dotted {
            problems.push(format!(
                "line {at}: write the id as A1, B10.4 or F.1, not {id_text:?}"
            ));
        }
        if title.trim().is_empty() || title.trim() != title {
            problems.push(format!(
                "line {at}: the title of {id_text} is empty or padded"
            ));
        }
        // Body: a paragraph, a blank line, then Client, Source and In Offset Lab lines.
        let body: Vec<&str> = lines[h + 1..end].to_vec();
        let first = body.iter().position(|l| !l.trim().is_empty());
        let last = body.iter().rposition(|l| !l.trim().is_empty());
        let (Some(first), Some(last)) = (first, last) else {
            problems.push(format!("line {at}: {id_text} has no body"));
            continue;
        };
        let body = &body[first..=last];
        if body.len() < 5 {
            problems.push(format!(
                "line {at}: {id_text} needs a paragraph, a blank line, and the Client, Source and In Offset Lab lines"
            ));
            continue;
        }
        let (text_part, meta) = body.split_at(body.len() - 3);
        let mut fields = Vec::new();
        for (line, label) in
            meta.iter()
                .zip(["**Client:** ", "**Source:** ", "**In Offset Lab:** "])
        {
            match line.strip_prefix(label) {
                Some(value) if !value.trim().is_empty() => fields.push(value.trim().to_string()),
                _ => problems.push(format!(
                    "line {at}: {id_text} must end with `{}…` lines in this order (found {line:?})",
                    label.trim()
                )),
            }
        }
        if text_part.last().is_some_and(|l| !l.trim().is_empty()) {
            problems.push(format!(
                "line {at}: {id_text}: a blank line must separate the paragraph from the Client line"
            ));
        }
        let paragraph_lines: Vec<&str> = text_part
            .iter()
            .copied()
            .filter(|l| !l.trim().is_empty())
            .collect();
        if paragraph_lines.iter().any(|l| {
            l.starts_with("**") || l.starts_with("```") || l.starts_with('-') || l.starts_with('|')
        }) {
            problems.push(format!(
                "line {at}: {id_text}: the text above the Client line must be one plain paragraph"
            ));
        }
        if text_part.iter().filter(|l| l.trim().is_empty()).count() > 1 {
            problems.push(format!(
                "line {at}: {id_text}: keep the text above the Client line to one paragraph"
            ));
        }
        let [client, source, in_lab] = &fields[..] else {
            continue;
        };
        entries.push(Entry {
            id: id_text.to_string(),
            title: title.to_string(),
            paragraph: paragraph_lines.join(" "),
            client: client.clone(),
            source: source.clone(),
            in_lab: in_lab.clone(),
            line: at,
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

fn sort_key(id: &str) -> RuleId {
    let mut key = parse_id(id).expect("a parsed entry has a valid id");
    key.dotted = false;
    key
}

#[test]
fn glossary_entries_are_complete_unique_and_in_order() {
    let entries = glossary();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &entries {
        if !seen.insert(e.id.clone()) {
            problems.push(format!("line {}: {} is defined twice", e.line, e.id));
        }
        if !CLIENTS.contains(&e.client.as_str()) {
            problems.push(format!(
                "line {}: {}: Client must be one of {CLIENTS:?}, not {:?}",
                e.line, e.id, e.client
            ));
        }
        if e.paragraph.is_empty() || e.title.is_empty() || e.source.is_empty() {
            problems.push(format!("line {}: {} is incomplete", e.line, e.id));
        }
        if let Some(id) = parse_id(&e.id)
            && id.sub.is_some()
        {
            let parent = format!("{}{}", id.letter, id.number);
            if !entries.iter().any(|p| p.id == parent) {
                problems.push(format!(
                    "line {}: {} has no parent entry {parent}",
                    e.line, e.id
                ));
            }
        }
    }
    for pair in entries.windows(2) {
        if sort_key(&pair[0].id) >= sort_key(&pair[1].id) {
            problems.push(format!(
                "line {}: {} comes after {}; keep the entries in order",
                pair[1].line, pair[1].id, pair[0].id
            ));
        }
    }
    for &(letter, last) in REQUIRED {
        let (from, dotted) = match letter {
            'B' => (0, false),
            'F' => (1, true),
            _ => (1, false),
        };
        for number in from..=last {
            let id = format_id(RuleId {
                letter,
                number,
                sub: None,
                dotted,
            });
            if !seen.contains(&id) {
                problems.push(format!("{id} has no entry"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/semantics.md:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn glossary_names_files_and_functions_that_exist() {
    let root = repo_root();
    let mut problems = Vec::new();
    for e in glossary() {
        let spans = code_spans(&e.in_lab);
        let paths: Vec<&str> = spans.iter().copied().filter(|s| is_path(s)).collect();
        if paths.is_empty() {
            problems.push(format!(
                "line {}: {}: the In Offset Lab line names no file of the repository",
                e.line, e.id
            ));
        }
        let mut rust = Vec::new();
        for p in &paths {
            let full = root.join(p);
            if !full.exists() {
                problems.push(format!("line {}: {}: `{p}` does not exist", e.line, e.id));
            } else if p.ends_with(".rs") {
                rust.push((p, fs::read_to_string(&full).unwrap_or_default()));
            }
        }
        for name in spans.iter().filter(|s| is_fn_name(s)) {
            let found = rust.iter().any(|(_, text)| {
                text.contains(&format!("fn {name}(")) || text.contains(&format!("fn {name}<"))
            });
            if !found {
                let files: Vec<&&str> = rust.iter().map(|(p, _)| *p).collect();
                problems.push(format!(
                    "line {}: {}: no `fn {name}` in the Rust files named on its In Offset Lab line {files:?}",
                    e.line, e.id
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/semantics.md:\n  {}",
        problems.join("\n  ")
    );
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_ref()) {
                collect_files(&entry.path(), out);
            }
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

/// Text files only: binary files (images, wasm) are skipped.
fn read_text(path: &Path) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[test]
fn every_rule_id_cited_in_the_repository_is_in_the_glossary() {
    let known: BTreeSet<String> = glossary().into_iter().map(|e| e.id).collect();
    let root = repo_root();
    let mut files = Vec::new();
    for dir in SCAN_DIRS {
        collect_files(&root.join(dir), &mut files);
    }
    files.extend(SCAN_FILES.iter().map(|f| root.join(f)));
    let (mut scanned, mut cited) = (0, 0);
    let mut unknown = Vec::new();
    for path in &files {
        let Some(text) = read_text(path) else {
            continue;
        };
        scanned += 1;
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for id in rule_ids(line) {
                cited += 1;
                if !known.contains(&id) {
                    unknown.push(format!("{shown}:{}: {id} in {:?}", n + 1, line.trim()));
                }
            }
        }
    }
    // The scan must have reached the code, or it proves nothing.
    assert!(
        scanned > 50 && cited > 500,
        "scanned {scanned} files, {cited} rule ids"
    );
    assert!(
        unknown.is_empty(),
        "rule ids with no entry in docs/semantics.md (add the entry, or fix the id):\n  {}",
        unknown.join("\n  ")
    );
}

#[test]
fn the_scanner_finds_rule_ids_and_nothing_else() {
    assert_eq!(
        rule_ids("(B5, C1.6 and F.1) B10.4. B0–B15 `A1` E1/E2"),
        ["B5", "C1.6", "F.1", "B10.4", "B0", "B15", "A1", "E1", "E2"]
    );
    // Hex, colours, escapes, bigger numbers, words, lower case.
    assert!(
        rule_ids("0xB5 #E69F00 %C3%A9 \\u{E9} B64 B100 AB5 B5x B5_ b5 E2E F.x D.").is_empty(),
        "{:?}",
        rule_ids("0xB5 #E69F00 %C3%A9 \\u{E9} B64 B100 AB5 B5x B5_ b5 E2E F.x D.")
    );
    // A typo is still found as an id, so the glossary check reports it.
    let typo = concat!("see B1", "6 and F", "1");
    assert_eq!(rule_ids(typo), [concat!("B1", "6"), concat!("F", "1")]);
    let known: BTreeSet<String> = glossary().into_iter().map(|e| e.id).collect();
    assert!(rule_ids(typo).iter().all(|id| !known.contains(id)));
}

#[test]
fn the_parser_rejects_malformed_entries() {
    let good = "intro\n\n## Rules\n\n### A1 — Title\n\nText.\n\n**Client:** both\n**Source:** x\n**In Offset Lab:** `crates/sim/src/lib.rs`\n";
    let entries = parse(good).expect("a well-formed entry parses");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].id.as_str(), entries[0].title.as_str()),
        ("A1", "Title")
    );
    for bad in [
        good.replace(" — ", " - "),
        good.replace("**Source:** x\n", ""),
        good.replace("## Rules\n", "## Rules\n\nstray text\n"),
        good.replace("### A1", concat!("### A", "01")),
        good.replace("### A1", concat!("### F", "1")),
        good.replace("## Rules", "## Glossary"),
    ] {
        assert!(parse(&bad).is_err(), "accepted:\n{bad}");
    }
}
