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
const DEFAULT_JOBS: usize = 8;
/// Runs of a timing-sensitive scenario that disagrees, in all.
const SENSITIVE_ATTEMPTS: usize = 3;
const VENV: &str = ".venv";
const REQUIREMENTS: &str = "verify/requirements.txt";
const PHASE_EXPLORER: &str = "step1-phase-explorer";
const OWN_SCENARIOS: &str = "verify/scenarios";

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

// ---------------------------------------------------------------- setup

/// `.venv/` with the pinned real client (verify/requirements.txt), made and installed only when
/// missing or different.
pub fn setup_venv(root: &Path) -> Result {
    let venv = root.join(VENV);
    let python = venv.join("bin").join("python");
    if !python.exists() {
        if !venv_module_works() {
            let cmd = "apt-get update && apt-get install -y python3-venv";
            let is_root = output("id", &["-u"])
                .map(|s| s.trim() == "0")
                .unwrap_or(false);
            if !is_root {
                return Err(format!(
                    "python3's venv module is needed for the real-client checks; install it with:\n\n    sudo sh -c '{cmd}'\n\nthen run this command again"
                ));
            }
            println!("→ installing python3-venv (apt-get)…");
            let status = Command::new("sh")
                .args(["-c", cmd])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .status()
                .map_err(|e| format!("cannot run apt-get: {e}"))?;
            if !status.success() || !venv_module_works() {
                return Err(format!("`{cmd}` failed"));
            }
        }
        println!("→ creating {VENV}/ (python3 -m venv)…");
        crate::run("python3", &["-m", "venv", &venv.to_string_lossy()])?;
    }
    let wanted = fs::read(root.join(REQUIREMENTS))
        .map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let stamp = venv.join(".xtask-requirements.txt");
    if fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        println!("✓ real client already installed ({})", pinned(&wanted));
        return Ok(());
    }
    println!(
        "→ installing the real client into {VENV}/: {} (pip)…",
        pinned(&wanted)
    );
    let pip = venv.join("bin").join("pip");
    crate::run(
        &pip.to_string_lossy(),
        &[
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            &root.join(REQUIREMENTS).to_string_lossy(),
        ],
    )?;
    fs::write(&stamp, &wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(())
}

fn venv_module_works() -> bool {
    // ensurepip is what Debian splits out into python3-venv.
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn pinned(requirements: &[u8]) -> String {
    String::from_utf8_lossy(requirements)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(", ")
}

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
fn listed_tag(reason: &str) -> String {
    let end = reason.find([':', '(']).unwrap_or(reason.len());
    reason[..end].trim().to_owned()
}

// ---------------------------------------------------------------- preparing scenarios

#[derive(Clone, Debug)]
enum Source {
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
struct Planned {
    name: String,
    plan: Json,
    plan_text: String,
    scripts: Vec<(String, String)>,
}

fn cli(root: &Path) -> Result<PathBuf> {
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

fn cli_output(bin: &Path, args: &[String]) -> Result<String> {
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

fn plan_scenario(bin: &Path, source: Source) -> Result<Planned> {
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

// ---------------------------------------------------------------- running

/// One run of a scenario: its directory, the driver's result (or why it failed), its time.
type Run = (PathBuf, std::result::Result<Json, String>, Duration);

struct Job {
    index: usize,
    dir: PathBuf,
    duration: Duration,
}

struct Done {
    index: usize,
    dir: PathBuf,
    result: std::result::Result<Json, String>,
    wall: Duration,
}

fn duration_of(p: &Planned) -> Duration {
    Duration::from_millis(p.plan.get("duration_ms").u64().unwrap_or(0))
}

fn run_root(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    target.join("verify").join(format!("run-{secs}"))
}

fn prepare_dir(p: &Planned, dir: &Path) -> Result {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    fs::write(dir.join("plan.json"), &p.plan_text).map_err(|e| e.to_string())?;
    for (file, text) in &p.scripts {
        fs::write(dir.join(file), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs the drivers of `jobs`, `parallel` at a time, in order. As each one ends, `on_done`
/// sees it and may give more jobs (runs again), which join the queue at once.
fn run_pool(
    root: &Path,
    jobs: Vec<Job>,
    parallel: usize,
    mut on_done: impl FnMut(Done) -> Vec<Job>,
) {
    let python = root.join(VENV).join("bin").join("python");
    let driver = root.join("verify").join("driver.py");
    let mut outstanding = jobs.len();
    if outstanding == 0 {
        return;
    }
    let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
    let closed = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (queue, closed, tx) = (queue.clone(), closed.clone(), tx.clone());
            let (python, driver) = (python.clone(), driver.clone());
            std::thread::spawn(move || {
                loop {
                    let job = queue.lock().expect("queue lock").pop_front();
                    let Some(job) = job else {
                        if closed.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    };
                    let started = Instant::now();
                    let result = run_driver(&python, &driver, &job.dir, job.duration);
                    let _ = tx.send(Done {
                        index: job.index,
                        dir: job.dir,
                        result,
                        wall: started.elapsed(),
                    });
                }
            })
        })
        .collect();
    drop(tx);
    for d in rx.iter() {
        outstanding -= 1;
        let more = on_done(d);
        outstanding += more.len();
        queue.lock().expect("queue lock").extend(more);
        if outstanding == 0 {
            break;
        }
    }
    closed.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.join();
    }
}

/// A driver still running this long after its scenario's duration is stuck: it is killed
/// (its consumer processes die with it, verify/driver.py).
const DRIVER_GRACE: Duration = Duration::from_secs(120);

fn run_driver(
    python: &Path,
    driver: &Path,
    dir: &Path,
    duration: Duration,
) -> std::result::Result<Json, String> {
    let log = fs::File::create(dir.join("driver.out")).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(python)
        .arg(driver)
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let deadline = Instant::now() + duration + DRIVER_GRACE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the driver was still running {} after the scenario's duration; killed",
                    fmt_duration(DRIVER_GRACE)
                ));
            }
            Err(e) => return Err(format!("waiting for the driver: {e}")),
        }
    };
    let text = fs::read_to_string(dir.join("result.json")).map_err(|_| {
        format!(
            "the driver wrote no result ({status}); see {}",
            dir.join("driver.out").display()
        )
    })?;
    let result = Json::parse(&text).map_err(|e| format!("result.json: {e}"))?;
    if let Some(e) = result.get("error").str() {
        return Err(format!(
            "the driver failed: {}",
            e.lines().last().unwrap_or(e)
        ));
    }
    Ok(result)
}

// ---------------------------------------------------------------- comparing

/// One run compared with the simulation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Comparison {
    pub sim: Counts,
    pub real: Counts,
    /// The payments that differ, in words.
    pub differences: Vec<String>,
    /// What the mock cluster did that a real broker would not (`verify/driver.py`,
    /// `MOCK_MECHANISMS`), in words, with its time.
    pub mock_events: Vec<String>,
    /// Some of those leave the simulation unable to follow the run: a disagreement after one
    /// is inconclusive, and the run is made again.
    pub disturbed: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Counts {
    pub lost: u32,
    pub duplicated: u32,
    pub once: u32,
    pub pending: u32,
    pub skipped: u32,
    pub dead_lettered: u32,
}

impl Counts {
    fn add(&mut self, verdict: &str) {
        match verdict {
            "lost" => self.lost += 1,
            "duplicated" => self.duplicated += 1,
            "once" => self.once += 1,
            "skipped" => self.skipped += 1,
            "deadlettered" => self.dead_lettered += 1,
            _ => self.pending += 1,
        }
    }

    /// `1/0/2` (lost/duplicated/once), then any other verdicts: `1/0/2 +4 pending`.
    pub fn cell(&self) -> String {
        let mut s = format!("{}/{}/{}", self.lost, self.duplicated, self.once);
        for (n, what) in [
            (self.pending, "pending"),
            (self.skipped, "skipped"),
            (self.dead_lettered, "dead-lettered"),
        ] {
            if n > 0 {
                s.push_str(&format!(" +{n} {what}"));
            }
        }
        s
    }
}

/// Compares the real run's verdicts, partitions and offsets with the plan's, payment by payment.
pub fn compare(plan: &Json, result: &Json) -> Comparison {
    let mut c = Comparison::default();
    let real = result.get("payments").array();
    for (i, p) in plan.get("payments").array().iter().enumerate() {
        let id = p.get("id").str().unwrap_or("?");
        let sim_verdict = p.get("sim").get("verdict").str().unwrap_or("?");
        c.sim.add(sim_verdict);
        let Some(r) = real
            .iter()
            .find(|r| r.get("id").str() == Some(id))
            .or(real.get(i))
        else {
            c.differences
                .push(format!("{id}: missing from the real run's result"));
            continue;
        };
        let real_verdict = r.get("verdict").str().unwrap_or("?");
        c.real.add(real_verdict);
        let (sp, so) = (p.get("partition").i64(), p.get("offset").i64());
        let (rp, ro) = (r.get("partition").i64(), r.get("offset").i64());
        if (sp, so) != (rp, ro) {
            let at = |p: Option<i64>, o: Option<i64>| match (p, o) {
                (Some(p), Some(o)) => format!("partition {p} offset {o}"),
                _ => "not produced".to_owned(),
            };
            c.differences
                .push(format!("{id}: sim {}, real {}", at(sp, so), at(rp, ro)));
        }
        if sim_verdict != real_verdict {
            c.differences.push(format!(
                "{id} (partition {}, offset {}): sim {sim_verdict} (applied {}), real {real_verdict} (applied {})",
                sp.unwrap_or(-1),
                so.unwrap_or(-1),
                p.get("sim").get("applied").i64().unwrap_or(0),
                r.get("applied").i64().unwrap_or(0),
            ));
        }
    }
    for n in result.get("notes").array() {
        if let Some(n) = n.str() {
            c.differences.push(format!("note: {n}"));
        }
    }
    for e in result.get("mock_events").array() {
        let secs = |ms: i64| format!("{}.{:03} s", ms / 1000, (ms % 1000).abs());
        let at = e.get("at_ms").i64().unwrap_or(0);
        let when = match e.get("count").i64().unwrap_or(1) {
            1 => format!("at {}", secs(at)),
            n => format!(
                "{n}× from {} to {}",
                secs(at),
                secs(e.get("until_ms").i64().unwrap_or(at))
            ),
        };
        c.mock_events.push(format!(
            "mock {when}: {} — {}",
            e.get("kind").str().unwrap_or("?"),
            e.get("text").str().unwrap_or("")
        ));
        if e.get("disturbs") == &Json::Bool(true) {
            c.disturbed = true;
        }
    }
    c
}

fn differs(c: &Comparison) -> bool {
    c.differences.iter().any(|d| !d.starts_with("note: "))
}

/// The documented mock difference that explains this run's disagreement, if its evidence is in
/// the run's logs.
fn documented(scenario: &str, dir: &Path) -> Option<&'static MockDifference> {
    let entry = MOCK_DIFFERENCES.iter().find(|m| {
        m.scenario == scenario || scenario.starts_with(&format!("{}-phase-", m.scenario))
    })?;
    let mut logs = String::new();
    if let Ok(entries) = fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
        {
            logs.push_str(&fs::read_to_string(p).unwrap_or_default());
        }
    }
    (entry.evidence.iter().all(|e| logs.contains(e))
        && !entry.absent.iter().any(|a| logs.contains(a)))
    .then_some(entry)
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

fn error_row(scenario: &str, e: String) -> Row {
    Row {
        scenario: scenario.to_owned(),
        sim: "—".into(),
        real: "—".into(),
        margin: "—".into(),
        verdict: Verdict::Error(e),
        agreed: 0,
        runs: 0,
        timing_sensitive: false,
        details: vec![],
        dirs: vec![],
        wall: Duration::ZERO,
    }
}

fn row(p: &Planned, runs: &[Run]) -> Row {
    let margin_ms = p.plan.get("margin").get("ms").u64();
    let mut r = error_row(&p.name, String::new());
    r.margin = p
        .plan
        .get("margin")
        .get("label")
        .str()
        .unwrap_or("?")
        .to_owned();
    r.timing_sensitive = margin_ms.is_some_and(|m| m < TIMING_SENSITIVE_MS);
    if let Some(reason) = p.plan.get("listed").str() {
        r.margin = "—".into();
        r.timing_sensitive = false;
        r.verdict = Verdict::Listed(reason.to_owned());
        return r;
    }
    for a in p.plan.get("adjustments").array() {
        if let Some(a) = a.str() {
            r.details.push(format!("run {a}"));
        }
    }
    r.runs = runs.len();
    r.dirs = runs.iter().map(|(d, _, _)| d.clone()).collect();
    r.wall = runs.iter().map(|(_, _, w)| *w).max().unwrap_or_default();
    let mut comparisons = Vec::new();
    for (dir, result, _) in runs {
        match result {
            Ok(res) => comparisons.push((dir, compare(&p.plan, res))),
            Err(e) => r.details.push(format!("{}: {e}", dir.display())),
        }
    }
    if let Some((_, first)) = comparisons.first() {
        r.sim = first.sim.cell();
    }
    r.agreed = comparisons.iter().filter(|(_, c)| !differs(c)).count();
    // The row shows an agreeing run if there is one, else the first.
    let shown = comparisons
        .iter()
        .find(|(_, c)| !differs(c))
        .or(comparisons.first());
    if let Some((_, c)) = shown {
        r.real = c.real.cell();
    }
    // A disagreement counts unless the mock disturbed that run (then it is inconclusive).
    let conclusive_disagreements = comparisons
        .iter()
        .filter(|(_, c)| differs(c) && !c.disturbed)
        .count();
    let enough = if r.timing_sensitive {
        r.agreed > 0
    } else {
        r.agreed > 0 && conclusive_disagreements == 0 && comparisons.len() == runs.len()
    };
    r.verdict = if enough {
        Verdict::Agree
    } else if comparisons.len() < runs.len() {
        // A run failed: its error is in the details.
        Verdict::Error(String::new())
    } else {
        // Every disagreeing run must be explained by a documented mock difference.
        let explained: Vec<Option<&MockDifference>> = comparisons
            .iter()
            .filter(|(_, c)| differs(c))
            .map(|(dir, _)| documented(&p.name, dir))
            .collect();
        match explained.first() {
            Some(Some(m)) if explained.iter().all(Option::is_some) => {
                r.details
                    .push(format!("mock difference: {} — {}", m.what, m.mechanism));
                Verdict::MockDifference(m.what)
            }
            _ => Verdict::Differ,
        }
    };
    for (dir, c) in &comparisons {
        let tag = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        const SHOWN: usize = 8;
        let (notes, payments): (Vec<&String>, Vec<&String>) =
            c.differences.iter().partition(|d| d.starts_with("note: "));
        for d in payments.iter().take(SHOWN).chain(&notes) {
            r.details.push(format!("{tag}: {d}"));
        }
        if payments.len() > SHOWN {
            r.details.push(format!(
                "{tag}: … and {} more payments differ",
                payments.len() - SHOWN
            ));
        }
        if differs(c) {
            for e in &c.mock_events {
                r.details.push(format!("{tag}: {e}"));
            }
        }
    }
    let inconclusive = comparisons
        .iter()
        .filter(|(_, c)| differs(c) && c.disturbed)
        .count();
    if inconclusive > 0 && r.verdict == Verdict::Agree {
        r.details.push(format!(
            "{inconclusive} run(s) disturbed by the mock (see above) did not count"
        ));
    }
    if r.timing_sensitive {
        r.details.push(format!(
            "timing-sensitive: margin {} (under {TIMING_SENSITIVE_MS} ms){}",
            r.margin,
            change(&p.plan)
        ));
    }
    r
}

fn change(plan: &Json) -> String {
    let c = plan.get("margin").get("change");
    if c.is_null() {
        return String::new();
    }
    format!(
        "; {} shifted by {} ms turns {} from {} into {}",
        c.get("knob").str().unwrap_or("?"),
        c.get("shift_ms").i64().unwrap_or(0),
        c.get("payment").str().unwrap_or("?"),
        c.get("from").str().unwrap_or("?"),
        c.get("to").str().unwrap_or("?"),
    )
}

fn print_report(rows: &[Row]) {
    let header = [
        "scenario",
        "sim lost/dup/once",
        "real lost/dup/once",
        "margin",
        "result",
    ]
    .map(str::to_owned);
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let result = match &r.verdict {
                Verdict::Agree if r.runs > 1 => format!("agree ({} of {} runs)", r.agreed, r.runs),
                Verdict::Agree => "agree".to_owned(),
                Verdict::MockDifference(what) => format!("mock difference: {what}"),
                Verdict::Differ if r.runs > 1 => {
                    format!("DIFFER ({} of {} runs agree)", r.agreed, r.runs)
                }
                Verdict::Differ => "DIFFER".to_owned(),
                Verdict::Listed(reason) => format!("listed: {}", listed_tag(reason)),
                Verdict::Error(_) => "ERROR".to_owned(),
            };
            let margin = if r.timing_sensitive {
                format!("{} (!)", r.margin)
            } else {
                r.margin.clone()
            };
            [
                r.scenario.clone(),
                r.sim.clone(),
                r.real.clone(),
                margin,
                result,
            ]
        })
        .collect();
    let mut widths = [0; 5];
    for row in std::iter::once(&header).chain(&cells) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 5]| {
        let mut s = String::from(" ");
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            s.push(' ');
            s.push_str(c);
            if i + 1 < row.len() {
                s.push_str(&" ".repeat(w - c.chars().count() + 1));
            }
        }
        s.trim_end().to_owned()
    };
    println!(
        "\n==> real client vs simulator (verdicts per payment; margin (!) = timing-sensitive)"
    );
    println!("{}", line(&header));
    for c in &cells {
        println!("{}", line(c));
    }
    let mut notes = Vec::new();
    for r in rows {
        match &r.verdict {
            Verdict::Listed(reason) => notes.push(format!("{}: listed: {reason}", r.scenario)),
            Verdict::Error(e) if !e.is_empty() => notes.push(format!("{}: {e}", r.scenario)),
            _ => {}
        }
        for d in &r.details {
            notes.push(format!("{}: {d}", r.scenario));
        }
        if matches!(
            r.verdict,
            Verdict::Differ | Verdict::Error(_) | Verdict::MockDifference(_)
        ) {
            for d in &r.dirs {
                notes.push(format!("{}: logs in {}", r.scenario, d.display()));
            }
        }
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("  {n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Json {
        Json::parse(
            r#"{"payments": [
                {"id": "P-0001", "partition": 0, "offset": 0, "sim": {"verdict": "lost", "applied": 0}},
                {"id": "P-0002", "partition": 1, "offset": 0, "sim": {"verdict": "once", "applied": 1}}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn agreeing_runs_have_no_differences() {
        let result = Json::parse(
            r#"{"payments": [
                {"id": "P-0001", "partition": 0, "offset": 0, "applied": 0, "verdict": "lost"},
                {"id": "P-0002", "partition": 1, "offset": 0, "applied": 1, "verdict": "once"}
            ], "notes": []}"#,
        )
        .unwrap();
        let c = compare(&plan(), &result);
        assert!(!differs(&c), "{c:?}");
        assert_eq!(c.sim.cell(), "1/0/1");
        assert_eq!(c.real, c.sim);
    }

    #[test]
    fn a_verdict_or_a_partition_that_differs_is_named() {
        let result = Json::parse(
            r#"{"payments": [
                {"id": "P-0001", "partition": 0, "offset": 0, "applied": 2, "verdict": "duplicated"},
                {"id": "P-0002", "partition": 2, "offset": 0, "applied": 1, "verdict": "once"}
            ], "notes": ["late"]}"#,
        )
        .unwrap();
        let c = compare(&plan(), &result);
        assert!(differs(&c));
        assert_eq!(c.real.cell(), "0/1/1");
        assert!(c.differences[0].contains(
            "P-0001 (partition 0, offset 0): sim lost (applied 0), real duplicated (applied 2)"
        ));
        assert!(
            c.differences[1]
                .contains("P-0002: sim partition 1 offset 0, real partition 2 offset 0")
        );
        assert_eq!(c.differences[2], "note: late");
    }

    #[test]
    fn mock_events_are_named_and_a_disturbing_one_is_flagged() {
        let result = Json::parse(
            r#"{"payments": [], "mock_events": [
                {"at_ms": 4067, "until_ms": 4067, "count": 1, "kind": "join-waits-session", "disturbs": false, "text": "waits"},
                {"at_ms": 4179, "until_ms": 6025, "count": 7, "kind": "commit-while-joining", "disturbs": true, "text": "refused"}
            ]}"#,
        )
        .unwrap();
        let c = compare(&Json::parse(r#"{"payments": []}"#).unwrap(), &result);
        assert!(c.disturbed);
        assert_eq!(
            c.mock_events[0],
            "mock at 4.067 s: join-waits-session — waits"
        );
        assert_eq!(
            c.mock_events[1],
            "mock 7× from 4.179 s to 6.025 s: commit-while-joining — refused"
        );
    }

    #[test]
    fn counts_show_other_verdicts_after_the_three() {
        let mut c = Counts::default();
        for v in ["once", "once", "pending", "deadlettered"] {
            c.add(v);
        }
        assert_eq!(c.cell(), "0/0/2 +1 pending +1 dead-lettered");
    }

    #[test]
    fn options_and_listing_tags() {
        let args: Vec<String> = ["--preset", "a", "x.json", "--jobs", "3", "--keep"]
            .map(String::from)
            .to_vec();
        let o = parse_args(&args).unwrap();
        assert_eq!(
            (o.presets, o.files, o.jobs, o.keep, o.repeat),
            (
                vec!["a".to_string()],
                vec![PathBuf::from("x.json")],
                3,
                true,
                1
            )
        );
        assert!(parse_args(&["--jobs".to_string(), "0".to_string()]).is_err());
        assert_eq!(
            listed_tag("Java client model (rules D*): no Maven"),
            "Java client model"
        );
        assert_eq!(
            listed_tag("commit_latency decides a verdict"),
            "commit_latency decides a verdict"
        );
    }
}
