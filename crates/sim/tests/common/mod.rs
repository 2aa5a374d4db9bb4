//! Shared builders for the simulator's tests.
#![allow(dead_code)]

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
            payments: PaymentsSpec { count, ..PaymentsSpec::default() },
            ..TopicSpec::default()
        },
        broker: BrokerSpec { group_initial_rebalance_delay_ms: 0, ..BrokerSpec::default() },
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
        config: ConsumerConfig { auto_offset_reset: OffsetReset::Earliest, ..ConsumerConfig::default() },
        program: Program { processing_ms, ..Program::default() },
        crashes: vec![],
    }
}

pub fn crash_during(message: u32, kind: CrashKind, restart_after_ms: Option<u64>) -> CrashPoint {
    CrashPoint { at_ms: None, point: Some(ProgramPoint::DuringProcessing), message: Some(message), kind, restart_after_ms }
}

pub fn crash_at_point(point: ProgramPoint, message: u32, kind: CrashKind, restart_after_ms: Option<u64>) -> CrashPoint {
    CrashPoint { at_ms: None, point: Some(point), message: Some(message), kind, restart_after_ms }
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
