//! The discrete-event engine: one [`World`] holds the broker, the consumers and the sink, and
//! [`World::step`] runs the next event in (time, class, sequence) order.
//!
//! Every handler follows a rule of `kafka-consumer-semantics.md`, named in its comment.
//! Nothing here reads a clock or the OS: time is `now`, randomness is the seeded [`SimRng`].

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::Ms;
use crate::client::{AppState, Client, Consumer, Ended, InFlight, JoinState, Part, Pc, RebalanceOp};
use crate::group::{Group, GroupTimer, INVALID_OFFSET, Out, Response};
use crate::log::Log;
use crate::rng::SimRng;
use crate::scenario::{
    ActionKind, BatchStep, ClientModel, ConsumerSpec, CrashKind, CrashWhen, MessageStep, OffsetReset, ProgramPoint,
    Scenario,
};
use crate::trace::{CommitSource, EventKind, KafkaError, TraceEvent};

/// How often librdkafka checks `max.poll.interval.ms` (B14).
const MAX_POLL_CHECK_MS: u64 = 500;
/// A bound on the instantaneous steps the program runs before it must block.
const MAX_STEPS_WITHOUT_BLOCKING: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Request {
    Join { member: Option<u32> },
    Sync { member: u32, generation: i32 },
    Heartbeat { member: u32, generation: i32 },
    Leave { member: u32 },
    Commit { id: u32, source: CommitSource, member: Option<u32>, generation: i32, offsets: Vec<(u32, i64)> },
    OffsetFetch { partitions: Vec<u32> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Start { c: usize, incarnation: u32 },
    AppWake { c: usize, inc: u32, token: u32 },
    AutoCommit { c: usize, inc: u32 },
    Heartbeat { c: usize, inc: u32, epoch: u32 },
    MaxPollCheck { c: usize, inc: u32 },
    ToBroker { c: usize, inc: u32, req: Request },
    ToClient { c: usize, inc: u32, resp: Response },
    Group(GroupTimer),
    Crash { c: usize, ix: usize },
    Action { ix: usize },
    End,
}

#[derive(Clone, Debug)]
struct Queued {
    at: Ms,
    /// 0: simulation events; 1: user actions, which run after everything else at the same
    /// instant (a fork "from here"); 2: the end of the run.
    class: u8,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    /// Reversed so that `BinaryHeap` pops the earliest (time, class, sequence) first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.class, o.seq).cmp(&(self.at, self.class, self.seq))
    }
}

/// The whole simulated system at one instant. Cloning it is a checkpoint.
#[derive(Clone, Debug)]
pub struct World {
    pub now: Ms,
    /// Steps run so far.
    pub steps: u32,
    pub finished: bool,
    seq: u64,
    queue: BinaryHeap<Queued>,
    rng: SimRng,
    pub scenario: Arc<Scenario>,
    pub log: Arc<Log>,
    pub group: Group,
    pub consumers: Vec<Consumer>,
    /// How many times each payment's effect was applied to the sink.
    pub applied: Vec<u32>,
    next_commit_id: u32,
    out: Vec<TraceEvent>,
}

enum Flow {
    Continue,
    Blocked,
}

impl World {
    /// A world at time 0. The scenario must be valid ([`Scenario::validate`]).
    pub fn new(scenario: Arc<Scenario>) -> World {
        let mut rng = SimRng::new(scenario.seed);
        let log = Arc::new(Log::build(&scenario, &mut rng));
        let strategy = scenario.consumers.first().map(|c| c.config.partition_assignment_strategy).unwrap_or_default();
        let group = Group::new(log.partition_count(), scenario.broker.group_initial_rebalance_delay_ms, strategy);
        let consumers = scenario
            .consumers
            .iter()
            .map(|c| Consumer {
                incarnation: 0,
                client: None,
                messages_seen: 0,
                crash_fired: vec![false; c.crashes.len()],
                processing_ms: c.program.processing_ms,
                ended: None,
                pending_restart_after_ms: None,
                restart_at_ms: None,
            })
            .collect();
        let mut w = World {
            now: 0,
            steps: 0,
            finished: false,
            seq: 0,
            queue: BinaryHeap::new(),
            rng,
            applied: vec![0; log.payments.len()],
            log,
            group,
            consumers,
            next_commit_id: 1,
            out: Vec::new(),
            scenario: scenario.clone(),
        };
        for (c, spec) in scenario.consumers.iter().enumerate() {
            w.schedule(spec.start_ms, Ev::Start { c, incarnation: 0 });
            for (ix, cp) in spec.crashes.iter().enumerate() {
                if let CrashWhen::At(t) = cp.when() {
                    w.schedule(t, Ev::Crash { c, ix });
                }
            }
        }
        for (ix, a) in scenario.actions.iter().enumerate() {
            w.schedule_class(a.at_ms, 1, Ev::Action { ix });
        }
        w.schedule_class(scenario.duration_ms, 2, Ev::End);
        w
    }

    fn schedule(&mut self, at: Ms, ev: Ev) {
        self.schedule_class(at, 0, ev);
    }

    fn schedule_class(&mut self, at: Ms, class: u8, ev: Ev) {
        self.seq += 1;
        self.queue.push(Queued { at: at.max(self.now), class, seq: self.seq, ev });
    }

    /// Trace events produced since the last call.
    pub fn take_events(&mut self) -> Vec<TraceEvent> {
        std::mem::take(&mut self.out)
    }

    pub fn drain_events_into(&mut self, into: &mut Vec<TraceEvent>) {
        into.append(&mut self.out);
    }

    /// The time of the next event, if the run is not over.
    pub fn next_event_ms(&self) -> Option<Ms> {
        if self.finished { None } else { self.queue.peek().map(|q| q.at) }
    }

    fn emit(&mut self, c: Option<usize>, kind: EventKind) {
        self.out.push(TraceEvent { at_ms: self.now, step: self.steps, consumer: c.map(|c| c as u8), kind });
    }

    fn spec(&self, c: usize) -> &ConsumerSpec {
        &self.scenario.consumers[c]
    }

    fn java(&self) -> bool {
        self.scenario.client == ClientModel::Java
    }

    fn rtt(&self) -> u64 {
        self.scenario.broker.rtt_ms
    }

    fn client(&self, c: usize, inc: u32) -> Option<&Client> {
        let con = &self.consumers[c];
        if con.incarnation == inc { con.client.as_ref() } else { None }
    }

    fn client_mut(&mut self, c: usize, inc: u32) -> Option<&mut Client> {
        let con = &mut self.consumers[c];
        if con.incarnation == inc { con.client.as_mut() } else { None }
    }

    fn cl(&mut self, c: usize) -> &mut Client {
        self.consumers[c].client.as_mut().expect("caller checked the client is alive")
    }

    /// Runs the next event. Returns `false` once the run is over.
    pub fn step(&mut self) -> bool {
        if self.finished {
            return false;
        }
        let Some(q) = self.queue.pop() else {
            self.finished = true;
            return false;
        };
        self.now = q.at;
        self.steps += 1;
        match q.ev {
            Ev::Start { c, incarnation } => self.on_start(c, incarnation),
            Ev::AppWake { c, inc, token } => self.on_app_wake(c, inc, token),
            Ev::AutoCommit { c, inc } => self.on_auto_commit_timer(c, inc),
            Ev::Heartbeat { c, inc, epoch } => self.on_heartbeat_timer(c, inc, epoch),
            Ev::MaxPollCheck { c, inc } => self.on_max_poll_check(c, inc),
            Ev::ToBroker { c, inc, req } => self.on_broker_request(c, inc, req),
            Ev::ToClient { c, inc, resp } => self.on_client_response(c, inc, resp),
            Ev::Group(t) => {
                let mut out = Vec::new();
                self.group.on_timer(self.now, t, &mut out);
                self.apply_group_out(out);
            }
            Ev::Crash { c, ix } => self.on_time_crash(c, ix),
            Ev::Action { ix } => self.on_action(ix),
            Ev::End => {
                self.emit(None, EventKind::RunEnded);
                self.finished = true;
            }
        }
        true
    }

    /// Runs every event up to and including time `t`.
    pub fn run_until(&mut self, t: Ms) {
        while self.next_event_ms().is_some_and(|at| at <= t) {
            self.step();
        }
    }

    // ---- broker side ---------------------------------------------------------------------

    fn send(&mut self, c: usize, inc: u32, req: Request) {
        let half = self.rtt() / 2;
        self.schedule(self.now + half, Ev::ToBroker { c, inc, req });
    }

    fn respond(&mut self, c: usize, inc: u32, resp: Response) {
        let half = self.rtt() - self.rtt() / 2;
        self.schedule(self.now + half, Ev::ToClient { c, inc, resp });
    }

    fn apply_group_out(&mut self, out: Vec<Out>) {
        for o in out {
            match o {
                Out::Respond { consumer, incarnation, resp } => self.respond(consumer, incarnation, resp),
                Out::Timer { at_ms, timer } => self.schedule(at_ms, Ev::Group(timer)),
                Out::Trace { consumer, kind } => self.emit(consumer, kind),
            }
        }
    }

    fn on_broker_request(&mut self, c: usize, inc: u32, req: Request) {
        let mut out = Vec::new();
        let now = self.now;
        match req {
            Request::Join { member } => {
                let cfg = &self.scenario.consumers[c].config;
                let (st, mp) = (cfg.session_timeout_ms, cfg.max_poll_interval_ms);
                self.group.on_join(now, member, c, inc, st, mp, &mut out);
            }
            Request::Sync { member, generation } => self.group.on_sync(member, generation, c, inc, &mut out),
            Request::Heartbeat { member, generation } => {
                let err = self.group.on_heartbeat(now, member, generation);
                out.push(Out::Respond { consumer: c, incarnation: inc, resp: Response::Heartbeat(err) });
            }
            Request::Leave { member } => {
                self.group.on_leave(now, member, &mut out);
                out.push(Out::Respond { consumer: c, incarnation: inc, resp: Response::Leave });
            }
            Request::Commit { id, source, member, generation, offsets } => {
                let before: Vec<i64> = offsets.iter().map(|(p, _)| self.group.committed[*p as usize]).collect();
                let result = self.group.on_commit(member, generation, &offsets);
                match result {
                    Ok(()) => {
                        self.emit(Some(c), EventKind::CommitApplied { id, source, offsets: offsets.clone() });
                        for ((p, new), old) in offsets.iter().zip(before) {
                            self.flag_at_risk(*p, old, *new);
                        }
                    }
                    Err(error) => self.emit(Some(c), EventKind::CommitRejected { id, source, error }),
                }
                out.push(Out::Respond { consumer: c, incarnation: inc, resp: Response::Commit { id, result } });
            }
            Request::OffsetFetch { partitions } => {
                // B9: the committed offsets, INVALID where there are none.
                let offsets = self.group.committed_offsets(&partitions);
                out.push(Out::Respond { consumer: c, incarnation: inc, resp: Response::OffsetFetch(offsets) });
            }
        }
        self.apply_group_out(out);
    }

    /// Moment 1: the committed offset jumped past payments that a live consumer holds but has
    /// not applied. They are at risk until their effect lands.
    fn flag_at_risk(&mut self, partition: u32, old: i64, new: i64) {
        if new <= old.max(0) {
            return;
        }
        let mut risky = Vec::new();
        for con in &self.consumers {
            let Some(cl) = &con.client else { continue };
            for pay in cl.held() {
                let p = self.log.payment(pay);
                if p.partition == partition && p.offset >= old.max(0) && p.offset < new && self.applied[pay as usize] == 0 {
                    risky.push(pay);
                }
            }
        }
        risky.sort_unstable();
        risky.dedup();
        for pay in risky {
            self.emit(None, EventKind::AtRisk { payment: pay, partition, committed: new });
        }
    }

    // ---- consumer lifecycle ---------------------------------------------------------------

    fn on_start(&mut self, c: usize, incarnation: u32) {
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

    fn send_join(&mut self, c: usize, inc: u32, member: Option<u32>) {
        self.cl(c).join = JoinState::Joining;
        self.emit(Some(c), EventKind::JoinSent { member });
        self.send(c, inc, Request::Join { member });
    }

    fn on_time_crash(&mut self, c: usize, ix: usize) {
        if self.consumers[c].crash_fired[ix] {
            return;
        }
        self.consumers[c].crash_fired[ix] = true;
        if self.consumers[c].client.is_some() {
            let cp = self.spec(c).crashes[ix].clone();
            self.crash(c, cp.kind, cp.restart_after_ms);
        }
    }

    fn on_action(&mut self, ix: usize) {
        let a = self.scenario.actions[ix].clone();
        let Some(c) = self.scenario.consumer_index(&a.consumer) else { return };
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
    fn crash(&mut self, c: usize, kind: CrashKind, restart_after_ms: Option<u64>) {
        let finally_close = kind == CrashKind::SysExit && self.spec(c).program.close_in_finally;
        self.emit(Some(c), EventKind::Crashed { kind, finally_close });
        self.consumers[c].pending_restart_after_ms = restart_after_ms;
        if kind == CrashKind::Close || finally_close {
            self.begin_close(c);
        } else {
            // B12: no final commit, no LeaveGroup, no callbacks. Requests already on the wire
            // still reach the broker; the member stays until its session expires (C2).
            self.process_ended(c, false);
        }
    }

    fn process_ended(&mut self, c: usize, closed: bool) {
        let now = self.now;
        let con = &mut self.consumers[c];
        con.client = None;
        con.ended = Some(Ended { at_ms: now, closed });
        if let Some(after) = con.pending_restart_after_ms.take() {
            let at = now + after;
            con.restart_at_ms = Some(at);
            let inc = con.incarnation;
            self.emit(Some(c), EventKind::RestartScheduled { at_ms: at });
            self.schedule(at, Ev::Start { c, incarnation: inc });
        }
    }

    /// B11 (librdkafka) / D3 (Java): revoke, commit if auto-commit is on, LeaveGroup.
    fn begin_close(&mut self, c: usize) {
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
                offsets = if java { positions(cl) } else { stored_to_commit(cl) };
            }
            cl.parts.clear();
            cl.pending_op = None;
            self.emit(Some(c), EventKind::Revoked { partitions: parts, lost });
        }
        if offsets.is_empty() {
            self.close_leave(c, inc);
        } else {
            let id = self.send_commit(c, inc, CommitSource::Close, true, offsets);
            self.cl(c).close_commit = Some(id);
        }
    }

    fn close_leave(&mut self, c: usize, inc: u32) {
        match self.cl(c).member {
            Some(member) => self.send(c, inc, Request::Leave { member }),
            None => self.finish_close(c),
        }
    }

    fn finish_close(&mut self, c: usize) {
        self.emit(Some(c), EventKind::Closed);
        self.process_ended(c, true);
    }

    // ---- client timers ---------------------------------------------------------------------

    /// B5: librdkafka's background auto-commit timer.
    fn on_auto_commit_timer(&mut self, c: usize, inc: u32) {
        let interval = self.spec(c).config.auto_commit_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else { return };
        if cl.join == JoinState::Closing {
            return;
        }
        cl.next_auto_commit_ms = Some(now + interval);
        self.schedule(now + interval, Ev::AutoCommit { c, inc });
        let cl = self.cl(c);
        if cl.join != JoinState::Steady || cl.assignment_lost {
            // B5: skipped while rebalancing or when the assignment is lost.
            self.emit(Some(c), EventKind::AutoCommitTick { skipped_rebalancing: true });
            return;
        }
        let offsets = stored_to_commit(cl);
        if offsets.is_empty() {
            // B5: an empty auto-commit is silent.
            self.emit(Some(c), EventKind::AutoCommitTick { skipped_rebalancing: false });
            return;
        }
        self.send_commit(c, inc, CommitSource::Auto, false, offsets);
    }

    fn on_heartbeat_timer(&mut self, c: usize, inc: u32, epoch: u32) {
        let interval = self.spec(c).config.heartbeat_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else { return };
        if cl.heartbeat_epoch != epoch {
            return;
        }
        // B15: heartbeats run on the client's own thread, whatever the application does.
        let send = match (cl.member, cl.join) {
            (Some(m), JoinState::AwaitingSync | JoinState::AwaitingAssign | JoinState::Steady | JoinState::AwaitingRevoke)
                if cl.generation >= 0 =>
            {
                Some((m, cl.generation))
            }
            _ => None,
        };
        self.schedule(now + interval, Ev::Heartbeat { c, inc, epoch });
        if let Some((member, generation)) = send {
            self.send(c, inc, Request::Heartbeat { member, generation });
        }
    }

    /// B14: a member that has not polled for `max.poll.interval.ms` leaves and loses its
    /// assignment; the next `poll()` returns `_MAX_POLL_EXCEEDED` and rejoins.
    fn on_max_poll_check(&mut self, c: usize, inc: u32) {
        let limit = self.spec(c).config.max_poll_interval_ms;
        let now = self.now;
        let Some(cl) = self.client_mut(c, inc) else { return };
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
        cl.pending_op = Some(RebalanceOp::Revoke { lost: true });
        cl.join = JoinState::LeftMaxPoll;
        cl.heartbeat_epoch += 1;
        cl.heartbeat_started = false;
        cl.max_poll_error = true;
        self.emit(Some(c), EventKind::MaxPollExceeded);
        self.send(c, inc, Request::Leave { member });
    }

    // ---- client responses -----------------------------------------------------------------

    fn on_client_response(&mut self, c: usize, inc: u32, resp: Response) {
        if self.client(c, inc).is_none() {
            return; // the process is gone: nobody reads the answer
        }
        match resp {
            Response::Join(Ok((member, generation))) => {
                let cl = self.cl(c);
                if cl.join != JoinState::Joining {
                    return;
                }
                cl.member = Some(member);
                cl.generation = generation;
                cl.join = JoinState::AwaitingSync;
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
                let cl = self.cl(c);
                if cl.join != JoinState::AwaitingSync || cl.generation != generation {
                    return;
                }
                // B10: the assignment is served by the application's poll().
                cl.join = JoinState::AwaitingAssign;
                cl.pending_op = Some(RebalanceOp::Assign(parts));
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
            Response::OffsetFetch(offsets) => self.on_offset_fetch(c, offsets),
            Response::Leave => {
                if self.cl(c).join == JoinState::Closing {
                    self.finish_close(c);
                }
            }
        }
    }

    fn on_heartbeat_response(&mut self, c: usize, _inc: u32, err: Option<KafkaError>) {
        self.emit(Some(c), EventKind::Heartbeat { error: err });
        let cl = self.cl(c);
        match err {
            None => {}
            Some(KafkaError::RebalanceInProgress)
                if (cl.join == JoinState::Steady || cl.join == JoinState::AwaitingAssign) => {
                    self.begin_rejoin(c, false);
                }
            Some(KafkaError::UnknownMemberId) | Some(KafkaError::IllegalGeneration) => {
                if matches!(cl.join, JoinState::Steady | JoinState::AwaitingAssign | JoinState::AwaitingSync) {
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

    /// A rebalance: revoke everything (eager, B10) in the next poll(), then rejoin.
    fn begin_rejoin(&mut self, c: usize, lost: bool) {
        let inc = self.consumers[c].incarnation;
        let cl = self.cl(c);
        if cl.parts.is_empty() && !matches!(cl.pending_op, Some(RebalanceOp::Assign(_))) {
            cl.pending_op = None;
            cl.assignment_lost = false;
            let m = cl.member;
            self.send_join(c, inc, m);
            return;
        }
        cl.pending_op = Some(RebalanceOp::Revoke { lost });
        cl.join = JoinState::AwaitingRevoke;
        self.poke(c);
    }

    fn on_commit_response(&mut self, c: usize, inc: u32, id: u32, result: Result<(), KafkaError>) {
        let cl = self.cl(c);
        let Some(pos) = cl.in_flight.iter().position(|f| f.id == id) else { return };
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
                if matches!(e, KafkaError::UnknownMemberId | KafkaError::IllegalGeneration) && cl.join == JoinState::Steady {
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

    /// B9: start where the group committed, else where `auto.offset.reset` says.
    fn on_offset_fetch(&mut self, c: usize, offsets: Vec<(u32, i64)>) {
        let now = self.now;
        let rtt = self.rtt();
        let reset = self.spec(c).config.auto_offset_reset;
        let log = self.log.clone();
        let mut events = Vec::new();
        let cl = self.cl(c);
        for (p, committed) in offsets {
            let Some(part) = cl.part_mut(p) else { continue };
            if part.fetch_ready_ms.is_some() {
                continue;
            }
            let end = log.log_end_offset(p, now);
            part.committed_local = committed;
            let start = if committed >= 0 && committed <= end {
                Some((committed, true))
            } else {
                match reset {
                    OffsetReset::Earliest => Some((0, false)),
                    OffsetReset::Latest => Some((end, false)),
                    OffsetReset::Error => None,
                }
            };
            match start {
                Some((offset, from_commit)) => {
                    part.next = offset;
                    part.fetch_ready_ms = Some(now + rtt);
                    events.push(EventKind::StartOffset { partition: p, offset, committed: from_commit });
                }
                None => events.push(EventKind::PollError { error: KafkaError::AutoOffsetReset }),
            }
        }
        for e in events {
            self.emit(Some(c), e);
        }
        self.poke(c);
    }

    fn send_commit(&mut self, c: usize, inc: u32, source: CommitSource, sync: bool, offsets: Vec<(u32, i64)>) -> u32 {
        let id = self.next_commit_id;
        self.next_commit_id += 1;
        let now = self.now;
        let cl = self.cl(c);
        let (member, generation) = (cl.member, cl.generation);
        cl.in_flight.push(InFlight { id, source, sync, offsets: offsets.clone(), sent_ms: now });
        self.emit(Some(c), EventKind::CommitSent { id, source, sync, offsets: offsets.clone() });
        self.send(c, inc, Request::Commit { id, source, member, generation, offsets });
        id
    }

    // ---- the application ------------------------------------------------------------------

    /// Something the application's `poll()` waits for has happened.
    fn poke(&mut self, c: usize) {
        if self.consumers[c].client.as_ref().is_some_and(|cl| cl.in_poll()) {
            self.run_app(c);
        }
    }

    fn on_app_wake(&mut self, c: usize, inc: u32, token: u32) {
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

    fn apply_effect(&mut self, c: usize, payment: u32) {
        let n = &mut self.applied[payment as usize];
        *n += 1;
        let count = *n;
        self.emit(Some(c), EventKind::EffectApplied { payment, count });
    }

    /// Moves the program counter past the current step.
    fn advance(&mut self, c: usize) {
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
    fn run_app(&mut self, c: usize) {
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

    fn block_until(&mut self, c: usize, at: Ms) {
        let inc = self.consumers[c].incarnation;
        let cl = self.cl(c);
        cl.app.token += 1;
        let token = cl.app.token;
        self.schedule(at, Ev::AppWake { c, inc, token });
    }

    /// `poll()` / `consume()`: serve rebalance callbacks, commit callbacks and errors, then
    /// return messages or wait for them.
    fn do_poll(&mut self, c: usize) -> Flow {
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
    fn available(&self, c: usize, max: usize) -> (Vec<u32>, Option<Ms>) {
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

    fn serve_rebalance(&mut self, c: usize, inc: u32, op: RebalanceOp) {
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

    fn do_batch_step(&mut self, c: usize, step: BatchStep) -> Flow {
        match step {
            BatchStep::Commit { asynchronous } => self.app_commit(c, None, asynchronous),
        }
    }

    fn do_message_step(&mut self, c: usize, step: MessageStep) -> Flow {
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
    fn app_commit(&mut self, c: usize, explicit: Option<(u32, i64)>, asynchronous: bool) -> Flow {
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
    fn check_point_crash(&mut self, c: usize, point: ProgramPoint) -> bool {
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

/// B4: the stored offsets of the current assignment that are greater than the last commit.
fn stored_to_commit(cl: &Client) -> Vec<(u32, i64)> {
    cl.parts
        .iter()
        .filter(|p| p.stored >= 0 && p.stored > p.committed_local)
        .map(|p| (p.partition, p.stored))
        .collect()
}

/// D1: the Java client commits positions (`allConsumed()`).
fn positions(cl: &Client) -> Vec<(u32, i64)> {
    cl.parts.iter().filter(|p| p.app_pos >= 0).map(|p| (p.partition, p.app_pos)).collect()
}

#[allow(dead_code)]
fn invalid(o: i64) -> bool {
    o == INVALID_OFFSET
}
