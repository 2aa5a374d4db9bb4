//! Every preset, run to its end, with the teaching point it exists for.

mod common;

use offset_lab_sim::Offset;
use offset_lab_sim::scenario::{preset, preset_names};
use offset_lab_sim::trace::{CommitSource, EventKind, KafkaError, TraceEvent};
use offset_lab_sim::{Summary, Timeline, Verdict};

fn run(name: &str) -> Timeline {
    Timeline::new(preset(name).unwrap_or_else(|e| panic!("{name}: {e}"))).unwrap()
}

fn summary(t: &Timeline) -> Summary {
    t.final_world.summary()
}

fn verdicts(t: &Timeline) -> Vec<Verdict> {
    t.final_world.outcomes().iter().map(|o| o.outcome).collect()
}

fn find_kind(t: &Timeline, pred: impl Fn(&EventKind) -> bool) -> Vec<&TraceEvent> {
    t.events.iter().filter(|e| pred(&e.kind)).collect()
}

fn count(t: &Timeline, pred: impl Fn(&EventKind) -> bool) -> usize {
    t.events.iter().filter(|e| pred(&e.kind)).count()
}

const fn s(once: u32, duplicated: u32, lost: u32, pending: u32) -> Summary {
    Summary {
        once,
        duplicated,
        lost,
        pending,
        skipped: 0,
        dead_lettered: 0,
    }
}

#[test]
fn every_preset_is_listed_and_valid() {
    let names: Vec<&str> = preset_names().collect();
    assert!(names.len() >= 24, "{names:?}");
    for n in names {
        let sc = preset(n).unwrap();
        assert_eq!(sc.name, n, "a preset's name matches its file");
        assert!(
            !sc.title.is_empty() && sc.description.len() > 80,
            "{n} explains itself"
        );
    }
}

#[test]
fn step1_sleep7_loses_the_payment_the_timer_committed() {
    let t = run("step1-autocommit-sleep7");
    assert_eq!(verdicts(&t)[0], Verdict::Lost);
    assert_eq!(summary(&t), s(2, 0, 1, 0));
    assert!(count(&t, |k| matches!(k, EventKind::AtRisk { payment: 0, .. })) == 1);
}

#[test]
fn step1_sleep2_with_a_running_group_redelivers() {
    assert_eq!(summary(&run("step1-autocommit-sleep2")), s(3, 0, 0, 0));
}

#[test]
fn step1_as_the_lab_runs_it_loses_even_with_sleep2() {
    let t = run("step1-lab-literal");
    assert_eq!(
        verdicts(&t)[0],
        Verdict::Lost,
        "the 3 s initial delay puts the first tick inside the sleep"
    );
}

#[test]
fn step1_phase_explorer_starts_in_a_losing_phase() {
    // Produced at 23.5 s: the poll is at ≈ 23.5 s, phase 3.5 s ∈ (3, 5): the 25 s tick is inside.
    assert_eq!(verdicts(&run("step1-phase-explorer"))[0], Verdict::Lost);
}

#[test]
fn java_client_redelivers_where_librdkafka_loses() {
    let t = run("java-autocommit-sleep7");
    assert_eq!(
        summary(&t),
        s(3, 0, 0, 0),
        "D2: no commit happens during the sleep"
    );
}

#[test]
fn step2_crash_before_commit_duplicates_never_loses() {
    let t = run("step2-manual-commit");
    assert_eq!(summary(&t), s(4, 1, 0, 0));
    assert_eq!(verdicts(&t)[1], Verdict::Duplicated);
}

#[test]
fn step2_crash_after_commit_costs_nothing() {
    assert_eq!(summary(&run("step2-crash-after-commit")), s(5, 0, 0, 0));
}

#[test]
fn step3_duplicates_exactly_the_payments_before_the_failed_one() {
    let t = run("step3-batch5-fail-at-3");
    let v = verdicts(&t);
    assert_eq!(&v[..2], &[Verdict::Duplicated, Verdict::Duplicated]);
    assert!(v[2..].iter().all(|v| *v == Verdict::Once));
    assert_eq!(summary(&t), s(8, 2, 0, 0));
}

#[test]
fn step4_transient_failure_is_retried_to_success() {
    let t = run("step4-transient-retry");
    assert_eq!(summary(&t), s(6, 0, 0, 0));
    assert_eq!(
        count(&t, |k| matches!(
            k,
            EventKind::ProcessingFailed {
                retry_at_ms: Some(_),
                ..
            }
        )),
        2
    );
}

#[test]
fn step4_invalid_payment_skip_dead_letter_or_stop() {
    let skip = summary(&run("step4-invalid-skip"));
    assert_eq!((skip.once, skip.skipped, skip.lost), (5, 1, 0));
    let dlq = run("step4-invalid-dead-letter");
    assert_eq!((summary(&dlq).once, summary(&dlq).dead_lettered), (5, 1));
    assert_eq!(dlq.final_world.sink.dead_letters.len(), 1);
    let stop = summary(&run("step4-invalid-stop"));
    assert_eq!(
        (stop.once, stop.pending),
        (2, 4),
        "the partition stalls behind P-0003"
    );
}

#[test]
fn step4_partial_batch_completes_around_the_bad_payment() {
    let t = run("step4-partial-batch");
    let sm = summary(&t);
    assert_eq!(
        (sm.once, sm.dead_lettered, sm.duplicated, sm.lost),
        (9, 1, 0, 0)
    );
}

#[test]
fn exp1_commit_before_processing_is_at_most_once() {
    let t = run("exp1-commit-before-processing");
    assert_eq!(verdicts(&t)[1], Verdict::Lost);
    assert_eq!(summary(&t).duplicated, 0);
}

/// The committed offsets of partition 0 in the order they landed.
fn landed(t: &Timeline) -> Vec<i64> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::CommitApplied { offsets, .. } => Some(offsets[0].1.0),
            _ => None,
        })
        .collect()
}

#[test]
fn exp2_async_commits_are_faster_land_in_order_and_report_later() {
    let sync = run("exp2-sync-commits").report();
    let asy = run("exp2-async-commits");
    let ar = asy.report();
    assert_eq!(sync.summary, s(100, 0, 0, 0));
    assert_eq!(ar.summary, s(100, 0, 0, 0));
    assert!(
        ar.metrics.payments_per_s > 2.5 * sync.metrics.payments_per_s,
        "{} vs {}",
        ar.metrics.payments_per_s,
        sync.metrics.payments_per_s
    );
    // A5: delayed by up to 150 ms, yet in order: the committed offset never goes backwards.
    let l = landed(&asy);
    assert_eq!(l.len(), 100);
    assert!(l.windows(2).all(|w| w[0] < w[1]), "{l:?}");
    // B6: each result reaches on_commit in a later poll(), after the program moved on.
    let sent: Vec<(u32, u64)> = asy
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CommitSent { id, .. } => Some((id, e.at_ms)),
            _ => None,
        })
        .collect();
    let callbacks = find_kind(&asy, |k| matches!(k, EventKind::CommitCallback { .. }));
    assert!(callbacks.len() >= 90, "{}", callbacks.len());
    for e in callbacks {
        let EventKind::CommitCallback { id, .. } = e.kind else {
            unreachable!()
        };
        let at = sent.iter().find(|(i, _)| *i == id).unwrap().1;
        assert!(
            e.at_ms >= at + 40,
            "on_commit #{id} at {} for a commit sent at {at}",
            e.at_ms
        );
    }
}

#[test]
fn exp2_async_crash_replays_what_was_not_committed() {
    let t = run("exp2-async-crash");
    assert_eq!(summary(&t).lost, 0);
    assert_eq!(verdicts(&t)[59], Verdict::Duplicated);
    assert_eq!(summary(&t).duplicated, 1);
}

#[test]
fn exp2_async_retry_moves_the_offset_back_and_replays_three() {
    let t = run("exp2-async-retry");
    let l = landed(&t);
    let back = l
        .windows(2)
        .position(|w| w[1] < w[0])
        .expect("went backwards");
    assert_eq!((l[back], l[back + 1]), (100, 97), "{l:?}");
    // B7: the one that went back is the retry of a commit refused with REQUEST_TIMED_OUT.
    assert_eq!(
        count(&t, |k| matches!(k, EventKind::CommitRejected { .. })),
        1
    );
    let v = verdicts(&t);
    assert_eq!(summary(&t).lost, 0);
    assert_eq!(summary(&t).duplicated, 3);
    assert!(
        v[97..100].iter().all(|v| *v == Verdict::Duplicated),
        "{v:?}"
    );
}

#[test]
fn exp3_offsets_in_kafka_duplicate_offsets_in_the_database_do_not() {
    assert_eq!(summary(&run("exp3-offsets-in-kafka")), s(4, 1, 0, 0));
    let db = run("exp3-offsets-in-db");
    assert_eq!(summary(&db), s(5, 0, 0, 0));
    assert!(db.events.iter().any(|e| matches!(
        e.kind,
        EventKind::StartOffset {
            from: offset_lab_sim::trace::StartFrom::Database,
            offset: Offset(2),
            ..
        }
    )));
}

#[test]
fn pitfall_maxpoll_rebalance_processes_the_stalled_payment_twice() {
    let t = run("pitfall-maxpoll-rebalance");
    assert_eq!(verdicts(&t)[4], Verdict::Duplicated);
    assert_eq!(summary(&t).lost, 0);
    assert_eq!(count(&t, |k| matches!(k, EventKind::MaxPollExceeded)), 1);
    assert_eq!(
        count(&t, |k| matches!(
            k,
            EventKind::CommitRejected {
                error: KafkaError::UnknownMemberId,
                ..
            }
        )),
        1
    );
    assert!(count(&t, |k| matches!(k, EventKind::Revoked { lost: true, .. })) >= 1);
}

#[test]
fn pitfall_close_in_finally_turns_redelivery_into_loss() {
    let t = run("pitfall-close-in-finally");
    assert_eq!(verdicts(&t)[0], Verdict::Lost);
    assert_eq!(
        count(&t, |k| matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Close,
                ..
            }
        )),
        1
    );
}

#[test]
fn pitfall_exactly_once_assumption_doubles_a_refund() {
    let t = run("pitfall-exactly-once-assumption");
    assert_eq!(summary(&t).duplicated, 1);
    assert_eq!(
        t.final_world.sink.outputs.len(),
        6,
        "six refunds for five payments"
    );
}

#[test]
fn refunds_idempotent_sink_redelivers_without_double_effect() {
    let t = run("refunds-idempotent");
    assert_eq!(summary(&t), s(5, 0, 0, 0));
    assert_eq!(
        t.final_world.sink.deliveries[1], 2,
        "P-0002 was delivered twice"
    );
    assert_eq!(
        count(&t, |k| matches!(
            k,
            EventKind::EffectDeduplicated { payment: 1, .. }
        )),
        1
    );
}

#[test]
fn refunds_transactional_aborts_and_commits_once() {
    let t = run("refunds-transactional");
    assert_eq!(summary(&t), s(10, 0, 0, 0));
    assert_eq!(
        count(&t, |k| matches!(k, EventKind::TransactionAborted { .. })),
        1
    );
    let aborted = t
        .final_world
        .sink
        .outputs
        .iter()
        .filter(|o| o.state == offset_lab_sim::world::OutputState::Aborted)
        .count();
    assert_eq!(
        aborted, 2,
        "the refunds of P-0006 and P-0007 were never visible"
    );
}

#[test]
fn refunds_scale_out_misses_and_doubles_nothing() {
    let t = run("refunds-scale-out");
    let sm = summary(&t);
    assert_eq!(
        (sm.once, sm.duplicated, sm.lost, sm.pending),
        (120, 0, 0, 0)
    );
    // Cooperative-sticky: some rebalance revokes only part of an assignment.
    let partial = t.events.iter().any(|e| matches!(&e.kind, EventKind::Revoked { partitions, lost: false } if !partitions.is_empty() && partitions.len() < 6));
    assert!(partial);
    assert!(
        count(&t, |k| matches!(k, EventKind::SessionExpired { .. })) >= 1,
        "the killed consumer is expired"
    );
}

#[test]
fn why_tells_each_cause_once() {
    let t = run("step1-autocommit-sleep7");
    let story = t.why(0).unwrap();
    assert_eq!(story.verdict, Verdict::Lost);
    let texts: Vec<&str> = story.causes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts.iter().filter(|t| t.contains("past P-0001")).count(),
        1,
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("sys.exit(1)")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("never be delivered again")),
        "{texts:#?}"
    );
    let dup = run("step2-manual-commit").why(1).unwrap();
    assert_eq!(dup.verdict, Verdict::Duplicated);
    assert_eq!(
        dup.causes
            .iter()
            .filter(|c| c.text.contains("recorded P-0002"))
            .count(),
        2
    );
}

#[test]
fn a_dead_lettered_payment_is_never_at_risk() {
    let t = run("step4-invalid-dead-letter");
    assert_eq!(
        count(&t, |k| matches!(k, EventKind::AtRisk { payment: 2, .. })),
        0
    );
}
