//! Commits, the client's side: the auto-commit timer (B5), the program's `commit()` (B4, B6;
//! Java D2–D5), the answers and their retries (B7), and transactions (E1).

use crate::ids::{Offset, Offsets, Partition};
use crate::protocol::Request;
use crate::scenario::ProgramPoint;
use crate::trace::{CommitSource, EventKind, KafkaError};

use super::program::Flow;
use super::{Client, Ctx, InFlight, JoinState, ProgramState, RETRY_BACKOFF_MS, TimerKind};

impl Client {
    /// B5: librdkafka's background auto-commit timer.
    pub(crate) fn on_auto_commit_timer(&mut self, ctx: &mut Ctx) {
        let interval = ctx.spec.config.auto_commit_interval_ms;
        let now = ctx.now;
        if self.join == JoinState::Closing {
            return;
        }
        self.next_auto_commit_ms = Some(now + interval);
        self.arm(TimerKind::AutoCommit, now + interval, ctx);
        if self.join != JoinState::Steady || self.assignment_lost {
            // B5: skipped while rebalancing or when the assignment is lost.
            ctx.emit(EventKind::AutoCommitTick {
                skipped_rebalancing: true,
            });
            return;
        }
        let offsets = self.policy.offsets_to_commit(self);
        if offsets.is_empty() {
            // B5: an empty auto-commit is silent.
            ctx.emit(EventKind::AutoCommitTick {
                skipped_rebalancing: false,
            });
            return;
        }
        self.send_commit(CommitSource::Auto, false, offsets, ctx);
    }

    /// D2: Java's auto-commit, inside `poll()` before new records are fetched, once the
    /// interval has passed since the last one (or since the last join).
    pub(crate) fn auto_commit_in_poll(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let interval = ctx.spec.config.auto_commit_interval_ms;
        if self.join == JoinState::Steady && self.next_auto_commit_ms.is_some_and(|t| now >= t) {
            self.next_auto_commit_ms = Some(now + interval);
            let offsets = self.policy.offsets_to_commit(self);
            if !offsets.is_empty() {
                self.send_commit(CommitSource::Auto, false, offsets, ctx);
            }
        }
    }

    pub(crate) fn send_commit(
        &mut self,
        source: CommitSource,
        sync: bool,
        offsets: Offsets,
        ctx: &mut Ctx,
    ) -> u32 {
        let id = ctx.new_commit_id();
        let (member, generation) = (self.member, self.generation);
        self.in_flight.push_back(InFlight {
            id,
            source,
            sync,
            offsets: offsets.clone(),
            sent_ms: ctx.now,
        });
        ctx.emit(EventKind::CommitSent {
            id,
            source,
            sync,
            offsets: offsets.clone(),
        });
        let req = Request::Commit {
            id,
            source,
            member,
            generation,
            offsets,
        };
        self.send(req, ctx);
        id
    }

    pub(crate) fn on_commit_response(
        &mut self,
        id: u32,
        result: Result<(), KafkaError>,
        ctx: &mut Ctx,
    ) {
        let Some(pos) = self.in_flight.iter().position(|f| f.id == id) else {
            return;
        };
        let (source, sync) = (self.in_flight[pos].source, self.in_flight[pos].sync);
        let retry = result.is_err_and(|e| e.is_retriable())
            && self.policy.retries_failed_commit(source, sync);
        if retry {
            // B7 (librdkafka) / D4 (Java commitSync): sent again after retry.backoff.ms.
            self.arm(
                TimerKind::CommitRetry { id },
                ctx.now + RETRY_BACKOFF_MS,
                ctx,
            );
            return;
        }
        let Some(f) = self.in_flight.remove(pos) else {
            return;
        };
        match result {
            Ok(()) => {
                // B6: a successful commit sets committed_local for its partitions.
                for (p, o) in &f.offsets {
                    if let Some(part) = self.part_mut(*p) {
                        part.committed_local = *o;
                    }
                }
            }
            Err(e) => {
                // B7: UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION lose the assignment.
                if matches!(
                    e,
                    KafkaError::UnknownMemberId | KafkaError::IllegalGeneration
                ) && self.join == JoinState::Steady
                {
                    if e == KafkaError::UnknownMemberId {
                        self.member = None;
                    } else {
                        self.generation = -1;
                    }
                    self.assignment_lost = true;
                    self.begin_rejoin(true, ctx);
                }
            }
        }
        let err = result.err();
        match f.source {
            CommitSource::Auto => self.callbacks.push((id, err)),
            CommitSource::Manual if !f.sync => self.callbacks.push((id, err)),
            CommitSource::Manual => {
                if self.app.state == (ProgramState::WaitCommit { id }) {
                    self.app.state = ProgramState::Ready;
                    self.advance(ctx);
                    if self.check_point_crash(ProgramPoint::AfterCommit, ctx) {
                        return;
                    }
                    self.run_app(ctx);
                }
            }
            CommitSource::Revoke => {
                if self.join == (JoinState::RevokeCommit { id }) {
                    let m = self.member;
                    self.send_join(m, ctx);
                }
            }
            CommitSource::Close => {
                if self.close_commit == Some(id) {
                    self.close_leave(ctx);
                }
            }
        }
    }

    pub(crate) fn on_retry_commit(&mut self, id: u32, ctx: &mut Ctx) {
        let Some(f) = self.in_flight.iter().find(|f| f.id == id).cloned() else {
            return;
        };
        let (member, generation) = (self.member, self.generation);
        ctx.emit(EventKind::CommitSent {
            id,
            source: f.source,
            sync: f.sync,
            offsets: f.offsets.clone(),
        });
        let req = Request::Commit {
            id,
            source: f.source,
            member,
            generation,
            offsets: f.offsets,
        };
        self.send(req, ctx);
    }

    /// `commit()` (B4, B6) or `commit(message=msg)` (B6: `offset + 1`, never checked for
    /// increase).
    pub(crate) fn app_commit(
        &mut self,
        explicit: Option<(Partition, Offset)>,
        asynchronous: bool,
        ctx: &mut Ctx,
    ) -> Flow {
        let offsets = match explicit {
            Some(o) => Ok(vec![o]),
            None if self.assignment_lost => Err(KafkaError::AssignmentLost),
            None => {
                let o = self.policy.offsets_to_commit(self);
                if o.is_empty() {
                    Err(KafkaError::NoOffset)
                } else {
                    Ok(o)
                }
            }
        };
        match offsets {
            Err(error) if asynchronous => {
                // B6: an asynchronous commit returns at once; its error (_NO_OFFSET,
                // _ASSIGNMENT_LOST) reaches on_commit in a later poll().
                let id = ctx.new_commit_id();
                self.callbacks.push((id, Some(error)));
                if self.check_point_crash(ProgramPoint::AfterCommit, ctx) {
                    return Flow::Blocked;
                }
                self.advance(ctx);
                Flow::Continue
            }
            Err(error) => {
                // A synchronous commit raises KafkaException: the program logs it, goes on.
                ctx.emit(EventKind::CommitRefused {
                    source: CommitSource::Manual,
                    sync: true,
                    error,
                });
                if self.check_point_crash(ProgramPoint::AfterCommit, ctx) {
                    return Flow::Blocked;
                }
                self.advance(ctx);
                Flow::Continue
            }
            Ok(offsets) => {
                let id = self.send_commit(CommitSource::Manual, !asynchronous, offsets, ctx);
                if self.check_point_crash(ProgramPoint::CommitInFlight, ctx) {
                    return Flow::Blocked;
                }
                if asynchronous {
                    if self.check_point_crash(ProgramPoint::AfterCommit, ctx) {
                        return Flow::Blocked;
                    }
                    self.advance(ctx);
                    Flow::Continue
                } else {
                    self.app.state = ProgramState::WaitCommit { id };
                    Flow::Blocked
                }
            }
        }
    }

    /// E1: `send_offsets_to_transaction(consumer.position(...))` + `commit_transaction()`.
    /// The positions are what a transaction commits, in both clients.
    pub(crate) fn commit_transaction(&mut self, ctx: &mut Ctx) -> Flow {
        let id = ctx.new_commit_id();
        let offsets = super::positions(self);
        if offsets.is_empty() && self.open_outputs == 0 {
            self.advance(ctx);
            return Flow::Continue;
        }
        self.open_outputs = 0;
        let (member, generation) = (self.member, self.generation);
        self.app.state = ProgramState::WaitTxn { id };
        let req = Request::TxnCommit {
            id,
            member,
            generation,
            offsets,
            outputs: Vec::new(), // the world attaches the sink's open outputs (E1)
        };
        self.send(req, ctx);
        Flow::Blocked
    }

    /// E1: the answer to `commit_transaction()`. On failure the program aborts and rewinds to
    /// the committed offsets (`committed()` + `seek()`).
    pub(crate) fn on_txn_response(
        &mut self,
        id: u32,
        result: Result<(), KafkaError>,
        ctx: &mut Ctx,
    ) {
        if self.app.state != (ProgramState::WaitTxn { id }) {
            return;
        }
        self.app.state = ProgramState::Ready;
        if result.is_err() {
            let parts = self.partitions();
            for p in &mut self.parts {
                p.fetch_ready_ms = None;
            }
            if !parts.is_empty() {
                self.send(Request::OffsetFetch { partitions: parts }, ctx);
            }
        }
        self.advance(ctx);
        self.run_app(ctx);
    }
}
