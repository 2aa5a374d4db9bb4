//! Why a payment ended the way it did: the events that caused its verdict, in plain language,
//! each pointing at its place in the trace (so the UI can link it to the timeline).

use crate::Ms;
use crate::log::payment_id;
use crate::outcome::Verdict;
use crate::scenario::CrashKind;
use crate::timeline::Timeline;
use crate::trace::{CommitSource, EventKind, fmt_ms};

/// One cause: an event of `Timeline::events` and what it did to the payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// Index into `Timeline::events`.
    pub event: usize,
    pub at_ms: Ms,
    /// The consumer the event concerns, if any.
    pub consumer: Option<u8>,
    /// What happened, as a sentence (without the time, which `at_ms` gives).
    pub text: String,
    /// This event is what made the payment lost or duplicated.
    pub decisive: bool,
}

impl Cause {
    /// `5.002s: the committed offset moved …`: the cause as the CLI prints it.
    pub fn line(&self) -> String {
        format!("{}: {}", fmt_ms(self.at_ms), self.text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Story {
    pub payment: u32,
    pub verdict: Verdict,
    /// One sentence that sums it up.
    pub summary: String,
    pub causes: Vec<Cause>,
}

impl Timeline {
    /// The story of a payment's verdict at the end of the run.
    pub fn why(&self, payment: u32) -> Option<Story> {
        let world = &self.final_world;
        let p = world.log.payments.get(payment as usize)?;
        let id = payment_id(p.number);
        let verdict = world.outcomes().get(payment as usize)?.outcome;
        let name = |c: Option<u8>| {
            c.and_then(|c| self.scenario.consumers.get(c as usize))
                .map_or("a consumer", |s| s.name.as_str())
                .to_string()
        };
        let mut causes = Vec::new();
        let mut polled_by: Option<u8> = None;
        let mut applications = 0;
        // Only the first commit past the payment is a cause; later ones change nothing.
        let mut committed_past = false;
        // What took the payment from the consumer that had it, for the summary of a duplicate.
        let mut interrupted: Option<String> = None;
        let mut max_poll: Vec<Option<u8>> = Vec::new();
        let java = self.scenario.client == crate::scenario::ClientModel::Java;
        let auto = |c: Option<u8>| {
            c.and_then(|c| self.scenario.consumers.get(c as usize))
                .is_some_and(|s| s.config.enable_auto_commit)
        };
        for (i, e) in self.events.iter().enumerate() {
            match &e.kind {
                EventKind::Polled { payments } if payments.contains(&payment) => {
                    polled_by = e.consumer;
                    causes.push(cause(e, i, format!("{} received {id} from poll().", name(e.consumer))));
                }
                EventKind::AtRisk { payment: q, committed, .. } if *q == payment && !committed_past => {
                    committed_past = true;
                    causes.push(cause(e, i, format!("the committed offset moved to {committed}, past {id}, while it was still being processed.")));
                }
                EventKind::CommitApplied { offsets, source, .. }
                    if applications == 0
                        && verdict == Verdict::Lost
                        && offsets.iter().any(|(q, o)| *q == p.partition && *o > p.offset)
                        && !committed_past
                        && !self.events[i + 1..]
                            .iter()
                            .take_while(|n| n.at_ms == e.at_ms)
                            .any(|n| matches!(n.kind, EventKind::AtRisk { payment: q, .. } if q == payment)) =>
                {
                    let how = match source {
                        CommitSource::Auto => "an auto-commit",
                        CommitSource::Manual => "the program's commit",
                        CommitSource::Revoke => "the commit on revoke",
                        CommitSource::Close => "close()",
                    };
                    committed_past = true;
                    causes.push(cause(e, i, format!("{how} committed past {id} before it was recorded.")));
                }
                EventKind::EffectApplied { payment: q, count } if *q == payment => {
                    applications = *count;
                    causes.push(cause(e, i, format!("{} recorded {id} (application {count}).", name(e.consumer))));
                }
                EventKind::Crashed { kind, finally_close } if polled_by.is_some() && e.consumer == polled_by => {
                    let how = match (kind, finally_close, auto(e.consumer), java) {
                        (CrashKind::Close, ..) | (_, true, ..) => match (auto(e.consumer), java) {
                            (true, false) => "exited through close(), which committed what poll() had stored (B11)",
                            (true, true) => "exited through close(), which committed the positions poll() had reached (D3)",
                            (false, _) => "exited through close(), which commits nothing with auto-commit off",
                        },
                        (CrashKind::Kill, ..) => "was killed",
                        (CrashKind::SysExit, _, _, true) => "called System.exit(1), which runs no finally block",
                        (CrashKind::SysExit, ..) => "called sys.exit(1) without close()",
                    };
                    causes.push(cause(e, i, format!("{} {how}.", name(e.consumer))));
                    let ended = match (kind, finally_close, java) {
                        (CrashKind::Close, ..) | (_, true, _) => "exited through close()",
                        (CrashKind::Kill, ..) => "was killed",
                        (CrashKind::SysExit, _, true) => "called System.exit(1)",
                        (CrashKind::SysExit, ..) => "called sys.exit(1)",
                    };
                    interrupted = Some(format!("{} {ended} before its offset was committed", name(e.consumer)));
                    polled_by = None;
                }
                EventKind::MaxPollExceeded => max_poll.push(e.consumer),
                EventKind::Revoked { lost: true, partitions } if partitions.contains(&p.partition) && polled_by == e.consumer => {
                    let why = if max_poll.contains(&e.consumer) {
                        "went longer than max.poll.interval.ms without calling poll(), left the group and lost its partition"
                    } else {
                        "lost its partition"
                    };
                    causes.push(cause(e, i, format!("{} {why} without committing (B10, B14).", name(e.consumer))));
                    interrupted = Some(format!("{} {why} before its offset was committed", name(e.consumer)));
                }
                EventKind::Revoked { lost: false, partitions }
                    if partitions.contains(&p.partition) && polled_by == e.consumer && applications > 0 && !committed_past =>
                {
                    interrupted.get_or_insert_with(|| {
                        format!("{} gave its partition up in a rebalance before the offset was committed", name(e.consumer))
                    });
                }
                EventKind::Seeked { partition, offset }
                    if *partition == p.partition && *offset <= p.offset && applications > 0 =>
                {
                    // on_batch_failure: the program itself reads the batch again (B8, D1).
                    causes.push(cause(e, i, format!("{} caught a failure in its batch and sought back to offset {offset}, before {id}: it is delivered again.", name(e.consumer))));
                    interrupted = Some(format!(
                        "{} sought back to the start of its batch after a payment failed",
                        name(e.consumer)
                    ));
                }
                EventKind::StartOffset { partition, offset, .. } if *partition == p.partition => {
                    if *offset <= p.offset && applications > 0 {
                        causes.push(cause(e, i, format!("{} resumed at offset {offset}, before {id}: it is delivered again.", name(e.consumer))));
                    } else if *offset > p.offset && applications == 0 {
                        causes.push(cause(e, i, format!("{} resumed at offset {offset}, after {id}: it will never be delivered again.", name(e.consumer))));
                    }
                }
                _ => {}
            }
        }
        // B5 / A3: the commit past an unrecorded payment, the restart that resumes before a
        // recorded one or after an unrecorded one, and a second application decide the verdict.
        for c in &mut causes {
            c.decisive = match &self.events[c.event].kind {
                EventKind::AtRisk { .. } | EventKind::CommitApplied { .. } => true,
                EventKind::StartOffset { offset, .. } => {
                    *offset > p.offset || verdict == Verdict::Duplicated
                }
                EventKind::Seeked { .. } => verdict == Verdict::Duplicated,
                EventKind::EffectApplied { count, .. } => *count > 1,
                _ => false,
            };
        }
        let summary = match verdict {
            Verdict::Lost => format!(
                "{id} was never recorded, but the committed offset moved past it, so no consumer will ever receive it again."
            ),
            Verdict::Duplicated => format!(
                "{id} was recorded {} times: it was processed, but {}, so it was delivered again.",
                world.sink.applied[payment as usize],
                interrupted
                    .as_deref()
                    .unwrap_or("its offset was not committed in time")
            ),
            Verdict::Once => format!("{id} was recorded exactly once."),
            Verdict::Pending => format!(
                "{id} has not been recorded yet, and its offset is not committed: it will still be delivered."
            ),
            Verdict::Skipped => format!(
                "{id} could not be processed and the program skipped it on purpose: it is never applied."
            ),
            Verdict::DeadLettered => {
                format!("{id} could not be processed and waits in the dead-letter topic.")
            }
        };
        if matches!(
            verdict,
            Verdict::Once | Verdict::Pending | Verdict::Skipped | Verdict::DeadLettered
        ) {
            causes.clear();
        }
        Some(Story {
            payment,
            verdict,
            summary,
            causes,
        })
    }
}

fn cause(e: &crate::trace::TraceEvent, event: usize, text: String) -> Cause {
    Cause {
        event,
        at_ms: e.at_ms,
        consumer: e.consumer,
        text,
        decisive: false,
    }
}
