//! The student's program, interpreted step by step: `poll()` (B2, B6, B10, B14), the steps
//! before, inside and after the per-message loop, and crash points at program points. It runs
//! until it blocks (in `poll()`, processing, a synchronous commit) or the process ends.

use crate::Ms;
use crate::ids::{Offset, Offsets, Partition};
use crate::scenario::{BatchStep, CrashWhen, MessageStep, ProgramPoint};
use crate::trace::{EventKind, KafkaError};

use super::policy::AutoCommitRuns;
use super::{Client, Ctx, MAX_STEPS_WITHOUT_BLOCKING, Pc, ProgramState, TimerKind};

/// Whether the program can run its next step now.
pub(crate) enum Flow {
    Continue,
    Blocked,
}

impl Client {
    /// Something the application's `poll()` waits for has happened.
    pub(crate) fn poke(&mut self, ctx: &mut Ctx) {
        if !self.ended && self.in_poll() {
            self.run_app(ctx);
        }
    }

    /// Runs the program until it blocks (in poll, processing, a sync commit) or dies.
    pub fn run_app(&mut self, ctx: &mut Ctx) {
        for _ in 0..MAX_STEPS_WITHOUT_BLOCKING {
            if self.ended
                || !matches!(
                    self.app.state,
                    ProgramState::Ready | ProgramState::InPoll { .. }
                )
            {
                return;
            }
            let program = &ctx.spec.program;
            let flow = match self.app.pc {
                Pc::Poll => self.do_poll(ctx),
                Pc::Before(i) => {
                    let step = program.before[i as usize].clone();
                    self.do_batch_step(step, ctx)
                }
                Pc::After(i) => {
                    let step = program.after[i as usize].clone();
                    self.do_batch_step(step, ctx)
                }
                Pc::Message(i) => {
                    let step = program.per_message[i as usize].clone();
                    self.do_message_step(step, ctx)
                }
                Pc::CommitPrefix => self.commit_prefix(ctx),
                Pc::Seek => self.seek_batch(ctx),
                Pc::Close => Flow::Blocked,
            };
            if let Flow::Blocked = flow {
                return;
            }
        }
    }

    /// The program blocks until `at`: processing, a backoff, a publish, a poll timeout.
    pub(crate) fn block_until(&mut self, at: Ms, ctx: &mut Ctx) {
        self.timers.app_wake += 1;
        self.arm(TimerKind::AppWake, at, ctx);
    }

    /// Moves the program counter past the current step.
    pub(crate) fn advance(&mut self, ctx: &Ctx) {
        let prog = &ctx.spec.program;
        let (nb, nm, na) = (
            prog.before.len() as u8,
            prog.per_message.len() as u8,
            prog.after.len() as u8,
        );
        let app = &mut self.app;
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
            Pc::CommitPrefix => Pc::Seek,
            // After the seeks, poll again: the steps after the loop do not run for this batch.
            Pc::Seek => Pc::Poll,
            Pc::Close => Pc::Close,
        };
        if app.pc == Pc::Poll {
            app.batch.clear();
            app.msg_ix = 0;
        }
    }

    /// `poll()` / `consume()`: serve rebalance callbacks, commit callbacks and errors, then
    /// return messages or wait for them.
    fn do_poll(&mut self, ctx: &mut Ctx) -> Flow {
        let now = ctx.now;
        let auto_store = ctx.spec.config.enable_auto_offset_store;
        let timeout = ctx.spec.program.poll.timeout_ms;
        let max = self.policy.records_per_poll(ctx.spec);

        // B10: rebalance callbacks run inside poll().
        while !self.pending_ops.is_empty() {
            let op = self.pending_ops.remove(0);
            self.serve_rebalance(op, ctx);
            if self.ended {
                return Flow::Blocked;
            }
        }
        // B6: on_commit results of earlier async and auto commits.
        for (id, error) in std::mem::take(&mut self.callbacks) {
            ctx.emit(EventKind::CommitCallback { id, error });
        }
        self.last_poll_ms = now;
        if self.max_poll_error {
            // B14: the error event, then rejoin as a new member.
            self.max_poll_error = false;
            self.app.state = ProgramState::Ready;
            ctx.emit(EventKind::PollError {
                error: KafkaError::MaxPollExceeded,
            });
            self.send_join(None, ctx);
            return Flow::Continue; // `if msg.error(): continue` → poll again
        }
        // D2: the Java client auto-commits inside poll(), before fetching new records.
        if ctx.spec.config.enable_auto_commit
            && self.policy.auto_commit_runs() == AutoCommitRuns::InsidePoll
        {
            self.auto_commit_in_poll(ctx);
        }
        let deadline = match self.app.state {
            ProgramState::InPoll { deadline_ms } => deadline_ms,
            _ => now + timeout,
        };
        let (ready, next_at) = self.available(max, ctx);
        let enough = if max <= 1 {
            !ready.is_empty()
        } else {
            ready.len() >= max || (now >= deadline && !ready.is_empty())
        };
        if !enough {
            if now >= deadline {
                // poll() returned None: `continue` polls again.
                self.app.state = ProgramState::InPoll {
                    deadline_ms: now + timeout,
                };
                ctx.emit(EventKind::PollEmpty);
                let wake = next_at.map_or(now + timeout, |t| t.min(now + timeout));
                self.block_until(wake, ctx);
                return Flow::Blocked;
            }
            self.app.state = ProgramState::InPoll {
                deadline_ms: deadline,
            };
            let wake = next_at.map_or(deadline, |t| t.min(deadline));
            self.block_until(wake, ctx);
            return Flow::Blocked;
        }
        // Return the messages: position moves (A2); the offset is stored now (B2).
        let moves_commit_point = self.policy.poll_moves_commit_point(auto_store);
        let mut seqs = Vec::with_capacity(ready.len());
        let mut stored_parts: Offsets = Vec::new();
        for &pay in &ready {
            ctx.consumer.messages_seen += 1;
            seqs.push((pay, ctx.consumer.messages_seen));
            let p = ctx.log.payment(pay);
            if let Some(part) = self.part_mut(p.partition) {
                part.next = p.offset.next();
                part.app_pos = p.offset.next();
                if moves_commit_point {
                    part.stored = p.offset.next();
                    match stored_parts.iter_mut().find(|(q, _)| *q == p.partition) {
                        Some(e) => e.1 = p.offset.next(),
                        None => stored_parts.push((p.partition, p.offset.next())),
                    }
                }
            }
        }
        self.app.batch = seqs;
        self.app.msg_ix = 0;
        self.app.state = ProgramState::Ready;
        self.timers.app_wake += 1;
        ctx.emit(EventKind::Polled { payments: ready });
        if self.policy.has_offset_store() {
            for (partition, offset) in stored_parts {
                ctx.emit(EventKind::OffsetStored {
                    partition,
                    offset,
                    auto: true,
                });
            }
        }
        if self.check_point_crash(ProgramPoint::AfterPoll, ctx) {
            return Flow::Blocked;
        }
        self.advance(ctx);
        Flow::Continue
    }

    /// The messages `poll()` can return now (at most `max`), and when the next one arrives.
    fn available(&self, max: usize, ctx: &Ctx) -> (Vec<u32>, Option<Ms>) {
        let rtt = ctx.rtt();
        let now = ctx.now;
        let log = ctx.log;
        let mut cursors: Vec<(Partition, Offset, Ms)> = self
            .parts
            .iter()
            .filter_map(|p| p.fetch_ready_ms.map(|r| (p.partition, p.next, r)))
            .collect();
        let mut out = Vec::new();
        let mut next_at: Option<Ms> = None;
        // Merge partitions by arrival time, then partition: deterministic.
        while out.len() < max {
            let mut best: Option<(Ms, Partition, usize)> = None;
            for (i, (p, off, ready)) in cursors.iter().enumerate() {
                if let Some(pay) = log.at(*p, *off) {
                    let arrives = (*ready).max(log.payment(pay).produced_at_ms + rtt);
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
            out.push(log.at(p, off).unwrap_or(0));
            cursors[i].1 = cursors[i].1.next();
        }
        (out, next_at)
    }

    fn do_batch_step(&mut self, step: BatchStep, ctx: &mut Ctx) -> Flow {
        match step {
            BatchStep::Commit { asynchronous } => self.app_commit(None, asynchronous, ctx),
            BatchStep::CommitTransaction => self.commit_transaction(ctx),
        }
    }

    fn do_message_step(&mut self, step: MessageStep, ctx: &mut Ctx) -> Flow {
        let Some(&(payment, seq)) = self.app.batch.get(self.app.msg_ix) else {
            self.advance(ctx);
            return Flow::Continue;
        };
        let p = ctx.log.payment(payment);
        let (partition, offset) = (p.partition, p.offset);
        match step {
            MessageStep::Process => {
                self.app.current_seq = seq;
                self.start_processing(payment, 1, ctx);
                Flow::Blocked
            }
            MessageStep::StoreOffsets => {
                // B3: stores offset + 1; a partition not assigned fails with _STATE.
                match self.part_mut(partition) {
                    Some(part) => {
                        part.stored = offset.next();
                        ctx.emit(EventKind::OffsetStored {
                            partition,
                            offset: offset.next(),
                            auto: false,
                        });
                    }
                    None => ctx.emit(EventKind::StoreFailed {
                        partition,
                        error: KafkaError::State,
                    }),
                }
                self.advance(ctx);
                Flow::Continue
            }
            MessageStep::Commit {
                asynchronous,
                message,
                every,
                every_ms,
            } => {
                if (every > 1 || every_ms > 0) && !self.commit_due(every, every_ms, ctx.now) {
                    self.advance(ctx);
                    return Flow::Continue;
                }
                let explicit = message.then_some((partition, offset.next()));
                self.app_commit(explicit, asynchronous, ctx)
            }
        }
    }

    /// The program's own condition on a commit step: `processed += 1`, then `processed % every
    /// == 0 and now - last_commit >= every_ms` (the counter and the timestamp live in the
    /// program, so a restarted process starts them again). When it holds, `last_commit = now`.
    fn commit_due(&mut self, every: u32, every_ms: u64, now: Ms) -> bool {
        let app = &mut self.app;
        app.commit_counter += 1;
        let due = app.commit_counter.is_multiple_of(every.max(1))
            && now.saturating_sub(app.last_commit_ms) >= every_ms;
        if due {
            app.last_commit_ms = now;
        }
        due
    }

    /// Fires the first unfired crash point at `point` whose message has been reached.
    pub(crate) fn check_point_crash(&mut self, point: ProgramPoint, ctx: &mut Ctx) -> bool {
        if self.ended {
            return true;
        }
        let seen = ctx.consumer.messages_seen;
        let reached = match point {
            ProgramPoint::AfterPoll => seen,
            _ => self.app.current_seq,
        };
        let lo = match point {
            ProgramPoint::AfterPoll => seen.saturating_sub(self.app.batch.len() as u32) + 1,
            ProgramPoint::AfterEffect => self.app.current_seq,
            _ => 1,
        };
        let hit = ctx.spec.crashes.iter().enumerate().find(|(ix, cp)| {
            !ctx.consumer.crash_fired[*ix]
                && matches!(cp.when(), CrashWhen::Point(p, k) if p == point && k >= lo && k <= reached)
        });
        let Some((ix, cp)) = hit else { return false };
        let (kind, restart) = (cp.kind, cp.restart_after_ms);
        ctx.consumer.crash_fired[ix] = true;
        self.crash(kind, restart, ctx);
        true
    }
}
