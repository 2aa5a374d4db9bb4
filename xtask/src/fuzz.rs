//! The fuzz stage and `cargo xtask fuzz`: cargo-fuzz targets run for a bounded time, crashes kept.

use super::*;

pub(crate) struct FuzzTarget {
    pub(crate) name: &'static str,
    /// libFuzzer dictionary, relative to the repo root.
    pub(crate) dict: &'static str,
    /// Seed corpora (read only), relative to the repo root.
    pub(crate) seeds: &'static [&'static str],
}

/// The targets in `fuzz/fuzz_targets/`.
pub(crate) const FUZZ_TARGETS: &[FuzzTarget] = &[
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

/// An input that takes longer than this many seconds is a hang, unless `--timeout` says
/// otherwise: the fuzz build (optimized, but with coverage counters and debug assertions that
/// check the invariants at every step) runs a scenario several times slower than a release
/// build, and a long session on a machine busy with other work needs more room.
pub(crate) const FUZZ_TIMEOUT_SECONDS: u64 = 2;
/// libFuzzer options shared by every run (and `-timeout`).
pub(crate) const FUZZ_OPTIONS: &[&str] = &[
    "-rss_limit_mb=2048",
    "-max_len=16384",
    "-print_final_stats=1",
];
/// Working corpora larger than this are merged down before a run (see `merge_corpus`).
pub(crate) const CORPUS_MERGE_ABOVE: usize = 5000;
/// The flags of `cargo fuzz build` and `cargo fuzz run`: optimized, with debug assertions and
/// overflow checks, no sanitizer (so stable Rust does).
pub(crate) const CARGO_FUZZ_FLAGS: &[&str] =
    &["--release", "--debug-assertions", "--sanitizer", "none"];

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum FuzzLimit {
    Seconds(u64),
    Runs(u64),
}

#[derive(Debug, PartialEq)]
pub(crate) struct FuzzPlan {
    pub(crate) limit: FuzzLimit,
    pub(crate) targets: Vec<&'static str>,
    /// Seconds after which one input is a hang.
    pub(crate) timeout: u64,
}

impl Default for FuzzPlan {
    fn default() -> Self {
        FuzzPlan {
            limit: FuzzLimit::Seconds(FUZZ_SECONDS),
            targets: FUZZ_TARGETS.iter().map(|t| t.name).collect(),
            timeout: FUZZ_TIMEOUT_SECONDS,
        }
    }
}

pub(crate) fn parse_fuzz_args(args: &[String]) -> Result<FuzzPlan> {
    let mut plan = FuzzPlan {
        targets: Vec::new(),
        ..FuzzPlan::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timeout" => {
                plan.timeout = it
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or("--timeout needs a positive number of seconds")?;
            }
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

pub(crate) fn setup_cargo_fuzz() -> Result {
    setup_cargo_tool(
        "cargo-fuzz",
        "cargo-fuzz",
        CARGO_FUZZ_VERSION,
        &["--locked"],
    )
}

pub(crate) fn fuzz_command(root: &Path, args: &[String]) -> Result {
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
pub(crate) struct FuzzRun {
    pub(crate) runs: u64,
    /// `crash`, `timeout`, `oom`, … with the input libFuzzer saved.
    pub(crate) failure: Option<(String, Option<String>)>,
}

pub(crate) fn fuzz_stage(root: &Path, plan: &FuzzPlan) -> Stage {
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
        match fuzz_target(root, &bin, target, plan.limit, plan.timeout) {
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
pub(crate) fn fuzz_target(
    root: &Path,
    bin: &Path,
    target: &FuzzTarget,
    limit: FuzzLimit,
    timeout: u64,
) -> Result<FuzzRun> {
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
        .arg(format!("-timeout={timeout}"))
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
pub(crate) fn merge_corpus(root: &Path, bin: &Path, target: &FuzzTarget) -> Result {
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

pub(crate) fn describe_command(cmd: &Command, root: &Path) -> String {
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
pub(crate) fn show_fuzz_line(line: &str, in_dict: &mut bool) -> bool {
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

pub(crate) fn parse_fuzz_line(line: &str, run: &mut FuzzRun) {
    if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        run.runs = n.trim().parse().unwrap_or(run.runs);
    } else if let Some(rest) = line.split("ERROR: libFuzzer: ").nth(1) {
        let kind = match rest {
            r if r.starts_with("deadly signal") => "crash (a panic)".to_owned(),
            r if r.starts_with("timeout") => {
                "timeout (an input ran over the hang limit)".to_owned()
            }
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
