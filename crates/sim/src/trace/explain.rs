//! Plain-language explanations of notable events, generated only when asked.

use super::*;
use crate::ids::{Offset, Partition};
use crate::log::{Log, payment_id};
use crate::scenario::{ClientModel, OnBatchFailure, Scenario};

/// What an explanation needs besides the event.
pub struct Context<'a> {
    pub scenario: &'a Scenario,
    pub log: &'a Log,
}

impl Context<'_> {
    fn consumer(&self, ix: Option<u8>) -> &str {
        ix.and_then(|i| self.scenario.consumers.get(i as usize))
            .map_or("the broker", |c| c.name.as_str())
    }
    fn pid(&self, payment: u32) -> String {
        self.log
            .payments
            .get(payment as usize)
            .map_or_else(|| payment_id(payment + 1), |p| p.id())
    }
    fn part(&self, p: Partition) -> String {
        format!("{}-{p}", self.log.topic)
    }
    fn java(&self) -> bool {
        self.scenario.client == ClientModel::Java
    }
}

fn offsets_text(ctx: &Context, offsets: &[(Partition, Offset)]) -> String {
    offsets
        .iter()
        .map(|(p, o)| format!("{} → {o}", ctx.part(*p)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl TraceEvent {
    /// A plain-language explanation for a student, for notable events.
    pub fn explain(&self, ctx: &Context) -> Option<String> {
        let who = ctx.consumer(self.consumer);
        let text = match &self.kind {
            EventKind::Constructed { incarnation } => {
                let cfg = self.consumer.and_then(|i| ctx.scenario.consumers.get(i as usize)).map(|c| &c.config);
                let timer = match (cfg, ctx.java()) {
                    (Some(c), false) if c.enable_auto_commit => format!(
                        " Its auto-commit timer starts now and fires every {} ms in the background, whatever the program is doing (B5).",
                        c.auto_commit_interval_ms
                    ),
                    (Some(c), true) if c.enable_auto_commit => format!(
                        " The classic Java client auto-commits on the application's thread: inside poll() once {} ms have passed (D2), and before a rebalance and in close() (D3); never from a background timer.",
                        c.auto_commit_interval_ms
                    ),
                    _ => " Auto-commit is off: only the program's own commits move the committed offset.".to_string(),
                };
                if *incarnation > 1 {
                    format!("{who} starts again (run #{incarnation}) and will resume at the group's committed offset.{timer}")
                } else {
                    format!("{who} is constructed.{timer}")
                }
            }
            EventKind::RebalanceStarted { reason, .. } => match reason {
                RebalanceReason::FirstJoin { delay_ms } => format!(
                    "The group was empty: the broker waits group.initial.rebalance.delay.ms = {delay_ms} ms for more members before assigning partitions (C3)."
                ),
                RebalanceReason::MemberJoined { .. } => {
                    "A member joined: the group rebalances. Every member must rejoin; a dead member holds the rebalance up until its session expires (C2).".to_string()
                }
                RebalanceReason::MemberLeft { .. } => {
                    "A member left with LeaveGroup: the group rebalances at once (C4).".to_string()
                }
                RebalanceReason::SessionExpired { .. } => {
                    "The broker removed a member that stopped heartbeating: the group rebalances (C2).".to_string()
                }
            },
            EventKind::GenerationStarted { generation, members } => {
                format!("Generation {generation} starts with {} member(s): the join is complete and the leader assigns the partitions (C2).", members.len())
            }
            EventKind::Assigned { partitions } => {
                let parts: Vec<String> = partitions.iter().map(|p| ctx.part(*p)).collect();
                format!("{who} is assigned {}: on_assign runs inside poll() (B10).", if parts.is_empty() { "no partitions".to_string() } else { parts.join(", ") })
            }
            EventKind::StartOffset { partition, offset, from } => match from {
                StartFrom::Committed => format!(
                    "{who} resumes {} at the committed offset {offset} (B9). Anything before it will not be delivered again; anything from it on will be, even if it was processed before.",
                    ctx.part(*partition)
                ),
                StartFrom::Reset => format!(
                    "No committed offset for {}: auto.offset.reset decides where to start, offset {offset} (B9).",
                    ctx.part(*partition)
                ),
                StartFrom::Database => format!(
                    "on_assign read offset {offset} for {} from the database, where it was written with the results, and seeks there (E4). Kafka's committed offset is not used.",
                    ctx.part(*partition)
                ),
            },
            EventKind::EffectDeduplicated { payment, deliveries } => format!(
                "{} arrived again (delivery {deliveries}), but the sink already has it and ignores it: no double effect.",
                ctx.pid(*payment)
            ),
            EventKind::DbOffsetWritten { partition, offset } => format!(
                "The same database transaction stored {}'s next offset, {offset}: the result and the offset commit or roll back together (E4).",
                ctx.part(*partition)
            ),
            EventKind::ProcessingFailed { payment, attempt, failure, retry_at_ms } => match (failure, retry_at_ms) {
                (Failure::Permanent, _) => format!("{} is invalid: processing fails and no retry can help.", ctx.pid(*payment)),
                (Failure::Transient, Some(t)) => format!(
                    "Attempt {attempt} at {} failed with a transient error; the program backs off and retries at {}.",
                    ctx.pid(*payment),
                    fmt_ms(*t)
                ),
                (Failure::Transient, None) => format!("Attempt {attempt} at {} failed and the retries are used up.", ctx.pid(*payment)),
            },
            EventKind::PaymentSkipped { payment } => format!(
                "The program logs {} and skips it. Its offset will be committed with the others (B4): it is never applied.",
                ctx.pid(*payment)
            ),
            EventKind::DeadLettered { payment } => format!(
                "{} goes to the dead-letter topic, where it can be inspected and replayed; the partition moves on.",
                ctx.pid(*payment)
            ),
            EventKind::ProgramStopped { payment } => format!(
                "The exception from {} ends the program. Nothing will consume past it until someone fixes it: the partition stalls.",
                ctx.pid(*payment)
            ),
            EventKind::Seeked { partition, offset } => {
                let mode = self
                    .consumer
                    .and_then(|i| ctx.scenario.consumers.get(i as usize))
                    .map(|c| c.program.on_batch_failure);
                let what = match mode {
                    Some(OnBatchFailure::CommitPrefix) => format!(
                        "The program caught the failure and seeks {} to offset {offset}, its first payment not yet handled (commit_prefix): the payments before it are committed and will not come again; the next poll() starts at the failed one.",
                        ctx.part(*partition)
                    ),
                    _ => format!(
                        "The program caught the failure and seeks {} back to offset {offset}, the start of the batch (replay_batch): the next poll() returns the batch again, and the payments already processed are processed a second time.",
                        ctx.part(*partition)
                    ),
                };
                let rule = if ctx.java() {
                    " seek() sets the position, and the position is what the next commit sends (D1)."
                } else {
                    " seek() moves only the fetch position: the stored offset stays where poll() put it, so an auto-commit or a commit() before the next poll() still sends it (B8)."
                };
                format!("{what}{rule}")
            }
            EventKind::OutputProduced { payment, transactional: true } => format!(
                "A refund for {} is written to the refunds topic inside the open transaction: read_committed readers do not see it yet (E2).",
                ctx.pid(*payment)
            ),
            EventKind::OutputProduced { payment, transactional: false } => {
                format!("A refund for {} is written to the refunds topic, outside any transaction: every reader sees it at once, read_committed ones too (E2).", ctx.pid(*payment))
            }
            EventKind::TransactionCommitted { outputs, offsets } => format!(
                "The transaction commits {outputs} refund(s) and the consumer offsets {} together: both or neither (E1).",
                offsets_text(ctx, offsets)
            ),
            EventKind::TransactionAborted { outputs, producer_died: true } => format!(
                "The producer died with its transaction open. The transaction is aborted when the restarted producer calls init_transactions(), or after transaction.timeout.ms; either way it never commits. Its {outputs} refund(s) stay in the log, and read_committed readers skip them; the offsets sent with it never become committed (E1, E2)."
            ),
            EventKind::TransactionAborted { outputs, producer_died: false } => format!(
                "commit_transaction() failed, so the transaction is aborted: its {outputs} refund(s) stay in the log but read_committed readers skip them, and the offsets sent with it do not move (E1, E2)."
            ),
            EventKind::Revoked { partitions, lost } => {
                let parts: Vec<String> = partitions.iter().map(|p| ctx.part(*p)).collect();
                if *lost {
                    format!("{who} lost {} without a chance to commit (on_lost): whatever it processed since the last commit will be redelivered (B10, B14).", parts.join(", "))
                } else {
                    format!("{who} gives up {} for the rebalance: on_revoke runs inside poll() (B10).", parts.join(", "))
                }
            }
            EventKind::Polled { payments } => {
                let ids: Vec<String> = payments.iter().map(|p| ctx.pid(*p)).collect();
                let store = if ctx.java() {
                    " Its position moves past them; that is what Java commits (D1)."
                } else {
                    " With enable.auto.offset.store=true, their offsets are stored for the next commit right now, before any processing (B2)."
                };
                // B2 matters to the student only when something commits the stored offset.
                let auto_store = self
                    .consumer
                    .and_then(|i| ctx.scenario.consumers.get(i as usize))
                    .is_some_and(|c| c.config.enable_auto_offset_store && c.config.enable_auto_commit);
                format!("poll() returned {}.{}", ids.join(", "), if auto_store || ctx.java() { store } else { "" })
            }
            EventKind::PollError { error } => format!("poll() returned an error event: {}.", error.name()),
            EventKind::OffsetStored { partition, offset, auto: false } => format!(
                "store_offsets(): the next commit of {} will be {offset}, only now that processing is done (B3).",
                ctx.part(*partition)
            ),
            EventKind::StoreFailed { partition, error } => {
                format!("store_offsets() for {} failed with {} (B3).", ctx.part(*partition), error.name())
            }
            EventKind::ProcessingStarted { payment, until_ms } => format!(
                "{who} starts processing {}; its effect is recorded when processing ends at {}.",
                ctx.pid(*payment),
                fmt_ms(*until_ms)
            ),
            EventKind::EffectApplied { payment, count } => {
                if *count > 1 {
                    format!("{} was applied again: {count} times in all. This is a duplicate.", ctx.pid(*payment))
                } else {
                    format!("{} is recorded in the ledger.", ctx.pid(*payment))
                }
            }
            EventKind::CommitSent { source, sync, offsets, .. } => {
                let what = offsets_text(ctx, offsets);
                match source {
                    CommitSource::Auto if !ctx.java() => format!(
                        "The auto-commit timer fired in the background and commits the stored offsets: {what} (B4, B5)."
                    ),
                    CommitSource::Auto => format!("poll() auto-commits the positions of what earlier polls returned: {what} (D2)."),
                    CommitSource::Manual => format!(
                        "The program commits {what} ({}).",
                        if *sync { "synchronously: it waits for the answer" } else { "asynchronously: it does not wait" }
                    ),
                    CommitSource::Revoke => revoke_commit_text(ctx, self.consumer, &what),
                    CommitSource::Close if ctx.java() => {
                        format!("close() commits the positions, everything poll() returned, before leaving: {what} (D3).")
                    }
                    CommitSource::Close => format!(
                        "close() commits the stored offsets before leaving, because enable.auto.commit is on: {what} (B11)."
                    ),
                }
            }
            EventKind::CommitRefused { error, .. } => format!("The commit was not sent: {} (B4, B6).", error.name()),
            EventKind::CommitApplied { offsets, .. } => {
                format!("The broker now holds committed offset {}. A restart resumes there (A1).", offsets_text(ctx, offsets))
            }
            EventKind::CommitRejected { error, .. } if error.is_retriable() => format!(
                "The commit failed with {}: the committed offset does not move{} (B7).",
                error.name(),
                if ctx.java() { "; commitSync() retries it, commitAsync() does not (D4, D5)" } else { ", and librdkafka retries it after retry.backoff.ms" }
            ),
            EventKind::CommitRejected { error, .. } => {
                format!("The broker rejected the commit with {} (C1). The committed offset does not move.", error.name())
            }
            EventKind::AtRisk { payment, partition, committed } => format!(
                "The committed offset of {} jumped to {committed}, past {}, which is still being processed. {} is now at risk: if the consumer dies before finishing it, it is lost.",
                ctx.part(*partition),
                ctx.pid(*payment),
                ctx.pid(*payment)
            ),
            EventKind::CommitCallback { error: Some(e), .. } => format!("on_commit reports {} inside poll() (B6).", e.name()),
            EventKind::CommitCallback { id, error: None } => {
                format!("on_commit reports that commit #{id} succeeded: the result of an asynchronous commit arrives inside a later poll() (B6).")
            }
            EventKind::Heartbeat { error: Some(e) } => match e {
                KafkaError::RebalanceInProgress => format!(
                    "The heartbeat answer is {}: a rebalance has begun, and {who} rejoins from its next poll() (B10, B15).",
                    e.name()
                ),
                KafkaError::UnknownMemberId | KafkaError::IllegalGeneration => format!(
                    "The heartbeat answer is {}: the group no longer counts {who} as a member of this generation; its assignment is lost and it rejoins (B7, B15).",
                    e.name()
                ),
                e if e.is_retriable() => format!(
                    "The heartbeat answer is {}: the coordinator cannot be reached, and the client keeps trying (B7).",
                    e.name()
                ),
                e => format!("The heartbeat answer is {}.", e.name()),
            },
            EventKind::SessionExpired { .. } => {
                "The broker heard no heartbeat for session.timeout.ms and removed the dead member (C2). Its partitions can now be taken over.".to_string()
            }
            EventKind::MemberLeft { .. } => "A member left the group with LeaveGroup (C4).".to_string(),
            EventKind::MaxPollExceeded => format!(
                "{who} has not called poll() for max.poll.interval.ms: it leaves the group and its partitions are lost, uncommitted (B14)."
            ),
            EventKind::Crashed { kind, finally_close } => {
                let auto = self
                    .consumer
                    .and_then(|i| ctx.scenario.consumers.get(i as usize))
                    .is_some_and(|c| c.config.enable_auto_commit);
                match (kind, finally_close) {
                    (CrashKind::Close, _) | (_, true) => {
                        let how = if *finally_close { " in the finally block" } else { "" };
                        let commits = match (auto, ctx.java()) {
                            (true, false) => "close() commits what poll() stored — even a payment still being processed (B11, B13)",
                            (true, true) => "close() commits the positions, everything poll() returned — even a record still being processed (D3)",
                            (false, false) => "With enable.auto.commit off, close() commits nothing (B11)",
                            (false, true) => "With enable.auto.commit off, close() commits nothing (D3)",
                        };
                        format!("{who} exits through close(){how}. {commits}; then it leaves the group, which rebalances at once (C4).")
                    }
                    (CrashKind::Kill, _) => format!(
                        "{who} is killed. Nothing more is committed and it does not leave the group: the group waits out session.timeout.ms before anyone takes its partitions (B12, B13)."
                    ),
                    (CrashKind::SysExit, _) if ctx.java() => format!(
                        "{who} calls System.exit(1): no finally block runs and close() is not called, so nothing more is committed and no LeaveGroup is sent; the group waits out session.timeout.ms (D3)."
                    ),
                    (CrashKind::SysExit, _) => format!(
                        "{who} calls sys.exit(1) without close(). Nothing more is committed and no LeaveGroup is sent: the group waits out session.timeout.ms (B12, B13)."
                    ),
                }
            }
            EventKind::Closed => format!("{who} has closed and left the group ({}).", if ctx.java() { "D3" } else { "B11" }),
            EventKind::RestartScheduled { at_ms } => format!("{who} will be restarted at {}.", fmt_ms(*at_ms)),
            EventKind::ProcessingMsChanged { processing_ms } => format!("Processing now takes {processing_ms} ms."),
            EventKind::RunEnded => "The run ends here.".to_string(),
            _ => return None,
        };
        Some(text)
    }
}

/// Who commits on revoke, and what (B10, D3, D4).
fn revoke_commit_text(ctx: &Context, consumer: Option<u8>, what: &str) -> String {
    let spec = consumer.and_then(|i| ctx.scenario.consumers.get(i as usize));
    let auto = spec.is_some_and(|c| c.config.enable_auto_commit);
    match (ctx.java(), auto) {
        (false, true) => format!(
            "Partitions are being revoked. With enable.auto.commit on, librdkafka commits their stored offsets before they go: {what} (B10)."
        ),
        (false, false) => format!(
            "Partitions are being revoked: the program's on_revoke commits the stored offsets synchronously before they go: {what} (B10)."
        ),
        (true, true) => format!(
            "A rebalance begins: with auto-commit on, the Java client first commits the positions synchronously: {what} (D3)."
        ),
        (true, false) => format!(
            "A rebalance begins: the program's onPartitionsRevoked calls commitSync() on the positions: {what} (D3, D4)."
        ),
    }
}
