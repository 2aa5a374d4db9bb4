//! The lab's steps as challenges: each naive program fails its goal with a clear reason, and
//! the program a student builds from it with the controls (auto-commit, the commit strategy,
//! retries and the failure actions, the sink) meets it — proved over every single disturbance.

use offset_lab_sim::Scenario;
use offset_lab_sim::challenge::{CHALLENGES, ChallengeResult, challenge};
use offset_lab_sim::scenario::*;
use offset_lab_sim::sweep::prove::ProofReport;

fn attempt(id: &str, s: &Scenario) -> (ProofReport, ChallengeResult) {
    s.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
    challenge(id).unwrap().attempt(s).unwrap()
}

/// What the settings panel does: auto-commit off, and a commit strategy.
fn manual(mut s: Scenario, per_message: Vec<MessageStep>, after: Vec<BatchStep>) -> Scenario {
    for c in &mut s.consumers {
        c.config.enable_auto_commit = false;
        c.program.before.clear();
        c.program.per_message = per_message.clone();
        c.program.after = after.clone();
    }
    s
}

fn commit_each() -> Vec<MessageStep> {
    vec![MessageStep::Process, MessageStep::commit(true, false)]
}

#[test]
fn every_naive_program_fails_its_challenge_and_says_where() {
    let want = [
        ("step2", "P-0001 is lost under "),
        ("step3", " lost under "),
        (
            "step4",
            "P-0003 blocks its partition: P-0003, P-0004, P-0005 and P-0006 are never processed in every one of the ",
        ),
        ("refunds", " applied twice under "),
    ];
    for c in CHALLENGES {
        let (report, r) = attempt(c.id, &c.start());
        assert!(!r.met, "{}: {}", c.id, r.reason);
        let (_, text) = want.iter().find(|(id, _)| *id == c.id).unwrap();
        assert!(r.reason.contains(text), "{}: {}", c.id, r.reason);
        assert!(r.reason.ends_with('.'), "{}", r.reason);
        // The run named breaks the goal.
        let run = &report.runs[r.run.expect("a run to open")];
        assert!(
            !run.lost.is_empty() || !run.duplicated.is_empty() || !run.stalled.is_empty(),
            "{}: {run:?}",
            c.id
        );
        assert!(r.reason.contains(&run.text), "{}: {}", c.id, r.reason);
    }
}

#[test]
fn step2_auto_commit_off_and_a_commit_after_processing_loses_nothing() {
    let start = challenge("step2").unwrap().start();
    let (report, r) = attempt("step2", &manual(start.clone(), commit_each(), vec![]));
    assert!(r.met, "{}", r.reason);
    assert!(
        r.reason.starts_with(&format!(
            "No payment lost under any of the {} single disturbances explored; ",
            report.explored
        )) && r.reason.contains("at-least-once"),
        "{}",
        r.reason
    );
    assert!(
        report.duplicating > 0,
        "commit after processing duplicates (A3)"
    );
    // Storing after processing and letting auto-commit commit it (B3) works as well.
    let mut store = start.clone();
    store.consumers[0].config.enable_auto_offset_store = false;
    store.consumers[0].program.per_message = vec![MessageStep::Process, MessageStep::StoreOffsets];
    assert!(attempt("step2", &store).1.met);
    // Committing before processing does not: the commit runs ahead of the effect.
    let before = manual(
        start,
        vec![MessageStep::commit(true, false), MessageStep::Process],
        vec![],
    );
    let r = attempt("step2", &before).1;
    assert!(
        !r.met && r.reason.contains("P-0001 is lost"),
        "{}",
        r.reason
    );
}

#[test]
fn step3_auto_commit_off_and_a_commit_after_the_batch_loses_nothing() {
    let start = challenge("step3").unwrap().start();
    assert!(start.consumers[0].config.enable_auto_commit);
    let fixed = manual(
        start.clone(),
        vec![MessageStep::Process],
        vec![BatchStep::Commit {
            asynchronous: false,
        }],
    );
    let (report, r) = attempt("step3", &fixed);
    assert!(r.met, "{}", r.reason);
    assert_eq!(report.losing, 0);
    assert_eq!(
        fixed.consumers[0].program,
        preset("step3-batch5-fail-at-3").unwrap().consumers[0].program,
        "the fix is the lab's own Step 3 program"
    );
    // Half a fix is not one: auto-commit off, but the commit still before the batch.
    let mut half = start.clone();
    half.consumers[0].config.enable_auto_commit = false;
    let r = attempt("step3", &half).1;
    assert!(!r.met && r.reason.contains("lost under"), "{}", r.reason);
    // A commit every 2 payments, inside the batch, is a fix too.
    let every = manual(
        start,
        vec![
            MessageStep::Process,
            MessageStep::Commit {
                asynchronous: false,
                message: true,
                every: 2,
                every_ms: 0,
            },
        ],
        vec![],
    );
    assert!(attempt("step3", &every).1.met);
}

#[test]
fn step4_dead_letters_for_invalid_payments_and_retries_for_transient_ones() {
    let start = challenge("step4").unwrap().start();
    let handled = |on_invalid: FailureAction, attempts: u32| {
        let mut s = start.clone();
        let p = &mut s.consumers[0].program;
        p.on_invalid = on_invalid;
        p.retry.attempts = attempts;
        p.retry.backoff_ms = 500;
        p.retry.on_exhausted = FailureAction::DeadLetter;
        s
    };
    let (_, r) = attempt("step4", &handled(FailureAction::DeadLetter, 3));
    assert!(r.met, "{}", r.reason);
    assert!(
        r.reason
            .contains("P-0003 went to the dead-letter topic and every other payment was applied"),
        "{}",
        r.reason
    );
    // No retries: P-0005, which would have succeeded, is parked too.
    let r = attempt("step4", &handled(FailureAction::DeadLetter, 1)).1;
    assert!(
        !r.met && r.reason.starts_with("P-0005 failed only transiently"),
        "{}",
        r.reason
    );
    // Skipped: dropped without a trace.
    let r = attempt("step4", &handled(FailureAction::Skip, 3)).1;
    assert!(
        !r.met && r.reason.starts_with("P-0003 is silently dropped"),
        "{}",
        r.reason
    );
    // Caught around a batch and read again: the invalid payment comes back every time.
    let mut pill = handled(FailureAction::Stop, 3);
    pill.consumers[0].program.poll.max_messages = 3;
    pill.consumers[0].program.on_batch_failure = OnBatchFailure::CommitPrefix;
    let r = attempt("step4", &pill).1;
    assert!(
        !r.met && r.reason.starts_with("P-0003 blocks its partition"),
        "{}",
        r.reason
    );
}

#[test]
fn refunds_an_idempotent_or_transactional_sink_misses_and_doubles_nothing() {
    let start = challenge("refunds").unwrap().start();
    let mut idempotent = start.clone();
    idempotent.sink.kind = SinkKind::Idempotent;
    let (report, r) = attempt("refunds", &idempotent);
    assert!(r.met, "{}", r.reason);
    assert_eq!((report.losing, report.duplicating), (0, 0));
    // E1: the refunds and the offsets in one transaction, per poll.
    let mut txn = manual(
        start.clone(),
        vec![MessageStep::Process],
        vec![BatchStep::CommitTransaction],
    );
    txn.sink.kind = SinkKind::Transactional;
    let (report, r) = attempt("refunds", &txn);
    assert!(r.met, "{}", r.reason);
    assert_eq!((report.losing, report.duplicating), (0, 0));
    assert!(
        r.reason
            .starts_with("Nothing lost and nothing applied twice under any of the")
    );
    // A reader that does not wait for commits sees the refunds of aborted transactions (E2).
    txn.sink.read_committed = false;
    let r = attempt("refunds", &txn).1;
    assert!(!r.met && r.reason.contains("applied twice"), "{}", r.reason);
}

#[test]
fn a_challenge_keeps_its_payments_and_faults() {
    let mut s = challenge("step4").unwrap().start();
    s.topic.payments.invalid.clear();
    let r = attempt("step4", &s).1;
    assert!(!r.met && r.reason.contains("P-0003"), "{}", r.reason);
    assert_eq!(r.run, None);
    let mut s = challenge("step4").unwrap().start();
    s.faults.clear();
    assert!(!attempt("step4", &s).1.met);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["met"], false);
    assert!(json["reason"].is_string() && json.get("run").is_none());
}
