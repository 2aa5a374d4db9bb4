//! The swim lanes over simulated time: per consumer, when it lived, joined, processed and
//! committed; for the group, its rebalances. Computed once per run.

pub use super::timeline_thin::MAX_ITEMS;
use offset_lab_sim::scenario::{CrashKind, CrashWhen};
use offset_lab_sim::trace::CommitSource;
use offset_lab_sim::{EventKind, Ms, Timeline};
use serde::{Deserialize, Serialize};

use super::{clock, pid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarKind {
    /// The process is not running (between a crash and a restart).
    Down,
    /// JoinGroup → assignment: the consumer has no partitions.
    Joining,
    /// Processing a payment; `interrupted` when a crash or a failure ended it before its effect.
    Processing { interrupted: bool },
    /// The group is rebalancing.
    Rebalance,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub from_ms: Ms,
    pub to_ms: Ms,
    pub kind: BarKind,
    pub label: String,
    /// The event that began it, to jump to.
    pub ix: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkKind {
    /// `poll()` returned payments.
    Poll,
    /// A commit request: `ok` None while in flight at the end, Some(false) rejected.
    Commit {
        source: CommitSource,
        ok: Option<bool>,
    },
    /// A commit that never left the client.
    CommitRefused,
    /// A librdkafka auto-commit tick with nothing new to commit (or skipped).
    EmptyTick,
    Crash(CrashKind),
    Restart,
    AtRisk,
    Duplicate,
    SessionExpired,
    /// A processing attempt failed, or the program gave up on a payment.
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub at_ms: Ms,
    pub kind: MarkKind,
    pub label: String,
    pub ix: usize,
}

/// A crash point placed at a time (not yet necessarily fired).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCrashPoint {
    pub at_ms: Ms,
    /// Index into the consumer's `crashes`.
    pub crash_ix: usize,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub consumer: usize,
    pub name: String,
    pub bars: Vec<Bar>,
    /// Marks on the main line (polls, crashes, restarts, at-risk).
    pub marks: Vec<Mark>,
    /// Marks on the commit line under it (commits and auto-commit ticks).
    pub commits: Vec<Mark>,
    pub crash_points: Vec<TimeCrashPoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineVm {
    pub end_ms: Ms,
    /// When the last notable event (before the end of the run) happens: after it, nothing
    /// changes but heartbeats and empty polls.
    pub activity_end_ms: Ms,
    pub group: Vec<Bar>,
    pub rows: Vec<Row>,
}

pub fn timeline_vm(tl: &Timeline) -> TimelineVm {
    let sc = &tl.scenario;
    let n = sc.consumers.len();
    let end = tl.end_ms();
    let mut rows: Vec<Row> = sc
        .consumers
        .iter()
        .enumerate()
        .map(|(c, spec)| Row {
            consumer: c,
            name: spec.name.clone(),
            bars: vec![],
            marks: vec![],
            commits: vec![],
            crash_points: spec
                .crashes
                .iter()
                .enumerate()
                .filter_map(|(ix, cp)| match cp.when() {
                    CrashWhen::At(t) => Some(TimeCrashPoint {
                        at_ms: t,
                        crash_ix: ix,
                        label: format!(
                            "crash point at {}: {}",
                            clock(t),
                            crate::edit::crash_kind_label(cp.kind)
                        ),
                    }),
                    CrashWhen::Point(..) => None,
                })
                .collect(),
        })
        .collect();
    let mut group = Vec::new();
    // Open intervals, per consumer.
    let mut down: Vec<Option<(Ms, usize)>> = vec![None; n];
    let mut joining: Vec<Option<(Ms, usize)>> = vec![None; n];
    let mut processing: Vec<Option<(Ms, usize, u32)>> = vec![None; n];
    let mut rebalance: Option<(Ms, usize)> = None;
    // Which consumer last received each payment: at-risk events come from the broker.
    let mut holder: Vec<Option<usize>> = vec![None; tl.final_world.log.payments.len()];
    let mut commit_marks: Vec<(u32, usize, usize)> = Vec::new(); // (id, row, index in commits)

    for (ix, e) in tl.events.iter().enumerate() {
        let c = e.consumer.map(|c| c as usize).filter(|c| *c < n);
        let t = e.at_ms;
        match &e.kind {
            EventKind::Constructed { incarnation } => {
                let Some(c) = c else { continue };
                if let Some((from, bix)) = down[c].take() {
                    rows[c].bars.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Down,
                        label: "not running".into(),
                        ix: bix,
                    });
                }
                if *incarnation > 1 {
                    rows[c].marks.push(Mark {
                        at_ms: t,
                        kind: MarkKind::Restart,
                        label: format!("restart #{incarnation} at {}", clock(t)),
                        ix,
                    });
                }
            }
            EventKind::JoinSent { .. } => {
                if let Some(c) = c {
                    joining[c].get_or_insert((t, ix));
                }
            }
            EventKind::Assigned { .. } => {
                if let Some(c) = c
                    && let Some((from, bix)) = joining[c].take()
                {
                    rows[c].bars.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Joining,
                        label: "joining".into(),
                        ix: bix,
                    });
                }
            }
            EventKind::RebalanceStarted { .. } => {
                rebalance.get_or_insert((t, ix));
            }
            EventKind::GroupStable { generation } => {
                if let Some((from, bix)) = rebalance.take() {
                    group.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Rebalance,
                        label: format!("rebalance → generation {generation}"),
                        ix: bix,
                    });
                }
            }
            EventKind::Polled { payments } => {
                let Some(c) = c else { continue };
                for p in payments {
                    if let Some(h) = holder.get_mut(*p as usize) {
                        *h = Some(c);
                    }
                }
                let ids: Vec<String> = payments.iter().take(5).map(|p| pid(*p)).collect();
                let more = if payments.len() > 5 {
                    format!(" +{}", payments.len() - 5)
                } else {
                    String::new()
                };
                rows[c].marks.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Poll,
                    label: format!("poll() → {}{more}", ids.join(" ")),
                    ix,
                });
            }
            EventKind::ProcessingStarted { payment, .. } => {
                if let Some(c) = c {
                    processing[c] = Some((t, ix, *payment));
                }
            }
            EventKind::EffectApplied { payment, count } => {
                let Some(c) = c else { continue };
                if let Some((from, bix, p)) = processing[c].take() {
                    rows[c].bars.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Processing { interrupted: false },
                        label: pid(p),
                        ix: bix,
                    });
                }
                if *count > 1 {
                    rows[c].marks.push(Mark {
                        at_ms: t,
                        kind: MarkKind::Duplicate,
                        label: format!("{} applied again ({count}×)", pid(*payment)),
                        ix,
                    });
                }
            }
            EventKind::ProcessingFailed {
                payment, attempt, ..
            } => {
                let Some(c) = c else { continue };
                if let Some((from, bix, p)) = processing[c].take() {
                    rows[c].bars.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Processing { interrupted: true },
                        label: pid(p),
                        ix: bix,
                    });
                }
                rows[c].marks.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Failed,
                    label: format!("{} failed (attempt {attempt})", pid(*payment)),
                    ix,
                });
            }
            EventKind::PaymentSkipped { payment }
            | EventKind::DeadLettered { payment }
            | EventKind::ProgramStopped { payment } => {
                let Some(c) = c else { continue };
                let what = match e.kind {
                    EventKind::PaymentSkipped { .. } => "skipped",
                    EventKind::DeadLettered { .. } => "sent to the dead-letter topic",
                    _ => "stopped the program",
                };
                rows[c].marks.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Failed,
                    label: format!("{} {what}", pid(*payment)),
                    ix,
                });
            }
            EventKind::TransactionCommitted { outputs, .. } => {
                let Some(c) = c else { continue };
                rows[c].commits.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Commit {
                        source: CommitSource::Manual,
                        ok: Some(true),
                    },
                    label: format!("transaction committed: {outputs} refund(s) and the offsets"),
                    ix,
                });
            }
            EventKind::AtRisk { payment, .. } => {
                if let Some(c) = holder.get(*payment as usize).copied().flatten() {
                    rows[c].marks.push(Mark {
                        at_ms: t,
                        kind: MarkKind::AtRisk,
                        label: format!(
                            "{} at risk: committed before it was processed",
                            pid(*payment)
                        ),
                        ix,
                    });
                }
            }
            EventKind::CommitSent {
                id,
                source,
                offsets,
                ..
            } => {
                let Some(c) = c else { continue };
                let what = offsets
                    .iter()
                    .map(|(p, o)| format!("p{p}→{o}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                rows[c].commits.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Commit {
                        source: *source,
                        ok: None,
                    },
                    label: format!("commit #{id} ({}) {what}", source_word(*source)),
                    ix,
                });
                commit_marks.push((*id, c, rows[c].commits.len() - 1));
            }
            EventKind::CommitApplied { id, .. } | EventKind::CommitRejected { id, .. } => {
                let ok = matches!(e.kind, EventKind::CommitApplied { .. });
                if let Some(&(_, r, k)) = commit_marks.iter().rev().find(|(i, _, _)| i == id) {
                    let m = &mut rows[r].commits[k];
                    if let MarkKind::Commit { source, .. } = m.kind {
                        m.kind = MarkKind::Commit {
                            source,
                            ok: Some(ok),
                        };
                    }
                    m.label.push_str(if ok {
                        " — acknowledged"
                    } else {
                        " — rejected"
                    });
                    if let EventKind::CommitRejected { error, .. } = &e.kind {
                        m.label.push_str(&format!(" ({})", error.name()));
                    }
                }
            }
            EventKind::CommitRefused { error, .. } => {
                let Some(c) = c else { continue };
                rows[c].commits.push(Mark {
                    at_ms: t,
                    kind: MarkKind::CommitRefused,
                    label: format!("commit not sent: {}", error.name()),
                    ix,
                });
            }
            EventKind::AutoCommitTick {
                skipped_rebalancing,
            } => {
                let Some(c) = c else { continue };
                rows[c].commits.push(Mark {
                    at_ms: t,
                    kind: MarkKind::EmptyTick,
                    label: if *skipped_rebalancing {
                        "auto-commit tick skipped: rebalancing".into()
                    } else {
                        "auto-commit tick: nothing new to commit".into()
                    },
                    ix,
                });
            }
            EventKind::Crashed {
                kind,
                finally_close,
            } => {
                let Some(c) = c else { continue };
                if let Some((from, bix, p)) = processing[c].take() {
                    rows[c].bars.push(Bar {
                        from_ms: from,
                        to_ms: t,
                        kind: BarKind::Processing { interrupted: true },
                        label: pid(p),
                        ix: bix,
                    });
                }
                joining[c] = None;
                let how = if *finally_close {
                    "sys.exit → finally: close()"
                } else {
                    crate::edit::crash_kind_short(*kind)
                };
                rows[c].marks.push(Mark {
                    at_ms: t,
                    kind: MarkKind::Crash(*kind),
                    label: format!("crash ({how}) at {}", clock(t)),
                    ix,
                });
                if *kind != CrashKind::Close && !*finally_close {
                    down[c] = Some((t, ix));
                }
            }
            EventKind::Closed => {
                if let Some(c) = c {
                    down[c] = Some((t, ix));
                    joining[c] = None;
                }
            }
            EventKind::SessionExpired { member } => {
                if let Some(c) = c {
                    rows[c].marks.push(Mark {
                        at_ms: t,
                        kind: MarkKind::SessionExpired,
                        label: format!("session of member {member} expired"),
                        ix,
                    });
                }
            }
            _ => {}
        }
    }
    // Close what is still open at the end of the run.
    for c in 0..n {
        if let Some((from, bix)) = down[c].take() {
            rows[c].bars.push(Bar {
                from_ms: from,
                to_ms: end,
                kind: BarKind::Down,
                label: "not running".into(),
                ix: bix,
            });
        }
        if let Some((from, bix)) = joining[c].take() {
            rows[c].bars.push(Bar {
                from_ms: from,
                to_ms: end,
                kind: BarKind::Joining,
                label: "joining".into(),
                ix: bix,
            });
        }
        if let Some((from, bix, p)) = processing[c].take() {
            rows[c].bars.push(Bar {
                from_ms: from,
                to_ms: end,
                kind: BarKind::Processing { interrupted: false },
                label: pid(p),
                ix: bix,
            });
        }
    }
    if let Some((from, bix)) = rebalance {
        group.push(Bar {
            from_ms: from,
            to_ms: end,
            kind: BarKind::Rebalance,
            label: "rebalancing".into(),
            ix: bix,
        });
    }
    let activity_end_ms = tl
        .events
        .iter()
        .rev()
        .find(|e| e.kind.is_notable() && !matches!(e.kind, EventKind::RunEnded))
        .map_or(0, |e| e.at_ms);
    for row in &mut rows {
        super::timeline_thin::thin(row, end);
    }
    TimelineVm {
        end_ms: end,
        activity_end_ms,
        group,
        rows,
    }
}

fn source_word(s: CommitSource) -> &'static str {
    match s {
        CommitSource::Auto => "auto",
        CommitSource::Manual => "commit()",
        CommitSource::Revoke => "on revoke",
        CommitSource::Close => "close()",
    }
}

/// Evenly spaced, round tick marks between `from_ms` and `to_ms`, at most about `max_ticks`.
pub fn axis_ticks(from_ms: Ms, to_ms: Ms, max_ticks: u32) -> Vec<Ms> {
    const STEPS: [Ms; 12] = [
        100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 300_000, 600_000,
    ];
    let span = to_ms.saturating_sub(from_ms);
    let max_ticks = max_ticks.max(2) as u64;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= max_ticks)
        .unwrap_or(3_600_000);
    let first = from_ms.div_ceil(step);
    (first..=to_ms / step).map(|k| k * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_row_is_drawn_at_the_timelines_resolution_and_nothing_notable_is_lost() {
        let json = r#"{"version":1,"name":"busy","seed":1,"topic":{"partitions":2,"payments":{"count":6000}},
            "broker":{"group.initial.rebalance.delay.ms":0},
            "consumers":[{"name":"c","config":{"auto.offset.reset":"earliest"},"program":{"processing_ms":5},
              "crashes":[{"at_ms":20000,"kind":"kill","restart_after_ms":1000}]}],
            "duration_ms":120000}"#;
        let tl = Timeline::new(offset_lab_sim::Scenario::from_json(json).unwrap()).unwrap();
        let vm = timeline_vm(&tl);
        let row = &vm.rows[0];
        assert!(row.bars.len() <= MAX_ITEMS, "{} bars", row.bars.len());
        // Every processing attempt is in a bar, alone or counted.
        let attempts = tl
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ProcessingStarted { .. }))
            .count();
        let drawn: usize = row
            .bars
            .iter()
            .filter(|b| matches!(b.kind, BarKind::Processing { .. }))
            .map(|b| {
                b.label
                    .strip_prefix("processing ")
                    .and_then(|r| r.strip_suffix(" payments"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1)
            })
            .sum();
        assert_eq!(drawn, attempts);
        assert!(row.marks.len() <= 2 * MAX_ITEMS && row.commits.len() <= 2 * MAX_ITEMS);
        // The crash and the restart are kept, each on its own.
        assert!(
            row.marks
                .iter()
                .any(|m| matches!(m.kind, MarkKind::Crash(_)))
        );
        assert!(row.marks.iter().any(|m| m.kind == MarkKind::Restart));
        // A quiet scenario is drawn as it is.
        let small = timeline_vm(
            &Timeline::new(offset_lab_sim::preset("step1-autocommit-sleep7").unwrap()).unwrap(),
        );
        assert!(
            small.rows[0]
                .bars
                .iter()
                .all(|b| !b.label.contains(" payments"))
        );
    }
    use crate::view::test_util::timeline;

    #[test]
    fn sleep7_swim_lane_tells_the_story() {
        let tl = timeline("step1-autocommit-sleep7");
        let vm = timeline_vm(&tl);
        assert_eq!(vm.end_ms, 90_000);
        assert_eq!(vm.activity_end_ms, 65_020);
        let row = &vm.rows[0];
        // P-0001 processed from 0.016 s, interrupted by the crash at 7.016 s.
        let p1 = row.bars.iter().find(|b| b.label == "P-0001").unwrap();
        assert_eq!((p1.from_ms, p1.to_ms), (16, 7016));
        assert_eq!(p1.kind, BarKind::Processing { interrupted: true });
        // Down from the crash to the restart a second later.
        assert!(
            row.bars
                .iter()
                .any(|b| b.kind == BarKind::Down && b.from_ms == 7016 && b.to_ms == 8016)
        );
        // The auto commit at 5 s was acknowledged; later ticks were skipped while rebalancing.
        let auto = row
            .commits
            .iter()
            .find(|m| matches!(m.kind, MarkKind::Commit { .. }))
            .unwrap();
        assert_eq!(auto.at_ms, 5000);
        assert_eq!(
            auto.kind,
            MarkKind::Commit {
                source: CommitSource::Auto,
                ok: Some(true)
            }
        );
        assert!(row.commits.iter().any(|m| m.kind == MarkKind::EmptyTick));
        for k in [
            MarkKind::AtRisk,
            MarkKind::Crash(CrashKind::SysExit),
            MarkKind::Restart,
            MarkKind::SessionExpired,
        ] {
            assert!(row.marks.iter().any(|m| m.kind == k), "{k:?}");
        }
        // The rejoin waited for the dead member's session: a long rebalance.
        assert!(vm.group.iter().any(|b| b.to_ms - b.from_ms > 40_000));
    }

    #[test]
    fn manual_commit_lane_has_duplicate_and_manual_commits() {
        let tl = timeline("step2-manual-commit");
        let vm = timeline_vm(&tl);
        let row = &vm.rows[0];
        assert!(row.marks.iter().any(|m| m.kind == MarkKind::Duplicate));
        assert!(row.commits.iter().any(|m| m.kind
            == MarkKind::Commit {
                source: CommitSource::Manual,
                ok: Some(true)
            }));
    }

    #[test]
    fn ticks_are_round_and_bounded() {
        assert_eq!(
            axis_ticks(0, 90_000, 10),
            (0..=9).map(|k| k * 10_000).collect::<Vec<_>>()
        );
        assert_eq!(axis_ticks(0, 8000, 10)[1], 1000);
        assert!(axis_ticks(0, 24 * 3_600_000, 10).len() <= 25);
        // A window that does not start at zero starts at the first round tick inside it.
        assert_eq!(
            axis_ticks(47_500, 67_500, 10),
            (24..=33).map(|k| k * 2000).collect::<Vec<_>>()
        );
    }
}
