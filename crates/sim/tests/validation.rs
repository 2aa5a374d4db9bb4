//! Bad input gets a clear message naming the field, and never a panic.

use offset_lab_sim::rng::SimRng;
use offset_lab_sim::scenario::{PRESETS, Scenario};

fn error(text: &str) -> String {
    Scenario::from_json(text).unwrap_err().to_string()
}

#[test]
fn malformed_files_say_what_is_wrong() {
    assert!(error("").contains("JSON object"));
    assert!(error("[1, 2]").contains("JSON object"));
    assert!(error("{\"version\": 1,").contains("not valid JSON"));
    assert_eq!(
        error("{\"name\": \"x\"}"),
        "version: missing; this build reads version 1"
    );
    assert_eq!(
        error("{\"version\": \"one\"}"),
        "version: must be a whole number"
    );
    assert!(error("{\"version\": 7}").contains("newer Offset Lab"));
    assert!(error("{\"version\": 0}").contains("start at 1"));
}

#[test]
fn field_errors_name_the_field_and_the_range() {
    let base = PRESETS[0].1;
    let with = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        error(&base.replacen(from, to, 1))
    };
    assert!(with("\"seed\": 1", "\"seed\": 1, \"colour\": 2").contains("unknown field `colour`"));
    assert_eq!(
        with(
            "\"auto.commit.interval.ms\": 5000",
            "\"auto.commit.interval.ms\": 0"
        ),
        "consumers[0].config.auto.commit.interval.ms: 0 is out of range; allowed 100..=3600000"
    );
    assert!(
        with("\"partitions\": 1", "\"partitions\": 65")
            .starts_with("topic.partitions: 65 is out of range")
    );
    assert!(
        with("\"kind\": \"sys_exit\"", "\"kind\": \"explode\"")
            .contains("unknown variant `explode`")
    );
    assert!(
        with("\"message\": 1", "\"message\": 0").starts_with("consumers[0].crashes[0].message")
    );
    assert!(with("\"duration_ms\": 90000", "\"duration_ms\": -5").contains("invalid value"));
}

#[test]
fn no_input_makes_the_parser_panic() {
    let mut r = SimRng::new(5);
    for (_, text) in PRESETS {
        // Every truncation of every preset.
        for cut in (0..text.len()).step_by(7) {
            if text.is_char_boundary(cut) {
                let _ = Scenario::from_json(&text[..cut]);
            }
        }
        // Random byte flips.
        for _ in 0..200 {
            let mut bytes = text.as_bytes().to_vec();
            let i = r.below(bytes.len() as u64) as usize;
            bytes[i] = r.below(128) as u8;
            if let Ok(s) = std::str::from_utf8(&bytes)
                && let Ok(sc) = Scenario::from_json(s)
            {
                // Whatever parses and validates must also run.
                let _ = offset_lab_sim::Timeline::new(sc);
            }
        }
    }
}

#[test]
fn consumers_of_different_groups_are_refused_not_merged() {
    // A4: committed offsets are per group; two group ids would be two groups that each read
    // every payment. A scenario models one group, so it says so instead of merging them.
    let mut s = offset_lab_sim::preset("refunds-scale-out").unwrap();
    assert!(s.consumers.len() >= 2);
    s.consumers[1].config.group_id = "audit".into();
    let e = s.validate().unwrap_err();
    assert_eq!(e.path, "consumers[1].config.group.id");
    assert!(e.message.contains("separate groups"), "{}", e.message);
    assert!(e.message.contains("payment-processor"), "{}", e.message);
}

#[test]
fn names_texts_and_lists_are_capped() {
    let base = offset_lab_sim::preset("step2-manual-commit").unwrap();
    let mut s = base.clone();
    s.name = "n".repeat(65);
    assert_eq!(s.validate().unwrap_err().path, "name");
    let mut s = base.clone();
    s.description = "d".repeat(4001);
    assert_eq!(s.validate().unwrap_err().path, "description");
    let mut s = base.clone();
    s.consumers[0].config.group_id = "g".repeat(65);
    assert_eq!(
        s.validate().unwrap_err().path,
        "consumers[0].config.group.id"
    );
    let mut s = base.clone();
    s.topic.name = "t".repeat(65);
    assert_eq!(s.validate().unwrap_err().path, "topic.name");
    // invalid: never longer than the payments; repeats are harmless.
    let mut s = base.clone();
    s.topic.payments.invalid = vec![1; s.topic.payments.count as usize + 1];
    assert_eq!(s.validate().unwrap_err().path, "topic.payments.invalid");
    let mut s = base;
    s.topic.payments.invalid = vec![2, 2, 3];
    let tl = offset_lab_sim::Timeline::new(s).unwrap();
    let bad: Vec<u32> = tl
        .final_world
        .log
        .payments
        .iter()
        .filter(|p| p.invalid)
        .map(|p| p.number)
        .collect();
    assert_eq!(bad, vec![2, 3]);
}

#[test]
fn type_and_variant_errors_name_the_field_too() {
    let base = offset_lab_sim::preset("step2-manual-commit")
        .unwrap()
        .to_json();
    let e = Scenario::from_json(&base.replacen(
        "\"processing_ms\": 1000",
        "\"processing_ms\": \"1000\"",
        1,
    ))
    .unwrap_err();
    assert_eq!(e.path, "consumers[0].program.processing_ms", "{e}");
    assert!(
        e.message
            .starts_with("invalid type: string \"1000\", expected u64"),
        "{e}"
    );
    assert!(!e.message.contains("line"), "{e}");
    let e =
        Scenario::from_json(&base.replacen("\"kind\": \"sys_exit\"", "\"kind\": \"explode\"", 1))
            .unwrap_err();
    assert_eq!(e.path, "consumers[0].crashes[0].kind", "{e}");
    let e = Scenario::from_json(&base.replacen("\"seed\": 1", "\"seed\": 1, \"colour\": 2", 1))
        .unwrap_err();
    assert_eq!(e.path, "colour", "{e}");
}
