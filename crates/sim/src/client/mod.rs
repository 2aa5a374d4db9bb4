//! The consumer client: one incarnation of a consumer process, `Consumer(conf)` to exit, as a
//! sans-IO state machine — the library (librdkafka B*, Java D*) and the student's program it
//! runs.
//!
//! Like the group coordinator ([`crate::group`]), a client never schedules, sends or records
//! anything itself. The world hands it an input with the current time and a [`Ctx`] (what it
//! may read of the world around it, the seeded randomness, and a list to push its effects
//! into); the client answers with [`ClientOut`]s, which the world carries out in order:
//!
//! ```text
//!   world ──Start / ClientTimer / Response / Crash──▶ Client ──ClientOut*──▶ world
//!                                                    │ membership.rs  join, sync, heartbeats, rebalances (B10, B14, B15)
//!                                                    │ commits.rs     auto-commit, commit(), retries, transactions (B4–B7, D2–D5, E1)
//!                                                    │ program.rs     the program: poll(), its steps, crash points
//!                                                    │ processing.rs  processing a payment: attempts, failures, the effect
//!                                                    │ batch_failure.rs  a failure inside a batch: commit the prefix, seek (B6, B8, D1)
//!                                                    │ lifecycle.rs   construction, crashes, close() (B11–B13)
//!                                                    └ policy.rs      every librdkafka/Java difference, by rule
//! ```
//!
//! Stale timers follow one scheme: the world drops a timer of an earlier incarnation, and the
//! client drops a timer whose kind was re-armed or cancelled since (its generation moved on).

use crate::Ms;
use crate::group::INVALID_OFFSET;
use crate::ids::{Offset, Offsets, Partition};
use crate::log::Log;
use crate::protocol::{Request, Response};
use crate::rng::SimRng;
use crate::scenario::{ConsumerSpec, CrashKind, Scenario};
use crate::trace::{CommitSource, EventKind, Failure, KafkaError};

mod batch_failure;
mod commits;
mod lifecycle;
mod membership;
pub mod policy;
mod processing;
mod program;

pub use policy::ClientPolicy;

/// How often librdkafka checks `max.poll.interval.ms` (B14).
pub const MAX_POLL_CHECK_MS: u64 = 500;
/// `retry.backoff.ms`, both clients' default (B7, D4).
pub const RETRY_BACKOFF_MS: u64 = 100;
/// A bound on the instantaneous steps the program runs before it must block.
pub(crate) const MAX_STEPS_WITHOUT_BLOCKING: usize = 256;

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
    pub restart_at_ms: Option<Ms>,
}

/// How the last run of a consumer process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    pub at_ms: Ms,
    /// `false` for a crash without `close()`; `true` when it left through `close()`.
    pub closed: bool,
    /// How it was ended; `None` when an exception ended the program (a stop on a payment).
    pub kind: Option<CrashKind>,
}

/// B0: the client's state for one assigned partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub partition: Partition,
    /// When fetched records start arriving; `None` until the start offset is known (B9).
    pub fetch_ready_ms: Option<Ms>,
    /// The next offset to hand to the application.
    pub next: Offset,
    /// `position()`: last returned + 1, INVALID until something was returned (A2, B8).
    pub app_pos: Offset,
    /// The offset store: what the next offset-less commit would commit (B2–B4).
    pub stored: Offset,
    /// The last offset this client committed successfully (B4, B6).
    pub committed_local: Offset,
}

impl Part {
    pub fn new(partition: Partition) -> Part {
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
    Assign(Vec<Partition>),
    /// `on_revoke` / `on_lost`: everything (eager, `None`) or only the partitions that move
    /// (cooperative-sticky).
    Revoke {
        partitions: Option<Vec<Partition>>,
        lost: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub id: u32,
    pub source: CommitSource,
    pub sync: bool,
    pub offsets: Offsets,
    pub sent_ms: Ms,
}

/// Where the program is: each value maps to a line of the rendered code.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Pc {
    /// `poll()` / `consume()` (also where the constructor and subscribe lead).
    Poll,
    /// The i-th batch step before the per-message loop.
    Before(u8),
    /// The i-th step inside `for msg in msgs:`.
    Message(u8),
    /// The i-th batch step after the per-message loop.
    After(u8),
    /// `on_batch_failure: commit_prefix`: the synchronous commit of the batch's processed prefix.
    CommitPrefix,
    /// `on_batch_failure`: the `seek()`s back into the batch, before polling again.
    Seek,
    /// `consumer.close()`.
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramState {
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
    pub state: ProgramState,
    /// What the last `poll()` returned: (payment, message sequence number).
    pub batch: Vec<(u32, u32)>,
    /// The message of `batch` being worked on.
    pub msg_ix: usize,
    /// Sequence number of the latest message whose processing started.
    pub current_seq: u32,
    /// The program's counter of a commit step with `every`: messages that reached it in this
    /// process.
    pub commit_counter: u32,
    /// The program's timestamp of a commit step with `every_ms`: when it last committed (at
    /// first, when the consumer was constructed).
    pub last_commit_ms: Ms,
}

/// A client timer: which one, and the generation of its kind when it was armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientTimer {
    pub kind: TimerKind,
    pub generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// librdkafka's background auto-commit timer (B5).
    AutoCommit,
    /// The next heartbeat (B15).
    Heartbeat,
    /// librdkafka's `max.poll.interval.ms` check (B14).
    MaxPollCheck,
    /// The program's blocking call ends: processing, a backoff, a publish, a poll timeout.
    AppWake,
    /// Send failed commit `id` again (B7, D4).
    CommitRetry { id: u32 },
}

/// The generation of each cancellable timer kind: re-arming or cancelling a kind moves it on,
/// and a timer armed under an older generation is stale. Kinds that are never cancelled
/// (auto-commit, the max-poll check, commit retries) stay at generation 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimerGenerations {
    pub heartbeat: u32,
    pub app_wake: u32,
}

impl TimerGenerations {
    fn of(&self, kind: TimerKind) -> u32 {
        match kind {
            TimerKind::Heartbeat => self.heartbeat,
            TimerKind::AppWake => self.app_wake,
            TimerKind::AutoCommit | TimerKind::MaxPollCheck | TimerKind::CommitRetry { .. } => 0,
        }
    }
}

/// B0/A5: the consumer's connection to the group coordinator. The broker handles one
/// connection's requests in the order they were sent, so a request delayed on the network (a
/// `commit_latency` fault) holds back the ones sent after it: latency delays, it never
/// reorders. Commits land out of order only through a cause, such as a retry (B7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoordinatorConnection {
    /// When the last request sent reaches the broker; a later one never arrives before it.
    pub last_arrival_ms: Ms,
}

/// One incarnation of a consumer process: `Consumer(conf)` to exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// When it was constructed: the auto-commit timer's phase origin (B5).
    pub t0_ms: Ms,
    pub policy: ClientPolicy,
    pub member: Option<u32>,
    pub generation: i32,
    pub join: JoinState,
    pub parts: Vec<Part>,
    /// The assignment was lost (session, max poll, fencing): nothing is committed for it (B10).
    pub assignment_lost: bool,
    /// Rebalance operations waiting for the application's `poll()`, in order.
    pub pending_ops: Vec<RebalanceOp>,
    pub last_poll_ms: Ms,
    /// Commits sent and not answered yet, oldest first: a deque, since answers mostly come in
    /// the order sent, and an asynchronous commit per message can have a whole topic's
    /// commits in flight at once.
    pub in_flight: std::collections::VecDeque<InFlight>,
    /// Results of async and auto commits, delivered to `on_commit` in a later `poll()` (B6).
    pub callbacks: Vec<(u32, Option<KafkaError>)>,
    /// `_MAX_POLL_EXCEEDED` waits for the next `poll()` (B14).
    pub max_poll_error: bool,
    pub heartbeat_started: bool,
    /// librdkafka: when the auto-commit timer fires next. Java: when `poll()` may next
    /// auto-commit (D2).
    pub next_auto_commit_ms: Option<Ms>,
    pub close_commit: Option<u32>,
    /// B15: the last successful heartbeat answer.
    pub last_heartbeat_ok_ms: Ms,
    /// Outputs of the open transaction (E1), held by the sink until it commits or aborts.
    pub open_outputs: u32,
    pub connection: CoordinatorConnection,
    pub timers: TimerGenerations,
    /// How long after the process ends the scenario constructs it again.
    pub restart_after_ms: Option<u64>,
    /// How the process is being ended, once it is (`None`: an exception stopped the program).
    pub exit: Option<CrashKind>,
    /// The process has ended: it takes no more input.
    pub ended: bool,
    pub app: App,
}

/// What a client does, for the world to carry out in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOut {
    /// A trace event about this consumer.
    Trace(EventKind),
    /// A request on the coordinator connection that reaches the broker at `at_ms` (A5).
    ToBroker { at_ms: Ms, req: Request },
    /// Wake this client at `at_ms`.
    Timer { at_ms: Ms, timer: ClientTimer },
    /// The payment's processing completed: its effect reaches the sink.
    Apply { payment: u32 },
    /// The program logged the payment and goes on without it.
    Skip { payment: u32 },
    /// The program's dead-letter publish of the payment completed.
    DeadLetter { payment: u32 },
    /// E4: `on_assign` reads these partitions' offsets from the database.
    ReadDbOffsets { partitions: Vec<Partition> },
    /// The process ended, through `close()` or not.
    Ended {
        closed: bool,
        kind: Option<CrashKind>,
        restart_after_ms: Option<u64>,
    },
}

/// What a client may read of the world around it while it handles an input, and where its
/// effects go.
pub struct Ctx<'a> {
    pub now: Ms,
    pub scenario: &'a Scenario,
    pub spec: &'a ConsumerSpec,
    pub log: &'a Log,
    /// The seeded stream: processing jitter, failures, network latency.
    pub rng: &'a mut SimRng,
    /// Processing attempts started per payment, by any consumer (fault scripts count these).
    pub attempts: &'a mut crate::chunked::Chunked<u32>,
    /// This consumer over its restarts (its `client` is the one handling the input).
    pub consumer: &'a mut Consumer,
    /// Commit ids are unique over the whole run.
    pub next_commit_id: &'a mut u32,
    pub out: &'a mut Vec<ClientOut>,
}

impl Ctx<'_> {
    pub(crate) fn emit(&mut self, kind: EventKind) {
        self.out.push(ClientOut::Trace(kind));
    }

    pub(crate) fn rtt(&self) -> u64 {
        self.scenario.broker.rtt_ms
    }

    pub(crate) fn new_commit_id(&mut self) -> u32 {
        let id = *self.next_commit_id;
        *self.next_commit_id += 1;
        id
    }
}

impl Client {
    pub fn new(now: Ms, policy: ClientPolicy) -> Client {
        Client {
            t0_ms: now,
            policy,
            member: None,
            generation: -1,
            join: JoinState::Joining,
            parts: Vec::new(),
            assignment_lost: false,
            pending_ops: Vec::new(),
            last_poll_ms: now,
            in_flight: std::collections::VecDeque::new(),
            callbacks: Vec::new(),
            max_poll_error: false,
            heartbeat_started: false,
            next_auto_commit_ms: None,
            close_commit: None,
            last_heartbeat_ok_ms: now,
            open_outputs: 0,
            connection: CoordinatorConnection {
                last_arrival_ms: now,
            },
            timers: TimerGenerations::default(),
            restart_after_ms: None,
            exit: None,
            ended: false,
            app: App {
                pc: Pc::Poll,
                state: ProgramState::Ready,
                batch: Vec::new(),
                msg_ix: 0,
                current_seq: 0,
                commit_counter: 0,
                last_commit_ms: now,
            },
        }
    }

    // ---- inputs ---------------------------------------------------------------------------

    /// A timer this client armed has fired.
    pub fn on_timer(&mut self, timer: ClientTimer, ctx: &mut Ctx) {
        if self.ended || self.timers.of(timer.kind) != timer.generation {
            return;
        }
        match timer.kind {
            TimerKind::AutoCommit => self.on_auto_commit_timer(ctx),
            TimerKind::Heartbeat => self.on_heartbeat_timer(ctx),
            TimerKind::MaxPollCheck => self.on_max_poll_check(ctx),
            TimerKind::AppWake => self.on_app_wake(ctx),
            TimerKind::CommitRetry { id } => self.on_retry_commit(id, ctx),
        }
    }

    /// The broker's (or the database's) answer to a request of this client.
    pub fn on_response(&mut self, resp: Response, ctx: &mut Ctx) {
        if self.ended {
            return; // the process is gone: nobody reads the answer
        }
        match resp {
            Response::Join(r) => self.on_join_response(r, ctx),
            Response::Sync(r) => self.on_sync_response(r, ctx),
            Response::Heartbeat(err) => self.on_heartbeat_response(err, ctx),
            Response::Commit { id, result } => self.on_commit_response(id, result, ctx),
            Response::OffsetFetch(offsets) => self.on_offset_fetch(offsets, false, ctx),
            Response::DbOffsets(offsets) => self.on_offset_fetch(offsets, true, ctx),
            Response::Txn { id, result } => self.on_txn_response(id, result, ctx),
            Response::Leave => {
                if self.join == JoinState::Closing {
                    self.finish_close(ctx);
                }
            }
        }
    }

    /// A crash point at a time, or a user's crash action (B12, B13).
    pub fn on_crash(&mut self, kind: CrashKind, restart_after_ms: Option<u64>, ctx: &mut Ctx) {
        if !self.ended {
            self.crash(kind, restart_after_ms, ctx);
        }
    }

    // ---- effects ----------------------------------------------------------------------------

    /// A request to the coordinator, through the connection (A5). The network's extra delay
    /// for a commit (a `commit_latency` fault) is drawn when it is sent.
    pub(crate) fn send(&mut self, req: Request, ctx: &mut Ctx) {
        let mut delay = ctx.rtt() / 2;
        if matches!(req, Request::Commit { .. })
            && let Some(max) = ctx.scenario.commit_latency_max_ms()
        {
            delay += ctx.rng.between(0, max);
        }
        let at_ms = (ctx.now + delay).max(self.connection.last_arrival_ms);
        self.connection.last_arrival_ms = at_ms;
        ctx.out.push(ClientOut::ToBroker { at_ms, req });
    }

    /// Arms a timer of `kind` at `at_ms` under its current generation.
    pub(crate) fn arm(&mut self, kind: TimerKind, at_ms: Ms, ctx: &mut Ctx) {
        let timer = ClientTimer {
            kind,
            generation: self.timers.of(kind),
        };
        ctx.out.push(ClientOut::Timer { at_ms, timer });
    }

    // ---- queries ------------------------------------------------------------------------------

    pub fn part(&self, partition: Partition) -> Option<&Part> {
        self.parts.iter().find(|p| p.partition == partition)
    }

    pub fn part_mut(&mut self, partition: Partition) -> Option<&mut Part> {
        self.parts.iter_mut().find(|p| p.partition == partition)
    }

    pub fn partitions(&self) -> Vec<Partition> {
        self.parts.iter().map(|p| p.partition).collect()
    }

    /// Payments handed to the application and not yet finished (the current one included).
    pub fn held(&self) -> impl Iterator<Item = u32> + '_ {
        self.app.batch.iter().skip(self.app.msg_ix).map(|(p, _)| *p)
    }

    pub fn in_poll(&self) -> bool {
        matches!(self.app.state, ProgramState::InPoll { .. })
    }
}

/// B4: the stored offsets of the current assignment that are greater than the last commit.
pub(crate) fn stored_to_commit(cl: &Client) -> Offsets {
    cl.parts
        .iter()
        .filter(|p| p.stored.is_valid() && p.stored > p.committed_local)
        .map(|p| (p.partition, p.stored))
        .collect()
}

/// D1: the positions, `allConsumed()`.
pub(crate) fn positions(cl: &Client) -> Offsets {
    cl.parts
        .iter()
        .filter(|p| p.app_pos.is_valid())
        .map(|p| (p.partition, p.app_pos))
        .collect()
}
