//! A consumer process from `Consumer(conf)` to its end: construction and subscribe (B5), the
//! ways a process dies (B12, B13), and `close()` (B11; Java D3).

use crate::protocol::Request;
use crate::scenario::CrashKind;
use crate::trace::{CommitSource, EventKind};

use super::policy::AutoCommitRuns;
use super::{Client, ClientOut, Ctx, JoinState, MAX_POLL_CHECK_MS, Pc, ProgramState, TimerKind};

impl Client {
    /// `Consumer(conf)` then `subscribe()`: the timers start now (B5) and the program runs.
    pub fn start(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let cfg = &ctx.spec.config;
        let (auto, interval) = (cfg.enable_auto_commit, cfg.auto_commit_interval_ms);
        if auto {
            // B5: librdkafka's timer starts at construction. D2: Java's deadline starts here too.
            self.next_auto_commit_ms = Some(now + interval);
        }
        let incarnation = ctx.consumer.incarnation;
        ctx.emit(EventKind::Constructed { incarnation });
        if auto && self.policy.auto_commit_runs() == AutoCommitRuns::OnBackgroundTimer {
            self.arm(TimerKind::AutoCommit, now + interval, ctx);
        }
        self.arm(TimerKind::MaxPollCheck, now + MAX_POLL_CHECK_MS, ctx);
        // subscribe(): JoinGroup as a new member.
        self.send_join(None, ctx);
        self.run_app(ctx);
    }

    pub(crate) fn send_join(&mut self, member: Option<u32>, ctx: &mut Ctx) {
        self.join = JoinState::Joining;
        ctx.emit(EventKind::JoinSent { member });
        // KIP-429: a cooperative member tells the coordinator what it still owns.
        let owned = self.partitions();
        self.send(Request::Join { member, owned }, ctx);
    }

    /// Ends the process (B12, B13). `sys.exit` inside `try/finally: close()` closes.
    pub(crate) fn crash(&mut self, kind: CrashKind, restart_after_ms: Option<u64>, ctx: &mut Ctx) {
        // B13 / D3: Python's sys.exit unwinds through `finally`; Java's System.exit does not.
        let finally_close = kind == CrashKind::SysExit
            && ctx.spec.program.close_in_finally
            && self.policy.exit_runs_finally();
        ctx.emit(EventKind::Crashed {
            kind,
            finally_close,
        });
        self.restart_after_ms = restart_after_ms;
        self.exit = Some(kind);
        if kind == CrashKind::Close || finally_close {
            self.begin_close(ctx);
        } else {
            // B12: no final commit, no LeaveGroup, no callbacks. Requests already on the wire
            // still reach the broker; the member stays until its session expires (C2).
            self.end(false, ctx);
        }
    }

    /// An exception ends the program: through `close()` when the loop sits in `try/finally`,
    /// otherwise like `sys.exit` without close (B13). Nobody restarts it.
    pub(crate) fn stop_program(&mut self, ctx: &mut Ctx) {
        self.restart_after_ms = None;
        if ctx.spec.program.close_in_finally {
            self.begin_close(ctx);
        } else {
            self.end(false, ctx);
        }
    }

    /// The process is gone. An open transaction dies with its producer (E1); the world drops
    /// the client and restarts it if the scenario says so.
    pub(crate) fn end(&mut self, closed: bool, ctx: &mut Ctx) {
        self.ended = true;
        ctx.out.push(ClientOut::Ended {
            closed,
            kind: self.exit,
            restart_after_ms: self.restart_after_ms.take(),
        });
    }

    /// B11 (librdkafka) / D3 (Java): revoke, commit if auto-commit is on, LeaveGroup.
    pub(crate) fn begin_close(&mut self, ctx: &mut Ctx) {
        let auto = ctx.spec.config.enable_auto_commit;
        self.timers.app_wake += 1;
        self.app.state = ProgramState::Closing;
        self.app.pc = Pc::Close;
        self.join = JoinState::Closing;
        self.timers.heartbeat += 1;
        ctx.emit(EventKind::CloseStarted);
        let parts = self.partitions();
        let lost = self.assignment_lost;
        let mut offsets = Vec::new();
        if !parts.is_empty() && self.member.is_some() {
            if !lost && auto {
                offsets = self.policy.offsets_to_commit(self);
            }
            self.parts.clear();
            self.pending_ops.clear();
            ctx.emit(EventKind::Revoked {
                partitions: parts,
                lost,
            });
        }
        if offsets.is_empty() {
            self.close_leave(ctx);
        } else {
            let id = self.send_commit(CommitSource::Close, true, offsets, ctx);
            self.close_commit = Some(id);
        }
    }

    pub(crate) fn close_leave(&mut self, ctx: &mut Ctx) {
        match self.member {
            Some(member) => self.send(Request::Leave { member }, ctx),
            None => self.finish_close(ctx),
        }
    }

    pub(crate) fn finish_close(&mut self, ctx: &mut Ctx) {
        ctx.emit(EventKind::Closed);
        self.end(true, ctx);
    }
}
