//! The rendered programs: every program counter has its line, the pinned listings and scripts
//! of the lab's steps, and every exported script compiles with `python3 -m py_compile`.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;

use expect_test::expect;
use offset_lab_sim::client::Pc;
use offset_lab_sim::render::{self, Language, Listing};
use offset_lab_sim::scenario::*;
use offset_lab_sim::{Scenario, World};

fn presets() -> Vec<Scenario> {
    preset_names()
        .map(|n| preset(n).unwrap_or_else(|e| panic!("preset {n}: {e}")))
        .collect()
}

fn java(mut s: Scenario) -> Scenario {
    s.client = ClientModel::Java;
    s
}

/// Variants that exercise every kind of step, crash point and handler.
fn variants() -> Vec<Scenario> {
    let base = preset("step2-manual-commit").unwrap();
    let mut out = Vec::new();

    let mut batch = base.clone();
    batch.name = "batch".into();
    let p = &mut batch.consumers[0].program;
    p.poll.max_messages = 5;
    p.per_message = vec![MessageStep::Process];
    p.after = vec![BatchStep::Commit {
        asynchronous: false,
    }];
    batch.consumers[0].crashes = vec![
        crash(ProgramPoint::AfterPoll, 3, CrashKind::Kill),
        crash(ProgramPoint::CommitInFlight, 5, CrashKind::SysExit),
        crash(ProgramPoint::AfterCommit, 7, CrashKind::Close),
    ];
    out.push(batch);

    let mut store = base.clone();
    store.name = "store-offsets".into();
    let c = &mut store.consumers[0];
    c.config.enable_auto_commit = true;
    c.config.enable_auto_offset_store = false;
    c.config.session_timeout_ms = 10_000;
    c.config.max_poll_interval_ms = 20_000;
    c.program.per_message = vec![MessageStep::Process, MessageStep::StoreOffsets];
    c.program.before = vec![BatchStep::Commit { asynchronous: true }];
    c.program.close_in_finally = true;
    c.program.processing_jitter_ms = 500;
    c.crashes = vec![
        crash(ProgramPoint::DuringProcessing, 2, CrashKind::Close),
        CrashPoint {
            at_ms: Some(12_500),
            point: None,
            message: None,
            kind: CrashKind::Kill,
            restart_after_ms: None,
        },
    ];
    out.push(store);

    let mut handlers = base.clone();
    handlers.name = "retries-and-dead-letters".into();
    handlers.topic.payments.invalid = vec![3];
    handlers.faults = vec![
        Fault::FailPayment {
            payment: 2,
            attempts: 2,
        },
        Fault::TransientFailures { per_mille: 50 },
        Fault::SlowPayment {
            payment: 4,
            processing_ms: 30_000,
            times: 1,
        },
    ];
    let p = &mut handlers.consumers[0].program;
    p.retry = RetryPolicy {
        attempts: 3,
        backoff_ms: 500,
        on_exhausted: FailureAction::DeadLetter,
    };
    p.on_invalid = FailureAction::Skip;
    p.on_revoke_commit = true;
    p.per_message = vec![MessageStep::Process, MessageStep::commit(true, true)];
    out.push(handlers);

    // A commit every 3 payments once 2 s have passed (a counter and a timestamp).
    let mut counted = base.clone();
    counted.name = "commit-every".into();
    let p = &mut counted.consumers[0].program;
    p.poll.max_messages = 5;
    p.per_message = vec![
        MessageStep::Process,
        MessageStep::Commit {
            asynchronous: false,
            message: true,
            every: 3,
            every_ms: 2000,
        },
    ];
    counted.consumers[0].crashes = vec![crash(ProgramPoint::AfterCommit, 4, CrashKind::Kill)];
    out.push(counted);

    // A failure inside a batch, caught around the loop: replayed, or the prefix committed.
    for mode in [OnBatchFailure::ReplayBatch, OnBatchFailure::CommitPrefix] {
        let mut s = base.clone();
        s.name = format!("on-batch-failure-{}", mode.name());
        s.topic.payments.invalid = vec![4];
        s.faults = vec![Fault::FailPayment {
            payment: 2,
            attempts: 1,
        }];
        s.consumers[0].config.max_poll_records = 3;
        let p = &mut s.consumers[0].program;
        p.poll.max_messages = 3;
        p.on_invalid = FailureAction::DeadLetter;
        p.on_batch_failure = mode;
        s.consumers[0].crashes = vec![
            crash(ProgramPoint::CommitInFlight, 2, CrashKind::SysExit),
            crash(ProgramPoint::AfterCommit, 5, CrashKind::Kill),
        ];
        out.push(s);
    }

    for kind in [
        SinkKind::Idempotent,
        SinkKind::Database,
        SinkKind::RefundsTopic,
    ] {
        let mut s = base.clone();
        s.name = format!("sink-{kind:?}");
        s.sink.kind = kind;
        out.push(s);
    }

    let mut txn = base.clone();
    txn.name = "transactional".into();
    txn.sink.kind = SinkKind::Transactional;
    txn.sink.read_committed = false;
    let p = &mut txn.consumers[0].program;
    p.poll.max_messages = 3;
    p.per_message = vec![MessageStep::Process];
    p.after = vec![BatchStep::CommitTransaction];
    out.push(txn);

    // Names that need escaping in Python and Java.
    let mut odd = base;
    odd.name = "quotes ' \" \"\"\" and \\ backslashes".into();
    odd.title = "A \"title\"\nover two lines".into();
    odd.description = "Ends with a backslash \\".into();
    odd.topic.name = "pay'ments".into();
    odd.consumers[0].name = "consumer \"one\"/'1'".into();
    odd.consumers[0].config.group_id = "group 'x' \\ y".into();
    out.push(odd);

    for s in &out {
        s.validate()
            .unwrap_or_else(|e| panic!("variant {}: {e}", s.name));
    }
    out
}

fn crash(point: ProgramPoint, message: u32, kind: CrashKind) -> CrashPoint {
    CrashPoint {
        at_ms: None,
        point: Some(point),
        message: Some(message),
        kind,
        restart_after_ms: Some(1000),
    }
}

/// Every scenario of the tests, in both languages.
fn all_scenarios() -> Vec<Scenario> {
    let mut all = presets();
    all.extend(variants());
    let javas: Vec<Scenario> = all
        .iter()
        .filter(|s| {
            !s.consumers
                .iter()
                .any(|c| c.program.per_message.contains(&MessageStep::StoreOffsets))
        })
        .cloned()
        .map(java)
        .collect();
    all.extend(javas);
    all
}

fn check_mapping(s: &Scenario, c: usize, l: &Listing) {
    let program = &s.consumers[c].program;
    let reachable = render::reachable_pcs(program);
    for &pc in &reachable {
        let ix = l.line_of(pc).unwrap_or_else(|| {
            panic!(
                "{} ({:?}): no line for {pc:?}\n{}",
                s.name,
                l.language,
                l.text()
            )
        });
        assert!(ix < l.lines.len());
        let on = l.lines.iter().filter(|line| line.pc == Some(pc)).count();
        assert_eq!(on, 1, "{}: {pc:?} is on {on} lines", s.name);
    }
    for (i, line) in l.lines.iter().enumerate() {
        if let Some(pc) = line.pc {
            assert!(
                reachable.contains(&pc),
                "{}: line {i} has unreachable {pc:?}",
                s.name
            );
        }
        assert!(
            !line.text.contains('\n'),
            "{}: line {i} holds a line break",
            s.name
        );
    }
    for point in [
        ProgramPoint::AfterPoll,
        ProgramPoint::DuringProcessing,
        ProgramPoint::AfterEffect,
    ] {
        assert!(
            l.line_of_point(point).is_some(),
            "{}: nowhere to place {point:?}",
            s.name
        );
    }
    let commits = program
        .before
        .iter()
        .chain(&program.after)
        .any(|b| matches!(b, BatchStep::Commit { .. }))
        || program
            .per_message
            .iter()
            .any(|m| matches!(m, MessageStep::Commit { .. }));
    assert_eq!(
        l.line_of_point(ProgramPoint::CommitInFlight).is_some(),
        commits,
        "{}",
        s.name
    );
}

#[test]
fn every_reachable_pc_has_exactly_one_line() {
    for s in all_scenarios() {
        for c in 0..s.consumers.len() {
            let l = render::listing(&s, c);
            let want = if s.client == ClientModel::Java {
                Language::Java
            } else {
                Language::Python
            };
            assert_eq!(l.language, want);
            check_mapping(&s, c, &l);
        }
    }
}

/// The program counters a run actually visits all have their line.
#[test]
fn every_pc_the_simulator_visits_has_a_line() {
    for s in all_scenarios() {
        let listings: Vec<Listing> = (0..s.consumers.len())
            .map(|c| render::listing(&s, c))
            .collect();
        let mut seen = BTreeSet::new();
        let mut w = World::new(Arc::new(s.clone()));
        while w.step() {
            for (c, con) in w.consumers.iter().enumerate() {
                if let Some(cl) = &con.client {
                    seen.insert((c, cl.app.pc));
                }
            }
        }
        for (c, pc) in seen {
            assert!(
                listings[c].line_of(pc).is_some(),
                "{}: the run reached {pc:?}, which has no line",
                s.name
            );
        }
    }
}

#[test]
fn file_names_follow_the_lab() {
    let name = |s: &Scenario| render::listing(s, 0).file_name;
    assert_eq!(
        name(&preset("step1-autocommit-sleep7").unwrap()),
        "auto_commit_consumer.py"
    );
    assert_eq!(
        name(&preset("step2-manual-commit").unwrap()),
        "manual_commit_consumer.py"
    );
    assert_eq!(name(&variants()[0]), "batch_consumer.py");
    assert_eq!(
        name(&java(preset("step2-manual-commit").unwrap())),
        "PaymentConsumer.java"
    );
}

#[test]
fn a_batched_program_consumes_and_loops() {
    let mut s = preset("step1-autocommit-sleep7").unwrap();
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].program.poll.max_messages = 5;
    s.consumers[0].program.after = vec![BatchStep::Commit {
        asynchronous: false,
    }];
    let l = render::listing(&s, 0);
    let text = l.text();
    assert!(
        text.contains("msgs = consumer.consume(num_messages=5, timeout=1.0)"),
        "{text}"
    );
    let for_line = l
        .lines
        .iter()
        .position(|x| x.text.trim() == "for msg in msgs:")
        .expect("a `for msg in msgs:` line");
    let process = l.line_of(Pc::Message(0)).unwrap();
    assert!(
        l.lines[process]
            .text
            .trim_start()
            .starts_with("process_payment(msg)"),
        "{}",
        l.lines[process].text
    );
    assert!(process > for_line);
    let commit = l.line_of(Pc::After(0)).unwrap();
    assert!(
        l.lines[commit]
            .text
            .contains("consumer.commit(asynchronous=False)")
    );
    assert!(commit > process);
    // The commit after the batch sits at the loop's level, not inside `for`.
    let indent = |i: usize| l.lines[i].text.len() - l.lines[i].text.trim_start().len();
    assert!(indent(commit) > indent(for_line), "inside try:");
    assert_eq!(
        l.lines[commit].crash_point,
        Some(ProgramPoint::CommitInFlight)
    );
    assert_eq!(
        l.lines[l.line_of(Pc::Poll).unwrap()].crash_point,
        Some(ProgramPoint::AfterPoll)
    );
}

#[test]
fn step1_autocommit_sleep7_listing() {
    let l = render::listing(&preset("step1-autocommit-sleep7").unwrap(), 0);
    assert_eq!(l.file_name, "auto_commit_consumer.py");
    expect![[r#"
        from confluent_kafka import Consumer

        consumer = Consumer({
            'bootstrap.servers': 'localhost:9092',
            'group.id': 'payment-processor',
            'enable.auto.commit': True,  # B5: a background timer commits the stored offsets
            'auto.commit.interval.ms': 5000,  # B5: every 5 s from Consumer(), not from poll()
            'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
        })
        consumer.subscribe(['payments'])

        while True:
            msg = consumer.poll(1.0)  # B2: stores the offset as it returns
            if msg is None:
                continue
            if msg.error():
                print(msg.error())
                continue
            process_payment(msg)  # takes 7 s
            record_payment(msg)  # A3: the payment's effect, one ledger entry

        # No finally: consumer.close(). sys.exit(1) or a kill ends the process without
        # close(): no final commit, no LeaveGroup (B12, B13).
    "#]]
    .assert_eq(&l.text());
    expect![[r#"
        12: Some(Poll)       Some(AfterPoll)        msg = consumer.poll(1.0)  # B2: stores the offset as it returns
        18: Some(Message(0)) Some(DuringProcessing) process_payment(msg)  # takes 7 s
        19: None             Some(AfterEffect)      record_payment(msg)  # A3: the payment's effect, one ledger entry
        21: Some(Close)      None                   # No finally: consumer.close(). sys.exit(1) or a kill ends the process without
    "#]]
    .assert_eq(&marks(&l));
}

#[test]
fn step2_manual_commit_listing() {
    let l = render::listing(&preset("step2-manual-commit").unwrap(), 0);
    assert_eq!(l.file_name, "manual_commit_consumer.py");
    expect![[r#"
        from confluent_kafka import Consumer, KafkaException

        consumer = Consumer({
            'bootstrap.servers': 'localhost:9092',
            'group.id': 'payment-processor',
            'enable.auto.commit': False,  # only the program commits (B6), not even close() (B11)
            'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
        })
        consumer.subscribe(['payments'])

        while True:
            msg = consumer.poll(1.0)  # B2: stores the offset as it returns
            if msg is None:
                continue
            if msg.error():
                print(msg.error())
                continue
            process_payment(msg)  # takes 1 s
            record_payment(msg)  # A3: the payment's effect, one ledger entry
            try:
                consumer.commit(message=msg, asynchronous=False)  # B6: commits msg.offset() + 1 and waits
            except KafkaException as e:
                print(e)  # e.g. UNKNOWN_MEMBER_ID (B14): logged, the loop goes on

        # No finally: consumer.close(). sys.exit(1) or a kill ends the process without
        # close(): no final commit, no LeaveGroup (B12, B13).
    "#]].assert_eq(&l.text());
    expect![[r#"
        11: Some(Poll)       Some(AfterPoll)        msg = consumer.poll(1.0)  # B2: stores the offset as it returns
        17: Some(Message(0)) Some(DuringProcessing) process_payment(msg)  # takes 1 s
        18: None             Some(AfterEffect)      record_payment(msg)  # A3: the payment's effect, one ledger entry
        20: Some(Message(1)) Some(CommitInFlight)   consumer.commit(message=msg, asynchronous=False)  # B6: commits msg.offset() + 1 and waits
        24: Some(Close)      None                   # No finally: consumer.close(). sys.exit(1) or a kill ends the process without
    "#]].assert_eq(&marks(&l));
}

mod java_and_checks;
mod scripts;
use java_and_checks::marks;
