//! One test per rule of `kafka-consumer-semantics.md`, named after it.

#[path = "../common/mod.rs"]
mod common;

use common::*;
use offset_lab_sim::group::{Group, GroupState, INVALID_OFFSET, Out};
use offset_lab_sim::scenario::*;
use offset_lab_sim::trace::{CommitSource, EventKind, KafkaError, StartFrom};
use offset_lab_sim::{Offset, Partition};
use offset_lab_sim::{Scenario, Verdict};

fn manual_commit(mut s: Scenario) -> Scenario {
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.per_message =
        vec![MessageStep::Process, MessageStep::commit(true, false)];
    s
}

#[test]
fn a5_one_consumers_commits_land_in_the_order_sent_whatever_the_latency() {
    // The broker handles one connection's requests in order: a commit delayed on the network
    // holds back the ones sent after it, so the committed offset never goes backwards.
    for seed in 0..40 {
        let mut s = manual_commit(one_consumer(60, 5));
        s.seed = seed;
        s.broker.rtt_ms = 10;
        s.consumers[0].program.per_message[1] = MessageStep::commit(true, true);
        s.faults = vec![Fault::CommitLatency {
            max_extra_ms: 50 + seed * 25,
        }];
        let t = run(s);
        let mut last_id = 0;
        let mut high = Offset(i64::MIN);
        for e in find(&t, |k| matches!(k, EventKind::CommitApplied { .. })) {
            let EventKind::CommitApplied { id, offsets, .. } = &e.kind else {
                unreachable!()
            };
            assert!(
                *id > last_id,
                "seed {seed}: commit {id} landed after {last_id}"
            );
            assert!(
                offsets[0].1 >= high,
                "seed {seed}: the committed offset went back"
            );
            (last_id, high) = (*id, offsets[0].1);
        }
        assert_eq!(t.final_world.group.committed[0], Offset(60), "seed {seed}");
    }
}

#[test]
fn a5_b7_a_retried_commit_is_the_cause_that_moves_the_offset_backwards() {
    // The one way one consumer's commits reorder: librdkafka retries a commit that failed with a
    // retriable error (B7), after newer commits have landed.
    let mut s = manual_commit(one_consumer(20, 20));
    s.broker.rtt_ms = 40;
    s.consumers[0].program.per_message[1] = MessageStep::commit(true, true);
    let t = run(s.clone());
    let tenth = find(
        &t,
        |k| matches!(k, EventKind::CommitApplied { offsets, .. } if offsets[0].1 == Offset(10)),
    )[0]
    .at_ms;
    s.faults = vec![Fault::CommitErrors {
        from_ms: tenth,
        to_ms: tenth + 1,
        error: RetriableError::RequestTimedOut,
    }];
    let t = run(s);
    let applied: Vec<i64> = find(&t, |k| matches!(k, EventKind::CommitApplied { .. }))
        .iter()
        .map(|e| match &e.kind {
            EventKind::CommitApplied { offsets, .. } => offsets[0].1.0,
            _ => unreachable!(),
        })
        .collect();
    let back = applied
        .windows(2)
        .position(|w| w[1] < w[0])
        .expect("went backwards");
    assert_eq!(
        applied[back + 1],
        10,
        "the retried commit of offset 10 landed late: {applied:?}"
    );
}

#[test]
fn a1_committed_offset_is_last_processed_plus_one() {
    let t = run(manual_commit(one_consumer(3, 100)));
    let applied = find(&t, |k| matches!(k, EventKind::CommitApplied { .. }));
    let first = match &applied[0].kind {
        EventKind::CommitApplied { offsets, .. } => offsets.clone(),
        _ => unreachable!(),
    };
    assert_eq!(
        first,
        vec![(Partition(0), Offset(1))],
        "processing offset 0 commits 1, the next offset to read"
    );
    assert_eq!(t.final_world.group.committed[0], Offset(3));
}

#[test]
fn b2_offset_is_stored_when_poll_returns_not_after_processing() {
    let t = run(one_consumer(1, 2000));
    let polled = first_time(&t, |k| matches!(k, EventKind::Polled { .. })).unwrap();
    let stored = find(&t, |k| {
        matches!(k, EventKind::OffsetStored { auto: true, .. })
    });
    assert_eq!(stored[0].at_ms, polled, "stored at poll return");
    let applied = first_time(&t, |k| matches!(k, EventKind::EffectApplied { .. })).unwrap();
    assert!(applied > polled + 1000);
    // The world at the poll instant already has stored = 1 while nothing is applied.
    let cursor = t.cursor_at_time(polled);
    let w = t.world_at(cursor);
    let part = &w.consumers[0].client.as_ref().unwrap().parts[0];
    assert_eq!(part.stored, Offset(1));
    assert_eq!(w.sink.applied[0], 0);
}

#[test]
fn b3_store_offsets_needs_auto_store_off() {
    let mut s = one_consumer(2, 100);
    s.consumers[0].program.per_message = vec![MessageStep::Process, MessageStep::StoreOffsets];
    let e = s.validate().unwrap_err();
    assert!(e.path.ends_with("per_message"), "{e}");
    assert!(e.message.contains("enable.auto.offset.store=false"), "{e}");
}

#[test]
fn b3_store_after_processing_is_committed_by_the_timer_and_never_loses() {
    let mut s = one_consumer(1, 7000);
    s.consumers[0].config.enable_auto_offset_store = false;
    s.consumers[0].program.per_message = vec![MessageStep::Process, MessageStep::StoreOffsets];
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::SysExit, Some(1000))];
    let t = run(s);
    assert!(
        find(&t, |k| matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Auto,
                ..
            }
        ))
        .iter()
        .all(|e| e.at_ms > 7000)
    );
    assert_eq!(
        verdict(&t, 0),
        Verdict::Once,
        "redelivered after the restart, not lost"
    );
}

#[test]
fn b4_only_greater_offsets_are_committed() {
    // One payment, processed quickly: the first tick commits 1, later ticks find nothing new.
    let t = run(one_consumer(1, 100));
    let sent = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Auto,
                ..
            }
        )
    });
    assert_eq!(sent.len(), 1, "only one auto-commit carries an offset");
    let silent = find(&t, |k| {
        matches!(
            k,
            EventKind::AutoCommitTick {
                skipped_rebalancing: false
            }
        )
    });
    assert!(
        silent.len() >= 3,
        "later ticks are silent: {}",
        silent.len()
    );
}

#[test]
fn b5_auto_commit_timer_starts_at_construction_not_at_assignment() {
    let mut s = one_consumer(1, 100);
    s.consumers[0].start_ms = 1234;
    s.broker.group_initial_rebalance_delay_ms = 3000; // assignment ≈ 4.2 s
    let t = run(s);
    let ticks: Vec<u64> = t
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::CommitSent {
                    source: CommitSource::Auto,
                    ..
                } | EventKind::AutoCommitTick { .. }
            )
        })
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(&ticks[..3], &[6234, 11234, 16234]);
}

#[test]
fn b5_auto_commit_skipped_while_rebalancing() {
    // The initial delay keeps the member out of STEADY when the first tick fires.
    let mut s = one_consumer(1, 100);
    s.consumers[0].config.auto_commit_interval_ms = 1000;
    s.broker.group_initial_rebalance_delay_ms = 3000;
    let t = run(s);
    let skipped = find(&t, |k| {
        matches!(
            k,
            EventKind::AutoCommitTick {
                skipped_rebalancing: true
            }
        )
    });
    assert!(
        skipped.iter().any(|e| e.at_ms == 1000 || e.at_ms == 2000),
        "{:?}",
        skipped.iter().map(|e| e.at_ms).collect::<Vec<_>>()
    );
}

#[test]
fn b6_commit_message_commits_offset_plus_one_and_sync_waits() {
    let t = run(manual_commit(one_consumer(2, 500)));
    let sent = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Manual,
                sync: true,
                ..
            }
        )
    });
    assert_eq!(sent.len(), 2);
    assert!(
        matches!(&sent[1].kind, EventKind::CommitSent { offsets, .. } if offsets == &vec![(Partition(0), Offset(2))])
    );
    // The second poll happens only after the first commit's answer (rtt 4 ms).
    let polls = find(&t, |k| matches!(k, EventKind::Polled { .. }));
    assert!(polls[1].at_ms >= sent[0].at_ms + 4);
}

#[test]
fn b6_async_commit_result_arrives_in_a_later_poll() {
    let mut s = one_consumer(3, 500);
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.per_message =
        vec![MessageStep::Process, MessageStep::commit(true, true)];
    let t = run(s);
    let sent = find(&t, |k| {
        matches!(k, EventKind::CommitSent { sync: false, .. })
    });
    let cb = find(&t, |k| matches!(k, EventKind::CommitCallback { .. }));
    assert!(!cb.is_empty());
    let polls = find(&t, |k| {
        matches!(k, EventKind::Polled { .. } | EventKind::PollEmpty)
    });
    // The callback of the first commit is delivered at a poll after the answer came back.
    assert!(cb[0].at_ms > sent[0].at_ms);
    assert!(polls.iter().any(|p| p.at_ms == cb[0].at_ms));
}

#[test]
fn b6_sync_commit_with_nothing_new_raises_no_offset() {
    let mut s = one_consumer(1, 100);
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].config.enable_auto_offset_store = false;
    s.consumers[0].program.after = vec![BatchStep::Commit {
        asynchronous: false,
    }];
    let t = run(s);
    let refused = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitRefused {
                error: KafkaError::NoOffset,
                ..
            }
        )
    });
    assert_eq!(refused.len(), 1);
}

#[test]
fn b9_resume_at_committed_offset_else_reset() {
    let mut s = manual_commit(one_consumer(4, 100));
    s.consumers[0].crashes = vec![crash_at_point(
        ProgramPoint::AfterCommit,
        2,
        CrashKind::Kill,
        Some(100),
    )];
    let t = run(s);
    let starts: Vec<_> = find(&t, |k| matches!(k, EventKind::StartOffset { .. }))
        .into_iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(
        starts[0],
        EventKind::StartOffset {
            partition: Partition(0),
            offset: Offset(0),
            from: StartFrom::Reset
        }
    );
    assert_eq!(
        starts[1],
        EventKind::StartOffset {
            partition: Partition(0),
            offset: Offset(2),
            from: StartFrom::Committed
        }
    );

    let mut latest = one_consumer(4, 100);
    latest.consumers[0].config.auto_offset_reset = OffsetReset::Latest;
    let t = run(latest);
    let s = find(&t, |k| matches!(k, EventKind::StartOffset { .. }));
    assert_eq!(
        s[0].kind,
        EventKind::StartOffset {
            partition: Partition(0),
            offset: Offset(4),
            from: StartFrom::Reset
        }
    );
    assert_eq!(
        t.final_world.summary().pending,
        4,
        "latest skips what is already there"
    );
}

fn two_consumers() -> Scenario {
    let mut s = one_consumer(40, 500);
    s.topic.partitions = 2;
    let mut c2 = consumer("consumer-2", 500);
    c2.start_ms = 8000;
    s.consumers.push(c2);
    s.consumers[0].config.auto_commit_interval_ms = 600_000; // only the revoke commits
    s.duration_ms = 60_000;
    s
}

#[test]
fn b10_commit_on_revoke_when_a_member_joins() {
    let t = run(two_consumers());
    let revoke = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Revoke,
                ..
            }
        )
    });
    assert!(
        !revoke.is_empty(),
        "consumer-1 commits its stored offsets when its partitions are revoked"
    );
    let applied = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitApplied {
                source: CommitSource::Revoke,
                ..
            }
        )
    });
    assert!(
        !applied.is_empty(),
        "C1.6: accepted during PreparingRebalance"
    );
    let assigned: Vec<_> = find(&t, |k| matches!(k, EventKind::Assigned { .. }))
        .into_iter()
        .filter(|e| e.at_ms > 8000)
        .collect();
    assert_eq!(assigned.len(), 2, "both members get one partition (range)");
    assert_eq!(t.final_world.summary().lost, 0);
}

#[test]
fn b11_close_commits_stored_offsets_and_leaves_at_once() {
    let mut s = one_consumer(3, 2000);
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::Close, Some(1000))];
    let t = run(s);
    let close = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            }
        )
    });
    assert_eq!(close.len(), 1);
    assert!(
        find(&t, |k| matches!(k, EventKind::MemberLeft { .. })).len() == 1,
        "C4: LeaveGroup, no session wait"
    );
    assert!(find(&t, |k| matches!(k, EventKind::SessionExpired { .. })).is_empty());
    assert_eq!(
        verdict(&t, 0),
        Verdict::Lost,
        "B13/F.1: exit through close() loses the payment"
    );
}

#[test]
fn b12_exit_without_close_commits_nothing_and_does_not_leave() {
    let mut s = one_consumer(3, 2000);
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::SysExit, Some(1000))];
    let t = run(s);
    let crash = first_time(&t, |k| matches!(k, EventKind::Crashed { .. })).unwrap();
    assert!(
        find(&t, |k| matches!(k, EventKind::CommitSent { .. }))
            .iter()
            .all(|e| e.at_ms < crash || e.consumer.is_some() && e.at_ms > crash + 1000)
    );
    assert!(find(&t, |k| matches!(k, EventKind::MemberLeft { .. })).is_empty());
    let expired = first_time(&t, |k| matches!(k, EventKind::SessionExpired { .. })).unwrap();
    // B15/C2: the dead member is removed session.timeout.ms after its last heartbeat.
    assert!(
        expired >= 45_000 && expired <= crash + 45_000,
        "expired at {expired}, crash at {crash}"
    );
    assert_eq!(
        verdict(&t, 0),
        Verdict::Once,
        "redelivered to the restarted consumer"
    );
}

#[test]
fn b14_max_poll_exceeded_leaves_loses_assignment_and_late_commit_fails() {
    let mut s = one_consumer(2, 10_000);
    s.consumers[0].config.max_poll_interval_ms = 7000;
    // B14: librdkafka needs max.poll.interval.ms >= session.timeout.ms.
    s.consumers[0].config.session_timeout_ms = 6000;
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.per_message =
        vec![MessageStep::Process, MessageStep::commit(true, false)];
    let t = run(s);
    let exceeded = first_time(&t, |k| matches!(k, EventKind::MaxPollExceeded)).unwrap();
    assert!(
        (7000..=7600).contains(&exceeded),
        "checked every 500 ms: {exceeded}"
    );
    let rejected = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitRejected {
                error: KafkaError::UnknownMemberId,
                ..
            }
        )
    });
    // 10 s of processing always overruns 7 s: every round ends the same way (a slow-poison loop).
    assert!(
        !rejected.is_empty(),
        "commit(message) after the leave: UNKNOWN_MEMBER_ID"
    );
    assert!(rejected[0].at_ms > exceeded);
    assert!(!find(&t, |k| matches!(k, EventKind::Revoked { lost: true, .. })).is_empty());
    assert!(
        !find(&t, |k| matches!(
            k,
            EventKind::PollError {
                error: KafkaError::MaxPollExceeded
            }
        ))
        .is_empty()
    );
    assert_eq!(
        verdict(&t, 0),
        Verdict::Duplicated,
        "processed, not committed, redelivered after the rejoin"
    );
}

#[test]
fn b14_librdkafka_refuses_max_poll_below_the_session_timeout() {
    let mut s = one_consumer(1, 100);
    s.consumers[0].config.max_poll_interval_ms = 10_000;
    let e = s.validate().unwrap_err();
    assert_eq!(e.path, "consumers[0].config.max.poll.interval.ms");
    assert!(
        e.message.contains("session.timeout.ms (45000)"),
        "{}",
        e.message
    );
    s.client = ClientModel::Java;
    assert!(s.validate().is_ok(), "the Java client has no such check");
}

#[test]
fn b15_heartbeats_continue_while_processing() {
    let t = run(one_consumer(1, 20_000));
    let hb: Vec<u64> = find(&t, |k| matches!(k, EventKind::Heartbeat { error: None }))
        .iter()
        .map(|e| e.at_ms)
        .collect();
    assert!(
        hb.iter().filter(|&&t| t > 1000 && t < 20_000).count() >= 5,
        "{hb:?}"
    );
    assert!(find(&t, |k| matches!(k, EventKind::SessionExpired { .. })).is_empty());
}

mod client_alone;
mod group_and_java;
