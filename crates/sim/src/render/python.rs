//! The Python listing and the runnable confluent-kafka script, from one generator.

use super::*;
use crate::client::Pc;
use crate::scenario::{
    ActionKind, BatchStep, ClientModel, ConsumerSpec, CrashKind, CrashWhen, FailureAction, Fault,
    MessageStep, OffsetReset, Program, ProgramPoint, Scenario, SinkKind,
};

// ---- Python ----------------------------------------------------------------------------------

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

/// Renders a consumer as confluent-kafka Python: the listing (`script: false`), or the runnable
/// script (`script: true`), which is the listing's code inside `main()` plus the helpers, the
/// message counter and the crash points.
pub(crate) struct PyGen<'a> {
    pub(crate) sc: &'a Scenario,
    pub(crate) spec: &'a ConsumerSpec,
    pub(crate) needs: Needs,
    pub(crate) script: bool,
    pub(crate) w: Writer,
}

/// The crash points of a consumer at program points: (index in `crashes`, point, message, kind).
pub(crate) fn point_crashes(
    spec: &ConsumerSpec,
) -> impl Iterator<Item = (usize, ProgramPoint, u32, CrashKind)> + '_ {
    spec.crashes
        .iter()
        .enumerate()
        .filter_map(|(ix, cp)| match cp.when() {
            CrashWhen::Point(point, message) => Some((ix, point, message, cp.kind)),
            CrashWhen::At(_) => None,
        })
}

/// How the scenario ends this consumer at a time (its timed crash points and its crash
/// actions), in scenario order.
pub(crate) fn timed_end_kinds(sc: &Scenario, spec: &ConsumerSpec) -> Vec<CrashKind> {
    let crashes = spec.crashes.iter().filter_map(|cp| match cp.when() {
        CrashWhen::At(_) => Some(cp.kind),
        CrashWhen::Point(..) => None,
    });
    let actions = sc
        .actions
        .iter()
        .filter(|a| a.consumer == spec.name)
        .filter_map(|a| match a.act {
            ActionKind::Crash { kind } => Some(kind),
            _ => None,
        });
    crashes.chain(actions).collect()
}

impl<'a> PyGen<'a> {
    pub(crate) fn new(sc: &'a Scenario, spec: &'a ConsumerSpec, script: bool) -> PyGen<'a> {
        PyGen {
            sc,
            spec,
            needs: Needs::of(sc, spec),
            script,
            w: Writer::new("    "),
        }
    }

    pub(crate) fn program(&self) -> &'a Program {
        &self.spec.program
    }

    pub(crate) fn batched(&self) -> bool {
        self.program().poll.max_messages > 1
    }

    /// The broker: the script names it once, in `BOOTSTRAP`.
    pub(crate) fn bootstrap(&self) -> String {
        if self.script {
            "BOOTSTRAP".into()
        } else {
            py_str(BOOTSTRAP_SERVERS)
        }
    }

    /// The script tracks which message's processing started last (the simulator's
    /// `current_seq`) when a crash point is tied to a commit.
    pub(crate) fn tracks_current(&self) -> bool {
        point_crashes(self.spec).any(|(_, p, _, _)| {
            matches!(p, ProgramPoint::CommitInFlight | ProgramPoint::AfterCommit)
        })
    }

    pub(crate) fn render(mut self) -> Vec<SourceLine> {
        if self.script {
            self.script_head();
            self.w.line("def main():");
            self.w.indent();
            self.w.line(
                "print(f'{CONSUMER}: pid {os.getpid()}, {state[\"seen\"]} messages seen before')",
            );
        } else {
            let n = &self.needs;
            let mut names = vec!["Consumer"];
            if n.sync_commit || n.on_revoke_commit || n.transactional || self.commits_prefix() {
                names.push("KafkaException");
            }
            if n.producer {
                names.push("Producer");
            }
            if self.seeks() {
                names.push("TopicPartition");
            }
            if self.needs_time() {
                self.w.line("import time");
            }
            self.w
                .line(format!("from confluent_kafka import {}", names.join(", ")));
            self.w.blank();
        }
        self.setup();
        if self.script && self.tracks_current() {
            self.w
                .line("current = 0  # the message whose processing started last, in this process");
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
    pub(crate) fn setup(&mut self) {
        if self.script {
            self.w.line(
                "wait_for_start()  # OFFSET_LAB_START_AT, if set: the auto-commit timer starts at Consumer() (B5)",
            );
        }
        self.w.line("consumer = Consumer({");
        self.w.indent();
        for e in config_entries(&self.spec.config, Language::Python) {
            let value = match &e.value {
                // The script names the broker and the group once, at the top, where the
                // environment can change them.
                Value::Str(_) if self.script && e.key == "bootstrap.servers" => "BOOTSTRAP".into(),
                Value::Str(_) if self.script && e.key == "group.id" => "GROUP".into(),
                Value::Str(s) => py_str(s),
                Value::Bool(b) => if *b { "True" } else { "False" }.into(),
                Value::Int(n) => n.to_string(),
            };
            self.w.line(with_note(
                format!("{}: {value},", py_str(e.key)),
                "#",
                e.note.as_deref(),
            ));
            if self.script && e.key == "bootstrap.servers" {
                self.w.line("**SECURITY,");
            }
        }
        self.w.dedent();
        self.w.line("})");
        if self.needs.transactional {
            let id = format!("{}-{}", self.spec.config.group_id, self.spec.name);
            self.w.line("producer = Producer({");
            self.w.indent();
            self.w
                .line(format!("'bootstrap.servers': {},", self.bootstrap()));
            let id = if self.script {
                "f'{GROUP}-{CONSUMER}'".to_string()
            } else {
                py_str(&id)
            };
            if self.script {
                self.w.line("**SECURITY,");
            }
            self.w.line(format!(
                "'transactional.id': {id},  # E1: a restarted consumer fences its zombie"
            ));
            self.w.dedent();
            self.w.line("})");
            self.w.line("producer.init_transactions()");
        } else if self.needs.producer {
            let security = if self.script { ", **SECURITY" } else { "" };
            self.w.line(format!(
                "producer = Producer({{'bootstrap.servers': {}{security}}})",
                self.bootstrap()
            ));
        }
        let mut callbacks = Vec::new();
        if self.needs.db_assign {
            self.w.blank();
            self.w.line("def on_assign(consumer, partitions):");
            self.w.indent();
            self.w
                .line("# E4: start where the database says; without a row there,");
            self.w
                .line("# the group's committed offset, then auto.offset.reset (B9)");
            self.w.line("for p in partitions:");
            self.w
                .indented("p.offset = db_next_offset(p.topic, p.partition)");
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
            self.w
                .indented("print(e)  # e.g. _NO_OFFSET: nothing new to commit");
            self.w.dedent();
            callbacks.push("on_revoke=on_revoke");
        }
        if !callbacks.is_empty() {
            self.w.blank();
        }
        let callbacks: String = callbacks.iter().map(|c| format!(", {c}")).collect();
        let topic = if self.script {
            "TOPIC".to_string()
        } else {
            py_str(&self.sc.topic.name)
        };
        self.w
            .line(format!("consumer.subscribe([{topic}]{callbacks})"));
    }

    /// The script ends this consumer through `close()` at a time, without `finally: close()`:
    /// a signal handler raises `CloseNow`, and main() closes.
    pub(crate) fn closes_on_signal(&self) -> bool {
        self.script
            && !self.program().close_in_finally
            && timed_end_kinds(self.sc, self.spec).contains(&CrashKind::Close)
    }

    pub(crate) fn main_loop(&mut self) {
        let p = self.program();
        self.commit_every_init();
        if p.close_in_finally || self.closes_on_signal() {
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
            self.batch_failure_try();
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
            self.batch_failure_done();
            self.w.dedent();
            self.batch_failure_except();
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
            self.w
                .push(format!("consumer.close()  # {note}"), Some(Pc::Close), None);
            self.w.dedent();
        } else if self.closes_on_signal() {
            self.w.dedent();
            self.w
                .line("except CloseNow:  # SIGTERM: the scenario's end at a time, through close()");
            self.w.indent();
            self.w.line(
                "consumer.close()  # B11: commits the stored offsets if auto-commit is on, leaves",
            );
            self.w.line("sys.exit(1)");
            self.w.dedent();
        } else if !self.script {
            // B12: no close() on the way out. Pc::Close (a crash of kind close) lands here.
            self.w.blank();
            self.w.push(
                "# No finally: consumer.close(). sys.exit(1) or a kill ends the process without",
                Some(Pc::Close),
                None,
            );
            self.w
                .line("# close(): no final commit, no LeaveGroup (B12, B13).");
        }
    }

    /// `poll()` (or `consume()` for a batch) and the checks that skip an empty result.
    pub(crate) fn poll(&mut self) {
        let poll = &self.program().poll;
        let timeout = py_seconds(poll.timeout_ms);
        let note = if self.spec.config.enable_auto_offset_store {
            "B2: stores the offset as it returns"
        } else {
            "B3: stores nothing"
        };
        if self.batched() {
            let call = format!(
                "msgs = consumer.consume(num_messages={}, timeout={timeout})  # {note}",
                poll.max_messages
            );
            self.w
                .push(call, Some(Pc::Poll), Some(ProgramPoint::AfterPoll));
            self.w.line("if not msgs:");
            self.w.indented("continue");
            if self.script {
                self.w.line("last = count_messages(len(msgs))");
                self.w.line("first = last - len(msgs) + 1");
                self.crash_checks(
                    ProgramPoint::AfterPoll,
                    |k| format!("first <= {k} <= last"),
                    &[],
                );
            }
        } else {
            self.w.push(
                format!("msg = consumer.poll({timeout})  # {note}"),
                Some(Pc::Poll),
                Some(ProgramPoint::AfterPoll),
            );
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
    pub(crate) fn error_check(&mut self) {
        self.w.line("if msg.error():");
        self.w.indent();
        self.w.line("print(msg.error())");
        self.w.line("continue");
        self.w.dedent();
    }

    pub(crate) fn batch_step(&mut self, step: &BatchStep, pc: Pc) {
        match *step {
            BatchStep::Commit { asynchronous } => self.commit(None, asynchronous, pc),
            BatchStep::CommitTransaction => self.commit_transaction(pc),
        }
    }

    pub(crate) fn message_step(&mut self, step: &MessageStep, pc: Pc) {
        match *step {
            MessageStep::Process => self.process(pc),
            MessageStep::StoreOffsets => {
                let store = "consumer.store_offsets(message=msg)  # B3: stores msg.offset() + 1 for the next commit";
                self.w.push(store, Some(pc), None);
            }
            MessageStep::Commit {
                asynchronous,
                message,
                every,
                every_ms,
            } => self.commit_every(every, every_ms, |g| {
                g.commit(message.then_some("msg"), asynchronous, pc)
            }),
        }
    }

    /// Processing, then the payment's effect on the sink, inside `try`/`except` when the program
    /// handles a failure other than by stopping.
    pub(crate) fn process(&mut self, pc: Pc) {
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
            format!(
                "with_retries(process_payment, msg, attempts={}, backoff={})",
                p.retry.attempts,
                py_seconds(p.retry.backoff_ms)
            )
        } else {
            "process_payment(msg)".to_string()
        };
        self.w.push(
            format!("{call}  # {}", processing_note(p)),
            Some(pc),
            Some(ProgramPoint::DuringProcessing),
        );
        self.crash_checks(
            ProgramPoint::DuringProcessing,
            |k| format!("seq == {k}"),
            &[],
        );
        let refunds = if self.script {
            "REFUNDS".to_string()
        } else {
            py_str(REFUNDS_TOPIC)
        };
        let produce_refund =
            format!("producer.produce({refunds}, key=msg.key(), value=msg.value())");
        let in_transaction = format!("{produce_refund}  # E1: in the open transaction");
        let (effect, flush): (&str, Option<&str>) = match self.needs.sink {
            SinkKind::Ledger => (
                "record_payment(msg)  # A3: the payment's effect, one ledger entry",
                None,
            ),
            SinkKind::Idempotent => (
                "record_payment(msg)  # the ledger skips a payment id it already has",
                None,
            ),
            SinkKind::Database => (
                "record_payment_and_offset(msg)  # E4: one DB transaction, payment and msg.offset() + 1",
                None,
            ),
            SinkKind::RefundsTopic => (
                &produce_refund,
                Some(
                    "producer.flush()  # the refund is out; no transaction: a redelivery refunds again",
                ),
            ),
            SinkKind::Transactional => (&in_transaction, None),
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
            let exception = if transient {
                "TransientError"
            } else {
                "InvalidPayment"
            };
            self.w.line(format!(
                "except {exception}:  # {}",
                handler_note(transient, action, p.retry.attempts)
            ));
            self.w.indent();
            match action {
                FailureAction::Skip => self.w.line("print('skipped', msg.value())"),
                FailureAction::DeadLetter => {
                    let topic = if self.script {
                        "DEAD_LETTER".to_string()
                    } else {
                        py_str(&dead_letter_topic(self.sc))
                    };
                    self.w.line(format!(
                        "producer.produce({topic}, key=msg.key(), value=msg.value())"
                    ));
                    self.w.line("producer.flush()");
                }
                FailureAction::Stop => self.w.line("raise"),
            }
            self.w.dedent();
        }
    }

    /// `consumer.commit(...)`; a synchronous commit sits in `try`/`except`, as the simulated
    /// program catches and logs a failed commit and goes on.
    pub(crate) fn commit(&mut self, message: Option<&str>, asynchronous: bool, pc: Pc) {
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
        let on_the_wire = [
            send.as_str(),
            "time.sleep(0.1)  # librdkafka sends it; the answer is never read",
        ];
        self.crash_checks(
            ProgramPoint::CommitInFlight,
            |k| format!("current >= {k}"),
            &on_the_wire,
        );
        let call = format!("consumer.commit({})  # {note}", args(asynchronous));
        if asynchronous {
            // B6: commit() is asynchronous by default: the result goes to on_commit in a later
            // poll(), and no error is raised here.
            self.w
                .push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
        } else {
            self.w.line("try:");
            self.w.indent();
            self.w
                .push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
            self.w.dedent();
            self.w.line("except KafkaException as e:");
            let why = if message.is_some() {
                "e.g. UNKNOWN_MEMBER_ID (B14)"
            } else {
                "e.g. _NO_OFFSET (B4)"
            };
            self.w
                .indented(format!("print(e)  # {why}: logged, the loop goes on"));
        }
        self.crash_checks(
            ProgramPoint::AfterCommit,
            |k| format!("current >= {k}"),
            &[],
        );
    }

    /// E1: the batch's positions go into the transaction, which commits them with the refunds;
    /// on failure the program aborts and rewinds to the committed offsets.
    pub(crate) fn commit_transaction(&mut self, pc: Pc) {
        self.w.line("try:");
        self.w.indent();
        self.w.line(
            "producer.send_offsets_to_transaction(  # E1: the positions, inside the transaction",
        );
        self.w.indented(
            "consumer.position(consumer.assignment()), consumer.consumer_group_metadata())",
        );
        self.w.push(
            "producer.commit_transaction()  # E1: the refunds and the offsets commit together",
            Some(pc),
            None,
        );
        self.w.dedent();
        self.w.line("except KafkaException as e:");
        self.w.indent();
        self.w.line("print(e)");
        self.w
            .line("producer.abort_transaction()  # E1: read_committed readers skip the refunds,");
        self.w
            .line("rewind(consumer)  # and the batch is read again from the committed offsets");
        self.w.dedent();
    }

    /// In the script: for each crash point at `point`, `if <cond> and fire(ix):`, then
    /// `before`, then the exit of the crash point's kind (B12, B13). Nothing in the listing.
    pub(crate) fn crash_checks(
        &mut self,
        point: ProgramPoint,
        cond: impl Fn(u32) -> String,
        before: &[&str],
    ) {
        if !self.script {
            return;
        }
        let hits: Vec<_> = point_crashes(self.spec)
            .filter(|(_, p, _, _)| *p == point)
            .collect();
        let finally = self.program().close_in_finally;
        for (ix, _, message, kind) in hits {
            self.w.line(format!("if {} and fire({ix}):", cond(message)));
            self.w.indent();
            let what = crash_description(point, message, kind);
            self.w.line(format!(
                "print({})",
                py_str(&format!("crash point {}: {what}", ix + 1))
            ));
            for line in before {
                self.w.line(*line);
            }
            match kind {
                CrashKind::SysExit if finally => self
                    .w
                    .line("sys.exit(1)  # B13: SystemExit runs finally: consumer.close()"),
                CrashKind::SysExit => self
                    .w
                    .line("sys.exit(1)  # B12: no close(): no final commit, no LeaveGroup"),
                CrashKind::Kill => self
                    .w
                    .line("os._exit(1)  # B13: like SIGKILL, nothing runs on the way out"),
                CrashKind::Close if finally => self
                    .w
                    .line("sys.exit(1)  # B11: exits through finally: consumer.close()"),
                CrashKind::Close => {
                    self.w.line("consumer.close()  # B11: commits the stored offsets if auto-commit is on, leaves");
                    self.w.line("sys.exit(1)");
                }
            }
            self.w.dedent();
        }
    }

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
