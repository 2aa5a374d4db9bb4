//! Processing one payment: how long an attempt takes and whether it fails (from the scenario's
//! faults and the seeded stream), retries with backoff, and what the program does with a
//! payment it cannot process (skip, dead-letter, stop).

use crate::scenario::{CrashWhen, FailureAction, Fault, ProgramPoint, SinkKind};
use crate::trace::{EventKind, Failure};

use super::{Client, ClientOut, Ctx, ProgramState};

impl Client {
    /// The program's blocking call ended: processing, a backoff, a publish, or a poll timeout.
    pub(crate) fn on_app_wake(&mut self, ctx: &mut Ctx) {
        match self.app.state {
            ProgramState::Processing {
                payment,
                attempt,
                crash,
                failure,
                ..
            } => {
                if let Some(ix) = crash {
                    // The crash interrupts the processing: the effect never lands.
                    let cp = ctx.spec.crashes[ix].clone();
                    self.crash(cp.kind, cp.restart_after_ms, ctx);
                    return;
                }
                if let Some(failure) = failure {
                    self.on_processing_failed(payment, attempt, failure, ctx);
                    return;
                }
                self.apply_effect(payment, ctx);
                self.app.state = ProgramState::Ready;
                if self.check_point_crash(ProgramPoint::AfterEffect, ctx) {
                    return;
                }
                self.advance(ctx);
                self.run_app(ctx);
            }
            ProgramState::Backoff {
                payment, attempt, ..
            } => self.start_processing(payment, attempt + 1, ctx),
            ProgramState::Publishing { payment, .. } => {
                ctx.out.push(ClientOut::DeadLetter { payment });
                self.app.state = ProgramState::Ready;
                self.advance(ctx);
                self.run_app(ctx);
            }
            ProgramState::InPoll { .. } => self.run_app(ctx),
            _ => {}
        }
    }

    /// The payment's effect reaches the sink. In a transaction (E1) it stays open until the
    /// transaction commits.
    fn apply_effect(&mut self, payment: u32, ctx: &mut Ctx) {
        if ctx.scenario.sink.kind == SinkKind::Transactional {
            self.open_outputs += 1;
        }
        ctx.out.push(ClientOut::Apply { payment });
    }

    /// A failed attempt: retry with backoff, or apply the program's failure action.
    fn on_processing_failed(
        &mut self,
        payment: u32,
        attempt: u32,
        failure: Failure,
        ctx: &mut Ctx,
    ) {
        let policy = &ctx.spec.program.retry;
        let now = ctx.now;
        // Backoff doubles on each further attempt.
        let retry_at = (failure == Failure::Transient && attempt < policy.attempts).then(|| {
            now + policy
                .backoff_ms
                .saturating_mul(1u64 << (attempt - 1).min(20))
        });
        let on_exhausted = policy.on_exhausted;
        ctx.emit(EventKind::ProcessingFailed {
            payment,
            attempt,
            failure,
            retry_at_ms: retry_at,
        });
        if let Some(until) = retry_at {
            self.app.state = ProgramState::Backoff {
                payment,
                attempt,
                until_ms: until,
            };
            self.block_until(until, ctx);
            return;
        }
        let action = match failure {
            Failure::Transient => on_exhausted,
            Failure::Permanent => ctx.spec.program.on_invalid,
        };
        match action {
            FailureAction::Skip => {
                ctx.out.push(ClientOut::Skip { payment });
                self.app.state = ProgramState::Ready;
                self.advance(ctx);
                self.run_app(ctx);
            }
            FailureAction::DeadLetter => {
                // Producing to the dead-letter topic takes a round trip.
                let until = now + ctx.rtt();
                self.app.state = ProgramState::Publishing {
                    payment,
                    until_ms: until,
                };
                self.block_until(until, ctx);
            }
            // The exception leaves the per-message loop; a handler around it takes over.
            FailureAction::Stop if !ctx.spec.program.on_batch_failure.is_stop() => {
                self.batch_failed(ctx)
            }
            FailureAction::Stop => {
                ctx.emit(EventKind::ProgramStopped { payment });
                self.stop_program(ctx);
            }
        }
    }

    /// Starts an attempt at a payment: decides, from the faults and the seeded stream, how long
    /// it takes and whether it fails, and whether a crash point interrupts it.
    pub(crate) fn start_processing(&mut self, payment: u32, attempt: u32, ctx: &mut Ctx) {
        let now = ctx.now;
        let seq = self.app.current_seq;
        let ix = payment as usize;
        let tries = ctx.attempts[ix];
        *ctx.attempts.get_mut(ix) += 1;
        let mut duration = ctx.consumer.processing_ms;
        let mut failure = ctx
            .log
            .payment(payment)
            .invalid
            .then_some(Failure::Permanent);
        for f in &ctx.scenario.faults {
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
        let jitter = ctx.spec.program.processing_jitter_ms;
        if jitter > 0 {
            duration += ctx.rng.between(0, jitter);
        }
        if let Some(pm) = ctx.scenario.transient_failures_per_mille() {
            // Drawn for every attempt, so the stream does not depend on earlier outcomes.
            if ctx.rng.chance(pm as u64, 1000) && failure.is_none() {
                failure = Some(Failure::Transient);
            }
        }
        let until = now + duration;
        let crash = if attempt == 1 {
            let found = ctx.spec.crashes.iter().enumerate().position(|(ix, cp)| {
                !ctx.consumer.crash_fired[ix]
                    && cp.when() == CrashWhen::Point(ProgramPoint::DuringProcessing, seq)
            });
            if let Some(ix) = found {
                ctx.consumer.crash_fired[ix] = true;
            }
            found
        } else {
            None
        };
        self.app.state = ProgramState::Processing {
            payment,
            attempt,
            started_ms: now,
            until_ms: until,
            crash,
            failure,
        };
        ctx.emit(EventKind::ProcessingStarted {
            payment,
            until_ms: until,
        });
        self.block_until(until, ctx);
    }
}
