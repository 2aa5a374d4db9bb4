//! "Prove it": a program run under every single disturbance the simulator can place — a crash
//! of each kind at each program point of each of its first messages, a crash at each moment of
//! an auto-commit cycle, a second consumer joining (a rebalance) at each program point, and a
//! stall past `max.poll.interval.ms` on each message — and which of them lose or duplicate
//! payments, skip them or leave them unprocessed. The exploration is exhaustive over that
//! space and deterministic.
//!
//! The space, for consumer `c` of a scenario:
//!
//! ```text
//! messages  N = the first messages covering two polls' batches and two of the program's
//!               conditional commits (every N payments, every T ms), at least 3, at most
//!               MAX_MESSAGES and the payments there are
//! crashes   each program point the program has × messages 1..=N × kill, sys.exit, close()
//! timed     a crash of each kind at t_r + j·I/10, j = 1..=10: a full auto-commit cycle after
//!           the first poll() (t_r), so that a tick falls between t_r and the last (F.1)
//! joiners   a second consumer starting when the undisturbed run reaches each program point
//! stalls    message k's processing outlasting max.poll.interval.ms, k = 1..=N (B14)
//! ```

use serde::Serialize;

use crate::Ms;
use crate::scenario::{
    CrashKind, CrashPoint, Fault, MessageStep, OnBatchFailure, ProgramPoint, Scenario,
};
use crate::timeline::Timeline;
use crate::trace::EventKind;

use super::{Batch, RunOutcome, RunResult};
use crate::outcome::Summary;

/// One disturbance of the program, alone in its run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Disturbance {
    /// The process ends at a program point of its `message`-th message (then restarts).
    Crash {
        point: ProgramPoint,
        message: u32,
        kind: CrashKind,
    },
    /// The process ends at a time (then restarts).
    CrashAt { at_ms: Ms, kind: CrashKind },
    /// A second consumer joins the group when the program is at this point: a rebalance.
    Joiner { point: ProgramPoint, message: u32 },
    /// Processing the `message`-th message takes longer than `max.poll.interval.ms` (B14).
    Stall { message: u32 },
}

impl Disturbance {
    /// `kill at after_effect of message 2`, `a second consumer joins at after_poll of message 1`.
    pub fn text(&self) -> String {
        let kind = |k: &CrashKind| match k {
            CrashKind::Kill => "kill",
            CrashKind::SysExit => "sys.exit",
            CrashKind::Close => "exit through close()",
        };
        match self {
            Disturbance::Crash {
                point,
                message,
                kind: k,
            } => format!("{} at {} of message {message}", kind(k), point_name(*point)),
            Disturbance::CrashAt { at_ms, kind: k } => {
                format!("{} at {}", kind(k), crate::trace::fmt_ms(*at_ms))
            }
            Disturbance::Joiner { point, message } => format!(
                "a second consumer joins at {} of message {message}",
                point_name(*point)
            ),
            Disturbance::Stall { message } => {
                format!("message {message} takes longer than max.poll.interval.ms")
            }
        }
    }
}

pub fn point_name(p: ProgramPoint) -> &'static str {
    match p {
        ProgramPoint::AfterPoll => "after poll()",
        ProgramPoint::DuringProcessing => "during processing",
        ProgramPoint::AfterEffect => "after the effect",
        ProgramPoint::CommitInFlight => "while a commit is in flight",
        ProgramPoint::AfterCommit => "after the commit",
    }
}

/// The crash kinds every point is tried with.
pub const KINDS: [CrashKind; 3] = [CrashKind::Kill, CrashKind::SysExit, CrashKind::Close];
/// Crash times tried over one auto-commit cycle.
pub const TIME_SLICES: u64 = 10;
/// The most messages whose program points are tried (each adds 15 runs or more).
pub const MAX_MESSAGES: u32 = 24;
/// How long after a crash the process is constructed again.
pub const RESTART_AFTER_MS: u64 = 1000;

/// The exploration of one consumer's program.
#[derive(Clone, Debug)]
pub struct Proof {
    pub consumer: usize,
    /// The messages whose program points are tried: 1..=messages.
    pub messages: u32,
    pub disturbances: Vec<Disturbance>,
    variants: Vec<Scenario>,
}

impl Proof {
    /// Every disturbance of consumer `consumer`'s program in `base`, from a baseline run
    /// (which says when each program point is reached). `None` without such a consumer or a
    /// baseline that runs.
    pub fn new(base: &Scenario, consumer: usize) -> Option<Proof> {
        let spec = base.consumers.get(consumer)?;
        let mut clean = base.clone();
        clean.actions.clear();
        for c in &mut clean.consumers {
            c.crashes.clear();
        }
        let baseline = Timeline::new(clean.clone()).ok()?;
        let messages = messages_to_explore(base, spec);
        let commits = spec
            .program
            .per_message
            .iter()
            .any(|m| matches!(m, MessageStep::Commit { .. }))
            || !spec.program.before.is_empty()
            || !spec.program.after.is_empty()
            || spec.program.on_batch_failure == OnBatchFailure::CommitPrefix;
        let mut points = vec![
            ProgramPoint::AfterPoll,
            ProgramPoint::DuringProcessing,
            ProgramPoint::AfterEffect,
        ];
        if commits {
            points.extend([ProgramPoint::CommitInFlight, ProgramPoint::AfterCommit]);
        }
        let times = point_times(&baseline, consumer, messages);
        let mut disturbances = Vec::new();
        for message in 1..=messages {
            for &point in &points {
                for kind in KINDS {
                    disturbances.push(Disturbance::Crash {
                        point,
                        message,
                        kind,
                    });
                }
            }
        }
        // A full auto-commit cycle after the first payment's poll, its end included: whatever
        // the timer's phase, a tick falls between t_r and the last of them (B5, F.1).
        let interval = spec.config.auto_commit_interval_ms.max(1);
        let first = times.first().map_or(spec.start_ms, |t| t.2);
        for j in 1..=TIME_SLICES {
            for kind in KINDS {
                disturbances.push(Disturbance::CrashAt {
                    at_ms: first + j * interval / TIME_SLICES,
                    kind,
                });
            }
        }
        for &(point, message, _) in &times {
            disturbances.push(Disturbance::Joiner { point, message });
        }
        for message in 1..=messages {
            disturbances.push(Disturbance::Stall { message });
        }
        let variants = disturbances
            .iter()
            .map(|d| variant(&clean, consumer, d, &times, &baseline))
            .collect();
        Some(Proof {
            consumer,
            messages,
            disturbances,
            variants,
        })
    }

    pub fn variants(&self) -> &[Scenario] {
        &self.variants
    }

    pub fn batch(&self) -> Batch {
        Batch::new(self.variants.clone())
    }

    /// What the finished runs show.
    pub fn report(&self, results: &[RunResult]) -> ProofReport {
        let runs: Vec<ProofRun> = self
            .disturbances
            .iter()
            .zip(results)
            .enumerate()
            .map(|(i, (d, r))| {
                let ok = r.outcome.as_ref().ok();
                let list = |f: fn(&RunOutcome) -> Vec<u32>| ok.map(f).unwrap_or_default();
                ProofRun {
                    index: i,
                    disturbance: d.clone(),
                    text: d.text(),
                    lost: list(|o| o.lost().collect()),
                    duplicated: list(|o| o.duplicated().collect()),
                    skipped: list(|o| o.skipped().collect()),
                    dead_lettered: list(|o| o.dead_lettered().collect()),
                    stalled: list(|o| o.pending().collect()),
                    summary: ok.map(|o| o.summary),
                    decisive_event: ok.and_then(|o| o.decisive_event),
                    invalid: r.outcome.as_ref().err().cloned(),
                }
            })
            .collect();
        let explored = runs.iter().filter(|r| r.invalid.is_none()).count();
        let losing = runs.iter().filter(|r| !r.lost.is_empty()).count();
        let duplicating = runs.iter().filter(|r| !r.duplicated.is_empty()).count();
        let stalling = runs.iter().filter(|r| !r.stalled.is_empty()).count();
        let mut lost_payments: Vec<u32> = runs.iter().flat_map(|r| r.lost.clone()).collect();
        lost_payments.sort_unstable();
        lost_payments.dedup();
        let mut duplicated_payments: Vec<u32> =
            runs.iter().flat_map(|r| r.duplicated.clone()).collect();
        duplicated_payments.sort_unstable();
        duplicated_payments.dedup();
        ProofReport {
            explored,
            losing,
            duplicating,
            stalling,
            clean: runs
                .iter()
                .filter(|r| r.invalid.is_none() && r.lost.is_empty() && r.duplicated.is_empty())
                .count(),
            lost_payments,
            duplicated_payments,
            runs,
        }
    }

    /// Runs everything at once (native callers and tests).
    pub fn run(&self) -> ProofReport {
        let mut batch = self.batch();
        batch.run(|_, _| true);
        self.report(batch.results())
    }
}

/// One explored run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofRun {
    /// Its index among the variants (to open it).
    pub index: usize,
    pub disturbance: Disturbance,
    pub text: String,
    /// Payments (indices) lost, applied twice or more, skipped by the program, parked in the
    /// dead-letter topic, and still unprocessed at the end (a stalled partition: the run lasts
    /// long enough after the disturbance for every payment to be handled).
    pub lost: Vec<u32>,
    pub duplicated: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dead_lettered: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stalled: Vec<u32>,
    /// The run's verdict counts (`None` for a variant that is not a valid scenario).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Where the run was decided, to open it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisive_event: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProofReport {
    /// Runs explored (valid variants).
    pub explored: usize,
    /// Runs that lost at least one payment.
    pub losing: usize,
    /// Runs that applied at least one payment twice.
    pub duplicating: usize,
    /// Runs that left a payment unprocessed at their end: a partition stalled behind it.
    pub stalling: usize,
    /// Runs that neither lost nor duplicated a payment.
    pub clean: usize,
    /// Every payment lost or duplicated in some run.
    pub lost_payments: Vec<u32>,
    pub duplicated_payments: Vec<u32>,
    pub runs: Vec<ProofRun>,
}

impl ProofReport {
    /// The result and its scope in one sentence.
    pub fn text(&self) -> String {
        let n = self.explored;
        let loss = if self.losing == 0 {
            format!("no payment lost under any single disturbance of the {n} explored")
        } else {
            format!(
                "{} payment(s) lost under {} of the {n} explored disturbances",
                self.lost_payments.len(),
                self.losing
            )
        };
        let dup = if self.duplicating == 0 {
            "none duplicated".to_string()
        } else {
            format!(
                "{} payment(s) duplicated under {} of them",
                self.duplicated_payments.len(),
                self.duplicating
            )
        };
        let stall = if self.stalling == 0 {
            String::new()
        } else {
            format!(
                "; {} of them leave payments unprocessed (a stalled partition)",
                self.stalling
            )
        };
        let text = format!("{loss}; {dup}{stall}.");
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
}

/// How many messages' program points to try: enough for two polls' batches (B2, D6) and two
/// of the program's conditional commits (a counter, a timestamp), at least 3, at most
/// [`MAX_MESSAGES`] and the payments there are.
pub fn messages_to_explore(base: &Scenario, spec: &crate::scenario::ConsumerSpec) -> u32 {
    let count = base.topic.payments.count;
    let batch = crate::client::ClientPolicy::new(base.client)
        .records_per_poll(spec)
        .min(count as usize) as u32;
    let p = &spec.program;
    let commit_span = p
        .per_message
        .iter()
        .find_map(MessageStep::commit_condition)
        .map_or(1, |(every, every_ms)| {
            let timed = every_ms
                .div_ceil(p.processing_ms.max(1))
                .min(MAX_MESSAGES as u64) as u32;
            every.max(timed + 1)
        });
    (2 * batch.max(commit_span))
        .clamp(3, MAX_MESSAGES)
        .min(count.max(1))
}

/// When the baseline run reaches each program point of consumer `c`'s first `messages`
/// messages: (point, message, time).
fn point_times(tl: &Timeline, c: usize, messages: u32) -> Vec<(ProgramPoint, u32, Ms)> {
    let mut out = Vec::new();
    let mut seq_of: Vec<(u32, u32)> = Vec::new(); // (payment, message number)
    let mut seen = 0u32;
    let mut last_effect: Option<u32> = None;
    for e in tl.events.iter().filter(|e| e.consumer == Some(c as u8)) {
        let at = e.at_ms;
        match &e.kind {
            EventKind::Polled { payments } => {
                for &p in payments {
                    seen += 1;
                    seq_of.push((p, seen));
                    if seen <= messages {
                        out.push((ProgramPoint::AfterPoll, seen, at));
                    }
                }
            }
            EventKind::ProcessingStarted { payment, until_ms } => {
                if let Some(&(_, k)) = seq_of.iter().rev().find(|(p, _)| p == payment)
                    && k <= messages
                {
                    out.push((ProgramPoint::DuringProcessing, k, at + (until_ms - at) / 2));
                }
            }
            EventKind::EffectApplied { payment, .. }
            | EventKind::EffectDeduplicated { payment, .. } => {
                if let Some(&(_, k)) = seq_of.iter().rev().find(|(p, _)| p == payment)
                    && k <= messages
                {
                    out.push((ProgramPoint::AfterEffect, k, at));
                    last_effect = Some(k);
                }
            }
            EventKind::CommitSent { .. } => {
                if let Some(k) = last_effect {
                    out.push((ProgramPoint::CommitInFlight, k, at));
                }
            }
            EventKind::CommitApplied { .. } => {
                if let Some(k) = last_effect.take() {
                    out.push((ProgramPoint::AfterCommit, k, at));
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|&(point, k, at)| (k, at, point));
    out.dedup_by_key(|x| (x.0, x.1));
    out
}

/// `base` with one disturbance, run long enough to see its consequences.
fn variant(
    base: &Scenario,
    c: usize,
    d: &Disturbance,
    times: &[(ProgramPoint, u32, Ms)],
    baseline: &Timeline,
) -> Scenario {
    let mut s = base.clone();
    let spec = s.consumers[c].clone();
    let at_ms = match *d {
        Disturbance::Crash {
            point,
            message,
            kind,
        } => {
            s.consumers[c].crashes.push(CrashPoint {
                at_ms: None,
                point: Some(point),
                message: Some(message),
                kind,
                restart_after_ms: Some(RESTART_AFTER_MS),
            });
            time_of(times, point, message)
        }
        Disturbance::CrashAt { at_ms: t, kind } => {
            s.consumers[c].crashes.push(CrashPoint {
                at_ms: Some(t),
                point: None,
                message: None,
                kind,
                restart_after_ms: Some(RESTART_AFTER_MS),
            });
            t
        }
        Disturbance::Joiner { point, message } => {
            let at_ms = time_of(times, point, message);
            let mut joiner = spec.clone();
            joiner.name = unique_name(&s, &format!("{}-joiner", spec.name));
            joiner.start_ms = at_ms;
            joiner.crashes.clear();
            s.consumers.push(joiner);
            at_ms
        }
        Disturbance::Stall { message } => {
            // The payment of the `message`-th message, as the baseline delivered it.
            let payment = baseline
                .events
                .iter()
                .filter(|e| e.consumer == Some(c as u8))
                .filter_map(|e| match &e.kind {
                    EventKind::Polled { payments } => Some(payments.clone()),
                    _ => None,
                })
                .flatten()
                .nth(message as usize - 1)
                .unwrap_or(0);
            s.faults.push(Fault::SlowPayment {
                payment: payment + 1,
                processing_ms: spec.config.max_poll_interval_ms + spec.config.session_timeout_ms,
                times: 1,
            });
            time_of(times, ProgramPoint::DuringProcessing, message)
        }
    };
    // Long enough for the group to settle and every payment to be handled after it.
    let live = s.liveness();
    let needed = at_ms
        + RESTART_AFTER_MS
        + live.settle_ms
        + live.drain_ms
        + spec.config.max_poll_interval_ms.min(600_000);
    s.duration_ms = s
        .duration_ms
        .max(needed)
        .min(crate::scenario::MAX_DURATION_MS);
    s
}

fn time_of(times: &[(ProgramPoint, u32, Ms)], point: ProgramPoint, message: u32) -> Ms {
    times
        .iter()
        .find(|(p, k, _)| *p == point && *k == message)
        .or_else(|| times.iter().find(|(_, k, _)| *k == message))
        .map_or(0, |t| t.2)
}

fn unique_name(s: &Scenario, want: &str) -> String {
    let mut name = want.to_string();
    let mut n = 2;
    while s.consumers.iter().any(|c| c.name == name) {
        name = format!("{want}-{n}");
        n += 1;
    }
    name
}
