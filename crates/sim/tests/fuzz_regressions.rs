//! Inputs the fuzz targets (`fuzz/`) found, reduced to the smallest case that shows the bug.

use std::sync::Arc;

use offset_lab_sim::link::{LinkState, decode, encode};
use offset_lab_sim::{Scenario, World, preset};

/// `fuzz/ link`: a panel name holding `&`, `=`, `%`, `+`, `#` or a space (which `decode` gives
/// back from a percent-encoded link) was written into the link raw, so the link for that state
/// no longer decoded, or decoded to another state (here: a version from the future).
#[test]
fn link_panel_names_are_escaped() {
    let state = LinkState {
        scenario: preset("step2-manual-commit").unwrap(),
        t_ms: 0,
        panels: vec!["code&v=2".into(), "a%b+c #d".into(), "log".into()],
        embed: false,
        event: None,
        sweep: None,
    };
    let link = encode(&state);
    match decode(&link, "step2-manual-commit") {
        Ok(again) => assert!(
            again == state,
            "{link} decodes to panels {:?}",
            again.panels
        ),
        Err(e) => panic!("{link} does not decode: {e}"),
    }
}

fn steps(s: &Scenario) -> u64 {
    let mut w = World::new(Arc::new(s.clone()));
    while w.step() {
        w.take_events();
    }
    w.steps as u64
}

/// `fuzz/ run`: commits rejected in a `commit_errors` (or coordinator) window are retried every
/// retry.backoff.ms until the window closes, and every auto-commit started in the window adds
/// one more retrying commit, so the retries grow with the square of the window; the budget
/// counts them once per backoff. Here 41 805 steps for an estimate of 1 973. With the window
/// and the run at 600 s (estimate 56 509) the run passes 5 000 000 steps by 189 s: a Timeline
/// stops it at MAX_STEPS and the page waits for all of them.
#[test]
fn the_budget_counts_commit_retries_that_pile_up_in_a_fault_window() {
    let s = Scenario::from_json(
        r#"{"version": 1, "name": "pile-up", "seed": 1,
            "topic": {"payments": {"count": 10}},
            "consumers": [{"name": "consumer-1",
                           "config": {"auto.offset.reset": "earliest", "auto.commit.interval.ms": 100}}],
            "faults": [{"kind": "commit_errors", "from_ms": 0, "to_ms": 20000, "error": "request_timed_out"}],
            "duration_ms": 20000}"#,
    )
    .unwrap();
    let (estimate, actual) = (s.estimate_work().steps, steps(&s));
    assert!(actual <= estimate, "{actual} steps, estimated {estimate}");
}

/// `fuzz/ run`: a Java consumer whose processing (500 ms) outlasts max.poll.interval.ms (100)
/// is evicted on every payment, rejoins and is handed the payment again; the budget counts
/// evictions only for `slow_payment` faults. Here 558 steps for an estimate of 358. Over a day
/// it adds up: the fuzzer found two Java consumers, one of them with max.poll.interval.ms 100,
/// whose run takes 2 597 104 steps for an estimate of 750 590 (a Timeline cuts it short at
/// MAX_STEPS).
#[test]
fn the_budget_counts_the_evictions_of_a_program_slower_than_max_poll() {
    let s = Scenario::from_json(
        r#"{"version": 1, "name": "evicted", "seed": 1, "client": "java",
            "topic": {"payments": {"count": 3}},
            "consumers": [{"name": "consumer-1",
                           "config": {"auto.offset.reset": "earliest", "max.poll.interval.ms": 100},
                           "program": {"processing_ms": 500}}],
            "duration_ms": 60000}"#,
    )
    .unwrap();
    let (estimate, actual) = (s.estimate_work().steps, steps(&s));
    assert!(actual <= estimate, "{actual} steps, estimated {estimate}");
}

/// `fuzz/ run`: commits held up to 10 s each on the coordinator's connection hold back the
/// heartbeats behind them (A5), the session expires while the consumer runs, and each expiry
/// hands the payments out again; the budget did not count those redeliveries (623 steps by
/// 22 s for an estimate of 622).
#[test]
fn the_budget_counts_session_expiries_behind_slow_commits() {
    let s = Scenario::from_json(
        r#"{"version": 1, "name": "held-back", "seed": 0,
            "topic": {"partitions": 1, "payments": {"count": 100}},
            "consumers": [{"name": "consumer-1",
                           "config": {"enable.auto.commit": false, "auto.offset.reset": "earliest",
                                      "session.timeout.ms": 6000},
                           "program": {"processing_ms": 20,
                                       "per_message": ["process", {"commit": {"asynchronous": true}}]}}],
            "faults": [{"kind": "commit_latency", "max_extra_ms": 10000}],
            "duration_ms": 30000}"#,
    )
    .unwrap();
    let (estimate, actual) = (s.estimate_work().steps, steps(&s));
    assert!(actual <= estimate, "{actual} steps, estimated {estimate}");
}

/// `fuzz/ run`: round trips of 5 s against a 6 s session: the heartbeats alone outlast the
/// session, so the group expires the members again and again (7 965 steps for 7 964).
#[test]
fn the_budget_counts_session_expiries_when_round_trips_outlast_the_session() {
    let s = Scenario::from_json(
        r#"{"broker":{"group.initial.rebalance.delay.ms":1,"group.max.session.timeout.ms":1800000,"group.min.session.timeout.ms":6000,"rtt_ms":5000},"client":"java","consumers":[{"config":{"auto.commit.interval.ms":5000,"auto.offset.reset":"error","enable.auto.commit":false,"enable.auto.offset.store":true,"group.id":"payment-processor","heartbeat.interval.ms":3000,"max.poll.interval.ms":10000,"max.poll.records":3,"partition.assignment.strategy":"roundrobin","session.timeout.ms":6000},"name":"consumer-1","program":{"close_in_finally":false,"on_invalid":"stop","on_revoke_commit":false,"per_message":["process",{"commit":{"asynchronous":false,"message":true}}],"poll":{"max_messages":4,"timeout_ms":1800000},"processing_jitter_ms":200,"retry":{"attempts":1,"backoff_ms":1000,"on_exhausted":"stop"}},"start_ms":0},{"config":{"auto.commit.interval.ms":5000,"auto.offset.reset":"earliest","enable.auto.commit":false,"enable.auto.offset.store":true,"group.id":"payment-processor","heartbeat.interval.ms":3000,"max.poll.interval.ms":10000,"max.poll.records":4,"partition.assignment.strategy":"roundrobin","session.timeout.ms":6000},"name":"consumer-2","program":{"close_in_finally":true,"on_invalid":"stop","on_revoke_commit":true,"per_message":["process",{"commit":{"asynchronous":false,"message":true}}],"poll":{"max_messages":4,"timeout_ms":1000},"processing_jitter_ms":200,"processing_ms":1001,"retry":{"attempts":1,"backoff_ms":1000}},"start_ms":0}],"duration_ms":1000000,"faults":[],"name":"roundrobin-java","seed":1,"sink":{"read_committed":false},"topic":{"partitions":2,"payments":{"count":12,"customers":10,"interval_ms":1800000,"keyed":false,"start_ms":0}},"version":1}"#,
    )
    .unwrap();
    let (estimate, actual) = (s.estimate_work().steps, steps(&s));
    assert!(actual <= estimate, "{actual} steps, estimated {estimate}");
}

/// `fuzz/ run` (a 1,000,000-run session): a consumer that starts after the run ends
/// (`start_ms` 1 000 000 of 60 000) is started by a `restart` action at 12 s; the budget
/// counted its life from `start_ms`, so none of its work. The input as found: 730 steps for an
/// estimate of 494.
#[test]
fn the_budget_counts_a_consumer_that_an_action_starts_before_its_start_ms() {
    let s = Scenario::from_json(
        r#"{"actions":[{"at_ms":9000,"consumer":"consumer-1","do":{"crash":{"kind":"close"}}},{"at_ms":12000,"consumer":"consumer-1","do":"restart"}],"broker":{"group.initial.rebalance.delay.ms":1,"group.max.session.timeout.ms":1800000,"group.min.session.timeout.ms":6000,"rtt_ms":4},"client":"librdkafka","consumers":[{"config":{"auto.commit.interval.ms":5000,"auto.offset.reset":"earliest","enable.auto.commit":false,"enable.auto.offset.store":true,"group.id":"payment-processor","heartbeat.interval.ms":250,"max.poll.interval.ms":300000,"max.poll.records":500,"partition.assignment.strategy":"range","session.timeout.ms":45000},"crashes":[{"kind":"sys_exit","message":2,"point":"during_processing","restart_after_ms":1000}],"name":"consumer-1","program":{"close_in_finally":false,"on_invalid":"stop","on_revoke_commit":false,"per_message":["process",{"commit":{"asynchronous":false,"message":true}}],"poll":{"max_messages":1,"timeout_ms":1000},"processing_jitter_ms":0,"processing_ms":999,"retry":{"attempts":1,"backoff_ms":1000}},"start_ms":1000000}],"duration_ms":60000,"name":"actions","seed":0,"sink":{"kind":"ledger","read_committed":true},"topic":{"name":"idempotent","partitions":1,"payments":{"count":5,"customers":10,"interval_ms":0,"keyed":false,"start_ms":60000}},"version":1}"#,
    )
    .unwrap();
    let (estimate, actual) = (s.estimate_work().steps, steps(&s));
    assert!(actual <= estimate, "{actual} steps, estimated {estimate}");
}
