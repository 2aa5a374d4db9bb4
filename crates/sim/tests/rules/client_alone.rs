//! The client as a sans-IO state machine, tested with no World around it.

use super::*;

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
