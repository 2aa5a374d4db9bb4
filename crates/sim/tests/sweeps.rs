//! Sweeps, the built-in experiments and "prove it": their headline numbers, pinned.

use offset_lab_sim::preset;
use offset_lab_sim::scenario::CrashKind;
use offset_lab_sim::sweep::experiments::{NAMES, experiment};
use offset_lab_sim::sweep::grid::{Row, Value};
use offset_lab_sim::sweep::prove::{Disturbance, KINDS, Proof, TIME_SLICES};
use offset_lab_sim::sweep::{Batch, RunResult};

fn rows(name: &str) -> Vec<Row> {
    let e = experiment(name).unwrap();
    e.sweep.run(&e.base).unwrap()
}

fn row<'a>(rows: &'a [Row], value: &str, second: Option<u64>) -> &'a Row {
    rows.iter()
        .find(|r| {
            r.value.text() == value
                && r.second.as_ref().map(|s| s.text()) == second.map(|s| s.to_string())
        })
        .unwrap_or_else(|| panic!("no row {value} {second:?}"))
}

#[test]
fn every_experiment_runs() {
    for name in NAMES {
        let e = experiment(name).unwrap();
        let rs = e.sweep.run(&e.base).unwrap();
        assert!(!rs.is_empty(), "{name}");
        assert!(rs.iter().all(|r| r.invalid == 0), "{name}: {rs:#?}");
    }
    assert!(experiment("nope").is_none());
}

#[test]
fn auto_commit_loses_the_payment_in_flight_in_proportion_to_processing_time() {
    // F.1: with a 5 s interval, lost iff a tick falls within the processing: a share
    // S / 5 s of the cycle, and always from S = 5 s on.
    let rs = rows("loss-vs-processing-time");
    let share = |ms: u64| row(&rs, &ms.to_string(), None).lost_share_per_mille;
    assert_eq!(share(0), 0);
    assert_eq!(share(2000), 400, "2 s of 5: 40 %");
    assert_eq!(share(1000), 200);
    for s in [5000, 6000, 7000] {
        assert_eq!(share(s), 1000, "{s} ms");
    }
    let mut last = 0;
    for r in &rs {
        assert!(
            r.lost_share_per_mille >= last,
            "rises with processing time: {rs:#?}"
        );
        last = r.lost_share_per_mille;
    }
    // The marked point: the lab as literally run loses it.
    let (_, lab) = experiment("loss-vs-processing-time")
        .unwrap()
        .marked
        .unwrap();
    assert!(RunResult::of(lab).lost() >= 1);
}

#[test]
fn committing_costs_a_round_trip_per_synchronous_commit() {
    let rs = rows("commit-cost");
    let pps = |v: &str, rtt: u64| row(&rs, v, Some(rtt)).payments_per_s_centi / 100;
    // 1 ms of processing and a 5 ms round trip: about 170 payments/s committed one by one
    // (a real librdkafka client against an in-process broker emulating 5 ms: about 180).
    let sync5 = pps("sync-each", 5);
    assert!((140..=200).contains(&sync5), "{sync5}");
    assert!(pps("sync-each", 1) > 2 * pps("sync-each", 40));
    for rtt in [1, 5, 40] {
        assert!(pps("async-each", rtt) > pps("sync-each", rtt), "rtt {rtt}");
        assert!(pps("batch-10", rtt) > pps("sync-each", rtt), "rtt {rtt}");
        assert!(pps("none", rtt) >= pps("async-each", rtt), "rtt {rtt}");
        assert!(row(&rs, "sync-each", Some(rtt)).sync_commit_wait_ms > 0);
        assert_eq!(row(&rs, "async-each", Some(rtt)).sync_commit_wait_ms, 0);
    }
    assert!(pps("async-each", 40) > 3 * pps("sync-each", 40));
    // One commit request per payment when committing each.
    assert_eq!(
        row(&rs, "sync-each", Some(5)).commits_per_1000_payments,
        1000
    );
}

#[test]
fn commit_before_processing_loses_after_processing_duplicates() {
    let rs = rows("commit-before-or-after");
    let before = row(&rs, "before", None);
    let after = row(&rs, "sync-each", None);
    assert!(
        before.lost_share_per_mille > 0 && before.duplicated_centi == 0,
        "{before:?}"
    );
    assert!(
        after.lost_share_per_mille == 0 && after.duplicated_centi > 0,
        "{after:?}"
    );
    assert!(before.runs > 50 && after.runs > 50);
}

#[test]
fn offsets_in_the_database_never_duplicate() {
    let rs = rows("offsets-in-kafka-or-db");
    let kafka = row(&rs, "ledger", None);
    let db = row(&rs, "database", None);
    assert!(kafka.duplicated_centi > 0, "{kafka:?}");
    assert_eq!(
        (db.duplicated_centi, db.lost_share_per_mille),
        (0, 0),
        "{db:?}"
    );
}

#[test]
fn prove_the_naive_auto_commit_program_loses_under_some_crash() {
    let p = Proof::new(&preset("step1-autocommit-sleep7").unwrap(), 0).unwrap();
    let r = p.run();
    assert!(r.losing > 0, "{}", r.text());
    assert!(r.text().contains("lost under"), "{}", r.text());
}

#[test]
fn prove_commit_after_processing_is_loss_free_but_duplicates() {
    let p = Proof::new(&preset("step2-manual-commit").unwrap(), 0).unwrap();
    let r = p.run();
    assert_eq!(
        r.losing,
        0,
        "{:#?}",
        r.runs
            .iter()
            .filter(|x| !x.lost.is_empty())
            .collect::<Vec<_>>()
    );
    assert!(r.duplicating > 0);
    assert!(
        r.text()
            .starts_with("No payment lost under any single disturbance"),
        "{}",
        r.text()
    );
}

#[test]
fn prove_idempotent_and_transactional_sinks_lose_and_duplicate_nothing() {
    for name in ["refunds-idempotent", "refunds-transactional"] {
        let p = Proof::new(&preset(name).unwrap(), 0).unwrap();
        let r = p.run();
        let bad: Vec<_> = r
            .runs
            .iter()
            .filter(|x| !x.lost.is_empty() || !x.duplicated.is_empty())
            .map(|x| &x.text)
            .collect();
        assert_eq!((r.losing, r.duplicating), (0, 0), "{name}: {bad:#?}");
        assert_eq!(r.explored, p.disturbances.len(), "{name}: every run valid");
    }
}

#[test]
fn the_explored_space_is_what_the_result_says() {
    let base = preset("step2-manual-commit").unwrap();
    let p = Proof::new(&base, 0).unwrap();
    // Five program points (the program commits) × three kinds per message, a crash of each kind
    // at each of ten moments of a cycle, a joiner at each point reached, a stall per message.
    let n = p.messages as usize;
    let crashes = p
        .disturbances
        .iter()
        .filter(|d| matches!(d, Disturbance::Crash { .. }))
        .count();
    assert_eq!(crashes, n * 5 * KINDS.len());
    let timed = p
        .disturbances
        .iter()
        .filter(|d| matches!(d, Disturbance::CrashAt { .. }))
        .count();
    assert_eq!(timed, TIME_SLICES as usize * KINDS.len());
    let stalls = p
        .disturbances
        .iter()
        .filter(|d| matches!(d, Disturbance::Stall { .. }))
        .count();
    assert_eq!(stalls, n);
    let joiners = p
        .disturbances
        .iter()
        .filter(|d| matches!(d, Disturbance::Joiner { .. }))
        .count();
    assert!(joiners >= n * 3, "{joiners}");
    let r = p.run();
    assert_eq!(r.runs.len(), p.disturbances.len());
    assert_eq!(
        r.explored + r.runs.iter().filter(|x| x.invalid.is_some()).count(),
        r.runs.len()
    );
    assert_eq!(
        r.clean
            + r.runs
                .iter()
                .filter(|x| x.invalid.is_none() && (!x.lost.is_empty() || !x.duplicated.is_empty()))
                .count(),
        r.explored
    );
    // Each run is its disturbance: a kill at after_effect of message 2 is the preset's own crash.
    let own = r
        .runs
        .iter()
        .find(|x| {
            matches!(
                x.disturbance,
                Disturbance::Crash {
                    message: 2,
                    kind: CrashKind::SysExit,
                    point: offset_lab_sim::scenario::ProgramPoint::AfterEffect
                }
            )
        })
        .unwrap();
    assert_eq!(own.duplicated, vec![1], "P-0002, as in the preset");
}

#[test]
fn a_batch_runs_a_few_at_a_time_and_can_stop() {
    let e = experiment("loss-vs-processing-time").unwrap();
    let plan = e.sweep.plan(&e.base).unwrap();
    let mut b = Batch::new(plan.variants.clone());
    b.advance(1);
    assert_eq!(b.done(), 1, "at least one run per call");
    b.advance(1);
    assert_eq!(b.done(), 2);
    let mut calls = 0;
    let finished = b.run_in_slices(1, |done, total| {
        calls += 1;
        assert!(done <= total);
        calls < 2
    });
    assert!(
        !finished && b.done() == 4 && b.done() < b.len(),
        "{}",
        b.done()
    );
    let _ = Value::Num(1);
}
