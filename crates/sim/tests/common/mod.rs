//! Shared builders for the simulator's tests.
#![allow(dead_code)]

use offset_lab_sim::Partition;
use offset_lab_sim::rng::SimRng;
use offset_lab_sim::scenario::*;
use offset_lab_sim::trace::{EventKind, TraceEvent};
use offset_lab_sim::{Timeline, Verdict};

/// One consumer, one partition, `count` payments waiting, auto-commit on, no initial delay.
pub fn one_consumer(count: u32, processing_ms: u64) -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: "test".into(),
        title: String::new(),
        description: String::new(),
        seed: 1,
        client: ClientModel::Librdkafka,
        topic: TopicSpec {
            payments: PaymentsSpec {
                count,
                ..PaymentsSpec::default()
            },
            ..TopicSpec::default()
        },
        broker: BrokerSpec {
            group_initial_rebalance_delay_ms: 0,
            ..BrokerSpec::default()
        },
        consumers: vec![consumer("consumer-1", processing_ms)],
        sink: SinkSpec::default(),
        faults: vec![],
        actions: vec![],
        duration_ms: 120_000,
    }
}

pub fn consumer(name: &str, processing_ms: u64) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        start_ms: 0,
        config: ConsumerConfig {
            auto_offset_reset: OffsetReset::Earliest,
            ..ConsumerConfig::default()
        },
        program: Program {
            processing_ms,
            ..Program::default()
        },
        crashes: vec![],
    }
}

pub fn crash_during(message: u32, kind: CrashKind, restart_after_ms: Option<u64>) -> CrashPoint {
    CrashPoint {
        at_ms: None,
        point: Some(ProgramPoint::DuringProcessing),
        message: Some(message),
        kind,
        restart_after_ms,
    }
}

pub fn crash_at_point(
    point: ProgramPoint,
    message: u32,
    kind: CrashKind,
    restart_after_ms: Option<u64>,
) -> CrashPoint {
    CrashPoint {
        at_ms: None,
        point: Some(point),
        message: Some(message),
        kind,
        restart_after_ms,
    }
}

pub fn run(s: Scenario) -> Timeline {
    match Timeline::new(s) {
        Ok(t) => t,
        Err(e) => panic!("scenario should be valid: {e}"),
    }
}

pub fn verdict(t: &Timeline, payment: u32) -> Verdict {
    t.final_world.outcomes()[payment as usize].outcome
}

pub fn find(t: &Timeline, pred: impl Fn(&EventKind) -> bool) -> Vec<&TraceEvent> {
    t.events.iter().filter(|e| pred(&e.kind)).collect()
}

pub fn first_time(t: &Timeline, pred: impl Fn(&EventKind) -> bool) -> Option<u64> {
    t.events.iter().find(|e| pred(&e.kind)).map(|e| e.at_ms)
}

/// A varied scenario drawn from a seed: several consumers, partitions, programs and crashes.
pub fn random_scenario(seed: u64) -> Scenario {
    // A scenario over the work budget never runs (the page and the CLI refuse it): draw again
    // from a stream derived from the seed. The seed itself is kept for the run.
    let mut s = random_scenario_draw(seed, seed);
    let mut attempt = 1u64;
    while s.check_budget().is_err() {
        s = random_scenario_draw(seed, seed ^ (attempt << 40));
        attempt += 1;
    }
    s
}

fn random_scenario_draw(seed: u64, stream: u64) -> Scenario {
    let mut r = SimRng::new(stream);
    let mut s = one_consumer(r.between(1, 40) as u32, r.between(0, 3000));
    s.seed = seed;
    s.topic.partitions = r.between(1, 4) as u32;
    s.topic.payments.interval_ms = r.between(0, 400);
    s.topic.payments.keyed = r.chance(1, 2);
    s.broker.group_initial_rebalance_delay_ms = [0, 3000][r.below(2) as usize];
    s.duration_ms = r.between(10_000, 400_000);
    let n = r.between(1, 4) as usize;
    // Crashes close together (several consumers, within a few hundred ms), during joins and
    // syncs (a few round trips after a start), and restarts landing inside rebalances.
    let cluster = r.chance(1, 3).then(|| r.between(0, 30_000));
    s.consumers.clear();
    for i in 0..n {
        // Mostly quick payments, sometimes slow ones: both matter, and quick loops let the
        // liveness property be checked (a loop slower than max.poll.interval.ms is exempt).
        let processing_ms = if r.chance(2, 3) {
            r.between(0, 400)
        } else {
            r.between(0, 3000)
        };
        let mut c = consumer(&format!("consumer-{}", i + 1), processing_ms);
        c.start_ms = r.between(0, 10_000);
        c.config.enable_auto_commit = r.chance(2, 3);
        c.config.auto_commit_interval_ms = r.between(500, 8000);
        c.config.max_poll_interval_ms = if r.chance(1, 2) {
            r.between(6000, 20_000)
        } else {
            r.between(20_000, 120_000)
        };
        c.config.session_timeout_ms = r.between(6000, 30_000);
        // B14: librdkafka refuses max.poll.interval.ms below session.timeout.ms.
        c.config.max_poll_interval_ms = c
            .config
            .max_poll_interval_ms
            .max(c.config.session_timeout_ms);
        c.config.heartbeat_interval_ms = 1000;
        c.program.processing_jitter_ms = r.between(0, 200);
        c.program.poll.max_messages = r.between(1, 5) as u32;
        let manual = !c.config.enable_auto_commit || r.chance(1, 3);
        match r.below(4) {
            0 if manual => c
                .program
                .per_message
                .push(MessageStep::commit(true, r.chance(1, 2))),
            1 if manual => c.program.after.push(BatchStep::Commit {
                asynchronous: r.chance(1, 2),
            }),
            2 if manual => c.program.before.push(BatchStep::Commit {
                asynchronous: false,
            }),
            3 => {
                c.config.enable_auto_offset_store = false;
                c.program.per_message.push(MessageStep::StoreOffsets);
            }
            _ => {}
        }
        c.program.close_in_finally = r.chance(1, 4);
        for _ in 0..r.below(4) {
            let kind = [CrashKind::Kill, CrashKind::SysExit, CrashKind::Close][r.below(3) as usize];
            let restart = r.chance(3, 4).then(|| {
                if r.chance(1, 2) {
                    r.between(0, 200)
                } else {
                    r.between(0, 5000)
                }
            });
            let timed = match (cluster, r.below(3)) {
                (Some(t), 0 | 1) => Some(t + r.between(0, 400)),
                (_, 2) => Some(c.start_ms + r.between(0, 5 * s.broker.rtt_ms)),
                _ if r.chance(1, 2) => Some(r.between(0, s.duration_ms)),
                _ => None,
            };
            let cp = if let Some(at) = timed {
                CrashPoint {
                    at_ms: Some(at.min(s.duration_ms)),
                    point: None,
                    message: None,
                    kind,
                    restart_after_ms: restart,
                }
            } else {
                let points = [
                    ProgramPoint::AfterPoll,
                    ProgramPoint::DuringProcessing,
                    ProgramPoint::AfterEffect,
                    ProgramPoint::AfterCommit,
                    ProgramPoint::CommitInFlight,
                ];
                crash_at_point(
                    points[r.below(5) as usize],
                    r.between(1, 20) as u32,
                    kind,
                    restart,
                )
            };
            c.crashes.push(cp);
        }
        s.consumers.push(c);
    }
    s.sink.kind = [
        SinkKind::Ledger,
        SinkKind::Idempotent,
        SinkKind::Database,
        SinkKind::RefundsTopic,
        SinkKind::Transactional,
    ][r.below(5) as usize];
    if s.sink.kind == SinkKind::Transactional {
        for c in &mut s.consumers {
            c.config.enable_auto_commit = false;
            c.program.before.clear();
            c.program.after = vec![BatchStep::CommitTransaction];
            c.program
                .per_message
                .retain(|m| !matches!(m, MessageStep::Commit { .. }));
        }
    }
    let count = s.topic.payments.count;
    for _ in 0..r.below(3) {
        let f = match r.below(6) {
            0 => Fault::TransientFailures {
                per_mille: r.between(0, 300) as u32,
            },
            1 => Fault::FailPayment {
                payment: r.between(1, count as u64) as u32,
                attempts: r.between(1, 3) as u32,
            },
            2 => Fault::SlowPayment {
                payment: r.between(1, count as u64) as u32,
                processing_ms: r.between(1000, 30_000),
                times: 1,
            },
            3 => {
                let from_ms = r.between(0, s.duration_ms);
                Fault::CommitErrors {
                    from_ms,
                    to_ms: from_ms + r.between(0, 5000),
                    error: RetriableError::RequestTimedOut,
                }
            }
            4 => {
                let from_ms = r.between(0, s.duration_ms);
                Fault::CoordinatorUnavailable {
                    from_ms,
                    to_ms: from_ms + r.between(0, 20_000),
                }
            }
            _ => Fault::CommitLatency {
                max_extra_ms: r.between(0, 500),
            },
        };
        s.faults.push(f);
    }
    for c in &mut s.consumers {
        c.program.retry = RetryPolicy {
            attempts: r.between(1, 4) as u32,
            backoff_ms: r.between(0, 1000),
            on_exhausted: [
                FailureAction::Skip,
                FailureAction::DeadLetter,
                FailureAction::Stop,
            ][r.below(3) as usize],
        };
        c.program.on_invalid = [
            FailureAction::Skip,
            FailureAction::DeadLetter,
            FailureAction::Stop,
        ][r.below(3) as usize];
        c.program.on_revoke_commit = r.chance(1, 3);
    }
    let strategy = [
        AssignmentStrategy::Range,
        AssignmentStrategy::RoundRobin,
        AssignmentStrategy::CooperativeSticky,
    ][r.below(3) as usize];
    for c in &mut s.consumers {
        c.config.partition_assignment_strategy = strategy;
    }
    if r.chance(1, 5) && count > 0 {
        s.topic.payments.invalid = vec![r.between(1, count as u64) as u32];
    }
    if r.chance(1, 4) {
        s.client = ClientModel::Java;
        for c in &mut s.consumers {
            c.program
                .per_message
                .retain(|m| *m != MessageStep::StoreOffsets);
        }
    }
    // The program's own decisions, drawn last so that every draw above stays as it was: a
    // commit every N payments, every T ms.
    for c in &mut s.consumers {
        for step in &mut c.program.per_message {
            if let MessageStep::Commit {
                every, every_ms, ..
            } = step
            {
                if r.chance(1, 3) {
                    *every = r.between(2, 5) as u32;
                }
                if r.chance(1, 4) {
                    *every_ms = r.between(100, 3000);
                }
            }
        }
    }
    // What a failure inside a batch does; kept only where it is allowed (a batch, no
    // transaction) and the run stays within the work budget.
    for i in 0..s.consumers.len() {
        let mode = [
            OnBatchFailure::Stop,
            OnBatchFailure::ReplayBatch,
            OnBatchFailure::CommitPrefix,
        ][r.below(3) as usize];
        let batched = s.client == ClientModel::Java || s.consumers[i].program.poll.max_messages > 1;
        if mode.is_stop() || !batched || s.sink.kind == SinkKind::Transactional {
            continue;
        }
        s.consumers[i].program.on_batch_failure = mode;
        if s.estimate_work().steps > offset_lab_sim::budget::STEP_BUDGET {
            s.consumers[i].program.on_batch_failure = OnBatchFailure::Stop;
        }
    }
    s
}

/// Invariants that hold for every run; `what` says how to reproduce a failure.
pub fn check_invariants(tl: &Timeline, what: &str) {
    let w = &tl.final_world;
    for p in 0..w.log.partition_count() {
        let committed = w.group.committed[p as usize];
        assert!(
            committed <= w.log.log_end_offset(Partition(p), w.now),
            "{what}: committed offset past the log end on partition {p}"
        );
    }
    let s = w.summary();
    assert_eq!(
        s.once + s.duplicated + s.lost + s.pending + s.skipped + s.dead_lettered,
        w.log.payments.len() as u32,
        "{what}: counts add up"
    );
    // E4 as the pattern prescribes: nothing commits offsets to Kafka, so every start offset
    // comes from the database (or, without a row, from auto.offset.reset).
    let kafka_commits = w.scenario.consumers.iter().any(|c| {
        let p = &c.program;
        c.config.enable_auto_commit
            || p.on_revoke_commit
            || p.per_message
                .iter()
                .any(|m| matches!(m, offset_lab_sim::scenario::MessageStep::Commit { .. }))
            || !p.before.is_empty()
            || !p.after.is_empty()
    });
    match w.scenario.sink.kind {
        // E4 and deduplication: never a double effect. The database never loses one either,
        // unless Kafka commits too: a partition without a row in the database starts at the
        // group's committed offset, which auto-commit may have moved past unrecorded payments.
        SinkKind::Database => {
            assert_eq!(s.duplicated, 0, "{what}: the database sink never doubles");
            if !kafka_commits {
                assert_eq!(s.lost, 0, "{what}: the database sink never loses (E4)");
            }
        }
        SinkKind::Idempotent => {
            assert_eq!(s.duplicated, 0, "{what}: the idempotent sink never doubles")
        }
        SinkKind::Transactional if w.scenario.sink.read_committed => {
            assert_eq!(
                s.duplicated, 0,
                "{what}: read_committed sees each refund once"
            )
        }
        _ => {}
    }
    for (i, o) in w.outcomes().iter().enumerate() {
        match o.outcome {
            Verdict::Lost | Verdict::Pending | Verdict::Skipped | Verdict::DeadLettered => {
                assert_eq!(
                    w.sink.applied[i], 0,
                    "{what}: {} {:?} but applied",
                    o.id, o.outcome
                )
            }
            Verdict::Once => assert_eq!(w.sink.applied[i], 1),
            Verdict::Duplicated => assert!(w.sink.applied[i] >= 2),
        }
    }
    for pair in tl.events.windows(2) {
        assert!(pair[0].at_ms <= pair[1].at_ms, "{what}: time goes forward");
    }
}

/// What a liveness check could verify for one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LivenessChecked {
    /// The group's stability after the last disturbance was checked.
    pub settle: bool,
    /// That no payment was left pending was checked.
    pub drain: bool,
}

/// The liveness property: once the last crash, restart, action and fault is over, the group is
/// stable within the bound the core states (`Scenario::liveness`), with exactly the live
/// consumers as members, each in a steady state; and every payment is handled (not pending) by
/// the drain bound, unless the scenario says why not (a program that stopped on a payment, no
/// consumer left alive, a loop iteration that can outlast max.poll.interval.ms). Returns what
/// the run's length allowed to check.
pub fn check_liveness(tl: &Timeline, what: &str) -> LivenessChecked {
    use offset_lab_sim::client::JoinState;
    use offset_lab_sim::group::GroupState;
    let sc = &tl.scenario;
    let bound = sc.liveness();
    let mut done = LivenessChecked::default();
    if bound.iteration_can_exceed_max_poll {
        return done;
    }
    // The last disturbance: a crash, a (re)start, a user action, the end of a fault window.
    let mut quiet = 0;
    for e in &tl.events {
        match e.kind {
            EventKind::Crashed { .. }
            | EventKind::Constructed { .. }
            | EventKind::ProgramStopped { .. }
            | EventKind::ProcessingMsChanged { .. } => quiet = quiet.max(e.at_ms),
            EventKind::RestartScheduled { at_ms } => quiet = quiet.max(at_ms),
            _ => {}
        }
    }
    for f in &sc.faults {
        if let Fault::CommitErrors { to_ms, .. } | Fault::CoordinatorUnavailable { to_ms, .. } = f {
            quiet = quiet.max(*to_ms);
        }
    }
    let settled_at = quiet + bound.settle_ms;
    if settled_at >= tl.end_ms() {
        return done;
    }
    let w = tl.world_at(tl.cursor_at_time(settled_at));
    let live: Vec<(usize, u32)> = w
        .consumers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.client.is_some())
        .map(|(i, c)| (i, c.incarnation))
        .collect();
    let mut members: Vec<(usize, u32)> = w
        .group
        .members
        .iter()
        .map(|m| (m.consumer, m.incarnation))
        .collect();
    members.sort_unstable();
    let expect_state = if live.is_empty() {
        GroupState::Empty
    } else {
        GroupState::Stable
    };
    assert_eq!(
        (w.group.state, &members),
        (expect_state, &live),
        "{what}: the group is not stable with exactly the live consumers {} ms after the last disturbance at {quiet} ms (bound {} ms)",
        bound.settle_ms,
        bound.settle_ms
    );
    for (i, c) in w.consumers.iter().enumerate() {
        if let Some(cl) = &c.client {
            assert_eq!(
                cl.join,
                JoinState::Steady,
                "{what}: consumer {i} is not steady at {settled_at} ms"
            );
        }
    }
    done.settle = true;
    let p = &sc.topic.payments;
    let produced = p.start_ms + p.interval_ms * (p.count.saturating_sub(1) as u64);
    let drained_at = settled_at.max(produced) + bound.drain_ms;
    let stopped = tl
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::ProgramStopped { .. }));
    if drained_at >= tl.end_ms() || stopped || live.is_empty() || bound.failure_can_loop {
        return done;
    }
    let pending: Vec<String> = tl
        .final_world
        .outcomes()
        .iter()
        .filter(|o| o.outcome == Verdict::Pending)
        .map(|o| o.id.clone())
        .collect();
    assert!(
        pending.is_empty(),
        "{what}: still pending at the end ({} ms), though the group settled by {settled_at} ms and everything could be handled by {drained_at} ms: {pending:?}",
        tl.end_ms()
    );
    done.drain = true;
    done
}
