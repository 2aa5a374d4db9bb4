//! Per-consumer state: the client library's view (member id, assignment, stored and committed
//! offsets, timers; rules B0–B15 and D1–D7) and the application's program counter.
//!
//! The behaviour lives in `world.rs`, which owns the event queue; this module is the data, so a
//! checkpoint is a plain clone.

use crate::Ms;
use crate::group::INVALID_OFFSET;
use crate::trace::{CommitSource, Failure, KafkaError};

/// The life of one consumer of the scenario, over its restarts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// 0 before the first construction; +1 on each restart.
    pub incarnation: u32,
    /// The running client, if the consumer process is alive.
    pub client: Option<Client>,
    /// Messages returned to the application so far, over all restarts (crash points count these).
    pub messages_seen: u32,
    pub crash_fired: Vec<bool>,
    pub processing_ms: u64,
    pub ended: Option<Ended>,
    /// A restart scheduled after the current run of the process ends.
    pub pending_restart_after_ms: Option<u64>,
    pub restart_at_ms: Option<Ms>,
}

/// How the last run of a consumer process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub at_ms: Ms,
    /// `false` for a crash without `close()`; `true` when it left through `close()`.
    pub closed: bool,
}

/// B0: the client's state for one assigned partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub partition: u32,
    /// When fetched records start arriving; `None` until the start offset is known (B9).
    pub fetch_ready_ms: Option<Ms>,
    /// The next offset to hand to the application.
    pub next: i64,
    /// `position()`: last returned + 1, INVALID until something was returned (A2, B8).
    pub app_pos: i64,
    /// The offset store: what the next offset-less commit would commit (B2–B4).
    pub stored: i64,
    /// The last offset this client committed successfully (B4, B6).
    pub committed_local: i64,
}

impl Part {
    pub fn new(partition: u32) -> Part {
        Part {
            partition,
            fetch_ready_ms: None,
            next: INVALID_OFFSET,
            app_pos: INVALID_OFFSET,
            stored: INVALID_OFFSET,
            committed_local: INVALID_OFFSET,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinState {
    /// JoinGroup sent, waiting for the answer.
    Joining,
    /// SyncGroup sent, waiting for the assignment.
    AwaitingSync,
    /// The assignment arrived; `on_assign` runs on the application's next `poll()` (B10).
    AwaitingAssign,
    /// STEADY: the only state in which auto-commit ticks commit (B5).
    Steady,
    /// A rebalance began; `on_revoke`/`on_lost` runs on the application's next `poll()` (B10).
    AwaitingRevoke,
    /// Partitions were revoked; the rejoin waits for the commit on revoke (B10.4).
    RevokeCommit { id: u32 },
    /// Left the group after `max.poll.interval.ms`; rejoins on the next `poll()` (B14).
    LeftMaxPoll,
    /// Inside `close()` (B11).
    Closing,
}

/// A rebalance operation the client queued for the application's `poll()` (B10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RebalanceOp {
    /// `on_assign`: eager (the whole assignment) or incremental (cooperative-sticky, added only).
    Assign(Vec<u32>),
    /// `on_revoke` / `on_lost`: everything (eager, `None`) or only the partitions that move
    /// (cooperative-sticky).
    Revoke {
        partitions: Option<Vec<u32>>,
        lost: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub id: u32,
    pub source: CommitSource,
    pub sync: bool,
    pub offsets: Vec<(u32, i64)>,
    pub sent_ms: Ms,
}

/// Where the program is: each value maps to a line of the rendered code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pc {
    /// `poll()` / `consume()` (also where the constructor and subscribe lead).
    Poll,
    /// The i-th batch step before the per-message loop.
    Before(u8),
    /// The i-th step inside `for msg in msgs:`.
    Message(u8),
    /// The i-th batch step after the per-message loop.
    After(u8),
    /// `consumer.close()`.
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppState {
    /// About to run the step at `pc`.
    Ready,
    /// Blocked in `poll()` until messages arrive or the timeout.
    InPoll { deadline_ms: Ms },
    /// Processing a payment until `until_ms`; `crash` is the crash point that fires at its end,
    /// `failure` how this attempt ends if it fails.
    Processing {
        payment: u32,
        attempt: u32,
        started_ms: Ms,
        until_ms: Ms,
        crash: Option<usize>,
        failure: Option<Failure>,
    },
    /// Waiting before the next attempt at a payment.
    Backoff {
        payment: u32,
        attempt: u32,
        until_ms: Ms,
    },
    /// Producing a payment to the dead-letter topic.
    Publishing { payment: u32, until_ms: Ms },
    /// Waiting for `commit_transaction()` (E1).
    WaitTxn { id: u32 },
    /// Waiting for a synchronous commit's answer.
    WaitCommit { id: u32 },
    /// Inside `close()`.
    Closing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub pc: Pc,
    pub state: AppState,
    /// What the last `poll()` returned: (payment, message sequence number).
    pub batch: Vec<(u32, u32)>,
    /// The message of `batch` being worked on.
    pub msg_ix: usize,
    /// Sequence number of the latest message whose processing started.
    pub current_seq: u32,
    /// Invalidates wake-ups scheduled for an earlier blocking call.
    pub token: u32,
}

/// One incarnation of a consumer process: `Consumer(conf)` to exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// When it was constructed: the auto-commit timer's phase origin (B5).
    pub t0_ms: Ms,
    pub member: Option<u32>,
    pub generation: i32,
    pub join: JoinState,
    pub parts: Vec<Part>,
    /// The assignment was lost (session, max poll, fencing): nothing is committed for it (B10).
    pub assignment_lost: bool,
    /// Rebalance operations waiting for the application's `poll()`, in order.
    pub pending_ops: Vec<RebalanceOp>,
    pub last_poll_ms: Ms,
    pub in_flight: Vec<InFlight>,
    /// Results of async and auto commits, delivered to `on_commit` in a later `poll()` (B6).
    pub callbacks: Vec<(u32, Option<KafkaError>)>,
    /// `_MAX_POLL_EXCEEDED` waits for the next `poll()` (B14).
    pub max_poll_error: bool,
    pub heartbeat_epoch: u32,
    pub heartbeat_started: bool,
    /// librdkafka: when the auto-commit timer fires next. Java: when `poll()` may next
    /// auto-commit (D2).
    pub next_auto_commit_ms: Option<Ms>,
    pub close_commit: Option<u32>,
    /// B15: the last successful heartbeat answer.
    pub last_heartbeat_ok_ms: Ms,
    /// Outputs of the open transaction (indices into `World::outputs`).
    pub open_outputs: Vec<usize>,
    /// A5: when the last request sent on the coordinator connection reaches the broker; a
    /// later request never arrives before it.
    pub coordinator_fifo_ms: Ms,
    pub app: App,
}

impl Client {
    pub fn new(now: Ms) -> Client {
        Client {
            t0_ms: now,
            member: None,
            generation: -1,
            join: JoinState::Joining,
            parts: Vec::new(),
            assignment_lost: false,
            pending_ops: Vec::new(),
            last_poll_ms: now,
            in_flight: Vec::new(),
            callbacks: Vec::new(),
            max_poll_error: false,
            heartbeat_epoch: 0,
            heartbeat_started: false,
            next_auto_commit_ms: None,
            close_commit: None,
            last_heartbeat_ok_ms: now,
            open_outputs: Vec::new(),
            coordinator_fifo_ms: now,
            app: App {
                pc: Pc::Poll,
                state: AppState::Ready,
                batch: Vec::new(),
                msg_ix: 0,
                current_seq: 0,
                token: 0,
            },
        }
    }

    pub fn part(&self, partition: u32) -> Option<&Part> {
        self.parts.iter().find(|p| p.partition == partition)
    }

    pub fn part_mut(&mut self, partition: u32) -> Option<&mut Part> {
        self.parts.iter_mut().find(|p| p.partition == partition)
    }

    pub fn partitions(&self) -> Vec<u32> {
        self.parts.iter().map(|p| p.partition).collect()
    }

    /// Payments handed to the application and not yet finished (the current one included).
    pub fn held(&self) -> impl Iterator<Item = u32> + '_ {
        self.app.batch.iter().skip(self.app.msg_ix).map(|(p, _)| *p)
    }

    pub fn in_poll(&self) -> bool {
        matches!(self.app.state, AppState::InPoll { .. })
    }
}
