//! The program's own decisions rendered as code: a commit counter, a commit timestamp, and what
//! the program does when a payment of a batch fails. The generic checks (a line for every
//! program counter, scripts that compile) run over these programs in `render.rs`.

use offset_lab_sim::Scenario;
use offset_lab_sim::render;
use offset_lab_sim::scenario::*;

/// The Step 3 batch program committing `commit(message=msg)` under a condition.
fn counted(every: u32, every_ms: u64) -> Scenario {
    let mut s = preset("step3-batch5-fail-at-3").unwrap();
    let p = &mut s.consumers[0].program;
    p.after.clear();
    p.per_message = vec![
        MessageStep::Process,
        MessageStep::Commit {
            asynchronous: false,
            message: true,
            every,
            every_ms,
        },
    ];
    s.validate().unwrap();
    s
}

fn java(mut s: Scenario) -> Scenario {
    s.client = ClientModel::Java;
    s
}

/// The lines from `from` (a substring of one line) on, `n` of them, trimmed at the right.
fn lines_from(text: &str, from: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(from))
        .unwrap_or_else(|| panic!("no line with {from:?} in\n{text}"));
    lines[i..(i + n).min(lines.len())].join("\n")
}

#[test]
fn a_commit_every_n_payments_is_a_counter_in_the_program() {
    let text = render::listing(&counted(3, 0), 0).text();
    assert!(!text.contains("import time"), "{text}");
    assert_eq!(
        lines_from(&text, "processed = 0", 1),
        "processed = 0  # payments this process has processed: the commit counter"
    );
    let block = lines_from(&text, "processed += 1", 4);
    assert_eq!(
        block,
        "        processed += 1
        if processed % 3 == 0:  # every 3 payments: a crash replays up to 3
            try:
                consumer.commit(message=msg, asynchronous=False)  # B6: commits msg.offset() + 1 and waits"
    );
    let text = render::listing(&java(counted(3, 0)), 0).text();
    assert!(text.contains("        long processed = 0;"), "{text}");
    assert_eq!(
        lines_from(&text, "processed++;", 3),
        "                processed++;
                if (processed % 3 == 0) {  // every 3 payments: a crash replays up to 3
                    try {"
    );
}

#[test]
fn a_commit_every_t_ms_is_a_timestamp_checked_at_the_step() {
    let text = render::listing(&counted(1, 2500), 0).text();
    assert!(text.starts_with("import time\n"), "{text}");
    assert!(!text.contains("processed = 0"), "{text}");
    assert_eq!(
        lines_from(&text, "if time.monotonic()", 3),
        "        if time.monotonic() - last_commit >= 2.5:  # at most every 2.5 s: a crash replays what was processed since
            last_commit = time.monotonic()
            try:"
    );
    assert!(
        text.contains(
            "last_commit = time.monotonic()  # when this program last committed\nwhile True:"
        ),
        "{text}"
    );
    let text = render::listing(&java(counted(4, 2500)), 0).text();
    assert!(
        text.contains(
            "if (processed % 4 == 0 && System.currentTimeMillis() - lastCommit >= 2500) {"
        ),
        "{text}"
    );
    assert!(
        text.contains("lastCommit = System.currentTimeMillis();\n"),
        "{text}"
    );
}

/// The Step 3 batch program (commit after the batch) with a failure handler.
fn handled(mode: OnBatchFailure) -> Scenario {
    let mut s = preset("step3-batch5-fail-at-3").unwrap();
    s.consumers[0].program.on_batch_failure = mode;
    s.consumers[0].config.max_poll_records = 5;
    s.validate().unwrap();
    s
}

#[test]
fn replay_batch_is_a_try_around_the_loop_that_seeks_to_the_batch_start() {
    let l = render::listing(&handled(OnBatchFailure::ReplayBatch), 0);
    let text = l.text();
    assert!(
        text.starts_with("from confluent_kafka import Consumer, KafkaException, TopicPartition\n"),
        "{text}"
    );
    assert!(!text.contains("done"), "{text}");
    assert_eq!(
        lines_from(&text, "    try:", 2),
        "    try:\n        for msg in msgs:"
    );
    assert_eq!(
        lines_from(&text, "    except", 8),
        "    except (TransientError, InvalidPayment) as e:  # replay_batch: read the whole batch again; what was processed runs twice
        print(e)
        starts = {}  # (topic, partition): its first offset in this batch
        for m in msgs:
            starts.setdefault((m.topic(), m.partition()), m.offset())
        for (t, p), o in starts.items():
            consumer.seek(TopicPartition(t, p, o))  # B8: fetching restarts at the batch's first offset; the stored offset stays
        continue  # poll again"
    );
    let seek = l.line_of(offset_lab_sim::client::Pc::Seek).unwrap();
    assert!(l.lines[seek].text.contains("consumer.seek("));
    assert!(
        l.line_of(offset_lab_sim::client::Pc::CommitPrefix)
            .is_none()
    );
}

#[test]
fn commit_prefix_tracks_what_was_handled_and_commits_it_before_seeking() {
    let l = render::listing(&handled(OnBatchFailure::CommitPrefix), 0);
    let text = l.text();
    assert!(text.contains("    done = {}  # (topic, partition): the offset after its last payment handled in this batch\n    try:\n"), "{text}");
    assert!(
        text.contains(
            "            done[msg.topic(), msg.partition()] = msg.offset() + 1  # A1\n    except"
        ),
        "{text}"
    );
    let commit = l.line_of(offset_lab_sim::client::Pc::CommitPrefix).unwrap();
    assert_eq!(
        l.lines[commit].text,
        "                consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in done.items()], asynchronous=False)  # B6: as given, and waits"
    );
    assert!(
        text.contains("consumer.seek(TopicPartition(t, p, done.get((t, p), o)))"),
        "{text}"
    );
    // Only the exceptions the loop lets through are caught.
    let mut s = handled(OnBatchFailure::CommitPrefix);
    s.consumers[0].program.on_invalid = FailureAction::DeadLetter;
    let text = render::listing(&s, 0).text();
    assert!(
        text.contains("    except TransientError as e:  # commit_prefix"),
        "{text}"
    );

    let text = render::listing(&java(handled(OnBatchFailure::CommitPrefix)), 0).text();
    for want in [
        "import java.util.HashMap;",
        "Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();",
        "} catch (TransientException | InvalidPaymentException e) {  // commit_prefix",
        "consumer.commitSync(done);  // D4: the processed prefix, and waits",
        "consumer.seek(tp, done.containsKey(tp) ? done.get(tp).offset() : first);  // D1",
        "continue;  // poll again",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
}
