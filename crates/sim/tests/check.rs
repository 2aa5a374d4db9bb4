//! Mistakes that run silently get a warning that names the field.

use offset_lab_sim::check::warnings;
use offset_lab_sim::scenario::{
    Action, ActionKind, CrashKind, CrashPoint, MessageStep, ProgramPoint,
};
use offset_lab_sim::{Timeline, preset, preset_names};

fn warns(s: offset_lab_sim::Scenario) -> Vec<String> {
    warnings(&Timeline::new(s).unwrap())
        .iter()
        .map(|w| w.to_string())
        .collect()
}

#[test]
fn presets_have_no_warnings() {
    for name in preset_names() {
        let w = warns(preset(name).unwrap());
        assert!(w.is_empty(), "{name}: {w:#?}");
    }
}

#[test]
fn a_crash_point_that_never_fires() {
    let mut s = preset("step2-manual-commit").unwrap();
    s.consumers[0].crashes.push(CrashPoint {
        at_ms: None,
        point: Some(ProgramPoint::AfterPoll),
        message: Some(500),
        kind: CrashKind::Kill,
        restart_after_ms: None,
    });
    let w = warns(s);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].starts_with("consumers[0].crashes[1]: never fires") && w[0].contains("message 500"),
        "{w:?}"
    );
}

#[test]
fn an_action_for_a_consumer_that_is_not_running() {
    let mut s = preset("step2-manual-commit").unwrap();
    // The preset's consumer is down between its crash (after message 2) and its restart 1 s
    // later.
    let crash = Timeline::new(s.clone())
        .unwrap()
        .events
        .iter()
        .find(|e| matches!(e.kind, offset_lab_sim::EventKind::Crashed { .. }))
        .unwrap()
        .at_ms;
    s.actions.push(Action {
        at_ms: crash + 100,
        consumer: "consumer-1".into(),
        act: ActionKind::Crash {
            kind: CrashKind::Kill,
        },
    });
    s.actions.push(Action {
        at_ms: 100,
        consumer: "consumer-1".into(),
        act: ActionKind::Restart,
    });
    let w = warns(s);
    assert!(
        w.iter()
            .any(|w| w.starts_with("actions[0]: does nothing") && w.contains("not running")),
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("actions[1]: does nothing") && w.contains("already running")),
        "{w:#?}"
    );
}

#[test]
fn a_program_whose_commits_can_never_happen() {
    let mut s = preset("step2-manual-commit").unwrap();
    s.consumers[0]
        .program
        .per_message
        .retain(|m| *m == MessageStep::Process);
    let w = warns(s);
    assert!(
        w.iter()
            .any(|w| w.starts_with("consumers[0].program: nothing ever commits")),
        "{w:#?}"
    );
    let mut s = preset("step1-autocommit-sleep7").unwrap();
    s.consumers[0].config.enable_auto_offset_store = false;
    let w = warns(s);
    assert!(
        w.iter()
            .any(|w| w.starts_with("consumers[0].config.enable.auto.offset.store")),
        "{w:#?}"
    );
    let mut s = preset("step2-manual-commit").unwrap();
    s.consumers[0].config.enable_auto_offset_store = false;
    s.consumers[0].program.per_message[1] = MessageStep::commit(false, false);
    let w = warns(s);
    assert!(w.iter().any(|w| w.contains("_NO_OFFSET")), "{w:#?}");
}

#[test]
fn payments_produced_after_the_run_ends() {
    let mut s = preset("step2-manual-commit").unwrap();
    s.topic.payments.interval_ms = 20_000;
    let w = warns(s);
    assert!(
        w.iter()
            .any(|w| w.starts_with("topic.payments: payments from P-0004")),
        "{w:#?}"
    );
}
