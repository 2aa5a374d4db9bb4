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
