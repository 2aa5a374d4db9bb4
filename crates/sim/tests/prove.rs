//! "Prove it" explores what it says it explores: each program point of each of the first
//! messages (two batches, two commits) under each crash kind, crash times over a full
//! auto-commit cycle, a rebalance at each program point, a stall per message — counted here
//! independently of the proof's own bookkeeping.

mod common;

use std::collections::BTreeSet;

use common::*;
use offset_lab_sim::scenario::*;
use offset_lab_sim::sweep::prove::{Disturbance, KINDS, MAX_MESSAGES, Proof, TIME_SLICES};
use offset_lab_sim::trace::EventKind;
use offset_lab_sim::{Scenario, Timeline};

/// When `poll()` first returned a payment to consumer 0 in the undisturbed run.
fn first_poll_ms(s: &Scenario) -> u64 {
    let mut clean = s.clone();
    clean.consumers[0].crashes.clear();
    let t = run(clean);
    t.events
        .iter()
        .find(|e| e.consumer == Some(0) && matches!(e.kind, EventKind::Polled { .. }))
        .unwrap()
        .at_ms
}

#[test]
fn f1_b5_a_timed_crash_loses_exactly_when_a_tick_falls_between_the_poll_and_the_crash() {
    // Step 1 with 7 s of processing: the crash times span a full cycle after t_r, its end
    // included, so one of them comes after the tick at t0 + 5 s. Killed or sys.exit'ed, P-0001
    // is lost iff that tick fell between t_r and the crash (F.1); through close() it is lost at
    // any time, close() committing what poll() stored (B11).
    let s = preset("step1-autocommit-sleep7").unwrap();
    let t_r = first_poll_ms(&s);
    let tick = s.consumers[0].start_ms + s.consumers[0].config.auto_commit_interval_ms;
    let report = Proof::new(&s, 0).unwrap().run();
    let mut after_tick = 0;
    for r in &report.runs {
        let Disturbance::CrashAt { at_ms, kind } = r.disturbance else {
            continue;
        };
        assert!(at_ms > t_r && at_ms <= t_r + 5000, "{}", r.text);
        let lost = r.lost.contains(&0);
        match kind {
            CrashKind::Close => assert!(lost, "{}", r.text),
            _ => {
                assert_eq!(lost, at_ms > tick, "{}", r.text);
                after_tick += (at_ms > tick) as usize;
            }
        }
    }
    assert_eq!(after_tick, 2, "the last slice, killed and sys.exit'ed");
}

#[test]
fn the_messages_explored_cover_two_batches_and_two_commits() {
    let base = preset("step2-manual-commit").unwrap();
    let messages = |edit: &dyn Fn(&mut Scenario)| {
        let mut s = base.clone();
        s.topic.payments.count = 40;
        edit(&mut s);
        s.validate().unwrap();
        Proof::new(&s, 0).unwrap().messages
    };
    assert_eq!(
        messages(&|_| {}),
        3,
        "one message per poll, a commit each: 3"
    );
    assert_eq!(
        messages(&|s| s.consumers[0].program.poll.max_messages = 5),
        10
    );
    let every = |n: u32, ms: u64| {
        move |s: &mut Scenario| {
            s.consumers[0].program.per_message[1] = MessageStep::Commit {
                asynchronous: false,
                message: true,
                every: n,
                every_ms: ms,
            }
        }
    };
    assert_eq!(messages(&every(4, 0)), 8, "two commits of every 4th");
    // 1 s between commits at 1 s of processing: a commit every 2nd payment at the most.
    assert_eq!(messages(&every(1, 1000)), 4);
    assert_eq!(messages(&every(1, 2500)), 8);
    assert_eq!(
        messages(&|s| {
            s.client = ClientModel::Java;
            s.consumers[0].config.max_poll_records = 5;
        }),
        10,
        "Java returns up to max.poll.records"
    );
    assert_eq!(
        messages(&|s| s.consumers[0].program.poll.max_messages = 20),
        MAX_MESSAGES
    );
    assert_eq!(
        messages(&|s| {
            s.topic.payments.count = 4;
            s.consumers[0].program.poll.max_messages = 5;
        }),
        4,
        "no more than there are"
    );
}

#[test]
fn the_explored_space_of_a_batch_program_counted_independently() {
    // Step 3: batches of 5, commit() after each batch. Counted from the scenario and its
    // undisturbed run, not from the proof.
    let s = preset("step3-batch5-fail-at-3").unwrap();
    let p = Proof::new(&s, 0).unwrap();
    let n = 10u32; // two batches of 5
    assert_eq!(p.messages, n);
    let points = [
        ProgramPoint::AfterPoll,
        ProgramPoint::DuringProcessing,
        ProgramPoint::AfterEffect,
        ProgramPoint::CommitInFlight,
        ProgramPoint::AfterCommit,
    ];
    let mut crashes = BTreeSet::new();
    let mut timed = BTreeSet::new();
    let mut joiners = BTreeSet::new();
    let mut stalls = BTreeSet::new();
    for d in &p.disturbances {
        match *d {
            Disturbance::Crash {
                point,
                message,
                kind,
            } => assert!(crashes.insert((point, message, kind as u8)), "{d:?} twice"),
            Disturbance::CrashAt { at_ms, kind } => assert!(timed.insert((at_ms, kind as u8))),
            Disturbance::Joiner { point, message } => assert!(joiners.insert((point, message))),
            Disturbance::Stall { message } => assert!(stalls.insert(message)),
        }
    }
    // Every point of every message under every kind.
    for message in 1..=n {
        for point in points {
            for kind in KINDS {
                assert!(crashes.contains(&(point, message, kind as u8)));
            }
        }
    }
    assert_eq!(crashes.len(), (n as usize) * points.len() * KINDS.len());
    // A full cycle after t_r, at I/10 steps, its end included.
    let t_r = first_poll_ms(&s);
    let interval = s.consumers[0].config.auto_commit_interval_ms;
    let times: BTreeSet<u64> = timed.iter().map(|t| t.0).collect();
    let want: BTreeSet<u64> = (1..=TIME_SLICES)
        .map(|j| t_r + j * interval / TIME_SLICES)
        .collect();
    assert_eq!(times, want);
    assert_eq!(timed.len(), TIME_SLICES as usize * KINDS.len());
    // A joiner at each point the undisturbed run reaches: poll, processing and effect of every
    // message, and the commit points of the two batches' commits (after messages 5 and 10).
    let mut want = BTreeSet::new();
    for message in 1..=n {
        for point in &points[..3] {
            want.insert((*point, message));
        }
    }
    for message in [5, 10] {
        want.insert((ProgramPoint::CommitInFlight, message));
        want.insert((ProgramPoint::AfterCommit, message));
    }
    assert_eq!(joiners, want);
    assert_eq!(stalls, (1..=n).collect());
    let total = crashes.len() + timed.len() + joiners.len() + stalls.len();
    assert_eq!(total, 150 + 30 + 34 + 10);
    // The report covers exactly these runs, all valid, and says so.
    let r = p.run();
    assert_eq!(r.runs.len(), total);
    assert_eq!(r.explored, total);
    assert!(
        r.text().contains(&format!("of the {total} explored")),
        "{}",
        r.text()
    );
    assert_eq!(r.losing, 0, "commit after the batch never loses");
    assert!(r.runs.iter().all(|x| x.summary.is_some()));
}

#[test]
fn a_rebalance_is_tried_at_every_program_point_of_every_message() {
    // A commit after each payment: all five points of each message are reached, and a second
    // consumer joins at each; a stall outlasts max.poll.interval.ms on each message.
    let s = preset("step2-manual-commit").unwrap();
    let p = Proof::new(&s, 0).unwrap();
    for message in 1..=p.messages {
        for point in [
            ProgramPoint::AfterPoll,
            ProgramPoint::DuringProcessing,
            ProgramPoint::AfterEffect,
            ProgramPoint::CommitInFlight,
            ProgramPoint::AfterCommit,
        ] {
            assert!(
                p.disturbances
                    .contains(&Disturbance::Joiner { point, message }),
                "{point:?} {message}"
            );
        }
        assert!(p.disturbances.contains(&Disturbance::Stall { message }));
    }
    // The joiner is a real second member: the group rebalances in its run.
    let ix = p
        .disturbances
        .iter()
        .position(|d| matches!(d, Disturbance::Joiner { .. }))
        .unwrap();
    let v = &p.variants()[ix];
    assert_eq!(v.consumers.len(), 2);
    let t = Timeline::new(v.clone()).unwrap();
    assert!(
        !find(&t, |k| matches!(k, EventKind::Revoked { .. })).is_empty(),
        "a rebalance revokes"
    );
}

#[test]
fn a_stalled_partition_is_reported_with_the_payments_it_holds_back() {
    // An invalid payment that stops the program: every run leaves P-0003… unprocessed.
    let report = Proof::new(&preset("step4-invalid-stop").unwrap(), 0)
        .unwrap()
        .run();
    assert_eq!(report.stalling, report.explored, "{}", report.text());
    assert!(report.runs.iter().all(|r| r.stalled.contains(&2)));
    assert!(
        report.text().contains("leave payments unprocessed"),
        "{}",
        report.text()
    );
    // Dead-lettered instead: nothing stalls, P-0003 is parked in every run.
    let report = Proof::new(&preset("step4-invalid-dead-letter").unwrap(), 0)
        .unwrap()
        .run();
    assert_eq!(report.stalling, 0, "{}", report.text());
    assert!(report.runs.iter().all(|r| r.dead_lettered == vec![2]));
}
