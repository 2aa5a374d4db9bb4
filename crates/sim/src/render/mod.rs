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
    AssignmentStrategy, BatchStep, ClientModel, ConsumerConfig, ConsumerSpec, FailureAction,
    MessageStep, OffsetReset, OnBatchFailure, Program, ProgramPoint, Scenario, SinkKind,
};

/// The language a listing is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Language {
    Python,
    Java,
}

/// One line of a listing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    let on_failure: &[Pc] = match program.on_batch_failure {
        OnBatchFailure::Stop => &[],
        OnBatchFailure::ReplayBatch => &[Pc::Seek],
        OnBatchFailure::CommitPrefix => &[Pc::CommitPrefix, Pc::Seek],
    };
    std::iter::once(Pc::Poll)
        .chain(idx(program.before.len()).map(Pc::Before))
        .chain(idx(program.per_message.len()).map(Pc::Message))
        .chain(idx(program.after.len()).map(Pc::After))
        .chain(on_failure.iter().copied())
        .chain(std::iter::once(Pc::Close))
        .collect()
}

/// The program of consumer `consumer` (an index into `scenario.consumers`) as the scenario's
/// client library runs it: Python for librdkafka, Java for Java. An index out of range gives a
/// listing without lines.
pub fn listing(scenario: &Scenario, consumer: usize) -> Listing {
    let Some(spec) = scenario.consumers.get(consumer) else {
        let language = if scenario.client == ClientModel::Java {
            Language::Java
        } else {
            Language::Python
        };
        return Listing {
            file_name: String::new(),
            language,
            lines: Vec::new(),
        };
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
/// The file name of consumer `consumer`'s exported script: the lab's name for the program
/// (`auto_commit_consumer.py`, …), prefixed with the consumer's name when there are several.
/// The download and the script's own instructions both use it.
pub fn script_file_name(sc: &Scenario, consumer: usize) -> String {
    let Some(spec) = sc.consumers.get(consumer) else {
        return String::new();
    };
    let base = python_file_name(&spec.config, &spec.program);
    if sc.consumers.len() > 1 {
        format!("{}_{base}", text::file_safe(&spec.name).replace('-', "_"))
    } else {
        base.to_string()
    }
}

fn python_file_name(config: &ConsumerConfig, program: &Program) -> &'static str {
    let commits = !program.before.is_empty()
        || !program.after.is_empty()
        || program
            .per_message
            .iter()
            .any(|s| matches!(s, MessageStep::Commit { .. }));
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
pub(crate) const BOOTSTRAP_SERVERS: &str = "localhost:9092";
/// The topic the refunds sinks produce to.
pub(crate) const REFUNDS_TOPIC: &str = "refunds";

pub(crate) fn dead_letter_topic(sc: &Scenario) -> String {
    format!("{}-dlq", sc.topic.name)
}

/// What a program needs besides the consumer, derived once from the scenario.
pub(crate) struct Needs {
    pub(crate) sink: SinkKind,
    /// A producer: for refunds, transactions or a dead-letter topic.
    pub(crate) producer: bool,
    pub(crate) transactional: bool,
    pub(crate) dead_letter: bool,
    /// `on_assign` seeks to the database's offsets (E4).
    pub(crate) db_assign: bool,
    pub(crate) on_revoke_commit: bool,
    /// Non-`Stop` handlers of a failed payment: (transient?, action). `Stop` lets the exception
    /// end the program, which needs no code.
    pub(crate) handlers: Vec<(bool, FailureAction)>,
    pub(crate) sync_commit: bool,
}

impl Needs {
    fn of(sc: &Scenario, spec: &ConsumerSpec) -> Needs {
        let p = &spec.program;
        let sink = sc.sink.kind;
        let handlers: Vec<(bool, FailureAction)> =
            [(true, p.retry.on_exhausted), (false, p.on_invalid)]
                .into_iter()
                .filter(|(_, a)| *a != FailureAction::Stop)
                .collect();
        let dead_letter = handlers
            .iter()
            .any(|(_, a)| *a == FailureAction::DeadLetter);
        let transactional = sink == SinkKind::Transactional;
        let sync_commit = p.before.iter().chain(&p.after).any(|s| {
            matches!(
                s,
                BatchStep::Commit {
                    asynchronous: false
                }
            )
        }) || p.per_message.iter().any(|s| {
            matches!(
                s,
                MessageStep::Commit {
                    asynchronous: false,
                    ..
                }
            )
        });
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
pub(crate) fn processing_note(p: &Program) -> String {
    let mut note = if p.processing_jitter_ms == 0 {
        format!("takes {}", duration(p.processing_ms))
    } else {
        format!(
            "takes {} to {}",
            duration(p.processing_ms),
            duration(p.processing_ms + p.processing_jitter_ms)
        )
    };
    if p.retry.attempts > 1 {
        note.push_str(" an attempt; the backoff doubles");
    }
    note
}

pub(crate) fn handler_note(transient: bool, action: FailureAction, attempts: u32) -> String {
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

pub(crate) enum Value {
    Str(String),
    Bool(bool),
    Int(u64),
}

/// One config key as Kafka spells it, with a short note citing the rule it matters for.
pub(crate) struct Entry {
    pub(crate) key: &'static str,
    pub(crate) value: Value,
    pub(crate) note: Option<String>,
}

/// The keys that matter for the scenario: the ones the lab is about, and any non-default
/// setting the simulator honours. Shared by the Python dict and the Java `Properties`.
pub(crate) fn config_entries(cfg: &ConsumerConfig, lang: Language) -> Vec<Entry> {
    let java = lang == Language::Java;
    let default = ConsumerConfig::default();
    let entry = |key, value, note: &str| Entry {
        key,
        value,
        note: (!note.is_empty()).then(|| note.to_string()),
    };
    let mut out = vec![
        entry(
            "bootstrap.servers",
            Value::Str(BOOTSTRAP_SERVERS.into()),
            "",
        ),
        entry("group.id", Value::Str(cfg.group_id.clone()), ""),
    ];
    let auto_note = match (cfg.enable_auto_commit, java) {
        (true, false) => "B5: a background timer commits the stored offsets",
        (true, true) => "D2: poll() commits the positions of earlier polls",
        (false, false) => "only the program commits (B6), not even close() (B11)",
        (false, true) => "only the program commits (D4, D5)",
    };
    out.push(entry(
        "enable.auto.commit",
        Value::Bool(cfg.enable_auto_commit),
        auto_note,
    ));
    if cfg.enable_auto_commit {
        let every = duration(cfg.auto_commit_interval_ms);
        let note = if java {
            format!("D2: due {every} after the last one, at the next poll()")
        } else {
            format!("B5: every {every} from Consumer(), not from poll()")
        };
        out.push(entry(
            "auto.commit.interval.ms",
            Value::Int(cfg.auto_commit_interval_ms),
            &note,
        ));
    }
    if !cfg.enable_auto_offset_store && !java {
        out.push(entry(
            "enable.auto.offset.store",
            Value::Bool(false),
            "B3: only store_offsets() stores offsets",
        ));
    }
    let reset = match (cfg.auto_offset_reset, java) {
        (OffsetReset::Earliest, _) => "earliest",
        (OffsetReset::Latest, _) => "latest",
        (OffsetReset::Error, false) => "error",
        (OffsetReset::Error, true) => "none",
    };
    let note = if java {
        "D7: where to start without a committed offset"
    } else {
        "B9: where to start without a committed offset"
    };
    out.push(entry("auto.offset.reset", Value::Str(reset.into()), note));
    if cfg.session_timeout_ms != default.session_timeout_ms {
        let note = "B15, C2: evicted after this long without a heartbeat";
        out.push(entry(
            "session.timeout.ms",
            Value::Int(cfg.session_timeout_ms),
            note,
        ));
    }
    if cfg.heartbeat_interval_ms != default.heartbeat_interval_ms {
        out.push(entry(
            "heartbeat.interval.ms",
            Value::Int(cfg.heartbeat_interval_ms),
            "",
        ));
    }
    if cfg.max_poll_interval_ms != default.max_poll_interval_ms {
        let note = if java {
            "D6: longer between polls leaves the group"
        } else {
            "B14: longer between polls leaves the group"
        };
        out.push(entry(
            "max.poll.interval.ms",
            Value::Int(cfg.max_poll_interval_ms),
            note,
        ));
    }
    if cfg.partition_assignment_strategy != default.partition_assignment_strategy {
        let name = match (cfg.partition_assignment_strategy, java) {
            (AssignmentStrategy::Range, false) => "range",
            (AssignmentStrategy::RoundRobin, false) => "roundrobin",
            (AssignmentStrategy::CooperativeSticky, false) => "cooperative-sticky",
            (AssignmentStrategy::Range, true) => "org.apache.kafka.clients.consumer.RangeAssignor",
            (AssignmentStrategy::RoundRobin, true) => {
                "org.apache.kafka.clients.consumer.RoundRobinAssignor"
            }
            (AssignmentStrategy::CooperativeSticky, true) => {
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
            }
        };
        out.push(entry(
            "partition.assignment.strategy",
            Value::Str(name.into()),
            "B10",
        ));
    }
    if java && cfg.max_poll_records != default.max_poll_records {
        out.push(entry(
            "max.poll.records",
            Value::Int(cfg.max_poll_records as u64),
            "D6: records per poll() at most",
        ));
    }
    out
}

mod decisions;
mod java;
mod python;
mod python_script;
mod templates;
mod text;

pub(crate) use decisions::*;
pub(crate) use java::*;
pub(crate) use python::*;
pub(crate) use python_script::*;
pub(crate) use templates::*;
pub use text::file_safe;
pub(crate) use text::*;

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
        assert_eq!(
            py_doc("say \"\"\"hi\"\"\"\n"),
            "\"\"\"say \\\"\\\"\\\"hi\\\"\\\"\\\"\n\"\"\""
        );
        assert_eq!(shell_word("payment-processor"), "payment-processor");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }
}
