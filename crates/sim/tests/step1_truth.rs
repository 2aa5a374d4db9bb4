//! §F of the semantics reference, as tests: the lab's Step 1 under librdkafka.
//!
//! The popular claim "2 s loses, 7 s doesn't" is backwards: with a background timer (B5) and
//! offsets stored at poll (B2), a 7 s sleep always contains an auto-commit tick, and a 2 s sleep
//! contains one only for some timer phases.

mod common;

use common::*;
use offset_lab_sim::scenario::{CrashKind, MessageStep, ProgramPoint};
use offset_lab_sim::trace::EventKind;
use offset_lab_sim::{Scenario, Verdict};

const INTERVAL: u64 = 5000;

/// The Step 1 program with one payment produced at `produce_ms` into a running consumer.
fn step1(sleep_ms: u64, produce_ms: u64, kind: CrashKind) -> Scenario {
    let mut s = one_consumer(1, sleep_ms);
    s.topic.payments.start_ms = produce_ms;
    s.consumers[0].crashes = vec![crash_during(1, kind, Some(1000))];
    s.duration_ms = 150_000;
    s
}

fn poll_time(t: &offset_lab_sim::Timeline) -> u64 {
    first_time(t, |k| matches!(k, EventKind::Polled { .. })).expect("the payment is polled")
}

/// F.1: lost iff a tick t0 + k·I falls in (t_r, t_r + S].
fn tick_inside(t_r: u64, sleep_ms: u64) -> bool {
    (1..=40)
        .map(|k| k * INTERVAL)
        .any(|tick| tick > t_r && tick <= t_r + sleep_ms)
}

#[test]
fn f1_sleep7_is_lost_whatever_the_timer_phase() {
    for produce_ms in (0..INTERVAL).step_by(250).map(|x| 20_000 + x + 3) {
        let t = run(step1(7000, produce_ms, CrashKind::SysExit));
        assert_eq!(verdict(&t, 0), Verdict::Lost, "produced at {produce_ms}");
        assert!(
            !find(&t, |k| matches!(k, EventKind::AtRisk { .. })).is_empty(),
            "moment 1 is flagged"
        );
    }
}

#[test]
fn f1_sleep2_is_lost_exactly_when_a_tick_falls_inside_the_processing_window() {
    let mut lost = 0;
    let mut total = 0;
    for produce_ms in (0..INTERVAL).step_by(100).map(|x| 20_000 + x + 7) {
        let t = run(step1(2000, produce_ms, CrashKind::SysExit));
        let t_r = poll_time(&t);
        let expected = if tick_inside(t_r, 2000) {
            Verdict::Lost
        } else {
            Verdict::Once
        };
        assert_eq!(
            verdict(&t, 0),
            expected,
            "t_r = {t_r}, phase = {}",
            t_r % INTERVAL
        );
        total += 1;
        lost += u32::from(expected == Verdict::Lost);
    }
    // 2/5 of the phases lose the payment (F.1: φ ∈ (3 s, 5 s)).
    assert_eq!((lost, total), (20, 50));
}

#[test]
fn f1_exit_through_close_loses_at_any_sleep() {
    for sleep_ms in [200, 2000, 7000] {
        for produce_ms in [20_103, 21_607, 23_911] {
            let t = run(step1(sleep_ms, produce_ms, CrashKind::Close));
            assert_eq!(
                verdict(&t, 0),
                Verdict::Lost,
                "sleep {sleep_ms}, produced at {produce_ms}"
            );
        }
    }
    // sys.exit inside try/finally: close() behaves the same (B13).
    let mut s = step1(2000, 20_103, CrashKind::SysExit);
    s.consumers[0].program.close_in_finally = true;
    let t = run(s);
    assert_eq!(verdict(&t, 0), Verdict::Lost);
    assert!(
        find(&t, |k| matches!(
            k,
            EventKind::Crashed {
                finally_close: true,
                ..
            }
        ))
        .len()
            == 1
    );
}

#[test]
fn f1_storing_after_processing_never_loses() {
    for sleep_ms in [2000, 7000, 12_000] {
        for produce_ms in (0..INTERVAL).step_by(500).map(|x| 20_000 + x + 11) {
            let mut s = step1(sleep_ms, produce_ms, CrashKind::SysExit);
            s.consumers[0].config.enable_auto_offset_store = false;
            s.consumers[0].program.per_message =
                vec![MessageStep::Process, MessageStep::StoreOffsets];
            let t = run(s);
            assert_eq!(
                verdict(&t, 0),
                Verdict::Once,
                "sleep {sleep_ms}, produced at {produce_ms}"
            );
        }
    }
}

#[test]
fn f1_kill_and_sys_exit_end_the_same_way() {
    for produce_ms in [20_107, 22_307, 24_107] {
        let a = run(step1(2000, produce_ms, CrashKind::SysExit));
        let b = run(step1(2000, produce_ms, CrashKind::Kill));
        assert_eq!(verdict(&a, 0), verdict(&b, 0), "produced at {produce_ms}");
    }
}

#[test]
fn f1_literal_lab_fresh_group_message_waiting_loses_with_sleep2() {
    // A fresh group: the initial rebalance delay (3 s, C3) puts t_r ≈ 3.0x s, and the first
    // tick at 5 s falls inside the 2 s sleep.
    let mut s = step1(2000, 0, CrashKind::SysExit);
    s.broker.group_initial_rebalance_delay_ms = 3000;
    let t = run(s);
    let t_r = poll_time(&t);
    assert!((3000..3500).contains(&t_r), "t_r = {t_r}");
    assert_eq!(verdict(&t, 0), Verdict::Lost);
    // With group.initial.rebalance.delay.ms = 0 (many docker-compose setups) it is redelivered.
    let t = run(step1(2000, 0, CrashKind::SysExit));
    assert_eq!(verdict(&t, 0), Verdict::Once);
}

#[test]
fn f2_restart_waits_for_the_dead_members_session_then_resumes_at_committed() {
    let t = run(step1(2000, 20_107, CrashKind::SysExit));
    let crash = first_time(&t, |k| matches!(k, EventKind::Crashed { .. })).unwrap();
    let expired = first_time(&t, |k| matches!(k, EventKind::SessionExpired { .. })).unwrap();
    assert!(
        expired > crash + 40_000 && expired <= crash + 45_000,
        "crash {crash}, expired {expired}"
    );
    let second_poll = find(&t, |k| matches!(k, EventKind::Polled { .. }))[1].at_ms;
    assert!(second_poll > expired);
}

#[test]
fn crash_points_fire_once_at_their_program_point() {
    let mut s = one_consumer(4, 300);
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.per_message =
        vec![MessageStep::Process, MessageStep::commit(true, false)];
    s.consumers[0].crashes = vec![crash_at_point(
        ProgramPoint::AfterPoll,
        3,
        CrashKind::Kill,
        Some(500),
    )];
    let t = run(s);
    let crashes = find(&t, |k| matches!(k, EventKind::Crashed { .. }));
    assert_eq!(crashes.len(), 1);
    let third_poll = find(&t, |k| matches!(k, EventKind::Polled { .. }))[2].at_ms;
    assert_eq!(crashes[0].at_ms, third_poll);
    assert_eq!(
        t.final_world.summary(),
        offset_lab_sim::Summary {
            once: 4,
            ..Default::default()
        }
    );
}

#[test]
fn f1_phase_explorer_shows_two_fifths_lost_for_sleep2() {
    let base = offset_lab_sim::preset("step1-phase-explorer").unwrap();
    let points = offset_lab_sim::sweep::phase::phase_sweep(&base, 100);
    assert_eq!(points.len(), 50);
    let lost = points.iter().filter(|p| p.verdict == Verdict::Lost).count();
    assert_eq!(lost, 20, "lost iff φ ∈ (3 s, 5 s]");
    for p in &points {
        let phase = p.phase_ms.unwrap();
        assert_eq!(p.verdict == Verdict::Lost, phase >= 3000, "phase {phase}");
    }
}
