//! Sweeps: one setting (or two, for a grid) over a range of values, each value run once or
//! over several seeds or auto-commit phases, and a row of figures per value — how much was
//! lost and duplicated, and what it cost.

use serde::{Deserialize, Serialize};

use crate::outcome::Metrics;
use crate::scenario::{BatchStep, Fault, MessageStep, Scenario};

use super::{Batch, RunResult};

/// A setting a sweep varies. Numeric ones take milliseconds or counts; `commit` and `mode` take
/// names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Every consumer's `processing_ms`.
    ProcessingMs,
    /// Every consumer's `auto.commit.interval.ms`.
    AutoCommitIntervalMs,
    /// When the first consumer is killed (restarting a second later).
    CrashAtMs,
    /// When the first payment is produced, after the scenario's own start: the phase of the
    /// auto-commit timer when `poll()` returns it (B5, F.1).
    PhaseMs,
    /// Every consumer's `poll.max_messages` (`consume(num_messages=N)`).
    BatchSize,
    /// Where every consumer commits: `none`, `auto`, `before`, `sync-each`, `async-each`,
    /// `batch-N`.
    Commit,
    /// Every consumer's commits: `sync` or `async`.
    Mode,
    /// The broker round trip.
    RttMs,
    /// Every consumer's retry attempts.
    RetryAttempts,
    /// Every consumer's retry backoff.
    RetryBackoffMs,
    /// How many consumers (copies of the first).
    Consumers,
    /// The topic's partitions.
    Partitions,
    /// Transient processing failures, per thousand attempts.
    FailurePerMille,
    /// Where the effects land: `ledger`, `idempotent`, `database`, `refunds_topic`.
    Sink,
}

impl Param {
    pub const ALL: [Param; 14] = [
        Param::ProcessingMs,
        Param::AutoCommitIntervalMs,
        Param::CrashAtMs,
        Param::PhaseMs,
        Param::BatchSize,
        Param::Commit,
        Param::Mode,
        Param::RttMs,
        Param::RetryAttempts,
        Param::RetryBackoffMs,
        Param::Consumers,
        Param::Partitions,
        Param::FailurePerMille,
        Param::Sink,
    ];

    /// Its name in links, files and the CLI (`--set processing_ms=0,1000`).
    pub fn key(self) -> &'static str {
        match self {
            Param::ProcessingMs => "processing_ms",
            Param::AutoCommitIntervalMs => "auto_commit_interval_ms",
            Param::CrashAtMs => "crash_at_ms",
            Param::PhaseMs => "phase_ms",
            Param::BatchSize => "batch_size",
            Param::Commit => "commit",
            Param::Mode => "mode",
            Param::RttMs => "rtt_ms",
            Param::RetryAttempts => "retry_attempts",
            Param::RetryBackoffMs => "retry_backoff_ms",
            Param::Consumers => "consumers",
            Param::Partitions => "partitions",
            Param::FailurePerMille => "failure_per_mille",
            Param::Sink => "sink",
        }
    }

    pub fn from_key(key: &str) -> Option<Param> {
        let key = match key {
            // Kafka's spellings too.
            "auto.commit.interval.ms" => "auto_commit_interval_ms",
            "num_messages" | "max_messages" => "batch_size",
            k => k,
        };
        Param::ALL.into_iter().find(|p| p.key() == key)
    }

    /// What a chart's axis says.
    pub fn label(self) -> &'static str {
        match self {
            Param::ProcessingMs => "processing time (ms)",
            Param::AutoCommitIntervalMs => "auto.commit.interval.ms",
            Param::CrashAtMs => "crash at (ms)",
            Param::PhaseMs => "first payment produced at (+ms)",
            Param::BatchSize => "consume(num_messages)",
            Param::Commit => "commit placement",
            Param::Mode => "commit mode",
            Param::RttMs => "broker round trip (ms)",
            Param::RetryAttempts => "retry attempts",
            Param::RetryBackoffMs => "retry backoff (ms)",
            Param::Consumers => "consumers",
            Param::Partitions => "partitions",
            Param::FailurePerMille => "transient failures (‰)",
            Param::Sink => "sink",
        }
    }

    pub fn is_numeric(self) -> bool {
        !matches!(self, Param::Commit | Param::Mode | Param::Sink)
    }
}

/// A value of a setting: a number, or a name for `commit` and `mode`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Num(u64),
    Name(String),
}

impl Value {
    /// `1000`, `sync-each`.
    pub fn text(&self) -> String {
        match self {
            Value::Num(n) => n.to_string(),
            Value::Name(s) => s.clone(),
        }
    }

    fn num(&self) -> Result<u64, String> {
        match self {
            Value::Num(n) => Ok(*n),
            Value::Name(s) => s.parse().map_err(|_| format!("\"{s}\" is not a number")),
        }
    }
}

/// How each value is run: once, over several seeds (where randomness matters), over the
/// auto-commit cycle (where its phase matters), or under every single crash "prove it" places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    #[default]
    Once,
    Seeds(u32),
    Phases(u32),
    Crashes,
}

/// A sweep: a setting over values, optionally a second one (a grid), each value repeated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    pub param: Param,
    pub values: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<(Param, Vec<Value>)>,
    #[serde(default)]
    pub repeat: Repeat,
}

/// At most this many runs in one sweep.
pub const MAX_RUNS: usize = 3000;

/// The runs of a sweep, and which of them belong to which value.
#[derive(Clone, Debug)]
pub struct Plan {
    pub variants: Vec<Scenario>,
    /// (value, second value, the range of its runs in `variants`).
    pub groups: Vec<(Value, Option<Value>, std::ops::Range<usize>)>,
    /// With [`Repeat::Crashes`]: each group's exploration, to say which crash each run is.
    pub proofs: Vec<Option<super::prove::Proof>>,
}

impl Sweep {
    /// Every variant, value by value (the second setting varying fastest), each repeated.
    pub fn plan(&self, base: &Scenario) -> Result<Plan, String> {
        let seconds: Vec<Option<&Value>> = match &self.second {
            Some((_, vs)) => vs.iter().map(Some).collect(),
            None => vec![None],
        };
        if self.values.is_empty() || seconds.is_empty() {
            return Err("a sweep needs at least one value".into());
        }
        let mut plan = Plan {
            variants: Vec::new(),
            groups: Vec::new(),
            proofs: Vec::new(),
        };
        for v in &self.values {
            for w in &seconds {
                let mut s = base.clone();
                apply(&mut s, self.param, v)?;
                if let (Some((p2, _)), Some(w)) = (&self.second, w) {
                    apply(&mut s, *p2, w)?;
                }
                let start = plan.variants.len();
                let mut proof = None;
                match self.repeat {
                    Repeat::Once => plan.variants.push(s),
                    Repeat::Seeds(n) => plan.variants.extend((0..n.clamp(1, 100)).map(|k| {
                        let mut s = s.clone();
                        s.seed = s.seed.wrapping_add(k as u64);
                        s
                    })),
                    Repeat::Phases(n) => {
                        let n = n.clamp(1, 100) as u64;
                        let interval = s
                            .consumers
                            .first()
                            .map_or(5000, |c| c.config.auto_commit_interval_ms);
                        plan.variants.extend((0..n).map(|k| {
                            let mut s = s.clone();
                            s.topic.payments.start_ms += interval * k / n;
                            s
                        }));
                    }
                    Repeat::Crashes => {
                        let p = super::prove::Proof::new(&s, 0)
                            .ok_or_else(|| format!("{}: the program does not run", v.text()))?;
                        plan.variants.extend(p.variants().iter().cloned());
                        proof = Some(p);
                    }
                }
                plan.groups
                    .push((v.clone(), w.cloned(), start..plan.variants.len()));
                plan.proofs.push(proof);
                if plan.variants.len() > MAX_RUNS {
                    return Err(format!(
                        "more than {MAX_RUNS} runs; a sweep runs at most that many"
                    ));
                }
            }
        }
        Ok(plan)
    }

    /// Runs the sweep to its end (native callers; a page runs the [`Batch`] a few runs at a
    /// time).
    pub fn run(&self, base: &Scenario) -> Result<Vec<Row>, String> {
        let plan = self.plan(base)?;
        let mut batch = Batch::new(plan.variants.clone());
        batch.run(|_, _| true);
        Ok(plan.rows(batch.results()))
    }
}

impl Plan {
    /// The rows of a finished batch of the plan's variants.
    pub fn rows(&self, results: &[RunResult]) -> Vec<Row> {
        self.groups
            .iter()
            .map(|(v, w, range)| {
                let runs = &results[range.start.min(results.len())..range.end.min(results.len())];
                Row::of(v.clone(), w.clone(), range.start, runs)
            })
            .collect()
    }
}

/// The figures of one value: averages over its runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second: Option<Value>,
    /// Index of the first of its runs in the batch.
    pub first_run: usize,
    pub runs: usize,
    /// Runs that could not run (an invalid variant), with the first reason.
    pub invalid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Runs that lost at least one payment, per thousand runs.
    pub lost_share_per_mille: u32,
    /// Payments lost and duplicated, per run, in hundredths.
    pub lost_centi: u64,
    pub duplicated_centi: u64,
    /// Throughput, applications per simulated second while busy, in hundredths.
    pub payments_per_s_centi: u64,
    /// Commit requests per payment applied, in thousandths.
    pub commits_per_1000_payments: u64,
    /// Time blocked in synchronous commits, per run.
    pub sync_commit_wait_ms: u64,
    /// End-to-end latency of a payment, the mean over the runs' means.
    pub latency_mean_ms: u64,
}

impl Row {
    fn of(value: Value, second: Option<Value>, first_run: usize, runs: &[RunResult]) -> Row {
        let ok: Vec<&super::RunOutcome> = runs
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .collect();
        let n = ok.len() as u64;
        let mean = |f: &dyn Fn(&Metrics) -> u64| {
            ok.iter()
                .map(|o| f(&o.metrics))
                .sum::<u64>()
                .checked_div(n)
                .unwrap_or(0)
        };
        let losing = ok.iter().filter(|o| o.lost().next().is_some()).count() as u64;
        let lost: u64 = ok.iter().map(|o| o.lost().count() as u64).sum();
        let duplicated: u64 = ok.iter().map(|o| o.duplicated().count() as u64).sum();
        Row {
            value,
            second,
            first_run,
            runs: runs.len(),
            invalid: runs.len() - ok.len(),
            reason: runs.iter().find_map(|r| r.outcome.as_ref().err().cloned()),
            lost_share_per_mille: (losing * 1000).checked_div(n).unwrap_or(0) as u32,
            lost_centi: (lost * 100).checked_div(n).unwrap_or(0),
            duplicated_centi: (duplicated * 100).checked_div(n).unwrap_or(0),
            payments_per_s_centi: mean(&|m| (m.payments_per_s * 100.0).round() as u64),
            commits_per_1000_payments: mean(&|m| m.commits_per_1000_payments()),
            sync_commit_wait_ms: mean(&|m| m.sync_commit_wait_ms),
            latency_mean_ms: mean(&|m| m.latency_mean_ms),
        }
    }
}

/// Sets `param` to `value` in `s`.
pub fn apply(s: &mut Scenario, param: Param, value: &Value) -> Result<(), String> {
    let bad = |what: &str| format!("{}: {what}", param.key());
    match param {
        Param::ProcessingMs => {
            let v = value.num()?;
            s.consumers
                .iter_mut()
                .for_each(|c| c.program.processing_ms = v);
        }
        Param::AutoCommitIntervalMs => {
            let v = value.num()?;
            s.consumers
                .iter_mut()
                .for_each(|c| c.config.auto_commit_interval_ms = v);
        }
        Param::CrashAtMs => {
            let v = value.num()?;
            let c = s.consumers.first_mut().ok_or_else(|| bad("no consumer"))?;
            c.crashes.retain(|cp| cp.at_ms.is_none());
            c.crashes.push(crate::scenario::CrashPoint {
                at_ms: Some(v),
                point: None,
                message: None,
                kind: crate::scenario::CrashKind::Kill,
                restart_after_ms: Some(1000),
            });
        }
        Param::PhaseMs => s.topic.payments.start_ms += value.num()?,
        Param::BatchSize => {
            let v = value.num()? as u32;
            s.consumers
                .iter_mut()
                .for_each(|c| c.program.poll.max_messages = v);
        }
        Param::Commit => {
            let name = value.text();
            for c in &mut s.consumers {
                place_commit(c, &name).map_err(|e| bad(&e))?;
            }
        }
        Param::Mode => {
            let asynchronous = match value.text().as_str() {
                "async" => true,
                "sync" => false,
                other => return Err(bad(&format!("\"{other}\" is neither sync nor async"))),
            };
            for c in &mut s.consumers {
                for step in c.program.before.iter_mut().chain(&mut c.program.after) {
                    if let BatchStep::Commit { asynchronous: a } = step {
                        *a = asynchronous;
                    }
                }
                for step in &mut c.program.per_message {
                    if let MessageStep::Commit {
                        asynchronous: a, ..
                    } = step
                    {
                        *a = asynchronous;
                    }
                }
            }
        }
        Param::RttMs => s.broker.rtt_ms = value.num()?,
        Param::RetryAttempts => {
            let v = value.num()? as u32;
            s.consumers
                .iter_mut()
                .for_each(|c| c.program.retry.attempts = v);
        }
        Param::RetryBackoffMs => {
            let v = value.num()?;
            s.consumers
                .iter_mut()
                .for_each(|c| c.program.retry.backoff_ms = v);
        }
        Param::Consumers => {
            let n = value.num()? as usize;
            let first = s
                .consumers
                .first()
                .cloned()
                .ok_or_else(|| bad("no consumer"))?;
            s.consumers = (0..n.max(1))
                .map(|i| {
                    let mut c = first.clone();
                    c.name = format!("consumer-{}", i + 1);
                    c
                })
                .collect();
            s.actions.clear();
        }
        Param::Partitions => s.topic.partitions = value.num()? as u32,
        Param::Sink => {
            use crate::scenario::SinkKind;
            s.sink.kind = match value.text().as_str() {
                "ledger" => SinkKind::Ledger,
                "idempotent" => SinkKind::Idempotent,
                "database" => SinkKind::Database,
                "refunds_topic" => SinkKind::RefundsTopic,
                other => {
                    return Err(bad(&format!(
                        "\"{other}\" is not a sink (ledger, idempotent, database, refunds_topic)"
                    )));
                }
            };
        }
        Param::FailurePerMille => {
            let v = value.num()? as u32;
            s.faults
                .retain(|f| !matches!(f, Fault::TransientFailures { .. }));
            if v > 0 {
                s.faults.push(Fault::TransientFailures { per_mille: v });
            }
        }
    }
    Ok(())
}

/// The commit placements a sweep can compare.
pub const PLACEMENTS: [&str; 6] = [
    "none",
    "auto",
    "before",
    "sync-each",
    "async-each",
    "batch-10",
];

/// Rewrites a consumer's program to commit as `name` says (`batch-N` for any N).
fn place_commit(c: &mut crate::scenario::ConsumerSpec, name: &str) -> Result<(), String> {
    let p = &mut c.program;
    p.before.retain(|s| !matches!(s, BatchStep::Commit { .. }));
    p.after.retain(|s| !matches!(s, BatchStep::Commit { .. }));
    p.per_message
        .retain(|s| !matches!(s, MessageStep::Commit { .. } | MessageStep::StoreOffsets));
    c.config.enable_auto_offset_store = true;
    c.config.enable_auto_commit = false;
    p.poll.max_messages = 1;
    let commit_each = |asynchronous| MessageStep::commit(true, asynchronous);
    match name {
        "none" => {}
        "auto" => c.config.enable_auto_commit = true,
        "before" => p.before.push(BatchStep::Commit {
            asynchronous: false,
        }),
        "sync-each" => p.per_message.push(commit_each(false)),
        "async-each" => p.per_message.push(commit_each(true)),
        other => match other
            .strip_prefix("batch-")
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n) if n >= 1 => {
                p.poll.max_messages = n;
                p.after.push(BatchStep::Commit {
                    asynchronous: false,
                });
            }
            _ => {
                return Err(format!(
                    "\"{other}\" is not a commit placement ({}, batch-N)",
                    PLACEMENTS.join(", ")
                ));
            }
        },
    }
    Ok(())
}
