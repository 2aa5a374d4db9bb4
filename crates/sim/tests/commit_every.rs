//! A program that commits every N payments (a counter) or every T ms (a timestamp): when it
//! commits, what it commits (A1, B6), and what a crash replays then (A3).

mod common;

use common::*;
use offset_lab_sim::scenario::*;
use offset_lab_sim::sweep::prove::{Disturbance, Proof, ProofRun};
use offset_lab_sim::trace::{CommitSource, EventKind};
use offset_lab_sim::{Offset, Scenario};

/// `count` payments, auto-commit off, `consume(num_messages=batch)`, process then
/// `commit(message=msg)` under the given condition.
fn every(count: u32, batch: u32, every: u32, every_ms: u64) -> Scenario {
    let mut s = one_consumer(count, 300);
    let c = &mut s.consumers[0];
    c.config.enable_auto_commit = false;
    c.program.poll.max_messages = batch;
    c.program.per_message = vec![
        MessageStep::Process,
        MessageStep::Commit {
            asynchronous: false,
            message: true,
            every,
            every_ms,
        },
    ];
    s
}

/// The program's commits: (time, offset of partition 0).
fn commits(t: &offset_lab_sim::Timeline) -> Vec<(u64, Offset)> {
    find(t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Manual,
                ..
            }
        )
    })
    .iter()
    .map(|e| match &e.kind {
        EventKind::CommitSent { offsets, .. } => (e.at_ms, offsets[0].1),
        _ => unreachable!(),
    })
    .collect()
}

#[test]
fn a1_every_third_payment_commits_its_offset_plus_one_counting_across_batches() {
    // Batches of 5: the counter runs on over the batch boundary, so the commits come after the
    // 3rd, 6th and 9th payments, each commit(message=msg) sending msg.offset() + 1 (A1, B6).
    let t = run(every(10, 5, 3, 0));
    let offsets: Vec<Offset> = commits(&t).into_iter().map(|c| c.1).collect();
    assert_eq!(offsets, vec![Offset(3), Offset(6), Offset(9)]);
    assert_eq!(t.final_world.group.committed[0], Offset(9));
}

#[test]
fn the_counter_lives_in_the_process_and_starts_again_after_a_restart() {
    // Killed after recording P-0004: committed 3. The new process reads P-0004 again and counts
    // from 0, so its first commit comes after its third payment, P-0006 (offset 6); a counter
    // that survived the crash would have committed after P-0005.
    let mut s = every(10, 1, 3, 0);
    s.consumers[0].crashes = vec![crash_at_point(
        ProgramPoint::AfterEffect,
        4,
        CrashKind::Kill,
        Some(1000),
    )];
    let t = run(s);
    let offsets: Vec<Offset> = commits(&t).into_iter().map(|c| c.1).collect();
    assert_eq!(offsets, vec![Offset(3), Offset(6), Offset(9)]);
    assert_eq!(
        verdict(&t, 3),
        offset_lab_sim::Verdict::Duplicated,
        "P-0004"
    );
}

#[test]
fn a3_committing_every_3_payments_a_crash_mid_processing_replays_at_most_2_any_crash_3() {
    // Every single crash (each kind, each program point of the first messages, each moment of a
    // cycle) of a program that commits every 3rd payment of batches of 5: nothing is lost. A
    // crash while a payment is being processed replays at most the 2 processed since the last
    // commit; the worst moment is between the 3rd payment's effect and its commit, which
    // replays 3. Never more.
    let base = every(10, 5, 3, 0);
    let report = Proof::new(&base, 0).unwrap().run();
    assert_eq!(report.losing, 0, "{}", report.text());
    let crash = |r: &&ProofRun| {
        matches!(
            r.disturbance,
            Disturbance::Crash { .. } | Disturbance::CrashAt { .. }
        )
    };
    let crashes: Vec<&ProofRun> = report.runs.iter().filter(crash).collect();
    assert!(crashes.len() >= 10 * 3 * 3, "{}", crashes.len());
    let mid_processing = |r: &&&ProofRun| {
        matches!(
            r.disturbance,
            Disturbance::Crash {
                point: ProgramPoint::DuringProcessing | ProgramPoint::AfterPoll,
                ..
            } | Disturbance::CrashAt { .. }
        )
    };
    let worst_mid = crashes
        .iter()
        .filter(mid_processing)
        .map(|r| r.duplicated.len())
        .max();
    assert_eq!(
        worst_mid,
        Some(2),
        "some crash mid-batch replays 2, none more"
    );
    for r in &crashes {
        let n = r.duplicated.len();
        assert!(n <= 3, "{}: {n}", r.text);
        if n == 3 {
            assert!(
                matches!(
                    r.disturbance,
                    Disturbance::Crash {
                        point: ProgramPoint::AfterEffect,
                        message: 3 | 6 | 9,
                        ..
                    }
                ),
                "{}",
                r.text
            );
        }
    }
    // The same program committing every 5th payment replays up to 5: the bound is the counter.
    let report = Proof::new(&every(10, 5, 5, 0), 0).unwrap().run();
    let worst = report
        .runs
        .iter()
        .filter(crash)
        .map(|r| r.duplicated.len())
        .max();
    assert_eq!(worst, Some(5));
}

#[test]
fn every_ms_commits_at_the_first_payment_once_the_time_has_passed() {
    // 300 ms per payment, commit when 1 s has passed since the last commit (or construction):
    // the check runs at the commit step, so commits come at the first payment past each second,
    // never between payments and never more often than every second.
    let t = run(every(20, 1, 1, 1000));
    let cs = commits(&t);
    assert!(cs.len() >= 4 && cs.len() <= 6, "{cs:?}");
    assert!(
        cs[0].0 >= 1000,
        "the timestamp starts at construction: {cs:?}"
    );
    for pair in cs.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!((1000..1000 + 300 + 20).contains(&gap), "{cs:?}");
    }
    // Each commit covers the payments processed since the last one: 4 at 300 ms each.
    assert_eq!(cs[0].1, Offset(4));
    assert_eq!(cs[1].1, Offset(8));
}

#[test]
fn both_conditions_must_hold() {
    // Every 2nd payment, once 1 s has passed: the commit waits for an even count after the
    // second, so it comes after P-0004 (1.2 s, count 4), then P-0008, …
    let t = run(every(12, 1, 2, 1000));
    let offsets: Vec<Offset> = commits(&t).into_iter().map(|c| c.1).collect();
    assert_eq!(offsets, vec![Offset(4), Offset(8), Offset(12)]);
    // Every 3rd payment once 1 s has passed: counts 3 (0.9 s, too early), 6 (1.8 s), 9 (2.7 s,
    // only 0.9 s after), 12 (3.6 s).
    let t = run(every(12, 1, 3, 1000));
    let offsets: Vec<Offset> = commits(&t).into_iter().map(|c| c.1).collect();
    assert_eq!(offsets, vec![Offset(6), Offset(12)]);
}

#[test]
fn the_conditions_are_validated_and_default_to_every_message() {
    // The defaults serialize as before: a scenario without conditions reads and writes the same.
    let plain = preset("step2-manual-commit").unwrap();
    assert!(!plain.to_json().contains("every"));
    let mut s = every(10, 1, 3, 2500);
    let back = Scenario::from_json(&s.to_json()).unwrap();
    assert_eq!(back, s);
    assert!(s.to_json().contains("\"every\": 3") && s.to_json().contains("\"every_ms\": 2500"));
    s.consumers[0].program.per_message[1] = MessageStep::Commit {
        asynchronous: false,
        message: true,
        every: 0,
        every_ms: 0,
    };
    let e = s.validate().unwrap_err();
    assert_eq!(
        e.path, "consumers[0].program.per_message[1].commit.every",
        "{e}"
    );
    s.consumers[0].program.per_message = vec![
        MessageStep::Commit {
            asynchronous: false,
            message: true,
            every: 2,
            every_ms: 0,
        },
        MessageStep::Process,
        MessageStep::Commit {
            asynchronous: false,
            message: true,
            every: 1,
            every_ms: 500,
        },
    ];
    let e = s.validate().unwrap_err();
    assert_eq!(e.path, "consumers[0].program.per_message[2].commit", "{e}");
    assert!(e.message.contains("one counter"), "{e}");
    let e = Scenario::from_json(
        &plain
            .to_json()
            .replace("\"message\": true", "\"message\": true, \"every_ms\": -5"),
    )
    .unwrap_err();
    assert!(e.path.ends_with("commit.every_ms"), "{e}");
}
