//! The trace: a structured list of everything that happened, one event per line.
//!
//! Events are small and carry indices (consumer, payment), not text. The plain-language
//! explanation of a notable event is generated only when asked ([`TraceEvent::explain`]), never
//! on the hot path.

use serde::Serialize;

use crate::Ms;
use crate::ids::{Offset, Offsets, Partition};
use crate::scenario::CrashKind;

/// Errors a client or broker reports, by Kafka's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KafkaError {
    UnknownMemberId,
    IllegalGeneration,
    RebalanceInProgress,
    CoordinatorNotAvailable,
    /// librdkafka `_NO_OFFSET`: nothing new is stored to commit (B4).
    #[serde(rename = "_NO_OFFSET")]
    NoOffset,
    /// librdkafka `_ASSIGNMENT_LOST` (B14).
    #[serde(rename = "_ASSIGNMENT_LOST")]
    AssignmentLost,
    /// librdkafka `_MAX_POLL_EXCEEDED` (B14).
    #[serde(rename = "_MAX_POLL_EXCEEDED")]
    MaxPollExceeded,
    /// librdkafka `_STATE`: storing an offset for a partition that is not assigned (B3).
    #[serde(rename = "_STATE")]
    State,
    /// librdkafka `_AUTO_OFFSET_RESET` with `auto.offset.reset=error` (B9).
    #[serde(rename = "_AUTO_OFFSET_RESET")]
    AutoOffsetReset,
    RequestTimedOut,
    CoordinatorLoadInProgress,
    NotCoordinator,
}

impl KafkaError {
    pub fn name(self) -> &'static str {
        match self {
            KafkaError::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            KafkaError::IllegalGeneration => "ILLEGAL_GENERATION",
            KafkaError::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            KafkaError::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            KafkaError::NoOffset => "_NO_OFFSET",
            KafkaError::AssignmentLost => "_ASSIGNMENT_LOST",
            KafkaError::MaxPollExceeded => "_MAX_POLL_EXCEEDED",
            KafkaError::State => "_STATE",
            KafkaError::AutoOffsetReset => "_AUTO_OFFSET_RESET",
            KafkaError::RequestTimedOut => "REQUEST_TIMED_OUT",
            KafkaError::CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
            KafkaError::NotCoordinator => "NOT_COORDINATOR",
        }
    }

    /// B7/D4: errors the clients retry (or defer until the coordinator is back).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            KafkaError::CoordinatorNotAvailable
                | KafkaError::RequestTimedOut
                | KafkaError::CoordinatorLoadInProgress
                | KafkaError::NotCoordinator
        )
    }

    /// What the Java client throws for it (D4).
    pub fn java_name(self) -> &'static str {
        match self {
            KafkaError::UnknownMemberId
            | KafkaError::IllegalGeneration
            | KafkaError::AssignmentLost => "CommitFailedException",
            KafkaError::RebalanceInProgress => "RebalanceInProgressException",
            e if e.is_retriable() => "RetriableCommitFailedException",
            _ => self.name(),
        }
    }
}

/// Who asked for a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitSource {
    /// librdkafka's background auto-commit timer (B5), or Java's auto-commit inside poll (D2).
    Auto,
    /// The program's `commit()` / `commit(message)` call.
    Manual,
    /// The commit of stored offsets when partitions are revoked (B10, D3).
    Revoke,
    /// The final commit inside `close()` (B11, D3).
    Close,
}

/// Where a newly assigned partition starts (B9, E4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartFrom {
    /// The group's committed offset in Kafka.
    Committed,
    /// No usable committed offset: `auto.offset.reset`.
    Reset,
    /// The offset stored in the database with the results (E4).
    Database,
}

/// How a processing attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// A network error or a busy downstream: another attempt may succeed.
    Transient,
    /// Invalid data: no attempt will ever succeed.
    Permanent,
}

/// Why a rebalance started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RebalanceReason {
    /// The first member joined an empty group: the join waits for
    /// `group.initial.rebalance.delay.ms` (C3).
    FirstJoin {
        delay_ms: u64,
    },
    MemberJoined {
        member: u32,
    },
    MemberLeft {
        member: u32,
    },
    SessionExpired {
        member: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// `Consumer(conf)`: the auto-commit timer starts now (B5).
    Constructed {
        incarnation: u32,
    },
    JoinSent {
        member: Option<u32>,
    },
    RebalanceStarted {
        generation: i32,
        reason: RebalanceReason,
    },
    /// The broker completed a join: a new generation with these members.
    GenerationStarted {
        generation: i32,
        members: Vec<u32>,
    },
    Joined {
        member: u32,
        generation: i32,
    },
    GroupStable {
        generation: i32,
    },
    /// `on_assign` ran in the application's `poll()`.
    Assigned {
        partitions: Vec<Partition>,
    },
    /// Where fetching starts for a newly assigned partition (B9).
    StartOffset {
        partition: Partition,
        offset: Offset,
        from: StartFrom,
    },
    /// `on_revoke` (or `on_lost` when `lost`) ran in the application's `poll()`.
    Revoked {
        partitions: Vec<Partition>,
        lost: bool,
    },
    /// `poll()`/`consume()` returned these payments.
    Polled {
        payments: Vec<u32>,
    },
    PollEmpty,
    /// `poll()` returned an error event.
    PollError {
        error: KafkaError,
    },
    /// The stored offset moved: at poll return (auto) or by `store_offsets` (B2, B3).
    OffsetStored {
        partition: Partition,
        offset: Offset,
        auto: bool,
    },
    StoreFailed {
        partition: Partition,
        error: KafkaError,
    },
    ProcessingStarted {
        payment: u32,
        until_ms: Ms,
    },
    EffectApplied {
        payment: u32,
        count: u32,
    },
    /// The idempotent sink (or the database) saw this payment again and ignored it.
    EffectDeduplicated {
        payment: u32,
        deliveries: u32,
    },
    /// E4: the database transaction wrote the result and the next offset together.
    DbOffsetWritten {
        partition: Partition,
        offset: Offset,
    },
    /// A processing attempt failed; `retry_at_ms` when another attempt follows.
    ProcessingFailed {
        payment: u32,
        attempt: u32,
        failure: Failure,
        retry_at_ms: Option<Ms>,
    },
    /// The program logged the payment and went on without it.
    PaymentSkipped {
        payment: u32,
    },
    /// The program published the payment to the dead-letter topic.
    DeadLettered {
        payment: u32,
    },
    /// An exception ended the program at this payment.
    ProgramStopped {
        payment: u32,
    },
    /// The program's `seek()`: the next fetch of the partition starts at `offset` (the
    /// program's `on_batch_failure`). librdkafka leaves the stored offset where it was (B8);
    /// Java's position, which its commits take, is now `offset` (D1).
    Seeked {
        partition: Partition,
        offset: Offset,
    },
    /// A refund record was produced (in an open transaction when `transactional`).
    OutputProduced {
        payment: u32,
        transactional: bool,
    },
    /// E1: the outputs and the offsets committed together.
    TransactionCommitted {
        outputs: u32,
        offsets: Offsets,
    },
    /// The open transaction's outputs will never be visible to a read_committed reader.
    TransactionAborted {
        outputs: u32,
        /// `true` when the producer died with the transaction open (it stays open until the
        /// restarted producer's `init_transactions()` or `transaction.timeout.ms` aborts it);
        /// `false` when `commit_transaction()` failed and the transaction was aborted.
        producer_died: bool,
    },
    /// An auto-commit tick found nothing new to commit, or was skipped (B5).
    AutoCommitTick {
        skipped_rebalancing: bool,
    },
    CommitSent {
        id: u32,
        source: CommitSource,
        sync: bool,
        offsets: Offsets,
    },
    /// A commit that never left the client (nothing to commit, assignment lost).
    CommitRefused {
        source: CommitSource,
        sync: bool,
        error: KafkaError,
    },
    /// The broker wrote the offsets (C1 accepted).
    CommitApplied {
        id: u32,
        source: CommitSource,
        offsets: Offsets,
    },
    /// The broker refused the commit (C1).
    CommitRejected {
        id: u32,
        source: CommitSource,
        error: KafkaError,
    },
    /// The committed offset moved past a payment that is still being worked on: it is at risk.
    AtRisk {
        payment: u32,
        partition: Partition,
        committed: Offset,
    },
    /// `on_commit` ran inside a later `poll()` (B6).
    CommitCallback {
        id: u32,
        error: Option<KafkaError>,
    },
    Heartbeat {
        error: Option<KafkaError>,
    },
    /// The broker removed a member whose session expired (C2).
    SessionExpired {
        member: u32,
    },
    MemberLeft {
        member: u32,
    },
    /// `max.poll.interval.ms` passed since the last poll (B14).
    MaxPollExceeded,
    Crashed {
        kind: CrashKind,
        finally_close: bool,
    },
    CloseStarted,
    Closed,
    RestartScheduled {
        at_ms: Ms,
    },
    ProcessingMsChanged {
        processing_ms: Ms,
    },
    RunEnded,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    pub at_ms: Ms,
    /// The simulation step that produced it (several events can share a step).
    pub step: u32,
    /// The consumer (index into the scenario's consumers) it concerns, if any.
    pub consumer: Option<u8>,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl EventKind {
    /// Notable events change what a student sees; the rest (heartbeats, empty polls, silent
    /// auto-commit ticks) are skipped by "step to next notable event".
    pub fn is_notable(&self) -> bool {
        !matches!(
            self,
            EventKind::Heartbeat { error: None }
                | EventKind::PollEmpty
                | EventKind::AutoCommitTick { .. }
                | EventKind::JoinSent { .. }
                | EventKind::CommitCallback { error: None, .. }
                | EventKind::OffsetStored { auto: true, .. }
        )
    }

    /// A short machine-friendly name, used in golden traces and filters.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Constructed { .. } => "constructed",
            EventKind::JoinSent { .. } => "join-sent",
            EventKind::RebalanceStarted { .. } => "rebalance-started",
            EventKind::GenerationStarted { .. } => "generation",
            EventKind::Joined { .. } => "joined",
            EventKind::GroupStable { .. } => "stable",
            EventKind::Assigned { .. } => "assigned",
            EventKind::StartOffset { .. } => "start-offset",
            EventKind::Revoked { .. } => "revoked",
            EventKind::Polled { .. } => "polled",
            EventKind::PollEmpty => "poll-empty",
            EventKind::PollError { .. } => "poll-error",
            EventKind::OffsetStored { .. } => "stored",
            EventKind::StoreFailed { .. } => "store-failed",
            EventKind::ProcessingStarted { .. } => "processing",
            EventKind::EffectApplied { .. } => "applied",
            EventKind::EffectDeduplicated { .. } => "deduplicated",
            EventKind::DbOffsetWritten { .. } => "db-offset",
            EventKind::ProcessingFailed { .. } => "failed",
            EventKind::PaymentSkipped { .. } => "skipped",
            EventKind::DeadLettered { .. } => "dead-lettered",
            EventKind::ProgramStopped { .. } => "program-stopped",
            EventKind::Seeked { .. } => "seeked",
            EventKind::OutputProduced { .. } => "output",
            EventKind::TransactionCommitted { .. } => "txn-committed",
            EventKind::TransactionAborted { .. } => "txn-aborted",
            EventKind::AutoCommitTick { .. } => "auto-commit-tick",
            EventKind::CommitSent { .. } => "commit-sent",
            EventKind::CommitRefused { .. } => "commit-refused",
            EventKind::CommitApplied { .. } => "committed",
            EventKind::CommitRejected { .. } => "commit-rejected",
            EventKind::AtRisk { .. } => "at-risk",
            EventKind::CommitCallback { .. } => "on-commit",
            EventKind::Heartbeat { .. } => "heartbeat",
            EventKind::SessionExpired { .. } => "session-expired",
            EventKind::MemberLeft { .. } => "member-left",
            EventKind::MaxPollExceeded => "max-poll-exceeded",
            EventKind::Crashed { .. } => "crashed",
            EventKind::CloseStarted => "close-started",
            EventKind::Closed => "closed",
            EventKind::RestartScheduled { .. } => "restart-scheduled",
            EventKind::ProcessingMsChanged { .. } => "processing-ms",
            EventKind::RunEnded => "end",
        }
    }
}

mod explain;
mod line;

pub use explain::Context;
pub use line::{fmt_ms, trace_hash};
