//! The scenario format: everything that decides a run, as versioned JSON.
//!
//! Config keys are spelled as Kafka spells them (`enable.auto.commit`, …). Unknown fields are an
//! error, and every number is range-checked by [`Scenario::validate`], which names the field and
//! the allowed range. Parsing never panics.

use serde::{Deserialize, Serialize};

/// The scenario format version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

/// Upper bounds that keep every run finite and every queue bounded.
pub const MAX_PAYMENTS: u32 = 200_000;
pub const MAX_PARTITIONS: u32 = 64;
pub const MAX_CONSUMERS: usize = 16;
pub const MAX_DURATION_MS: u64 = 24 * 3600 * 1000;
pub const MAX_CRASH_POINTS: usize = 64;
pub const MAX_ACTIONS: usize = 256;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub seed: u64,
    #[serde(default)]
    pub client: ClientModel,
    #[serde(default)]
    pub topic: TopicSpec,
    #[serde(default)]
    pub broker: BrokerSpec,
    pub consumers: Vec<ConsumerSpec>,
    #[serde(default)]
    pub sink: SinkSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// User actions applied at given times ("forks"): crash or restart a consumer, change a
    /// setting from then on. Part of the scenario so that a run stays reproducible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// The run stops at this simulated time.
    pub duration_ms: u64,
}

/// Which client library's behaviour the consumers follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientModel {
    /// librdkafka, as used by confluent-kafka-python (rules B*).
    #[default]
    Librdkafka,
    /// The Java `KafkaConsumer`, classic protocol (rules D*).
    Java,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    #[serde(default = "default_topic_name")]
    pub name: String,
    #[serde(default = "one")]
    pub partitions: u32,
    #[serde(default)]
    pub payments: PaymentsSpec,
}

impl Default for TopicSpec {
    fn default() -> Self {
        TopicSpec {
            name: default_topic_name(),
            partitions: 1,
            payments: PaymentsSpec::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSpec {
    /// How many payments the producer writes.
    #[serde(default = "ten")]
    pub count: u32,
    /// When the first payment is produced.
    #[serde(default)]
    pub start_ms: u64,
    /// Time between two payments; 0 produces them all at `start_ms` (all up front).
    #[serde(default)]
    pub interval_ms: u64,
    /// Keyed records (key `customer-N`) go to the partition murmur2 picks; unkeyed records are
    /// spread round-robin.
    #[serde(default)]
    pub keyed: bool,
    /// Number of distinct customers when keyed.
    #[serde(default = "ten")]
    pub customers: u32,
    /// 1-based payment numbers that carry invalid data (a permanent processing failure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<u32>,
}

impl Default for PaymentsSpec {
    fn default() -> Self {
        PaymentsSpec {
            count: 10,
            start_ms: 0,
            interval_ms: 0,
            keyed: false,
            customers: 10,
            invalid: vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerSpec {
    /// C3: delay of the first join into an empty group. Kafka's default is 3000.
    #[serde(rename = "group.initial.rebalance.delay.ms", default = "d3000")]
    pub group_initial_rebalance_delay_ms: u64,
    /// C5: bounds on a member's session timeout.
    #[serde(rename = "group.min.session.timeout.ms", default = "d6000")]
    pub group_min_session_timeout_ms: u64,
    #[serde(rename = "group.max.session.timeout.ms", default = "d1800000")]
    pub group_max_session_timeout_ms: u64,
    /// Round trip between a client and the broker, for every request.
    #[serde(default = "d4")]
    pub rtt_ms: u64,
}

impl Default for BrokerSpec {
    fn default() -> Self {
        BrokerSpec {
            group_initial_rebalance_delay_ms: 3000,
            group_min_session_timeout_ms: 6000,
            group_max_session_timeout_ms: 1_800_000,
            rtt_ms: 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub name: String,
    /// When `Consumer(conf)` is constructed: the auto-commit timer starts here (B5).
    #[serde(default)]
    pub start_ms: u64,
    #[serde(default)]
    pub config: ConsumerConfig,
    #[serde(default)]
    pub program: Program,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crashes: Vec<CrashPoint>,
}

/// The consumer's configuration, keys as Kafka spells them. Defaults are librdkafka's (B1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    #[serde(rename = "group.id", default = "default_group")]
    pub group_id: String,
    #[serde(rename = "enable.auto.commit", default = "yes")]
    pub enable_auto_commit: bool,
    #[serde(rename = "auto.commit.interval.ms", default = "d5000")]
    pub auto_commit_interval_ms: u64,
    #[serde(rename = "enable.auto.offset.store", default = "yes")]
    pub enable_auto_offset_store: bool,
    #[serde(rename = "auto.offset.reset", default)]
    pub auto_offset_reset: OffsetReset,
    #[serde(rename = "session.timeout.ms", default = "d45000")]
    pub session_timeout_ms: u64,
    #[serde(rename = "heartbeat.interval.ms", default = "d3000")]
    pub heartbeat_interval_ms: u64,
    #[serde(rename = "max.poll.interval.ms", default = "d300000")]
    pub max_poll_interval_ms: u64,
    #[serde(rename = "partition.assignment.strategy", default)]
    pub partition_assignment_strategy: AssignmentStrategy,
    /// Java only (D6): records returned by one `poll()` at most.
    #[serde(rename = "max.poll.records", default = "d500")]
    pub max_poll_records: u32,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: default_group(),
            enable_auto_commit: true,
            auto_commit_interval_ms: 5000,
            enable_auto_offset_store: true,
            auto_offset_reset: OffsetReset::Latest,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3000,
            max_poll_interval_ms: 300_000,
            partition_assignment_strategy: AssignmentStrategy::Range,
            max_poll_records: 500,
        }
    }
}

/// B9: where to start when there is no committed offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    Earliest,
    #[default]
    Latest,
    Error,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignmentStrategy {
    #[default]
    #[serde(rename = "range")]
    Range,
    #[serde(rename = "roundrobin")]
    RoundRobin,
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
}

/// The student's consumer program, as data. It renders as confluent-kafka Python (or Java) and
/// the simulator interprets it:
///
/// ```text
/// consumer = Consumer(conf); consumer.subscribe([topic])
/// [try:]
///   while True:
///     msgs = poll / consume(num_messages = poll.max_messages)
///     <before>                      # batch-level steps, e.g. commit before processing
///     for msg in msgs: <per_message> # process, store_offsets, commit(message)
///     <after>                       # batch-level steps, e.g. commit after the batch
/// [finally: consumer.close()]
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    #[serde(default)]
    pub poll: PollStep,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<BatchStep>,
    #[serde(default = "default_per_message")]
    pub per_message: Vec<MessageStep>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<BatchStep>,
    /// How long processing one payment takes.
    #[serde(default = "d100")]
    pub processing_ms: u64,
    /// Extra processing time drawn uniformly from `0..=processing_jitter_ms` (seeded).
    #[serde(default)]
    pub processing_jitter_ms: u64,
    /// The loop sits in `try: … finally: consumer.close()` (or `with Consumer(...)`), so even
    /// `sys.exit()` goes through `close()` (B13).
    #[serde(default)]
    pub close_in_finally: bool,
    /// `on_revoke` calls `consumer.commit(asynchronous=False)` before the partitions go: the
    /// classic fix for rebalances with manual commits (B10).
    #[serde(default)]
    pub on_revoke_commit: bool,
    /// What to do when processing fails transiently (a network error).
    #[serde(default)]
    pub retry: RetryPolicy,
    /// What to do with a payment that can never succeed (invalid data).
    #[serde(default)]
    pub on_invalid: FailureAction,
}

/// Retries of a transiently failing payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    #[serde(default = "one")]
    pub attempts: u32,
    /// Wait before the second attempt; it doubles on each further attempt.
    #[serde(default = "d1000")]
    pub backoff_ms: u64,
    /// What to do when the attempts run out.
    #[serde(default)]
    pub on_exhausted: FailureAction,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 1,
            backoff_ms: 1000,
            on_exhausted: FailureAction::Stop,
        }
    }
}

/// How the program handles a payment it cannot process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    /// Log it and go on: its offset is committed with the rest, so it is never applied.
    Skip,
    /// Publish it to a dead-letter topic and go on: it waits there for a person or a repair job.
    DeadLetter,
    /// Let the exception end the program (through `close()` if it sits in `try/finally`): the
    /// partition stalls behind the payment.
    #[default]
    Stop,
}

impl Default for Program {
    fn default() -> Self {
        Program {
            poll: PollStep::default(),
            before: vec![],
            per_message: default_per_message(),
            after: vec![],
            processing_ms: 100,
            processing_jitter_ms: 0,
            close_in_finally: false,
            on_revoke_commit: false,
            retry: RetryPolicy::default(),
            on_invalid: FailureAction::Stop,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollStep {
    /// 1: `poll(timeout)`; more: `consume(num_messages=n, timeout)`.
    #[serde(default = "one")]
    pub max_messages: u32,
    #[serde(default = "d1000")]
    pub timeout_ms: u64,
}

impl Default for PollStep {
    fn default() -> Self {
        PollStep {
            max_messages: 1,
            timeout_ms: 1000,
        }
    }
}

/// A step run once per poll result, before or after the per-message loop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BatchStep {
    /// `consumer.commit(asynchronous=…)`: commits the stored offsets of the assignment (B4, B6).
    Commit {
        #[serde(default)]
        asynchronous: bool,
    },
    /// E1: `producer.send_offsets_to_transaction(consumer.position(...), ...)` then
    /// `producer.commit_transaction()`: the batch's outputs and its offsets commit together.
    CommitTransaction,
}

/// A step run for each message of a poll result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageStep {
    /// Process the payment: takes `processing_ms`; its effect is applied to the sink at the end.
    Process,
    /// `consumer.store_offsets(message=msg)` (B3); needs `enable.auto.offset.store=false`.
    StoreOffsets,
    /// `consumer.commit(message=msg, …)` commits `msg.offset + 1` (B6), or with
    /// `message: false`, `consumer.commit(…)` commits the stored offsets.
    Commit {
        #[serde(default)]
        asynchronous: bool,
        #[serde(default = "yes")]
        message: bool,
    },
}

/// When a consumer dies, scheduled ahead of time: a "crash point". Either `at_ms` (a time) or
/// `point` + `message` (a program point on the consumer's `message`-th message).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashPoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<ProgramPoint>,
    /// 1-based, counted over all of this consumer's restarts. A crash point fires once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u32>,
    pub kind: CrashKind,
    /// Construct a new consumer with the same config this long after the crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after_ms: Option<u64>,
}

/// The two forms of [`CrashPoint`], once validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashWhen {
    At(u64),
    Point(ProgramPoint, u32),
}

impl CrashPoint {
    pub fn when(&self) -> CrashWhen {
        match (self.at_ms, self.point) {
            (Some(t), _) => CrashWhen::At(t),
            (None, Some(p)) => CrashWhen::Point(p, self.message.unwrap_or(1)),
            (None, None) => CrashWhen::At(u64::MAX),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramPoint {
    /// Right after `poll()` returned the message.
    AfterPoll,
    /// During processing, before the payment's effect is applied (at the end of its
    /// processing time).
    DuringProcessing,
    /// After the effect was applied, before anything else (store, commit).
    AfterEffect,
    /// After a commit that follows the message completed (or an async one was sent).
    AfterCommit,
    /// While a commit request that follows the message is in flight.
    CommitInFlight,
}

/// How a consumer process ends (B13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashKind {
    /// SIGKILL, `os._exit`, power loss: nothing runs (B12).
    Kill,
    /// `sys.exit(1)` without `close()` on the way out, unless the program has `try/finally:
    /// close()` (B12, B13).
    SysExit,
    /// Exit through `consumer.close()` (a `finally` or `with` block): commits and leaves (B11).
    Close,
}

/// A user action at a time: part of the scenario, so the run stays reproducible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub at_ms: u64,
    pub consumer: String,
    #[serde(rename = "do")]
    pub act: ActionKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionKind {
    /// End the consumer now, in the given way.
    Crash { kind: CrashKind },
    /// Construct a new instance of a consumer that is not running.
    Restart,
    /// Change processing time from now on.
    SetProcessingMs { processing_ms: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    #[serde(default)]
    pub kind: SinkKind,
    /// For the refunds topic: does the downstream reader use `isolation.level=read_committed`
    /// (E2)? A `read_uncommitted` reader also sees the outputs of aborted transactions.
    #[serde(default = "yes")]
    pub read_committed: bool,
}

impl Default for SinkSpec {
    fn default() -> Self {
        SinkSpec {
            kind: SinkKind::Ledger,
            read_committed: true,
        }
    }
}

/// Where a processed payment's effect lands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// A payments ledger that applies every delivery it is given and counts the applications.
    #[default]
    Ledger,
    /// A ledger that deduplicates by payment id: redeliveries happen, double effects don't.
    Idempotent,
    /// A database whose transaction writes the result and the offset together; on assignment
    /// the consumer seeks to the database's offset (E4). Kafka's committed offset is advisory.
    Database,
    /// Each processed payment produces a refund record to the `refunds` topic, without a
    /// transaction: a redelivery produces it again.
    RefundsTopic,
    /// The refunds and the consumer's offsets are committed in one Kafka transaction (E1–E3).
    Transactional,
}

/// Faults injected into a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Every processing attempt fails transiently with probability `per_mille` / 1000 (seeded).
    TransientFailures { per_mille: u32 },
    /// The first `attempts` attempts at payment `payment` (1-based) fail transiently.
    FailPayment { payment: u32, attempts: u32 },
    /// The first `times` attempts at payment `payment` take `processing_ms` (a stall).
    SlowPayment {
        payment: u32,
        processing_ms: u64,
        times: u32,
    },
    /// OffsetCommit requests reaching the broker in `[from_ms, to_ms)` fail with `error`.
    CommitErrors {
        from_ms: u64,
        to_ms: u64,
        error: RetriableError,
    },
    /// The group coordinator answers nothing but COORDINATOR_NOT_AVAILABLE in `[from_ms, to_ms)`.
    CoordinatorUnavailable { from_ms: u64, to_ms: u64 },
    /// Each commit takes up to `max_extra_ms` longer to reach the broker (seeded), so async
    /// commits can complete out of order.
    CommitLatency { max_extra_ms: u64 },
}

/// Retriable commit errors (B7, D4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetriableError {
    RequestTimedOut,
    CoordinatorNotAvailable,
    CoordinatorLoadInProgress,
    NotCoordinator,
}

fn default_topic_name() -> String {
    "payments".into()
}
fn default_group() -> String {
    "payment-processor".into()
}
fn default_per_message() -> Vec<MessageStep> {
    vec![MessageStep::Process]
}
fn one() -> u32 {
    1
}
fn ten() -> u32 {
    10
}
fn yes() -> bool {
    true
}
fn d4() -> u64 {
    4
}
fn d100() -> u64 {
    100
}
fn d500() -> u32 {
    500
}
fn d1000() -> u64 {
    1000
}
fn d3000() -> u64 {
    3000
}
fn d5000() -> u64 {
    5000
}
fn d6000() -> u64 {
    6000
}
fn d45000() -> u64 {
    45_000
}
fn d300000() -> u64 {
    300_000
}
fn d1800000() -> u64 {
    1_800_000
}

/// A problem with a scenario: where it is, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The field, e.g. `consumers[0].config.auto.commit.interval.ms`; empty for the whole file.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        path: path.into(),
        message: message.into(),
    }
}

fn check_range(path: &str, value: u64, lo: u64, hi: u64) -> Result<(), ScenarioError> {
    if value < lo || value > hi {
        Err(err(
            path,
            format!("{value} is out of range; allowed {lo}..={hi}"),
        ))
    } else {
        Ok(())
    }
}

impl Scenario {
    /// Parses and validates a scenario. Checks the version before anything else so that a file
    /// from another version gets a message about versions, not about fields.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        /// Only the version, read first; every other field is ignored here. Parsing straight
        /// from the text afterwards (not through `serde_json::Value`) keeps the wasm small.
        #[derive(Deserialize)]
        struct Probe {
            version: Option<serde_json::Number>,
        }
        if !text.trim_start().starts_with('{') {
            return Err(err("", "a scenario is a JSON object, starting with {"));
        }
        let probe: Probe = serde_json::from_str(text).map_err(|e| {
            if e.is_data() {
                err("version", "must be a whole number")
            } else {
                err("", format!("not valid JSON: {e}"))
            }
        })?;
        match probe.version.map(|v| v.as_u64()) {
            None => return Err(err("version", "missing; this build reads version 1")),
            Some(None) => return Err(err("version", "must be a whole number")),
            Some(Some(v)) if v > SCENARIO_VERSION as u64 => {
                return Err(err(
                    "version",
                    format!(
                        "version {v} was written by a newer Offset Lab; this build reads version {SCENARIO_VERSION}"
                    ),
                ));
            }
            Some(Some(v)) if v < 1 => return Err(err("version", "versions start at 1")),
            Some(Some(_)) => {}
        }
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| err("", format!("{e}")))?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Range and consistency checks; the message names the field and the allowed range.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.version != SCENARIO_VERSION {
            return Err(err(
                "version",
                format!("this build reads version {SCENARIO_VERSION}"),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(err("name", "must not be empty"));
        }
        check_range("duration_ms", self.duration_ms, 1, MAX_DURATION_MS)?;
        let t = &self.topic;
        if t.name.is_empty() || t.name.len() > 249 {
            return Err(err("topic.name", "must be 1 to 249 characters"));
        }
        check_range(
            "topic.partitions",
            t.partitions as u64,
            1,
            MAX_PARTITIONS as u64,
        )?;
        let p = &t.payments;
        check_range(
            "topic.payments.count",
            p.count as u64,
            0,
            MAX_PAYMENTS as u64,
        )?;
        check_range("topic.payments.start_ms", p.start_ms, 0, MAX_DURATION_MS)?;
        check_range("topic.payments.interval_ms", p.interval_ms, 0, 3_600_000)?;
        check_range("topic.payments.customers", p.customers as u64, 1, 1_000_000)?;
        for (i, n) in p.invalid.iter().enumerate() {
            if *n == 0 || *n > p.count {
                return Err(err(
                    format!("topic.payments.invalid[{i}]"),
                    format!(
                        "payment {n} does not exist; payments are numbered 1..={}",
                        p.count
                    ),
                ));
            }
        }
        let b = &self.broker;
        check_range(
            "broker.group.initial.rebalance.delay.ms",
            b.group_initial_rebalance_delay_ms,
            0,
            300_000,
        )?;
        check_range("broker.rtt_ms", b.rtt_ms, 0, 10_000)?;
        check_range(
            "broker.group.min.session.timeout.ms",
            b.group_min_session_timeout_ms,
            1,
            3_600_000,
        )?;
        check_range(
            "broker.group.max.session.timeout.ms",
            b.group_max_session_timeout_ms,
            b.group_min_session_timeout_ms,
            3_600_000,
        )?;
        if self.consumers.is_empty() {
            return Err(err("consumers", "at least one consumer is needed"));
        }
        if self.consumers.len() > MAX_CONSUMERS {
            return Err(err(
                "consumers",
                format!("at most {MAX_CONSUMERS} consumers"),
            ));
        }
        for (i, c) in self.consumers.iter().enumerate() {
            let path = format!("consumers[{i}]");
            if c.name.trim().is_empty() || c.name.len() > 64 {
                return Err(err(format!("{path}.name"), "must be 1 to 64 characters"));
            }
            if self.consumers[..i].iter().any(|o| o.name == c.name) {
                return Err(err(
                    format!("{path}.name"),
                    format!("\"{}\" is used twice", c.name),
                ));
            }
            check_range(&format!("{path}.start_ms"), c.start_ms, 0, MAX_DURATION_MS)?;
            c.config.validate(&format!("{path}.config"), b)?;
            c.program.validate(&format!("{path}.program"), &c.config)?;
            if c.crashes.len() > MAX_CRASH_POINTS {
                return Err(err(
                    format!("{path}.crashes"),
                    format!("at most {MAX_CRASH_POINTS} crash points"),
                ));
            }
            for (j, cp) in c.crashes.iter().enumerate() {
                let cpath = format!("{path}.crashes[{j}]");
                match (cp.at_ms, cp.point, cp.message) {
                    (Some(at_ms), None, None) => {
                        check_range(&format!("{cpath}.at_ms"), at_ms, 0, MAX_DURATION_MS)?
                    }
                    (None, Some(_), Some(message)) => check_range(
                        &format!("{cpath}.message"),
                        message as u64,
                        1,
                        MAX_PAYMENTS as u64,
                    )?,
                    (None, Some(_), None) => {
                        return Err(err(
                            format!("{cpath}.message"),
                            "missing: on which message (1-based) does the crash point fire?",
                        ));
                    }
                    _ => {
                        return Err(err(
                            cpath,
                            "give either \"at_ms\", or \"point\" and \"message\"",
                        ));
                    }
                }
                if let Some(r) = cp.restart_after_ms {
                    check_range(&format!("{cpath}.restart_after_ms"), r, 0, MAX_DURATION_MS)?;
                }
            }
        }
        if self.faults.len() > 32 {
            return Err(err("faults", "at most 32 faults"));
        }
        for (i, f) in self.faults.iter().enumerate() {
            let path = format!("faults[{i}]");
            let count = self.topic.payments.count;
            match *f {
                Fault::TransientFailures { per_mille } => {
                    check_range(&format!("{path}.per_mille"), per_mille as u64, 0, 1000)?
                }
                Fault::FailPayment { payment, attempts } => {
                    check_range(
                        &format!("{path}.payment"),
                        payment as u64,
                        1,
                        count.max(1) as u64,
                    )?;
                    check_range(&format!("{path}.attempts"), attempts as u64, 1, 1000)?;
                }
                Fault::SlowPayment {
                    payment,
                    processing_ms,
                    times,
                } => {
                    check_range(
                        &format!("{path}.payment"),
                        payment as u64,
                        1,
                        count.max(1) as u64,
                    )?;
                    check_range(
                        &format!("{path}.processing_ms"),
                        processing_ms,
                        0,
                        3_600_000,
                    )?;
                    check_range(&format!("{path}.times"), times as u64, 1, 1000)?;
                }
                Fault::CommitErrors { from_ms, to_ms, .. }
                | Fault::CoordinatorUnavailable { from_ms, to_ms } => {
                    check_range(&format!("{path}.from_ms"), from_ms, 0, MAX_DURATION_MS)?;
                    check_range(&format!("{path}.to_ms"), to_ms, from_ms, MAX_DURATION_MS)?;
                }
                Fault::CommitLatency { max_extra_ms } => {
                    check_range(&format!("{path}.max_extra_ms"), max_extra_ms, 0, 60_000)?
                }
            }
        }
        if let Some(first) = self.consumers.first() {
            let strategy = first.config.partition_assignment_strategy;
            if let Some(i) = self
                .consumers
                .iter()
                .position(|c| c.config.partition_assignment_strategy != strategy)
            {
                // The members of a group must agree on a protocol (INCONSISTENT_GROUP_PROTOCOL).
                return Err(err(
                    format!("consumers[{i}].config.partition.assignment.strategy"),
                    "all consumers of the group must use the same strategy (the broker refuses a member with INCONSISTENT_GROUP_PROTOCOL)",
                ));
            }
        }
        let transactional = self.sink.kind == SinkKind::Transactional;
        for (i, c) in self.consumers.iter().enumerate() {
            let path = format!("consumers[{i}]");
            let has_txn = c.program.after.contains(&BatchStep::CommitTransaction)
                || c.program.before.contains(&BatchStep::CommitTransaction);
            if transactional {
                // E1: offsets are committed by the transaction only.
                if c.config.enable_auto_commit {
                    return Err(err(
                        format!("{path}.config.enable.auto.commit"),
                        "must be false with the transactional sink (E1)",
                    ));
                }
                if !c.program.after.contains(&BatchStep::CommitTransaction) {
                    return Err(err(
                        format!("{path}.program.after"),
                        "the transactional sink needs a \"commit_transaction\" step after the batch (E1)",
                    ));
                }
                if c.program
                    .per_message
                    .iter()
                    .any(|m| matches!(m, MessageStep::Commit { .. }))
                    || c.program
                        .before
                        .iter()
                        .chain(&c.program.after)
                        .any(|b| matches!(b, BatchStep::Commit { .. }))
                {
                    return Err(err(
                        format!("{path}.program"),
                        "no consumer commits with the transactional sink: the transaction commits the offsets (E1)",
                    ));
                }
            } else if has_txn {
                return Err(err(
                    format!("{path}.program"),
                    "\"commit_transaction\" needs the transactional sink",
                ));
            }
            if self.client == ClientModel::Java
                && c.program.per_message.contains(&MessageStep::StoreOffsets)
            {
                return Err(err(
                    format!("{path}.program.per_message"),
                    "the Java client has no store_offsets; commit the record's offset instead (D1)",
                ));
            }
            check_range(
                &format!("{path}.program.retry.attempts"),
                c.program.retry.attempts as u64,
                1,
                100,
            )?;
            check_range(
                &format!("{path}.program.retry.backoff_ms"),
                c.program.retry.backoff_ms,
                0,
                3_600_000,
            )?;
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(err("actions", format!("at most {MAX_ACTIONS} actions")));
        }
        for (i, a) in self.actions.iter().enumerate() {
            let path = format!("actions[{i}]");
            check_range(&format!("{path}.at_ms"), a.at_ms, 0, MAX_DURATION_MS)?;
            if !self.consumers.iter().any(|c| c.name == a.consumer) {
                return Err(err(
                    format!("{path}.consumer"),
                    format!("no consumer is named \"{}\"", a.consumer),
                ));
            }
            if let ActionKind::SetProcessingMs { processing_ms } = a.act {
                check_range(
                    &format!("{path}.do.set_processing_ms.processing_ms"),
                    processing_ms,
                    0,
                    3_600_000,
                )?;
            }
        }
        Ok(())
    }

    /// Index of the consumer with this name.
    pub fn consumer_index(&self, name: &str) -> Option<usize> {
        self.consumers.iter().position(|c| c.name == name)
    }
}

impl ConsumerConfig {
    fn validate(&self, path: &str, broker: &BrokerSpec) -> Result<(), ScenarioError> {
        if self.group_id.trim().is_empty() {
            return Err(err(format!("{path}.group.id"), "must not be empty"));
        }
        check_range(
            &format!("{path}.auto.commit.interval.ms"),
            self.auto_commit_interval_ms,
            1,
            3_600_000,
        )?;
        // C5: the broker refuses a session timeout outside its bounds.
        check_range(
            &format!("{path}.session.timeout.ms"),
            self.session_timeout_ms,
            broker.group_min_session_timeout_ms,
            broker.group_max_session_timeout_ms,
        )?;
        check_range(
            &format!("{path}.heartbeat.interval.ms"),
            self.heartbeat_interval_ms,
            1,
            self.session_timeout_ms.saturating_sub(1).max(1),
        )?;
        check_range(
            &format!("{path}.max.poll.interval.ms"),
            self.max_poll_interval_ms,
            1,
            86_400_000,
        )?;
        check_range(
            &format!("{path}.max.poll.records"),
            self.max_poll_records as u64,
            1,
            100_000,
        )?;
        Ok(())
    }
}

impl Program {
    fn validate(&self, path: &str, config: &ConsumerConfig) -> Result<(), ScenarioError> {
        check_range(
            &format!("{path}.poll.max_messages"),
            self.poll.max_messages as u64,
            1,
            10_000,
        )?;
        check_range(
            &format!("{path}.poll.timeout_ms"),
            self.poll.timeout_ms,
            1,
            3_600_000,
        )?;
        check_range(
            &format!("{path}.processing_ms"),
            self.processing_ms,
            0,
            3_600_000,
        )?;
        check_range(
            &format!("{path}.processing_jitter_ms"),
            self.processing_jitter_ms,
            0,
            3_600_000,
        )?;
        if self.before.len() + self.per_message.len() + self.after.len() > 16 {
            return Err(err(path, "at most 16 steps"));
        }
        if self
            .per_message
            .iter()
            .filter(|s| **s == MessageStep::Process)
            .count()
            != 1
        {
            return Err(err(
                format!("{path}.per_message"),
                "must contain exactly one \"process\" step",
            ));
        }
        if self.per_message.contains(&MessageStep::StoreOffsets) && config.enable_auto_offset_store
        {
            // B3: store_offsets() with auto-store on raises KafkaException(_INVALID_ARG).
            return Err(err(
                format!("{path}.per_message"),
                "store_offsets needs enable.auto.offset.store=false (librdkafka raises _INVALID_ARG otherwise, B3)",
            ));
        }
        Ok(())
    }
}

/// The built-in presets, as (name, JSON) pairs in display order.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "step1-autocommit-sleep2",
        include_str!("../presets/step1-autocommit-sleep2.json"),
    ),
    (
        "step1-autocommit-sleep7",
        include_str!("../presets/step1-autocommit-sleep7.json"),
    ),
    (
        "step1-lab-literal",
        include_str!("../presets/step1-lab-literal.json"),
    ),
    (
        "step1-phase-explorer",
        include_str!("../presets/step1-phase-explorer.json"),
    ),
    (
        "java-autocommit-sleep7",
        include_str!("../presets/java-autocommit-sleep7.json"),
    ),
    (
        "step2-manual-commit",
        include_str!("../presets/step2-manual-commit.json"),
    ),
    (
        "step2-crash-after-commit",
        include_str!("../presets/step2-crash-after-commit.json"),
    ),
    (
        "step3-batch5-fail-at-3",
        include_str!("../presets/step3-batch5-fail-at-3.json"),
    ),
    (
        "step4-transient-retry",
        include_str!("../presets/step4-transient-retry.json"),
    ),
    (
        "step4-invalid-skip",
        include_str!("../presets/step4-invalid-skip.json"),
    ),
    (
        "step4-invalid-dead-letter",
        include_str!("../presets/step4-invalid-dead-letter.json"),
    ),
    (
        "step4-invalid-stop",
        include_str!("../presets/step4-invalid-stop.json"),
    ),
    (
        "step4-partial-batch",
        include_str!("../presets/step4-partial-batch.json"),
    ),
    (
        "exp1-commit-before-processing",
        include_str!("../presets/exp1-commit-before-processing.json"),
    ),
    (
        "exp2-sync-commits",
        include_str!("../presets/exp2-sync-commits.json"),
    ),
    (
        "exp2-async-commits",
        include_str!("../presets/exp2-async-commits.json"),
    ),
    (
        "exp2-async-crash",
        include_str!("../presets/exp2-async-crash.json"),
    ),
    (
        "exp3-offsets-in-kafka",
        include_str!("../presets/exp3-offsets-in-kafka.json"),
    ),
    (
        "exp3-offsets-in-db",
        include_str!("../presets/exp3-offsets-in-db.json"),
    ),
    (
        "pitfall-maxpoll-rebalance",
        include_str!("../presets/pitfall-maxpoll-rebalance.json"),
    ),
    (
        "pitfall-close-in-finally",
        include_str!("../presets/pitfall-close-in-finally.json"),
    ),
    (
        "pitfall-exactly-once-assumption",
        include_str!("../presets/pitfall-exactly-once-assumption.json"),
    ),
    (
        "refunds-idempotent",
        include_str!("../presets/refunds-idempotent.json"),
    ),
    (
        "refunds-transactional",
        include_str!("../presets/refunds-transactional.json"),
    ),
    (
        "refunds-scale-out",
        include_str!("../presets/refunds-scale-out.json"),
    ),
];

/// The names of the built-in presets.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _)| *n)
}

/// A built-in preset by name.
pub fn preset(name: &str) -> Result<Scenario, ScenarioError> {
    let (_, text) = PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| err("", format!("no preset is named \"{name}\"")))?;
    Scenario::from_json(text)
}
