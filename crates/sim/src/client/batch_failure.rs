//! A failure inside a batch that the program catches around its per-message loop
//! (`on_batch_failure`): the payment's retries are used up and its action is `stop`, so the
//! exception leaves the loop, and the handler reads the batch again with real client calls —
//! a synchronous `commit(offsets=[…])` of the processed prefix (`commit_prefix`; A1, B6) and a
//! `seek()` per partition of the batch (B8; Java D1) — then polls again. The steps after the
//! loop do not run for that batch.
//!
//! ```text
//! try:
//!     for msg in msgs: …; done[msg.partition()] = msg.offset() + 1
//! except …:
//!     consumer.commit(offsets=done, asynchronous=False)   # Pc::CommitPrefix (commit_prefix)
//!     consumer.seek(…) for each partition of the batch   # Pc::Seek
//!     continue                                           # Pc::Poll
//! ```

use crate::group::INVALID_OFFSET;
use crate::ids::{Offset, Offsets, Partition};
use crate::scenario::{OnBatchFailure, ProgramPoint};
use crate::trace::{CommitSource, EventKind};

use super::program::Flow;
use super::{Client, Ctx, Pc, ProgramState};

impl Client {
    /// The payment at `msg_ix` failed for good and the program lets the exception through: the
    /// handler around the per-message loop takes over.
    pub(crate) fn batch_failed(&mut self, ctx: &mut Ctx) {
        self.app.state = ProgramState::Ready;
        self.app.pc = match ctx.spec.program.on_batch_failure {
            OnBatchFailure::CommitPrefix => Pc::CommitPrefix,
            OnBatchFailure::ReplayBatch | OnBatchFailure::Stop => Pc::Seek,
        };
        self.run_app(ctx);
    }

    /// `commit_prefix`: `consumer.commit(offsets=[…], asynchronous=False)` with, for each
    /// partition, the offset after its last payment handled in this batch (A1). Explicit
    /// offsets are sent as they are (B6), whatever is stored. Nothing handled yet: no commit.
    pub(crate) fn commit_prefix(&mut self, ctx: &mut Ctx) -> Flow {
        let offsets = self.handled_prefix(ctx);
        if offsets.is_empty() {
            self.advance(ctx);
            return Flow::Continue;
        }
        let id = self.send_commit(CommitSource::Manual, true, offsets, ctx);
        if self.check_point_crash(ProgramPoint::CommitInFlight, ctx) {
            return Flow::Blocked;
        }
        // The answer moves the program on to the seeks (on_commit_response → advance).
        self.app.state = ProgramState::WaitCommit { id };
        Flow::Blocked
    }

    /// The seeks, then `poll()` again: each partition of the batch goes back to its first
    /// offset in the batch (`replay_batch`), or to the offset after its last handled payment of
    /// the batch, which is the failed payment for its partition (`commit_prefix`).
    pub(crate) fn seek_batch(&mut self, ctx: &mut Ctx) -> Flow {
        let replay = ctx.spec.program.on_batch_failure == OnBatchFailure::ReplayBatch;
        let done = if replay {
            Vec::new()
        } else {
            self.handled_prefix(ctx)
        };
        let mut targets: Offsets = Vec::new();
        for &(payment, _) in &self.app.batch {
            let p = ctx.log.payment(payment);
            if !targets.iter().any(|(q, _)| *q == p.partition) {
                let after_done = done.iter().find(|(q, _)| *q == p.partition).map(|d| d.1);
                targets.push((p.partition, after_done.unwrap_or(p.offset)));
            }
        }
        for (partition, offset) in targets {
            self.seek(partition, offset, ctx);
        }
        self.advance(ctx);
        Flow::Continue
    }

    /// `seek()`: the fetch of `partition` restarts at `offset`, a fetch round trip from now
    /// (the messages fetched ahead are dropped). B8: librdkafka resets `position()` to INVALID
    /// and leaves the stored offset as it was; D1: Java's position becomes `offset`, and that is
    /// what its next commit sends. A partition no longer assigned is left alone.
    fn seek(&mut self, partition: Partition, offset: Offset, ctx: &mut Ctx) {
        // At least 1 ms, so that a program that keeps failing cannot loop within one instant.
        let ready_ms = ctx.now + ctx.rtt().max(1);
        let sets_position = self.policy.seek_sets_position();
        let Some(part) = self.part_mut(partition) else {
            return;
        };
        part.next = offset;
        part.fetch_ready_ms = Some(ready_ms);
        part.app_pos = if sets_position {
            offset
        } else {
            INVALID_OFFSET
        };
        ctx.emit(EventKind::Seeked { partition, offset });
    }

    /// For each partition with a payment handled (applied, skipped or dead-lettered) before the
    /// current one in this batch: the offset after the last of them, in batch order.
    fn handled_prefix(&self, ctx: &Ctx) -> Offsets {
        let mut done: Offsets = Vec::new();
        for &(payment, _) in self.app.batch.iter().take(self.app.msg_ix) {
            let p = ctx.log.payment(payment);
            match done.iter_mut().find(|(q, _)| *q == p.partition) {
                Some(d) => d.1 = d.1.max(p.offset.next()),
                None => done.push((p.partition, p.offset.next())),
            }
        }
        done
    }
}
