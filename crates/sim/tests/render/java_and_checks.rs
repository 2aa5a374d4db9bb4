//! The Java listing, and checks over every listing and script.

use super::*;

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
pub(crate) fn marks(l: &Listing) -> String {
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
