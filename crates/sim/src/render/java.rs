//! The Java listing (classic KafkaConsumer, rules D1–D7).

use super::*;
use crate::client::Pc;
use crate::scenario::{
    BatchStep, ConsumerSpec, FailureAction, MessageStep, OnBatchFailure, Program, ProgramPoint,
    Scenario, SinkKind,
};

// ---- Java ------------------------------------------------------------------------------------

pub(crate) fn java_lines(sc: &Scenario, spec: &ConsumerSpec) -> Vec<SourceLine> {
    let p = &spec.program;
    let cfg = &spec.config;
    let n = Needs::of(sc, spec);
    let message_commits = p
        .per_message
        .iter()
        .any(|s| matches!(s, MessageStep::Commit { message: true, .. }));
    let listener = n.on_revoke_commit || n.db_assign;
    let prefix = p.on_batch_failure == OnBatchFailure::CommitPrefix;
    let seeks = !p.on_batch_failure.is_stop();
    let mut imports = vec![
        "java.time.Duration",
        "java.util.List",
        "java.util.Properties",
    ];
    if listener {
        imports.push("java.util.Collection");
    }
    if message_commits || prefix {
        imports.push("java.util.Map");
    }
    if prefix {
        imports.push("java.util.HashMap");
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
    if message_commits || prefix {
        imports.push("org.apache.kafka.clients.consumer.OffsetAndMetadata");
    }
    if message_commits || listener || seeks {
        imports.push("org.apache.kafka.common.TopicPartition");
    }
    if n.sync_commit || n.transactional || prefix {
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
        w.line(with_note(
            format!("props.put({}, {});", java_str(e.key), java_str(&value)),
            "//",
            e.note.as_deref(),
        ));
    }
    if !cfg.enable_auto_offset_store {
        w.line(
            "// enable.auto.offset.store has no Java equivalent: commits take the position (D1)",
        );
    }
    w.line("props.put(\"key.deserializer\", StringDeserializer.class.getName());");
    w.line("props.put(\"value.deserializer\", StringDeserializer.class.getName());");
    w.line("KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);");
    if n.producer {
        w.blank();
        w.line("Properties producerProps = new Properties();");
        w.line(format!(
            "producerProps.put(\"bootstrap.servers\", {});",
            java_str(BOOTSTRAP_SERVERS)
        ));
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
        w.line(format!(
            "consumer.subscribe(List.of({topic}), new ConsumerRebalanceListener() {{"
        ));
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
            w.line(
                "// E4: start where the database says; without a row there, the group's committed",
            );
            w.line("// offset, then auto.offset.reset (B9)");
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
    java_commit_every_init(&mut w, p);
    if p.close_in_finally {
        w.line("try {");
        w.indent();
    }
    w.line("while (true) {");
    w.indent();
    // D6: Java returns up to max.poll.records per poll(), whatever the program's batch size.
    w.line(format!(
        "// D6: up to max.poll.records ({}) records per poll()",
        cfg.max_poll_records
    ));
    if cfg.enable_auto_commit {
        w.line("// D2: when the interval is up, poll() first commits what earlier polls returned");
    }
    w.push(
        format!(
            "ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis({}));",
            p.poll.timeout_ms
        ),
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
        w.line(
            "producer.beginTransaction();  // E1: this batch's refunds and offsets commit together",
        );
    }
    for (i, step) in p.before.iter().enumerate() {
        java_batch_step(&mut w, step, Pc::Before(i as u8));
    }
    java_batch_failure_try(&mut w, p);
    w.line("for (ConsumerRecord<String, String> record : records) {");
    w.indent();
    for (i, step) in p.per_message.iter().enumerate() {
        let pc = Pc::Message(i as u8);
        match *step {
            MessageStep::Process => java_process(&mut w, sc, p, &n, pc),
            MessageStep::StoreOffsets => {
                w.push(
                    "// store_offsets(): no Java equivalent; commits take the position (D1)",
                    Some(pc),
                    None,
                );
            }
            MessageStep::Commit {
                asynchronous,
                message: true,
                every,
                every_ms,
            } => {
                let (method, tail, note) = if asynchronous {
                    ("commitAsync", ", null);", "D5: not retried")
                } else {
                    ("commitSync", ");", "D4: waits, retries retriable errors")
                };
                java_commit_every(&mut w, every, every_ms, |w| {
                    java_commit(w, asynchronous, |w| {
                        let call = format!("consumer.{method}(Map.of(  // A1: offset + 1; {note}");
                        w.push(call, Some(pc), Some(ProgramPoint::CommitInFlight));
                        w.cont("new TopicPartition(record.topic(), record.partition()),");
                        w.cont(format!("new OffsetAndMetadata(record.offset() + 1)){tail}"));
                    })
                });
            }
            MessageStep::Commit {
                asynchronous,
                message: false,
                every,
                every_ms,
            } => java_commit_every(&mut w, every, every_ms, |w| {
                java_commit_positions(w, asynchronous, pc)
            }),
        }
    }
    java_batch_failure_done(&mut w, p);
    w.dedent();
    w.line("}");
    java_batch_failure_catch(&mut w, p);
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
        w.push(
            format!("consumer.close();  // {note}"),
            Some(Pc::Close),
            None,
        );
        w.dedent();
        w.line("}");
    } else {
        // Pc::Close (a crash of kind close) lands here.
        w.push(
            "// No finally: consumer.close(). System.exit(1) or a kill ends the process without",
            Some(Pc::Close),
            None,
        );
        w.line("// close(): no final commit, no LeaveGroup (D3).");
    }
    w.dedent();
    w.line("}");
    w.dedent();
    w.line("}");
    w.lines
}

pub(crate) fn java_process(w: &mut Writer, sc: &Scenario, p: &Program, n: &Needs, pc: Pc) {
    if !n.handlers.is_empty() {
        w.line("try {");
        w.indent();
    }
    let call = if p.retry.attempts > 1 {
        format!(
            "withRetries(() -> processPayment(record), {}, Duration.ofMillis({}));",
            p.retry.attempts, p.retry.backoff_ms
        )
    } else {
        "processPayment(record);".to_string()
    };
    w.push(
        format!("{call}  // {}", processing_note(p)),
        Some(pc),
        Some(ProgramPoint::DuringProcessing),
    );
    let refund = "producer.send(new ProducerRecord<>(\"refunds\", record.key(), record.value()));";
    match n.sink {
        SinkKind::Ledger => w.push(
            "recordPayment(record);  // A3: the payment's effect, one ledger entry",
            None,
            Some(ProgramPoint::AfterEffect),
        ),
        SinkKind::Idempotent => w.push(
            "recordPayment(record);  // the ledger skips a payment id it already has",
            None,
            Some(ProgramPoint::AfterEffect),
        ),
        SinkKind::Database => w.push(
            "recordPaymentAndOffset(record);  // E4: one DB transaction, payment and offset + 1",
            None,
            Some(ProgramPoint::AfterEffect),
        ),
        SinkKind::RefundsTopic => {
            w.line(refund);
            w.push("producer.flush();  // the refund is out; no transaction: a redelivery refunds again", None, Some(ProgramPoint::AfterEffect));
        }
        SinkKind::Transactional => w.push(
            format!("{refund}  // E1: in the open transaction"),
            None,
            Some(ProgramPoint::AfterEffect),
        ),
    }
    if n.handlers.is_empty() {
        return;
    }
    w.dedent();
    for &(transient, action) in &n.handlers {
        let exception = if transient {
            "TransientException"
        } else {
            "InvalidPaymentException"
        };
        w.line(format!(
            "}} catch ({exception} e) {{  // {}",
            handler_note(transient, action, p.retry.attempts)
        ));
        w.indent();
        match action {
            FailureAction::Skip => w.line("System.err.println(\"skipped \" + record.value());"),
            FailureAction::DeadLetter => {
                let topic = java_str(&dead_letter_topic(sc));
                w.line(format!(
                    "producer.send(new ProducerRecord<>({topic}, record.key(), record.value()));"
                ));
                w.line("producer.flush();");
            }
            FailureAction::Stop => w.line("throw e;"),
        }
        w.dedent();
    }
    w.line("}");
}

pub(crate) fn java_batch_step(w: &mut Writer, step: &BatchStep, pc: Pc) {
    match *step {
        BatchStep::Commit { asynchronous } => java_commit_positions(w, asynchronous, pc),
        BatchStep::CommitTransaction => {
            w.line("try {");
            w.indent();
            w.line("producer.sendOffsetsToTransaction(positions(consumer), consumer.groupMetadata());  // E1");
            w.push(
                "producer.commitTransaction();  // E1: the refunds and the offsets commit together",
                Some(pc),
                None,
            );
            w.dedent();
            w.line("} catch (KafkaException e) {");
            w.indent();
            w.line("producer.abortTransaction();  // E1: the refunds stay in the log, skipped by read_committed,");
            w.line("rewind(consumer);  // and the batch is read again from the committed offsets");
            w.dedent();
            w.line("}");
        }
    }
}

/// `commitSync()` / `commitAsync()`: D1, the positions of everything poll() returned.
pub(crate) fn java_commit_positions(w: &mut Writer, asynchronous: bool, pc: Pc) {
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
pub(crate) fn java_commit(w: &mut Writer, asynchronous: bool, call: impl FnOnce(&mut Writer)) {
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
