//! The Python listing and the runnable confluent-kafka script, from one generator.

use super::*;
use crate::client::Pc;
use crate::scenario::{
    ActionKind, BatchStep, ConsumerSpec, CrashKind, CrashWhen, FailureAction, MessageStep, Program,
    ProgramPoint, Scenario, SinkKind,
};

// ---- Python ----------------------------------------------------------------------------------

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
}
