//! What the core promises about progress: once the last crash, restart, user action and fault
//! is over, how soon the group is stable again, and how soon every payment has been handled.
//!
//! The bounds come from the scenario's own settings, term by term:
//!
//! ```text
//! settle = 2 × session.timeout.ms      a dead member expires (C2); one whose JoinGroup was
//!                                      pending joins the next generation and expires again
//!        + min(max.poll.interval.ms,   a live member rejoins from its next poll() (B10): after
//!              one loop iteration)     its current batch, or when max.poll evicts it (B14)
//!        + 2 × heartbeat.interval.ms   members learn of the rebalance from a heartbeat (B15)
//!        + group.initial.rebalance.delay.ms   an empty group waits for more members (C3)
//!        + round trips and the max-poll check period
//! drain  = every payment, one after the other, each at its worst (retries, backoff, commit)
//! ```
//!
//! The property tests check these bounds on generated scenarios; a scenario can say why a
//! payment legitimately stays unprocessed (a program that stops on a bad payment, a consumer that
//! never comes back, a loop iteration longer than `max.poll.interval.ms`, a program that reads a
//! batch again after a failure that comes back every time): see [`Liveness`].

use crate::Ms;
use crate::client::{ClientPolicy, MAX_POLL_CHECK_MS};
use crate::scenario::{
    BatchStep, ConsumerSpec, FailureAction, Fault, MessageStep, OnBatchFailure, Scenario,
};

/// Progress bounds of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liveness {
    /// Once nothing disturbs the group any more, it is stable within this long.
    pub settle_ms: Ms,
    /// Once the group is stable and every payment has been produced, every payment has been
    /// handled (applied, skipped, dead-lettered, or committed past) within this long.
    pub drain_ms: Ms,
    /// Some consumer's loop iteration can outlast its `max.poll.interval.ms`: it may be evicted
    /// again and again (B14), and the group need not settle. A scenario's reason, not a bug.
    pub iteration_can_exceed_max_poll: bool,
    /// Some consumer's program reads a batch again after a failed payment (`on_batch_failure`)
    /// and a payment can fail every time (invalid data its program stops on, or failures drawn
    /// at random): it may read that batch again for ever, and the partition stalls behind the
    /// payment, as a real program's does. A scenario's reason for pending payments, not a bug.
    pub failure_can_loop: bool,
}

impl Scenario {
    /// The progress bounds of this scenario (see the module documentation).
    pub fn liveness(&self) -> Liveness {
        let rtt = self.broker.rtt_ms;
        let max = |f: &dyn Fn(&ConsumerSpec) -> Ms| self.consumers.iter().map(f).max().unwrap_or(0);
        let session = max(&|c| c.config.session_timeout_ms);
        let heartbeat = max(&|c| c.config.heartbeat_interval_ms);
        let max_poll = max(&|c| c.config.max_poll_interval_ms);
        let iteration = max(&|c| self.iteration_bound_ms(c));
        let settle_ms = 2 * session
            + iteration.min(max_poll + MAX_POLL_CHECK_MS)
            + 2 * heartbeat
            + self.broker.group_initial_rebalance_delay_ms
            + 20 * rtt
            + MAX_POLL_CHECK_MS
            + self.commit_latency_ms();
        let per_payment = max(&|c| self.payment_bound_ms(c));
        // A failed attempt (a `fail_payment` fault) can end a whole batch, which is read again.
        let replays = max(&|c| {
            self.failed_attempts_bound(c)
                .saturating_mul(self.iteration_bound_ms(c) + 2 * rtt + 1)
        });
        let drain_ms = (self.topic.payments.count as Ms)
            .saturating_mul(per_payment)
            .saturating_add(iteration)
            .saturating_add(replays)
            .saturating_add(10 * rtt);
        let iteration_can_exceed_max_poll = self
            .consumers
            .iter()
            .any(|c| self.iteration_bound_ms(c) >= c.config.max_poll_interval_ms);
        let failure_can_loop = self.consumers.iter().any(|c| self.failure_can_loop(c));
        Liveness {
            settle_ms,
            drain_ms,
            iteration_can_exceed_max_poll,
            failure_can_loop,
        }
    }

    /// Does consumer `c` read a batch again after a failure that can come back every time?
    /// Invalid data its program lets through, or transient failures drawn at random whose
    /// retries can all fail.
    pub(crate) fn failure_can_loop(&self, c: &ConsumerSpec) -> bool {
        let p = &c.program;
        !p.on_batch_failure.is_stop()
            && ((!self.topic.payments.invalid.is_empty() && p.on_invalid == FailureAction::Stop)
                || (self.transient_failures_per_mille().is_some_and(|pm| pm > 0)
                    && p.retry.on_exhausted == FailureAction::Stop))
    }

    /// How many times consumer `c`'s program can read a batch again because of a scripted
    /// failure (`fail_payment`): at most once per failing attempt. 0 without `on_batch_failure`.
    pub(crate) fn failed_attempts_bound(&self, c: &ConsumerSpec) -> u64 {
        if c.program.on_batch_failure.is_stop() {
            return 0;
        }
        self.faults
            .iter()
            .map(|f| match f {
                Fault::FailPayment { attempts, .. } => *attempts as u64,
                _ => 0,
            })
            .sum()
    }

    /// The longest one attempt at a payment can take, for this consumer.
    fn attempt_bound_ms(&self, c: &ConsumerSpec) -> Ms {
        let mut longest = c.program.processing_ms;
        for a in &self.actions {
            if let crate::scenario::ActionKind::SetProcessingMs { processing_ms } = a.act
                && a.consumer == c.name
            {
                longest = longest.max(processing_ms);
            }
        }
        for f in &self.faults {
            if let Fault::SlowPayment { processing_ms, .. } = f {
                longest = longest.max(*processing_ms);
            }
        }
        longest + c.program.processing_jitter_ms
    }

    /// Extra delay a commit can meet on the network (a `commit_latency` fault).
    fn commit_latency_ms(&self) -> Ms {
        self.commit_latency_max_ms().unwrap_or(0)
    }

    /// The worst time one payment takes this consumer: every attempt, every backoff, a
    /// dead-letter publish and a synchronous commit.
    fn payment_bound_ms(&self, c: &ConsumerSpec) -> Ms {
        let rtt = self.broker.rtt_ms;
        let attempts = c.program.retry.attempts.max(1) as Ms;
        let doublings = (attempts - 1).min(20) as u32;
        let backoff = c
            .program
            .retry
            .backoff_ms
            .saturating_mul((1u64 << doublings) - 1);
        let commits = c
            .program
            .per_message
            .iter()
            .filter(|s| matches!(s, MessageStep::Commit { .. }))
            .count() as Ms;
        attempts
            .saturating_mul(self.attempt_bound_ms(c))
            .saturating_add(backoff)
            .saturating_add(rtt)
            .saturating_add(commits * (rtt + self.commit_latency_ms()))
    }

    /// The worst time from one `poll()` to the next for this consumer: a whole batch.
    fn iteration_bound_ms(&self, c: &ConsumerSpec) -> Ms {
        let rtt = self.broker.rtt_ms;
        let per_poll = ClientPolicy::new(self.client)
            .records_per_poll(c)
            .min(self.topic.payments.count as usize)
            .max(1) as Ms;
        let batch_steps = c
            .program
            .before
            .iter()
            .chain(&c.program.after)
            .filter(|s| matches!(s, BatchStep::Commit { .. } | BatchStep::CommitTransaction))
            .count() as Ms;
        // commit_prefix: a synchronous commit of the prefix, then a seek's fetch round trip.
        let prefix_commit = (c.program.on_batch_failure == OnBatchFailure::CommitPrefix) as Ms;
        let seek = (!c.program.on_batch_failure.is_stop()) as Ms * rtt.max(1);
        per_poll
            .saturating_mul(self.payment_bound_ms(c))
            .saturating_add((batch_steps + prefix_commit) * (rtt + self.commit_latency_ms()))
            .saturating_add(seek)
    }
}
