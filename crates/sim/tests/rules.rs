//! One test per rule of `kafka-consumer-semantics.md`, named after it.

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

fn out_traces(out: &[Out]) -> usize {
    out.iter()
        .filter(|o| matches!(o, Out::Trace { .. }))
        .count()
}

#[test]
fn c1_offset_commit_validation() {
    let mut g = Group::new(2, 0, AssignmentStrategy::Range);
    let mut out = Vec::new();
    // C1.2: a stand-alone commit into an empty group.
    assert_eq!(g.on_commit(None, -1, &[(Partition(0), Offset(5))]), Ok(()));
    assert_eq!(g.committed[0], Offset(5));
    g.on_join(0, None, vec![], 0, 1, 45_000, 300_000, &mut out);
    // C1.4: no member id, no generation, group not empty.
    assert_eq!(
        g.on_commit(None, -1, &[(Partition(0), Offset(6))]),
        Err(KafkaError::UnknownMemberId)
    );
    // The join completed at once (delay 0): CompletingRebalance → C1.5.
    assert_eq!(g.state, GroupState::CompletingRebalance);
    assert_eq!(
        g.on_commit(Some(1), 1, &[(Partition(0), Offset(6))]),
        Err(KafkaError::RebalanceInProgress)
    );
    // C1.3: unknown member, wrong generation.
    assert_eq!(
        g.on_commit(Some(9), 1, &[(Partition(0), Offset(6))]),
        Err(KafkaError::UnknownMemberId)
    );
    g.on_sync(1, 1, 0, 1, &mut out);
    assert_eq!(g.state, GroupState::Stable);
    assert_eq!(
        g.on_commit(Some(1), 0, &[(Partition(0), Offset(6))]),
        Err(KafkaError::IllegalGeneration)
    );
    // C1.7: no ownership check — member 1 may commit any partition.
    assert_eq!(
        g.on_commit(Some(1), 1, &[(Partition(1), Offset(3))]),
        Ok(())
    );
    // C1.6: accepted during PreparingRebalance.
    g.on_join(10, None, vec![], 1, 1, 45_000, 300_000, &mut out);
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert_eq!(
        g.on_commit(Some(1), 1, &[(Partition(0), Offset(7))]),
        Ok(())
    );
    assert_eq!(g.committed, vec![Offset(7), Offset(3)]);
    assert!(out_traces(&out) > 0);
}

#[test]
fn c2_dead_member_holds_the_rebalance_until_its_session_expires() {
    let mut s = one_consumer(3, 1000);
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::Kill, Some(0))];
    let t = run(s);
    let rejoin = first_time(&t, |k| {
        matches!(
            k,
            EventKind::RebalanceStarted {
                reason: offset_lab_sim::trace::RebalanceReason::MemberJoined { .. },
                ..
            }
        )
    })
    .unwrap();
    let expired = first_time(&t, |k| matches!(k, EventKind::SessionExpired { .. })).unwrap();
    let gen2 = find(&t, |k| {
        matches!(k, EventKind::GenerationStarted { generation: 2, .. })
    });
    assert!(rejoin < 2000);
    assert_eq!(
        gen2[0].at_ms, expired,
        "the join completes when the dead member expires"
    );
}

/// Four consumers, each killed once and restarted a second later, all in the first 10 s.
const DEAD_LEADER: &str = r#"{"version":1,"name":"stuck","seed":1,"topic":{"partitions":8,"payments":{"count":1000}},
 "consumers":[
  {"name":"c0","config":{"auto.offset.reset":"earliest","enable.auto.commit":false},"program":{"processing_ms":1,"per_message":["process",{"commit":{"message":true,"asynchronous":false}}]},"crashes":[{"at_ms":2000,"kind":"kill","restart_after_ms":1000}]},
  {"name":"c1","config":{"auto.offset.reset":"earliest","enable.auto.commit":false},"program":{"processing_ms":1,"per_message":["process",{"commit":{"message":true,"asynchronous":false}}]},"crashes":[{"at_ms":4000,"kind":"kill","restart_after_ms":1000}]},
  {"name":"c2","config":{"auto.offset.reset":"earliest","enable.auto.commit":false},"program":{"processing_ms":1,"per_message":["process",{"commit":{"message":true,"asynchronous":false}}]},"crashes":[{"at_ms":6000,"kind":"kill","restart_after_ms":1000}]},
  {"name":"c3","config":{"auto.offset.reset":"earliest","enable.auto.commit":false},"program":{"processing_ms":1,"per_message":["process",{"commit":{"message":true,"asynchronous":false}}]},"crashes":[{"at_ms":8000,"kind":"kill","restart_after_ms":1000}]}
 ],
 "duration_ms":200000}"#;

#[test]
fn c2_a_rebalance_cancels_pending_sync_groups_and_their_members_rejoin() {
    // Generation 2 forms with dead members in it, the leader among them: the live members'
    // SyncGroups wait. When the dead members expire, the coordinator prepares a rebalance and
    // answers the waiting SyncGroups with REBALANCE_IN_PROGRESS (GroupMetadataManager.
    // prepareRebalance); the members rejoin and the group is stable again at once, instead of
    // waiting out the 300 s rebalance timeout.
    let t = run(Scenario::from_json(DEAD_LEADER).unwrap());
    let expired = find(&t, |k| matches!(k, EventKind::SessionExpired { .. }));
    let last_expiry = expired.last().unwrap().at_ms;
    assert!((90_000..95_000).contains(&last_expiry), "{last_expiry}");
    let stable_after = find(&t, |k| matches!(k, EventKind::GroupStable { .. }))
        .into_iter()
        .find(|e| e.at_ms >= last_expiry)
        .expect("the group is stable again after the dead members expire");
    assert!(
        stable_after.at_ms < last_expiry + 1000,
        "{}",
        stable_after.at_ms
    );
    let w = &t.final_world;
    let s = w.summary();
    assert_eq!((s.once, s.pending, s.lost, s.duplicated), (1000, 0, 0, 0));
    let last_effect = find(&t, |k| matches!(k, EventKind::EffectApplied { .. }))
        .last()
        .unwrap()
        .at_ms;
    assert!(
        last_effect < 120_000,
        "every payment processed well before 200 s: {last_effect}"
    );
}

#[test]
fn c2_group_answers_a_pending_sync_group_when_a_rebalance_starts() {
    // The coordinator alone: a follower syncs before the leader, then a member leaves.
    let mut g = Group::new(2, 0, AssignmentStrategy::Range);
    let mut out = Vec::new();
    g.on_join(0, None, vec![], 0, 1, 45_000, 300_000, &mut out);
    g.on_join(0, None, vec![], 1, 1, 45_000, 300_000, &mut out);
    let (leader, follower) = (1, 2);
    assert_eq!(g.state, GroupState::PreparingRebalance);
    // The first join completed at once (no initial delay) with only member 1; member 2's join
    // started a second rebalance, which completes now that both have joined.
    g.on_join(0, Some(leader), vec![], 0, 1, 45_000, 300_000, &mut out);
    assert_eq!(g.state, GroupState::CompletingRebalance);
    out.clear();
    g.on_sync(follower, g.generation, 1, 1, &mut out);
    assert!(
        out.is_empty(),
        "the follower waits for the leader's SyncGroup"
    );
    g.on_leave(10, leader, &mut out);
    let answered = out.iter().any(|o| {
        matches!(
            o,
            Out::Respond {
                consumer: 1,
                resp: offset_lab_sim::protocol::Response::Sync(Err(
                    KafkaError::RebalanceInProgress
                )),
                ..
            }
        )
    });
    assert!(answered, "{out:?}");
}

#[test]
fn c3_first_join_into_an_empty_group_waits_the_initial_delay() {
    let mut s = one_consumer(1, 100);
    s.broker.group_initial_rebalance_delay_ms = 3000;
    let t = run(s);
    let gen1 = first_time(&t, |k| matches!(k, EventKind::GenerationStarted { .. })).unwrap();
    assert_eq!(gen1, 3002, "join arrives after rtt/2, then 3000 ms");
    let polled = first_time(&t, |k| matches!(k, EventKind::Polled { .. })).unwrap();
    assert!(
        (3010..3100).contains(&polled),
        "first message ≈ delay + a few round trips: {polled}"
    );
}

#[test]
fn c4_leave_group_removes_the_member_at_once() {
    let mut g = Group::new(1, 0, AssignmentStrategy::Range);
    let mut out = Vec::new();
    g.on_join(0, None, vec![], 0, 1, 45_000, 300_000, &mut out);
    g.on_sync(1, 1, 0, 1, &mut out);
    assert_eq!(g.state, GroupState::Stable);
    g.on_join(1, None, vec![], 1, 1, 45_000, 300_000, &mut out);
    assert_eq!(
        g.state,
        GroupState::PreparingRebalance,
        "member 1 must rejoin"
    );
    g.on_join(2, Some(1), vec![], 0, 1, 45_000, 300_000, &mut out);
    assert_eq!(
        (g.state, g.generation),
        (GroupState::CompletingRebalance, 2)
    );
    g.on_sync(1, 2, 0, 1, &mut out);
    g.on_sync(2, 2, 1, 1, &mut out);
    assert_eq!(g.state, GroupState::Stable);
    g.on_leave(5, 2, &mut out);
    assert_eq!(g.members.len(), 1);
    assert_eq!(
        g.state,
        GroupState::PreparingRebalance,
        "the rest rebalance at once"
    );
    g.on_leave(6, 1, &mut out);
    assert_eq!(g.state, GroupState::Empty);
    assert_eq!(g.committed, vec![INVALID_OFFSET]);
}

#[test]
fn c5_session_timeout_outside_broker_bounds_is_refused() {
    let mut s = one_consumer(1, 100);
    s.consumers[0].config.session_timeout_ms = 3000;
    let e = s.validate().unwrap_err();
    assert_eq!(e.path, "consumers[0].config.session.timeout.ms");
    assert!(e.message.contains("6000..=1800000"), "{e}");
}

#[test]
fn d2_java_auto_commit_happens_inside_poll_so_sleep7_is_redelivered() {
    let mut s = one_consumer(3, 7000);
    s.client = ClientModel::Java;
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::SysExit, Some(1000))];
    let t = run(s);
    let auto = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Auto,
                ..
            }
        )
    });
    assert!(
        auto.iter().all(|e| e.at_ms > 7000),
        "no background commit during the sleep"
    );
    assert_eq!(
        verdict(&t, 0),
        Verdict::Once,
        "F.1 Java comparison: redelivered, not lost"
    );
}

#[test]
fn d3_java_close_commits_positions() {
    let mut s = one_consumer(3, 2000);
    s.client = ClientModel::Java;
    s.consumers[0].crashes = vec![crash_during(1, CrashKind::Close, Some(1000))];
    let t = run(s);
    assert_eq!(
        find(&t, |k| matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            }
        ))
        .len(),
        1
    );
    // Java's poll returned all three records: close() commits the position past all of them.
    assert_eq!(t.final_world.summary().lost, 3);
}

#[test]
fn keyed_payments_land_where_the_producing_clients_partitioner_puts_them() {
    use offset_lab_sim::partitioner::{crc32, murmur2, to_positive};
    use offset_lab_sim::scenario::{ClientModel, Partitioner};
    // librdkafka's default partitioner is consistent_random: CRC-32 of the key.
    let mut s = one_consumer(50, 10);
    s.topic.partitions = 6;
    s.topic.payments.keyed = true;
    s.topic.payments.customers = 7;
    let t = run(s.clone());
    for p in &t.final_world.log.payments {
        let key = p.key.as_ref().unwrap();
        assert_eq!(
            key,
            &format!("customer-{}", (p.number - 1) % 7 + 1),
            "customers take turns"
        );
        assert_eq!(p.partition, Partition(crc32(key.as_bytes()) % 6), "{key}");
    }
    // The Java producer's default is murmur2; librdkafka can be told to use it too.
    let mut java = s.clone();
    java.client = ClientModel::Java;
    let mut murmur = s.clone();
    murmur.topic.payments.partitioner = Some(Partitioner::Murmur2Random);
    for s in [java, murmur] {
        let t = run(s);
        for p in &t.final_world.log.payments {
            let key = p.key.as_ref().unwrap();
            assert_eq!(
                p.partition,
                Partition(to_positive(murmur2(key.as_bytes())) % 6),
                "{key}"
            );
        }
    }
    // The two partitioners disagree for these keys: the choice is visible.
    let differs = (1..=7).any(|n| {
        let k = format!("customer-{n}");
        crc32(k.as_bytes()) % 6 != to_positive(murmur2(k.as_bytes())) % 6
    });
    assert!(differs);
}

#[test]
fn d3_java_system_exit_skips_finally_so_nothing_is_committed() {
    // Python's sys.exit runs `finally: close()` (B13); Java's System.exit runs no finally.
    let mut py = one_consumer(3, 2000);
    py.consumers[0].program.close_in_finally = true;
    py.consumers[0].crashes = vec![crash_during(1, CrashKind::SysExit, Some(1000))];
    let mut java = py.clone();
    java.client = ClientModel::Java;
    assert_eq!(verdict(&run(py), 0), Verdict::Lost);
    let t = run(java);
    assert!(
        find(&t, |k| matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            }
        ))
        .is_empty()
    );
    assert_eq!(verdict(&t, 0), Verdict::Once);
}

#[test]
fn b6_async_commit_with_nothing_stored_reports_through_on_commit() {
    let mut s = one_consumer(1, 100);
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].config.enable_auto_offset_store = false;
    s.consumers[0].program.after = vec![BatchStep::Commit { asynchronous: true }];
    let t = run(s);
    assert!(find(&t, |k| matches!(k, EventKind::CommitRefused { .. })).is_empty());
    assert_eq!(
        find(&t, |k| matches!(
            k,
            EventKind::CommitCallback {
                error: Some(KafkaError::NoOffset),
                ..
            }
        ))
        .len(),
        1
    );
}

// ---- the client alone, with no World around it ----------------------------------------------

/// A client in a bare context: the scenario, its log, the seeded stream and the consumer slot.
struct Bare {
    scenario: Scenario,
    log: offset_lab_sim::log::Log,
    rng: offset_lab_sim::rng::SimRng,
    attempts: offset_lab_sim::chunked::Chunked<u32>,
    consumer: offset_lab_sim::client::Consumer,
    next_commit_id: u32,
}

impl Bare {
    fn new(scenario: Scenario) -> Bare {
        let mut rng = offset_lab_sim::rng::SimRng::new(scenario.seed);
        let log = offset_lab_sim::log::Log::build(&scenario, &mut rng);
        let consumer = offset_lab_sim::client::Consumer {
            incarnation: 1,
            client: None,
            messages_seen: 0,
            crash_fired: vec![false; scenario.consumers[0].crashes.len()],
            processing_ms: scenario.consumers[0].program.processing_ms,
            ended: None,
            restart_at_ms: None,
        };
        Bare {
            attempts: offset_lab_sim::chunked::Chunked::filled(0, log.payments.len()),
            scenario,
            log,
            rng,
            consumer,
            next_commit_id: 1,
        }
    }

    /// Runs `f` on the client at `now`; returns what it did.
    fn feed(
        &mut self,
        cl: &mut offset_lab_sim::client::Client,
        now: u64,
        f: impl FnOnce(&mut offset_lab_sim::client::Client, &mut offset_lab_sim::client::Ctx),
    ) -> Vec<offset_lab_sim::client::ClientOut> {
        let mut out = Vec::new();
        let mut ctx = offset_lab_sim::client::Ctx {
            now,
            scenario: &self.scenario,
            spec: &self.scenario.consumers[0],
            log: &self.log,
            rng: &mut self.rng,
            attempts: &mut self.attempts,
            consumer: &mut self.consumer,
            next_commit_id: &mut self.next_commit_id,
            out: &mut out,
        };
        f(cl, &mut ctx);
        out
    }
}

fn commits_sent(out: &[offset_lab_sim::client::ClientOut]) -> Vec<offset_lab_sim::Offsets> {
    use offset_lab_sim::client::ClientOut;
    use offset_lab_sim::protocol::Request;
    out.iter()
        .filter_map(|o| match o {
            ClientOut::ToBroker {
                req: Request::Commit { offsets, .. },
                ..
            } => Some(offsets.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn b4_b5_the_client_alone_ticks_and_commits_only_greater_stored_offsets() {
    use offset_lab_sim::client::{
        Client, ClientOut, ClientPolicy, ClientTimer, JoinState, Part, TimerKind,
    };
    let mut s = one_consumer(3, 100);
    s.topic.partitions = 3;
    let mut bare = Bare::new(s);
    let mut cl = Client::new(0, ClientPolicy::new(ClientModel::Librdkafka));
    let out = bare.feed(&mut cl, 0, |cl, ctx| cl.start(ctx));
    // B5: the timer is armed at construction, for t0 + auto.commit.interval.ms.
    let tick = out.iter().find_map(|o| match o {
        ClientOut::Timer { at_ms, timer } if timer.kind == TimerKind::AutoCommit => Some(*at_ms),
        _ => None,
    });
    assert_eq!(tick, Some(5000));
    // Three partitions: one stored past its last commit, one equal to it, one never stored.
    cl.member = Some(1);
    cl.generation = 1;
    cl.join = JoinState::Steady;
    cl.parts = (0..3).map(|p| Part::new(Partition(p))).collect();
    (cl.parts[0].stored, cl.parts[0].committed_local) = (Offset(2), Offset(1));
    (cl.parts[1].stored, cl.parts[1].committed_local) = (Offset(1), Offset(1));
    let timer = ClientTimer {
        kind: TimerKind::AutoCommit,
        generation: 0,
    };
    let out = bare.feed(&mut cl, 5000, |cl, ctx| cl.on_timer(timer, ctx));
    assert_eq!(
        commits_sent(&out),
        vec![vec![(Partition(0), Offset(2))]],
        "B4: only greater offsets"
    );
    // B5: while rebalancing, a tick commits nothing.
    cl.join = JoinState::AwaitingRevoke;
    cl.parts[0].stored = Offset(3);
    let out = bare.feed(&mut cl, 10_000, |cl, ctx| cl.on_timer(timer, ctx));
    assert!(commits_sent(&out).is_empty());
}

#[test]
fn d1_the_java_client_alone_commits_positions() {
    use offset_lab_sim::client::{Client, ClientPolicy, JoinState, Part};
    let mut s = one_consumer(3, 100);
    s.client = ClientModel::Java;
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.per_message =
        vec![MessageStep::Process, MessageStep::commit(false, true)];
    let mut bare = Bare::new(s);
    let mut cl = Client::new(0, ClientPolicy::new(ClientModel::Java));
    cl.member = Some(1);
    cl.generation = 1;
    cl.join = JoinState::Steady;
    cl.parts = vec![Part::new(Partition(0))];
    // poll() returned offsets 0..=2; the program has processed only the first.
    cl.parts[0].app_pos = Offset(3);
    cl.app.batch = vec![(0, 1), (1, 2), (2, 3)];
    cl.app.pc = offset_lab_sim::client::Pc::Message(1);
    let out = bare.feed(&mut cl, 100, |cl, ctx| cl.run_app(ctx));
    assert_eq!(
        commits_sent(&out)[0],
        vec![(Partition(0), Offset(3))],
        "D1: commitAsync() commits the position past everything poll() returned"
    );
}

#[test]
fn b7_a_sync_commit_is_retried_until_the_coordinator_answers() {
    // librdkafka retries a commit that failed with a retriable error after retry.backoff.ms;
    // commit(asynchronous=False) waits through the retries.
    let mut s = manual_commit(one_consumer(2, 100));
    s.faults = vec![Fault::CommitErrors {
        from_ms: 0,
        to_ms: 450,
        error: RetriableError::CoordinatorLoadInProgress,
    }];
    let t = run(s);
    let first: Vec<u64> = find(&t, |k| matches!(k, EventKind::CommitSent { id: 1, .. }))
        .iter()
        .map(|e| e.at_ms)
        .collect();
    assert!(first.len() >= 3, "sent again after each failure: {first:?}");
    assert!(first.windows(2).all(|w| w[1] - w[0] >= 100), "{first:?}");
    let applied = first_time(&t, |k| matches!(k, EventKind::CommitApplied { id: 1, .. })).unwrap();
    assert!(applied >= 450);
    // The program waited: the second payment is polled only after the commit landed.
    let polls = find(&t, |k| matches!(k, EventKind::Polled { .. }));
    assert!(polls[1].at_ms > applied);
    assert_eq!(t.final_world.summary().once, 2);
}

#[test]
fn b8_position_is_invalid_until_a_message_is_returned() {
    let t = run(one_consumer(1, 1000));
    let assigned = first_time(&t, |k| matches!(k, EventKind::Assigned { .. })).unwrap();
    let polled = first_time(&t, |k| matches!(k, EventKind::Polled { .. })).unwrap();
    assert!(polled > assigned);
    let position = |at: u64| {
        let w = t.world_at(t.cursor_at_time(at));
        w.consumers[0].client.as_ref().unwrap().parts[0].app_pos
    };
    assert_eq!(
        position(assigned),
        INVALID_OFFSET,
        "-1001 until something was returned"
    );
    assert_eq!(
        position(polled),
        Offset(1),
        "the last returned offset + 1 (A2)"
    );
}

#[test]
fn d4_d5_java_retries_commit_sync_but_never_commit_async() {
    let java = |asynchronous: bool| {
        let mut s = one_consumer(2, 100);
        s.client = ClientModel::Java;
        s.consumers[0].config.enable_auto_commit = false;
        s.consumers[0].program.per_message = vec![
            MessageStep::Process,
            MessageStep::commit(true, asynchronous),
        ];
        // Java's poll() waits up to its timeout for max.poll.records: the commits come at 1.1 s.
        s.faults = vec![Fault::CommitErrors {
            from_ms: 1000,
            to_ms: 1300,
            error: RetriableError::RequestTimedOut,
        }];
        run(s)
    };
    // D4: commitSync() retries until it succeeds.
    let sync = java(false);
    assert!(find(&sync, |k| matches!(k, EventKind::CommitSent { id: 1, .. })).len() >= 2);
    assert!(
        first_time(&sync, |k| matches!(
            k,
            EventKind::CommitApplied { id: 1, .. }
        ))
        .is_some()
    );
    // D5: commitAsync() is sent once; the failure reaches the callback.
    let asy = java(true);
    assert_eq!(
        find(&asy, |k| matches!(k, EventKind::CommitSent { id: 1, .. })).len(),
        1
    );
    assert!(
        first_time(&asy, |k| matches!(
            k,
            EventKind::CommitApplied { id: 1, .. }
        ))
        .is_none()
    );
    assert!(
        !find(&asy, |k| matches!(
            k,
            EventKind::CommitCallback {
                id: 1,
                error: Some(KafkaError::RequestTimedOut)
            }
        ))
        .is_empty()
    );
}
