//! What a program does when a payment of a batch fails (`on_batch_failure`): stop, read the
//! batch again (`replay_batch`), or commit the processed prefix and read again from the failed
//! payment (`commit_prefix`); both with real client calls, `commit(offsets=…)` (A1, B6) and
//! `seek()` (B8; Java D1), after the payment's own retries and failure action.

mod common;

use common::*;
use offset_lab_sim::scenario::*;
use offset_lab_sim::sweep::prove::Proof;
use offset_lab_sim::trace::{CommitSource, EventKind};
use offset_lab_sim::{Offset, Partition, Scenario, Timeline, Verdict};

/// Ten payments in batches of 5, auto-commit off, `commit()` after the batch; P-0003's first
/// attempt fails with a network error, and the program does not retry it.
fn batch(mode: OnBatchFailure) -> Scenario {
    let mut s = one_consumer(10, 500);
    let c = &mut s.consumers[0];
    c.config.enable_auto_commit = false;
    c.program.poll.max_messages = 5;
    c.program.after = vec![BatchStep::Commit {
        asynchronous: false,
    }];
    c.program.on_batch_failure = mode;
    s.faults = vec![Fault::FailPayment {
        payment: 3,
        attempts: 1,
    }];
    s
}

fn seeks(t: &Timeline) -> Vec<(Partition, Offset)> {
    find(t, |k| matches!(k, EventKind::Seeked { .. }))
        .iter()
        .map(|e| match e.kind {
            EventKind::Seeked { partition, offset } => (partition, offset),
            _ => unreachable!(),
        })
        .collect()
}

fn verdicts(t: &Timeline) -> Vec<Verdict> {
    t.final_world.outcomes().iter().map(|o| o.outcome).collect()
}

fn polls(t: &Timeline) -> Vec<Vec<u32>> {
    find(t, |k| matches!(k, EventKind::Polled { .. }))
        .iter()
        .map(|e| match &e.kind {
            EventKind::Polled { payments } => payments.clone(),
            _ => unreachable!(),
        })
        .collect()
}

#[test]
fn stop_is_the_default_and_ends_the_program() {
    let t = run(batch(OnBatchFailure::Stop));
    assert_eq!(
        find(&t, |k| matches!(k, EventKind::ProgramStopped { .. })).len(),
        1
    );
    assert!(seeks(&t).is_empty());
    assert_eq!(
        verdict(&t, 2),
        Verdict::Pending,
        "P-0003 stalls the partition"
    );
    assert_eq!(verdict(&t, 9), Verdict::Pending);
}

#[test]
fn b8_replay_batch_seeks_to_the_batch_start_and_duplicates_the_processed_prefix() {
    let t = run(batch(OnBatchFailure::ReplayBatch));
    assert_eq!(seeks(&t), vec![(Partition(0), Offset(0))]);
    assert_eq!(polls(&t)[..2], [vec![0, 1, 2, 3, 4], vec![0, 1, 2, 3, 4]]);
    let v = verdicts(&t);
    assert_eq!(v[..2], [Verdict::Duplicated, Verdict::Duplicated], "{v:?}");
    assert!(v[2..].iter().all(|x| *x == Verdict::Once), "{v:?}");
    // The steps after the loop do not run for the failed batch: one commit per batch read to
    // its end.
    let manual = find(&t, |k| {
        matches!(
            k,
            EventKind::CommitSent {
                source: CommitSource::Manual,
                ..
            }
        )
    });
    assert_eq!(manual.len(), 2);
    // Why P-0001 is a duplicate: the program's own seek, not a crash.
    let story = t.why(0).unwrap();
    assert!(
        story
            .summary
            .contains("sought back to the start of its batch after a payment failed"),
        "{}",
        story.summary
    );
    assert!(
        story
            .causes
            .iter()
            .any(|c| c.decisive && c.text.contains("sought back to offset 0")),
        "{:?}",
        story.causes
    );
    // An idempotent sink absorbs the replay.
    let mut s = batch(OnBatchFailure::ReplayBatch);
    s.sink.kind = SinkKind::Idempotent;
    let t = run(s);
    assert!(verdicts(&t).iter().all(|x| *x == Verdict::Once));
}

#[test]
fn a1_b6_commit_prefix_neither_loses_nor_duplicates_the_prefix() {
    let t = run(batch(OnBatchFailure::CommitPrefix));
    // The prefix P-0001, P-0002 is committed as offset 2, the next to read (A1), by an explicit
    // synchronous commit (B6); then the partition is sought to the failed payment.
    let i = t
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::ProcessingFailed { .. }))
        .unwrap();
    let after: Vec<String> = t.events[i + 1..i + 4].iter().map(|e| e.line()).collect();
    assert!(
        after[0].ends_with("commit-sent #1 manual sync p0=2")
            && after[1].ends_with("committed #1 manual p0=2")
            && after[2].ends_with("seeked p0=2"),
        "{after:#?}"
    );
    assert_eq!(polls(&t)[1][0], 2, "the next poll starts at P-0003");
    assert!(
        verdicts(&t).iter().all(|x| *x == Verdict::Once),
        "{:?}",
        verdicts(&t)
    );
}

#[test]
fn commit_prefix_seeks_every_partition_of_the_batch_to_its_first_payment_not_handled() {
    // Two partitions, round-robin: one batch of 4 holds P-0001, P-0003 (p0) then P-0002,
    // P-0004 (p1). P-0003 fails after P-0001 was handled: p0's prefix is committed (1) and p0
    // sought to P-0003; p1 has nothing handled yet and goes back to its first offset.
    let mut s = batch(OnBatchFailure::CommitPrefix);
    s.topic.partitions = 2;
    s.topic.payments.count = 4;
    s.consumers[0].program.poll.max_messages = 4;
    let t = run(s.clone());
    assert_eq!(polls(&t)[0], vec![0, 2, 1, 3]);
    assert_eq!(
        seeks(&t),
        vec![(Partition(0), Offset(1)), (Partition(1), Offset(0))]
    );
    assert!(verdicts(&t).iter().all(|x| *x == Verdict::Once));
    s.consumers[0].program.on_batch_failure = OnBatchFailure::ReplayBatch;
    let t = run(s);
    assert_eq!(
        seeks(&t),
        vec![(Partition(0), Offset(0)), (Partition(1), Offset(0))]
    );
    assert_eq!(verdict(&t, 0), Verdict::Duplicated);
}

#[test]
fn retries_and_the_failure_action_come_first() {
    // A retry that succeeds: the batch handler never runs.
    let mut s = batch(OnBatchFailure::ReplayBatch);
    s.consumers[0].program.retry.attempts = 2;
    let t = run(s);
    assert!(seeks(&t).is_empty());
    assert!(verdicts(&t).iter().all(|x| *x == Verdict::Once));
    // Dead-lettered when the retries are used up: handled in the loop, the batch goes on.
    let mut s = batch(OnBatchFailure::CommitPrefix);
    s.consumers[0].program.retry.on_exhausted = FailureAction::DeadLetter;
    let t = run(s);
    assert!(seeks(&t).is_empty());
    assert_eq!(verdict(&t, 2), Verdict::DeadLettered);
}

#[test]
fn an_invalid_payment_the_program_lets_through_is_read_again_and_again() {
    // on_invalid: stop, caught around the loop: P-0003 can never succeed, so the program seeks
    // back to it after every attempt. Nothing is lost or stopped, but the partition stalls.
    let mut s = batch(OnBatchFailure::CommitPrefix);
    s.faults.clear();
    s.topic.payments.invalid = vec![3];
    s.duration_ms = 20_000;
    assert!(s.liveness().failure_can_loop);
    let t = run(s);
    assert!(seeks(&t).len() > 10, "{}", seeks(&t).len());
    assert!(find(&t, |k| matches!(k, EventKind::ProgramStopped { .. })).is_empty());
    let v = verdicts(&t);
    assert_eq!(v[..2], [Verdict::Once, Verdict::Once]);
    assert!(v[2..].iter().all(|x| *x == Verdict::Pending), "{v:?}");
    assert!(
        !batch(OnBatchFailure::CommitPrefix)
            .liveness()
            .failure_can_loop
    );
}

#[test]
fn b8_librdkafka_seek_leaves_the_stored_offset_d1_java_seek_moves_the_position() {
    // B8: after seek(), position() is INVALID and the stored offset is still the batch's end,
    // which poll() stored (B2): a commit() before the next poll() would still send it.
    let t = run(batch(OnBatchFailure::ReplayBatch));
    let at = t
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Seeked { .. }))
        .unwrap();
    let w = t.world_at(at + 1);
    let part = w.consumers[0].client.as_ref().unwrap().parts[0].clone();
    assert_eq!(
        (part.stored, part.app_pos, part.next),
        (Offset(5), Offset::INVALID, Offset(0))
    );
    // D1: Java's position becomes the offset sought, and that is what it commits.
    let mut s = batch(OnBatchFailure::ReplayBatch);
    s.client = ClientModel::Java;
    s.consumers[0].config.max_poll_records = 5;
    let t = run(s);
    let at = t
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Seeked { .. }))
        .unwrap();
    let w = t.world_at(at + 1);
    let part = w.consumers[0].client.as_ref().unwrap().parts[0].clone();
    assert_eq!((part.app_pos, part.next), (Offset(0), Offset(0)));
    assert_eq!(verdict(&t, 0), Verdict::Duplicated);
}

#[test]
fn commit_prefix_with_commits_after_processing_loses_nothing_under_any_single_crash() {
    // The proof's every single crash, rebalance and stall of the commit_prefix program with a
    // failing payment: no loss.
    let report = Proof::new(&batch(OnBatchFailure::CommitPrefix), 0)
        .unwrap()
        .run();
    assert_eq!(report.losing, 0, "{}", report.text());
    assert_eq!(
        report.runs.iter().filter(|r| r.invalid.is_some()).count(),
        0
    );
    // The same program replaying the batch: never a loss either, but every run duplicates
    // (the failure alone replays P-0001 and P-0002).
    let replay = Proof::new(&batch(OnBatchFailure::ReplayBatch), 0)
        .unwrap()
        .run();
    assert_eq!(replay.losing, 0);
    assert_eq!(replay.duplicating, replay.explored, "{}", replay.text());
    assert!(report.duplicating < report.explored, "{}", report.text());
}

#[test]
fn on_batch_failure_is_validated_and_serialized_only_when_set() {
    let plain = preset("step3-batch5-fail-at-3").unwrap();
    assert!(!plain.to_json().contains("on_batch_failure"));
    let s = batch(OnBatchFailure::CommitPrefix);
    assert!(
        s.to_json()
            .contains("\"on_batch_failure\": \"commit_prefix\"")
    );
    assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
    let mut one = s.clone();
    one.consumers[0].program.poll.max_messages = 1;
    let e = one.validate().unwrap_err();
    assert_eq!(e.path, "consumers[0].program.on_batch_failure", "{e}");
    assert!(e.message.contains("poll.max_messages"), "{e}");
    one.client = ClientModel::Java;
    one.consumers[0].config.max_poll_records = 1;
    let e = one.validate().unwrap_err();
    assert!(e.message.contains("max.poll.records"), "{e}");
    let mut txn = preset("refunds-transactional").unwrap();
    txn.consumers[0].program.on_batch_failure = OnBatchFailure::ReplayBatch;
    let e = txn.validate().unwrap_err();
    assert_eq!(e.path, "consumers[0].program.on_batch_failure", "{e}");
    assert!(e.message.contains("E1"), "{e}");
    let e =
        Scenario::from_json(&s.to_json().replace("commit_prefix", "retry_forever")).unwrap_err();
    assert_eq!(e.path, "consumers[0].program.on_batch_failure", "{e}");
}

#[test]
fn check_warns_of_a_handler_that_never_runs_and_of_a_poison_pill() {
    let warns = |s: Scenario| -> Vec<String> {
        offset_lab_sim::check::warnings(&run(s))
            .iter()
            .map(|w| w.to_string())
            .collect()
    };
    assert!(warns(batch(OnBatchFailure::CommitPrefix)).is_empty());
    let mut s = batch(OnBatchFailure::ReplayBatch);
    s.consumers[0].program.retry.on_exhausted = FailureAction::DeadLetter;
    s.consumers[0].program.on_invalid = FailureAction::Skip;
    let w = warns(s);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].starts_with("consumers[0].program.on_batch_failure: replay_batch never runs"));
    let mut s = batch(OnBatchFailure::CommitPrefix);
    s.topic.payments.invalid = vec![4];
    s.duration_ms = 10_000;
    let w = warns(s);
    assert!(
        w.iter()
            .any(|w| w.contains("P-0004 is invalid") && w.contains("stalls")),
        "{w:?}"
    );
}

#[test]
fn the_work_budget_bounds_a_program_that_reads_a_batch_again_and_again() {
    use offset_lab_sim::World;
    use std::sync::Arc;
    let steps = |s: &Scenario| {
        let mut w = World::new(Arc::new(s.clone()));
        while w.step() {
            w.take_events();
        }
        w.steps as u64
    };
    let mut cases = Vec::new();
    for mode in [OnBatchFailure::ReplayBatch, OnBatchFailure::CommitPrefix] {
        for processing_ms in [0, 7, 500] {
            // A poison pill: invalid, and the program lets it through.
            let mut s = batch(mode);
            s.faults.clear();
            s.topic.payments.invalid = vec![3];
            s.consumers[0].program.processing_ms = processing_ms;
            s.duration_ms = 20_000;
            cases.push(s.clone());
            // Failures drawn at random, retries used up.
            s.topic.payments.invalid.clear();
            s.faults = vec![Fault::TransientFailures { per_mille: 500 }];
            cases.push(s.clone());
            // Scripted failures, many attempts.
            s.faults = vec![
                Fault::FailPayment {
                    payment: 2,
                    attempts: 7,
                },
                Fault::FailPayment {
                    payment: 9,
                    attempts: 3,
                },
            ];
            cases.push(s);
        }
    }
    for s in cases {
        s.validate().unwrap();
        let (actual, estimate) = (steps(&s), s.estimate_work().steps);
        assert!(actual <= estimate, "{actual} > {estimate}\n{}", s.to_json());
        // Scripted failures end: every payment is handled within the liveness bound.
        if !s.liveness().failure_can_loop {
            let mut long = s.clone();
            long.duration_ms = 300_000;
            let checked = check_liveness(&run(long.clone()), &long.to_json());
            assert!(checked.drain, "{}", long.to_json());
        }
    }
}
