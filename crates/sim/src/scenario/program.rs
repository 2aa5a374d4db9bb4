//! The student's program as data: the consumer loop the simulator interprets and the code
//! view renders (`poll`/`consume`, the steps before, inside and after the per-message loop, and
//! what the program does with a payment it cannot process), and its validation.

use serde::{Deserialize, Serialize};

use super::validate::{MIN_POLL_TIMEOUT_MS, check_range, err};
use super::{ClientModel, ConsumerConfig, ScenarioError};
use crate::client::ClientPolicy;

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
///
/// A payment that fails is handled in this order: first its retries (`retry.attempts`, with
/// backoff); when the failure is final, the action for it (`retry.on_exhausted` for a transient
/// failure, `on_invalid` for invalid data). `skip` and `dead_letter` handle it inside the loop,
/// and the batch goes on. `stop` lets the exception leave the loop, and then
/// `on_batch_failure` decides: end the program (`stop`), or catch it around the per-message
/// loop and read the batch again (`replay_batch`, `commit_prefix`). A payment that can never
/// succeed (invalid data with `on_invalid: stop`) is then read again and again: the partition
/// stalls on it, as a real program's does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Program {
    pub poll: PollStep,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<BatchStep>,
    pub per_message: Vec<MessageStep>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<BatchStep>,
    /// How long processing one payment takes.
    pub processing_ms: u64,
    /// Extra processing time drawn uniformly from `0..=processing_jitter_ms` (seeded).
    pub processing_jitter_ms: u64,
    /// The loop sits in `try: … finally: consumer.close()` (or `with Consumer(...)`), so even
    /// `sys.exit()` goes through `close()` (B13).
    pub close_in_finally: bool,
    /// `on_revoke` calls `consumer.commit(asynchronous=False)` before the partitions go: the
    /// classic fix for rebalances with manual commits (B10).
    pub on_revoke_commit: bool,
    /// What to do when processing fails transiently (a network error).
    pub retry: RetryPolicy,
    /// What to do with a payment that can never succeed (invalid data).
    pub on_invalid: FailureAction,
    /// What the program does when a payment of a batch fails for good and its action is
    /// `stop` (see above). Needs a batch (`poll.max_messages` above 1; Java: `max.poll.records`).
    #[serde(skip_serializing_if = "OnBatchFailure::is_stop")]
    pub on_batch_failure: OnBatchFailure,
}

/// What a program does with a failure inside a batch (`consume(num_messages=N)`, N > 1) that
/// its per-payment handling lets through: the exception, caught around the per-message loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBatchFailure {
    /// No handler: the exception ends the program (through `close()` in `try/finally`), as the
    /// failure action `stop` says. The partition stalls behind the payment.
    #[default]
    Stop,
    /// `consumer.seek()` each partition of the batch back to its first offset in the batch,
    /// then poll again: the whole batch is read again, so the payments processed before the
    /// failure are processed twice unless the sink is idempotent. librdkafka's `seek()` moves
    /// the fetch position only, not the stored offset (B8); Java's moves the position, which
    /// its commits take (D1).
    ReplayBatch,
    /// Commit the processed prefix — each partition's offset after its last payment handled in
    /// the batch, `commit(offsets=[…], asynchronous=False)` (A1, B6) — then seek each
    /// partition to its first payment not handled (the failed one for its partition) and poll
    /// again: nothing of the prefix is processed twice, and nothing after it is skipped.
    CommitPrefix,
}

impl OnBatchFailure {
    pub fn is_stop(&self) -> bool {
        *self == OnBatchFailure::Stop
    }

    /// The value as the scenario format spells it.
    pub fn name(self) -> &'static str {
        match self {
            OnBatchFailure::Stop => "stop",
            OnBatchFailure::ReplayBatch => "replay_batch",
            OnBatchFailure::CommitPrefix => "commit_prefix",
        }
    }
}

/// Retries of a transiently failing payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retry).
    pub attempts: u32,
    /// Wait before the second attempt; it doubles on each further attempt.
    pub backoff_ms: u64,
    /// What to do when the attempts run out.
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
            per_message: vec![MessageStep::Process],
            after: vec![],
            processing_ms: 100,
            processing_jitter_ms: 0,
            close_in_finally: false,
            on_revoke_commit: false,
            retry: RetryPolicy::default(),
            on_invalid: FailureAction::Stop,
            on_batch_failure: OnBatchFailure::Stop,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PollStep {
    /// 1: `poll(timeout)`; more: `consume(num_messages=n, timeout)`.
    pub max_messages: u32,
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
    ///
    /// `every` and `every_ms` make it conditional, the way a program keeps a counter and a
    /// timestamp: `processed += 1`, then `if processed % every == 0 and now - last_commit >=
    /// every_ms: last_commit = now; consumer.commit(…)`. The counter counts the messages that
    /// reach this step in this process (across batches; a restarted process starts at 0);
    /// `last_commit` starts when the consumer is constructed and moves only when this step
    /// commits. Both conditions must hold; the defaults (1 and 0) make each one always true, so
    /// `every` alone commits every N-th message, `every_ms` alone at the first message once T ms
    /// have passed. The check is the program's, evaluated at this step: not a timer.
    Commit {
        #[serde(default)]
        asynchronous: bool,
        #[serde(default = "yes")]
        message: bool,
        /// Commit at every `every`-th message that reaches this step; 1: every message.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        every: u32,
        /// Commit only when at least this long has passed since this step last committed (or
        /// since construction); 0: no time condition.
        #[serde(default, skip_serializing_if = "is_zero")]
        every_ms: u64,
    },
}

impl MessageStep {
    /// `commit(message=msg)` (`message: true`) or `commit()` after every message.
    pub fn commit(message: bool, asynchronous: bool) -> MessageStep {
        MessageStep::Commit {
            asynchronous,
            message,
            every: 1,
            every_ms: 0,
        }
    }

    /// A commit step that does not commit at every message: its `(every, every_ms)`.
    pub fn commit_condition(&self) -> Option<(u32, u64)> {
        match *self {
            MessageStep::Commit {
                every, every_ms, ..
            } if every > 1 || every_ms > 0 => Some((every, every_ms)),
            _ => None,
        }
    }
}

/// `MessageStep::Commit { message }`: `commit(message=msg)` unless the scenario says otherwise.
fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Program {
    pub(super) fn validate(
        &self,
        path: &str,
        config: &ConsumerConfig,
        client: ClientModel,
    ) -> Result<(), ScenarioError> {
        check_range(
            &format!("{path}.poll.max_messages"),
            self.poll.max_messages as u64,
            1,
            10_000,
        )?;
        check_range(
            &format!("{path}.poll.timeout_ms"),
            self.poll.timeout_ms,
            MIN_POLL_TIMEOUT_MS,
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
        let mut conditional = None;
        for (j, step) in self.per_message.iter().enumerate() {
            let MessageStep::Commit {
                every, every_ms, ..
            } = *step
            else {
                continue;
            };
            let at = format!("{path}.per_message[{j}].commit");
            check_range(&format!("{at}.every"), every as u64, 1, 10_000)?;
            check_range(&format!("{at}.every_ms"), every_ms, 0, 3_600_000)?;
            if step.commit_condition().is_some() {
                if let Some(first) = conditional {
                    // One counter and one timestamp in the program, kept by one step.
                    return Err(err(
                        at,
                        format!(
                            "only one commit step may count messages or time (per_message[{first}] already does): the program keeps one counter and one timestamp"
                        ),
                    ));
                }
                conditional = Some(j);
            }
        }
        let batch = ClientPolicy::new(client).records_per_poll_of(config, self);
        if !self.on_batch_failure.is_stop() && batch <= 1 {
            let setting = if client == ClientModel::Java {
                "max.poll.records"
            } else {
                "poll.max_messages (consume(num_messages=n))"
            };
            return Err(err(
                format!("{path}.on_batch_failure"),
                format!(
                    "{} handles a failure inside a batch, but every poll returns one message: set {setting} above 1, or use \"stop\"",
                    self.on_batch_failure.name()
                ),
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
