//! One card per consumer: what it is doing, its ids, its partitions with `position()` and
//! `committed()`, the payment in hand, its timers, and its commits.

use offset_lab_sim::scenario::CrashKind;
use offset_lab_sim::trace::CommitSource;
use offset_lab_sim::world::ConsumerStatus;
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

    /// A stable name for styles and tests (`card-processing`).
    pub fn key(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Joining => "joining",
            Status::Polling => "polling",
            Status::Processing => "processing",
            Status::Retrying => "retrying",
            Status::Committing => "committing",
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
    let states = world.cell_states();
    let cursor = cursor.min(tl.events.len());
    world
        .consumers
        .iter()
        .enumerate()
        .map(|(c, con)| {
            let spec = &sc.consumers[c];
            let mut timers = Vec::new();
            let mut work = None;
            let mut parts = Vec::new();
            // The core says what the consumer is doing; the card says it in words.
            let (status, detail) = status_text(tl, world, c, cursor, now);
            if let ConsumerStatus::Processing {
                payment,
                started_ms,
                until_ms,
                message,
                batch,
            } = world.consumer_status(c)
            {
                let total = until_ms.saturating_sub(started_ms);
                let elapsed = now.saturating_sub(started_ms).min(total);
                work = Some(Work {
                    payment: pid(payment),
                    elapsed_ms: elapsed,
                    total_ms: total,
                    text: format!("{} / {}", dur(elapsed), dur(total)),
                    at_risk: states.get(payment as usize) == Some(&CellState::AtRisk),
                    batch: (batch > 1)
                        .then(|| format!("message {} of {batch} from this poll", message + 1)),
                });
            }
            let (mut member, mut generation, mut partitions) = (None, None, String::new());
            if let Some(cl) = &con.client {
                for part in &cl.parts {
                    let committed = world.resume_offset(part.partition);
                    parts.push(PartRow {
                        name: part_name(sc, part.partition),
                        position: offset_text(part.app_pos),
                        committed: offset_text(committed),
                        stored: cl
                            .policy
                            .has_offset_store()
                            .then(|| offset_text(part.stored)),
                        // The core's one definition of "at risk" (moment 1).
                        ahead: world.partition_at_risk(c, part.partition),
                    });
                }
                timers.extend(super::card_timers::timers(world, c, now));
                partitions = cl
                    .parts
                    .iter()
                    .map(|p| part_name(sc, p.partition))
                    .collect::<Vec<_>>()
                    .join(", ");
                member = cl.member.map(|id| member_id(sc, id));
                generation = (cl.generation >= 0).then_some(cl.generation);
            }
            let ghost = super::card_timers::ghost(world, c, now);
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

/// The card's status and its line of detail, from the core's [`ConsumerStatus`].
fn status_text(tl: &Timeline, world: &World, c: usize, cursor: usize, now: Ms) -> (Status, String) {
    match world.consumer_status(c) {
        ConsumerStatus::Starting { at_ms } => (
            Status::Starting,
            format!("Consumer() is constructed at {}", clock(at_ms)),
        ),
        ConsumerStatus::Restarting { at_ms } => (
            Status::Restarting,
            format!(
                "restarts at {} (in {})",
                clock(at_ms),
                dur(at_ms.saturating_sub(now))
            ),
        ),
        ConsumerStatus::Left { at_ms } => {
            (Status::Left, format!("closed and left at {}", clock(at_ms)))
        }
        ConsumerStatus::Crashed { at_ms, .. } => (
            Status::Crashed,
            format!("{} at {}", last_crash_text(tl, c, cursor), clock(at_ms)),
        ),
        ConsumerStatus::Joining {
            member_known: false,
        } => (
            Status::Joining,
            "JoinGroup sent: waiting for the group".to_string(),
        ),
        ConsumerStatus::Joining { member_known: true } => {
            (Status::Joining, "waiting for its assignment".to_string())
        }
        ConsumerStatus::Rebalancing {
            left_max_poll: true,
        } => (
            Status::Rebalancing,
            "left the group: max.poll.interval.ms passed".to_string(),
        ),
        ConsumerStatus::Rebalancing {
            left_max_poll: false,
        } => (
            Status::Rebalancing,
            "giving up its partitions for a rebalance".to_string(),
        ),
        ConsumerStatus::Closing => (
            Status::Closing,
            "inside close(): commit, then LeaveGroup".to_string(),
        ),
        ConsumerStatus::Committing { transaction: true } => (
            Status::Committing,
            "commit_transaction() waits for the broker".to_string(),
        ),
        ConsumerStatus::Committing { transaction: false } => (
            Status::Committing,
            "commit() waits for the broker's answer".to_string(),
        ),
        ConsumerStatus::Retrying {
            payment,
            attempt,
            until_ms,
        } => (
            Status::Retrying,
            format!(
                "{} failed (attempt {attempt}); next attempt at {}",
                pid(payment),
                clock(until_ms)
            ),
        ),
        ConsumerStatus::Publishing { payment } => (
            Status::Processing,
            format!("publishing {} to the dead-letter topic", pid(payment)),
        ),
        ConsumerStatus::Processing { .. } => (Status::Processing, String::new()),
        ConsumerStatus::Polling => (
            Status::Polling,
            "nothing to process: poll() waits for messages".to_string(),
        ),
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
    const MAX_IN_FLIGHT_SHOWN: usize = 3;
    let lo = cursor.saturating_sub(COMMIT_LOOKBACK);
    let recent = &tl.events[lo..cursor];
    // The oldest commits in flight (an asynchronous commit per message can have thousands).
    let all_in_flight = world.consumers[c]
        .client
        .as_ref()
        .map_or(0, |cl| cl.in_flight.len());
    let in_flight: Vec<_> = world.consumers[c]
        .client
        .as_ref()
        .map(|cl| {
            cl.in_flight
                .iter()
                .take(MAX_IN_FLIGHT_SHOWN)
                .cloned()
                .collect()
        })
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
    if all_in_flight > in_flight.len() {
        out.push(CommitLine {
            text: format!(
                "and {} more commits in flight",
                all_in_flight - in_flight.len()
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
