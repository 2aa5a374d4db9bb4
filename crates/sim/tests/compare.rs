//! The same scenario under both clients, and the rule that explains the difference.

use offset_lab_sim::compare::{Difference, compare_clients};
use offset_lab_sim::scenario::{ClientModel, CrashKind, CrashPoint, ProgramPoint};
use offset_lab_sim::{Timeline, preset, preset_names};

fn timeline(name: &str) -> Timeline {
    Timeline::new(preset(name).unwrap()).unwrap()
}

#[test]
fn step1_loses_under_librdkafka_and_not_under_java() {
    let c = compare_clients(&timeline("step1-autocommit-sleep7"));
    assert_eq!(c.rows[0].client, ClientModel::Librdkafka);
    assert!(c.rows[0].current && !c.rows[1].current);
    let (r, j) = (
        c.rows[0].summary.clone().unwrap(),
        c.rows[1].summary.clone().unwrap(),
    );
    assert_eq!(r.lost, 1);
    assert_eq!(j.lost, 0, "D2: Java commits from the program's thread");
    assert_eq!(
        c.difference,
        Difference::AutoCommitTiming {
            librdkafka_loses_more: true
        }
    );
    let text = c.difference.text();
    assert!(text.contains("(B5)") && text.contains("(D2)"), "{text}");
}

#[test]
fn the_java_preset_lists_librdkafka_first_and_is_the_current_row_second() {
    let c = compare_clients(&timeline("java-autocommit-sleep7"));
    assert_eq!(c.rows[0].client, ClientModel::Librdkafka);
    assert!(c.rows[1].current);
    assert_eq!(c.rows[1].summary.as_ref().unwrap().lost, 0);
}

#[test]
fn with_auto_commit_off_a_difference_in_batches_is_named() {
    // Step 2 with a second crash: Java's poll() took all five payments at once (D6).
    let mut sc = preset("step2-manual-commit").unwrap();
    let mut cp = sc.consumers[0].crashes[0].clone();
    cp.message = Some(3);
    cp.point = Some(ProgramPoint::DuringProcessing);
    sc.consumers[0].crashes.push(cp);
    let c = compare_clients(&Timeline::new(sc).unwrap());
    assert_ne!(c.rows[0].summary, c.rows[1].summary);
    assert_eq!(
        c.difference,
        Difference::BatchSize {
            asked: 1,
            java: 500
        }
    );
    let text = c.difference.text();
    assert!(
        text.contains("one message at a time") && text.contains("(D6)"),
        "{text}"
    );
}

#[test]
fn the_rule_is_found_on_any_consumer_not_only_the_first() {
    // The second consumer auto-commits and exits through finally; the first does neither.
    let mut sc = preset("refunds-scale-out").unwrap();
    for c in &mut sc.consumers {
        c.config.enable_auto_commit = false;
        c.program.close_in_finally = false;
        c.crashes.clear();
    }
    let c1 = &mut sc.consumers[1];
    c1.config.enable_auto_commit = true;
    c1.config.enable_auto_offset_store = true;
    c1.program
        .per_message
        .retain(|s| *s == offset_lab_sim::scenario::MessageStep::Process);
    c1.program.after.clear();
    c1.program.before.clear();
    c1.program.close_in_finally = true;
    c1.program.processing_ms = 3000;
    c1.crashes = vec![CrashPoint {
        at_ms: None,
        point: Some(ProgramPoint::DuringProcessing),
        message: Some(1),
        kind: CrashKind::SysExit,
        restart_after_ms: None,
    }];
    let tl = Timeline::new(sc).unwrap();
    let c = compare_clients(&tl);
    assert_ne!(c.rows[0].summary, c.rows[1].summary, "{:?}", c.rows);
    assert_eq!(c.difference, Difference::ExitThroughFinally);
}

#[test]
fn every_preset_compares_and_explains() {
    for name in preset_names() {
        let c = compare_clients(&timeline(name));
        let text = c.difference.text();
        assert!(text.ends_with('.'), "{name}: {text}");
    }
}
