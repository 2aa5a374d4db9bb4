//! One card per consumer: what it is doing, its ids, its partitions with `position()` and
//! `committed()`, the payment in hand, its timers, and its commits.

use offset_lab_sim::client::{AppState, JoinState};
use offset_lab_sim::scenario::{ClientModel, CrashKind};
use offset_lab_sim::trace::CommitSource;
use offset_lab_sim::{CellState, EventKind, Ms, Timeline, World};
use offset_lab_sim::{Offset, Partition};
use serde::{Deserialize, Serialize};

use super::{clock, dur, member_id, offset_text, part_name, pid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Starting,
    Joining,
    Polling,
    Processing,
    Retrying,
    Committing,
    Rebalancing,
    Closing,
    Crashed,
    Restarting,
    Left,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Joining => "joining",
            Status::Polling => "waiting in poll()",
            Status::Processing => "processing",
            Status::Retrying => "waiting to retry",
            Status::Committing => "waiting for commit",
            Status::Rebalancing => "rebalancing",
            Status::Closing => "closing",
            Status::Crashed => "crashed",
            Status::Restarting => "restarting",
            Status::Left => "left",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Status::Starting | Status::Joining | Status::Rebalancing | Status::Restarting => {
                "st st-join"
            }
            Status::Polling | Status::Committing => "st st-wait",
            Status::Processing | Status::Retrying => "st st-work",
            Status::Closing | Status::Left => "st st-left",
            Status::Crashed => "st st-crash",
        }
    }
}

/// A timer with a deadline: what the card shows as a countdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub name: String,
    /// How much of the period has elapsed, in per mille (0..=1000).
    pub permille: u32,
    pub text: String,
    /// A short note on the timer's phase or state.
    pub note: String,
    /// The timer is about to matter (an auto-commit while a payment is unfinished, a session
    /// about to expire).
    pub alert: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Work {
    pub payment: String,
    pub elapsed_ms: u64,
    pub total_ms: u64,
    pub text: String,
    pub at_risk: bool,
    /// `message 2 of 5` when the poll returned a batch.
    pub batch: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRow {
    pub name: String,
    /// `position()`.
    pub position: String,
    /// `committed()`: the group's committed offset, as the broker answers it.
    pub committed: String,
    /// The offset store (librdkafka), what the next commit would send.
    pub stored: Option<String>,
    /// Committed offset is past the position's unfinished work.
    pub ahead: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitLine {
    pub text: String,
    /// None: in flight; Some(true): acknowledged; Some(false): failed.
    pub ok: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub index: usize,
    pub name: String,
    pub status: Status,
    pub detail: String,
    pub member: Option<String>,
    pub generation: Option<i32>,
    pub incarnation: u32,
    pub partitions: String,
    pub parts: Vec<PartRow>,
    pub work: Option<Work>,
    pub timers: Vec<Timer>,
    pub commits: Vec<CommitLine>,
    /// A dead member the group still counts (it left no LeaveGroup, C2).
    pub ghost: Option<Timer>,
    pub alive: bool,
    pub messages_seen: u32,
}

/// How far back the card looks for recent commits.
const COMMIT_LOOKBACK: usize = 4000;

pub fn cards(tl: &Timeline, world: &World, cursor: usize, now: Ms) -> Vec<Card> {
    let sc = &tl.scenario;
    let java = sc.client == ClientModel::Java;
    let states = world.cell_states();
    let cursor = cursor.min(tl.events.len());
    world
        .consumers
        .iter()
        .enumerate()
        .map(|(c, con)| {
            let spec = &sc.consumers[c];
            let cfg = &spec.config;
            let mut timers = Vec::new();
            let mut work = None;
            let mut parts = Vec::new();
            let (status, detail, member, generation, partitions) = match &con.client {
                None => {
                    let (status, detail) = match (con.ended, con.restart_at_ms) {
                        (_, Some(at)) => (
                            Status::Restarting,
                            format!(
                                "restarts at {} (in {})",
                                clock(at),
                                dur(at.saturating_sub(now))
                            ),
                        ),
                        (Some(end), None) if end.closed => (
                            Status::Left,
                            format!("closed and left at {}", clock(end.at_ms)),
                        ),
                        (Some(end), None) => (
                            Status::Crashed,
                            format!("{} at {}", last_crash_text(tl, c, cursor), clock(end.at_ms)),
                        ),
                        (None, None) => (
                            Status::Starting,
                            format!("Consumer() is constructed at {}", clock(spec.start_ms)),
                        ),
                    };
                    (status, detail, None, None, String::new())
                }
                Some(cl) => {
                    let status = match (cl.join, cl.app.state) {
                        (JoinState::Closing, _) | (_, AppState::Closing) => Status::Closing,
                        (
                            JoinState::Joining
                            | JoinState::AwaitingSync
                            | JoinState::AwaitingAssign,
                            _,
                        ) => Status::Joining,
                        (
                            JoinState::AwaitingRevoke
                            | JoinState::RevokeCommit { .. }
                            | JoinState::LeftMaxPoll,
                            _,
                        ) => Status::Rebalancing,
                        (_, AppState::Processing { .. } | AppState::Publishing { .. }) => {
                            Status::Processing
                        }
                        (_, AppState::Backoff { .. }) => Status::Retrying,
                        (_, AppState::WaitCommit { .. } | AppState::WaitTxn { .. }) => {
                            Status::Committing
                        }
                        _ => Status::Polling,
                    };
                    let detail = match status {
                        Status::Joining if cl.member.is_none() => {
                            "JoinGroup sent: waiting for the group".to_string()
                        }
                        Status::Joining => "waiting for its assignment".to_string(),
                        Status::Rebalancing if cl.join == JoinState::LeftMaxPoll => {
                            "left the group: max.poll.interval.ms passed".to_string()
                        }
                        Status::Rebalancing => {
                            "giving up its partitions for a rebalance".to_string()
                        }
                        Status::Closing => "inside close(): commit, then LeaveGroup".to_string(),
                        Status::Committing if matches!(cl.app.state, AppState::WaitTxn { .. }) => {
                            "commit_transaction() waits for the broker".to_string()
                        }
                        Status::Committing => "commit() waits for the broker's answer".to_string(),
                        Status::Retrying => match cl.app.state {
                            AppState::Backoff {
                                payment,
                                attempt,
                                until_ms,
                            } => format!(
                                "{} failed (attempt {attempt}); next attempt at {}",
                                pid(payment),
                                clock(until_ms)
                            ),
                            _ => String::new(),
                        },
                        Status::Processing => match cl.app.state {
                            AppState::Publishing { payment, .. } => {
                                format!("publishing {} to the dead-letter topic", pid(payment))
                            }
                            _ => String::new(),
                        },
                        Status::Polling => {
                            "nothing to process: poll() waits for messages".to_string()
                        }
                        _ => String::new(),
                    };
                    if let AppState::Processing {
                        payment,
                        started_ms,
                        until_ms,
                        ..
                    } = cl.app.state
                    {
                        let total = until_ms.saturating_sub(started_ms);
                        let elapsed = now.saturating_sub(started_ms).min(total);
                        let batch = (cl.app.batch.len() > 1).then(|| {
                            format!(
                                "message {} of {} from this poll",
                                cl.app.msg_ix + 1,
                                cl.app.batch.len()
                            )
                        });
                        work = Some(Work {
                            payment: pid(payment),
                            elapsed_ms: elapsed,
                            total_ms: total,
                            text: format!("{} / {}", dur(elapsed), dur(total)),
                            at_risk: states.get(payment as usize) == Some(&CellState::AtRisk),
                            batch,
                        });
                    }
                    for part in &cl.parts {
                        let committed = world.resume_offset(part.partition);
                        let unfinished = cl
                            .held()
                            .any(|p| world.log.payment(p).partition == part.partition);
                        parts.push(PartRow {
                            name: part_name(sc, part.partition),
                            position: offset_text(part.app_pos),
                            committed: offset_text(committed),
                            stored: (!java).then(|| offset_text(part.stored)),
                            ahead: unfinished
                                && committed >= Offset(0)
                                && committed >= part.app_pos
                                && part.app_pos >= Offset(0),
                        });
                    }
                    // B5: librdkafka's timer runs in the background from Consumer(); D2: Java's
                    // only fires inside poll().
                    if cfg.enable_auto_commit {
                        let interval = cfg.auto_commit_interval_ms.max(1);
                        if let Some(next) = cl.next_auto_commit_ms {
                            let remaining = next.saturating_sub(now);
                            let elapsed = 1000 - permille(remaining, interval);
                            let unfinished = cl.held().next().is_some();
                            let (text, note) = if java {
                                if remaining == 0 {
                                    (
                                        "due".to_string(),
                                        "commits the positions in the next poll() (D2)".to_string(),
                                    )
                                } else {
                                    (
                                        format!("due in {}", dur(remaining)),
                                        "Java commits in poll(), not in the background (D2)"
                                            .to_string(),
                                    )
                                }
                            } else {
                                let note = if cl.join != JoinState::Steady {
                                    "skips its ticks while rebalancing (B5)".to_string()
                                } else {
                                    format!(
                                        "ticks every {} since Consumer() at {} (B5)",
                                        dur(interval),
                                        clock(cl.t0_ms)
                                    )
                                };
                                (format!("next tick in {}", dur(remaining)), note)
                            };
                            timers.push(Timer {
                                name: "auto-commit".to_string(),
                                permille: elapsed,
                                text,
                                note,
                                alert: unfinished && !java && cl.join == JoinState::Steady,
                            });
                        }
                    }
                    if let Some(m) = cl.member.and_then(|id| world.group.member(id)) {
                        timers.push(session_timer(
                            m.last_heartbeat_ms,
                            m.session_timeout_ms,
                            now,
                            false,
                        ));
                    }
                    if cl.member.is_some() {
                        let limit = cfg.max_poll_interval_ms.max(1);
                        let (elapsed, text) = if cl.in_poll() {
                            (0, "in poll() now".to_string())
                        } else {
                            let since = now.saturating_sub(cl.last_poll_ms);
                            (
                                permille(since, limit),
                                format!("{} since poll(), limit {}", dur(since), dur(limit)),
                            )
                        };
                        timers.push(Timer {
                            name: "max.poll".to_string(),
                            permille: elapsed,
                            text,
                            note: "leave the group if poll() is not called in time (B14)"
                                .to_string(),
                            alert: elapsed > 800,
                        });
                    }
                    let partitions = cl
                        .parts
                        .iter()
                        .map(|p| part_name(sc, p.partition))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let member = cl.member.map(|id| member_id(sc, id));
                    let generation = (cl.generation >= 0).then_some(cl.generation);
                    (status, detail, member, generation, partitions)
                }
            };
            // A member of an earlier incarnation that never said goodbye (B12, C2).
            let ghost = world
                .group
                .members
                .iter()
                .find(|m| {
                    m.consumer == c && (con.client.is_none() || m.incarnation != con.incarnation)
                })
                .map(|m| {
                    let mut t = session_timer(m.last_heartbeat_ms, m.session_timeout_ms, now, true);
                    t.note = format!(
                        "{} is dead but still a member: no LeaveGroup was sent (B12, C2)",
                        member_id(sc, m.id)
                    );
                    t
                });
            let commits = commit_lines(tl, world, c, cursor, now);
            Card {
                index: c,
                name: spec.name.clone(),
                status,
                detail,
                member,
                generation,
                incarnation: con.incarnation,
                partitions,
                parts,
                work,
                timers,
                commits,
                ghost,
                alive: con.client.is_some(),
                messages_seen: con.messages_seen,
            }
        })
        .collect()
}

/// `part` of `whole` in per mille, at most 1000.
fn permille(part: u64, whole: u64) -> u32 {
    (part.min(whole) * 1000 / whole.max(1)) as u32
}

fn session_timer(last_hb: Ms, session: u64, now: Ms, dead: bool) -> Timer {
    let session = session.max(1);
    let since = now.saturating_sub(last_hb);
    let left = (last_hb + session).saturating_sub(now);
    Timer {
        name: "session".to_string(),
        permille: permille(since, session),
        text: format!("expires in {}", dur(left)),
        note: if dead {
            String::new()
        } else {
            format!(
                "last heartbeat {} ago; heartbeats run in the background (B15)",
                dur(since)
            )
        },
        alert: dead,
    }
}

fn last_crash_text(tl: &Timeline, c: usize, cursor: usize) -> String {
    let kind = tl.events[..cursor].iter().rev().find_map(|e| match e.kind {
        EventKind::Crashed {
            kind,
            finally_close,
        } if e.consumer == Some(c as u8) => Some((kind, finally_close)),
        _ => None,
    });
    match kind {
        Some((CrashKind::Kill, _)) => "killed: no close(), no LeaveGroup".to_string(),
        Some((CrashKind::SysExit, false)) => "sys.exit(1) without close()".to_string(),
        Some((_, _)) => "exited through close()".to_string(),
        None => "ended".to_string(),
    }
}

fn source_text(s: CommitSource) -> &'static str {
    match s {
        CommitSource::Auto => "auto",
        CommitSource::Manual => "commit()",
        CommitSource::Revoke => "on revoke",
        CommitSource::Close => "close()",
    }
}

/// The commits in flight, then the latest few results, newest first.
fn commit_lines(tl: &Timeline, world: &World, c: usize, cursor: usize, now: Ms) -> Vec<CommitLine> {
    let sc = &tl.scenario;
    let offs = |o: &[(Partition, Offset)]| {
        o.iter()
            .map(|(p, off)| format!("{} → {off}", part_name(sc, *p)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let lo = cursor.saturating_sub(COMMIT_LOOKBACK);
    let recent = &tl.events[lo..cursor];
    let in_flight: Vec<_> = world.consumers[c]
        .client
        .as_ref()
        .map(|cl| cl.in_flight.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for f in &in_flight {
        // The broker may have answered already: the answer is still on its way to the client.
        let answered = recent.iter().rev().find_map(|e| match &e.kind {
            EventKind::CommitApplied { id, .. } if *id == f.id => {
                Some("written by the broker, answer on its way".to_string())
            }
            EventKind::CommitRejected { id, error, .. } if *id == f.id => {
                Some(format!("rejected ({}), answer on its way", error.name()))
            }
            _ => None,
        });
        out.push(CommitLine {
            text: format!(
                "#{} {} {}: {} · {}",
                f.id,
                source_text(f.source),
                if f.sync { "sync" } else { "async" },
                offs(&f.offsets),
                answered.unwrap_or_else(|| format!(
                    "in flight for {}",
                    dur(now.saturating_sub(f.sent_ms))
                ))
            ),
            ok: None,
        });
    }
    for e in recent.iter().rev() {
        if out.len() >= 3 {
            break;
        }
        if e.consumer != Some(c as u8) {
            continue;
        }
        let line = match &e.kind {
            EventKind::CommitApplied { id, .. } | EventKind::CommitRejected { id, .. }
                if in_flight.iter().any(|f| f.id == *id) =>
            {
                continue;
            }
            EventKind::CommitApplied {
                id,
                source,
                offsets,
            } => CommitLine {
                text: format!(
                    "#{id} {} {} · acknowledged at {}",
                    source_text(*source),
                    offs(offsets),
                    clock(e.at_ms)
                ),
                ok: Some(true),
            },
            EventKind::CommitRejected { id, source, error } => CommitLine {
                text: format!(
                    "#{id} {} · rejected: {} at {}",
                    source_text(*source),
                    error.name(),
                    clock(e.at_ms)
                ),
                ok: Some(false),
            },
            EventKind::CommitRefused { source, error, .. } => CommitLine {
                text: format!(
                    "{} · not sent: {} at {}",
                    source_text(*source),
                    error.name(),
                    clock(e.at_ms)
                ),
                ok: Some(false),
            },
            EventKind::TransactionCommitted { outputs, offsets } => CommitLine {
                text: format!(
                    "transaction: {outputs} refund(s) + {} · committed at {}",
                    offs(offsets),
                    clock(e.at_ms)
                ),
                ok: Some(true),
            },
            _ => continue,
        };
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::test_util::{after, timeline};

    #[test]
    fn processing_card_shows_progress_timers_and_offsets() {
        let tl = timeline("step1-autocommit-sleep7");
        let cur = after(&tl, "processing");
        let w = tl.world_at(cur);
        let card = &cards(&tl, &w, cur, 4_116)[0];
        assert_eq!(card.status, Status::Processing);
        assert_eq!(card.member.as_deref(), Some("rdkafka-0001"));
        assert_eq!(card.generation, Some(1));
        assert_eq!(card.partitions, "payments-0");
        let work = card.work.as_ref().unwrap();
        assert_eq!(work.payment, "P-0001");
        assert_eq!(work.text, "4.1 s / 7.0 s");
        assert!(!work.at_risk);
        let auto = card
            .timers
            .iter()
            .find(|t| t.name == "auto-commit")
            .unwrap();
        // B5: the timer started at Consumer() (t0 = 0), so the first tick is at 5 s.
        assert_eq!(auto.text, "next tick in 884 ms");
        assert!(auto.alert);
        assert!(card.timers.iter().any(|t| t.name == "session"));
        assert_eq!(card.parts[0].position, "1");
        assert_eq!(card.parts[0].committed, "-1001 (none)");
        assert_eq!(card.parts[0].stored.as_deref(), Some("1"));
    }

    #[test]
    fn after_the_tick_the_payment_is_at_risk_and_the_commit_acknowledged() {
        let tl = timeline("step1-autocommit-sleep7");
        let cur = after(&tl, "at-risk");
        let w = tl.world_at(cur);
        let card = &cards(&tl, &w, cur, w.now)[0];
        assert!(card.work.as_ref().unwrap().at_risk);
        assert!(card.parts[0].ahead);
        // The broker wrote the commit; its answer reaches the client 2 ms later.
        assert_eq!(card.commits[0].ok, None);
        assert!(
            card.commits[0]
                .text
                .contains("payments-0 → 1 · written by the broker"),
            "{}",
            card.commits[0].text
        );
        assert_eq!(card.commits.len(), 1);
        let later = cur + 1;
        let w = tl.world_at(later);
        let card = &cards(&tl, &w, later, w.now)[0];
        assert_eq!(card.commits[0].ok, Some(true), "{:?}", card.commits);
    }

    #[test]
    fn a_crashed_consumer_shows_its_ghost_member_and_restart() {
        let tl = timeline("step1-autocommit-sleep7");
        let cur = after(&tl, "restart-scheduled");
        let w = tl.world_at(cur);
        let card = &cards(&tl, &w, cur, w.now)[0];
        assert_eq!(card.status, Status::Restarting);
        assert!(
            card.detail.contains("restarts at 00:08.016"),
            "{}",
            card.detail
        );
        let ghost = card.ghost.as_ref().unwrap();
        assert!(ghost.note.contains("rdkafka-0001"));
        assert!(!card.alive);
        // After the restart, the old member is still there until its session expires (C2).
        let cur = after(&tl, "constructed") + 1;
        let _ = cur;
        let restart = tl
            .events
            .iter()
            .position(|e| matches!(e.kind, EventKind::Constructed { incarnation: 2 }))
            .unwrap()
            + 1;
        let w = tl.world_at(restart);
        let card = &cards(&tl, &w, restart, w.now)[0];
        assert_eq!(card.status, Status::Joining);
        assert!(card.ghost.is_some());
        assert_eq!(card.incarnation, 2);
    }

    #[test]
    fn the_manual_commit_card_has_no_auto_commit_timer() {
        let tl = timeline("step2-manual-commit");
        let cur = after(&tl, "processing");
        let w = tl.world_at(cur);
        let card = &cards(&tl, &w, cur, w.now)[0];
        assert!(card.timers.iter().all(|t| t.name != "auto-commit"));
    }
}
