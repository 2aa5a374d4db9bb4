//! The application: the student's program, interpreted step by step (poll, process, store,
//! commit), blocking where the real program blocks.

use crate::Ms;
use crate::client::{AppState, JoinState, Part, Pc, RebalanceOp};
use crate::group::Response;
use crate::protocol::{positions, stored_to_commit};
use crate::scenario::{
    BatchStep, CrashWhen, FailureAction, Fault, MessageStep, ProgramPoint, SinkKind,
};
use crate::trace::{CommitSource, EventKind, Failure, KafkaError};
use crate::world::{
    DeadLetter, Ev, Flow, MAX_STEPS_WITHOUT_BLOCKING, Output, OutputState, Request, World,
};

impl World {
    // ---- the application ------------------------------------------------------------------

    /// Something the application's `poll()` waits for has happened.
    pub(crate) fn poke(&mut self, c: usize) {
        if self.consumers[c]
            .client
            .as_ref()
            .is_some_and(|cl| cl.in_poll())
        {
            self.run_app(c);
        }
    }

    pub(crate) fn on_app_wake(&mut self, c: usize, inc: u32, token: u32) {
        let Some(cl) = self.client_mut(c, inc) else {
            return;
        };
        if cl.app.token != token {
            return;
        }
        match cl.app.state {
            AppState::Processing {
                payment,
                attempt,
                crash,
                failure,
                ..
            } => {
                if let Some(ix) = crash {
                    // The crash interrupts the processing: the effect never lands.
                    let cp = self.spec(c).crashes[ix].clone();
                    self.crash(c, cp.kind, cp.restart_after_ms);
                    return;
                }
                if let Some(failure) = failure {
                    self.on_processing_failed(c, payment, attempt, failure);
                    return;
                }
                self.apply_effect(c, payment);
                self.cl(c).app.state = AppState::Ready;
                if self.check_point_crash(c, ProgramPoint::AfterEffect) {
                    return;
                }
                self.advance(c);
                self.run_app(c);
            }
            AppState::Backoff {
                payment, attempt, ..
            } => self.start_processing(c, payment, attempt + 1),
            AppState::Publishing { payment, .. } => {
                let now = self.now;
                self.dead_letters.push(DeadLetter {
                    payment,
                    consumer: c,
                    at_ms: now,
                });
                self.emit(Some(c), EventKind::DeadLettered { payment });
                self.handled_without_effect(c, payment);
                self.cl(c).app.state = AppState::Ready;
                self.advance(c);
                self.run_app(c);
            }
            AppState::InPoll { .. } => self.run_app(c),
            _ => {}
        }
    }

    /// A failed attempt: retry with backoff, or apply the program's failure action.
    fn on_processing_failed(&mut self, c: usize, payment: u32, attempt: u32, failure: Failure) {
        let policy = self.spec(c).program.retry.clone();
        let now = self.now;
        // Backoff doubles on each further attempt.
        let retry_at = (failure == Failure::Transient && attempt < policy.attempts).then(|| {
            now + policy
                .backoff_ms
                .saturating_mul(1u64 << (attempt - 1).min(20))
        });
        self.emit(
            Some(c),
            EventKind::ProcessingFailed {
                payment,
                attempt,
                failure,
                retry_at_ms: retry_at,
            },
        );
        if let Some(until) = retry_at {
            self.cl(c).app.state = AppState::Backoff {
                payment,
                attempt,
                until_ms: until,
            };
            self.block_until(c, until);
            return;
        }
        let action = match failure {
            Failure::Transient => policy.on_exhausted,
            Failure::Permanent => self.spec(c).program.on_invalid,
        };
        match action {
            FailureAction::Skip => {
                self.skipped[payment as usize] = true;
                self.emit(Some(c), EventKind::PaymentSkipped { payment });
                self.handled_without_effect(c, payment);
                self.cl(c).app.state = AppState::Ready;
                self.advance(c);
                self.run_app(c);
            }
            FailureAction::DeadLetter => {
                // Producing to the dead-letter topic takes a round trip.
                let until = now + self.rtt();
                self.cl(c).app.state = AppState::Publishing {
                    payment,
                    until_ms: until,
                };
                self.block_until(c, until);
            }
            FailureAction::Stop => {
                self.emit(Some(c), EventKind::ProgramStopped { payment });
                self.stop_program(c);
            }
        }
    }

    /// The database sink records a skipped or dead-lettered payment's offset too (E4), so
    /// that it is not retried forever.
    fn handled_without_effect(&mut self, c: usize, payment: u32) {
        if self.scenario.sink.kind == SinkKind::Database {
            let p = self.log.payment(payment);
            let (partition, next) = (p.partition, p.offset + 1);
            if next > self.db_offsets[partition as usize] {
                self.db_offsets[partition as usize] = next;
                self.emit(
                    Some(c),
                    EventKind::DbOffsetWritten {
                        partition,
                        offset: next,
                    },
                );
            }
        }
    }

    /// The payment's effect reaches the sink.
    pub(crate) fn apply_effect(&mut self, c: usize, payment: u32) {
        let ix = payment as usize;
        self.deliveries[ix] += 1;
        let deliveries = self.deliveries[ix];
        let now = self.now;
        match self.scenario.sink.kind {
            SinkKind::Ledger => self.count_effect(c, payment),
            SinkKind::Idempotent => {
                if self.applied[ix] == 0 {
                    self.count_effect(c, payment);
                } else {
                    self.emit(
                        Some(c),
                        EventKind::EffectDeduplicated {
                            payment,
                            deliveries,
                        },
                    );
                }
            }
            SinkKind::Database => {
                // E4: one transaction writes the result and the next offset. A payment below
                // the stored offset is already in the database (a zombie or a redelivery).
                let p = self.log.payment(payment);
                let (partition, next) = (p.partition, p.offset + 1);
                if next > self.db_offsets[partition as usize] {
                    self.db_offsets[partition as usize] = next;
                    self.count_effect(c, payment);
                    self.emit(
                        Some(c),
                        EventKind::DbOffsetWritten {
                            partition,
                            offset: next,
                        },
                    );
                } else {
                    self.emit(
                        Some(c),
                        EventKind::EffectDeduplicated {
                            payment,
                            deliveries,
                        },
                    );
                }
            }
            SinkKind::RefundsTopic => {
                self.outputs.push(Output {
                    payment,
                    consumer: c,
                    at_ms: now,
                    state: OutputState::Committed,
                });
                self.emit(
                    Some(c),
                    EventKind::OutputProduced {
                        payment,
                        transactional: false,
                    },
                );
                self.count_effect(c, payment);
            }
            SinkKind::Transactional => {
                let i = self.outputs.len();
                self.outputs.push(Output {
                    payment,
                    consumer: c,
                    at_ms: now,
                    state: OutputState::Open,
                });
                self.cl(c).open_outputs.push(i);
                self.emit(
                    Some(c),
                    EventKind::OutputProduced {
                        payment,
                        transactional: true,
                    },
                );
                if !self.scenario.sink.read_committed {
                    // E2: a read_uncommitted reader sees it now, even if it is aborted later.
                    self.count_effect(c, payment);
                }
            }
        }
    }

    fn count_effect(&mut self, c: usize, payment: u32) {
        let n = &mut self.applied[payment as usize];
        *n += 1;
        let count = *n;
        self.emit(Some(c), EventKind::EffectApplied { payment, count });
    }

    /// Moves the program counter past the current step.
    pub(crate) fn advance(&mut self, c: usize) {
        let prog = &self.scenario.consumers[c].program;
        let (nb, nm, na) = (
            prog.before.len() as u8,
            prog.per_message.len() as u8,
            prog.after.len() as u8,
        );
        let cl = self.consumers[c].client.as_mut().expect("alive");
        let app = &mut cl.app;
        let go_after = |i: u8| if i < na { Pc::After(i) } else { Pc::Poll };
        let has_batch = !app.batch.is_empty();
        let go_before = |i: u8| {
            if i < nb {
                Pc::Before(i)
            } else if has_batch {
                Pc::Message(0)
            } else {
                go_after(0)
            }
        };
        app.pc = match app.pc {
            Pc::Poll => go_before(0),
            Pc::Before(i) => go_before(i + 1),
            Pc::Message(i) if i + 1 < nm => Pc::Message(i + 1),
            Pc::Message(_) => {
                app.msg_ix += 1;
                if app.msg_ix < app.batch.len() {
                    Pc::Message(0)
                } else {
                    go_after(0)
                }
            }
            Pc::After(i) => go_after(i + 1),
            Pc::Close => Pc::Close,
        };
        if app.pc == Pc::Poll {
            app.batch.clear();
            app.msg_ix = 0;
        }
    }

    /// Runs the program until it blocks (in poll, processing, a sync commit) or dies.
    pub(crate) fn run_app(&mut self, c: usize) {
        for _ in 0..MAX_STEPS_WITHOUT_BLOCKING {
            let Some(cl) = self.consumers[c].client.as_ref() else {
                return;
            };
            if !matches!(cl.app.state, AppState::Ready | AppState::InPoll { .. }) {
                return;
            }
            let flow = match cl.app.pc {
                Pc::Poll => self.do_poll(c),
                Pc::Before(i) => {
                    let step = self.spec(c).program.before[i as usize].clone();
                    self.do_batch_step(c, step)
                }
                Pc::After(i) => {
                    let step = self.spec(c).program.after[i as usize].clone();
                    self.do_batch_step(c, step)
                }
                Pc::Message(i) => {
                    let step = self.spec(c).program.per_message[i as usize].clone();
                    self.do_message_step(c, step)
                }
                Pc::Close => Flow::Blocked,
            };
            if let Flow::Blocked = flow {
                return;
            }
        }
    }

    pub(crate) fn block_until(&mut self, c: usize, at: Ms) {
        let inc = self.consumers[c].incarnation;
        let cl = self.cl(c);
        cl.app.token += 1;
        let token = cl.app.token;
        self.schedule(at, Ev::AppWake { c, inc, token });
    }

    /// `poll()` / `consume()`: serve rebalance callbacks, commit callbacks and errors, then
    /// return messages or wait for them.
    pub(crate) fn do_poll(&mut self, c: usize) -> Flow {
        let inc = self.consumers[c].incarnation;
        let now = self.now;
        let java = self.java();
        let spec_auto = self.spec(c).config.enable_auto_commit;
        let auto_store = self.spec(c).config.enable_auto_offset_store;
        let interval = self.spec(c).config.auto_commit_interval_ms;
        let timeout = self.spec(c).program.poll.timeout_ms;
        let max = if java {
            self.spec(c).config.max_poll_records
        } else {
            self.spec(c).program.poll.max_messages
        } as usize;

        // B10: rebalance callbacks run inside poll().
        while !self.cl(c).pending_ops.is_empty() {
            let op = self.cl(c).pending_ops.remove(0);
            self.serve_rebalance(c, inc, op);
            if self.consumers[c].client.is_none() {
                return Flow::Blocked;
            }
        }
        // B6: on_commit results of earlier async and auto commits.
        let callbacks = std::mem::take(&mut self.cl(c).callbacks);
        for (id, error) in callbacks {
            self.emit(Some(c), EventKind::CommitCallback { id, error });
        }
        let cl = self.cl(c);
        cl.last_poll_ms = now;
        if cl.max_poll_error {
            // B14: the error event, then rejoin as a new member.
            cl.max_poll_error = false;
            cl.app.state = AppState::Ready;
            self.emit(
                Some(c),
                EventKind::PollError {
                    error: KafkaError::MaxPollExceeded,
                },
            );
            self.send_join(c, inc, None);
            return Flow::Continue; // `if msg.error(): continue` → poll again
        }
        // D2: the Java client auto-commits inside poll(), before fetching new records.
        if java && spec_auto {
            let cl = self.cl(c);
            if cl.join == JoinState::Steady && cl.next_auto_commit_ms.is_some_and(|t| now >= t) {
                cl.next_auto_commit_ms = Some(now + interval);
                let offsets = positions(cl);
                if !offsets.is_empty() {
                    self.send_commit(c, inc, CommitSource::Auto, false, offsets);
                }
            }
        }
        let deadline = match self.cl(c).app.state {
            AppState::InPoll { deadline_ms } => deadline_ms,
            _ => now + timeout,
        };
        let (ready, next_at) = self.available(c, max);
        let enough = if max <= 1 {
            !ready.is_empty()
        } else {
            ready.len() >= max || (now >= deadline && !ready.is_empty())
        };
        if !enough {
            if now >= deadline {
                // poll() returned None: `continue` polls again.
                self.cl(c).app.state = AppState::InPoll {
                    deadline_ms: now + timeout,
                };
                self.emit(Some(c), EventKind::PollEmpty);
                let wake = next_at.map_or(now + timeout, |t| t.min(now + timeout));
                self.block_until(c, wake);
                return Flow::Blocked;
            }
            self.cl(c).app.state = AppState::InPoll {
                deadline_ms: deadline,
            };
            let wake = next_at.map_or(deadline, |t| t.min(deadline));
            self.block_until(c, wake);
            return Flow::Blocked;
        }
        // Return the messages: position moves (A2); the offset is stored now (B2).
        let mut seqs = Vec::with_capacity(ready.len());
        let mut payments = Vec::with_capacity(ready.len());
        let mut stored_parts: Vec<(u32, i64)> = Vec::new();
        let con = &mut self.consumers[c];
        for &pay in &ready {
            con.messages_seen += 1;
            seqs.push((pay, con.messages_seen));
            payments.push(pay);
        }
        let cl = con.client.as_mut().expect("alive");
        for &pay in &ready {
            let p = self.log.payment(pay);
            if let Some(part) = cl.part_mut(p.partition) {
                part.next = p.offset + 1;
                part.app_pos = p.offset + 1;
                if java || auto_store {
                    part.stored = p.offset + 1;
                    match stored_parts.iter_mut().find(|(q, _)| *q == p.partition) {
                        Some(e) => e.1 = p.offset + 1,
                        None => stored_parts.push((p.partition, p.offset + 1)),
                    }
                }
            }
        }
        cl.app.batch = seqs;
        cl.app.msg_ix = 0;
        cl.app.state = AppState::Ready;
        cl.app.token += 1;
        self.emit(Some(c), EventKind::Polled { payments });
        if !java {
            for (partition, offset) in stored_parts {
                self.emit(
                    Some(c),
                    EventKind::OffsetStored {
                        partition,
                        offset,
                        auto: true,
                    },
                );
            }
        }
        if self.check_point_crash(c, ProgramPoint::AfterPoll) {
            return Flow::Blocked;
        }
        self.advance(c);
        Flow::Continue
    }

    /// The messages `poll()` can return now (at most `max`), and when the next one arrives.
    pub(crate) fn available(&self, c: usize, max: usize) -> (Vec<u32>, Option<Ms>) {
        let cl = self.consumers[c].client.as_ref().expect("alive");
        let rtt = self.rtt();
        let now = self.now;
        let mut cursors: Vec<(u32, i64, Ms)> = cl
            .parts
            .iter()
            .filter_map(|p| p.fetch_ready_ms.map(|r| (p.partition, p.next, r)))
            .collect();
        let mut out = Vec::new();
        let mut next_at: Option<Ms> = None;
        // Merge partitions by arrival time, then partition: deterministic.
        while out.len() < max {
            let mut best: Option<(Ms, u32, usize)> = None;
            for (i, (p, off, ready)) in cursors.iter().enumerate() {
                if let Some(pay) = self.log.at(*p, *off) {
                    let arrives = (*ready).max(self.log.payment(pay).produced_at_ms + rtt);
                    if best.is_none_or(|(t, bp, _)| (arrives, *p) < (t, bp)) {
                        best = Some((arrives, *p, i));
                    }
                }
            }
            let Some((arrives, _, i)) = best else { break };
            if arrives > now {
                next_at = Some(arrives);
                break;
            }
            let (p, off, _) = cursors[i];
            out.push(self.log.at(p, off).unwrap_or(0));
            cursors[i].1 += 1;
        }
        (out, next_at)
    }

    pub(crate) fn serve_rebalance(&mut self, c: usize, inc: u32, op: RebalanceOp) {
        let java = self.java();
        let auto = self.spec(c).config.enable_auto_commit;
        let revoke_commit = self.spec(c).program.on_revoke_commit;
        let interval = self.spec(c).config.auto_commit_interval_ms;
        let from_db = self.scenario.sink.kind == SinkKind::Database;
        let now = self.now;
        match op {
            RebalanceOp::Assign(partitions) => {
                let cl = self.cl(c);
                // Eager: the whole new assignment. Cooperative: added to what is kept.
                for &p in &partitions {
                    if cl.part(p).is_none() {
                        cl.parts.push(Part::new(p));
                    }
                }
                cl.parts.sort_by_key(|p| p.partition);
                cl.assignment_lost = false;
                if cl.join != JoinState::AwaitingRevoke
                    && !matches!(cl.join, JoinState::RevokeCommit { .. } | JoinState::Joining)
                {
                    cl.join = JoinState::Steady;
                }
                if java && auto {
                    // D2: the auto-commit deadline restarts after each successful join.
                    cl.next_auto_commit_ms = Some(now + interval);
                }
                self.emit(
                    Some(c),
                    EventKind::Assigned {
                        partitions: partitions.clone(),
                    },
                );
                if partitions.is_empty() {
                    return;
                }
                if from_db {
                    // E4: on_assign reads the offsets stored with the results and seeks there.
                    let offsets = partitions
                        .iter()
                        .map(|&p| (p, self.db_offsets[p as usize]))
                        .collect();
                    let rtt = self.rtt();
                    self.schedule(
                        now + rtt,
                        Ev::ToClient {
                            c,
                            inc,
                            resp: Response::DbOffsets(offsets),
                        },
                    );
                } else {
                    self.send(c, inc, Request::OffsetFetch { partitions });
                }
            }
            RebalanceOp::Revoke { partitions, lost } => {
                let cl = self.cl(c);
                let gone: Vec<u32> = partitions.unwrap_or_else(|| cl.partitions());
                // B10: commit on revoke (librdkafka: stored offsets; D3 Java: positions), or
                // the program's own commit in on_revoke; never for a lost assignment.
                let offsets: Vec<(u32, i64)> = if !lost && (auto || revoke_commit) {
                    let all = if java {
                        positions(cl)
                    } else {
                        stored_to_commit(cl)
                    };
                    all.into_iter().filter(|(p, _)| gone.contains(p)).collect()
                } else {
                    vec![]
                };
                cl.parts.retain(|p| !gone.contains(&p.partition)); // B10.2: stored offsets reset
                if cl.parts.is_empty() {
                    cl.assignment_lost = false;
                }
                self.emit(
                    Some(c),
                    EventKind::Revoked {
                        partitions: gone,
                        lost,
                    },
                );
                let cl = self.cl(c);
                if cl.join == JoinState::LeftMaxPoll {
                    return; // rejoins after the error event (B14)
                }
                if offsets.is_empty() {
                    let m = cl.member;
                    self.send_join(c, inc, m);
                } else {
                    // D3: Java commits synchronously before a rebalance; so does a program that commits in
                    // on_revoke. librdkafka's own commit on revoke is asynchronous (B10.3).
                    let id = self.send_commit(
                        c,
                        inc,
                        CommitSource::Revoke,
                        java || revoke_commit,
                        offsets,
                    );
                    self.cl(c).join = JoinState::RevokeCommit { id };
                }
            }
        }
    }

    pub(crate) fn do_batch_step(&mut self, c: usize, step: BatchStep) -> Flow {
        match step {
            BatchStep::Commit { asynchronous } => self.app_commit(c, None, asynchronous),
            BatchStep::CommitTransaction => self.commit_transaction(c),
        }
    }

    /// E1: `send_offsets_to_transaction(consumer.position(...))` + `commit_transaction()`.
    fn commit_transaction(&mut self, c: usize) -> Flow {
        let inc = self.consumers[c].incarnation;
        let id = self.next_commit_id;
        self.next_commit_id += 1;
        let cl = self.cl(c);
        let offsets = positions(cl);
        let outputs = std::mem::take(&mut cl.open_outputs);
        if offsets.is_empty() && outputs.is_empty() {
            self.advance(c);
            return Flow::Continue;
        }
        let (member, generation) = (cl.member, cl.generation);
        cl.app.state = AppState::WaitTxn { id };
        self.send(
            c,
            inc,
            Request::TxnCommit {
                id,
                member,
                generation,
                offsets,
                outputs,
            },
        );
        Flow::Blocked
    }

    /// Starts an attempt at a payment: decides, from the faults and the seeded stream, how long
    /// it takes and whether it fails, and whether a crash point interrupts it.
    pub(crate) fn start_processing(&mut self, c: usize, payment: u32, attempt: u32) {
        let now = self.now;
        let seq = self.cl(c).app.current_seq;
        let ix = payment as usize;
        let tries = self.attempts[ix];
        self.attempts[ix] += 1;
        let mut duration = self.consumers[c].processing_ms;
        let mut failure = self
            .log
            .payment(payment)
            .invalid
            .then_some(Failure::Permanent);
        for f in &self.scenario.faults {
            match *f {
                Fault::SlowPayment {
                    payment: n,
                    processing_ms,
                    times,
                } if n == payment + 1 && tries < times => duration = processing_ms,
                Fault::FailPayment {
                    payment: n,
                    attempts,
                } if n == payment + 1 && tries < attempts && failure.is_none() => {
                    failure = Some(Failure::Transient);
                }
                _ => {}
            }
        }
        let jitter = self.spec(c).program.processing_jitter_ms;
        if jitter > 0 {
            duration += self.rng.between(0, jitter);
        }
        let per_mille = self.scenario.faults.iter().find_map(|f| match f {
            Fault::TransientFailures { per_mille } => Some(*per_mille as u64),
            _ => None,
        });
        if let Some(pm) = per_mille {
            // Drawn for every attempt, so the stream does not depend on earlier outcomes.
            if self.rng.chance(pm, 1000) && failure.is_none() {
                failure = Some(Failure::Transient);
            }
        }
        let until = now + duration;
        let crash = if attempt == 1 {
            let found = self
                .spec(c)
                .crashes
                .iter()
                .enumerate()
                .position(|(ix, cp)| {
                    !self.consumers[c].crash_fired[ix]
                        && cp.when() == CrashWhen::Point(ProgramPoint::DuringProcessing, seq)
                });
            if let Some(ix) = found {
                self.consumers[c].crash_fired[ix] = true;
            }
            found
        } else {
            None
        };
        self.cl(c).app.state = AppState::Processing {
            payment,
            attempt,
            started_ms: now,
            until_ms: until,
            crash,
            failure,
        };
        self.emit(
            Some(c),
            EventKind::ProcessingStarted {
                payment,
                until_ms: until,
            },
        );
        self.block_until(c, until);
    }

    pub(crate) fn do_message_step(&mut self, c: usize, step: MessageStep) -> Flow {
        let cl = self.cl(c);
        let Some(&(payment, seq)) = cl.app.batch.get(cl.app.msg_ix) else {
            self.advance(c);
            return Flow::Continue;
        };
        let p = self.log.payment(payment).clone();
        match step {
            MessageStep::Process => {
                self.cl(c).app.current_seq = seq;
                self.start_processing(c, payment, 1);
                Flow::Blocked
            }
            MessageStep::StoreOffsets => {
                // B3: stores offset + 1; a partition not assigned fails with _STATE.
                let cl = self.cl(c);
                match cl.part_mut(p.partition) {
                    Some(part) => {
                        part.stored = p.offset + 1;
                        self.emit(
                            Some(c),
                            EventKind::OffsetStored {
                                partition: p.partition,
                                offset: p.offset + 1,
                                auto: false,
                            },
                        );
                    }
                    None => self.emit(
                        Some(c),
                        EventKind::StoreFailed {
                            partition: p.partition,
                            error: KafkaError::State,
                        },
                    ),
                }
                self.advance(c);
                Flow::Continue
            }
            MessageStep::Commit {
                asynchronous,
                message,
            } => {
                let explicit = message.then_some((p.partition, p.offset + 1));
                self.app_commit(c, explicit, asynchronous)
            }
        }
    }

    /// `commit()` (B4, B6) or `commit(message=msg)` (B6: `offset + 1`, never checked for
    /// increase).
    pub(crate) fn app_commit(
        &mut self,
        c: usize,
        explicit: Option<(u32, i64)>,
        asynchronous: bool,
    ) -> Flow {
        let inc = self.consumers[c].incarnation;
        let java = self.java();
        let cl = self.cl(c);
        let offsets = match explicit {
            Some(o) => Ok(vec![o]),
            None if cl.assignment_lost => Err(KafkaError::AssignmentLost),
            None => {
                let o = if java {
                    positions(cl)
                } else {
                    stored_to_commit(cl)
                };
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
                let id = self.next_commit_id;
                self.next_commit_id += 1;
                self.cl(c).callbacks.push((id, Some(error)));
                if self.check_point_crash(c, ProgramPoint::AfterCommit) {
                    return Flow::Blocked;
                }
                self.advance(c);
                Flow::Continue
            }
            Err(error) => {
                // A synchronous commit raises KafkaException: the program logs it, goes on.
                self.emit(
                    Some(c),
                    EventKind::CommitRefused {
                        source: CommitSource::Manual,
                        sync: true,
                        error,
                    },
                );
                if self.check_point_crash(c, ProgramPoint::AfterCommit) {
                    return Flow::Blocked;
                }
                self.advance(c);
                Flow::Continue
            }
            Ok(offsets) => {
                let id = self.send_commit(c, inc, CommitSource::Manual, !asynchronous, offsets);
                if self.check_point_crash(c, ProgramPoint::CommitInFlight) {
                    return Flow::Blocked;
                }
                if asynchronous {
                    if self.check_point_crash(c, ProgramPoint::AfterCommit) {
                        return Flow::Blocked;
                    }
                    self.advance(c);
                    Flow::Continue
                } else {
                    let cl = self.cl(c);
                    cl.app.state = AppState::WaitCommit { id };
                    Flow::Blocked
                }
            }
        }
    }

    /// Fires the first unfired crash point at `point` whose message has been reached.
    pub(crate) fn check_point_crash(&mut self, c: usize, point: ProgramPoint) -> bool {
        let con = &self.consumers[c];
        let Some(cl) = &con.client else { return true };
        let reached = match point {
            ProgramPoint::AfterPoll => con.messages_seen,
            _ => cl.app.current_seq,
        };
        let lo = match point {
            ProgramPoint::AfterPoll => {
                con.messages_seen.saturating_sub(cl.app.batch.len() as u32) + 1
            }
            ProgramPoint::AfterEffect => cl.app.current_seq,
            _ => 1,
        };
        let hit = self.spec(c).crashes.iter().enumerate().find(|(ix, cp)| {
            !con.crash_fired[*ix]
                && matches!(cp.when(), CrashWhen::Point(p, k) if p == point && k >= lo && k <= reached)
        });
        let Some((ix, cp)) = hit else { return false };
        let cp = cp.clone();
        self.consumers[c].crash_fired[ix] = true;
        self.crash(c, cp.kind, cp.restart_after_ms);
        true
    }
}
