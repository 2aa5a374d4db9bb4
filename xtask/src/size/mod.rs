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
            compress::finish_site(&root.join("dist"))?;
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

mod twiggy;
use twiggy::*;

#[cfg(test)]
mod tests;
