//! Project tasks for Offset Lab: `cargo xtask <setup|serve|test|fuzz|fmt|verify|build|size|bundle-size>`.
//!
//! std, plus flate2 and brotli for the precompressed site (compress.rs). Everything it
//! installs comes through cargo, npm or apt, and only when missing or at the wrong
//! version; see `cargo xtask help`.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const TRUNK_VERSION: &str = "0.21.14";
const WASM_OPT_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Budgets for the gzipped release bundle: what the page loads (its wasm, js and css), and
/// what its Web Worker loads (the simulation: the worker's wasm and js).
const PAGE_LIMIT_KIB: f64 = 215.0;
const WORKER_LIMIT_KIB: f64 = 275.0;
/// cargo-fuzz builds the fuzz targets (`fuzz/`) with libFuzzer on stable Rust (`--sanitizer none`).
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// Seconds per fuzz target in `cargo xtask fuzz` and in the fuzz stage of `cargo xtask test`.
const FUZZ_SECONDS: u64 = 20;

mod compress;
mod json;
mod size;
mod verify;

const HELP: &str = "\
usage: cargo xtask <command> [args]

  setup          install what is missing: wasm32 target, rustfmt and clippy, trunk,
                 wasm-bindgen-cli, cargo-fuzz, twiggy, npm packages (wasm-opt,
                 playwright-core),
                 Debian chromium + chromedriver, the real client (confluent-kafka,
                 pinned in verify/requirements.txt) in .venv/
  serve [ARGS]   setup, then `trunk serve` on http://127.0.0.1:8080 (ARGS go to trunk,
                 e.g. `cargo xtask serve --port 9000`)
  test           setup, then every test stage with a summary table:
                 fmt (`cargo fmt --all --check`), clippy (no warnings allowed, native
                 and wasm32), native tests, fuzz (20 s per target), real client (every
                 preset on confluent-kafka, `verify`), wasm tests (headless Chromium),
                 release build (+ .gz/.br copies), end-to-end tests (playwright-core),
                 bundle size, size report (printed, never fails)
  test --native  only the native tests (`cargo test --workspace`), no setup
  fuzz [--seconds N | --runs N] [TARGET...]
                 build the fuzz targets (fuzz/, cargo-fuzz, stable Rust) and run each
                 (scenario_json, link, run) for N seconds (default 20) or N executions;
                 fails on any crash, timeout (an input over 2 s) or out-of-memory, and
                 prints the input that caused it and the command that reproduces it
  fmt            format every crate (`cargo fmt --all`)
  verify [ARGS]  run scenarios on the real client and compare them with the simulator,
                 payment by payment (`cargo xtask verify --help`)
  build [ARGS]   setup, `trunk build --release` (ARGS go to trunk, e.g. --public-url
                 /courses/x/), then .gz and .br copies of each wasm, js, css and html
                 file in dist/ for the web server: the site to publish
  size           setup, the release build, then what each wasm in dist/ is made of:
                 twiggy's largest items and the bytes per crate
  size --quick   the same report, shorter, on dist/ as it is (no build, no wasm-opt)
  bundle-size    setup, `trunk build --release`, print gzipped wasm + js + css sizes
";

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = repo_root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    extend_path(&root);

    let result = match command.as_str() {
        "setup" => setup(&root),
        "serve" => serve(&root, &rest),
        "test" => return test(&root, &rest),
        "fuzz" => fuzz_command(&root, &rest),
        "bundle-size" => bundle_size_command(&root),
        "build" => compress::build_command(&root, &rest),
        "size" => size::command(&root, &rest),
        "fmt" => fmt_command(),
        "verify" => verify::command(&root, &rest),
        "" | "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = (), E = String> = std::result::Result<T, E>;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repo root")
        .to_path_buf()
}

/// Put `node_modules/.bin` (wasm-opt for trunk) and cargo's bin dir (trunk,
/// wasm-bindgen, wasm-bindgen-test-runner) in front of PATH for every child.
fn extend_path(root: &Path) {
    let cargo_bin = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin"));
    let mut paths = vec![root.join("node_modules").join(".bin")];
    paths.extend(cargo_bin);
    paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    let joined: OsString = env::join_paths(paths).expect("PATH entries are valid");
    // SAFETY: called once at startup, before any other thread exists.
    unsafe { env::set_var("PATH", joined) };
}

// ---------------------------------------------------------------- setup

fn setup(root: &Path) -> Result {
    let started = Instant::now();
    println!("setup: checking tools (first run installs them, ~15 min on 2 cores)");
    setup_wasm_target()?;
    setup_components()?;
    setup_cargo_tool("trunk", "trunk", TRUNK_VERSION, &["--locked"])?;
    let wb = wasm_bindgen_version(root)?;
    setup_cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &wb, &[])?;
    check_version("wasm-bindgen-test-runner", &wb)?;
    setup_cargo_fuzz()?;
    setup_cargo_tool("twiggy", "twiggy", size::TWIGGY_VERSION, &["--locked"])?;
    setup_npm(root)?;
    setup_chromium()?;
    verify::setup_venv(root)?;
    run_quiet("cargo", &["fetch", "--quiet"]).map_err(|e| format!("cargo fetch failed: {e}"))?;
    println!("✓ crates fetched (trunk builds offline)");
    println!("setup: done in {}", fmt_duration(started.elapsed()));
    Ok(())
}

fn setup_wasm_target() -> Result {
    let installed = output("rustup", &["target", "list", "--installed"])
        .map(|out| out.lines().any(|l| l.trim() == WASM_TARGET))
        .unwrap_or(false);
    if installed {
        println!("✓ rust target {WASM_TARGET} already installed");
        return Ok(());
    }
    println!("→ installing rust target {WASM_TARGET} (rustup)…");
    run("rustup", &["target", "add", WASM_TARGET])
}

/// rustfmt and clippy, for the fmt and clippy stages.
fn setup_components() -> Result {
    let installed = output("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    let missing: Vec<&str> = ["rustfmt", "clippy"]
        .into_iter()
        .filter(|c| {
            !installed
                .lines()
                .any(|l| l.trim().split('-').next() == Some(*c))
        })
        .collect();
    if missing.is_empty() {
        println!("✓ rustfmt and clippy already installed");
        return Ok(());
    }
    println!(
        "→ installing {} (rustup component add)…",
        missing.join(" and ")
    );
    let mut args = vec!["component", "add"];
    args.extend(&missing);
    run("rustup", &args)
}

/// First whitespace-separated token after the program name in `<bin> --version`.
fn tool_version(bin: &str) -> Option<String> {
    let out = output(bin, &["--version"]).ok()?;
    out.split_whitespace().nth(1).map(str::to_owned)
}

fn setup_cargo_tool(krate: &str, bin: &str, version: &str, extra: &[&str]) -> Result {
    match tool_version(bin) {
        Some(v) if v == version => {
            println!("✓ {bin} {version} already installed");
            return Ok(());
        }
        Some(v) => println!(
            "→ {bin} is {v}, installing {version} (cargo install {krate}, several minutes)…"
        ),
        None => println!("→ installing {bin} {version} (cargo install {krate}, several minutes)…"),
    }
    let mut args = vec!["install", krate, "--version", version];
    args.extend_from_slice(extra);
    run("cargo", &args)?;
    check_version(bin, version)
}

fn check_version(bin: &str, version: &str) -> Result {
    match tool_version(bin) {
        Some(v) if v == version => Ok(()),
        Some(v) => Err(format!(
            "{bin} reports version {v}, expected {version} (is another copy first on PATH?)"
        )),
        None => Err(format!(
            "{bin} is not runnable after installing it (is ~/.cargo/bin on PATH?)"
        )),
    }
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    lock_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".into())
}

fn lock_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            let version = next.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

fn setup_npm(root: &Path) -> Result {
    let lock = root.join("package-lock.json");
    let stamp = root.join("node_modules").join(".xtask-package-lock.json");
    let wanted = fs::read(&lock).map_err(|e| format!("cannot read package-lock.json: {e}"))?;
    let current = fs::read(&stamp).ok();
    if current.as_deref() == Some(wanted.as_slice()) {
        println!("✓ npm packages already installed (wasm-opt, playwright-core)");
    } else {
        if output("npm", &["--version"]).is_err() {
            return Err("npm not found: install Node.js 20 with npm".into());
        }
        let why = if current.is_none() {
            "node_modules missing"
        } else {
            "package-lock.json changed"
        };
        println!("→ installing npm packages ({why}): npm ci…");
        run(
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        )?;
        fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    let out = output("wasm-opt", &["--version"]).unwrap_or_default();
    if !out.contains(&format!("version {WASM_OPT_VERSION}")) {
        return Err(format!(
            "wasm-opt {WASM_OPT_VERSION} from node_modules/.bin not found (got {:?}); \
             check package.json pins binaryen {WASM_OPT_VERSION}",
            out.trim()
        ));
    }
    Ok(())
}

fn setup_chromium() -> Result {
    let have = |p: &str| Path::new(p).exists();
    if have(CHROMIUM) && have(CHROMEDRIVER) {
        println!("✓ chromium and chromedriver already installed");
        return Ok(());
    }
    let cmd = "apt-get update && apt-get install -y chromium chromium-driver";
    let is_root = output("id", &["-u"])
        .map(|s| s.trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return Err(format!(
            "Chromium and ChromeDriver are needed for the browser tests; \
             install them with:\n\n    sudo sh -c '{cmd}'\n\nthen run this command again"
        ));
    }
    println!("→ installing chromium and chromium-driver (apt-get)…");
    let status = Command::new("sh")
        .args(["-c", cmd])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if !status.success() || !have(CHROMIUM) || !have(CHROMEDRIVER) {
        return Err(format!("`{cmd}` failed"));
    }
    Ok(())
}

// ---------------------------------------------------------------- serve

fn serve(root: &Path, args: &[String]) -> Result {
    setup(root)?;
    println!("serve: http://127.0.0.1:8080 (unless --port/--address say otherwise); Ctrl-C stops");
    let mut cmd = Command::new("trunk");
    cmd.arg("serve").args(args);
    let status = cmd.status().map_err(|e| format!("cannot run trunk: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("trunk serve exited with {status}"))
    }
}

// ---------------------------------------------------------------- test

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Passed,
    Failed,
    Skipped,
}

struct Stage {
    name: &'static str,
    outcome: Outcome,
    detail: String,
    time: Duration,
}

#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
    seen: bool,
}

impl Counts {
    fn describe(&self) -> String {
        if self.seen {
            format!("{} passed, {} failed", self.passed, self.failed)
        } else {
            String::new()
        }
    }
}

fn test(root: &Path, args: &[String]) -> ExitCode {
    let native_only = match args {
        [] => false,
        [a] if a == "--native" => true,
        _ => {
            eprintln!("xtask: unknown arguments {args:?}\n\n{HELP}");
            return ExitCode::FAILURE;
        }
    };
    let mut stages = Vec::new();

    let setup_ok = if native_only {
        true
    } else {
        let t = Instant::now();
        let r = setup(root);
        let ok = r.is_ok();
        stages.push(Stage {
            name: "setup",
            outcome: if ok { Outcome::Passed } else { Outcome::Failed },
            detail: r.err().map(|e| first_line(&e)).unwrap_or_default(),
            time: t.elapsed(),
        });
        if !ok {
            eprintln!("xtask: setup failed; running fmt, clippy and the native tests only");
        }
        ok
    };

    if !native_only {
        stages.push(fmt_stage(root));
        stages.push(clippy_stage());
    }

    banner("native tests: cargo test --workspace");
    stages.push(test_stage(
        "native tests",
        Command::new("cargo").args(["test", "--workspace"]),
    ));

    if !native_only {
        if setup_ok {
            banner(&format!(
                "fuzz: cargo xtask fuzz --seconds {FUZZ_SECONDS} (libFuzzer, {} targets)",
                FUZZ_TARGETS.len()
            ));
            stages.push(fuzz_stage(root, &FuzzPlan::default()));
        } else {
            stages.push(skipped("fuzz", "setup failed"));
        }
        banner(
            "real client: cargo xtask verify (every preset on confluent-kafka + the mock cluster)",
        );
        // It sets up its own .venv/ (verify::stage), so it runs even if the browser setup failed.
        stages.push(real_client_stage(root));
    }

    if !native_only {
        let mut wasm = Command::new("cargo");
        // `inline`: the browser tests run the sessions in the page (they cannot load a worker).
        wasm.args([
            "test",
            "--target",
            WASM_TARGET,
            "-p",
            "offset-lab",
            "--features",
            "inline",
        ])
        .env("CHROMEDRIVER", CHROMEDRIVER);
        let mut build = Command::new("trunk");
        build.args(["build", "--release"]);
        let mut e2e = Command::new("node");
        e2e.args(["--test", "--test-reporter=spec", "tests/e2e/"]);

        if !setup_ok {
            for name in [
                "wasm tests",
                "release build",
                "e2e tests",
                "bundle size",
                "size report",
            ] {
                stages.push(skipped(name, "setup failed"));
            }
        } else {
            banner(
                "wasm tests: cargo test --target wasm32-unknown-unknown -p offset-lab --features inline (headless Chromium)",
            );
            stages.push(test_stage("wasm tests", &mut wasm));

            banner("release build: trunk build --release");
            let mut built = test_stage("release build", &mut build);
            if built.outcome == Outcome::Passed
                && let Err(e) = compress::precompress_and_print(&root.join("dist"))
            {
                (built.outcome, built.detail) = (Outcome::Failed, e);
            }
            let built_ok = built.outcome == Outcome::Passed;
            stages.push(built);

            if built_ok {
                banner("e2e tests: node --test tests/e2e/ (playwright-core, headless Chromium)");
                stages.push(test_stage("e2e tests", &mut e2e));
                stages.push(bundle_stage(root));
                stages.push(size::stage(root));
            } else {
                stages.push(skipped("e2e tests", "release build failed"));
                stages.push(skipped("bundle size", "release build failed"));
                stages.push(skipped("size report", "release build failed"));
            }
        }
    }

    print_summary(&stages);
    if stages.iter().all(|s| s.outcome == Outcome::Passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn real_client_stage(root: &Path) -> Stage {
    let started = Instant::now();
    let (outcome, detail) = match verify::stage(root) {
        Ok(d) => (Outcome::Passed, d),
        Err(d) => (Outcome::Failed, d),
    };
    Stage {
        name: "real client",
        outcome,
        detail,
        time: started.elapsed(),
    }
}

fn banner(title: &str) {
    println!("\n==> {title}");
}

fn skipped(name: &'static str, why: &str) -> Stage {
    Stage {
        name,
        outcome: Outcome::Skipped,
        detail: format!("skipped: {why}"),
        time: Duration::ZERO,
    }
}

/// Run `cmd`, echoing its stdout while counting test results
/// (`test result: ok. N passed; M failed` from cargo, `ℹ pass N` from node).
fn test_stage(name: &'static str, cmd: &mut Command) -> Stage {
    let started = Instant::now();
    let mut counts = Counts::default();
    let result = run_counting(cmd, &mut counts);
    let time = started.elapsed();
    let (outcome, detail) = match result {
        Ok(true) => (Outcome::Passed, counts.describe()),
        Ok(false) => {
            let d = counts.describe();
            (
                Outcome::Failed,
                if d.is_empty() {
                    "exited non-zero".into()
                } else {
                    d
                },
            )
        }
        Err(e) => (Outcome::Failed, e),
    };
    Stage {
        name,
        outcome,
        detail,
        time,
    }
}

fn run_counting(cmd: &mut Command, counts: &mut Counts) -> Result<bool> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(out, "{line}");
        parse_counts(&line, counts);
    }
    let status = child.wait().map_err(|e| format!("{program}: {e}"))?;
    Ok(status.success())
}

fn parse_counts(line: &str, counts: &mut Counts) {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("test result: ") {
        // "ok. 3 passed; 0 failed; 0 ignored; ..."
        let number_before = |word: &str| {
            rest.split(';').find_map(|part| {
                let mut it = part.split_whitespace().rev();
                (it.next() == Some(word))
                    .then(|| it.next()?.parse::<u64>().ok())
                    .flatten()
            })
        };
        counts.passed += number_before("passed").unwrap_or(0);
        counts.failed += number_before("failed").unwrap_or(0);
        counts.seen = true;
        return;
    }
    // node --test spec reporter ("ℹ pass 2") or TAP ("# pass 2")
    for prefix in ["ℹ ", "# "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let mut it = rest.split_whitespace();
            let (key, value) = (it.next(), it.next().and_then(|v| v.parse::<u64>().ok()));
            match (key, value, it.next()) {
                (Some("pass"), Some(n), None) => {
                    counts.passed += n;
                    counts.seen = true;
                }
                (Some("fail"), Some(n), None) => {
                    counts.failed += n;
                    counts.seen = true;
                }
                _ => {}
            }
        }
    }
}

fn print_summary(stages: &[Stage]) {
    let rows: Vec<[String; 4]> = stages
        .iter()
        .map(|s| {
            let outcome = match s.outcome {
                Outcome::Passed => "passed",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            };
            [
                s.name.to_owned(),
                outcome.to_owned(),
                fmt_duration(s.time),
                s.detail.clone(),
            ]
        })
        .collect();
    let header = ["stage", "result", "time", "details"].map(str::to_owned);
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        format!(
            "  {:<w0$}  {:<w1$}  {:>w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
        .trim_end()
        .to_owned()
    };
    let total: Duration = stages.iter().map(|s| s.time).sum();
    println!("\n==> test summary (total {})", fmt_duration(total));
    println!("{}", line(&header));
    for row in &rows {
        println!("{}", line(row));
    }
    let passed = stages
        .iter()
        .filter(|s| s.outcome == Outcome::Passed)
        .count();
    // A skipped stage could not run, so it counts as failed.
    let failed = stages.len() - passed;
    println!("summary: {passed} passed, {failed} failed");
}

// ---------------------------------------------------------------- fmt and clippy

/// `cargo xtask fmt`.
fn fmt_command() -> Result {
    run("cargo", &["fmt", "--all"])?;
    println!("✓ cargo fmt --all: every crate formatted");
    Ok(())
}

/// `cargo fmt --all --check`, which names the files that differ instead of printing the diff.
fn fmt_stage(root: &Path) -> Stage {
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
const CLIPPY_RUNS: [&[&str]; 2] = [
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
fn clippy_stage() -> Stage {
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
struct ClippyReport {
    /// `path:line:col: warning|error: message`, one line per diagnostic.
    findings: Vec<String>,
    /// cargo's own errors (`error: could not compile …`).
    errors: Vec<String>,
    /// Some crate "generated N warnings" (also those without a source location).
    warned: bool,
}

fn parse_clippy(stderr: &str) -> ClippyReport {
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
fn is_diagnostic(line: &str) -> bool {
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

fn relative(root: &Path, path: &str) -> String {
    Path::new(path)
        .strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_owned())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first few items, for a one-line summary.
fn some(items: &[String]) -> String {
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

// ---------------------------------------------------------------- fuzz

struct FuzzTarget {
    name: &'static str,
    /// libFuzzer dictionary, relative to the repo root.
    dict: &'static str,
    /// Seed corpora (read only), relative to the repo root.
    seeds: &'static [&'static str],
}

/// The targets in `fuzz/fuzz_targets/`.
const FUZZ_TARGETS: &[FuzzTarget] = &[
    FuzzTarget {
        name: "scenario_json",
        dict: "fuzz/dict/scenario.dict",
        seeds: &["crates/sim/presets", "fuzz/seeds/scenario"],
    },
    FuzzTarget {
        name: "link",
        dict: "fuzz/dict/link.dict",
        seeds: &["fuzz/seeds/link"],
    },
    FuzzTarget {
        name: "run",
        dict: "fuzz/dict/scenario.dict",
        seeds: &["crates/sim/presets", "fuzz/seeds/scenario"],
    },
];

/// libFuzzer options shared by every run: one input taking over 2 s is a hang.
const FUZZ_OPTIONS: &[&str] = &[
    "-timeout=2",
    "-rss_limit_mb=2048",
    "-max_len=16384",
    "-print_final_stats=1",
];
/// Working corpora larger than this are merged down before a run (see `merge_corpus`).
const CORPUS_MERGE_ABOVE: usize = 5000;
/// The flags of `cargo fuzz build` and `cargo fuzz run`: optimized, with debug assertions and
/// overflow checks, no sanitizer (so stable Rust does).
const CARGO_FUZZ_FLAGS: &[&str] = &["--release", "--debug-assertions", "--sanitizer", "none"];

#[derive(Clone, Copy, PartialEq, Debug)]
enum FuzzLimit {
    Seconds(u64),
    Runs(u64),
}

#[derive(Debug, PartialEq)]
struct FuzzPlan {
    limit: FuzzLimit,
    targets: Vec<&'static str>,
}

impl Default for FuzzPlan {
    fn default() -> Self {
        FuzzPlan {
            limit: FuzzLimit::Seconds(FUZZ_SECONDS),
            targets: FUZZ_TARGETS.iter().map(|t| t.name).collect(),
        }
    }
}

fn parse_fuzz_args(args: &[String]) -> Result<FuzzPlan> {
    let mut plan = FuzzPlan {
        targets: Vec::new(),
        ..FuzzPlan::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" | "--runs" => {
                let n = it
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{a} needs a positive number"))?;
                plan.limit = if a == "--seconds" {
                    FuzzLimit::Seconds(n)
                } else {
                    FuzzLimit::Runs(n)
                };
            }
            name => match FUZZ_TARGETS.iter().find(|t| t.name == name) {
                Some(t) => plan.targets.push(t.name),
                None => {
                    let names: Vec<&str> = FUZZ_TARGETS.iter().map(|t| t.name).collect();
                    return Err(format!(
                        "unknown fuzz target or option `{name}` (targets: {})",
                        names.join(", ")
                    ));
                }
            },
        }
    }
    if plan.targets.is_empty() {
        plan.targets = FuzzPlan::default().targets;
    }
    Ok(plan)
}

fn setup_cargo_fuzz() -> Result {
    setup_cargo_tool(
        "cargo-fuzz",
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        &["--locked"],
    )
}

fn fuzz_command(root: &Path, args: &[String]) -> Result {
    let plan = parse_fuzz_args(args)?;
    setup_cargo_fuzz()?;
    let stage = fuzz_stage(root, &plan);
    if stage.outcome == Outcome::Passed {
        println!("fuzz: {} in {}", stage.detail, fmt_duration(stage.time));
        Ok(())
    } else {
        Err(format!("fuzz failed: {}", stage.detail))
    }
}

/// What one libFuzzer run said.
#[derive(Default, Debug, PartialEq)]
struct FuzzRun {
    runs: u64,
    /// `crash`, `timeout`, `oom`, … with the input libFuzzer saved.
    failure: Option<(String, Option<String>)>,
}

fn fuzz_stage(root: &Path, plan: &FuzzPlan) -> Stage {
    let started = Instant::now();
    let done = |outcome, detail: String| Stage {
        name: "fuzz",
        outcome,
        detail,
        time: started.elapsed(),
    };
    // fuzz/target, whatever CARGO_TARGET_DIR says: the main build's cache stays untouched.
    let target_dir = root.join("fuzz/target");
    let target_dir = target_dir.to_string_lossy();
    // Every seed passes the checks natively (a quick debug build, no libFuzzer).
    println!("→ fuzz seeds: cargo test --manifest-path fuzz/Cargo.toml");
    let test = [
        "test",
        "--quiet",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--target-dir",
        &target_dir,
    ];
    if let Err(e) = run("cargo", &test) {
        return done(Outcome::Failed, format!("seed tests failed: {e}"));
    }
    println!(
        "→ building the fuzz targets: cargo fuzz build {}",
        CARGO_FUZZ_FLAGS.join(" ")
    );
    let mut build = vec!["fuzz", "build"];
    build.extend_from_slice(CARGO_FUZZ_FLAGS);
    build.extend_from_slice(&["--target-dir", &target_dir]);
    if let Err(e) = run("cargo", &build) {
        return done(Outcome::Failed, format!("build failed: {e}"));
    }
    let host = match output("rustc", &["-vV"]) {
        Ok(out) => out
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .unwrap_or_default()
            .to_owned(),
        Err(e) => return done(Outcome::Failed, e),
    };
    let mut summary = Vec::new();
    for name in &plan.targets {
        let Some(target) = FUZZ_TARGETS.iter().find(|t| t.name == *name) else {
            continue;
        };
        let bin = Path::new(&*target_dir)
            .join(&host)
            .join("release")
            .join(target.name);
        match fuzz_target(root, &bin, target, plan.limit) {
            Ok(r) => match r.failure {
                None => summary.push(format!("{} {} runs", target.name, r.runs)),
                Some((kind, input)) => {
                    let input = input.unwrap_or_else(|| format!("fuzz/artifacts/{}/", target.name));
                    println!(
                        "\nfuzz: {} found a {kind}; the input is {input}",
                        target.name
                    );
                    println!(
                        "reproduce it with:\n    cargo fuzz run {} {} {input}",
                        CARGO_FUZZ_FLAGS.join(" "),
                        target.name
                    );
                    println!(
                        "or without cargo-fuzz:\n    {} {input}",
                        bin.strip_prefix(root).unwrap_or(&bin).display()
                    );
                    return done(
                        Outcome::Failed,
                        format!("{}: {kind}, input {input}", target.name),
                    );
                }
            },
            Err(e) => return done(Outcome::Failed, format!("{}: {e}", target.name)),
        }
    }
    let limit = match plan.limit {
        FuzzLimit::Seconds(s) => format!("{s} s each"),
        FuzzLimit::Runs(n) => format!("{n} runs each"),
    };
    done(
        Outcome::Passed,
        format!("{limit}: {}; no crash, hang or OOM", summary.join(", ")),
    )
}

/// Runs one target: new inputs go to `fuzz/corpus/<target>` (the working corpus), failures to
/// `fuzz/artifacts/<target>/`; the seed directories are only read.
fn fuzz_target(root: &Path, bin: &Path, target: &FuzzTarget, limit: FuzzLimit) -> Result<FuzzRun> {
    let corpus = root.join("fuzz/corpus").join(target.name);
    let artifacts = root.join("fuzz/artifacts").join(target.name);
    for dir in [&corpus, &artifacts] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    merge_corpus(root, bin, target)?;
    let mut cmd = Command::new(bin);
    cmd.arg(format!("fuzz/corpus/{}", target.name))
        .args(target.seeds)
        .arg(format!("-dict={}", target.dict))
        .arg(format!("-artifact_prefix=fuzz/artifacts/{}/", target.name))
        .args(FUZZ_OPTIONS)
        .arg(match limit {
            FuzzLimit::Seconds(s) => format!("-max_total_time={s}"),
            FuzzLimit::Runs(n) => format!("-runs={n}"),
        });
    banner(&format!(
        "fuzz {}: {}",
        target.name,
        describe_command(&cmd, root)
    ));
    let mut child = cmd
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let mut result = FuzzRun::default();
    let mut in_dict = false;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if show_fuzz_line(&line, &mut in_dict) {
            println!("{line}");
        }
        parse_fuzz_line(&line, &mut result);
    }
    let status = child
        .wait()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !status.success() && result.failure.is_none() {
        result.failure = Some((format!("failure ({status})"), None));
    }
    Ok(result)
}

/// libFuzzer keeps every input that once added coverage, so the working corpus grows from run
/// to run while the set it needs stays small, and replaying it all at start takes longer and
/// longer. Past `CORPUS_MERGE_ABOVE` files, keep only the inputs that still add coverage.
fn merge_corpus(root: &Path, bin: &Path, target: &FuzzTarget) -> Result {
    let corpus = root.join("fuzz/corpus").join(target.name);
    let count = fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
    if count <= CORPUS_MERGE_ABOVE {
        return Ok(());
    }
    println!(
        "→ fuzz {}: the working corpus has {count} files; merging it (-merge=1)…",
        target.name
    );
    let merged = root
        .join("fuzz/corpus")
        .join(format!("{}.merged", target.name));
    let _ = fs::remove_dir_all(&merged);
    fs::create_dir_all(&merged).map_err(|e| format!("cannot create {}: {e}", merged.display()))?;
    let status = Command::new(bin)
        .arg("-merge=1")
        .args(FUZZ_OPTIONS)
        .arg(&merged)
        .arg(&corpus)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !status.success() {
        // A crashing input in the corpus: the run that follows finds and reports it.
        let _ = fs::remove_dir_all(&merged);
        return Ok(());
    }
    fs::remove_dir_all(&corpus).map_err(|e| format!("cannot remove {}: {e}", corpus.display()))?;
    fs::rename(&merged, &corpus).map_err(|e| format!("cannot rename {}: {e}", merged.display()))?;
    let kept = fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
    println!("  kept {kept} of {count}");
    Ok(())
}

fn describe_command(cmd: &Command, root: &Path) -> String {
    let program = Path::new(cmd.get_program());
    let mut parts = vec![
        program
            .strip_prefix(root)
            .unwrap_or(program)
            .display()
            .to_string(),
    ];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// libFuzzer's progress lines (`#1234 NEW …`) and its recommended dictionary are left out.
fn show_fuzz_line(line: &str, in_dict: &mut bool) -> bool {
    if line.contains("###### Recommended dictionary") {
        *in_dict = true;
    }
    if *in_dict {
        if line.contains("###### End of recommended dictionary") {
            *in_dict = false;
        }
        return false;
    }
    let progress = line
        .strip_prefix('#')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    // Without a sanitizer libFuzzer misses a few of its hooks, and says so on every start.
    let noise = line.starts_with("WARNING: Failed to find function \"__sanitizer_");
    (!progress || line.contains("DONE")) && !noise
}

fn parse_fuzz_line(line: &str, run: &mut FuzzRun) {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        run.runs = n.trim().parse().unwrap_or(run.runs);
    } else if let Some(rest) = line.split("ERROR: libFuzzer: ").nth(1) {
        let kind = match rest {
            r if r.starts_with("deadly signal") => "crash (a panic)".to_owned(),
            r if r.starts_with("timeout") => "timeout (an input ran over 2 s)".to_owned(),
            r if r.starts_with("out-of-memory") => "out-of-memory".to_owned(),
            r => r.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        };
        run.failure = Some((kind, run.failure.take().and_then(|f| f.1)));
    } else if let Some(path) = line.split("Test unit written to ").nth(1) {
        let kind = run
            .failure
            .take()
            .map(|f| f.0)
            .unwrap_or_else(|| "failure".into());
        run.failure = Some((kind, Some(path.trim().to_owned())));
    }
}

// ---------------------------------------------------------------- bundle size

struct Bundle {
    /// (part, raw bytes, gzipped bytes) of what the page loads.
    page: Vec<(&'static str, u64, u64)>,
    /// The same for what the worker loads.
    worker: Vec<(&'static str, u64, u64)>,
}

fn total(parts: &[(&'static str, u64, u64)]) -> u64 {
    parts.iter().map(|p| p.2).sum()
}

impl Bundle {
    fn describe(&self) -> String {
        let list = |parts: &[(&'static str, u64, u64)]| {
            parts
                .iter()
                .map(|(k, _, gz)| format!("{k} {}", kib(*gz)))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        format!(
            "page {} = {} (limit {PAGE_LIMIT_KIB:.0} KiB); worker {} = {} (limit {WORKER_LIMIT_KIB:.0} KiB), gzipped",
            list(&self.page),
            kib(total(&self.page)),
            list(&self.worker),
            kib(total(&self.worker)),
        )
    }

    fn over_limit(&self) -> Vec<String> {
        let mut over = Vec::new();
        if total(&self.page) as f64 / 1024.0 > PAGE_LIMIT_KIB {
            over.push(format!(
                "the page's bundle is over its {PAGE_LIMIT_KIB:.0} KiB budget"
            ));
        }
        if total(&self.worker) as f64 / 1024.0 > WORKER_LIMIT_KIB {
            over.push(format!(
                "the worker's bundle is over its {WORKER_LIMIT_KIB:.0} KiB budget"
            ));
        }
        over
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// The worker's files: `offset-lab-worker*.{wasm,js}` (its loader included).
fn is_worker_file(f: &Path) -> bool {
    f.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("offset-lab-worker"))
}

fn measure_bundle(root: &Path) -> Result<Bundle> {
    let dist = root.join("dist");
    let entries =
        fs::read_dir(&dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut bundle = Bundle {
        page: Vec::new(),
        worker: Vec::new(),
    };
    for worker in [false, true] {
        for kind in ["wasm", "js", "css"] {
            let (mut raw, mut gz) = (0, 0);
            for f in files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == kind) && is_worker_file(f) == worker)
            {
                raw += fs::metadata(f).map(|m| m.len()).unwrap_or(0);
                gz += gzip_size(f)?;
            }
            if kind != "css" && raw == 0 {
                let whose = if worker { "the worker's" } else { "the page's" };
                return Err(format!("no .{kind} file of {whose} in dist/"));
            }
            if raw > 0 {
                let part = if worker {
                    &mut bundle.worker
                } else {
                    &mut bundle.page
                };
                part.push((kind, raw, gz));
            }
        }
    }
    Ok(bundle)
}

fn gzip_size(file: &Path) -> Result<u64> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(file)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip failed on {}", file.display()));
    }
    Ok(out.stdout.len() as u64)
}

fn print_bundle(bundle: &Bundle) {
    println!("release bundle (dist/), gzip -9:");
    for (whose, parts, limit) in [
        ("page", &bundle.page, PAGE_LIMIT_KIB),
        ("worker", &bundle.worker, WORKER_LIMIT_KIB),
    ] {
        for (kind, raw, gz) in parts {
            println!(
                "  {whose:<6} {kind:<5} {:>11} raw  {:>11} gzipped",
                kib(*raw),
                kib(*gz)
            );
        }
        println!(
            "  {whose:<6} total {:>11} gzipped (limit {limit:.0} KiB)",
            kib(total(parts))
        );
    }
}

fn bundle_stage(root: &Path) -> Stage {
    let started = Instant::now();
    banner("bundle size");
    let (outcome, detail) = match measure_bundle(root) {
        Ok(b) => {
            print_bundle(&b);
            let over = b.over_limit();
            (
                if over.is_empty() {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                },
                b.describe(),
            )
        }
        Err(e) => (Outcome::Failed, e),
    };
    Stage {
        name: "bundle size",
        outcome,
        detail,
        time: started.elapsed(),
    }
}

fn bundle_size_command(root: &Path) -> Result {
    setup(root)?;
    run("trunk", &["build", "--release"])?;
    let bundle = measure_bundle(root)?;
    print_bundle(&bundle);
    let over = bundle.over_limit();
    if !over.is_empty() {
        return Err(over.join("; "));
    }
    Ok(())
}

// ---------------------------------------------------------------- helpers

fn run(program: &str, args: &[&str]) -> Result {
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

fn run_quiet(program: &str, args: &[&str]) -> Result {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// stdout of a successful command.
fn output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{program} exited with {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_version_from_cargo_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-shared\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            lock_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(lock_version(lock, "yew"), None);
    }

    #[test]
    fn counts_cargo_and_node_results() {
        let mut c = Counts::default();
        parse_counts(
            "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            &mut c,
        );
        parse_counts("test result: FAILED. 1 passed; 2 failed; 0 ignored", &mut c);
        parse_counts("ℹ pass 4", &mut c);
        parse_counts("ℹ fail 1", &mut c);
        parse_counts("# pass 1", &mut c);
        parse_counts("ℹ tests 5", &mut c);
        assert_eq!((c.passed, c.failed), (9, 3));
        assert_eq!(c.describe(), "9 passed, 3 failed");
    }

    #[test]
    fn reads_clippy_findings() {
        let stderr = "    Checking offset-lab-sim v0.1.0 (/work/crates/sim)
crates/sim/src/protocol.rs:588:32: warning: very complex type used. Consider factoring parts into `type` definitions
warning: `offset-lab-sim` (lib) generated 1 warning
src/app.rs:3:5: error[E0425]: cannot find value `x` in this scope
error: could not compile `offset-lab` (lib) due to 1 previous error
warning: `offset-lab-sim` (lib test) generated 1 warning (1 duplicate)
crates/sim/src/protocol.rs:588:32: warning: very complex type used. Consider factoring parts into `type` definitions
";
        let report = parse_clippy(stderr);
        assert_eq!(
            report.findings,
            [
                "crates/sim/src/protocol.rs:588:32: warning: very complex type used. \
                 Consider factoring parts into `type` definitions",
                "src/app.rs:3:5: error[E0425]: cannot find value `x` in this scope",
            ]
        );
        assert_eq!(
            report.errors,
            ["error: could not compile `offset-lab` (lib) due to 1 previous error"]
        );
        assert!(report.warned);

        let clean = parse_clippy("    Checking xtask v0.1.0\n    Finished `dev` profile\n");
        assert_eq!(clean, ClippyReport::default());
    }

    #[test]
    fn summarises_lists() {
        let files: Vec<String> = ["a", "b", "c", "d", "e"].map(str::to_owned).to_vec();
        assert_eq!(some(&files[..2]), "a, b");
        assert_eq!(some(&files), "a, b, c and 2 more");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(2, "file"), "2 files");
    }

    #[test]
    fn parses_fuzz_arguments() {
        let args =
            |a: &[&str]| parse_fuzz_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(args(&[]).unwrap(), FuzzPlan::default());
        let plan = args(&["--runs", "1000000", "run"]).unwrap();
        assert_eq!(
            (plan.limit, plan.targets),
            (FuzzLimit::Runs(1_000_000), vec!["run"])
        );
        assert_eq!(
            args(&["--seconds", "5"]).unwrap().limit,
            FuzzLimit::Seconds(5)
        );
        assert!(args(&["--seconds"]).is_err());
        assert!(args(&["--seconds", "0"]).is_err());
        assert!(args(&["nope"]).is_err());
    }

    #[test]
    fn reads_libfuzzer_output() {
        let mut r = FuzzRun::default();
        parse_fuzz_line("stat::number_of_executed_units: 2953722", &mut r);
        assert_eq!(
            r,
            FuzzRun {
                runs: 2_953_722,
                failure: None
            }
        );
        parse_fuzz_line("==12== ERROR: libFuzzer: deadly signal", &mut r);
        parse_fuzz_line(
            "artifact_prefix='fuzz/artifacts/run/'; Test unit written to fuzz/artifacts/run/crash-ab12",
            &mut r,
        );
        assert_eq!(
            r.failure,
            Some((
                "crash (a panic)".into(),
                Some("fuzz/artifacts/run/crash-ab12".into())
            ))
        );
        let mut t = FuzzRun::default();
        parse_fuzz_line("==12== ERROR: libFuzzer: timeout after 2 seconds", &mut t);
        assert_eq!(t.failure.unwrap().0, "timeout (an input ran over 2 s)");
        let mut in_dict = false;
        assert!(!show_fuzz_line("#4096\tpulse  cov: 1 ft: 2", &mut in_dict));
        assert!(show_fuzz_line(
            "#2953722\tDONE   cov: 2696 ft: 6138",
            &mut in_dict
        ));
        assert!(!show_fuzz_line(
            "###### Recommended dictionary. ######",
            &mut in_dict
        ));
        assert!(!show_fuzz_line("\"crash\" # Uses: 3", &mut in_dict));
        assert!(!show_fuzz_line(
            "###### End of recommended dictionary. ######",
            &mut in_dict
        ));
        assert!(show_fuzz_line("stat::peak_rss_mb: 32", &mut in_dict));
        assert!(!show_fuzz_line(
            "WARNING: Failed to find function \"__sanitizer_print_stack_trace\".",
            &mut in_dict
        ));
    }

    #[test]
    fn formats_durations() {
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_secs(125)), "2m05s");
    }
}
