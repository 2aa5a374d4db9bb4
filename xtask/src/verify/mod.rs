//! `cargo xtask verify`: every scenario on the real client, compared payment by payment with
//! the simulator.
//!
//! ```text
//!  offset-lab plan ──▶ RUN/<scenario>/plan.json      processes, signals, payments, sim verdicts
//!  offset-lab script ─▶ RUN/<scenario>/<consumer>.py  the Export menu's script, one per consumer
//!  .venv/bin/python verify/driver.py RUN/<scenario>   mock cluster + processes ─▶ result.json
//!  compare(plan, result) ──▶ one row per scenario; the payments that differ
//! ```
//!
//! Scenarios run concurrently (a bounded pool; each has its own mock cluster and directory).
//! A scenario the stack cannot repeat is listed with the plan's reason. A disagreement fails,
//! unless it is a documented difference of the mock cluster ([`MOCK_DIFFERENCES`]) whose
//! evidence is in that run's logs.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::json::Json;
use crate::{Result, fmt_duration, output};

pub const HELP: &str = "\
usage: cargo xtask verify [--preset NAME]... [FILE]... [--jobs N] [--repeat N] [--keep]

Runs scenarios on the real client (confluent-kafka-python and its librdkafka, from .venv/,
against librdkafka's mock cluster) and compares every payment's verdict and partition with the
simulator's. With no preset and no file: every preset, the phase explorer checked at
slices away from its edges, and the verifier's own scenarios (verify/scenarios/).

  --preset NAME  a built-in preset (repeatable)
  FILE           a scenario file (repeatable)
  --jobs N       scenarios run at the same time (default 8; each is mostly asleep)
  --repeat N     run each scenario N times (default 1); a timing-sensitive scenario (margin
                 under 300 ms) that disagrees is run again up to 3 times in all
  --keep         keep every run's directory (plan, scripts, logs, sink); without it only the
                 directories of scenarios that did not agree are kept

Exit code: non-zero when a scenario disagrees (other than by a documented mock difference)
or a run fails. Listed scenarios (Java client, faults the mock cannot produce) do not fail.
";

/// A margin under this is timing-sensitive: a real run may land on the other side of the edge.
pub const TIMING_SENSITIVE_MS: u64 = 300;
pub(crate) const DEFAULT_JOBS: usize = 8;
/// Runs of a timing-sensitive scenario that disagrees, in all.
pub(crate) const SENSITIVE_ATTEMPTS: usize = 3;
pub(crate) const VENV: &str = ".venv";
pub(crate) const REQUIREMENTS: &str = "verify/requirements.txt";
pub(crate) const PHASE_EXPLORER: &str = "step1-phase-explorer";
pub(crate) const OWN_SCENARIOS: &str = "verify/scenarios";

/// A way in which librdkafka's mock cluster differs from a real broker, and a scenario whose
/// real run disagrees with the simulation only because of it.
pub struct MockDifference {
    pub scenario: &'static str,
    pub what: &'static str,
    /// How the difference leads to the disagreement, from the run's logs.
    pub mechanism: &'static str,
    /// Text that the run's logs (driver.log, mock.log, the consumers' logs) show when the
    /// mechanism happened; all of them must be there.
    pub evidence: &'static [&'static str],
    /// Text that must not be in the logs (it would show that the mechanism did not happen).
    pub absent: &'static [&'static str],
}

/// Documented mock differences, scenario by scenario. A disagreement without an entry here
/// (or without its evidence in the logs) fails the verification.
pub const MOCK_DIFFERENCES: &[MockDifference] = &[
    MockDifference {
        scenario: "refunds-transactional",
        what: "transactional offsets are not stored; a fenced transaction is not aborted",
        mechanism: "the mock answers TxnOffsetCommit without storing the offsets \
            (rd_kafka_mock_handle_TxnOffsetCommit), so the committed transaction of P-0001…P-0005 \
            leaves the group without a committed offset and the restarted consumer reads from offset 0 \
            again (a real coordinator writes the offsets when the transaction commits, E1); and \
            InitProducerId does not abort the open transaction of the producer that died, so the next \
            commit of the same transactional.id also commits the refunds it had sent (P-0006, and \
            P-0007 when it got out before the exit), which read_committed then shows twice (a real coordinator aborts it when it fences the old \
            epoch, E1)",
        evidence: &[
            "Received TxnOffsetCommitRequest",
            "Wrote COMMIT control batch",
            "committed (resume offsets): [-1001]",
        ],
        absent: &["committing offset"],
    },
    MockDifference {
        scenario: "pitfall-maxpoll-rebalance",
        what: "a join into a stable group waits session.timeout.ms - 1 s and refuses commits meanwhile",
        mechanism: "both consumers start together; when one JoinGroup lands after the mock formed \
            a generation with the other consumer alone, the mock holds the rebalance for \
            session.timeout.ms - 1 s (5 s; a real broker completes it once both members have \
            rejoined, C2) and answers the commits of that time with REBALANCE_IN_PROGRESS (a real \
            broker accepts them in PreparingRebalance, C1), so the payments processed meanwhile are \
            committed nowhere and are processed again; the consumer stalled on P-0005 is dropped \
            from the next generation, since the mock does not count the heartbeats it answers \
            with REBALANCE_IN_PROGRESS. The verifier runs it again; this entry applies only when \
            every run was disturbed so",
        evidence: &[
            "mock: join-waits-session at +0.",
            "mock: commit-while-joining",
            "Commit failed: Broker: Group rebalance in progress",
        ],
        absent: &[],
    },
];

// ---------------------------------------------------------------- options

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub presets: Vec<String>,
    pub files: Vec<PathBuf>,
    pub jobs: usize,
    pub repeat: usize,
    pub keep: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            presets: vec![],
            files: vec![],
            jobs: DEFAULT_JOBS,
            repeat: 1,
            keep: false,
        }
    }
}

pub fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |flag: &str| -> Result<usize> {
            let v = it.next().ok_or_else(|| format!("{flag} needs a number"))?;
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{flag} {v}: needs a whole number above 0")),
            }
        };
        match a.as_str() {
            "--preset" => o
                .presets
                .push(it.next().ok_or("--preset needs a name")?.clone()),
            "--jobs" => o.jobs = number("--jobs")?,
            "--repeat" => o.repeat = number("--repeat")?,
            "--keep" => o.keep = true,
            "-h" | "--help" => return Err(HELP.into()),
            f if f.starts_with('-') => return Err(format!("unknown option {f}\n\n{HELP}")),
            f => o.files.push(PathBuf::from(f)),
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------- the command and the stage

/// `cargo xtask verify ARGS`.
pub fn command(root: &Path, args: &[String]) -> Result {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let opts = parse_args(args)?;
    setup_venv(root)?;
    let report = verify(root, &opts)?;
    if report.passed() {
        Ok(())
    } else {
        Err(format!("verify: {}", report.describe()))
    }
}

/// The test stage: every verifiable preset. Ok(detail) or Err(detail).
pub fn stage(root: &Path) -> std::result::Result<String, String> {
    setup_venv(root)?;
    let report = verify(root, &Options::default())?;
    if report.passed() {
        Ok(report.describe())
    } else {
        Err(report.describe())
    }
}

/// What happened to each scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Agree,
    /// Disagrees only by a documented mock difference (its `what`).
    MockDifference(&'static str),
    Differ,
    /// Cannot run on this stack: the plan's reason.
    Listed(String),
    Error(String),
}

pub struct Row {
    pub scenario: String,
    pub sim: String,
    pub real: String,
    pub margin: String,
    pub verdict: Verdict,
    /// Runs that agreed / runs made.
    pub agreed: usize,
    pub runs: usize,
    pub timing_sensitive: bool,
    pub details: Vec<String>,
    pub dirs: Vec<PathBuf>,
    pub wall: Duration,
}

pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| {
            matches!(
                r.verdict,
                Verdict::Agree | Verdict::MockDifference(_) | Verdict::Listed(_)
            )
        })
    }

    /// `24 agree, 2 listed (Java client model, commit_latency)`.
    pub fn describe(&self) -> String {
        let count =
            |f: &dyn Fn(&Verdict) -> bool| self.rows.iter().filter(|r| f(&r.verdict)).count();
        let mut parts = vec![format!("{} agree", count(&|v| *v == Verdict::Agree))];
        let mock = count(&|v| matches!(v, Verdict::MockDifference(_)));
        if mock > 0 {
            parts.push(format!(
                "{mock} mock difference{}",
                if mock == 1 { "" } else { "s" }
            ));
        }
        let mut tags: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| match &r.verdict {
                Verdict::Listed(reason) => Some(listed_tag(reason)),
                _ => None,
            })
            .collect();
        if !tags.is_empty() {
            let n = tags.len();
            tags.sort();
            tags.dedup();
            parts.push(format!("{n} listed ({})", tags.join(", ")));
        }
        let differ = count(&|v| *v == Verdict::Differ);
        if differ > 0 {
            parts.push(format!("{differ} DIFFER"));
        }
        let errors = count(&|v| matches!(v, Verdict::Error(_)));
        if errors > 0 {
            parts.push(format!("{errors} failed to run"));
        }
        parts.join(", ")
    }
}

/// A short name for a listing reason: the text before its first `:` or `(`.
pub(crate) fn listed_tag(reason: &str) -> String {
    let end = reason.find([':', '(']).unwrap_or(reason.len());
    reason[..end].trim().to_owned()
}

// ---------------------------------------------------------------- preparing scenarios

#[derive(Clone, Debug)]
pub(crate) enum Source {
    Preset(String),
    File(PathBuf),
}

impl Source {
    fn args(&self) -> Vec<String> {
        match self {
            Source::Preset(n) => vec!["--preset".into(), n.clone()],
            Source::File(f) => vec![f.to_string_lossy().into_owned()],
        }
    }
}

/// One scenario, planned: its directory template and its plan.
pub(crate) struct Planned {
    pub(crate) name: String,
    pub(crate) plan: Json,
    pub(crate) plan_text: String,
    pub(crate) scripts: Vec<(String, String)>,
}

pub(crate) fn cli(root: &Path) -> Result<PathBuf> {
    crate::run("cargo", &["build", "--quiet", "-p", "offset-lab-cli"])?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug").join("offset-lab");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} was not built", bin.display()))
    }
}

pub(crate) fn cli_output(bin: &Path, args: &[String]) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn plan_scenario(bin: &Path, source: Source) -> Result<Planned> {
    let plan_text = cli_output(bin, &[vec!["plan".to_string()], source.args()].concat())?;
    let plan = Json::parse(&plan_text).map_err(|e| format!("the plan is not JSON: {e}"))?;
    let name = plan.get("scenario").str().unwrap_or("?").to_owned();
    let mut scripts = Vec::new();
    if plan.get("listed").is_null() {
        for c in plan.get("consumers").array() {
            let consumer = c.get("name").str().unwrap_or_default().to_owned();
            let text = cli_output(
                bin,
                &[
                    vec!["script".to_string()],
                    source.args(),
                    vec!["--consumer".into(), consumer],
                ]
                .concat(),
            )?;
            scripts.push((
                c.get("script").str().unwrap_or("consumer.py").to_owned(),
                text,
            ));
        }
    }
    Ok(Planned {
        name,
        plan,
        plan_text,
        scripts,
    })
}

// ---------------------------------------------------------------- the whole verification

pub fn verify(root: &Path, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let bin = cli(root)?;
    let run_dir = run_root(root);
    fs::create_dir_all(&run_dir)
        .map_err(|e| format!("cannot create {}: {e}", run_dir.display()))?;

    // Which scenarios: the ones named, or every preset, the phase explorer's slices and
    // verify/scenarios/.
    let mut sources: Vec<Source> = opts.presets.iter().cloned().map(Source::Preset).collect();
    sources.extend(opts.files.iter().cloned().map(Source::File));
    if sources.is_empty() {
        let names = cli_output(&bin, &["presets".to_string()])?;
        sources = names
            .lines()
            .map(|n| Source::Preset(n.to_owned()))
            .collect();
        // The verifier's own scenarios: what no preset exercises (ends at a time, …).
        let own = root.join(OWN_SCENARIOS);
        let mut files: Vec<PathBuf> = fs::read_dir(&own)
            .map_err(|e| format!("cannot read {}: {e}", own.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        sources.extend(files.into_iter().map(Source::File));
    }
    if sources
        .iter()
        .any(|s| matches!(s, Source::Preset(n) if n == PHASE_EXPLORER))
    {
        let dir = run_dir.join("phase-slices");
        let files = cli_output(
            &bin,
            &[
                "phase-slices",
                "--preset",
                PHASE_EXPLORER,
                "--dir",
                &dir.to_string_lossy(),
            ]
            .map(String::from),
        )?;
        sources.extend(files.lines().map(|f| Source::File(PathBuf::from(f))));
    }
    let mut planned = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    for s in sources {
        match plan_scenario(&bin, s.clone()) {
            Ok(p) => planned.push(p),
            Err(e) => rows.push(error_row(&format!("{s:?}"), e)),
        }
    }
    println!(
        "verify: {} scenario(s), {} at a time; runs in {}",
        planned.len(),
        opts.jobs,
        run_dir.display()
    );

    // Every runnable scenario `repeat` times, longest first.
    let mut runs: Vec<Vec<Run>> = planned.iter().map(|_| vec![]).collect();
    let mut jobs = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        if !p.plan.get("listed").is_null() {
            continue;
        }
        for k in 0..opts.repeat {
            let dir = run_dir.join(if opts.repeat > 1 {
                format!("{}.{}", p.name, k + 1)
            } else {
                p.name.clone()
            });
            prepare_dir(p, &dir)?;
            jobs.push(Job {
                index: i,
                dir,
                duration: duration_of(p),
            });
        }
    }
    let length = |j: &Job| planned[j.index].plan.get("stop_ms").u64().unwrap_or(0);
    jobs.sort_by_key(|j| std::cmp::Reverse(length(j)));
    // As each run ends: a timing-sensitive scenario that disagreed, or one whose disagreeing
    // run the mock disturbed, runs again (the remaining attempts, up to SENSITIVE_ATTEMPTS in
    // all, side by side) unless one of its runs agreed already.
    let mut retried = vec![false; planned.len()];
    let mut failure: Option<String> = None;
    run_pool(root, jobs, opts.jobs, |d| {
        let p = &planned[d.index];
        let comparison = d.result.as_ref().ok().map(|r| compare(&p.plan, r));
        let what = match &comparison {
            Some(c) if differs(c) => "differs",
            Some(_) => "agrees",
            None => "failed to run",
        };
        println!(
            "  {} {what} ({})",
            d.dir.file_name().unwrap_or_default().to_string_lossy(),
            fmt_duration(d.wall)
        );
        let i = d.index;
        runs[i].push((d.dir, d.result, d.wall));
        let sensitive = p
            .plan
            .get("margin")
            .get("ms")
            .u64()
            .is_some_and(|m| m < TIMING_SENSITIVE_MS);
        let agreed = runs[i]
            .iter()
            .any(|(_, r, _)| r.as_ref().is_ok_and(|r| !differs(&compare(&p.plan, r))));
        let disturbed = comparison
            .as_ref()
            .is_some_and(|c| differs(c) && c.disturbed);
        let mut more = Vec::new();
        if (sensitive || disturbed) && !agreed && !retried[i] && comparison.is_some() {
            retried[i] = true;
            for k in opts.repeat..SENSITIVE_ATTEMPTS.max(opts.repeat) {
                let dir = run_dir.join(format!("{}.{}", p.name, k + 1));
                match prepare_dir(p, &dir) {
                    Ok(()) => more.push(Job {
                        index: i,
                        dir,
                        duration: duration_of(p),
                    }),
                    Err(e) => failure = Some(e),
                }
            }
            if !more.is_empty() {
                println!(
                    "  {} runs again ({}): {} more",
                    p.name,
                    if disturbed {
                        "the mock disturbed it"
                    } else {
                        "timing-sensitive"
                    },
                    more.len()
                );
            }
        }
        more
    });
    if let Some(e) = failure {
        return Err(e);
    }

    for (i, p) in planned.iter().enumerate() {
        rows.push(row(p, &runs[i]));
    }
    print_report(&rows);
    // Keep what explains a failure; the rest only with --keep.
    for r in &rows {
        let keep = opts.keep || !matches!(r.verdict, Verdict::Agree | Verdict::Listed(_));
        if !keep {
            for d in &r.dirs {
                let _ = fs::remove_dir_all(d);
            }
        }
    }
    let report = Report { rows };
    println!(
        "verify: {} in {}",
        report.describe(),
        fmt_duration(started.elapsed())
    );
    if !opts.keep && report.passed() {
        let _ = fs::remove_dir_all(&run_dir);
    } else {
        println!("verify: runs kept in {}", run_dir.display());
    }
    Ok(report)
}

mod compare;
mod report;
mod run;
mod setup;

pub use compare::*;
use report::*;
use run::*;
pub use setup::*;

#[cfg(test)]
mod tests;
