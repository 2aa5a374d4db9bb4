//! "Prove it": a program run under every single disturbance the simulator can place — a crash
//! of each kind at each program point of each of its first messages, a crash at each moment of
//! an auto-commit cycle, a second consumer joining (a rebalance) at each program point, and a
//! stall past `max.poll.interval.ms` on each message — and which of them lose or duplicate
//! payments. The exploration is exhaustive over that space and deterministic.

use serde::Serialize;

use crate::Ms;
use crate::scenario::{CrashKind, CrashPoint, Fault, MessageStep, ProgramPoint, Scenario};
use crate::timeline::Timeline;
use crate::trace::EventKind;

use super::{Batch, RunResult};

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
        // Two batches or two commits at least, and three messages.
        let commit_every = spec.program.poll.max_messages.max(1);
        let messages = (2 * commit_every)
            .max(3)
            .min(base.topic.payments.count.max(1));
        let commits = spec
            .program
            .per_message
            .iter()
            .any(|m| matches!(m, MessageStep::Commit { .. }))
            || !spec.program.before.is_empty()
            || !spec.program.after.is_empty();
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
        // A full auto-commit cycle from the first payment's poll (B5, F.1).
        let interval = spec.config.auto_commit_interval_ms.max(1);
        let first = times.first().map_or(spec.start_ms, |t| t.2);
        for j in 0..TIME_SLICES {
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
            .map(|(i, (d, r))| ProofRun {
                index: i,
                disturbance: d.clone(),
                text: d.text(),
                lost: r
                    .outcome
                    .as_ref()
                    .map(|o| o.lost().collect())
                    .unwrap_or_default(),
                duplicated: r
                    .outcome
                    .as_ref()
                    .map(|o| o.duplicated().collect())
                    .unwrap_or_default(),
                decisive_event: r.outcome.as_ref().ok().and_then(|o| o.decisive_event),
                invalid: r.outcome.as_ref().err().cloned(),
            })
            .collect();
        let explored = runs.iter().filter(|r| r.invalid.is_none()).count();
        let losing = runs.iter().filter(|r| !r.lost.is_empty()).count();
        let duplicating = runs.iter().filter(|r| !r.duplicated.is_empty()).count();
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
    pub lost: Vec<u32>,
    pub duplicated: Vec<u32>,
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
        let text = format!("{loss}; {dup}.");
        let mut chars = text.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }
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
