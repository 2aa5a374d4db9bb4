//! The fmt and clippy stages (and `cargo xtask fmt`).

use super::*;

/// `cargo xtask fmt`.
pub(crate) fn fmt_command() -> Result {
    run("cargo", &["fmt", "--all"])?;
    println!("✓ cargo fmt --all: every crate formatted");
    Ok(())
}

/// `cargo fmt --all --check`, which names the files that differ instead of printing the diff.
pub(crate) fn fmt_stage(root: &Path) -> Stage {
    let started = Instant::now();
    banner("fmt: cargo fmt --all --check");
    let output = Command::new("cargo")
        .args(["fmt", "--all", "--check", "--message-format", "short"])
        .stdin(Stdio::null())
        .output();
    let (outcome, detail) = match output {
        Err(e) => (Outcome::Failed, format!("cannot run cargo fmt: {e}")),
        Ok(out) if out.status.success() => {
            println!("✓ every file is formatted");
            (Outcome::Passed, String::new())
        }
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let files: Vec<String> = stdout
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| relative(root, l.trim()))
                .collect();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !stderr.trim().is_empty() {
                eprintln!("{}", stderr.trim_end());
            }
            let detail = if files.is_empty() {
                // Not a formatting difference: rustfmt could not parse a file, or is missing.
                let why = first_line(stderr.trim());
                if why.is_empty() {
                    format!("cargo fmt exited with {}", out.status)
                } else {
                    why
                }
            } else {
                println!("not formatted:");
                for f in &files {
                    println!("  {f}");
                }
                println!(
                    "fix with `cargo xtask fmt` (cargo fmt --all); the diff: `cargo fmt --all --check`"
                );
                format!(
                    "{} not formatted: {}",
                    plural(files.len(), "file"),
                    some(&files)
                )
            };
            (Outcome::Failed, detail)
        }
    };
    Stage {
        name: "fmt",
        outcome,
        detail,
        time: started.elapsed(),
    }
}

/// The clippy runs of the clippy stage: the workspace natively, and the app for wasm32 (its
/// `tests/*.rs` compile only for that target).
pub(crate) const CLIPPY_RUNS: [&[&str]; 2] = [
    &["clippy", "--workspace", "--all-targets"],
    &[
        "clippy",
        "--target",
        WASM_TARGET,
        "-p",
        "offset-lab",
        "--all-targets",
    ],
];

/// Clippy over the workspace, failing on any warning as `-- -D warnings` would, but without
/// passing `-D warnings`: a denied warning in `offset-lab-sim` would stop every crate that
/// depends on it from being checked, and so hide their warnings.
pub(crate) fn clippy_stage() -> Stage {
    let started = Instant::now();
    banner("clippy: cargo clippy --workspace --all-targets; the same for offset-lab on wasm32");
    let mut findings: Vec<String> = Vec::new();
    let mut failed_runs: Vec<String> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for args in CLIPPY_RUNS {
        let reproduce = format!("cargo {} -- -D warnings", args.join(" "));
        let output = Command::new("cargo")
            .args(args)
            .arg("--message-format=short")
            .stdin(Stdio::null())
            .output();
        let out = match output {
            Ok(out) => out,
            Err(e) => {
                errors.push(format!("cannot run cargo clippy: {e}"));
                failed_runs.push(reproduce);
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let report = parse_clippy(&stderr);
        for f in report.findings {
            if !findings.contains(&f) {
                findings.push(f);
            }
        }
        if !out.status.success() && report.errors.is_empty() {
            // Failed without a diagnostic to show (a missing target or component, say).
            let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
            errors.extend(tail.into_iter().rev().map(str::to_owned));
        }
        errors.extend(report.errors);
        if !out.status.success() || report.warned {
            failed_runs.push(reproduce);
        }
    }
    let (outcome, detail) = if failed_runs.is_empty() {
        println!("✓ no warnings");
        (Outcome::Passed, String::new())
    } else {
        for line in findings.iter().chain(&errors) {
            println!("{line}");
        }
        println!("reproduce with:");
        for cmd in &failed_runs {
            println!("  {cmd}");
        }
        let detail = if findings.is_empty() {
            errors
                .first()
                .cloned()
                .unwrap_or_else(|| "warnings without a source location".into())
        } else {
            let mut files: Vec<String> = Vec::new();
            for f in &findings {
                let file = f.split(':').next().unwrap_or_default().to_owned();
                if !files.contains(&file) {
                    files.push(file);
                }
            }
            format!("{} in {}", plural(findings.len(), "finding"), some(&files))
        };
        (Outcome::Failed, detail)
    };
    Stage {
        name: "clippy",
        outcome,
        detail,
        time: started.elapsed(),
    }
}

/// What one `cargo clippy --message-format=short` printed on stderr.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ClippyReport {
    /// `path:line:col: warning|error: message`, one line per diagnostic.
    pub(crate) findings: Vec<String>,
    /// cargo's own errors (`error: could not compile …`).
    pub(crate) errors: Vec<String>,
    /// Some crate "generated N warnings" (also those without a source location).
    pub(crate) warned: bool,
}

pub(crate) fn parse_clippy(stderr: &str) -> ClippyReport {
    let mut report = ClippyReport::default();
    for line in stderr.lines() {
        let line = line.trim_end();
        if line.starts_with("warning: `") && line.contains(" generated ") {
            report.warned = true;
        } else if line.starts_with("error") {
            report.errors.push(line.to_owned());
        } else if is_diagnostic(line) && !report.findings.iter().any(|f| f == line) {
            report.findings.push(line.to_owned());
        }
    }
    report
}

/// `path:line:col: level: message`, the short message format.
pub(crate) fn is_diagnostic(line: &str) -> bool {
    let mut parts = line.splitn(4, ':');
    let (Some(path), Some(row), Some(col), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    !path.is_empty()
        && number(row)
        && number(col)
        && (rest.starts_with(" warning") || rest.starts_with(" error"))
}

pub(crate) fn relative(root: &Path, path: &str) -> String {
    Path::new(path)
        .strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_owned())
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first few items, for a one-line summary.
pub(crate) fn some(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}
