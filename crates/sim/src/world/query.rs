//! What a view needs to know about the world at one instant, answered by the core: a
//! consumer's status, what is at risk, the state of its timers, a dead member the group still
//! counts. A view formats these answers; it never works them out from the client's internals.

use crate::Ms;
use crate::client::policy::AutoCommitRuns;
use crate::client::{JoinState, ProgramState};
use crate::group::Member;
use crate::ids::{Offset, Partition};
use crate::scenario::CrashKind;

use super::World;

/// What a consumer is doing, for its card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerStatus {
    /// Not constructed yet; `Consumer()` comes at `at_ms`.
    Starting { at_ms: Ms },
    /// JoinGroup sent (`member_known`: it has its member id and waits for its assignment).
    Joining { member_known: bool },
    /// Blocked in `poll()`, waiting for messages.
    Polling,
    Processing {
        payment: u32,
        started_ms: Ms,
        until_ms: Ms,
        /// Which message of the poll's batch (0-based), and how many it returned.
        message: usize,
        batch: usize,
    },
    /// Producing a payment to the dead-letter topic.
    Publishing { payment: u32 },
    /// Waiting before the next attempt at a payment.
    Retrying {
        payment: u32,
        attempt: u32,
        until_ms: Ms,
    },
    /// Waiting for a synchronous commit (or `commit_transaction()`) to be answered.
    Committing { transaction: bool },
    /// Giving up partitions for a rebalance; `left_max_poll` after a max-poll eviction (B14).
    Rebalancing { left_max_poll: bool },
    /// Inside `close()` (B11).
    Closing,
    /// The process ended without `close()` (or an exception stopped the program: `kind` None).
    Crashed { kind: Option<CrashKind>, at_ms: Ms },
    /// Ended through `close()` and left the group.
    Left { at_ms: Ms },
    /// Ended; the scenario constructs it again at `at_ms`.
    Restarting { at_ms: Ms },
}

/// The auto-commit timer of a live consumer, as its card shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoCommitTimer {
    /// librdkafka: the next tick. Java: when `poll()` may next auto-commit (D2).
    pub next_ms: Ms,
    pub interval_ms: u64,
    /// When the consumer was constructed: the timer's phase origin (B5).
    pub t0_ms: Ms,
    pub runs: AutoCommitRuns,
    /// B5: ticks are skipped while rebalancing.
    pub skipping: bool,
    /// The next tick would commit past a payment the program has not finished (moment 1).
    pub threatens_unfinished: bool,
}

impl World {
    /// What consumer `c` is doing now.
    pub fn consumer_status(&self, c: usize) -> ConsumerStatus {
        let con = &self.consumers[c];
        let Some(cl) = &con.client else {
            return match (con.ended, con.restart_at_ms) {
                (_, Some(at_ms)) => ConsumerStatus::Restarting { at_ms },
                (Some(end), None) if end.closed => ConsumerStatus::Left { at_ms: end.at_ms },
                (Some(end), None) => ConsumerStatus::Crashed {
                    kind: end.kind,
                    at_ms: end.at_ms,
                },
                (None, None) => ConsumerStatus::Starting {
                    at_ms: self.scenario.consumers[c].start_ms,
                },
            };
        };
        match (cl.join, cl.app.state) {
            (JoinState::Closing, _) | (_, ProgramState::Closing) => ConsumerStatus::Closing,
            (JoinState::Joining | JoinState::AwaitingSync | JoinState::AwaitingAssign, _) => {
                ConsumerStatus::Joining {
                    member_known: cl.member.is_some(),
                }
            }
            (JoinState::LeftMaxPoll, _) => ConsumerStatus::Rebalancing {
                left_max_poll: true,
            },
            (JoinState::AwaitingRevoke | JoinState::RevokeCommit { .. }, _) => {
                ConsumerStatus::Rebalancing {
                    left_max_poll: false,
                }
            }
            (
                _,
                ProgramState::Processing {
                    payment,
                    started_ms,
                    until_ms,
                    ..
                },
            ) => ConsumerStatus::Processing {
                payment,
                started_ms,
                until_ms,
                message: cl.app.msg_ix,
                batch: cl.app.batch.len(),
            },
            (_, ProgramState::Publishing { payment, .. }) => ConsumerStatus::Publishing { payment },
            (
                _,
                ProgramState::Backoff {
                    payment,
                    attempt,
                    until_ms,
                },
            ) => ConsumerStatus::Retrying {
                payment,
                attempt,
                until_ms,
            },
            (_, ProgramState::WaitCommit { .. }) => {
                ConsumerStatus::Committing { transaction: false }
            }
            (_, ProgramState::WaitTxn { .. }) => ConsumerStatus::Committing { transaction: true },
            _ => ConsumerStatus::Polling,
        }
    }

    /// At risk (moment 1): a payment handed to a live consumer's program and not finished, whose
    /// effect has not landed and that the program did not skip or dead-letter, while the
    /// committed offset `committed` of its partition is already past it. If that consumer dies
    /// now, the payment is lost.
    pub fn is_at_risk(&self, payment: u32, committed: Offset) -> bool {
        self.log.payment(payment).offset < committed
            && self.sink.applied[payment as usize] == 0
            && !self.sink.handled(payment)
            && self.holder(payment).is_some()
    }

    /// Does consumer `c` hold a payment of `partition` that is at risk now?
    pub fn partition_at_risk(&self, c: usize, partition: Partition) -> bool {
        let Some(cl) = &self.consumers[c].client else {
            return false;
        };
        let committed = self.resume_offset(partition);
        cl.held()
            .any(|p| self.log.payment(p).partition == partition && self.is_at_risk(p, committed))
    }

    /// Consumer `c`'s auto-commit timer, if it is alive and auto-commits.
    pub fn auto_commit_timer(&self, c: usize) -> Option<AutoCommitTimer> {
        let cfg = &self.scenario.consumers[c].config;
        let cl = self.consumers[c].client.as_ref()?;
        if !cfg.enable_auto_commit {
            return None;
        }
        let runs = cl.policy.auto_commit_runs();
        let steady = cl.join == JoinState::Steady;
        Some(AutoCommitTimer {
            next_ms: cl.next_auto_commit_ms?,
            interval_ms: cfg.auto_commit_interval_ms,
            t0_ms: cl.t0_ms,
            runs,
            skipping: !steady,
            // B2 + B5: a background tick commits the stored offsets of unfinished payments.
            threatens_unfinished: runs == AutoCommitRuns::OnBackgroundTimer
                && steady
                && cl.held().next().is_some(),
        })
    }

    /// A member of an earlier incarnation of consumer `c` that the group still counts: it died
    /// without a LeaveGroup and waits out its session (B12, C2).
    pub fn ghost_member(&self, c: usize) -> Option<&Member> {
        let con = &self.consumers[c];
        self.group
            .members
            .iter()
            .find(|m| m.consumer == c && (con.client.is_none() || m.incarnation != con.incarnation))
    }
}
