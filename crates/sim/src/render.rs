//! The consumer program as code: confluent-kafka Python (librdkafka model) or Java, with the
//! source line of every program point, and a runnable Python export of a consumer.
//!
//! ```text
//!  Scenario ──listing(sc, c)──▶ Listing { lines: [SourceLine { text, pc, crash_point }] }
//!           │                      line_of(pc): the line the UI highlights
//!           │                      crash_point: where a gutter click places a crash point
//!           └─python_script(sc, c)──▶ a confluent-kafka script that repeats the experiment
//! ```
//!
//! The Python listing and the script come from one generator ([`PyGen`]), so that the code the
//! student reads and the code they run cannot drift apart. The listing does not depend on the
//! consumer's crash points (the UI draws them as gutter markers), so placing one never moves a
//! line; the script renders them as real code at their program points.

use crate::client::Pc;
use crate::scenario::{
    ActionKind, AssignmentStrategy, BatchStep, ClientModel, ConsumerConfig, ConsumerSpec, CrashKind, CrashWhen,
    FailureAction, Fault, MessageStep, OffsetReset, Program, ProgramPoint, Scenario, SinkKind,
};

/// The language a listing is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Python,
    Java,
}

/// One line of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The line, indentation included, without a line break.
    pub text: String,
    /// The simulator executes this line while the consumer's program counter is `pc`. Each
    /// reachable `Pc` is on exactly one line.
    pub pc: Option<Pc>,
    /// A crash point placed on this line fires at this program point.
    pub crash_point: Option<ProgramPoint>,
}

/// A consumer's program as source code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    pub file_name: String,
    pub language: Language,
    pub lines: Vec<SourceLine>,
}

impl Listing {
    /// The 0-based index of the line executing at `pc`.
    pub fn line_of(&self, pc: Pc) -> Option<usize> {
        self.lines.iter().position(|l| l.pc == Some(pc))
    }

    /// The first line whose gutter places a crash point at `point`: where the UI draws the
    /// marker of a scenario crash point at that program point.
    pub fn line_of_point(&self, point: ProgramPoint) -> Option<usize> {
        self.lines.iter().position(|l| l.crash_point == Some(point))
    }

    /// The source text, each line ending with a line break.
    pub fn text(&self) -> String {
        join_lines(&self.lines)
    }
}

/// Every program counter the simulator can reach running `program`. `Close` is always included:
/// a crash point or an action of kind `close` leads there even without `finally`.
pub fn reachable_pcs(program: &Program) -> Vec<Pc> {
    let idx = |n: usize| (0..n).map(|i| i as u8);
    std::iter::once(Pc::Poll)
        .chain(idx(program.before.len()).map(Pc::Before))
        .chain(idx(program.per_message.len()).map(Pc::Message))
        .chain(idx(program.after.len()).map(Pc::After))
        .chain(std::iter::once(Pc::Close))
        .collect()
}

/// The program of consumer `consumer` (an index into `scenario.consumers`) as the scenario's
/// client library runs it: Python for librdkafka, Java for Java. An index out of range gives a
/// listing without lines.
pub fn listing(scenario: &Scenario, consumer: usize) -> Listing {
    let Some(spec) = scenario.consumers.get(consumer) else {
        let language = if scenario.client == ClientModel::Java { Language::Java } else { Language::Python };
        return Listing { file_name: String::new(), language, lines: Vec::new() };
    };
    match scenario.client {
        ClientModel::Librdkafka => Listing {
            file_name: python_file_name(&spec.config, &spec.program).into(),
            language: Language::Python,
            lines: PyGen::new(scenario, spec, false).render(),
        },
        ClientModel::Java => Listing {
            file_name: "PaymentConsumer.java".into(),
            language: Language::Java,
            lines: java_lines(scenario, spec),
        },
    }
}

/// A complete, runnable confluent-kafka script that does what consumer `consumer` does, with
/// its crash points as real code, so that the experiment can be repeated against a real
/// cluster (empty for an index out of range). The script always follows librdkafka (rules B*),
/// also for a scenario that models the Java client; its header says so.
pub fn python_script(scenario: &Scenario, consumer: usize) -> String {
    match scenario.consumers.get(consumer) {
        Some(spec) => join_lines(&PyGen::new(scenario, spec, true).render()),
        None => String::new(),
    }
}

/// The lab's file names (lab 05, Steps 1–3).
fn python_file_name(config: &ConsumerConfig, program: &Program) -> &'static str {
    let commits = !program.before.is_empty()
        || !program.after.is_empty()
        || program.per_message.iter().any(|s| matches!(s, MessageStep::Commit { .. }));
    if program.poll.max_messages > 1 {
        "batch_consumer.py"
    } else if config.enable_auto_commit && !commits {
        "auto_commit_consumer.py"
    } else {
        "manual_commit_consumer.py"
    }
}

fn join_lines(lines: &[SourceLine]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(&l.text);
        out.push('\n');
    }
    out
}

// ---- what the program is made of, for both languages -----------------------------------------

/// The broker the listings and the script connect to.
const BOOTSTRAP_SERVERS: &str = "localhost:9092";
/// The topic the refunds sinks produce to.
const REFUNDS_TOPIC: &str = "refunds";

fn dead_letter_topic(sc: &Scenario) -> String {
    format!("{}-dlq", sc.topic.name)
}

/// What a program needs besides the consumer, derived once from the scenario.
struct Needs {
    sink: SinkKind,
    /// A producer: for refunds, transactions or a dead-letter topic.
    producer: bool,
    transactional: bool,
    dead_letter: bool,
    /// `on_assign` seeks to the database's offsets (E4).
    db_assign: bool,
    on_revoke_commit: bool,
    /// Non-`Stop` handlers of a failed payment: (transient?, action). `Stop` lets the exception
    /// end the program, which needs no code.
    handlers: Vec<(bool, FailureAction)>,
    sync_commit: bool,
}

impl Needs {
    fn of(sc: &Scenario, spec: &ConsumerSpec) -> Needs {
        let p = &spec.program;
        let sink = sc.sink.kind;
        let handlers: Vec<(bool, FailureAction)> = [(true, p.retry.on_exhausted), (false, p.on_invalid)]
            .into_iter()
            .filter(|(_, a)| *a != FailureAction::Stop)
            .collect();
        let dead_letter = handlers.iter().any(|(_, a)| *a == FailureAction::DeadLetter);
        let transactional = sink == SinkKind::Transactional;
        let sync_commit = p.before.iter().chain(&p.after).any(|s| matches!(s, BatchStep::Commit { asynchronous: false }))
            || p.per_message.iter().any(|s| matches!(s, MessageStep::Commit { asynchronous: false, .. }));
        Needs {
            sink,
            producer: transactional || sink == SinkKind::RefundsTopic || dead_letter,
            transactional,
            dead_letter,
            db_assign: sink == SinkKind::Database,
            on_revoke_commit: p.on_revoke_commit,
            handlers,
            sync_commit,
        }
    }
}

/// `takes 7 s`, `takes 1 s to 1.5 s`.
fn processing_note(p: &Program) -> String {
    let mut note = if p.processing_jitter_ms == 0 {
        format!("takes {}", duration(p.processing_ms))
    } else {
        format!("takes {} to {}", duration(p.processing_ms), duration(p.processing_ms + p.processing_jitter_ms))
    };
    if p.retry.attempts > 1 {
        note.push_str(" an attempt; the backoff doubles");
    }
    note
}

fn handler_note(transient: bool, action: FailureAction, attempts: u32) -> String {
    let what = match (transient, attempts) {
        (true, 1) => "a network error".to_string(),
        (true, n) => format!("still failing after {n} attempts"),
        (false, _) => "invalid data".to_string(),
    };
    let then = match action {
        FailureAction::Skip => "skip it; its offset is committed with the rest",
        FailureAction::DeadLetter => "park it on the dead-letter topic",
        FailureAction::Stop => "end the program",
    };
    format!("{what}: {then}")
}

enum Value {
    Str(String),
    Bool(bool),
    Int(u64),
}

/// One config key as Kafka spells it, with a short note citing the rule it matters for.
struct Entry {
    key: &'static str,
    value: Value,
    note: Option<String>,
}

/// The keys that matter for the scenario: the ones the lab is about, and any non-default
/// setting the simulator honours. Shared by the Python dict and the Java `Properties`.
fn config_entries(cfg: &ConsumerConfig, lang: Language) -> Vec<Entry> {
    let java = lang == Language::Java;
    let default = ConsumerConfig::default();
    let entry = |key, value, note: &str| Entry { key, value, note: (!note.is_empty()).then(|| note.to_string()) };
    let mut out = vec![
        entry("bootstrap.servers", Value::Str(BOOTSTRAP_SERVERS.into()), ""),
        entry("group.id", Value::Str(cfg.group_id.clone()), ""),
    ];
    let auto_note = match (cfg.enable_auto_commit, java) {
        (true, false) => "B5: a background timer commits the stored offsets",
        (true, true) => "D2: poll() commits the positions of earlier polls",
        (false, false) => "only the program commits (B6), not even close() (B11)",
        (false, true) => "only the program commits (D4, D5)",
    };
    out.push(entry("enable.auto.commit", Value::Bool(cfg.enable_auto_commit), auto_note));
    if cfg.enable_auto_commit {
        let every = duration(cfg.auto_commit_interval_ms);
        let note = if java {
            format!("D2: due {every} after the last one, at the next poll()")
        } else {
            format!("B5: every {every} from Consumer(), not from poll()")
        };
        out.push(entry("auto.commit.interval.ms", Value::Int(cfg.auto_commit_interval_ms), &note));
    }
    if !cfg.enable_auto_offset_store && !java {
        out.push(entry("enable.auto.offset.store", Value::Bool(false), "B3: only store_offsets() stores offsets"));
    }
    let reset = match (cfg.auto_offset_reset, java) {
        (OffsetReset::Earliest, _) => "earliest",
        (OffsetReset::Latest, _) => "latest",
        (OffsetReset::Error, false) => "error",
        (OffsetReset::Error, true) => "none",
    };
    let note = if java { "D7: where to start without a committed offset" } else { "B9: where to start without a committed offset" };
    out.push(entry("auto.offset.reset", Value::Str(reset.into()), note));
    if cfg.session_timeout_ms != default.session_timeout_ms {
        let note = "B15, C2: evicted after this long without a heartbeat";
        out.push(entry("session.timeout.ms", Value::Int(cfg.session_timeout_ms), note));
    }
    if cfg.heartbeat_interval_ms != default.heartbeat_interval_ms {
        out.push(entry("heartbeat.interval.ms", Value::Int(cfg.heartbeat_interval_ms), ""));
    }
    if cfg.max_poll_interval_ms != default.max_poll_interval_ms {
        let note = if java { "D6: longer between polls leaves the group" } else { "B14: longer between polls leaves the group" };
        out.push(entry("max.poll.interval.ms", Value::Int(cfg.max_poll_interval_ms), note));
    }
    if cfg.partition_assignment_strategy != default.partition_assignment_strategy {
        let name = match (cfg.partition_assignment_strategy, java) {
            (AssignmentStrategy::Range, false) => "range",
            (AssignmentStrategy::RoundRobin, false) => "roundrobin",
            (AssignmentStrategy::CooperativeSticky, false) => "cooperative-sticky",
            (AssignmentStrategy::Range, true) => "org.apache.kafka.clients.consumer.RangeAssignor",
            (AssignmentStrategy::RoundRobin, true) => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            (AssignmentStrategy::CooperativeSticky, true) => "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        };
        out.push(entry("partition.assignment.strategy", Value::Str(name.into()), "B10"));
    }
    if java && cfg.max_poll_records != default.max_poll_records {
        out.push(entry("max.poll.records", Value::Int(cfg.max_poll_records as u64), "D6: records per poll() at most"));
    }
    out
}

// ---- Python ----------------------------------------------------------------------------------

/// Renders a consumer as confluent-kafka Python: the listing (`script: false`), or the runnable
/// script (`script: true`), which is the listing's code inside `main()` plus the helpers, the
/// message counter and the crash points.
struct PyGen<'a> {
    sc: &'a Scenario,
    spec: &'a ConsumerSpec,
    needs: Needs,
    script: bool,
    w: Writer,
}

/// The crash points of a consumer at program points: (index in `crashes`, point, message, kind).
fn point_crashes(spec: &ConsumerSpec) -> impl Iterator<Item = (usize, ProgramPoint, u32, CrashKind)> + '_ {
    spec.crashes.iter().enumerate().filter_map(|(ix, cp)| match cp.when() {
        CrashWhen::Point(point, message) => Some((ix, point, message, cp.kind)),
        CrashWhen::At(_) => None,
    })
}

impl<'a> PyGen<'a> {
    fn new(sc: &'a Scenario, spec: &'a ConsumerSpec, script: bool) -> PyGen<'a> {
        PyGen { sc, spec, needs: Needs::of(sc, spec), script, w: Writer::new("    ") }
    }

    fn program(&self) -> &'a Program {
        &self.spec.program
    }

    fn batched(&self) -> bool {
        self.program().poll.max_messages > 1
    }

    /// The broker: the script names it once, in `BOOTSTRAP`.
    fn bootstrap(&self) -> String {
        if self.script { "BOOTSTRAP".into() } else { py_str(BOOTSTRAP_SERVERS) }
    }

    /// The script tracks which message's processing started last (the simulator's
    /// `current_seq`) when a crash point is tied to a commit.
    fn tracks_current(&self) -> bool {
        point_crashes(self.spec).any(|(_, p, _, _)| matches!(p, ProgramPoint::CommitInFlight | ProgramPoint::AfterCommit))
    }

    fn render(mut self) -> Vec<SourceLine> {
        if self.script {
            self.script_head();
            self.w.line("def main():");
            self.w.indent();
            self.w.line("print(f'{CONSUMER}: pid {os.getpid()}, {state[\"seen\"]} messages seen before')");
        } else {
            let n = &self.needs;
            let mut names = vec!["Consumer"];
            if n.sync_commit || n.on_revoke_commit || n.transactional {
                names.push("KafkaException");
            }
            if n.producer {
                names.push("Producer");
            }
            self.w.line(format!("from confluent_kafka import {}", names.join(", ")));
            self.w.blank();
        }
        self.setup();
        if self.script && self.tracks_current() {
            self.w.line("current = 0  # the message whose processing started last, in this process");
        }
        self.w.blank();
        self.main_loop();
        if self.script {
            self.w.dedent();
            self.w.blank();
            self.w.blank();
            self.w.raw(SCRIPT_MAIN);
        }
        self.w.lines
    }

    /// `Consumer(...)`, the producer if one is needed, the rebalance callbacks, `subscribe()`.
    fn setup(&mut self) {
        self.w.line("consumer = Consumer({");
        self.w.indent();
        for e in config_entries(&self.spec.config, Language::Python) {
            let value = match &e.value {
                // The script names the broker once, in BOOTSTRAP.
                Value::Str(_) if self.script && e.key == "bootstrap.servers" => "BOOTSTRAP".into(),
                Value::Str(s) => py_str(s),
                Value::Bool(b) => if *b { "True" } else { "False" }.into(),
                Value::Int(n) => n.to_string(),
            };
            self.w.line(with_note(format!("{}: {value},", py_str(e.key)), "#", e.note.as_deref()));
        }
        self.w.dedent();
        self.w.line("})");
        if self.needs.transactional {
            let id = format!("{}-{}", self.spec.config.group_id, self.spec.name);
            self.w.line("producer = Producer({");
            self.w.indent();
            self.w.line(format!("'bootstrap.servers': {},", self.bootstrap()));
            self.w.line(format!("'transactional.id': {},  # E1: a restarted consumer fences its zombie", py_str(&id)));
            self.w.dedent();
            self.w.line("})");
            self.w.line("producer.init_transactions()");
        } else if self.needs.producer {
            self.w.line(format!("producer = Producer({{'bootstrap.servers': {}}})", self.bootstrap()));
        }
        let mut callbacks = Vec::new();
        if self.needs.db_assign {
            self.w.blank();
            self.w.line("def on_assign(consumer, partitions):");
            self.w.indent();
            self.w.line("# E4: start where the database says; without a row there, auto.offset.reset");
            self.w.line("for p in partitions:");
            self.w.indented("p.offset = db_next_offset(p.topic, p.partition)");
            self.w.line("consumer.assign(partitions)");
            self.w.dedent();
            callbacks.push("on_assign=on_assign");
        }
        if self.needs.on_revoke_commit {
            self.w.blank();
            self.w.line("def on_revoke(consumer, partitions):");
            self.w.indent();
            self.w.line("# B10: runs inside poll() before the partitions go, while their stored offsets are there");
            self.w.line("try:");
            self.w.indented("consumer.commit(asynchronous=False)");
            self.w.line("except KafkaException as e:");
            self.w.indented("print(e)  # e.g. _NO_OFFSET: nothing new to commit");
            self.w.dedent();
            callbacks.push("on_revoke=on_revoke");
        }
        if !callbacks.is_empty() {
            self.w.blank();
        }
        let callbacks: String = callbacks.iter().map(|c| format!(", {c}")).collect();
        let topic = if self.script { "TOPIC".to_string() } else { py_str(&self.sc.topic.name) };
        self.w.line(format!("consumer.subscribe([{topic}]{callbacks})"));
    }

    fn main_loop(&mut self) {
        let p = self.program();
        if p.close_in_finally {
            self.w.line("try:");
            self.w.indent();
        }
        self.w.line("while True:");
        self.w.indent();
        self.poll();
        if self.needs.transactional {
            self.w.line("producer.begin_transaction()  # E1: this batch's refunds and offsets commit together");
        }
        for (i, step) in p.before.iter().enumerate() {
            self.batch_step(step, Pc::Before(i as u8));
        }
        if self.batched() {
            if self.script {
                self.w.line("for seq, msg in enumerate(msgs, first):");
            } else {
                self.w.line("for msg in msgs:");
            }
            self.w.indent();
            self.error_check();
        }
        for (i, step) in p.per_message.iter().enumerate() {
            self.message_step(step, Pc::Message(i as u8));
        }
        if self.batched() {
            self.w.dedent();
        }
        for (i, step) in p.after.iter().enumerate() {
            self.batch_step(step, Pc::After(i as u8));
        }
        self.w.dedent();
        if p.close_in_finally {
            self.w.dedent();
            self.w.line("finally:");
            self.w.indent();
            let note = if self.spec.config.enable_auto_commit {
                "B11: commits the stored offsets, then leaves the group"
            } else {
                "B11: leaves the group; commits nothing (enable.auto.commit is False)"
            };
            self.w.push(format!("consumer.close()  # {note}"), Some(Pc::Close), None);
            self.w.dedent();
        } else if !self.script {
            // B12: no close() on the way out. Pc::Close (a crash of kind close) lands here.
            self.w.blank();
            self.w.push("# No finally: consumer.close(). sys.exit(1) or a kill ends the process without", Some(Pc::Close), None);
            self.w.line("# close(): no final commit, no LeaveGroup (B12, B13).");
        }
    }

    /// `poll()` (or `consume()` for a batch) and the checks that skip an empty result.
    fn poll(&mut self) {
        let poll = &self.program().poll;
        let timeout = py_seconds(poll.timeout_ms);
        let note = if self.spec.config.enable_auto_offset_store { "B2: stores the offset as it returns" } else { "B3: stores nothing" };
        if self.batched() {
            let call = format!("msgs = consumer.consume(num_messages={}, timeout={timeout})  # {note}", poll.max_messages);
            self.w.push(call, Some(Pc::Poll), Some(ProgramPoint::AfterPoll));
            self.w.line("if not msgs:");
            self.w.indented("continue");
            if self.script {
                self.w.line("last = count_messages(len(msgs))");
                self.w.line("first = last - len(msgs) + 1");
                self.crash_checks(ProgramPoint::AfterPoll, |k| format!("first <= {k} <= last"), &[]);
            }
        } else {
            self.w.push(format!("msg = consumer.poll({timeout})  # {note}"), Some(Pc::Poll), Some(ProgramPoint::AfterPoll));
            self.w.line("if msg is None:");
            self.w.indented("continue");
            self.error_check();
            if self.script {
                self.w.line("seq = count_messages(1)");
                self.crash_checks(ProgramPoint::AfterPoll, |k| format!("seq == {k}"), &[]);
            }
        }
    }

    /// An error event (e.g. `_MAX_POLL_EXCEEDED`, B14) comes as a message with `.error()`.
    fn error_check(&mut self) {
        self.w.line("if msg.error():");
        self.w.indent();
        self.w.line("print(msg.error())");
        self.w.line("continue");
        self.w.dedent();
    }

    fn batch_step(&mut self, step: &BatchStep, pc: Pc) {
        match *step {
            BatchStep::Commit { asynchronous } => self.commit(None, asynchronous, pc),
            BatchStep::CommitTransaction => self.commit_transaction(pc),
        }
    }

    fn message_step(&mut self, step: &MessageStep, pc: Pc) {
        match *step {
            MessageStep::Process => self.process(pc),
            MessageStep::StoreOffsets => {
                let store = "consumer.store_offsets(message=msg)  # B3: stores msg.offset() + 1 for the next commit";
                self.w.push(store, Some(pc), None);
            }
            MessageStep::Commit { asynchronous, message } => self.commit(message.then_some("msg"), asynchronous, pc),
        }
    }

    /// Processing, then the payment's effect on the sink, inside `try`/`except` when the program
    /// handles a failure other than by stopping.
    fn process(&mut self, pc: Pc) {
        let p = self.program();
        let handlers = self.needs.handlers.clone();
        if !handlers.is_empty() {
            self.w.line("try:");
            self.w.indent();
        }
        if self.script && self.tracks_current() {
            self.w.line("current = seq");
        }
        let call = if p.retry.attempts > 1 {
            format!("with_retries(process_payment, msg, attempts={}, backoff={})", p.retry.attempts, py_seconds(p.retry.backoff_ms))
        } else {
            "process_payment(msg)".to_string()
        };
        self.w.push(format!("{call}  # {}", processing_note(p)), Some(pc), Some(ProgramPoint::DuringProcessing));
        self.crash_checks(ProgramPoint::DuringProcessing, |k| format!("seq == {k}"), &[]);
        let (effect, flush): (&str, Option<&str>) = match self.needs.sink {
            SinkKind::Ledger => ("record_payment(msg)  # A3: the payment's effect, one ledger entry", None),
            SinkKind::Idempotent => ("record_payment(msg)  # the ledger skips a payment id it already has", None),
            SinkKind::Database => ("record_payment_and_offset(msg)  # E4: one DB transaction, payment and msg.offset() + 1", None),
            SinkKind::RefundsTopic => (
                "producer.produce('refunds', key=msg.key(), value=msg.value())",
                Some("producer.flush()  # the refund is out; no transaction: a redelivery refunds again"),
            ),
            SinkKind::Transactional => ("producer.produce('refunds', key=msg.key(), value=msg.value())  # E1: in the open transaction", None),
        };
        match flush {
            None => self.w.push(effect, None, Some(ProgramPoint::AfterEffect)),
            Some(flush) => {
                self.w.line(effect);
                self.w.push(flush, None, Some(ProgramPoint::AfterEffect));
            }
        }
        self.crash_checks(ProgramPoint::AfterEffect, |k| format!("seq == {k}"), &[]);
        if handlers.is_empty() {
            return;
        }
        self.w.dedent();
        for (transient, action) in handlers {
            let exception = if transient { "TransientError" } else { "InvalidPayment" };
            self.w.line(format!("except {exception}:  # {}", handler_note(transient, action, p.retry.attempts)));
            self.w.indent();
            match action {
                FailureAction::Skip => self.w.line("print('skipped', msg.value())"),
                FailureAction::DeadLetter => {
                    let topic = py_str(&dead_letter_topic(self.sc));
                    self.w.line(format!("producer.produce({topic}, key=msg.key(), value=msg.value())"));
                    self.w.line("producer.flush()");
                }
                FailureAction::Stop => self.w.line("raise"),
            }
            self.w.dedent();
        }
    }

    /// `consumer.commit(...)`; a synchronous commit sits in `try`/`except`, as the simulated
    /// program catches and logs a failed commit and goes on.
    fn commit(&mut self, message: Option<&str>, asynchronous: bool, pc: Pc) {
        let args = |asynchronous: bool| {
            let flag = if asynchronous { "True" } else { "False" };
            match message {
                Some(m) => format!("message={m}, asynchronous={flag}"),
                None => format!("asynchronous={flag}"),
            }
        };
        let note = match (message.is_some(), asynchronous) {
            (true, false) => "B6: commits msg.offset() + 1 and waits",
            (true, true) => "B6: commits msg.offset() + 1; returns at once",
            (false, false) => "B4: commits the stored offsets and waits",
            (false, true) => "B4: commits the stored offsets; returns at once",
        };
        // CommitInFlight in the script: send the same commit without waiting, then die.
        let send = format!("consumer.commit({})", args(true));
        let on_the_wire = [send.as_str(), "time.sleep(0.1)  # librdkafka sends it; the answer is never read"];
        self.crash_checks(ProgramPoint::CommitInFlight, |k| format!("current >= {k}"), &on_the_wire);
        let call = format!("consumer.commit({})  # {note}", args(asynchronous));
        if asynchronous {
            // B6: commit() is asynchronous by default: the result goes to on_commit in a later
            // poll(), and no error is raised here.
            self.w.push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
        } else {
            self.w.line("try:");
            self.w.indent();
            self.w.push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
            self.w.dedent();
            self.w.line("except KafkaException as e:");
            let why = if message.is_some() { "e.g. UNKNOWN_MEMBER_ID (B14)" } else { "e.g. _NO_OFFSET (B4)" };
            self.w.indented(format!("print(e)  # {why}: logged, the loop goes on"));
        }
        self.crash_checks(ProgramPoint::AfterCommit, |k| format!("current >= {k}"), &[]);
    }

    /// E1: the batch's positions go into the transaction, which commits them with the refunds;
    /// on failure the program aborts and rewinds to the committed offsets.
    fn commit_transaction(&mut self, pc: Pc) {
        self.w.line("try:");
        self.w.indent();
        self.w.line("producer.send_offsets_to_transaction(  # E1: the positions, inside the transaction");
        self.w.indented("consumer.position(consumer.assignment()), consumer.consumer_group_metadata())");
        self.w.push("producer.commit_transaction()  # E1: the refunds and the offsets commit together", Some(pc), None);
        self.w.dedent();
        self.w.line("except KafkaException as e:");
        self.w.indent();
        self.w.line("print(e)");
        self.w.line("producer.abort_transaction()  # E1: the refunds are discarded,");
        self.w.line("rewind(consumer)  # and the batch is read again from the committed offsets");
        self.w.dedent();
    }

    /// In the script: for each crash point at `point`, `if <cond> and fire(ix):`, then
    /// `before`, then the exit of the crash point's kind (B12, B13). Nothing in the listing.
    fn crash_checks(&mut self, point: ProgramPoint, cond: impl Fn(u32) -> String, before: &[&str]) {
        if !self.script {
            return;
        }
        let hits: Vec<_> = point_crashes(self.spec).filter(|(_, p, _, _)| *p == point).collect();
        let finally = self.program().close_in_finally;
        for (ix, _, message, kind) in hits {
            self.w.line(format!("if {} and fire({ix}):", cond(message)));
            self.w.indent();
            let what = crash_description(point, message, kind);
            self.w.line(format!("print({})", py_str(&format!("crash point {}: {what}", ix + 1))));
            for line in before {
                self.w.line(*line);
            }
            match kind {
                CrashKind::SysExit if finally => self.w.line("sys.exit(1)  # B13: SystemExit runs finally: consumer.close()"),
                CrashKind::SysExit => self.w.line("sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup"),
                CrashKind::Kill => self.w.line("os._exit(1)  # B13: like SIGKILL, nothing runs on the way out"),
                CrashKind::Close if finally => self.w.line("sys.exit(1)  # B11: exits through finally: consumer.close()"),
                CrashKind::Close => {
                    self.w.line("consumer.close()  # B11: commits the stored offsets if auto-commit is on, leaves");
                    self.w.line("sys.exit(1)");
                }
            }
            self.w.dedent();
        }
    }

    // ---- the script around main() ------------------------------------------------------------

    fn script_head(&mut self) {
        let sc = self.sc;
        let spec = self.spec;
        let p = self.program();
        let n = &self.needs;
        let file = python_file_name(&spec.config, p);
        let faults = ProcessFaults::of(sc);
        let random = p.processing_jitter_ms > 0 || faults.per_mille.is_some();
        let refunds = matches!(n.sink, SinkKind::RefundsTopic | SinkKind::Transactional);
        let db = n.sink == SinkKind::Database;

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
        w.line("import sys");
        w.line("import time");
        w.blank();
        let mut names = vec!["Consumer", "KafkaException", "Producer"];
        if refunds {
            names.extend(["KafkaError", "OFFSET_BEGINNING", "TopicPartition"]);
        }
        if db || n.transactional {
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

        // Constants a student may want to change.
        w.line(format!("BOOTSTRAP = {}", py_str(BOOTSTRAP_SERVERS)));
        w.line(format!("CONSUMER = {}", py_str(&spec.name)));
        w.line(format!("TOPIC = {}", py_str(&sc.topic.name)));
        w.line(format!("PARTITIONS = {}", sc.topic.partitions));
        w.line(format!("PAYMENTS = {}  # P-0001 … P-{:04}", sc.topic.payments.count, sc.topic.payments.count));
        w.line(format!("PROCESSING_S = {}", py_seconds(p.processing_ms)));
        if p.processing_jitter_ms > 0 {
            w.line(format!("PROCESSING_JITTER_S = {}", py_seconds(p.processing_jitter_ms)));
        }
        let mut topics = vec!["TOPIC".to_string()];
        if refunds {
            w.line(format!("REFUNDS = {}", py_str(REFUNDS_TOPIC)));
            w.line(format!("READ_COMMITTED = {}  # E2: how the downstream reader reads the refunds", if sc.sink.read_committed { "True" } else { "False" }));
            topics.push("REFUNDS".into());
        }
        if n.dead_letter {
            topics.push(py_str(&dead_letter_topic(sc)));
        }
        match n.sink {
            SinkKind::Ledger | SinkKind::Idempotent => {
                w.line("LEDGER = 'ledger.txt'  # one line per payment applied: a duplicate shows up twice")
            }
            SinkKind::Database => w.line("DB = 'payments.db'  # E4: the payments and the offsets, in one database"),
            SinkKind::RefundsTopic | SinkKind::Transactional => {}
        }
        let state = format!("{}.state.json", file_safe(&spec.name));
        w.line(format!("STATE = {}  # messages seen, attempts and crash points fired, over restarts", py_str(&state)));
        if db || n.transactional {
            let reset = match spec.config.auto_offset_reset {
                OffsetReset::Earliest => "OFFSET_BEGINNING",
                OffsetReset::Latest => "OFFSET_END",
                OffsetReset::Error => "OFFSET_INVALID",
            };
            w.line(format!("RESET = {reset}  # auto.offset.reset, for a partition without an offset"));
        }
        faults.constants(w);

        // produce(), report() and the effect counting of the sink.
        let key = if sc.topic.payments.keyed {
            format!(", key=f'customer-{{(n - 1) % {} + 1}}'", sc.topic.payments.customers)
        } else {
            String::new()
        };
        let keyed_note = if sc.topic.payments.keyed {
            "    # The simulator draws each payment's customer at random (seeded); here they take turns.\n"
        } else {
            ""
        };
        let pace = if sc.topic.payments.interval_ms > 0 {
            format!("\n        producer.flush()\n        time.sleep({})  # the scenario's pace", py_seconds(sc.topic.payments.interval_ms))
        } else {
            String::new()
        };
        w.raw(&format!(
            r#"

def produce():
    """Creates the topics that do not exist yet, then writes the scenario's payments."""
    admin = AdminClient({{'bootstrap.servers': BOOTSTRAP}})
    for topic, future in admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in [{topics}]]).items():
        try:
            future.result()
        except KafkaException as e:
            print(topic, e)  # e.g. TOPIC_ALREADY_EXISTS
    producer = Producer({{'bootstrap.servers': BOOTSTRAP}})
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
        let sleep = if p.processing_jitter_ms > 0 { "PROCESSING_S + random.uniform(0, PROCESSING_JITTER_S)" } else { "PROCESSING_S" };
        w.raw(PROCESS_PAYMENT);
        faults.process_body(w, sleep);
        w.raw(STATE_HELPERS);
        w.blank();
        w.blank();
    }
}

/// The scenario's faults that a script can repeat: failures and stalls of processing. Faults of
/// the broker (commit errors, an unavailable coordinator, latency) are only in the header.
struct ProcessFaults {
    per_mille: Option<u32>,
    /// Payment id → the number of first attempts that fail transiently.
    fail: Vec<(String, u32)>,
    /// Payment id → (seconds, the number of first attempts that take that long).
    slow: Vec<(String, String, u32)>,
    invalid: Vec<String>,
}

impl ProcessFaults {
    fn of(sc: &Scenario) -> ProcessFaults {
        let id = |n: u32| py_str(&format!("P-{n:04}"));
        let mut f = ProcessFaults { per_mille: None, fail: vec![], slow: vec![], invalid: vec![] };
        for fault in &sc.faults {
            match *fault {
                Fault::TransientFailures { per_mille } => f.per_mille = Some(per_mille),
                Fault::FailPayment { payment, attempts } => f.fail.push((id(payment), attempts)),
                Fault::SlowPayment { payment, processing_ms, times } => f.slow.push((id(payment), py_seconds(processing_ms), times)),
                _ => {}
            }
        }
        f.invalid = sc.topic.payments.invalid.iter().map(|&n| id(n)).collect();
        f
    }

    fn any_failure(&self) -> bool {
        self.per_mille.is_some() || !self.fail.is_empty() || !self.invalid.is_empty()
    }

    fn constants(&self, w: &mut Writer) {
        if !self.invalid.is_empty() {
            w.line(format!("INVALID = {{{}}}  # invalid data: processing them fails for good", self.invalid.join(", ")));
        }
        if !self.fail.is_empty() {
            let items: Vec<String> = self.fail.iter().map(|(p, n)| format!("{p}: {n}")).collect();
            w.line(format!("FAILING = {{{}}}  # payment: how many first attempts fail transiently", items.join(", ")));
        }
        if !self.slow.is_empty() {
            let items: Vec<String> = self.slow.iter().map(|(p, s, n)| format!("{p}: ({s}, {n})")).collect();
            w.line(format!("SLOW = {{{}}}  # payment: (seconds, how many first attempts take that long)", items.join(", ")));
        }
        if let Some(pm) = self.per_mille {
            w.line(format!("TRANSIENT_FAILURE_RATE = {}  # any attempt fails transiently this often", pm as f64 / 1000.0));
        }
    }

    /// The exceptions processing raises, and `with_retries()` when the program retries.
    fn classes(&self, w: &mut Writer, retries: bool) {
        w.raw(EXCEPTIONS);
        if retries {
            w.raw(WITH_RETRIES);
        }
    }

    fn process_body(&self, w: &mut Writer, sleep: &str) {
        w.indent();
        if self.slow.is_empty() {
            w.line(format!("time.sleep({sleep})"));
        } else {
            w.line("seconds, times = SLOW.get(payment, (0, 0))");
            w.line(format!("time.sleep(seconds if attempt <= times else {sleep})"));
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

const PROCESS_PAYMENT: &str = r#"

def process_payment(msg):
    """The work: takes PROCESSING_S seconds. The payment's effect is recorded afterwards."""
    payment = msg.value().decode()
    attempt = state['attempts'][payment] = state['attempts'].get(payment, 0) + 1
    save_state()
    print(f'Processing payment {payment} (partition {msg.partition()}, offset {msg.offset()}, attempt {attempt})...')"#;

const EXCEPTIONS: &str = r#"

class TransientError(Exception):
    """A failure that can go away on a retry: a network error."""


class InvalidPayment(Exception):
    """A payment that can never succeed: invalid data."""
"#;

const WITH_RETRIES: &str = r#"

def with_retries(work, msg, attempts, backoff):
    """Runs work(msg); retries a TransientError, `attempts` attempts in all, the backoff doubling."""
    for attempt in range(1, attempts + 1):
        try:
            return work(msg)
        except TransientError as e:
            if attempt == attempts:
                raise
            print(f'{e}: retrying in {backoff} s')
            time.sleep(backoff)
            backoff *= 2
"#;

const LEDGER_HELPERS: &str = r#"

def effects():
    """The payment ids in the ledger, one per effect applied."""
    if not os.path.exists(LEDGER):
        return []
    with open(LEDGER) as ledger:
        return [line.strip() for line in ledger if line.strip()]
"#;

const LEDGER_RECORD: &str = r#"

def record_payment(msg):
    """The payment's effect (A3): one line in the ledger."""
    with open(LEDGER, 'a') as ledger:
        ledger.write(msg.value().decode() + '\n')
    print(f'Recorded {msg.value().decode()}')
"#;

const IDEMPOTENT_RECORD: &str = r#"

def record_payment(msg):
    """The payment's effect, idempotent: a payment id already in the ledger is not written again."""
    payment = msg.value().decode()
    if payment in effects():
        print(f'{payment} is already recorded: a redelivery, no second effect')
        return
    with open(LEDGER, 'a') as ledger:
        ledger.write(payment + '\n')
    print(f'Recorded {payment}')
"#;

const DB_HELPERS: &str = r#"

db = sqlite3.connect(DB)
db.execute('CREATE TABLE IF NOT EXISTS payments (payment TEXT)')
db.execute('CREATE TABLE IF NOT EXISTS offsets (topic TEXT, part INTEGER, next_offset INTEGER, PRIMARY KEY (topic, part))')


def effects():
    """The payment ids in the database, one per effect applied."""
    return [row[0] for row in db.execute('SELECT payment FROM payments')]


def record_payment_and_offset(msg):
    """E4: one database transaction writes the payment and the offset to resume at."""
    with db:
        db.execute('INSERT INTO payments VALUES (?)', (msg.value().decode(),))
        db.execute('INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)', (msg.topic(), msg.partition(), msg.offset() + 1))
    print(f'Recorded {msg.value().decode()} and offset {msg.offset() + 1}')


def db_next_offset(topic, partition):
    """E4: where to resume a partition: the offset stored with its last payment."""
    row = db.execute('SELECT next_offset FROM offsets WHERE topic = ? AND part = ?', (topic, partition)).fetchone()
    return row[0] if row else RESET
"#;

const REFUNDS_HELPERS: &str = r#"

def effects():
    """The refunds topic from the beginning, read as the downstream reader reads it (E2)."""
    reader = Consumer({
        'bootstrap.servers': BOOTSTRAP,
        'group.id': 'offset-lab-report',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'isolation.level': 'read_committed' if READ_COMMITTED else 'read_uncommitted',
    })
    partitions = reader.list_topics(REFUNDS, timeout=10).topics[REFUNDS].partitions
    reader.assign([TopicPartition(REFUNDS, p, OFFSET_BEGINNING) for p in partitions])
    found, done = [], set()
    while len(done) < len(partitions):
        msg = reader.poll(5.0)
        if msg is None:
            break
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                done.add(msg.partition())
            continue
        found.append(msg.value().decode())
    reader.close()
    return found
"#;

const REWIND: &str = r#"

def rewind(consumer):
    """E1: after an abort, seek back to the committed offsets, so the batch is read again."""
    for tp in consumer.committed(consumer.assignment(), timeout=10):
        if tp.offset < 0:
            tp.offset = RESET
        consumer.seek(tp)
"#;

const STATE_HELPERS: &str = r#"

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
    return True"#;

const SCRIPT_MAIN: &str = r#"if __name__ == '__main__':
    command = sys.argv[1] if len(sys.argv) > 1 else 'consume'
    if command == 'produce':
        produce()
    elif command == 'report':
        report()
    else:
        main()"#;

/// The script's header: where it came from, how to run it, and what it cannot do by itself.
fn docstring(sc: &Scenario, spec: &ConsumerSpec, file: &str) -> String {
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
    d.push_str(&format!("    python3 {file} produce   # create the topic, write {count} payment{}\n", if count == 1 { "" } else { "s" }));
    d.push_str(&format!("    python3 {file}           # run the consumer (Ctrl-C to stop it)\n"));
    d.push_str(&format!("    python3 {file} report    # how often each payment's effect was applied\n"));

    let mut notes = Vec::new();
    if sc.client == ClientModel::Java {
        notes.push("The scenario models the Java client (rules D*). This script runs librdkafka, whose auto-commit timer runs in the background (B5), so results can differ.".to_string());
    }
    if sc.consumers.len() > 1 {
        notes.push(format!("The scenario has {} consumers: export each one and run them side by side (produce only once).", sc.consumers.len()));
    }
    if spec.start_ms > 0 {
        notes.push(format!("Start this consumer {} after the scenario starts.", duration(spec.start_ms)));
    }
    if sc.topic.payments.interval_ms > 0 || sc.topic.payments.start_ms > 0 {
        notes.push("The scenario produces payments while the consumers run: run `produce` in another terminal.".to_string());
    }
    if sc.broker.group_initial_rebalance_delay_ms != 3000 {
        notes.push(format!(
            "The scenario's broker has group.initial.rebalance.delay.ms={} (C3). The broker's default is 3000; Kafka's sample server.properties sets 0.",
            sc.broker.group_initial_rebalance_delay_ms
        ));
    }
    if sc.faults.iter().any(|f| matches!(f, Fault::CommitErrors { .. } | Fault::CoordinatorUnavailable { .. } | Fault::CommitLatency { .. })) {
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
            Some(ms) => format!(" The scenario restarts the consumer {} later: run the script again.", duration(ms)),
            None => String::new(),
        };
        let text = match cp.when() {
            CrashWhen::Point(point, message) => format!("{}. {}.{restart}", ix + 1, capitalized(&crash_description(point, message, cp.kind))),
            CrashWhen::At(t) => format!("{}. At {} into the scenario, {}.{restart}", ix + 1, duration(t), by_hand(cp.kind)),
        };
        events.push(text);
    }
    for a in sc.actions.iter().filter(|a| a.consumer == spec.name) {
        let what = match &a.act {
            ActionKind::Crash { kind } => by_hand(*kind),
            ActionKind::Restart => "run the script again".into(),
            ActionKind::SetProcessingMs { processing_ms } => {
                format!("processing takes {} from then on (change PROCESSING_S to repeat that)", duration(*processing_ms))
            }
        };
        events.push(format!("At {} into the scenario, {what}.", duration(a.at_ms)));
    }
    if !events.is_empty() {
        d.push_str(&format!("\nCrash points and actions of consumer \"{}\":\n\n", one_line(&spec.name)));
        for e in events {
            for (i, line) in wrap(&e, 82).into_iter().enumerate() {
                d.push_str(if i == 0 { "    " } else { "       " });
                d.push_str(&line);
                d.push('\n');
            }
        }
        d.push('\n');
        para(&mut d, "A crash point at a program point is code in main(). Each fires once: the .state.json file counts the messages seen over restarts.");
    }
    let effects = match sc.sink.kind {
        SinkKind::Ledger | SinkKind::Idempotent => "ledger.txt",
        SinkKind::Database => "payments.db",
        SinkKind::RefundsTopic | SinkKind::Transactional => "the refunds topic",
    };
    d.push_str(&format!("\nTo start over, delete {} and {effects}, and the group's offsets:\n\n", file_safe(&spec.name) + ".state.json"));
    d.push_str(&format!(
        "    kafka-consumer-groups.sh --bootstrap-server localhost:9092 --delete --group {}\n",
        shell_word(&spec.config.group_id)
    ));
    if effects == "the refunds topic" {
        d.push_str("    kafka-topics.sh --bootstrap-server localhost:9092 --delete --topic refunds\n");
    }
    d
}

/// What a crash point at a program point does, in words.
fn crash_description(point: ProgramPoint, message: u32, kind: CrashKind) -> String {
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
        ProgramPoint::CommitInFlight | ProgramPoint::AfterCommit => format!("from message {message} on"),
        _ => format!("message {message}"),
    };
    format!("{which}, {at}: {how}")
}

/// How to end the process by hand, for a crash at a time.
fn by_hand(kind: CrashKind) -> String {
    match kind {
        CrashKind::Kill => "end the process by hand: kill -9 <pid> (the script prints its pid)".into(),
        CrashKind::SysExit => "press Ctrl-C (KeyboardInterrupt unwinds like sys.exit(1), B13)".into(),
        CrashKind::Close => "the program exits through consumer.close(); by hand, Ctrl-C does that only with finally: consumer.close() (B13)".into(),
    }
}

// ---- Java ------------------------------------------------------------------------------------

fn java_lines(sc: &Scenario, spec: &ConsumerSpec) -> Vec<SourceLine> {
    let p = &spec.program;
    let cfg = &spec.config;
    let n = Needs::of(sc, spec);
    let message_commits = p.per_message.iter().any(|s| matches!(s, MessageStep::Commit { message: true, .. }));
    let listener = n.on_revoke_commit || n.db_assign;
    let mut imports = vec!["java.time.Duration", "java.util.List", "java.util.Properties"];
    if listener {
        imports.push("java.util.Collection");
    }
    if message_commits {
        imports.push("java.util.Map");
    }
    imports.extend([
        "org.apache.kafka.clients.consumer.ConsumerRecord",
        "org.apache.kafka.clients.consumer.ConsumerRecords",
        "org.apache.kafka.clients.consumer.KafkaConsumer",
        "org.apache.kafka.common.serialization.StringDeserializer",
    ]);
    if listener {
        imports.push("org.apache.kafka.clients.consumer.ConsumerRebalanceListener");
    }
    if message_commits {
        imports.push("org.apache.kafka.clients.consumer.OffsetAndMetadata");
    }
    if message_commits || listener {
        imports.push("org.apache.kafka.common.TopicPartition");
    }
    if n.sync_commit || n.transactional {
        imports.push("org.apache.kafka.common.KafkaException");
    }
    if n.producer {
        imports.extend([
            "org.apache.kafka.clients.producer.KafkaProducer",
            "org.apache.kafka.clients.producer.ProducerRecord",
            "org.apache.kafka.common.serialization.StringSerializer",
        ]);
    }
    imports.sort();
    let mut w = Writer::new("    ");
    let mut java_group = true;
    for i in &imports {
        if java_group && !i.starts_with("java.") {
            w.blank();
            java_group = false;
        }
        w.line(format!("import {i};"));
    }
    w.blank();
    w.line("public class PaymentConsumer {");
    w.indent();
    w.line("public static void main(String[] args) {");
    w.indent();
    w.line("Properties props = new Properties();");
    for e in config_entries(cfg, Language::Java) {
        let value = match &e.value {
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
        };
        w.line(with_note(format!("props.put({}, {});", java_str(e.key), java_str(&value)), "//", e.note.as_deref()));
    }
    if !cfg.enable_auto_offset_store {
        w.line("// enable.auto.offset.store has no Java equivalent: commits take the position (D1)");
    }
    w.line("props.put(\"key.deserializer\", StringDeserializer.class.getName());");
    w.line("props.put(\"value.deserializer\", StringDeserializer.class.getName());");
    w.line("KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);");
    if n.producer {
        w.blank();
        w.line("Properties producerProps = new Properties();");
        w.line(format!("producerProps.put(\"bootstrap.servers\", {});", java_str(BOOTSTRAP_SERVERS)));
        if n.transactional {
            let id = format!("{}-{}", cfg.group_id, spec.name);
            w.line(format!("producerProps.put(\"transactional.id\", {});  // E1: a restarted consumer fences its zombie", java_str(&id)));
        }
        w.line("producerProps.put(\"key.serializer\", StringSerializer.class.getName());");
        w.line("producerProps.put(\"value.serializer\", StringSerializer.class.getName());");
        w.line("KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps);");
        if n.transactional {
            w.line("producer.initTransactions();");
        }
    }
    w.blank();
    let topic = java_str(&sc.topic.name);
    if listener {
        w.line(format!("consumer.subscribe(List.of({topic}), new ConsumerRebalanceListener() {{"));
        w.indent();
        w.line("@Override");
        w.line("public void onPartitionsRevoked(Collection<TopicPartition> partitions) {");
        if n.on_revoke_commit {
            w.indented("consumer.commitSync();  // B10, D3: before the partitions go");
        }
        w.line("}");
        w.blank();
        w.line("@Override");
        w.line("public void onPartitionsAssigned(Collection<TopicPartition> partitions) {");
        if n.db_assign {
            w.indent();
            w.line("// E4: start where the database says; without a row there, auto.offset.reset");
            w.line("for (TopicPartition p : partitions) {");
            w.indented("dbNextOffset(p).ifPresent(offset -> consumer.seek(p, offset));");
            w.line("}");
            w.dedent();
        }
        w.line("}");
        w.dedent();
        w.line("});");
    } else {
        w.line(format!("consumer.subscribe(List.of({topic}));"));
    }
    w.blank();
    if p.close_in_finally {
        w.line("try {");
        w.indent();
    }
    w.line("while (true) {");
    w.indent();
    // D6: Java returns up to max.poll.records per poll(), whatever the program's batch size.
    w.line(format!("// D6: up to max.poll.records ({}) records per poll()", cfg.max_poll_records));
    if cfg.enable_auto_commit {
        w.line("// D2: when the interval is up, poll() first commits what earlier polls returned");
    }
    w.push(
        format!("ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis({}));", p.poll.timeout_ms),
        Some(Pc::Poll),
        Some(ProgramPoint::AfterPoll),
    );
    if !p.before.is_empty() || !p.after.is_empty() || n.transactional {
        // The simulator runs batch steps only for a poll that returned records.
        w.line("if (records.isEmpty()) {");
        w.indented("continue;");
        w.line("}");
    }
    if n.transactional {
        w.line("producer.beginTransaction();  // E1: this batch's refunds and offsets commit together");
    }
    for (i, step) in p.before.iter().enumerate() {
        java_batch_step(&mut w, step, Pc::Before(i as u8));
    }
    w.line("for (ConsumerRecord<String, String> record : records) {");
    w.indent();
    for (i, step) in p.per_message.iter().enumerate() {
        let pc = Pc::Message(i as u8);
        match *step {
            MessageStep::Process => java_process(&mut w, sc, p, &n, pc),
            MessageStep::StoreOffsets => {
                w.push("// store_offsets(): no Java equivalent; commits take the position (D1)", Some(pc), None);
            }
            MessageStep::Commit { asynchronous, message: true } => {
                let (method, tail, note) = if asynchronous {
                    ("commitAsync", ", null);", "D5: not retried")
                } else {
                    ("commitSync", ");", "D4: waits, retries retriable errors")
                };
                java_commit(&mut w, asynchronous, |w| {
                    let call = format!("consumer.{method}(Map.of(  // A1: offset + 1; {note}");
                    w.push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
                    w.cont("new TopicPartition(record.topic(), record.partition()),");
                    w.cont(format!("new OffsetAndMetadata(record.offset() + 1)){tail}"));
                });
            }
            MessageStep::Commit { asynchronous, message: false } => java_commit_positions(&mut w, asynchronous, pc),
        }
    }
    w.dedent();
    w.line("}");
    for (i, step) in p.after.iter().enumerate() {
        java_batch_step(&mut w, step, Pc::After(i as u8));
    }
    w.dedent();
    w.line("}");
    if p.close_in_finally {
        w.dedent();
        w.line("} finally {");
        w.indent();
        let note = if cfg.enable_auto_commit {
            "D3: commits the positions, then leaves the group; System.exit() skips finally"
        } else {
            "D3: leaves the group; System.exit() skips finally"
        };
        w.push(format!("consumer.close();  // {note}"), Some(Pc::Close), None);
        w.dedent();
        w.line("}");
    } else {
        // Pc::Close (a crash of kind close) lands here.
        w.push("// No finally: consumer.close(). System.exit(1) or a kill ends the process without", Some(Pc::Close), None);
        w.line("// close(): no final commit, no LeaveGroup (D3).");
    }
    w.dedent();
    w.line("}");
    w.dedent();
    w.line("}");
    w.lines
}

fn java_process(w: &mut Writer, sc: &Scenario, p: &Program, n: &Needs, pc: Pc) {
    if !n.handlers.is_empty() {
        w.line("try {");
        w.indent();
    }
    let call = if p.retry.attempts > 1 {
        format!("withRetries(() -> processPayment(record), {}, Duration.ofMillis({}));", p.retry.attempts, p.retry.backoff_ms)
    } else {
        "processPayment(record);".to_string()
    };
    w.push(format!("{call}  // {}", processing_note(p)), Some(pc), Some(ProgramPoint::DuringProcessing));
    let refund = "producer.send(new ProducerRecord<>(\"refunds\", record.key(), record.value()));";
    match n.sink {
        SinkKind::Ledger => w.push("recordPayment(record);  // A3: the payment's effect, one ledger entry", None, Some(ProgramPoint::AfterEffect)),
        SinkKind::Idempotent => {
            w.push("recordPayment(record);  // the ledger skips a payment id it already has", None, Some(ProgramPoint::AfterEffect))
        }
        SinkKind::Database => w.push(
            "recordPaymentAndOffset(record);  // E4: one DB transaction, payment and offset + 1",
            None,
            Some(ProgramPoint::AfterEffect),
        ),
        SinkKind::RefundsTopic => {
            w.line(refund);
            w.push("producer.flush();  // the refund is out; no transaction: a redelivery refunds again", None, Some(ProgramPoint::AfterEffect));
        }
        SinkKind::Transactional => w.push(format!("{refund}  // E1: in the open transaction"), None, Some(ProgramPoint::AfterEffect)),
    }
    if n.handlers.is_empty() {
        return;
    }
    w.dedent();
    for &(transient, action) in &n.handlers {
        let exception = if transient { "TransientException" } else { "InvalidPaymentException" };
        w.line(format!("}} catch ({exception} e) {{  // {}", handler_note(transient, action, p.retry.attempts)));
        w.indent();
        match action {
            FailureAction::Skip => w.line("System.err.println(\"skipped \" + record.value());"),
            FailureAction::DeadLetter => {
                let topic = java_str(&dead_letter_topic(sc));
                w.line(format!("producer.send(new ProducerRecord<>({topic}, record.key(), record.value()));"));
                w.line("producer.flush();");
            }
            FailureAction::Stop => w.line("throw e;"),
        }
        w.dedent();
    }
    w.line("}");
}

fn java_batch_step(w: &mut Writer, step: &BatchStep, pc: Pc) {
    match *step {
        BatchStep::Commit { asynchronous } => java_commit_positions(w, asynchronous, pc),
        BatchStep::CommitTransaction => {
            w.line("try {");
            w.indent();
            w.line("producer.sendOffsetsToTransaction(positions(consumer), consumer.groupMetadata());  // E1");
            w.push("producer.commitTransaction();  // E1: the refunds and the offsets commit together", Some(pc), None);
            w.dedent();
            w.line("} catch (KafkaException e) {");
            w.indent();
            w.line("producer.abortTransaction();  // E1: the refunds are discarded,");
            w.line("rewind(consumer);  // and the batch is read again from the committed offsets");
            w.dedent();
            w.line("}");
        }
    }
}

/// `commitSync()` / `commitAsync()`: D1, the positions of everything poll() returned.
fn java_commit_positions(w: &mut Writer, asynchronous: bool, pc: Pc) {
    java_commit(w, asynchronous, |w| {
        let call = if asynchronous {
            "consumer.commitAsync();  // D1, D5: the positions; not retried"
        } else {
            "consumer.commitSync();  // D1, D4: the positions; waits"
        };
        w.push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
    });
}

/// A commit; a synchronous one sits in `try`/`catch`, as the simulated program logs a failed
/// commit and goes on (D4: e.g. `CommitFailedException`).
fn java_commit(w: &mut Writer, asynchronous: bool, call: impl FnOnce(&mut Writer)) {
    if asynchronous {
        call(w);
        return;
    }
    w.line("try {");
    w.indent();
    call(w);
    w.dedent();
    w.line("} catch (KafkaException e) {  // D4: e.g. CommitFailedException after a rebalance");
    w.indented("System.err.println(e);");
    w.line("}");
}

// ---- text helpers ----------------------------------------------------------------------------

/// Collects lines at an indentation depth.
struct Writer {
    lines: Vec<SourceLine>,
    depth: usize,
    unit: &'static str,
}

impl Writer {
    fn new(unit: &'static str) -> Writer {
        Writer { lines: Vec::new(), depth: 0, unit }
    }

    fn push(&mut self, text: impl AsRef<str>, pc: Option<Pc>, crash_point: Option<ProgramPoint>) {
        let text = text.as_ref();
        let text = if text.is_empty() { String::new() } else { format!("{}{text}", self.unit.repeat(self.depth)) };
        self.lines.push(SourceLine { text, pc, crash_point });
    }

    fn line(&mut self, text: impl AsRef<str>) {
        self.push(text, None, None);
    }

    /// A line one level deeper than the current one.
    fn indented(&mut self, text: impl AsRef<str>) {
        self.indent();
        self.line(text);
        self.dedent();
    }

    /// A continuation line of a statement (two levels deeper, as Java style has it).
    fn cont(&mut self, text: impl AsRef<str>) {
        self.depth += 2;
        self.line(text);
        self.depth -= 2;
    }

    fn blank(&mut self) {
        self.line("");
    }

    /// Lines as given, without indentation. A leading line break gives a blank line.
    fn raw(&mut self, text: &str) {
        for l in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            self.lines.push(SourceLine { text: l.to_string(), pc: None, crash_point: None });
        }
    }

    fn indent(&mut self) {
        self.depth += 1;
    }

    fn dedent(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// `code  # note` (or `//`).
fn with_note(code: String, marker: &str, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{code}  {marker} {n}"),
        None => code,
    }
}

/// A Python string literal.
fn py_str(s: &str) -> String {
    quoted(s, '\'')
}

/// A Java string literal.
fn java_str(s: &str) -> String {
    quoted(s, '"')
}

/// A string literal in `quote`s, with the escapes Python and Java share.
fn quoted(s: &str, quote: char) -> String {
    let mut out = String::from(quote);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A Python docstring holding `text` (which ends with a line break).
fn py_doc(text: &str) -> String {
    let mut body: String = text.chars().filter(|c| *c == '\n' || !c.is_control()).collect();
    body = body.replace('\\', "\\\\");
    if body.contains("\"\"\"") {
        body = body.replace('"', "\\\"");
    }
    format!("\"\"\"{body}\"\"\"")
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Scenario text for one line of a comment or a docstring.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A name usable as a file name: letters, digits, `-`, `_` and `.`; anything else becomes `_`.
fn file_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// A word for a shell command line, quoted when it needs to be.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", one_line(s).replace('\'', "'\\''"))
    }
}

/// Seconds as a Python float literal: `1.0`, `0.25`.
fn py_seconds(ms: u64) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 { format!("{s}.0") } else { format!("{s}.{}", format!("{frac:03}").trim_end_matches('0')) }
}

/// A duration for people: `7 s`, `1.5 s`, `250 ms`.
fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", py_seconds(ms))
    }
}

/// Greedy word wrap; the text's own line breaks start new lines.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_durations() {
        assert_eq!(py_seconds(1000), "1.0");
        assert_eq!(py_seconds(250), "0.25");
        assert_eq!(py_seconds(1), "0.001");
        assert_eq!(py_seconds(7500), "7.5");
        assert_eq!(duration(7000), "7 s");
        assert_eq!(duration(1500), "1.5 s");
        assert_eq!(duration(250), "250 ms");
    }

    #[test]
    fn literals_escape() {
        assert_eq!(py_str("a'b\\c\nd"), r"'a\'b\\c\nd'");
        assert_eq!(java_str("a\"b'"), r#""a\"b'""#);
        assert_eq!(py_doc("say \"\"\"hi\"\"\"\n"), "\"\"\"say \\\"\\\"\\\"hi\\\"\\\"\\\"\n\"\"\"");
        assert_eq!(shell_word("payment-processor"), "payment-processor");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }
}
