//! Key moments: the instants of a run a student must not miss, each with its explanation.
//!
//! Five are numbered, the moments every auto-commit lesson turns on: (1) the committed offset
//! jumps past a payment still being processed; (2) a consumer dies without `close()` and the
//! group waits out its session; (3) a consumer resumes at the committed offset, and what that
//! means (a duplicate ahead, a loss behind); (4) `close()` commits what `poll()` stored; (5) the
//! outcome. The other steps of the lab get moments of their own: a transient failure retried
//! with backoff, an invalid payment skipped, dead-lettered or stopping the program, a failure in
//! the middle of a batch, an asynchronous commit whose result comes later, a consumer that
//! outlasts `max.poll.interval.ms` mid-batch, a retried commit that moves the offset backwards.
//!
//! The core computes them from the trace; the view only shows them and pauses playback at the
//! first of each kind.

use crate::ids::{Offset, Partition};
use crate::log::payment_id;
use crate::scenario::{CrashKind, OnBatchFailure};
use crate::timeline::Timeline;
use crate::trace::{CommitSource, Context, EventKind, Failure, StartFrom};
use crate::world::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MomentKind {
    /// 1: the committed offset moved past a payment still being processed (B2, B5).
    AtRisk,
    /// 2: the consumer died without `close()` (B12).
    DiedWithoutClose,
    /// 2: the group stopped waiting for the dead member (C2).
    SessionExpired,
    /// 3: a consumer starts at the committed offset (B9, E4).
    Resumed,
    /// 3: a payment was applied a second time.
    Duplicate,
    /// 4: `close()` committed what `poll()` stored (auto-commit on: B11, D3).
    CloseCommits,
    /// 4: `close()` with auto-commit off: nothing to commit, it leaves at once (B11, C4).
    CloseLeaves,
    /// 5: the run ended; what it cost.
    Outcome,
    /// Step 4: a transient failure, retried after a backoff.
    Retried,
    /// Step 4: a payment that cannot succeed, skipped on purpose.
    Skipped,
    /// Step 4: a payment that cannot succeed, parked in the dead-letter topic.
    DeadLettered,
    /// Step 4: a payment that cannot succeed ends the program; its partition stalls.
    Stopped,
    /// Steps 3 and 4: a failure or a crash in the middle of a batch.
    PartialBatch,
    /// Experiment 2: an asynchronous commit's result arrives in a later `poll()` (B6).
    LateCommitResult,
    /// Experiment 2: a retried commit moved the committed offset backwards (A5, B7).
    OffsetBackwards,
    /// Pitfall: the program outlasted `max.poll.interval.ms` in the middle of its work; its
    /// partitions are revoked as lost (B14).
    MaxPollExceeded,
}

impl MomentKind {
    /// Which of the five numbered moments, or 0 for a lesson's own moment.
    pub fn number(self) -> u8 {
        match self {
            MomentKind::AtRisk => 1,
            MomentKind::DiedWithoutClose | MomentKind::SessionExpired => 2,
            MomentKind::Resumed | MomentKind::Duplicate => 3,
            MomentKind::CloseCommits | MomentKind::CloseLeaves => 4,
            MomentKind::Outcome => 5,
            _ => 0,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            MomentKind::AtRisk => "Committed before it was processed",
            MomentKind::DiedWithoutClose => "Died without close(): nothing more is committed",
            MomentKind::SessionExpired => "The group stops waiting for the dead consumer",
            MomentKind::Resumed => "A consumer resumes at the committed offset",
            MomentKind::Duplicate => "Processed again: a duplicate",
            MomentKind::CloseCommits => "close() commits what poll() stored",
            MomentKind::CloseLeaves => "close() commits nothing here, and leaves at once",
            MomentKind::Outcome => "The outcome, and what it cost",
            MomentKind::Retried => "A transient failure, retried after a backoff",
            MomentKind::Skipped => "An invalid payment, skipped on purpose",
            MomentKind::DeadLettered => "An invalid payment, parked in the dead-letter topic",
            MomentKind::Stopped => "An invalid payment stops the program",
            MomentKind::PartialBatch => "A failure in the middle of a batch",
            MomentKind::LateCommitResult => "An asynchronous commit's result arrives later",
            MomentKind::OffsetBackwards => "The committed offset moves backwards",
            MomentKind::MaxPollExceeded => "Too long without poll(): the partitions are lost",
        }
    }

    /// The tone of the callout.
    pub fn tone(self) -> Tone {
        match self {
            MomentKind::AtRisk
            | MomentKind::CloseCommits
            | MomentKind::OffsetBackwards
            | MomentKind::MaxPollExceeded => Tone::Warn,
            MomentKind::DiedWithoutClose | MomentKind::SessionExpired | MomentKind::Stopped => {
                Tone::Crash
            }
            MomentKind::Duplicate => Tone::Duplicate,
            MomentKind::Outcome => Tone::Done,
            _ => Tone::Info,
        }
    }
}

/// How a moment reads: a warning, a crash, a duplicate, information, the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Warn,
    Crash,
    Duplicate,
    Info,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Index of the event in `tl.events`; the moment shows from cursor `ix + 1` on.
    pub ix: usize,
    pub kind: MomentKind,
    /// The first moment of its kind in the run: playback pauses only there, so that a moment
    /// that repeats (every payment at risk) is explained every time but stops the student once.
    pub first: bool,
}

impl Moment {
    /// The cursor just after the moment's event.
    pub fn cursor(&self) -> usize {
        self.ix + 1
    }
}

/// Every moment of a run, in order. Moments that repeat at the same instant (several payments
/// at risk from one commit, several partitions resumed) count once.
pub fn moments(tl: &Timeline) -> Vec<Moment> {
    let mut out: Vec<Moment> = Vec::new();
    // Payments the program gave up on on purpose: a commit past them is the plan, not a risk.
    let mut handled: Vec<u32> = Vec::new();
    // What each consumer's last poll returned and how much of it has been applied, to tell a
    // failure in the middle of a batch.
    let n = tl.scenario.consumers.len();
    let mut batch: Vec<(usize, usize)> = vec![(0, 0); n];
    let mut async_sent: Vec<u32> = Vec::new();
    let mut committed: Vec<Offset> = vec![Offset::INVALID; tl.scenario.topic.partitions as usize];
    for (ix, e) in tl.events.iter().enumerate() {
        let c = e.consumer.map(|c| c as usize).filter(|&c| c < n);
        let mid_batch = c.is_some_and(|c| batch[c].0 > 1 && batch[c].1 < batch[c].0);
        let kind = match &e.kind {
            EventKind::Polled { payments } => {
                if let Some(c) = c {
                    batch[c] = (payments.len(), 0);
                }
                continue;
            }
            EventKind::EffectApplied { count, .. } => {
                if let Some(c) = c {
                    batch[c].1 += 1;
                }
                if *count > 1 {
                    MomentKind::Duplicate
                } else {
                    continue;
                }
            }
            EventKind::DeadLettered { payment } => {
                handled.push(*payment);
                if let Some(c) = c {
                    batch[c].1 += 1;
                }
                MomentKind::DeadLettered
            }
            EventKind::PaymentSkipped { payment } => {
                handled.push(*payment);
                if let Some(c) = c {
                    batch[c].1 += 1;
                }
                MomentKind::Skipped
            }
            EventKind::ProcessingFailed {
                failure: Failure::Transient,
                retry_at_ms: Some(_),
                ..
            } => MomentKind::Retried,
            EventKind::ProcessingFailed { .. } if mid_batch => MomentKind::PartialBatch,
            EventKind::ProgramStopped { .. } => MomentKind::Stopped,
            EventKind::AtRisk { payment, .. } if handled.contains(payment) => continue,
            EventKind::AtRisk { .. } => MomentKind::AtRisk,
            EventKind::Crashed {
                kind,
                finally_close,
            } => {
                let closes = *kind == CrashKind::Close || *finally_close;
                // B11 / D3: close() commits only with enable.auto.commit on.
                let auto = c
                    .and_then(|c| tl.scenario.consumers.get(c))
                    .is_some_and(|s| s.config.enable_auto_commit);
                // A batch the program asked for (consume(num_messages=N)), not merely the
                // records one Java poll() happened to return.
                let batches = c
                    .and_then(|c| tl.scenario.consumers.get(c))
                    .is_some_and(|s| s.program.poll.max_messages > 1);
                match (closes, auto) {
                    (true, true) => MomentKind::CloseCommits,
                    (true, false) => MomentKind::CloseLeaves,
                    (false, _) if mid_batch && batches => MomentKind::PartialBatch,
                    (false, _) => MomentKind::DiedWithoutClose,
                }
            }
            EventKind::SessionExpired { .. } => MomentKind::SessionExpired,
            EventKind::StartOffset {
                from: StartFrom::Committed | StartFrom::Database,
                ..
            } => MomentKind::Resumed,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            } => MomentKind::CloseCommits,
            EventKind::CommitSent {
                id,
                source: CommitSource::Manual,
                sync: false,
                ..
            } => {
                async_sent.push(*id);
                continue;
            }
            EventKind::CommitCallback { id, .. } if async_sent.contains(id) => {
                MomentKind::LateCommitResult
            }
            EventKind::CommitApplied { offsets, .. } => {
                let back = offsets.iter().any(|&(p, o)| {
                    let slot = &mut committed[p.ix()];
                    let back = slot.is_valid() && o < *slot;
                    *slot = o;
                    back
                });
                if back {
                    MomentKind::OffsetBackwards
                } else {
                    continue;
                }
            }
            EventKind::TransactionCommitted { offsets, .. } => {
                for &(p, o) in offsets {
                    committed[p.ix()] = o;
                }
                continue;
            }
            EventKind::MaxPollExceeded => MomentKind::MaxPollExceeded,
            EventKind::RunEnded => MomentKind::Outcome,
            _ => continue,
        };
        let same_instant = out.last().is_some_and(|m| {
            let prev = &tl.events[m.ix];
            prev.at_ms == e.at_ms && m.kind == kind
        });
        // One callout per run of the same moment by the same consumer (duplicates in a row,
        // on_commit results in a row).
        let repeated = matches!(kind, MomentKind::Duplicate | MomentKind::LateCommitResult)
            && out
                .last()
                .is_some_and(|m| m.kind == kind && tl.events[m.ix].consumer == e.consumer);
        if same_instant || repeated {
            continue;
        }
        let first = !out.iter().any(|m| m.kind == kind);
        out.push(Moment { ix, kind, first });
    }
    out
}

/// The moment shown at `cursor`: the latest one that has happened.
pub fn current(moments: &[Moment], cursor: usize) -> Option<Moment> {
    let k = moments.partition_point(|m| m.cursor() <= cursor);
    k.checked_sub(1).map(|k| moments[k])
}

/// The first pausing moment strictly after `from` and at or before `to` (cursors): where
/// playback stops. The outcome is not one: the end of the run stops playback anyway.
pub fn first_between(moments: &[Moment], from: usize, to: usize) -> Option<Moment> {
    moments
        .iter()
        .find(|m| m.first && m.kind != MomentKind::Outcome && m.cursor() > from && m.cursor() <= to)
        .copied()
}

/// The moment's explanation: the core's sentence for its event, then what it means here.
/// `world` is the world just after the moment's event.
pub fn body(tl: &Timeline, m: Moment, world: &World) -> (String, Option<String>) {
    let e = &tl.events[m.ix];
    let ctx = Context {
        scenario: &tl.scenario,
        log: &world.log,
    };
    let text = e.explain(&ctx).unwrap_or_default();
    let consumer = e
        .consumer
        .and_then(|c| tl.scenario.consumers.get(c as usize));
    let extra = match (&e.kind, m.kind) {
        (EventKind::StartOffset { partition, offset, .. }, _) => {
            Some(resumed_text(tl, world, *partition, *offset))
        }
        (EventKind::Crashed { .. }, MomentKind::DiedWithoutClose) => consumer.map(|c| {
            format!(
                "Watch the consumer card: its member stays in the group for up to session.timeout.ms = {} after its last heartbeat (C2).",
                crate::trace::fmt_ms(c.config.session_timeout_ms)
            )
        }),
        (
            EventKind::ProcessingFailed {
                retry_at_ms: None, ..
            },
            MomentKind::PartialBatch,
        ) if consumer.is_some_and(|c| !c.program.on_batch_failure.is_stop()) => {
            consumer.map(|c| match c.program.on_batch_failure {
                OnBatchFailure::CommitPrefix => {
                    "The program catches the failure around its loop: it commits the payments of \
                     the batch already recorded, then seeks back to the failed one and polls \
                     again. Nothing is processed twice, and nothing after the failure is skipped."
                        .to_string()
                }
                _ => "The program catches the failure around its loop and seeks back to the start \
                      of the batch: the next poll() returns the whole batch again, so the payments \
                      already recorded are recorded a second time unless the sink deduplicates."
                    .to_string(),
            })
        }
        (_, MomentKind::PartialBatch) => Some(
            "The payments of this batch that were already recorded are not committed yet: \
             whatever handles the failure decides whether they are processed again (a replay of \
             the whole batch duplicates them) or the batch goes on around the bad payment."
                .to_string(),
        ),
        (EventKind::CommitCallback { id, .. }, MomentKind::LateCommitResult) => {
            let sent = tl.events[..m.ix].iter().rposition(
                |s| matches!(s.kind, EventKind::CommitSent { id: i, .. } if i == *id),
            );
            sent.map(|s| {
                let applied = tl.events[s..m.ix]
                    .iter()
                    .filter(|x| {
                        x.consumer == e.consumer
                            && matches!(x.kind, EventKind::EffectApplied { .. })
                    })
                    .count();
                format!(
                    "The program called commit() at {} and went on without waiting; it has recorded {applied} more payment(s) since, not knowing whether that commit landed (B6).",
                    crate::trace::fmt_ms(tl.events[s].at_ms)
                )
            })
        }
        (EventKind::CommitApplied { .. }, MomentKind::OffsetBackwards) => Some(
            "An older commit, retried after a failure (B7), landed after newer ones: a consumer \
             that starts now resumes further back and processes those payments again. A final \
             synchronous commit of the latest offsets (in close() or on_revoke) sets it right."
                .to_string(),
        ),
        _ => None,
    };
    (text, extra)
}

/// What resuming at `offset` means for the payments of `partition`: those behind it that were
/// never recorded are lost; those at or after it that were recorded come again.
fn resumed_text(tl: &Timeline, world: &World, partition: Partition, offset: Offset) -> String {
    let log = &world.log;
    let mut skipped = Vec::new();
    let mut again = Vec::new();
    if let Some(list) = log.partitions.get(partition.ix()) {
        for (o, &ix) in list.iter().enumerate() {
            let applied = world.sink.applied[ix as usize];
            if Offset(o as i64) < offset && applied == 0 && !world.sink.handled(ix) {
                skipped.push(payment_id(ix + 1));
            } else if Offset(o as i64) >= offset && applied > 0 {
                again.push(payment_id(ix + 1));
            }
        }
    }
    let mut parts = Vec::new();
    if !skipped.is_empty() {
        parts.push(format!(
            "Never recorded and now behind the committed offset, so never delivered again: {} — lost.",
            list(&skipped)
        ));
    }
    if !again.is_empty() {
        parts.push(format!(
            "Already recorded but at or after offset {offset}, so they come again: {} — duplicates ahead.",
            list(&again)
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "Everything before offset {offset} of {}-{partition} was recorded, and nothing after it was: no loss, no duplicate here.",
            tl.scenario.topic.name
        ));
    }
    parts.join(" ")
}

fn list(ids: &[String]) -> String {
    const MAX: usize = 6;
    if ids.len() <= MAX {
        ids.join(", ")
    } else {
        format!("{} and {} more", ids[..MAX].join(", "), ids.len() - MAX)
    }
}
