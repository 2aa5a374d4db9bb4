//! The five moments a student must not miss, found in a run's events. Each is shown as a
//! callout tied to the cursor, with the core's own `explain()` text, and playback pauses there.

use offset_lab_sim::scenario::CrashKind;
use offset_lab_sim::trace::{CommitSource, Context, StartFrom};
use offset_lab_sim::{EventKind, Timeline, World};
use serde::{Deserialize, Serialize};

use super::{part_name, pid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MomentKind {
    /// 1: the auto-commit timer fired while a payment was still being processed.
    AtRisk,
    /// 2: the consumer died without close().
    DiedWithoutClose,
    /// 2: the group stopped waiting for the dead member.
    SessionExpired,
    /// 3: a consumer starts at the committed offset.
    Resumed,
    /// 3: a payment was applied a second time.
    Duplicate,
    /// 4: close() committed what poll() stored (auto-commit on).
    CloseCommits,
    /// 4: close() with auto-commit off: nothing to commit, it leaves the group at once.
    CloseLeaves,
    /// 5: the run ended; what it cost.
    Outcome,
}

impl MomentKind {
    /// Which of the five moments.
    pub fn number(self) -> u8 {
        match self {
            MomentKind::AtRisk => 1,
            MomentKind::DiedWithoutClose | MomentKind::SessionExpired => 2,
            MomentKind::Resumed | MomentKind::Duplicate => 3,
            MomentKind::CloseCommits | MomentKind::CloseLeaves => 4,
            MomentKind::Outcome => 5,
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
        }
    }

    /// A CSS modifier: the tone of the callout.
    pub fn tone(self) -> &'static str {
        match self {
            MomentKind::AtRisk | MomentKind::CloseCommits => "warn",
            MomentKind::DiedWithoutClose | MomentKind::SessionExpired => "crash",
            MomentKind::Resumed | MomentKind::CloseLeaves => "info",
            MomentKind::Duplicate => "dup",
            MomentKind::Outcome => "done",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// Index of the event in `tl.events`; the callout shows from cursor `ix + 1` on.
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
    for (ix, e) in tl.events.iter().enumerate() {
        let kind = match &e.kind {
            EventKind::DeadLettered { payment } | EventKind::PaymentSkipped { payment } => {
                handled.push(*payment);
                continue;
            }
            EventKind::AtRisk { payment, .. } if handled.contains(payment) => continue,
            EventKind::AtRisk { .. } => MomentKind::AtRisk,
            EventKind::Crashed {
                kind: CrashKind::Close,
                ..
            }
            | EventKind::Crashed {
                finally_close: true,
                ..
            } => {
                // B11 / D3: close() commits only with enable.auto.commit on.
                let auto = e
                    .consumer
                    .and_then(|c| tl.scenario.consumers.get(c as usize))
                    .is_some_and(|c| c.config.enable_auto_commit);
                if auto {
                    MomentKind::CloseCommits
                } else {
                    MomentKind::CloseLeaves
                }
            }
            EventKind::Crashed { .. } => MomentKind::DiedWithoutClose,
            EventKind::SessionExpired { .. } => MomentKind::SessionExpired,
            EventKind::StartOffset {
                from: StartFrom::Committed | StartFrom::Database,
                ..
            } => MomentKind::Resumed,
            EventKind::EffectApplied { count, .. } if *count > 1 => MomentKind::Duplicate,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            } => MomentKind::CloseCommits,
            EventKind::RunEnded => MomentKind::Outcome,
            _ => continue,
        };
        let same_instant = out.last().is_some_and(|m| {
            let prev = &tl.events[m.ix];
            prev.at_ms == e.at_ms && m.kind == kind
        });
        // One duplicate callout per run of duplicates by the same consumer.
        let repeated_dup = kind == MomentKind::Duplicate
            && out.last().is_some_and(|m| {
                m.kind == MomentKind::Duplicate && tl.events[m.ix].consumer == e.consumer
            });
        if same_instant || repeated_dup {
            continue;
        }
        let first = !out.iter().any(|m| m.kind == kind);
        out.push(Moment { ix, kind, first });
    }
    out
}

/// The moment the callout shows at `cursor`: the latest one that has happened.
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

/// The callout's text: the core's explanation of the event, then what it means here.
/// `world` is the world just after the moment's event.
pub fn body(tl: &Timeline, m: Moment, world: &World) -> (String, Option<String>) {
    let e = &tl.events[m.ix];
    let ctx = Context {
        scenario: &tl.scenario,
        log: &world.log,
    };
    let text = e.explain(&ctx).unwrap_or_default();
    let extra = match (&e.kind, m.kind) {
        (
            EventKind::StartOffset {
                partition, offset, ..
            },
            _,
        ) => {
            let log = &world.log;
            let mut skipped = Vec::new();
            let mut again = Vec::new();
            if let Some(list) = log.partitions.get(partition.ix()) {
                for (o, &ix) in list.iter().enumerate() {
                    let applied = world.sink.applied[ix as usize];
                    if (o as i64) < offset.0 && applied == 0 {
                        skipped.push(pid(ix));
                    } else if (o as i64) >= offset.0 && applied > 0 {
                        again.push(pid(ix));
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
                    "Already recorded but at or after offset {offset}, so they come again: {} — \
                     duplicates ahead.",
                    list(&again)
                ));
            }
            if parts.is_empty() {
                parts.push(format!(
                    "Everything before offset {offset} of {} was recorded, and nothing after it was: \
                     no loss, no duplicate here.",
                    part_name(&tl.scenario, *partition)
                ));
            }
            Some(parts.join(" "))
        }
        (EventKind::Crashed { .. }, MomentKind::DiedWithoutClose) => {
            let cons = e.consumer.map(|c| c as usize);
            let session = cons
                .and_then(|c| tl.scenario.consumers.get(c))
                .map(|c| c.config.session_timeout_ms);
            session.map(|s| {
                format!(
                    "Watch the consumer card: its member stays in the group for up to \
                     session.timeout.ms = {} after its last heartbeat.",
                    super::dur(s)
                )
            })
        }
        _ => None,
    };
    (text, extra)
}

fn list(ids: &[String]) -> String {
    const MAX: usize = 6;
    if ids.len() <= MAX {
        ids.join(", ")
    } else {
        format!("{} and {} more", ids[..MAX].join(", "), ids.len() - MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::test_util::timeline;

    #[test]
    fn sleep7_has_moments_1_2_3_and_5_in_order() {
        let tl = timeline("step1-autocommit-sleep7");
        let ms = moments(&tl);
        let kinds: Vec<MomentKind> = ms.iter().filter(|m| m.first).map(|m| m.kind).collect();
        // Every later payment is at risk too (7 s of processing always spans a tick).
        assert_eq!(
            ms.iter().filter(|m| m.kind == MomentKind::AtRisk).count(),
            3
        );
        assert_eq!(
            kinds,
            vec![
                MomentKind::AtRisk,
                MomentKind::DiedWithoutClose,
                MomentKind::SessionExpired,
                MomentKind::Resumed,
                MomentKind::Outcome
            ]
        );
        // Every moment has the core's explanation.
        for m in &ms {
            let w = tl.world_at(m.cursor());
            let (text, _) = body(&tl, *m, &w);
            assert!(!text.is_empty(), "{m:?}");
        }
    }

    #[test]
    fn resuming_past_an_unrecorded_payment_names_it_lost() {
        // F.1: with S = 7 s the restarted consumer resumes past P-0001.
        let tl = timeline("step1-autocommit-sleep7");
        let m = moments(&tl)
            .into_iter()
            .find(|m| m.kind == MomentKind::Resumed)
            .unwrap();
        let (_, extra) = body(&tl, m, &tl.world_at(m.cursor()));
        let extra = extra.unwrap();
        assert!(
            extra.contains("P-0001") && extra.contains("lost"),
            "{extra}"
        );
    }

    #[test]
    fn manual_commit_resumes_into_a_duplicate() {
        let tl = timeline("step2-manual-commit");
        let ms = moments(&tl);
        let resumed = ms.iter().find(|m| m.kind == MomentKind::Resumed).unwrap();
        let (_, extra) = body(&tl, *resumed, &tl.world_at(resumed.cursor()));
        assert!(extra.unwrap().contains("P-0002"));
        assert!(ms.iter().any(|m| m.kind == MomentKind::Duplicate));
        assert!(!ms.iter().any(|m| m.kind == MomentKind::AtRisk));
    }

    #[test]
    fn close_with_auto_commit_off_is_not_called_a_commit() {
        // B11: librdkafka's close() commits only with enable.auto.commit on.
        let mut s = offset_lab_sim::preset("step2-manual-commit").unwrap();
        s.consumers[0].crashes[0].kind = CrashKind::Close;
        let tl = offset_lab_sim::Timeline::new(s).unwrap();
        let ms = moments(&tl);
        let m = ms.iter().find(|m| m.kind.number() == 4).unwrap();
        assert_eq!(m.kind, MomentKind::CloseLeaves);
        let (text, _) = body(&tl, *m, &tl.world_at(m.cursor()));
        assert!(text.contains("commits nothing"), "{text}");
        let auto = timeline("pitfall-close-in-finally");
        assert!(
            moments(&auto)
                .iter()
                .any(|m| m.kind == MomentKind::CloseCommits)
        );
    }

    #[test]
    fn a_dead_lettered_payment_committed_past_is_not_at_risk() {
        let tl = timeline("step4-invalid-dead-letter");
        assert!(moments(&tl).iter().all(|m| m.kind != MomentKind::AtRisk));
    }

    #[test]
    fn current_and_first_between_follow_the_cursor() {
        let tl = timeline("step1-autocommit-sleep7");
        let ms = moments(&tl);
        assert_eq!(current(&ms, 0), None);
        let first = ms[0];
        assert_eq!(current(&ms, first.ix), None);
        assert_eq!(current(&ms, first.cursor()), Some(first));
        assert_eq!(
            current(&ms, tl.events.len()).map(|m| m.kind),
            Some(MomentKind::Outcome)
        );
        assert_eq!(first_between(&ms, 0, tl.events.len()), Some(first));
        assert_eq!(first_between(&ms, first.cursor(), first.cursor()), None);
    }
}
