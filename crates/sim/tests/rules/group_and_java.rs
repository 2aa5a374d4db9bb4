//! The group coordinator's rules (C1–C5) and the classic Java client's (D1–D6).

use super::*;

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
