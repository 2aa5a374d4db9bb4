//! The runnable confluent-kafka script around the listing's main(): its header, the settings it
//! reads from the environment, the faults it repeats, and its docstring.

use super::*;
use crate::scenario::{
    ActionKind, ClientModel, ConsumerSpec, CrashKind, CrashWhen, Fault, OffsetReset, ProgramPoint,
    Scenario, SinkKind,
};

/// The client settings the script takes from the environment, when set: (config key, variable).
pub(crate) const SECURITY_ENV: [(&str, &str); 4] = [
    ("security.protocol", "OFFSET_LAB_SECURITY_PROTOCOL"),
    ("sasl.mechanism", "OFFSET_LAB_SASL_MECHANISM"),
    ("sasl.username", "OFFSET_LAB_SASL_USERNAME"),
    ("sasl.password", "OFFSET_LAB_SASL_PASSWORD"),
];

const WAIT_FOR_START: &str = r#"

def wait_for_start():
    """OFFSET_LAB_START_AT (a Unix time in ms): wait until then, so that Consumer() starts the
    auto-commit timer (B5) when the scenario's consumer starts."""
    start_at = os.environ.get('OFFSET_LAB_START_AT')
    if start_at:
        time.sleep(max(0.0, int(start_at) / 1000 - time.time()))"#;

const CLOSE_ON_SIGNAL: &str = r#"

class CloseNow(Exception):
    """The scenario ends this consumer at a time through consumer.close(): kill -TERM <pid>."""


def close_now(signum, frame):
    raise CloseNow()


signal.signal(signal.SIGTERM, close_now)"#;

impl PyGen<'_> {
    // ---- the script around main() ------------------------------------------------------------

    pub(crate) fn script_head(&mut self) {
        let sc = self.sc;
        let spec = self.spec;
        let p = self.program();
        let n = &self.needs;
        let consumer = sc
            .consumers
            .iter()
            .position(|c| std::ptr::eq(c, spec))
            .unwrap_or(0);
        let file = super::script_file_name(sc, consumer);
        let file = file.as_str();
        let faults = ProcessFaults::of(sc);
        let random = p.processing_jitter_ms > 0 || faults.per_mille.is_some();
        let refunds = matches!(n.sink, SinkKind::RefundsTopic | SinkKind::Transactional);
        let db = n.sink == SinkKind::Database;
        let seeks = self.seeks();

        let close_on_signal = self.closes_on_signal();
        let w = &mut self.w;
        w.line("#!/usr/bin/env python3");
        w.raw(&py_doc(&docstring(sc, spec, file)));
        w.blank();
        w.line("import json");
        w.line("import os");
        if random {
            w.line("import random");
        }
        if db {
            w.line("import sqlite3");
        }
        if close_on_signal {
            w.line("import signal");
        }
        w.line("import sys");
        w.line("import time");
        w.blank();
        let mut names = vec!["Consumer", "KafkaException", "Producer"];
        if refunds {
            names.extend(["KafkaError", "OFFSET_BEGINNING", "TopicPartition"]);
        }
        if seeks {
            names.push("TopicPartition");
        }
        if db {
            names.push("OFFSET_INVALID");
        }
        if n.transactional {
            names.extend(["OFFSET_BEGINNING", "OFFSET_END", "OFFSET_INVALID"]);
        }
        names.sort();
        names.dedup();
        let imports = format!("from confluent_kafka import {}", names.join(", "));
        if imports.len() <= 88 {
            w.line(imports);
        } else {
            w.line("from confluent_kafka import (");
            for line in wrap(&names.join(", "), 84) {
                w.indented(line);
            }
            w.line(")");
        }
        w.line("from confluent_kafka.admin import AdminClient, NewTopic");
        w.blank();

        // The environment block: where to connect and where the files live. The plumbing
        // stays here, so that main() reads as the listing does.
        w.line("# Where to connect and where the files live: the scenario's values, unless the");
        w.line("# environment says otherwise (see the docstring).");
        w.line(format!(
            "BOOTSTRAP = os.environ.get('OFFSET_LAB_BOOTSTRAP', {})",
            py_str(BOOTSTRAP_SERVERS)
        ));
        w.line("SUFFIX = os.environ.get('OFFSET_LAB_SUFFIX', '')  # appended to the group id and every topic name");
        w.line(
            "DIR = os.environ.get('OFFSET_LAB_DIR', '.')  # the ledger, database and state files",
        );
        w.line("SECURITY = {key: os.environ[name] for key, name in [  # added to every client's config");
        w.indent();
        for (key, name) in SECURITY_ENV {
            w.line(format!("({}, {}),", py_str(key), py_str(name)));
        }
        w.dedent();
        w.line("] if name in os.environ}");
        w.raw(WAIT_FOR_START);
        if close_on_signal {
            w.raw(CLOSE_ON_SIGNAL);
        }
        w.blank();
        w.blank();

        // Constants a student may want to change.
        w.line(format!("CONSUMER = {}", py_str(&spec.name)));
        w.line(format!(
            "GROUP = {} + SUFFIX",
            py_str(&spec.config.group_id)
        ));
        w.line(format!("TOPIC = {} + SUFFIX", py_str(&sc.topic.name)));
        w.line(format!("PARTITIONS = {}", sc.topic.partitions));
        w.line(format!(
            "PAYMENTS = {}  # P-0001 … P-{:04}",
            sc.topic.payments.count, sc.topic.payments.count
        ));
        w.line(format!("PROCESSING_S = {}", py_seconds(p.processing_ms)));
        if p.processing_jitter_ms > 0 {
            w.line(format!(
                "PROCESSING_JITTER_S = {}",
                py_seconds(p.processing_jitter_ms)
            ));
        }
        let mut topics = vec!["TOPIC".to_string()];
        if refunds {
            w.line(format!("REFUNDS = {} + SUFFIX", py_str(REFUNDS_TOPIC)));
            w.line(format!(
                "READ_COMMITTED = {}  # E2: how the downstream reader reads the refunds",
                if sc.sink.read_committed {
                    "True"
                } else {
                    "False"
                }
            ));
            topics.push("REFUNDS".into());
        }
        if n.dead_letter {
            w.line(format!(
                "DEAD_LETTER = {} + SUFFIX  # payments that cannot be processed wait here",
                py_str(&dead_letter_topic(sc))
            ));
            topics.push("DEAD_LETTER".into());
        }
        match n.sink {
            SinkKind::Ledger | SinkKind::Idempotent => w.line(
                "LEDGER = os.path.join(DIR, 'ledger.txt')  # one line per payment applied: a duplicate shows up twice",
            ),
            SinkKind::Database => w.line(
                "DB = os.path.join(DIR, 'payments.db')  # E4: the payments and the offsets, in one database",
            ),
            SinkKind::RefundsTopic | SinkKind::Transactional => {}
        }
        let state = format!("{}.state.json", file_safe(&spec.name));
        w.line(format!(
            "STATE = os.path.join(DIR, {})  # messages seen, attempts and crash points fired, over restarts",
            py_str(&state)
        ));
        if n.transactional {
            let reset = match spec.config.auto_offset_reset {
                OffsetReset::Earliest => "OFFSET_BEGINNING",
                OffsetReset::Latest => "OFFSET_END",
                OffsetReset::Error => "OFFSET_INVALID",
            };
            w.line(format!(
                "RESET = {reset}  # auto.offset.reset, for a partition without an offset"
            ));
        }
        faults.constants(w);

        // produce(), report() and the effect counting of the sink.
        // Every payment lands where the simulator put it: keyed ones through the scenario's
        // partitioner, set explicitly; unkeyed ones on the partition named (librdkafka would
        // otherwise pick a random, sticky partition for a record without a key).
        let (key, producer_conf) = if sc.topic.payments.keyed {
            (
                format!(
                    ", key=f'customer-{{(n - 1) % {} + 1}}'",
                    sc.topic.payments.customers
                ),
                format!(
                    "{{'bootstrap.servers': BOOTSTRAP, **SECURITY, 'partitioner': '{}'}}",
                    sc.partitioner().name()
                ),
            )
        } else {
            (
                ", partition=(n - 1) % PARTITIONS".to_string(),
                "{'bootstrap.servers': BOOTSTRAP, **SECURITY}".to_string(),
            )
        };
        let keyed_note = if sc.topic.payments.keyed {
            "    # The customers take turns, as in the simulator; the partitioner is the simulator's.\n"
        } else {
            "    # Round-robin over the partitions, as in the simulator.\n"
        };
        let pace = if sc.topic.payments.interval_ms > 0 {
            format!(
                "\n        producer.flush()\n        time.sleep({})  # the scenario's pace",
                py_seconds(sc.topic.payments.interval_ms)
            )
        } else {
            String::new()
        };
        w.raw(&format!(
            r#"

def produce():
    """Creates the topics that do not exist yet, then writes the scenario's payments."""
    admin = AdminClient({{'bootstrap.servers': BOOTSTRAP, **SECURITY}})
    for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [{topics}]]).items():
        try:
            future.result()
        except KafkaException as e:
            print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
    producer = Producer({producer_conf})
{keyed_note}    for n in range(1, PAYMENTS + 1):
        producer.produce(TOPIC, value=f'P-{{n:04d}}'{key}){pace}
    producer.flush()
    print(f'produced {{PAYMENTS}} payments to {{TOPIC}}')


def report():
    """How many times each payment's effect was applied: 0 = lost, 2 or more = duplicated."""
    counts = {{}}
    for payment in effects():
        counts[payment] = counts.get(payment, 0) + 1
    for n in range(1, PAYMENTS + 1):
        payment = f'P-{{n:04d}}'
        times = counts.get(payment, 0)
        print(payment, times, {{0: 'LOST (or not processed yet)', 1: 'once'}}.get(times, 'DUPLICATE'))
"#,
            topics = topics.join(", ")
        ));
        w.raw(match n.sink {
            SinkKind::Ledger | SinkKind::Idempotent => LEDGER_HELPERS,
            SinkKind::Database => DB_HELPERS,
            SinkKind::RefundsTopic | SinkKind::Transactional => REFUNDS_HELPERS,
        });
        if n.sink == SinkKind::Idempotent {
            w.raw(IDEMPOTENT_RECORD);
        } else if n.sink == SinkKind::Ledger {
            w.raw(LEDGER_RECORD);
        }
        if n.transactional {
            w.raw(REWIND);
        }

        // Processing, with the scenario's failures.
        faults.classes(w, p.retry.attempts > 1);
        let sleep = if p.processing_jitter_ms > 0 {
            "PROCESSING_S + random.uniform(0, PROCESSING_JITTER_S)"
        } else {
            "PROCESSING_S"
        };
        w.raw(PROCESS_PAYMENT);
        faults.process_body(w, sleep);
        w.raw(STATE_HELPERS);
        w.blank();
        w.blank();
    }
}

/// The scenario's faults that a script can repeat: failures and stalls of processing. Faults of
/// the broker (commit errors, an unavailable coordinator, latency) are only in the header.
pub(crate) struct ProcessFaults {
    pub(crate) per_mille: Option<u32>,
    /// Payment id → the number of first attempts that fail transiently.
    pub(crate) fail: Vec<(String, u32)>,
    /// Payment id → (seconds, the number of first attempts that take that long).
    pub(crate) slow: Vec<(String, String, u32)>,
    pub(crate) invalid: Vec<String>,
}

impl ProcessFaults {
    pub(crate) fn of(sc: &Scenario) -> ProcessFaults {
        let id = |n: u32| py_str(&format!("P-{n:04}"));
        let mut f = ProcessFaults {
            per_mille: None,
            fail: vec![],
            slow: vec![],
            invalid: vec![],
        };
        for fault in &sc.faults {
            match *fault {
                Fault::TransientFailures { per_mille } => f.per_mille = Some(per_mille),
                Fault::FailPayment { payment, attempts } => f.fail.push((id(payment), attempts)),
                Fault::SlowPayment {
                    payment,
                    processing_ms,
                    times,
                } => f.slow.push((id(payment), py_seconds(processing_ms), times)),
                _ => {}
            }
        }
        f.invalid = sc.topic.payments.invalid.iter().map(|&n| id(n)).collect();
        f
    }

    pub(crate) fn any_failure(&self) -> bool {
        self.per_mille.is_some() || !self.fail.is_empty() || !self.invalid.is_empty()
    }

    pub(crate) fn constants(&self, w: &mut Writer) {
        if !self.invalid.is_empty() {
            w.line(format!(
                "INVALID = {{{}}}  # invalid data: processing them fails for good",
                self.invalid.join(", ")
            ));
        }
        if !self.fail.is_empty() {
            let items: Vec<String> = self.fail.iter().map(|(p, n)| format!("{p}: {n}")).collect();
            w.line(format!(
                "FAILING = {{{}}}  # payment: how many first attempts fail transiently",
                items.join(", ")
            ));
        }
        if !self.slow.is_empty() {
            let items: Vec<String> = self
                .slow
                .iter()
                .map(|(p, s, n)| format!("{p}: ({s}, {n})"))
                .collect();
            w.line(format!(
                "SLOW = {{{}}}  # payment: (seconds, how many first attempts take that long)",
                items.join(", ")
            ));
        }
        if let Some(pm) = self.per_mille {
            w.line(format!(
                "TRANSIENT_FAILURE_RATE = {}  # any attempt fails transiently this often",
                per_mille_decimal(pm)
            ));
        }
    }

    /// The exceptions processing raises, and `with_retries()` when the program retries.
    pub(crate) fn classes(&self, w: &mut Writer, retries: bool) {
        w.raw(EXCEPTIONS);
        if retries {
            w.raw(WITH_RETRIES);
        }
    }

    pub(crate) fn process_body(&self, w: &mut Writer, sleep: &str) {
        w.indent();
        if self.slow.is_empty() {
            w.line(format!("time.sleep({sleep})"));
        } else {
            w.line("seconds, times = SLOW.get(payment, (0, 0))");
            w.line(format!(
                "time.sleep(seconds if attempt <= times else {sleep})"
            ));
        }
        if !self.any_failure() {
            w.dedent();
            return;
        }
        if !self.invalid.is_empty() {
            w.line("if payment in INVALID:");
            w.indented("raise InvalidPayment(payment)");
        }
        let mut transient = Vec::new();
        if !self.fail.is_empty() {
            transient.push("attempt <= FAILING.get(payment, 0)");
        }
        if self.per_mille.is_some() {
            transient.push("random.random() < TRANSIENT_FAILURE_RATE");
        }
        if !transient.is_empty() {
            w.line(format!("if {}:", transient.join(" or ")));
            w.indented("raise TransientError(f'{payment}: a network error')");
        }
        w.dedent();
    }
}

/// The script's header: where it came from, how to run it, and what it cannot do by itself.
pub(crate) fn docstring(sc: &Scenario, spec: &ConsumerSpec, file: &str) -> String {
    let mut d = String::new();
    let para = |d: &mut String, text: &str| {
        for line in wrap(text, 88) {
            d.push_str(&line);
            d.push('\n');
        }
    };
    d.push_str(&format!(
        "Offset Lab scenario \"{}\", consumer \"{}\", as a runnable script.\n",
        one_line(&sc.name),
        one_line(&spec.name)
    ));
    if !sc.title.is_empty() {
        d.push('\n');
        para(&mut d, &sc.title);
    }
    if !sc.description.is_empty() {
        d.push('\n');
        para(&mut d, &sc.description);
    }
    let count = sc.topic.payments.count;
    d.push_str("\nHow to run it against a real cluster:\n\n");
    d.push_str("    pip install confluent-kafka\n");
    d.push_str("    # a broker on localhost:9092, e.g.: docker run -d -p 9092:9092 apache/kafka\n");
    d.push_str(&format!(
        "    python3 {file} produce   # create the topic, write {count} payment{}\n",
        if count == 1 { "" } else { "s" }
    ));
    d.push_str(&format!(
        "    python3 {file}           # run the consumer (Ctrl-C to stop it)\n"
    ));
    d.push_str(&format!(
        "    python3 {file} report    # how often each payment's effect was applied\n"
    ));
    d.push('\n');
    para(
        &mut d,
        "Optional environment: OFFSET_LAB_BOOTSTRAP (the brokers; localhost:9092), OFFSET_LAB_SUFFIX (appended to the group id and every topic name, so that students sharing a cluster do not collide), OFFSET_LAB_DIR (where the ledger, database and state files live; the current directory), OFFSET_LAB_SECURITY_PROTOCOL, OFFSET_LAB_SASL_MECHANISM, OFFSET_LAB_SASL_USERNAME, OFFSET_LAB_SASL_PASSWORD (added to every client's config when set), and OFFSET_LAB_START_AT (a Unix time in ms: the consumer waits until then before Consumer(), which starts its auto-commit timer).",
    );

    let mut notes = Vec::new();
    if sc.client == ClientModel::Java {
        notes.push("The scenario models the Java client (rules D*). This script runs librdkafka, whose auto-commit timer runs in the background (B5), so results can differ.".to_string());
    }
    if sc.consumers.len() > 1 {
        notes.push(format!("The scenario has {} consumers: export each one and run them side by side (produce only once).", sc.consumers.len()));
    }
    if spec.start_ms > 0 {
        notes.push(format!(
            "Start this consumer {} after the scenario starts.",
            duration(spec.start_ms)
        ));
    }
    if sc.topic.payments.interval_ms > 0 || sc.topic.payments.start_ms > 0 {
        notes.push("The scenario produces payments while the consumers run: run `produce` in another terminal.".to_string());
    }
    if sc.broker.group_initial_rebalance_delay_ms != 3000 {
        notes.push(format!(
            "The scenario's broker has group.initial.rebalance.delay.ms={} (C3). A broker's default is 3000, and so is the apache/kafka image's: with 3000 the first assignment comes 3 s later and the timing of this run differs. Set it in the broker's configuration to match (server.properties; in the apache/kafka image, the environment variable KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS, given together with the image's other settings, which environment variables replace).",
            sc.broker.group_initial_rebalance_delay_ms
        ));
    }
    if sc.faults.iter().any(|f| {
        matches!(
            f,
            Fault::CommitErrors { .. }
                | Fault::CoordinatorUnavailable { .. }
                | Fault::CommitLatency { .. }
        )
    }) {
        notes.push("The scenario injects broker faults (commit errors, an unavailable coordinator or commit latency); this script cannot.".to_string());
    }
    if !notes.is_empty() {
        d.push('\n');
        for n in notes {
            para(&mut d, &n);
        }
    }

    let mut events: Vec<String> = Vec::new();
    for (ix, cp) in spec.crashes.iter().enumerate() {
        let restart = match cp.restart_after_ms {
            Some(ms) => format!(
                " The scenario restarts the consumer {} later: run the script again.",
                duration(ms)
            ),
            None => String::new(),
        };
        let text = match cp.when() {
            CrashWhen::Point(point, message) => format!(
                "{}. {}.{restart}",
                ix + 1,
                capitalized(&crash_description(point, message, cp.kind))
            ),
            CrashWhen::At(t) => format!(
                "{}. At {} into the scenario, {}.{restart}",
                ix + 1,
                duration(t),
                by_hand(cp.kind, spec.program.close_in_finally)
            ),
        };
        events.push(text);
    }
    for a in sc.actions.iter().filter(|a| a.consumer == spec.name) {
        let what = match &a.act {
            ActionKind::Crash { kind } => by_hand(*kind, spec.program.close_in_finally),
            ActionKind::Restart => "run the script again".into(),
            ActionKind::SetProcessingMs { processing_ms } => {
                format!(
                    "processing takes {} from then on (change PROCESSING_S to repeat that)",
                    duration(*processing_ms)
                )
            }
        };
        events.push(format!(
            "At {} into the scenario, {what}.",
            duration(a.at_ms)
        ));
    }
    if !events.is_empty() {
        d.push_str(&format!(
            "\nCrash points and actions of consumer \"{}\":\n\n",
            one_line(&spec.name)
        ));
        for e in events {
            for (i, line) in wrap(&e, 82).into_iter().enumerate() {
                d.push_str(if i == 0 { "    " } else { "       " });
                d.push_str(&line);
                d.push('\n');
            }
        }
        d.push('\n');
        para(
            &mut d,
            "A crash point at a program point is code in main(). Each fires once: the .state.json file counts the messages seen over restarts.",
        );
    }
    let effects = match sc.sink.kind {
        SinkKind::Ledger | SinkKind::Idempotent => "ledger.txt",
        SinkKind::Database => "payments.db",
        SinkKind::RefundsTopic | SinkKind::Transactional => "the refunds topic",
    };
    d.push_str(&format!(
        "\nTo start over, delete {} and {effects}, and the group's offsets:\n\n",
        file_safe(&spec.name) + ".state.json"
    ));
    d.push_str(&format!(
        "    kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group {}\n",
        shell_word(&spec.config.group_id)
    ));
    if effects == "the refunds topic" {
        d.push_str(
            "    kafka-topics.sh --bootstrap-server localhost:9092 --delete --topic refunds\n",
        );
    }
    d
}

/// What a crash point at a program point does, in words.
pub(crate) fn crash_description(point: ProgramPoint, message: u32, kind: CrashKind) -> String {
    let at = match point {
        ProgramPoint::AfterPoll => "right after poll() returned it",
        ProgramPoint::DuringProcessing => "during processing (after the sleep, before the effect)",
        ProgramPoint::AfterEffect => "right after its effect",
        ProgramPoint::CommitInFlight => "at a commit, while the commit is in flight",
        ProgramPoint::AfterCommit => "after a commit",
    };
    let how = match kind {
        CrashKind::SysExit => "sys.exit(1)",
        CrashKind::Kill => "os._exit(1), like kill -9",
        CrashKind::Close => "consumer.close(), then sys.exit(1)",
    };
    let which = match point {
        ProgramPoint::CommitInFlight | ProgramPoint::AfterCommit => {
            format!("from message {message} on")
        }
        _ => format!("message {message}"),
    };
    format!("{which}, {at}: {how}")
}

/// How to end the process by hand (or from a driver), for a crash at a time. `finally` is the
/// program's `try/finally: consumer.close()`.
pub(crate) fn by_hand(kind: CrashKind, finally: bool) -> String {
    match (kind, finally) {
        (CrashKind::Kill, _) => "end the process by hand: kill -9 <pid> (the script prints its pid)".into(),
        (CrashKind::SysExit, _) => "press Ctrl-C or kill -INT <pid> (KeyboardInterrupt unwinds like sys.exit(1), B13)".into(),
        (CrashKind::Close, true) => "the program exits through consumer.close(): press Ctrl-C or kill -INT <pid>, which unwind through finally: consumer.close() (B13)".into(),
        (CrashKind::Close, false) => "the program exits through consumer.close(): kill -TERM <pid> (the script's handler closes, then exits, B11)".into(),
    }
}

/// `pm` per mille as a decimal, exactly as `pm as f64 / 1000.0` prints (`0.05`, `0.5`, `1`), but
/// without formatting an `f64`: that would put the float printer (~8 KB gzipped) into the web
/// bundle, which formats no other float.
fn per_mille_decimal(pm: u32) -> String {
    let frac = format!("{:03}", pm % 1000);
    match frac.trim_end_matches('0') {
        "" => (pm / 1000).to_string(),
        frac => format!("{}.{frac}", pm / 1000),
    }
}

#[cfg(test)]
mod per_mille_tests {
    #[test]
    fn per_mille_prints_as_the_float_did() {
        for pm in 0..=2000u32 {
            assert_eq!(
                super::per_mille_decimal(pm),
                (pm as f64 / 1000.0).to_string(),
                "{pm}"
            );
        }
    }
}
