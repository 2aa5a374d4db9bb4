//! Every lesson gets its key moment, computed by the core from the trace.

use offset_lab_sim::moments::{MomentKind, body, current, first_between, moments};
use offset_lab_sim::scenario::CrashKind;
use offset_lab_sim::{Timeline, preset};

fn timeline(name: &str) -> Timeline {
    Timeline::new(preset(name).unwrap()).unwrap()
}

fn firsts(tl: &Timeline) -> Vec<MomentKind> {
    moments(tl)
        .iter()
        .filter(|m| m.first)
        .map(|m| m.kind)
        .collect()
}

#[test]
fn sleep7_has_moments_1_2_3_and_5_in_order() {
    let tl = timeline("step1-autocommit-sleep7");
    let ms = moments(&tl);
    // Every later payment is at risk too (7 s of processing always spans a tick).
    assert_eq!(
        ms.iter().filter(|m| m.kind == MomentKind::AtRisk).count(),
        3
    );
    assert_eq!(
        firsts(&tl),
        vec![
            MomentKind::AtRisk,
            MomentKind::DiedWithoutClose,
            MomentKind::SessionExpired,
            MomentKind::Resumed,
            MomentKind::Outcome
        ]
    );
    for m in &ms {
        let (text, _) = body(&tl, *m, &tl.world_at(m.cursor()));
        assert!(!text.is_empty(), "{m:?}");
    }
}

#[test]
fn resuming_past_an_unrecorded_payment_names_it_lost() {
    // F.1: with S = 7 s the restarted consumer resumes past P-0001.
    let tl = timeline("step1-autocommit-sleep7");
    let m = moments(&tl)
        .into_iter()
        .find(|m| m.kind == MomentKind::Resumed)
        .unwrap();
    let (_, extra) = body(&tl, m, &tl.world_at(m.cursor()));
    let extra = extra.unwrap();
    assert!(
        extra.contains("P-0001") && extra.contains("lost"),
        "{extra}"
    );
}

#[test]
fn manual_commit_resumes_into_a_duplicate() {
    let tl = timeline("step2-manual-commit");
    let ms = moments(&tl);
    let resumed = ms.iter().find(|m| m.kind == MomentKind::Resumed).unwrap();
    let (_, extra) = body(&tl, *resumed, &tl.world_at(resumed.cursor()));
    assert!(extra.unwrap().contains("P-0002"));
    assert!(ms.iter().any(|m| m.kind == MomentKind::Duplicate));
    assert!(!ms.iter().any(|m| m.kind == MomentKind::AtRisk));
}

#[test]
fn close_with_auto_commit_off_is_not_called_a_commit() {
    // B11: librdkafka's close() commits only with enable.auto.commit on.
    let mut s = preset("step2-manual-commit").unwrap();
    s.consumers[0].crashes[0].kind = CrashKind::Close;
    let tl = Timeline::new(s).unwrap();
    let m = moments(&tl)
        .into_iter()
        .find(|m| m.kind.number() == 4)
        .unwrap();
    assert_eq!(m.kind, MomentKind::CloseLeaves);
    let (text, _) = body(&tl, m, &tl.world_at(m.cursor()));
    assert!(text.contains("commits nothing"), "{text}");
    assert!(firsts(&timeline("pitfall-close-in-finally")).contains(&MomentKind::CloseCommits));
}

#[test]
fn every_lesson_has_its_moment() {
    let cases = [
        ("step4-transient-retry", MomentKind::Retried),
        ("step4-invalid-skip", MomentKind::Skipped),
        ("step4-invalid-dead-letter", MomentKind::DeadLettered),
        ("step4-invalid-stop", MomentKind::Stopped),
        ("step4-partial-batch", MomentKind::PartialBatch),
        ("step3-batch5-fail-at-3", MomentKind::PartialBatch),
        ("exp2-async-commits", MomentKind::LateCommitResult),
        ("exp2-async-retry", MomentKind::OffsetBackwards),
        ("pitfall-maxpoll-rebalance", MomentKind::MaxPollExceeded),
        ("pitfall-close-in-finally", MomentKind::CloseCommits),
        ("step1-autocommit-sleep7", MomentKind::AtRisk),
    ];
    for (name, kind) in cases {
        let tl = timeline(name);
        let ms = moments(&tl);
        let m = ms.iter().find(|m| m.kind == kind);
        assert!(
            m.is_some_and(|m| m.first),
            "{name}: no {kind:?} in {:?}",
            firsts(&tl)
        );
        let m = m.unwrap();
        let (text, _) = body(&tl, *m, &tl.world_at(m.cursor()));
        assert!(!text.is_empty(), "{name}: {kind:?} has no explanation");
        // Playback stops there.
        assert!(first_between(&ms, 0, tl.events.len()).is_some());
    }
}

#[test]
fn a_dead_lettered_payment_committed_past_is_not_at_risk() {
    let tl = timeline("step4-invalid-dead-letter");
    assert!(moments(&tl).iter().all(|m| m.kind != MomentKind::AtRisk));
}

#[test]
fn the_async_result_says_how_far_the_program_went_on() {
    let tl = timeline("exp2-async-commits");
    let m = moments(&tl)
        .into_iter()
        .find(|m| m.kind == MomentKind::LateCommitResult)
        .unwrap();
    let (_, extra) = body(&tl, m, &tl.world_at(m.cursor()));
    assert!(extra.unwrap().contains("went on without waiting"));
}

#[test]
fn current_and_first_between_follow_the_cursor() {
    let tl = timeline("step1-autocommit-sleep7");
    let ms = moments(&tl);
    assert_eq!(current(&ms, 0), None);
    let first = ms[0];
    assert_eq!(current(&ms, first.ix), None);
    assert_eq!(current(&ms, first.cursor()), Some(first));
    assert_eq!(
        current(&ms, tl.events.len()).map(|m| m.kind),
        Some(MomentKind::Outcome)
    );
    assert_eq!(first_between(&ms, 0, tl.events.len()), Some(first));
    assert_eq!(first_between(&ms, first.cursor(), first.cursor()), None);
}

#[test]
#[ignore = "prints the moments of every preset"]
fn print_moments() {
    for name in offset_lab_sim::preset_names() {
        let tl = timeline(name);
        let ms: Vec<String> = moments(&tl)
            .iter()
            .filter(|m| m.first)
            .map(|m| format!("{:?}@{}", m.kind, tl.events[m.ix].at_ms))
            .collect();
        println!("{name}: {}", ms.join(" "));
    }
}
