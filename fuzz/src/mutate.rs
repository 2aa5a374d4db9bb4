//! A JSON-aware mutator for the scenario targets: half of the mutations of an input that is
//! JSON edit its tree (a number set to an edge of a range, a flag flipped, an enum value
//! swapped, an array element copied or dropped, a known field added or removed) and write it
//! back, so that most inputs stay scenarios the core will run; the other half, and every input
//! that is not JSON, get libFuzzer's own byte-level mutations.

use serde_json::{Map, Number, Value};

/// Numbers at the edges of the scenario's ranges (see `validate.rs`) and a few others.
const NUMBERS: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    10,
    16,
    17,
    64,
    65,
    100,
    249,
    250,
    256,
    257,
    500,
    1000,
    1001,
    2000,
    3000,
    5000,
    6000,
    10_000,
    45_000,
    60_000,
    100_000,
    120_000,
    200_000,
    300_000,
    1_000_000,
    1_800_000,
    3_600_000,
    86_400_000,
    u32::MAX as u64,
    u32::MAX as u64 + 1,
    i64::MAX as u64,
    u64::MAX,
];

/// Enum values and names the scenario format knows.
const STRINGS: &[&str] = &[
    "librdkafka",
    "java",
    "earliest",
    "latest",
    "error",
    "range",
    "roundrobin",
    "cooperative-sticky",
    "skip",
    "dead_letter",
    "stop",
    "process",
    "store_offsets",
    "commit_transaction",
    "after_poll",
    "during_processing",
    "after_effect",
    "after_commit",
    "commit_in_flight",
    "kill",
    "sys_exit",
    "close",
    "restart",
    "ledger",
    "idempotent",
    "database",
    "refunds_topic",
    "transactional",
    "transient_failures",
    "fail_payment",
    "slow_payment",
    "commit_errors",
    "coordinator_unavailable",
    "commit_latency",
    "consistent_random",
    "murmur2_random",
    "request_timed_out",
    "coordinator_not_available",
    "coordinator_load_in_progress",
    "not_coordinator",
    "consumer-1",
    "consumer-2",
    "consumer-3",
    "consumer-4",
    "payments",
    "payment-processor",
    "",
];

/// Field names of the scenario format, with a value to start from.
const FIELDS: &[(&str, &str)] = &[
    ("client", r#""java""#),
    (
        "faults",
        r#"[{"kind":"transient_failures","per_mille":500}]"#,
    ),
    (
        "actions",
        r#"[{"at_ms":5000,"consumer":"consumer-1","do":"restart"}]"#,
    ),
    ("sink", r#"{"kind":"database"}"#),
    ("broker", r#"{"rtt_ms":0}"#),
    ("partitions", "3"),
    ("count", "100"),
    ("start_ms", "1000"),
    ("interval_ms", "100"),
    ("keyed", "true"),
    ("customers", "3"),
    ("invalid", "[1]"),
    ("partitioner", r#""murmur2_random""#),
    ("group.initial.rebalance.delay.ms", "0"),
    ("group.min.session.timeout.ms", "1"),
    ("group.max.session.timeout.ms", "3600000"),
    ("rtt_ms", "40"),
    ("config", "{}"),
    ("program", "{}"),
    (
        "crashes",
        r#"[{"at_ms":3000,"kind":"kill","restart_after_ms":1000}]"#,
    ),
    ("enable.auto.commit", "false"),
    ("auto.commit.interval.ms", "1000"),
    ("enable.auto.offset.store", "false"),
    ("auto.offset.reset", r#""earliest""#),
    ("session.timeout.ms", "6000"),
    ("heartbeat.interval.ms", "1000"),
    ("max.poll.interval.ms", "2000"),
    ("partition.assignment.strategy", r#""cooperative-sticky""#),
    ("max.poll.records", "2"),
    ("poll", r#"{"max_messages":5,"timeout_ms":100}"#),
    ("before", r#"[{"commit":{"asynchronous":false}}]"#),
    (
        "per_message",
        r#"["process",{"commit":{"asynchronous":true,"message":true}}]"#,
    ),
    ("after", r#"[{"commit":{"asynchronous":true}}]"#),
    ("processing_ms", "0"),
    ("processing_jitter_ms", "300"),
    ("close_in_finally", "true"),
    ("on_revoke_commit", "true"),
    (
        "retry",
        r#"{"attempts":3,"backoff_ms":0,"on_exhausted":"dead_letter"}"#,
    ),
    ("on_invalid", r#""skip""#),
    ("read_committed", "false"),
    ("point", r#""commit_in_flight""#),
    ("message", "2"),
    ("restart_after_ms", "0"),
];

/// A small deterministic generator (xorshift64*), seeded by libFuzzer.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Mutates `data[..size]` in place and returns the new size (at most `max_size`); `fallback`
/// is libFuzzer's own mutator.
pub fn mutate_json(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    fallback: impl FnOnce(&mut [u8], usize, usize) -> usize,
) -> usize {
    let mut rng = Rng(u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let parsed = std::str::from_utf8(&data[..size])
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    let Some(mut value) = parsed.filter(|_| rng.below(2) == 0) else {
        return fallback(data, size, max_size);
    };
    for _ in 0..1 + rng.below(3) {
        mutate_tree(&mut value, &mut rng);
    }
    let text = serde_json::to_string(&value).unwrap_or_default();
    if text.is_empty() || text.len() > max_size {
        return fallback(data, size, max_size);
    }
    data[..text.len()].copy_from_slice(text.as_bytes());
    text.len()
}

/// Every node of the tree, depth first, as a path of child positions.
fn paths(value: &Value, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(path.clone());
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Array(a) => Box::new(a.iter()),
        Value::Object(o) => Box::new(o.values()),
        _ => return,
    };
    for (i, child) in children.enumerate() {
        path.push(i);
        paths(child, path, out);
        path.pop();
    }
}

fn node_at<'a>(mut value: &'a mut Value, path: &[usize]) -> &'a mut Value {
    for &i in path {
        value = match value {
            Value::Array(a) => &mut a[i],
            Value::Object(o) => o.values_mut().nth(i).expect("path from paths()"),
            _ => unreachable!("paths() only descends into arrays and objects"),
        };
    }
    value
}

fn mutate_tree(root: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    let path = &all[rng.below(all.len())];
    let node = node_at(root, path);
    match node {
        Value::Number(n) => {
            let old = n.as_u64().unwrap_or(0);
            let new = match rng.below(6) {
                0 => old.saturating_add(1),
                1 => old.saturating_sub(1),
                2 => old / 2,
                3 => old.saturating_mul(2),
                _ => NUMBERS[rng.below(NUMBERS.len())],
            };
            *node = Value::Number(Number::from(new));
        }
        Value::Bool(b) => *b = !*b,
        Value::String(s) => *s = STRINGS[rng.below(STRINGS.len())].to_owned(),
        Value::Array(a) => match rng.below(3) {
            0 if !a.is_empty() => {
                let i = rng.below(a.len());
                let copy = a[i].clone();
                a.insert(rng.below(a.len() + 1), copy);
            }
            1 if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => a.push(Value::String(STRINGS[rng.below(STRINGS.len())].to_owned())),
        },
        Value::Object(o) => match rng.below(3) {
            0 if !o.is_empty() => {
                let key = o
                    .keys()
                    .nth(rng.below(o.len()))
                    .cloned()
                    .unwrap_or_default();
                o.remove(&key);
            }
            _ => add_field(o, rng),
        },
        Value::Null => *node = Value::Number(Number::from(NUMBERS[rng.below(NUMBERS.len())])),
    }
}

fn add_field(o: &mut Map<String, Value>, rng: &mut Rng) {
    let (key, value) = FIELDS[rng.below(FIELDS.len())];
    let value = serde_json::from_str(value).expect("FIELDS holds JSON");
    o.insert(key.to_owned(), value);
}
