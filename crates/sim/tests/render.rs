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

#[test]
fn step1_autocommit_sleep7_script() {
    expect![[r##"
        #!/usr/bin/env python3
        """Offset Lab scenario "step1-autocommit-sleep7", consumer "consumer-1", as a runnable script.

        Step 1 — auto-commit, 7 s of processing, then sys.exit(1)

        The lab's Step 1 with a 7-second sleep. The auto-commit timer (every 5 s, started when
        the Consumer was constructed) fires in the background during the sleep and commits the
        offset that poll() already stored. sys.exit(1) then kills the consumer before the
        payment is recorded. The restarted consumer resumes after it: P-0001 is lost. Any
        7-second window contains a 5-second tick, so this happens at every phase of the timer,
        as long as the consumer is not in the middle of a rebalance and the coordinator is
        reachable when the tick comes: a tick is skipped then (B2, B5, F.1).

        How to run it against a real cluster:

            pip install confluent-kafka
            # a broker on localhost:9092, e.g.: docker run -d -p 9092:9092 apache/kafka
            python3 auto_commit_consumer.py produce   # create the topic, write 3 payments
            python3 auto_commit_consumer.py           # run the consumer (Ctrl-C to stop it)
            python3 auto_commit_consumer.py report    # how often each payment's effect was applied

        Optional environment: OFFSET_LAB_BOOTSTRAP (the brokers; localhost:9092),
        OFFSET_LAB_SUFFIX (appended to the group id and every topic name, so that students
        sharing a cluster do not collide), OFFSET_LAB_DIR (where the ledger, database and state
        files live; the current directory), OFFSET_LAB_SECURITY_PROTOCOL,
        OFFSET_LAB_SASL_MECHANISM, OFFSET_LAB_SASL_USERNAME, OFFSET_LAB_SASL_PASSWORD (added to
        every client's config when set), and OFFSET_LAB_START_AT (a Unix time in ms: the
        consumer waits until then before Consumer(), which starts its auto-commit timer).

        The scenario's broker has group.initial.rebalance.delay.ms=0 (C3). A broker's default is
        3000, and so is the apache/kafka image's: with 3000 the first assignment comes 3 s later
        and the timing of this run differs. Set it in the broker's configuration to match
        (server.properties; in the apache/kafka image, the environment variable
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, given together with the image's other settings,
        which environment variables replace).

        Crash points and actions of consumer "consumer-1":

            1. Message 1, during processing (after the sleep, before the effect): sys.exit(1).
               The scenario restarts the consumer 1 s later: run the script again.

        A crash point at a program point is code in main(). Each fires once: the .state.json
        file counts the messages seen over restarts.

        To start over, delete consumer-1.state.json and ledger.txt, and the group's offsets:

            kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group payment-processor
        """

        import json
        import os
        import sys
        import time

        from confluent_kafka import Consumer, KafkaException, Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        # Where to connect and where the files live: the scenario's values, unless the
        # environment says otherwise (see the docstring).
        BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', 'localhost:9092')
        SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')  # appended to the group id and every topic name
        DIR = os.environ.get('OFFSET_LAB_DIR', '.')  # the ledger, database and state files
        SECURITY = {key: os.environ[name] for key, name in [  # added to every client's config
            ('security.protocol', 'OFFSET_LAB_SECURITY_PROTOCOL'),
            ('sasl.mechanism', 'OFFSET_LAB_SASL_MECHANISM'),
            ('sasl.username', 'OFFSET_LAB_SASL_USERNAME'),
            ('sasl.password', 'OFFSET_LAB_SASL_PASSWORD'),
        ] if name in os.environ}


        def wait_for_start():
            """OFFSET_LAB_START_AT (a Unix time in ms): wait until then, so that Consumer() starts the
            auto-commit timer (B5) when the scenario's consumer starts."""
            start_at = os.environ.get('OFFSET_LAB_START_AT')
            if start_at:
                time.sleep(max(0.0, int(start_at) / 1000 - time.time()))


        CONSUMER = 'consumer-1'
        GROUP = 'payment-processor' + SUFFIX
        TOPIC = 'payments' + SUFFIX
        PARTITIONS = 1
        PAYMENTS = 3  # P-0001 … P-0003
        PROCESSING_S = 7.0
        LEDGER = os.path.join(DIR, 'ledger.txt')  # one line per payment applied: a duplicate shows up twice
        STATE = os.path.join(DIR, 'consumer-1.state.json')  # messages seen, attempts and crash points fired, over restarts


        def produce():
            """Creates the topics that do not exist yet, then writes the scenario's payments."""
            admin = AdminClient({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [TOPIC]]).items():
                try:
                    future.result()
                except KafkaException as e:
                    print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
            producer = Producer({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            # Round-robin over the partitions, as in the simulator.
            for n in range(1, PAYMENTS + 1):
                producer.produce(TOPIC, value=f'P-{n:04d}', partition=(n - 1) % PARTITIONS)
            producer.flush()
            print(f'produced {PAYMENTS} payments to {TOPIC}')


        def report():
            """How many times each payment's effect was applied: 0 = lost, 2 or more = duplicated."""
            counts = {}
            for payment in effects():
                counts[payment] = counts.get(payment, 0) + 1
            for n in range(1, PAYMENTS + 1):
                payment = f'P-{n:04d}'
                times = counts.get(payment, 0)
                print(payment, times, {0: 'LOST (or not processed yet)', 1: 'once'}.get(times, 'DUPLICATE'))


        def effects():
            """The payment ids in the ledger, one per effect applied."""
            if not os.path.exists(LEDGER):
                return []
            with open(LEDGER) as ledger:
                return [line.strip() for line in ledger if line.strip()]


        def record_payment(msg):
            """The payment's effect (A3): one line in the ledger."""
            with open(LEDGER, 'a') as ledger:
                ledger.write(msg.value().decode() + '\n')
            print(f'Recorded {msg.value().decode()}')


        class TransientError(Exception):
            """A failure that can go away on a retry: a network error."""


        class InvalidPayment(Exception):
            """A payment that can never succeed: invalid data."""


        def process_payment(msg):
            """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
            payment = msg.value().decode()
            attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
            save_state()
            print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')
            time.sleep(PROCESSING_S)


        def load_state():
            if os.path.exists(STATE):
                with open(STATE) as f:
                    return json.load(f)
            return {'seen': 0, 'attempts': {}, 'fired': []}


        state = load_state()


        def save_state():
            with open(STATE, 'w') as f:
                json.dump(state, f)


        def count_messages(n):
            """Counts n more messages returned by poll(); returns the count over all runs."""
            state['seen'] += n
            save_state()
            return state['seen']


        def fire(ix):
            """True the first time crash point ix is reached: a crash point fires once, over restarts."""
            if ix in state['fired']:
                return False
            state['fired'].append(ix)
            save_state()
            return True


        def main():
            print(f'{CONSUMER}: pid {os.getpid()}, {state["seen"]} messages seen before')
            wait_for_start()  # OFFSET_LAB_START_AT, if set: the auto-commit timer starts at Consumer() (B5)
            consumer = Consumer({
                'bootstrap.servers': BOOTSTRAP,
                **SECURITY,
                'group.id': GROUP,
                'enable.auto.commit': True,  # B5: a background timer commits the stored offsets
                'auto.commit.interval.ms': 5000,  # B5: every 5 s from Consumer(), not from poll()
                'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
            })
            consumer.subscribe([TOPIC])

            while True:
                msg = consumer.poll(1.0)  # B2: stores the offset as it returns
                if msg is None:
                    continue
                if msg.error():
                    print(msg.error())
                    continue
                seq = count_messages(1)
                process_payment(msg)  # takes 7 s
                if seq == 1 and fire(0):
                    print('crash point 1: message 1, during processing (after the sleep, before the effect): sys.exit(1)')
                    sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup
                record_payment(msg)  # A3: the payment's effect, one ledger entry


        if __name__ == '__main__':
            command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
            if command == 'produce':
                produce()
            elif command == 'report':
                report()
            else:
                main()
    "##]].assert_eq(&render::python_script(&preset("step1-autocommit-sleep7").unwrap(), 0));
}

#[test]
fn step2_manual_commit_script() {
    expect![[r##"
        #!/usr/bin/env python3
        """Offset Lab scenario "step2-manual-commit", consumer "consumer-1", as a runnable script.

        Step 2 — manual commit after processing, crash before the commit

        enable.auto.commit=false: the committed offset moves only when the program commits, and
        it commits each payment only after recording it. The consumer crashes after recording
        P-0002 but before committing it. The restarted consumer resumes at the last commit, so
        P-0002 is processed again: a duplicate, never a loss. This is at-least-once (A3, B6).

        How to run it against a real cluster:

            pip install confluent-kafka
            # a broker on localhost:9092, e.g.: docker run -d -p 9092:9092 apache/kafka
            python3 manual_commit_consumer.py produce   # create the topic, write 5 payments
            python3 manual_commit_consumer.py           # run the consumer (Ctrl-C to stop it)
            python3 manual_commit_consumer.py report    # how often each payment's effect was applied

        Optional environment: OFFSET_LAB_BOOTSTRAP (the brokers; localhost:9092),
        OFFSET_LAB_SUFFIX (appended to the group id and every topic name, so that students
        sharing a cluster do not collide), OFFSET_LAB_DIR (where the ledger, database and state
        files live; the current directory), OFFSET_LAB_SECURITY_PROTOCOL,
        OFFSET_LAB_SASL_MECHANISM, OFFSET_LAB_SASL_USERNAME, OFFSET_LAB_SASL_PASSWORD (added to
        every client's config when set), and OFFSET_LAB_START_AT (a Unix time in ms: the
        consumer waits until then before Consumer(), which starts its auto-commit timer).

        The scenario's broker has group.initial.rebalance.delay.ms=0 (C3). A broker's default is
        3000, and so is the apache/kafka image's: with 3000 the first assignment comes 3 s later
        and the timing of this run differs. Set it in the broker's configuration to match
        (server.properties; in the apache/kafka image, the environment variable
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, given together with the image's other settings,
        which environment variables replace).

        Crash points and actions of consumer "consumer-1":

            1. Message 2, right after its effect: sys.exit(1). The scenario restarts the
               consumer 1 s later: run the script again.

        A crash point at a program point is code in main(). Each fires once: the .state.json
        file counts the messages seen over restarts.

        To start over, delete consumer-1.state.json and ledger.txt, and the group's offsets:

            kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group payment-processor
        """

        import json
        import os
        import sys
        import time

        from confluent_kafka import Consumer, KafkaException, Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        # Where to connect and where the files live: the scenario's values, unless the
        # environment says otherwise (see the docstring).
        BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', 'localhost:9092')
        SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')  # appended to the group id and every topic name
        DIR = os.environ.get('OFFSET_LAB_DIR', '.')  # the ledger, database and state files
        SECURITY = {key: os.environ[name] for key, name in [  # added to every client's config
            ('security.protocol', 'OFFSET_LAB_SECURITY_PROTOCOL'),
            ('sasl.mechanism', 'OFFSET_LAB_SASL_MECHANISM'),
            ('sasl.username', 'OFFSET_LAB_SASL_USERNAME'),
            ('sasl.password', 'OFFSET_LAB_SASL_PASSWORD'),
        ] if name in os.environ}


        def wait_for_start():
            """OFFSET_LAB_START_AT (a Unix time in ms): wait until then, so that Consumer() starts the
            auto-commit timer (B5) when the scenario's consumer starts."""
            start_at = os.environ.get('OFFSET_LAB_START_AT')
            if start_at:
                time.sleep(max(0.0, int(start_at) / 1000 - time.time()))


        CONSUMER = 'consumer-1'
        GROUP = 'payment-processor' + SUFFIX
        TOPIC = 'payments' + SUFFIX
        PARTITIONS = 1
        PAYMENTS = 5  # P-0001 … P-0005
        PROCESSING_S = 1.0
        LEDGER = os.path.join(DIR, 'ledger.txt')  # one line per payment applied: a duplicate shows up twice
        STATE = os.path.join(DIR, 'consumer-1.state.json')  # messages seen, attempts and crash points fired, over restarts


        def produce():
            """Creates the topics that do not exist yet, then writes the scenario's payments."""
            admin = AdminClient({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [TOPIC]]).items():
                try:
                    future.result()
                except KafkaException as e:
                    print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
            producer = Producer({'bootstrap.servers': BOOTSTRAP, **SECURITY})
            # Round-robin over the partitions, as in the simulator.
            for n in range(1, PAYMENTS + 1):
                producer.produce(TOPIC, value=f'P-{n:04d}', partition=(n - 1) % PARTITIONS)
            producer.flush()
            print(f'produced {PAYMENTS} payments to {TOPIC}')


        def report():
            """How many times each payment's effect was applied: 0 = lost, 2 or more = duplicated."""
            counts = {}
            for payment in effects():
                counts[payment] = counts.get(payment, 0) + 1
            for n in range(1, PAYMENTS + 1):
                payment = f'P-{n:04d}'
                times = counts.get(payment, 0)
                print(payment, times, {0: 'LOST (or not processed yet)', 1: 'once'}.get(times, 'DUPLICATE'))


        def effects():
            """The payment ids in the ledger, one per effect applied."""
            if not os.path.exists(LEDGER):
                return []
            with open(LEDGER) as ledger:
                return [line.strip() for line in ledger if line.strip()]


        def record_payment(msg):
            """The payment's effect (A3): one line in the ledger."""
            with open(LEDGER, 'a') as ledger:
                ledger.write(msg.value().decode() + '\n')
            print(f'Recorded {msg.value().decode()}')


        class TransientError(Exception):
            """A failure that can go away on a retry: a network error."""


        class InvalidPayment(Exception):
            """A payment that can never succeed: invalid data."""


        def process_payment(msg):
            """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
            payment = msg.value().decode()
            attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
            save_state()
            print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')
            time.sleep(PROCESSING_S)


        def load_state():
            if os.path.exists(STATE):
                with open(STATE) as f:
                    return json.load(f)
            return {'seen': 0, 'attempts': {}, 'fired': []}


        state = load_state()


        def save_state():
            with open(STATE, 'w') as f:
                json.dump(state, f)


        def count_messages(n):
            """Counts n more messages returned by poll(); returns the count over all runs."""
            state['seen'] += n
            save_state()
            return state['seen']


        def fire(ix):
            """True the first time crash point ix is reached: a crash point fires once, over restarts."""
            if ix in state['fired']:
                return False
            state['fired'].append(ix)
            save_state()
            return True


        def main():
            print(f'{CONSUMER}: pid {os.getpid()}, {state["seen"]} messages seen before')
            wait_for_start()  # OFFSET_LAB_START_AT, if set: the auto-commit timer starts at Consumer() (B5)
            consumer = Consumer({
                'bootstrap.servers': BOOTSTRAP,
                **SECURITY,
                'group.id': GROUP,
                'enable.auto.commit': False,  # only the program commits (B6), not even close() (B11)
                'auto.offset.reset': 'earliest',  # B9: where to start without a committed offset
            })
            consumer.subscribe([TOPIC])

            while True:
                msg = consumer.poll(1.0)  # B2: stores the offset as it returns
                if msg is None:
                    continue
                if msg.error():
                    print(msg.error())
                    continue
                seq = count_messages(1)
                process_payment(msg)  # takes 1 s
                record_payment(msg)  # A3: the payment's effect, one ledger entry
                if seq == 2 and fire(0):
                    print('crash point 1: message 2, right after its effect: sys.exit(1)')
                    sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup
                try:
                    consumer.commit(message=msg, asynchronous=False)  # B6: commits msg.offset() + 1 and waits
                except KafkaException as e:
                    print(e)  # e.g. UNKNOWN_MEMBER_ID (B14): logged, the loop goes on


        if __name__ == '__main__':
            command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
            if command == 'produce':
                produce()
            elif command == 'report':
                report()
            else:
                main()
    "##]].assert_eq(&render::python_script(&preset("step2-manual-commit").unwrap(), 0));
}

#[test]
fn java_listing() {
    let mut s = java(preset("step2-manual-commit").unwrap());
    s.consumers[0].program.close_in_finally = true;
    let l = render::listing(&s, 0);
    assert_eq!(
        (l.language, l.file_name.as_str()),
        (Language::Java, "PaymentConsumer.java")
    );
    let text = l.text();
    for needle in [
        "KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);",
        "props.put(\"enable.auto.commit\", \"false\");",
        "consumer.subscribe(List.of(\"payments\"));",
        "ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(1000));",
        "for (ConsumerRecord<String, String> record : records) {",
        "new OffsetAndMetadata(record.offset() + 1)));",
        "} finally {",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(
        l.lines[l.line_of(Pc::Message(1)).unwrap()]
            .text
            .contains("consumer.commitSync(Map.of(")
    );
    assert_eq!(
        l.lines[l.line_of(Pc::Close).unwrap()].text.trim(),
        "consumer.close();  // D3: leaves the group; System.exit() skips finally"
    );
    expect![[r#"
        import java.time.Duration;
        import java.util.List;
        import java.util.Map;
        import java.util.Properties;

        import org.apache.kafka.clients.consumer.ConsumerRecord;
        import org.apache.kafka.clients.consumer.ConsumerRecords;
        import org.apache.kafka.clients.consumer.KafkaConsumer;
        import org.apache.kafka.clients.consumer.OffsetAndMetadata;
        import org.apache.kafka.common.KafkaException;
        import org.apache.kafka.common.TopicPartition;
        import org.apache.kafka.common.serialization.StringDeserializer;

        public class PaymentConsumer {
            public static void main(String[] args) {
                Properties props = new Properties();
                props.put("bootstrap.servers", "localhost:9092");
                props.put("group.id", "payment-processor");
                props.put("enable.auto.commit", "false");  // only the program commits (D4, D5)
                props.put("auto.offset.reset", "earliest");  // D7: where to start without a committed offset
                props.put("key.deserializer", StringDeserializer.class.getName());
                props.put("value.deserializer", StringDeserializer.class.getName());
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);

                consumer.subscribe(List.of("payments"));

                try {
                    while (true) {
                        // D6: up to max.poll.records (500) records per poll()
                        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(1000));
                        for (ConsumerRecord<String, String> record : records) {
                            processPayment(record);  // takes 1 s
                            recordPayment(record);  // A3: the payment's effect, one ledger entry
                            try {
                                consumer.commitSync(Map.of(  // A1: offset + 1; D4: waits, retries retriable errors
                                        new TopicPartition(record.topic(), record.partition()),
                                        new OffsetAndMetadata(record.offset() + 1)));
                            } catch (KafkaException e) {  // D4: e.g. CommitFailedException after a rebalance
                                System.err.println(e);
                            }
                        }
                    }
                } finally {
                    consumer.close();  // D3: leaves the group; System.exit() skips finally
                }
            }
        }
    "#]].assert_eq(&text);
}

#[test]
fn batch_commit_in_java_commits_positions() {
    let mut s = java(variants().remove(0));
    s.consumers[0].config.max_poll_records = 50;
    let l = render::listing(&s, 0);
    let text = l.text();
    assert!(
        text.contains("props.put(\"max.poll.records\", \"50\");"),
        "{text}"
    );
    assert!(
        text.contains("// D6: up to max.poll.records (50) records per poll()"),
        "{text}"
    );
    assert!(
        !text.contains("consume("),
        "Java has no consume(num_messages)"
    );
    assert!(
        l.lines[l.line_of(Pc::After(0)).unwrap()]
            .text
            .contains("consumer.commitSync();")
    );
}

/// `line: pc, crash point` for every line with a pc or a crash point.
fn marks(l: &Listing) -> String {
    let mut out = String::new();
    for (i, x) in l.lines.iter().enumerate() {
        if x.pc.is_some() || x.crash_point.is_some() {
            out.push_str(&format!(
                "{i:02}: {:<16} {:<22} {}\n",
                format!("{:?}", x.pc),
                format!("{:?}", x.crash_point),
                x.text.trim()
            ));
        }
    }
    out
}

#[test]
fn every_exported_script_compiles() {
    let python = Command::new("python3").arg("--version").output().unwrap_or_else(|e| {
        panic!("python3 is needed to check the exported scripts (`python3 -m py_compile`), but it could not run: {e}")
    });
    assert!(python.status.success(), "python3 --version failed");
    let dir = std::env::temp_dir().join(format!("offset-lab-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, s) in all_scenarios().iter().enumerate() {
        for c in 0..s.consumers.len() {
            let script = render::python_script(s, c);
            let path = dir.join(format!("scenario_{i}_{c}.py"));
            std::fs::write(&path, &script).unwrap();
            let out = Command::new("python3")
                .args(["-m", "py_compile"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "the script of {} (consumer {c}) does not compile:\n{}\n{script}",
                s.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_consumer_renders_nothing() {
    let s = preset("step2-manual-commit").unwrap();
    assert!(render::listing(&s, 7).lines.is_empty());
    assert_eq!(render::python_script(&s, 7), "");
}

#[test]
fn the_listing_does_not_move_when_crash_points_change() {
    let s = preset("step2-manual-commit").unwrap();
    let mut without = s.clone();
    without.consumers[0].crashes.clear();
    assert_eq!(render::listing(&s, 0), render::listing(&without, 0));
}

#[test]
fn the_script_renders_each_crash_kind_at_its_point() {
    let s = &variants()[0];
    let script = render::python_script(s, 0);
    for needle in [
        "if first <= 3 <= last and fire(0):",
        "os._exit(1)",
        "if current >= 5 and fire(1):",
        "consumer.commit(asynchronous=True)\n            time.sleep(0.1)",
        "if current >= 7 and fire(2):",
        "consumer.close()  # B11",
        "for seq, msg in enumerate(msgs, first):",
    ] {
        assert!(script.contains(needle), "missing {needle:?} in\n{script}");
    }
    let timed = render::python_script(&variants()[1], 0);
    assert!(
        timed.contains("At 12.5 s into the scenario, end the process by hand: kill -9 <pid>"),
        "{timed}"
    );
    assert!(
        timed.contains("sys.exit(1)  # B11: exits through finally: consumer.close()"),
        "{timed}"
    );
}

#[test]
fn the_script_takes_its_environment_at_the_top() {
    let s = preset("refunds-scale-out").unwrap();
    let script = render::python_script(&s, 0);
    for needle in [
        "BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', 'localhost:9092')",
        "SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')",
        "DIR = os.environ.get('OFFSET_LAB_DIR', '.')",
        "('security.protocol', 'OFFSET_LAB_SECURITY_PROTOCOL'),",
        "('sasl.password', 'OFFSET_LAB_SASL_PASSWORD'),",
        "start_at = os.environ.get('OFFSET_LAB_START_AT')",
        "GROUP = 'payment-processor' + SUFFIX",
        "TOPIC = 'payments' + SUFFIX",
        "LEDGER = os.path.join(DIR, 'ledger.txt')",
        "STATE = os.path.join(DIR, 'consumer-1.state.json')",
        "        'bootstrap.servers': BOOTSTRAP,\n        **SECURITY,\n        'group.id': GROUP,",
        "    wait_for_start()  # OFFSET_LAB_START_AT",
    ] {
        assert!(script.contains(needle), "missing {needle:?} in\n{script}");
    }
    // The environment stays out of main()'s loop: it is read once, at the top.
    let main = &script[script.find("def main():").unwrap()..];
    assert!(!main.contains("os.environ"), "{main}");
    assert!(main.find("wait_for_start()").unwrap() < main.find("consumer = Consumer(").unwrap());

    let refunds = render::python_script(&preset("refunds-transactional").unwrap(), 0);
    for needle in [
        "REFUNDS = 'refunds' + SUFFIX",
        "'transactional.id': f'{GROUP}-{CONSUMER}',",
        "producer.produce(REFUNDS, key=msg.key(), value=msg.value())",
        "        **SECURITY,\n        'group.id': 'offset-lab-report' + SUFFIX,",
    ] {
        assert!(refunds.contains(needle), "missing {needle:?} in\n{refunds}");
    }
    let dlq = render::python_script(&preset("step4-invalid-dead-letter").unwrap(), 0);
    for needle in [
        "DEAD_LETTER = 'payments-dlq' + SUFFIX",
        "producer = Producer({'bootstrap.servers': BOOTSTRAP, **SECURITY})",
        "producer.produce(DEAD_LETTER, key=msg.key(), value=msg.value())",
    ] {
        assert!(dlq.contains(needle), "missing {needle:?} in\n{dlq}");
    }
    // The listing the student reads keeps the plain values.
    let listing = render::listing(&preset("step4-invalid-dead-letter").unwrap(), 0).text();
    assert!(
        listing.contains("'group.id': 'payment-processor',") && listing.contains("'payments-dlq'"),
        "{listing}"
    );
    assert!(
        !listing.contains("SECURITY") && !listing.contains("wait_for_start"),
        "{listing}"
    );
}

#[test]
fn a_close_at_a_time_without_finally_is_a_signal_handler() {
    let mut s = preset("step2-manual-commit").unwrap();
    s.consumers[0].crashes = vec![CrashPoint {
        at_ms: Some(3000),
        point: None,
        message: None,
        kind: CrashKind::Close,
        restart_after_ms: Some(1000),
    }];
    let script = render::python_script(&s, 0);
    for needle in [
        "import signal\n",
        "signal.signal(signal.SIGTERM, close_now)",
        "    try:\n        while True:",
        "    except CloseNow:  # SIGTERM",
        "kill -TERM <pid>",
    ] {
        assert!(script.contains(needle), "missing {needle:?} in\n{script}");
    }
    // With finally: close(), SIGINT's KeyboardInterrupt already exits through close().
    s.consumers[0].program.close_in_finally = true;
    let script = render::python_script(&s, 0);
    assert!(
        !script.contains("CloseNow") && script.contains("kill -INT <pid>"),
        "{script}"
    );
}
