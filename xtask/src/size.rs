//! `cargo xtask size`: what each release wasm in `dist/` is made of — its largest items and
//! its bytes per crate, from `twiggy top`.
//!
//! The wasm in `dist/` has no names (wasm-opt drops the name section), so the report reads two
//! named copies of it and prints them side by side:
//!
//! - *before wasm-opt*: trunk's wasm-bindgen output (`<target>/wasm-bindgen/release/`), 5–9 %
//!   larger than `dist/`, where every function still carries its own crate's name;
//! - *as shipped*: that output through `wasm-opt -Oz -g` into `<target>/size/` — `-g` keeps the
//!   names and changes nothing else, so its code and data are those of `dist/` (the report
//!   compares the sizes). But wasm-opt inlines across crates: each component's `run` ends up in
//!   yew's generic `CompStateInner::view`, so the app's views count under `yew` there.
//!
//! The optimised copy takes wasm-opt about 20 s; it is cached by the hash of its input. In
//! `cargo xtask test` (and `size --quick`) the report is quick: it never runs wasm-opt, and
//! shows the optimised copy only when the cached one is up to date.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Outcome, Result, Stage, WASM_OPT_VERSION, banner, compress, kib, output, run, setup};

/// twiggy, installed by `cargo xtask setup` (`cargo install twiggy --version … --locked`).
pub const TWIGGY_VERSION: &str = "0.8.0";
/// wasm-opt's arguments for the named copy: the level trunk uses (index.html:
/// `data-wasm-opt="z"`), plus `-g` to keep the name section.
const WASM_OPT_ARGS: [&str; 2] = ["-Oz", "-g"];
/// The name section: present in the analysed copy, not in what is served.
const NAMES: &str = "(name section, not shipped)";

#[derive(Clone, Copy, PartialEq)]
pub enum Depth {
    /// `cargo xtask size`: make the optimised named copy if needed; long tables.
    Full,
    /// The test stage: never run wasm-opt; short tables.
    Quick,
}

impl Depth {
    fn rows(self) -> (usize, usize) {
        match self {
            Depth::Full => (25, 30),
            Depth::Quick => (10, 12),
        }
    }
}

/// `cargo xtask size`: setup, the release build (with its precompressed copies), the report.
/// `cargo xtask size --quick`: the report of the test stage, on `dist/` as it is.
pub fn command(root: &Path, args: &[String]) -> Result {
    match args {
        [] => {
            setup(root)?;
            run("trunk", &["build", "--release"])?;
            compress::precompress_and_print(&root.join("dist"))?;
            report(root, Depth::Full).map(|_| ())
        }
        [a] if a == "--quick" => report(root, Depth::Quick).map(|_| ()),
        _ => Err(format!(
            "unknown arguments {args:?}: `cargo xtask size [--quick]`"
        )),
    }
}

/// The test stage: print the quick report after the release build; it never fails.
pub fn stage(root: &Path) -> Stage {
    let started = Instant::now();
    banner("size report: twiggy top of each release wasm, bytes per crate (never fails)");
    let detail = match report(root, Depth::Quick) {
        Ok(summary) => summary,
        Err(e) => {
            println!("no size report: {e}");
            format!("no report: {}", crate::first_line(&e))
        }
    };
    Stage {
        name: "size report",
        outcome: Outcome::Passed,
        detail,
        time: started.elapsed(),
    }
}

/// Print the report for every wasm in `dist/`; returns a one-line summary.
pub fn report(root: &Path, depth: Depth) -> Result<String> {
    let dist = root.join("dist");
    let wasms: Vec<PathBuf> = compress::files(&dist)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    if wasms.is_empty() {
        return Err("no .wasm in dist/: build first (`trunk build --release`)".into());
    }
    if output("twiggy", &["--version"]).is_err() {
        return Err(format!(
            "twiggy not found: `cargo xtask setup` installs it \
             (cargo install twiggy --version {TWIGGY_VERSION} --locked)"
        ));
    }
    let target = target_dir(root);
    let mut summaries = Vec::new();
    for wasm in &wasms {
        let shown = wasm
            .strip_prefix(&dist)
            .unwrap_or(wasm)
            .display()
            .to_string();
        summaries.push(report_one(root, &target, wasm, &shown, depth)?);
    }
    Ok(summaries.join("; "))
}

/// One analysed wasm: what it is and its items.
struct Analysis {
    /// Column title.
    title: &'static str,
    /// What the file is, for the report.
    what: String,
    items: Vec<Item>,
    /// Bytes of the name section (not shipped).
    names: u64,
    /// Bytes of everything else.
    total: u64,
}

impl Analysis {
    fn new(title: &'static str, what: String, wasm: &Path) -> Result<Analysis> {
        let items = twiggy_items(wasm)?;
        let names = items
            .iter()
            .filter(|i| group_of(&i.name) == NAMES)
            .map(|i| i.bytes)
            .sum();
        let total = items.iter().map(|i| i.bytes).sum::<u64>() - names;
        Ok(Analysis {
            title,
            what,
            items,
            names,
            total,
        })
    }
}

fn report_one(
    root: &Path,
    target: &Path,
    wasm: &Path,
    shown: &str,
    depth: Depth,
) -> Result<String> {
    let shipped = fs::metadata(wasm)
        .map_err(|e| format!("cannot read {}: {e}", wasm.display()))?
        .len();
    let mut line = format!("\n{shown}: {} in dist/", kib(shipped));
    let compressed: Vec<String> = ["gz", "br"]
        .iter()
        .filter_map(|ext| {
            let mut p = wasm.as_os_str().to_owned();
            p.push(format!(".{ext}"));
            fs::metadata(PathBuf::from(p))
                .ok()
                .map(|m| format!("{ext} {}", kib(m.len())))
        })
        .collect();
    if !compressed.is_empty() {
        let _ = write!(line, " ({})", compressed.join(", "));
    }
    println!("{line}");

    let file_name = wasm.file_name().unwrap_or_default();
    let bindgen = target.join("wasm-bindgen").join("release").join(file_name);
    let mut analyses = Vec::new();
    if bindgen.exists() {
        analyses.push(Analysis::new(
            "before wasm-opt",
            format!("{} (wasm-bindgen's output)", relative(root, &bindgen)),
            &bindgen,
        )?);
        if let Some(copy) = optimised_copy(target, &bindgen, depth)? {
            analyses.push(Analysis::new(
                "as shipped",
                format!(
                    "{} (the same, through wasm-opt {}: the code of dist/, with names)",
                    relative(root, &copy),
                    WASM_OPT_ARGS.join(" ")
                ),
                &copy,
            )?);
        }
    } else {
        println!(
            "  ({} not found: analysing dist/ itself)",
            relative(root, &bindgen)
        );
        analyses.push(Analysis::new("dist/", shown.to_owned(), wasm)?);
    }
    let (top_items, top_crates) = depth.rows();
    let main = analyses.last().expect("one analysis at least");
    for a in &analyses {
        let diff = (a.total as f64 - shipped as f64) / shipped as f64 * 100.0;
        println!(
            "  {}: {}; {} without names ({diff:+.1}% against dist/)",
            a.title,
            a.what,
            kib(a.total)
        );
        if a.title == "as shipped" && diff.abs() > 1.0 {
            println!(
                "  warning: that differs from dist/ by more than 1%: a stale build, or index.html \
                 asks wasm-opt for another level than `{}`",
                WASM_OPT_ARGS[0]
            );
        }
    }
    if analyses.len() == 1 && depth == Depth::Quick && bindgen.exists() {
        println!(
            "  (`cargo xtask size` adds the optimised code; this quick report does not run wasm-opt)"
        );
    }
    if main.names == 0 {
        println!("  it has no name section: no bytes per crate");
        print_items(main, top_items);
        return Ok(format!("{shown} {} (no names)", kib(shipped)));
    }

    // Bytes per crate, one column pair per analysis, sorted by the first one: before wasm-opt
    // inlines across crates, each function still has its own crate's name.
    let tables: Vec<Vec<(String, u64)>> = analyses.iter().map(|a| by_crate(&a.items)).collect();
    let order = &tables[0];
    let first = &analyses[0];
    println!(
        "  bytes per crate, by the first segment of each function's path: generic code counts \
         under the crate that\n  defines it, inlined code under its caller."
    );
    if bindgen.exists() && order.iter().any(|(g, _)| g == "yew") {
        println!(
            "  wasm-opt inlines each component's `run` into yew's `CompStateInner::view`: the \
             app's views count under\n  `offset_lab` before wasm-opt, under `yew` after it."
        );
    }
    let mut head = String::from("  ");
    let mut sub = String::from("  ");
    for a in &analyses {
        let _ = write!(head, "{:>17}  ", a.title);
        let _ = write!(sub, "{:>10} {:>6}  ", "bytes", "share");
    }
    println!("{head}\n{sub}crate");
    let row = |label: &str, values: Vec<Option<u64>>| {
        let mut line = String::from("  ");
        for (a, v) in analyses.iter().zip(values) {
            match v {
                Some(b) => {
                    let _ = write!(line, "{b:>10} {:>5.1}%  ", pct(b, a.total));
                }
                None => line.push_str(&format!("{:>17}  ", "-")),
            }
        }
        println!("{line}{label}");
    };
    let lookup = |t: &[(String, u64)], g: &str| t.iter().find(|(n, _)| n == g).map(|x| x.1);
    for (group, _) in order.iter().take(top_crates) {
        row(group, tables.iter().map(|t| lookup(t, group)).collect());
    }
    if order.len() > top_crates {
        let shown_groups = &order[..top_crates];
        let rest = tables
            .iter()
            .map(|t| {
                Some(
                    t.iter()
                        .filter(|(g, _)| !shown_groups.iter().any(|(s, _)| s == g))
                        .map(|x| x.1)
                        .sum(),
                )
            })
            .collect();
        row(&format!("({} more)", order.len() - top_crates), rest);
    }
    let names = analyses.iter().map(|a| a.names).collect::<Vec<_>>();
    let mut line = String::from("  ");
    for n in names {
        let _ = write!(line, "{n:>10} {:>6}  ", "");
    }
    println!("{line}{NAMES}");
    // Before wasm-opt the items name the component or function; as shipped, their true sizes.
    for a in &analyses {
        print_items(a, top_items);
    }

    let top: Vec<String> = order
        .iter()
        .filter(|(g, _)| !g.starts_with('('))
        .take(3)
        .map(|(g, b)| format!("{g} {:.0}%", pct(*b, first.total)))
        .collect();
    Ok(format!("{shown} {}: {}", kib(shipped), top.join(", ")))
}

fn print_items(a: &Analysis, n: usize) {
    println!(
        "  largest items {} (twiggy top, the name section left out):",
        a.title
    );
    println!("  {:>10} {:>6}  item", "bytes", "share");
    for item in a
        .items
        .iter()
        .filter(|i| group_of(&i.name) != NAMES)
        .take(n)
    {
        println!(
            "  {:>10} {:>5.1}%  {}",
            item.bytes,
            pct(item.bytes, a.total),
            shorten(&item.name, 110)
        );
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn pct(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// The wasm-bindgen output through `wasm-opt -Oz -g` into `<target>/size/`, made only in the
/// full report and kept while its input is unchanged; `None` in a quick report without one.
fn optimised_copy(target: &Path, bindgen: &Path, depth: Depth) -> Result<Option<PathBuf>> {
    let input = fs::read(bindgen).map_err(|e| format!("cannot read {}: {e}", bindgen.display()))?;
    let dir = target.join("size");
    let copy = dir.join(bindgen.file_name().unwrap_or_default());
    let stamp = copy.with_extension("wasm.source");
    let key = format!(
        "{:016x} wasm-opt {WASM_OPT_VERSION} {}",
        fnv1a(&input),
        WASM_OPT_ARGS.join(" ")
    );
    if copy.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == key) {
        return Ok(Some(copy));
    }
    if depth == Depth::Quick {
        return Ok(None);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    println!(
        "  wasm-opt {} {} (keeps the names; about 20 s)…",
        WASM_OPT_ARGS.join(" "),
        bindgen.display()
    );
    let out = format!("--output={}", copy.display());
    let input_arg = bindgen.to_string_lossy();
    let mut args: Vec<&str> = WASM_OPT_ARGS.to_vec();
    args.extend([out.as_str(), &input_arg]);
    run("wasm-opt", &args)?;
    fs::write(&stamp, key).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(Some(copy))
}

/// FNV-1a, 64 bits: a stable key for the cached copy.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, `build.target-dir` or `target/`), where trunk
/// leaves its wasm-bindgen output.
fn target_dir(root: &Path) -> PathBuf {
    output(
        "cargo",
        &[
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ],
    )
    .ok()
    .and_then(|json| json_string(&json, "target_directory"))
    .map(PathBuf::from)
    .unwrap_or_else(|| root.join("target"))
}

/// The first `"key":"value"` string in a JSON text (no escapes other than `\\` and `\"`).
fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

#[derive(Debug, PartialEq)]
struct Item {
    name: String,
    bytes: u64,
}

fn twiggy_items(wasm: &Path) -> Result<Vec<Item>> {
    let out = Command::new("twiggy")
        .args(["top", "-n", "1000000", "--format", "csv"])
        .arg(wasm)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run twiggy: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "twiggy top {} failed: {}",
            wasm.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_twiggy_csv(&String::from_utf8_lossy(&out.stdout))
}

/// `Name,ShallowSize,…` rows (the header, and twiggy's summary rows, left out).
fn parse_twiggy_csv(csv: &str) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for record in csv_records(csv).into_iter().skip(1) {
        let [name, bytes, ..] = record.as_slice() else {
            continue;
        };
        if name.starts_with("... and ") || name.starts_with("Σ [") {
            continue;
        }
        let bytes = bytes
            .parse()
            .map_err(|_| format!("twiggy csv: bad size {bytes:?} for {name:?}"))?;
        items.push(Item {
            name: name.clone(),
            bytes,
        });
    }
    Ok(items)
}

/// RFC 4180 records: quoted fields may hold commas, and `""` for a quote.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            '\r' => {}
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// (group, bytes), largest first; the name section left out.
fn by_crate(items: &[Item]) -> Vec<(String, u64)> {
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    for item in items {
        let group = group_of(&item.name);
        if group != NAMES {
            *groups.entry(group).or_default() += item.bytes;
        }
    }
    let mut groups: Vec<(String, u64)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

/// The crate an item of `twiggy top` belongs to, or a bracketed kind of item without one.
fn group_of(name: &str) -> String {
    let name = name.trim();
    if name.ends_with(" names\" subsection") || name.starts_with("custom section 'name'") {
        return NAMES.into();
    }
    if name.starts_with("data segment") {
        return "(data segments: strings, tables, constants)".into();
    }
    if name.starts_with("code[") {
        return "(functions without a name)".into();
    }
    let structure = [
        "type[",
        "import ",
        "export ",
        "table[",
        "elem[",
        "global[",
        "memory[",
        "custom section",
        "wasm magic bytes",
    ];
    if structure.iter().any(|s| name.starts_with(s)) || name.ends_with(" section headers") {
        return "(wasm structure: types, imports, exports, tables)".into();
    }
    if name.ends_with(" shim")
        || ["__wbindgen", "__wbg_", "__externref", "wasm_bindgen__"]
            .iter()
            .any(|p| name.starts_with(p))
    {
        return "wasm_bindgen".into();
    }
    path_crate(name).unwrap_or_else(|| "(other: compiler builtins, libm, main)".into())
}

/// The crate of a demangled Rust path: `serde_json::de::…` → `serde_json`;
/// `<&mut serde_json::Deserializer<R> as serde::Deserializer>::…` → `serde_json` (the type's
/// crate, or the trait's for a type without one: `<T as alloc::string::ToString>` → `alloc`);
/// `core::ptr::drop_in_place<yew::Html>` → `yew` (drop glue belongs to the dropped type).
fn path_crate(name: &str) -> Option<String> {
    if let Some(inner) = name.strip_prefix('<') {
        let end = closing(inner)?;
        let qualified = &inner[..end];
        let (ty, tr) = match split_as(qualified) {
            Some(at) => (&qualified[..at], Some(&qualified[at + 4..])),
            None => (qualified, None),
        };
        return type_crate(ty).or_else(|| tr.and_then(type_crate));
    }
    let dropped = name.strip_prefix("core::ptr::drop_in_place<").or_else(|| {
        let rest = name.strip_prefix("core[")?;
        rest[rest.find(']')? + 1..].strip_prefix("::ptr::drop_in_place<")
    });
    if let Some(krate) = dropped.and_then(type_crate) {
        return Some(krate);
    }
    leading_crate(name)
}

/// The crate of a type (`&mut a::B<C>`, `[a::B]`, `dyn a::Tr`), if it is a path.
fn type_crate(ty: &str) -> Option<String> {
    let mut ty = ty.trim();
    loop {
        let before = ty;
        for prefix in [
            "&", "mut ", "*const ", "*mut ", "dyn ", "impl ", "[", "(", "'_ ", " ",
        ] {
            ty = ty.strip_prefix(prefix).unwrap_or(ty);
        }
        if ty == before {
            break;
        }
    }
    if ty.starts_with('<') {
        return path_crate(ty);
    }
    leading_crate(ty)
}

/// `name` up to its first `::`, if that is a crate name (`core[c5930c85a12de822]` → `core`).
fn leading_crate(path: &str) -> Option<String> {
    let ident_len = path
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    let ident = &path[..ident_len];
    let mut rest = &path[ident_len..];
    if rest.starts_with('[') {
        rest = &rest[rest.find(']')? + 1..];
    }
    let first = ident.chars().next()?;
    (rest.starts_with("::") && (first.is_ascii_alphabetic() || first == '_'))
        .then(|| ident.to_owned())
}

/// The index of the `>` that closes an opening `<` already consumed.
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if i > 0 && s[..i].ends_with('-') => {} // `->` in a fn type
            '>' if depth == 0 => return Some(i),
            '>' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The index of ` as ` outside any `<…>` inside a qualified path.
fn split_as(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' if i > 0 && s[..i].ends_with('-') => {}
            '>' => depth = depth.saturating_sub(1),
            ' ' if depth == 0 && s[i..].starts_with(" as ") => return Some(i),
            _ => {}
        }
    }
    None
}

/// Drop the symbol hash (`::h5f6d7ab55de3feab`) and cut long names in the middle.
fn shorten(name: &str, max: usize) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_owned();
    }
    let half = (max - 1) / 2;
    let head: String = chars[..half].iter().collect();
    let tail: String = chars[chars.len() - (max - 1 - half)..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_items_by_crate() {
        let cases = [
            (
                "offset_lab_sim::scenario::validate::<impl offset_lab_sim::scenario::Scenario>::validate::h6a19d0604c21be44",
                "offset_lab_sim",
            ),
            (
                "<offset_lab::app::App as yew::functional::FunctionProvider>::run::inner::h5f6d7ab55de3feab",
                "offset_lab",
            ),
            (
                "<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_seq::hecbc3aca88e85ded",
                "serde_json",
            ),
            (
                "<T as alloc::string::ToString>::to_string::h0123456789abcdef",
                "alloc",
            ),
            ("<&T as core::fmt::Debug>::fmt::h0123456789abcdef", "core"),
            (
                "<alloc::vec::Vec<T,A> as core::clone::Clone>::clone",
                "alloc",
            ),
            (
                "<[A] as core::slice::cmp::SlicePartialEq<B>>::equal",
                "core",
            ),
            ("core[c5930c85a12de822]::fmt::write", "core"),
            (
                "<core[c5930c85a12de822]::fmt::Arguments as core[c5930c85a12de822]::fmt::Display>::fmt",
                "core",
            ),
            (
                "core::ptr::drop_in_place<yew::virtual_dom::VNode>::h0123456789abcdef",
                "yew",
            ),
            ("core::ptr::drop_in_place<(u64,u32)>", "core"),
            (
                "<<F as yew::Callback>::Out as core::ops::FnOnce<()>>::call_once",
                "yew",
            ),
            ("<fn() -> u32 as core::ops::FnOnce<()>>::call_once", "core"),
            (
                "yew::html::component::lifecycle::ComponentState::run::{{closure}}",
                "yew",
            ),
            ("__rustc::__rust_alloc", "__rustc"),
            ("\"function names\" subsection", NAMES),
            ("custom section 'name' headers", NAMES),
            (
                "data segment \".rodata.46\"",
                "(data segments: strings, tables, constants)",
            ),
            ("code[929]", "(functions without a name)"),
            (
                "type[3]: (i32, i32) -> nil",
                "(wasm structure: types, imports, exports, tables)",
            ),
            (
                "export \"memory\"",
                "(wasm structure: types, imports, exports, tables)",
            ),
            (
                "import section headers",
                "(wasm structure: types, imports, exports, tables)",
            ),
            ("__wbindgen_malloc", "wasm_bindgen"),
            ("Ref(String) -> Externref externref shim", "wasm_bindgen"),
            ("memcmp", "(other: compiler builtins, libm, main)"),
            ("main", "(other: compiler builtins, libm, main)"),
        ];
        for (name, want) in cases {
            assert_eq!(group_of(name), want, "{name}");
        }
    }

    #[test]
    fn reads_twiggy_csv() {
        let csv = "Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent\n\
                   \"\"\"function names\"\" subsection\",244827,21.5,,\n\
                   \"<(A, B) as core::fmt::Debug>::fmt\",300,0.1,,\n\
                   serde_json::de::from_str,200,0.1,,\n\
                   \"data segment \"\".rodata.1\"\"\",100,0.1,,\n\
                   ... and 5 more.,50,0.1,,\n\
                   Σ [9 Total Rows],245477,100.0,,\n";
        let items = parse_twiggy_csv(csv).unwrap();
        let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "\"function names\" subsection",
                "<(A, B) as core::fmt::Debug>::fmt",
                "serde_json::de::from_str",
                "data segment \".rodata.1\"",
            ]
        );
        assert_eq!(
            by_crate(&items),
            [
                ("core".to_owned(), 300),
                ("serde_json".to_owned(), 200),
                (
                    "(data segments: strings, tables, constants)".to_owned(),
                    100
                ),
            ]
        );
    }

    #[test]
    fn shortens_names() {
        assert_eq!(shorten("a::b::h5f6d7ab55de3feab", 80), "a::b");
        assert_eq!(shorten("a::high", 80), "a::high");
        assert_eq!(shorten("abcdefghij", 5), "ab…ij");
    }

    #[test]
    fn reads_the_target_dir_from_cargo_metadata() {
        let json = r#"{"packages":[],"target_directory":"/work/x \"y\"/target","version":1}"#;
        assert_eq!(
            json_string(json, "target_directory").as_deref(),
            Some("/work/x \"y\"/target")
        );
        assert_eq!(json_string(json, "workspace_root"), None);
    }
}
