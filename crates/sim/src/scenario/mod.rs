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
/// The largest scenario the app opens, from a file or inside a link (its JSON text).
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;

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
#[serde(default, deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub payments: PaymentsSpec,
}

impl Default for TopicSpec {
    fn default() -> Self {
        TopicSpec {
            name: "payments".into(),
            partitions: 1,
            payments: PaymentsSpec::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsSpec {
    /// How many payments the producer writes.
    pub count: u32,
    /// When the first payment is produced.
    pub start_ms: u64,
    /// Time between two payments; 0 produces them all at `start_ms` (all up front).
    pub interval_ms: u64,
    /// Keyed records (key `customer-N`, the customers taking turns) go to the partition the
    /// producer's partitioner picks; unkeyed records are spread round-robin (the exported
    /// script names each one's partition).
    pub keyed: bool,
    /// Number of distinct customers when keyed.
    pub customers: u32,
    /// The producer's partitioner for keyed records; unset, the default of the scenario's
    /// client: librdkafka's `consistent_random`, the Java producer's murmur2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitioner: Option<Partitioner>,
    /// 1-based payment numbers that carry invalid data (a permanent processing failure).
    #[serde(skip_serializing_if = "Vec::is_empty")]
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
            partitioner: None,
            invalid: vec![],
        }
    }
}

/// A producer partitioner, named as librdkafka's `partitioner` setting names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partitioner {
    /// CRC-32 of the key: librdkafka's default (confluent-kafka-python).
    ConsistentRandom,
    /// murmur2 of the key: the Java producer's default (librdkafka can use it too).
    Murmur2Random,
}

impl Partitioner {
    /// librdkafka's name for it, as set in a producer's config.
    pub fn name(self) -> &'static str {
        match self {
            Partitioner::ConsistentRandom => "consistent_random",
            Partitioner::Murmur2Random => "murmur2_random",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrokerSpec {
    /// C3: delay of the first join into an empty group. Kafka's default is 3000.
    #[serde(rename = "group.initial.rebalance.delay.ms")]
    pub group_initial_rebalance_delay_ms: u64,
    /// C5: bounds on a member's session timeout.
    #[serde(rename = "group.min.session.timeout.ms")]
    pub group_min_session_timeout_ms: u64,
    #[serde(rename = "group.max.session.timeout.ms")]
    pub group_max_session_timeout_ms: u64,
    /// Round trip between a client and the broker, for every request.
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
#[serde(default, deny_unknown_fields)]
pub struct ConsumerConfig {
    #[serde(rename = "group.id")]
    pub group_id: String,
    #[serde(rename = "enable.auto.commit")]
    pub enable_auto_commit: bool,
    #[serde(rename = "auto.commit.interval.ms")]
    pub auto_commit_interval_ms: u64,
    #[serde(rename = "enable.auto.offset.store")]
    pub enable_auto_offset_store: bool,
    #[serde(rename = "auto.offset.reset")]
    pub auto_offset_reset: OffsetReset,
    #[serde(rename = "session.timeout.ms")]
    pub session_timeout_ms: u64,
    #[serde(rename = "heartbeat.interval.ms")]
    pub heartbeat_interval_ms: u64,
    #[serde(rename = "max.poll.interval.ms")]
    pub max_poll_interval_ms: u64,
    #[serde(rename = "partition.assignment.strategy")]
    pub partition_assignment_strategy: AssignmentStrategy,
    /// Java only (D6): records returned by one `poll()` at most.
    #[serde(rename = "max.poll.records")]
    pub max_poll_records: u32,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            group_id: "payment-processor".into(),
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
#[serde(default, deny_unknown_fields)]
pub struct SinkSpec {
    pub kind: SinkKind,
    /// For the refunds topic: does the downstream reader use `isolation.level=read_committed`
    /// (E2)? A `read_uncommitted` reader also sees the outputs of aborted transactions.
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
    /// Each commit takes up to `max_extra_ms` longer to reach the broker (seeded). A5: the
    /// requests of one connection still arrive in the order sent, so a slow commit holds back
    /// the ones after it; latency never reorders them.
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

mod json_path;
mod presets;
mod program;
mod validate;

pub use presets::{PRESETS, preset, preset_names};
pub use program::{
    BatchStep, FailureAction, MessageStep, OnBatchFailure, PollStep, Program, RetryPolicy,
};
pub use validate::ScenarioError;
