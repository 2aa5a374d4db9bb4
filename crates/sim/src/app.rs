//! The application: the student's program, interpreted step by step (poll, process, store,
//! commit), blocking where the real program blocks.

use crate::Ms;
use crate::client::{AppState, JoinState, Part, Pc, RebalanceOp};
use crate::protocol::{positions, stored_to_commit};
use crate::scenario::{BatchStep, CrashWhen, MessageStep, ProgramPoint};
use crate::trace::{CommitSource, EventKind, KafkaError};
use crate::world::{Ev, Flow, MAX_STEPS_WITHOUT_BLOCKING, Request, World};

impl World {
    // ---- the application ------------------------------------------------------------------

    /// Something the application's `poll()` waits for has happened.
    pub(crate) fn poke(&mut self, c: usize) {
        if self.consumers[c].client.as_ref().is_some_and(|cl| cl.in_poll()) {
            self.run_app(c);
        }
    }

    pub(crate) fn on_app_wake(&mut self, c: usize, inc: u32, token: u32) {
        let Some(cl) = self.client_mut(c, inc) else { return };
        if cl.app.token != token {
            return;
        }
        match cl.app.state {
            AppState::Processing { payment, crash, .. } => {
                if let Some(ix) = crash {
                    // The crash interrupts the processing: the effect never lands.
                    let cp = self.spec(c).crashes[ix].clone();
                    self.crash(c, cp.kind, cp.restart_after_ms);
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
            AppState::InPoll { .. } => self.run_app(c),
            _ => {}
        }
    }

    pub(crate) fn apply_effect(&mut self, c: usize, payment: u32) {
        let n = &mut self.applied[payment as usize];
        *n += 1;
        let count = *n;
        self.emit(Some(c), EventKind::EffectApplied { payment, count });
    }

    /// Moves the program counter past the current step.
    pub(crate) fn advance(&mut self, c: usize) {
        let prog = &self.scenario.consumers[c].program;
        let (nb, nm, na) = (prog.before.len() as u8, prog.per_message.len() as u8, prog.after.len() as u8);
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
                if app.msg_ix < app.batch.len() { Pc::Message(0) } else { go_after(0) }
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
            let Some(cl) = self.consumers[c].client.as_ref() else { return };
            if matches!(cl.app.state, AppState::Processing { .. } | AppState::WaitCommit { .. } | AppState::Closing) {
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
        let max = if java { self.spec(c).config.max_poll_records } else { self.spec(c).program.poll.max_messages } as usize;

        // B10: rebalance callbacks run inside poll().
        if let Some(op) = self.cl(c).pending_op.take() {
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
            self.emit(Some(c), EventKind::PollError { error: KafkaError::MaxPollExceeded });
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
        let enough = if max <= 1 { !ready.is_empty() } else { ready.len() >= max || (now >= deadline && !ready.is_empty()) };
        if !enough {
            if now >= deadline {
                // poll() returned None: `continue` polls again.
                self.cl(c).app.state = AppState::InPoll { deadline_ms: now + timeout };
                self.emit(Some(c), EventKind::PollEmpty);
                let wake = next_at.map_or(now + timeout, |t| t.min(now + timeout));
                self.block_until(c, wake);
                return Flow::Blocked;
            }
            self.cl(c).app.state = AppState::InPoll { deadline_ms: deadline };
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
                self.emit(Some(c), EventKind::OffsetStored { partition, offset, auto: true });
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
        let mut cursors: Vec<(u32, i64, Ms)> =
            cl.parts.iter().filter_map(|p| p.fetch_ready_ms.map(|r| (p.partition, p.next, r))).collect();
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
        let interval = self.spec(c).config.auto_commit_interval_ms;
        let now = self.now;
        match op {
            RebalanceOp::Assign(partitions) => {
                let cl = self.cl(c);
                cl.parts = partitions.iter().map(|&p| Part::new(p)).collect();
                cl.assignment_lost = false;
                cl.join = JoinState::Steady;
                if java && auto {
                    // D2: the auto-commit deadline restarts after each successful join.
                    cl.next_auto_commit_ms = Some(now + interval);
                }
                self.emit(Some(c), EventKind::Assigned { partitions: partitions.clone() });
                if !partitions.is_empty() {
                    self.send(c, inc, Request::OffsetFetch { partitions });
                }
            }
            RebalanceOp::Revoke { lost } => {
                let cl = self.cl(c);
                let parts = cl.partitions();
                // B10: commit on revoke (librdkafka: stored offsets; D3 Java: positions), not
                // for a lost assignment.
                let offsets = if !lost && auto { if java { positions(cl) } else { stored_to_commit(cl) } } else { vec![] };
                cl.parts.clear(); // B10.2: stored offsets reset
                cl.assignment_lost = false;
                self.emit(Some(c), EventKind::Revoked { partitions: parts, lost });
                let cl = self.cl(c);
                if cl.join == JoinState::LeftMaxPoll {
                    return; // rejoins after the error event (B14)
                }
                if offsets.is_empty() {
                    let m = cl.member;
                    self.send_join(c, inc, m);
                } else {
                    let id = self.send_commit(c, inc, CommitSource::Revoke, false, offsets);
                    self.cl(c).join = JoinState::RevokeCommit { id };
                }
            }
        }
    }

    pub(crate) fn do_batch_step(&mut self, c: usize, step: BatchStep) -> Flow {
        match step {
            BatchStep::Commit { asynchronous } => self.app_commit(c, None, asynchronous),
        }
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
                let base = self.consumers[c].processing_ms;
                let jitter = self.spec(c).program.processing_jitter_ms;
                let extra = if jitter > 0 { self.rng.between(0, jitter) } else { 0 };
                let until = self.now + base + extra;
                let crash = self.spec(c).crashes.iter().enumerate().position(|(ix, cp)| {
                    !self.consumers[c].crash_fired[ix] && cp.when() == CrashWhen::Point(ProgramPoint::DuringProcessing, seq)
                });
                if let Some(ix) = crash {
                    self.consumers[c].crash_fired[ix] = true;
                }
                let now = self.now;
                let cl = self.cl(c);
                cl.app.current_seq = seq;
                cl.app.state = AppState::Processing { payment, started_ms: now, until_ms: until, crash };
                self.emit(Some(c), EventKind::ProcessingStarted { payment, until_ms: until });
                self.block_until(c, until);
                Flow::Blocked
            }
            MessageStep::StoreOffsets => {
                // B3: stores offset + 1; a partition not assigned fails with _STATE.
                let cl = self.cl(c);
                match cl.part_mut(p.partition) {
                    Some(part) => {
                        part.stored = p.offset + 1;
                        self.emit(Some(c), EventKind::OffsetStored { partition: p.partition, offset: p.offset + 1, auto: false });
                    }
                    None => self.emit(Some(c), EventKind::StoreFailed { partition: p.partition, error: KafkaError::State }),
                }
                self.advance(c);
                Flow::Continue
            }
            MessageStep::Commit { asynchronous, message } => {
                let explicit = message.then_some((p.partition, p.offset + 1));
                self.app_commit(c, explicit, asynchronous)
            }
        }
    }

    /// `commit()` (B4, B6) or `commit(message=msg)` (B6: `offset + 1`, never checked for
    /// increase).
    pub(crate) fn app_commit(&mut self, c: usize, explicit: Option<(u32, i64)>, asynchronous: bool) -> Flow {
        let inc = self.consumers[c].incarnation;
        let java = self.java();
        let cl = self.cl(c);
        let offsets = match explicit {
            Some(o) => Ok(vec![o]),
            None if cl.assignment_lost => Err(KafkaError::AssignmentLost),
            None => {
                let o = if java { positions(cl) } else { stored_to_commit(cl) };
                if o.is_empty() { Err(KafkaError::NoOffset) } else { Ok(o) }
            }
        };
        match offsets {
            Err(error) => {
                // The program catches and logs the KafkaException, then goes on.
                self.emit(Some(c), EventKind::CommitRefused { source: CommitSource::Manual, sync: !asynchronous, error });
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
            ProgramPoint::AfterPoll => con.messages_seen.saturating_sub(cl.app.batch.len() as u32) + 1,
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
