//! Group membership, the client's side: JoinGroup and SyncGroup answers, heartbeats (B15), the
//! `max.poll.interval.ms` check (B14), rebalances and their callbacks inside `poll()` (B10), and
//! where a newly assigned partition starts (B9, E4).

use crate::Ms;
use crate::ids::{Offset, Offsets, Partition};
use crate::protocol::Request;
use crate::scenario::{AssignmentStrategy, OffsetReset, SinkKind};
use crate::trace::{CommitSource, EventKind, KafkaError, StartFrom};

use super::{Client, ClientOut, Ctx, JoinState, MAX_POLL_CHECK_MS, Part, RebalanceOp, TimerKind};

impl Client {
    pub(crate) fn cooperative(&self, ctx: &Ctx) -> bool {
        ctx.spec.config.partition_assignment_strategy == AssignmentStrategy::CooperativeSticky
    }

    pub(crate) fn on_join_response(
        &mut self,
        result: Result<(u32, i32), KafkaError>,
        ctx: &mut Ctx,
    ) {
        match result {
            Ok((member, generation)) => {
                if self.join != JoinState::Joining {
                    return;
                }
                self.member = Some(member);
                self.generation = generation;
                self.join = JoinState::AwaitingSync;
                self.last_heartbeat_ok_ms = ctx.now;
                let start_heartbeats = !self.heartbeat_started;
                self.heartbeat_started = true;
                ctx.emit(EventKind::Joined { member, generation });
                self.send(Request::Sync { member, generation }, ctx);
                if start_heartbeats {
                    let interval = ctx.spec.config.heartbeat_interval_ms;
                    self.arm(TimerKind::Heartbeat, ctx.now + interval, ctx);
                }
            }
            Err(_) => {
                // UNKNOWN_MEMBER_ID: forget the member id and join as a new member.
                if self.join == JoinState::Joining {
                    self.member = None;
                    self.send_join(None, ctx);
                }
            }
        }
    }

    pub(crate) fn on_sync_response(
        &mut self,
        result: Result<(i32, Vec<Partition>), KafkaError>,
        ctx: &mut Ctx,
    ) {
        match result {
            Ok((generation, parts)) => {
                if self.join != JoinState::AwaitingSync || self.generation != generation {
                    return;
                }
                // B10: the assignment is served by the application's poll().
                if self.cooperative(ctx) {
                    // Cooperative-sticky: revoke only what moved, then rejoin; add what is new.
                    let owned = self.partitions();
                    let revoked: Vec<Partition> = owned
                        .iter()
                        .copied()
                        .filter(|p| !parts.contains(p))
                        .collect();
                    let added: Vec<Partition> = parts
                        .iter()
                        .copied()
                        .filter(|p| !owned.contains(p))
                        .collect();
                    self.join = if revoked.is_empty() {
                        JoinState::AwaitingAssign
                    } else {
                        JoinState::AwaitingRevoke
                    };
                    if !revoked.is_empty() {
                        self.pending_ops.push(RebalanceOp::Revoke {
                            partitions: Some(revoked),
                            lost: false,
                        });
                    }
                    self.pending_ops.push(RebalanceOp::Assign(added));
                } else {
                    self.join = JoinState::AwaitingAssign;
                    self.pending_ops.push(RebalanceOp::Assign(parts));
                }
                self.poke(ctx);
            }
            Err(_) => {
                // REBALANCE_IN_PROGRESS (a rebalance cancelled the sync), ILLEGAL_GENERATION:
                // join again.
                if self.join == JoinState::AwaitingSync {
                    let m = self.member;
                    self.send_join(m, ctx);
                }
            }
        }
    }

    /// B15: heartbeats run on the client's own thread, whatever the application does.
    pub(crate) fn on_heartbeat_timer(&mut self, ctx: &mut Ctx) {
        let interval = ctx.spec.config.heartbeat_interval_ms;
        let now = ctx.now;
        let send = match (self.member, self.join) {
            (
                Some(m),
                JoinState::AwaitingSync
                | JoinState::AwaitingAssign
                | JoinState::Steady
                | JoinState::AwaitingRevoke,
            ) if self.generation >= 0 => Some((m, self.generation)),
            _ => None,
        };
        self.arm(TimerKind::Heartbeat, now + interval, ctx);
        let session = ctx.spec.config.session_timeout_ms;
        if send.is_some()
            && self.join == JoinState::Steady
            && now.saturating_sub(self.last_heartbeat_ok_ms) > session
        {
            // B15 (client side): no successful heartbeat for session.timeout.ms: the assignment
            // is lost, and the client rejoins.
            self.last_heartbeat_ok_ms = now;
            self.assignment_lost = true;
            self.begin_rejoin(true, ctx);
            return;
        }
        if let Some((member, generation)) = send {
            self.send(Request::Heartbeat { member, generation }, ctx);
        }
    }

    pub(crate) fn on_heartbeat_response(&mut self, err: Option<KafkaError>, ctx: &mut Ctx) {
        ctx.emit(EventKind::Heartbeat { error: err });
        let now = ctx.now;
        match err {
            None => self.last_heartbeat_ok_ms = now,
            Some(KafkaError::RebalanceInProgress)
                if (self.join == JoinState::Steady || self.join == JoinState::AwaitingAssign) =>
            {
                self.begin_rejoin(false, ctx);
            }
            Some(e) if e.is_retriable() => {} // B7: wait for the coordinator to come back
            Some(KafkaError::UnknownMemberId) | Some(KafkaError::IllegalGeneration) => {
                self.last_heartbeat_ok_ms = now;
                if matches!(
                    self.join,
                    JoinState::Steady | JoinState::AwaitingAssign | JoinState::AwaitingSync
                ) {
                    if err == Some(KafkaError::UnknownMemberId) {
                        self.member = None;
                    } else {
                        self.generation = -1;
                    }
                    self.assignment_lost = true;
                    self.begin_rejoin(true, ctx);
                }
            }
            Some(_) => {}
        }
    }

    /// A rebalance. Eager (B10): revoke everything in the next poll(), then rejoin.
    /// Cooperative-sticky: rejoin at once, keep consuming, revoke only what moves.
    pub(crate) fn begin_rejoin(&mut self, lost: bool, ctx: &mut Ctx) {
        let cooperative = self.cooperative(ctx);
        let assign_pending = self
            .pending_ops
            .iter()
            .any(|op| matches!(op, RebalanceOp::Assign(_)));
        if (self.parts.is_empty() && !assign_pending) || (cooperative && !lost) {
            self.pending_ops
                .retain(|op| matches!(op, RebalanceOp::Revoke { .. }));
            if self.parts.is_empty() {
                self.assignment_lost = false;
            }
            let m = self.member;
            self.send_join(m, ctx);
            return;
        }
        self.pending_ops = vec![RebalanceOp::Revoke {
            partitions: None,
            lost,
        }];
        self.join = JoinState::AwaitingRevoke;
        self.poke(ctx);
    }

    /// B14: a member that has not polled for `max.poll.interval.ms` leaves and loses its
    /// assignment; the next `poll()` returns `_MAX_POLL_EXCEEDED` and rejoins.
    pub(crate) fn on_max_poll_check(&mut self, ctx: &mut Ctx) {
        let limit = ctx.spec.config.max_poll_interval_ms;
        let now = ctx.now;
        if self.join == JoinState::Closing {
            return;
        }
        let polling = self.in_poll();
        let idle = now.saturating_sub(self.last_poll_ms);
        let eligible = self.member.is_some() && !matches!(self.join, JoinState::LeftMaxPoll);
        self.arm(TimerKind::MaxPollCheck, now + MAX_POLL_CHECK_MS, ctx);
        if polling || !eligible || idle <= limit {
            return;
        }
        let member = self.member.take().unwrap_or(0);
        self.assignment_lost = true;
        self.pending_ops = vec![RebalanceOp::Revoke {
            partitions: None,
            lost: true,
        }];
        self.join = JoinState::LeftMaxPoll;
        self.timers.heartbeat += 1;
        self.heartbeat_started = false;
        self.max_poll_error = true;
        ctx.emit(EventKind::MaxPollExceeded);
        self.send(Request::Leave { member }, ctx);
    }

    /// B10: `on_assign` / `on_revoke` / `on_lost`, run inside `poll()`.
    pub(crate) fn serve_rebalance(&mut self, op: RebalanceOp, ctx: &mut Ctx) {
        let auto = ctx.spec.config.enable_auto_commit;
        let revoke_commit = ctx.spec.program.on_revoke_commit;
        let interval = ctx.spec.config.auto_commit_interval_ms;
        let from_db = ctx.scenario.sink.kind == SinkKind::Database;
        let now = ctx.now;
        match op {
            RebalanceOp::Assign(partitions) => {
                // Eager: the whole new assignment. Cooperative: added to what is kept.
                for &p in &partitions {
                    if self.part(p).is_none() {
                        self.parts.push(Part::new(p));
                    }
                }
                self.parts.sort_by_key(|p| p.partition);
                self.assignment_lost = false;
                if self.join != JoinState::AwaitingRevoke
                    && !matches!(
                        self.join,
                        JoinState::RevokeCommit { .. } | JoinState::Joining
                    )
                {
                    self.join = JoinState::Steady;
                }
                if auto && self.policy.auto_commit_restarts_on_assign() {
                    self.next_auto_commit_ms = Some(now + interval);
                }
                ctx.emit(EventKind::Assigned {
                    partitions: partitions.clone(),
                });
                if partitions.is_empty() {
                    return;
                }
                if from_db {
                    // E4: on_assign reads the offsets stored with the results and seeks there.
                    ctx.out.push(ClientOut::ReadDbOffsets { partitions });
                } else {
                    self.send(Request::OffsetFetch { partitions }, ctx);
                }
            }
            RebalanceOp::Revoke { partitions, lost } => {
                let gone: Vec<Partition> = partitions.unwrap_or_else(|| self.partitions());
                // B10: commit on revoke (librdkafka: stored offsets; D3 Java: positions), or
                // the program's own commit in on_revoke; never for a lost assignment.
                let offsets: Offsets = if !lost && (auto || revoke_commit) {
                    let all = self.policy.offsets_to_commit(self);
                    all.into_iter().filter(|(p, _)| gone.contains(p)).collect()
                } else {
                    vec![]
                };
                self.parts.retain(|p| !gone.contains(&p.partition)); // B10.2: stored offsets reset
                if self.parts.is_empty() {
                    self.assignment_lost = false;
                }
                ctx.emit(EventKind::Revoked {
                    partitions: gone,
                    lost,
                });
                if self.join == JoinState::LeftMaxPoll {
                    return; // rejoins after the error event (B14)
                }
                if offsets.is_empty() {
                    let m = self.member;
                    self.send_join(m, ctx);
                } else {
                    let sync = self.policy.revoke_commit_is_sync(revoke_commit);
                    let id = self.send_commit(CommitSource::Revoke, sync, offsets, ctx);
                    self.join = JoinState::RevokeCommit { id };
                }
            }
        }
    }

    /// B9: start where the group committed, else where `auto.offset.reset` says. E4: with the
    /// database sink, where the database says; a partition without a row there starts as B9
    /// says (the program seeks only where it has an offset: the group's committed offset,
    /// then `auto.offset.reset`).
    pub(crate) fn on_offset_fetch(&mut self, offsets: Offsets, from_db: bool, ctx: &mut Ctx) {
        let now = ctx.now;
        let rtt = ctx.rtt();
        let reset = ctx.spec.config.auto_offset_reset;
        let (offsets, no_row): (Offsets, Offsets) = offsets
            .into_iter()
            .partition(|(_, o)| !from_db || o.is_valid());
        if !no_row.is_empty() {
            let partitions = no_row.into_iter().map(|(p, _)| p).collect();
            self.send(Request::OffsetFetch { partitions }, ctx);
        }
        let mut events = Vec::new();
        for (p, committed) in offsets {
            let Some(part) = self.part_mut(p) else {
                continue;
            };
            if part.fetch_ready_ms.is_some() {
                continue;
            }
            let end = ctx.log.log_end_offset(p, now);
            if !from_db {
                part.committed_local = committed;
            }
            let start = if committed.is_valid() && committed <= end {
                let from = if from_db {
                    StartFrom::Database
                } else {
                    StartFrom::Committed
                };
                Some((committed, from))
            } else {
                match reset {
                    OffsetReset::Earliest => Some((Offset(0), StartFrom::Reset)),
                    OffsetReset::Latest => Some((end, StartFrom::Reset)),
                    OffsetReset::Error => None,
                }
            };
            match start {
                Some((offset, from)) => {
                    part.next = offset;
                    part.fetch_ready_ms = Some(now + rtt as Ms);
                    events.push(EventKind::StartOffset {
                        partition: p,
                        offset,
                        from,
                    });
                }
                None => events.push(EventKind::PollError {
                    error: KafkaError::AutoOffsetReset,
                }),
            }
        }
        for e in events {
            ctx.emit(e);
        }
        self.poke(ctx);
    }
}
