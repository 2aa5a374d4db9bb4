//! The client library's side of a consumer (librdkafka B*, Java D*): construction, the
//! auto-commit, heartbeat and max-poll timers, answers from the broker, rebalances, crashes and
//! `close()`. The application's program is in `app.rs`; the broker in `world.rs`.

use crate::client::{AppState, Client, Ended, InFlight, JoinState, Pc, RebalanceOp};
use crate::group::Response;
use crate::scenario::{ActionKind, CrashKind, OffsetReset, ProgramPoint};
use crate::trace::{CommitSource, EventKind, KafkaError, StartFrom};
use crate::world::{Ev, MAX_POLL_CHECK_MS, RETRY_BACKOFF_MS, Request, World};

impl World {
    // ---- consumer lifecycle ---------------------------------------------------------------

    pub(crate) fn on_start(&mut self, c: usize, incarnation: u32) {
        let con = &mut self.consumers[c];
        if con.incarnation != incarnation || con.client.is_some() {
            return; // already restarted by a user action
        }
        con.incarnation += 1;
        con.restart_at_ms = None;
        con.ended = None;
        let inc = con.incarnation;
        let now = self.now;
        let mut client = Client::new(now);
        let cfg = self.scenario.consumers[c].config.clone();
        if cfg.enable_auto_commit {
            // B5: librdkafka's timer starts at construction. D2: Java's deadline starts here too.
            client.next_auto_commit_ms = Some(now + cfg.auto_commit_interval_ms);
        }
        self.consumers[c].client = Some(client);
        self.emit(Some(c), EventKind::Constructed { incarnation: inc });
        if cfg.enable_auto_commit && !self.java() {
            self.schedule(now + cfg.auto_commit_interval_ms, Ev::AutoCommit { c, inc });
        }
        self.schedule(now + MAX_POLL_CHECK_MS, Ev::MaxPollCheck { c, inc });
        // subscribe(): JoinGroup as a new member.
        self.send_join(c, inc, None);
        self.run_app(c);
    }

    pub(crate) fn send_join(&mut self, c: usize, inc: u32, member: Option<u32>) {
        self.cl(c).join = JoinState::Joining;
        self.emit(Some(c), EventKind::JoinSent { member });
        // KIP-429: a cooperative member tells the coordinator what it still owns.
        let owned = self.cl(c).partitions();
        self.send(c, inc, Request::Join { member, owned });
    }

    pub(crate) fn on_time_crash(&mut self, c: usize, ix: usize) {
        if self.consumers[c].crash_fired[ix] {
            return;
        }
        self.consumers[c].crash_fired[ix] = true;
        if self.consumers[c].client.is_some() {
            let cp = self.spec(c).crashes[ix].clone();
            self.crash(c, cp.kind, cp.restart_after_ms);
        }
    }

    pub(crate) fn on_action(&mut self, ix: usize) {
        let a = self.scenario.actions[ix].clone();
        let Some(c) = self.scenario.consumer_index(&a.consumer) else {
            return;
        };
        match a.act {
            ActionKind::Crash { kind } => {
                if self.consumers[c].client.is_some() {
                    self.crash(c, kind, None);
                }
            }
            ActionKind::Restart => {
                if self.consumers[c].client.is_none() {
                    let inc = self.consumers[c].incarnation;
                    self.consumers[c].pending_restart_after_ms = None;
                    self.on_start(c, inc);
                }
            }
            ActionKind::SetProcessingMs { processing_ms } => {
                self.consumers[c].processing_ms = processing_ms;
                self.emit(Some(c), EventKind::ProcessingMsChanged { processing_ms });
            }
        }
    }

    /// Ends a consumer process (B12, B13). `sys.exit` inside `try/finally: close()` closes.
    pub(crate) fn crash(&mut self, c: usize, kind: CrashKind, restart_after_ms: Option<u64>) {
        // B13: Python's sys.exit unwinds through `finally`; Java's System.exit does not run
        // `finally` blocks at all (F.1, Java comparison).
        let finally_close =
            kind == CrashKind::SysExit && self.spec(c).program.close_in_finally && !self.java();
        self.emit(
            Some(c),
            EventKind::Crashed {
                kind,
                finally_close,
            },
        );
        self.consumers[c].pending_restart_after_ms = restart_after_ms;
        if kind == CrashKind::Close || finally_close {
            self.begin_close(c);
        } else {
            // B12: no final commit, no LeaveGroup, no callbacks. Requests already on the wire
            // still reach the broker; the member stays until its session expires (C2).
            self.process_ended(c, false);
        }
    }

    /// An exception ends the program: through `close()` when the loop sits in `try/finally`,
    /// otherwise like `sys.exit` without close (B13). Nobody restarts it.
    pub(crate) fn stop_program(&mut self, c: usize) {
        self.consumers[c].pending_restart_after_ms = None;
        if self.spec(c).program.close_in_finally {
            self.begin_close(c);
        } else {
            self.process_ended(c, false);
        }
    }

    pub(crate) fn process_ended(&mut self, c: usize, closed: bool) {
        let now = self.now;
        // An open transaction dies with its producer: its outputs are never committed (E1).
        self.abort_transaction(c);
        let con = &mut self.consumers[c];
        con.client = None;
        con.ended = Some(Ended { at_ms: now, closed });
        if let Some(after) = con.pending_restart_after_ms.take() {
            let at = now + after;
            con.restart_at_ms = Some(at);
            let inc = con.incarnation;
            self.emit(Some(c), EventKind::RestartScheduled { at_ms: at });
            self.schedule(
                at,
                Ev::Start {
                    c,
                    incarnation: inc,
                },
            );
        }
    }

    /// B11 (librdkafka) / D3 (Java): revoke, commit if auto-commit is on, LeaveGroup.
    pub(crate) fn begin_close(&mut self, c: usize) {
        let inc = self.consumers[c].incarnation;
        let java = self.java();
        let auto = self.spec(c).config.enable_auto_commit;
        let cl = self.cl(c);
        cl.app.token += 1;
        cl.app.state = AppState::Closing;
        cl.app.pc = Pc::Close;
        cl.join = JoinState::Closing;
        cl.heartbeat_epoch += 1;
        self.emit(Some(c), EventKind::CloseStarted);
        let cl = self.cl(c);
        let parts = cl.partitions();
        let lost = cl.assignment_lost;
        let mut offsets = Vec::new();
        if !parts.is_empty() && cl.member.is_some() {
            if !lost && auto {
                offsets = if java {
                    positions(cl)
                } else {
                    stored_to_commit(cl)
                };
            }
            cl.parts.clear();
            cl.pending_ops.clear();
            self.emit(
                Some(c),
                EventKind::Revoked {
                    partitions: parts,
                    lost,
                },
            );
        }
        if offsets.is_empty() {
            self.close_leave(c, inc);
        } else {
            let id = self.send_commit(c, inc, CommitSource::Close, true, offsets);
            self.cl(c).close_commit = Some(id);
        }
    }

    pub(crate) fn close_leave(&mut self, c: usize, inc: u32) {
        match self.cl(c).member {
            Some(member) => self.send(c, inc, Request::Leave { member }),
            None => self.finish_close(c),
        }
    }

    pub(crate) fn finish_close(&mut self, c: usize) {
        self.emit(Some(c), EventKind::Closed);
        self.process_ended(c, true);
    }

    // ---- client timers ---------------------------------------------------------------------

    /// B5: librdkafka's background auto-commit timer.
    pub(crate) fn on_auto_commit_timer(&mut self, c: usize, inc: u32) {
        let interval = self.spec(c).config.auto_commit_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else {
            return;
        };
        if cl.join == JoinState::Closing {
            return;
        }
        cl.next_auto_commit_ms = Some(now + interval);
        self.schedule(now + interval, Ev::AutoCommit { c, inc });
        let cl = self.cl(c);
        if cl.join != JoinState::Steady || cl.assignment_lost {
            // B5: skipped while rebalancing or when the assignment is lost.
            self.emit(
                Some(c),
                EventKind::AutoCommitTick {
                    skipped_rebalancing: true,
                },
            );
            return;
        }
        let offsets = stored_to_commit(cl);
        if offsets.is_empty() {
            // B5: an empty auto-commit is silent.
            self.emit(
                Some(c),
                EventKind::AutoCommitTick {
                    skipped_rebalancing: false,
                },
            );
            return;
        }
        self.send_commit(c, inc, CommitSource::Auto, false, offsets);
    }

    pub(crate) fn on_heartbeat_timer(&mut self, c: usize, inc: u32, epoch: u32) {
        let interval = self.spec(c).config.heartbeat_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else {
            return;
        };
        if cl.heartbeat_epoch != epoch {
            return;
        }
        // B15: heartbeats run on the client's own thread, whatever the application does.
        let send = match (cl.member, cl.join) {
            (
                Some(m),
                JoinState::AwaitingSync
                | JoinState::AwaitingAssign
                | JoinState::Steady
                | JoinState::AwaitingRevoke,
            ) if cl.generation >= 0 => Some((m, cl.generation)),
            _ => None,
        };
        self.schedule(now + interval, Ev::Heartbeat { c, inc, epoch });
        let session = self.spec(c).config.session_timeout_ms;
        let cl = self.cl(c);
        if send.is_some()
            && cl.join == JoinState::Steady
            && now.saturating_sub(cl.last_heartbeat_ok_ms) > session
        {
            // B15 (client side): no successful heartbeat for session.timeout.ms: the assignment
            // is lost, and the client rejoins.
            cl.last_heartbeat_ok_ms = now;
            cl.assignment_lost = true;
            self.begin_rejoin(c, true);
            return;
        }
        if let Some((member, generation)) = send {
            self.send(c, inc, Request::Heartbeat { member, generation });
        }
    }

    /// B14: a member that has not polled for `max.poll.interval.ms` leaves and loses its
    /// assignment; the next `poll()` returns `_MAX_POLL_EXCEEDED` and rejoins.
    pub(crate) fn on_max_poll_check(&mut self, c: usize, inc: u32) {
        let limit = self.spec(c).config.max_poll_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else {
            return;
        };
        if cl.join == JoinState::Closing {
            return;
        }
        let polling = cl.in_poll();
        let idle = now.saturating_sub(cl.last_poll_ms);
        let eligible = cl.member.is_some() && !matches!(cl.join, JoinState::LeftMaxPoll);
        self.schedule(now + MAX_POLL_CHECK_MS, Ev::MaxPollCheck { c, inc });
        if polling || !eligible || idle <= limit {
            return;
        }
        let cl = self.cl(c);
        let member = cl.member.take().unwrap_or(0);
        cl.assignment_lost = true;
        cl.pending_ops = vec![RebalanceOp::Revoke {
            partitions: None,
            lost: true,
        }];
        cl.join = JoinState::LeftMaxPoll;
        cl.heartbeat_epoch += 1;
        cl.heartbeat_started = false;
        cl.max_poll_error = true;
        self.emit(Some(c), EventKind::MaxPollExceeded);
        self.send(c, inc, Request::Leave { member });
    }

    // ---- client responses -----------------------------------------------------------------

    pub(crate) fn on_client_response(&mut self, c: usize, inc: u32, resp: Response) {
        if self.client(c, inc).is_none() {
            return; // the process is gone: nobody reads the answer
        }
        match resp {
            Response::Join(Ok((member, generation))) => {
                let now = self.now;
                let cl = self.cl(c);
                if cl.join != JoinState::Joining {
                    return;
                }
                cl.member = Some(member);
                cl.generation = generation;
                cl.join = JoinState::AwaitingSync;
                cl.last_heartbeat_ok_ms = now;
                let start_hb = !cl.heartbeat_started;
                cl.heartbeat_started = true;
                let epoch = cl.heartbeat_epoch;
                self.emit(Some(c), EventKind::Joined { member, generation });
                self.send(c, inc, Request::Sync { member, generation });
                if start_hb {
                    let interval = self.spec(c).config.heartbeat_interval_ms;
                    self.schedule(self.now + interval, Ev::Heartbeat { c, inc, epoch });
                }
            }
            Response::Join(Err(_)) => {
                // UNKNOWN_MEMBER_ID: forget the member id and join as a new member.
                let cl = self.cl(c);
                if cl.join == JoinState::Joining {
                    cl.member = None;
                    self.send_join(c, inc, None);
                }
            }
            Response::Sync(Ok((generation, parts))) => {
                let cooperative = self.cooperative(c);
                let cl = self.cl(c);
                if cl.join != JoinState::AwaitingSync || cl.generation != generation {
                    return;
                }
                // B10: the assignment is served by the application's poll().
                if cooperative {
                    // Cooperative-sticky: revoke only what moved, then rejoin; add what is new.
                    let cl = self.cl(c);
                    let owned = cl.partitions();
                    let revoked: Vec<u32> = owned
                        .iter()
                        .copied()
                        .filter(|p| !parts.contains(p))
                        .collect();
                    let added: Vec<u32> = parts
                        .iter()
                        .copied()
                        .filter(|p| !owned.contains(p))
                        .collect();
                    cl.join = if revoked.is_empty() {
                        JoinState::AwaitingAssign
                    } else {
                        JoinState::AwaitingRevoke
                    };
                    if !revoked.is_empty() {
                        cl.pending_ops.push(RebalanceOp::Revoke {
                            partitions: Some(revoked),
                            lost: false,
                        });
                    }
                    cl.pending_ops.push(RebalanceOp::Assign(added));
                } else {
                    cl.join = JoinState::AwaitingAssign;
                    cl.pending_ops.push(RebalanceOp::Assign(parts));
                }
                self.poke(c);
            }
            Response::Sync(Err(_)) => {
                let cl = self.cl(c);
                if cl.join == JoinState::AwaitingSync {
                    let m = cl.member;
                    self.send_join(c, inc, m);
                }
            }
            Response::Heartbeat(err) => self.on_heartbeat_response(c, inc, err),
            Response::Commit { id, result } => self.on_commit_response(c, inc, id, result),
            Response::OffsetFetch(offsets) => self.on_offset_fetch(c, offsets, false),
            Response::DbOffsets(offsets) => self.on_offset_fetch(c, offsets, true),
            Response::Txn { id, result } => self.on_txn_response(c, id, result),
            Response::Leave => {
                if self.cl(c).join == JoinState::Closing {
                    self.finish_close(c);
                }
            }
        }
    }

    pub(crate) fn on_heartbeat_response(&mut self, c: usize, _inc: u32, err: Option<KafkaError>) {
        self.emit(Some(c), EventKind::Heartbeat { error: err });
        let now = self.now;
        let cl = self.cl(c);
        match err {
            None => cl.last_heartbeat_ok_ms = now,
            Some(KafkaError::RebalanceInProgress)
                if (cl.join == JoinState::Steady || cl.join == JoinState::AwaitingAssign) =>
            {
                self.begin_rejoin(c, false);
            }
            Some(e) if e.is_retriable() => {} // B7: wait for the coordinator to come back
            Some(KafkaError::UnknownMemberId) | Some(KafkaError::IllegalGeneration) => {
                cl.last_heartbeat_ok_ms = now;
                if matches!(
                    cl.join,
                    JoinState::Steady | JoinState::AwaitingAssign | JoinState::AwaitingSync
                ) {
                    if err == Some(KafkaError::UnknownMemberId) {
                        cl.member = None;
                    } else {
                        cl.generation = -1;
                    }
                    cl.assignment_lost = true;
                    self.begin_rejoin(c, true);
                }
            }
            Some(_) => {}
        }
    }

    /// A rebalance. Eager (B10): revoke everything in the next poll(), then rejoin.
    /// Cooperative-sticky: rejoin at once, keep consuming, revoke only what moves.
    pub(crate) fn begin_rejoin(&mut self, c: usize, lost: bool) {
        let inc = self.consumers[c].incarnation;
        let cooperative = self.cooperative(c);
        let cl = self.cl(c);
        let assign_pending = cl
            .pending_ops
            .iter()
            .any(|op| matches!(op, RebalanceOp::Assign(_)));
        if (cl.parts.is_empty() && !assign_pending) || (cooperative && !lost) {
            cl.pending_ops
                .retain(|op| matches!(op, RebalanceOp::Revoke { .. }));
            if cl.parts.is_empty() {
                cl.assignment_lost = false;
            }
            let m = cl.member;
            self.send_join(c, inc, m);
            return;
        }
        cl.pending_ops = vec![RebalanceOp::Revoke {
            partitions: None,
            lost,
        }];
        cl.join = JoinState::AwaitingRevoke;
        self.poke(c);
    }

    pub(crate) fn cooperative(&self, c: usize) -> bool {
        self.spec(c).config.partition_assignment_strategy
            == crate::scenario::AssignmentStrategy::CooperativeSticky
    }

    pub(crate) fn on_commit_response(
        &mut self,
        c: usize,
        inc: u32,
        id: u32,
        result: Result<(), KafkaError>,
    ) {
        let Some(pos) = self.cl(c).in_flight.iter().position(|f| f.id == id) else {
            return;
        };
        let (source, sync) = (
            self.cl(c).in_flight[pos].source,
            self.cl(c).in_flight[pos].sync,
        );
        let retry = result.is_err_and(|e| e.is_retriable()) && self.retries_commit(c, source, sync);
        if retry {
            // B7 (librdkafka) / D4 (Java commitSync): sent again after retry.backoff.ms.
            self.schedule(self.now + RETRY_BACKOFF_MS, Ev::RetryCommit { c, inc, id });
            return;
        }
        let cl = self.cl(c);
        let f = cl.in_flight.remove(pos);
        match result {
            Ok(()) => {
                // B6: a successful commit sets committed_local for its partitions.
                for (p, o) in &f.offsets {
                    if let Some(part) = cl.part_mut(*p) {
                        part.committed_local = *o;
                    }
                }
            }
            Err(e) => {
                // B7: UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION lose the assignment.
                if matches!(
                    e,
                    KafkaError::UnknownMemberId | KafkaError::IllegalGeneration
                ) && cl.join == JoinState::Steady
                {
                    if e == KafkaError::UnknownMemberId {
                        cl.member = None;
                    } else {
                        cl.generation = -1;
                    }
                    cl.assignment_lost = true;
                    self.begin_rejoin(c, true);
                }
            }
        }
        let err = result.err();
        match f.source {
            CommitSource::Auto => self.cl(c).callbacks.push((id, err)),
            CommitSource::Manual if !f.sync => self.cl(c).callbacks.push((id, err)),
            CommitSource::Manual => {
                let cl = self.cl(c);
                if cl.app.state == (AppState::WaitCommit { id }) {
                    cl.app.state = AppState::Ready;
                    self.advance(c);
                    if self.check_point_crash(c, ProgramPoint::AfterCommit) {
                        return;
                    }
                    self.run_app(c);
                }
            }
            CommitSource::Revoke => {
                let cl = self.cl(c);
                if cl.join == (JoinState::RevokeCommit { id }) {
                    let m = cl.member;
                    self.send_join(c, inc, m);
                }
            }
            CommitSource::Close => {
                if self.cl(c).close_commit == Some(id) {
                    self.close_leave(c, inc);
                }
            }
        }
    }

    pub(crate) fn on_retry_commit(&mut self, c: usize, inc: u32, id: u32) {
        let Some(cl) = self.client_mut(c, inc) else {
            return;
        };
        let Some(f) = cl.in_flight.iter().find(|f| f.id == id).cloned() else {
            return;
        };
        let (member, generation) = (cl.member, cl.generation);
        self.emit(
            Some(c),
            EventKind::CommitSent {
                id,
                source: f.source,
                sync: f.sync,
                offsets: f.offsets.clone(),
            },
        );
        self.send(
            c,
            inc,
            Request::Commit {
                id,
                source: f.source,
                member,
                generation,
                offsets: f.offsets,
            },
        );
    }

    /// Does the client retry a commit that failed with a retriable error? librdkafka retries
    /// all of them (B7); Java retries `commitSync` only, never `commitAsync` (D4, D5).
    fn retries_commit(&self, _c: usize, source: CommitSource, sync: bool) -> bool {
        !self.java() || sync || matches!(source, CommitSource::Close | CommitSource::Revoke)
    }

    /// B9: start where the group committed, else where `auto.offset.reset` says. E4: with the
    /// database sink, where the database says; a partition without a row there starts as B9
    /// says (the program seeks only where it has an offset: the group's committed offset,
    /// then `auto.offset.reset`).
    pub(crate) fn on_offset_fetch(&mut self, c: usize, offsets: Vec<(u32, i64)>, from_db: bool) {
        let now = self.now;
        let rtt = self.rtt();
        let reset = self.spec(c).config.auto_offset_reset;
        let log = self.log.clone();
        let mut events = Vec::new();
        let (offsets, no_row): (Vec<(u32, i64)>, Vec<(u32, i64)>) =
            offsets.into_iter().partition(|(_, o)| !from_db || *o >= 0);
        if !no_row.is_empty() {
            let inc = self.consumers[c].incarnation;
            let partitions = no_row.into_iter().map(|(p, _)| p).collect();
            self.send(c, inc, Request::OffsetFetch { partitions });
        }
        let cl = self.cl(c);
        for (p, committed) in offsets {
            let Some(part) = cl.part_mut(p) else { continue };
            if part.fetch_ready_ms.is_some() {
                continue;
            }
            let end = log.log_end_offset(p, now);
            if !from_db {
                part.committed_local = committed;
            }
            let start = if committed >= 0 && committed <= end {
                Some((
                    committed,
                    if from_db {
                        StartFrom::Database
                    } else {
                        StartFrom::Committed
                    },
                ))
            } else {
                match reset {
                    OffsetReset::Earliest => Some((0, StartFrom::Reset)),
                    OffsetReset::Latest => Some((end, StartFrom::Reset)),
                    OffsetReset::Error => None,
                }
            };
            match start {
                Some((offset, from)) => {
                    part.next = offset;
                    part.fetch_ready_ms = Some(now + rtt);
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
            self.emit(Some(c), e);
        }
        self.poke(c);
    }

    pub(crate) fn send_commit(
        &mut self,
        c: usize,
        inc: u32,
        source: CommitSource,
        sync: bool,
        offsets: Vec<(u32, i64)>,
    ) -> u32 {
        let id = self.next_commit_id;
        self.next_commit_id += 1;
        let now = self.now;
        let cl = self.cl(c);
        let (member, generation) = (cl.member, cl.generation);
        cl.in_flight.push(InFlight {
            id,
            source,
            sync,
            offsets: offsets.clone(),
            sent_ms: now,
        });
        self.emit(
            Some(c),
            EventKind::CommitSent {
                id,
                source,
                sync,
                offsets: offsets.clone(),
            },
        );
        self.send(
            c,
            inc,
            Request::Commit {
                id,
                source,
                member,
                generation,
                offsets,
            },
        );
        id
    }

    /// E1: the answer to `commit_transaction()`. On failure the program aborts and rewinds to
    /// the committed offsets (`committed()` + `seek()`).
    pub(crate) fn on_txn_response(&mut self, c: usize, id: u32, result: Result<(), KafkaError>) {
        let inc = self.consumers[c].incarnation;
        let cl = self.cl(c);
        if cl.app.state != (AppState::WaitTxn { id }) {
            return;
        }
        cl.app.state = AppState::Ready;
        if result.is_err() {
            self.abort_transaction(c);
            let cl = self.cl(c);
            let parts = cl.partitions();
            for p in &mut cl.parts {
                p.fetch_ready_ms = None;
            }
            if !parts.is_empty() {
                self.send(c, inc, Request::OffsetFetch { partitions: parts });
            }
        }
        self.advance(c);
        self.run_app(c);
    }

    pub(crate) fn abort_transaction(&mut self, c: usize) {
        let Some(cl) = self.consumers[c].client.as_mut() else {
            return;
        };
        let open = std::mem::take(&mut cl.open_outputs);
        if open.is_empty() {
            return;
        }
        for &i in &open {
            self.outputs[i].state = crate::world::OutputState::Aborted;
        }
        self.emit(
            Some(c),
            EventKind::TransactionAborted {
                outputs: open.len() as u32,
                producer_died: true,
            },
        );
    }
}

/// B4: the stored offsets of the current assignment that are greater than the last commit.
pub(crate) fn stored_to_commit(cl: &Client) -> Vec<(u32, i64)> {
    cl.parts
        .iter()
        .filter(|p| p.stored >= 0 && p.stored > p.committed_local)
        .map(|p| (p.partition, p.stored))
        .collect()
}

/// D1: the Java client commits positions (`allConsumed()`).
pub(crate) fn positions(cl: &Client) -> Vec<(u32, i64)> {
    cl.parts
        .iter()
        .filter(|p| p.app_pos >= 0)
        .map(|p| (p.partition, p.app_pos))
        .collect()
}
