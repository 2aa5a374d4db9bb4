//! Why a payment ended the way it did: the events that caused its verdict, in plain language,
//! each pointing at its place in the trace (so the UI can link it to the timeline).

use crate::log::payment_id;
use crate::outcome::Verdict;
use crate::scenario::CrashKind;
use crate::timeline::Timeline;
use crate::trace::{CommitSource, EventKind, fmt_ms};

/// One cause: an event index in `Timeline::events` and what it did to the payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub event: usize,
    pub text: String,
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
        for (i, e) in self.events.iter().enumerate() {
            let at = fmt_ms(e.at_ms);
            match &e.kind {
                EventKind::Polled { payments } if payments.contains(&payment) => {
                    polled_by = e.consumer;
                    causes.push(Cause { event: i, text: format!("{at}: {} received {id} from poll().", name(e.consumer)) });
                }
                EventKind::AtRisk { payment: q, committed, .. } if *q == payment && !committed_past => {
                    committed_past = true;
                    causes.push(Cause {
                        event: i,
                        text: format!("{at}: the committed offset moved to {committed}, past {id}, while it was still being processed."),
                    });
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
                    causes.push(Cause { event: i, text: format!("{at}: {how} committed past {id} before it was recorded.") });
                }
                EventKind::EffectApplied { payment: q, count } if *q == payment => {
                    applications = *count;
                    causes.push(Cause {
                        event: i,
                        text: format!("{at}: {} recorded {id} (application {count}).", name(e.consumer)),
                    });
                }
                EventKind::Crashed { kind, finally_close } if polled_by.is_some() && e.consumer == polled_by => {
                    let how = match (kind, finally_close) {
                        (CrashKind::Close, _) | (_, true) => "exited through close(), which committed what poll() had stored",
                        (CrashKind::Kill, _) => "was killed",
                        (CrashKind::SysExit, _) => "called sys.exit(1) without close()",
                    };
                    causes.push(Cause { event: i, text: format!("{at}: {} {how}.", name(e.consumer)) });
                    polled_by = None;
                }
                EventKind::Revoked { lost: true, partitions } if partitions.contains(&p.partition) && polled_by == e.consumer => {
                    causes.push(Cause {
                        event: i,
                        text: format!("{at}: {} lost its partition without committing.", name(e.consumer)),
                    });
                }
                EventKind::StartOffset { partition, offset, .. } if *partition == p.partition => {
                    if *offset <= p.offset && applications > 0 {
                        causes.push(Cause {
                            event: i,
                            text: format!("{at}: {} resumed at offset {offset}, before {id}: it is delivered again.", name(e.consumer)),
                        });
                    } else if *offset > p.offset && applications == 0 {
                        causes.push(Cause {
                            event: i,
                            text: format!("{at}: {} resumed at offset {offset}, after {id}: it will never be delivered again.", name(e.consumer)),
                        });
                    }
                }
                _ => {}
            }
        }
        let summary = match verdict {
            Verdict::Lost => format!(
                "{id} was never recorded, but the committed offset moved past it, so no consumer will ever receive it again."
            ),
            Verdict::Duplicated => format!(
                "{id} was recorded {} times: it was processed, but the consumer died before its offset was committed, so it was delivered again.",
                world.applied[payment as usize]
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
