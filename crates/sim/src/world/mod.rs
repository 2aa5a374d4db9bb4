//! The discrete-event engine: a [`World`] routes events between the consumers' clients, the
//! broker's group coordinator, the topic log and the sink, and [`World::step`] runs the next
//! event in (time, class, sequence) order.
//!
//! The world holds no Kafka rule of its own: the client ([`crate::client`]) and the coordinator
//! ([`crate::group`]) are sans-IO state machines that return their effects as data, which the
//! world carries out — schedule a timer, deliver a request or an answer, record a trace event,
//! hand an effect to the sink. Nothing here reads a clock or the OS: time is `now`, randomness
//! is the seeded [`SimRng`].
//!
//! ```text
//!   queue ──pop──▶ World::step ──input──▶ Client / Group ──outputs──▶ World ──▶ queue, trace, sink
//! ```

use crate::ids::{Offset, Partition};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::Ms;
use crate::client::{Client, ClientOut, ClientPolicy, ClientTimer, Consumer, Ctx, Ended};
use crate::group::{Group, GroupTimer};
use crate::log::Log;
use crate::protocol::{Request, Response};
use crate::rng::SimRng;
use crate::scenario::{ActionKind, CrashWhen, Fault, Scenario};
use crate::trace::{EventKind, TraceEvent};

mod broker;
mod query;

pub use query::{AutoCommitTimer, ConsumerStatus};
mod sink;

pub use sink::{DeadLetter, Output, OutputState, Sink};

/// Where an event sits among the events of the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum QueueClass {
    /// What the simulation itself does.
    Simulation,
    /// A user action runs after everything else at the same instant (a fork "from here").
    UserAction,
    /// The end of the run.
    End,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// Construct consumer `c` (its first run, or a restart), unless it already was.
    Start {
        c: usize,
        incarnation: u32,
    },
    /// A timer of consumer `c`'s client.
    ClientTimer {
        c: usize,
        inc: u32,
        timer: ClientTimer,
    },
    /// A request reaches the coordinator.
    ToBroker {
        c: usize,
        inc: u32,
        req: Request,
    },
    /// An answer reaches consumer `c`'s client.
    ToClient {
        c: usize,
        inc: u32,
        resp: Response,
    },
    Group(GroupTimer),
    /// Crash point `ix` of consumer `c`, at a time.
    Crash {
        c: usize,
        ix: usize,
    },
    Action {
        ix: usize,
    },
    /// The coordinator is reachable again after a `CoordinatorUnavailable` fault.
    CoordinatorBack,
    End,
}

#[derive(Clone, Debug)]
struct Queued {
    at: Ms,
    class: QueueClass,
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
    pub sink: Sink,
    /// Processing attempts started per payment, by any consumer (fault scripts count these).
    pub attempts: crate::chunked::Chunked<u32>,
    next_commit_id: u32,
    out: Vec<TraceEvent>,
    /// Log end offsets seen by an earlier invariant check (debug builds). The log end only
    /// grows with time, so a committed offset at or under it needs no search: the check inside
    /// [`World::step`] stays constant-time per step however long the log is.
    known_end: Vec<Offset>,
}

fn committed_past_end(p: usize, committed: Offset, end: Offset) -> String {
    format!("partition {p}: committed offset {committed} past the log end {end}")
}

impl World {
    /// A world at time 0. The scenario must be valid ([`Scenario::validate`]).
    pub fn new(scenario: Arc<Scenario>) -> World {
        let mut rng = SimRng::new(scenario.seed);
        let log = Arc::new(Log::build(&scenario, &mut rng));
        let strategy = scenario
            .consumers
            .first()
            .map(|c| c.config.partition_assignment_strategy)
            .unwrap_or_default();
        let group = Group::new(
            log.partition_count(),
            scenario.broker.group_initial_rebalance_delay_ms,
            strategy,
        );
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
                restart_at_ms: None,
            })
            .collect();
        let payments = log.payments.len();
        let sink = Sink::new(
            &scenario.sink,
            payments,
            log.partition_count() as usize,
            scenario.consumers.len(),
        );
        let mut w = World {
            now: 0,
            steps: 0,
            finished: false,
            seq: 0,
            queue: BinaryHeap::new(),
            rng,
            attempts: crate::chunked::Chunked::filled(0, payments),
            sink,
            log,
            group,
            consumers,
            next_commit_id: 1,
            out: Vec::new(),
            known_end: Vec::new(),
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
            w.schedule_class(a.at_ms, QueueClass::UserAction, Ev::Action { ix });
        }
        for f in &scenario.faults {
            if let Fault::CoordinatorUnavailable { to_ms, .. } = f {
                w.schedule(*to_ms, Ev::CoordinatorBack);
            }
        }
        w.schedule_class(scenario.duration_ms, QueueClass::End, Ev::End);
        w
    }

    pub(crate) fn schedule(&mut self, at: Ms, ev: Ev) {
        self.schedule_class(at, QueueClass::Simulation, ev);
    }

    fn schedule_class(&mut self, at: Ms, class: QueueClass, ev: Ev) {
        self.seq += 1;
        self.queue.push(Queued {
            at: at.max(self.now),
            class,
            seq: self.seq,
            ev,
        });
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
        if self.finished {
            None
        } else {
            self.queue.peek().map(|q| q.at)
        }
    }

    pub(crate) fn emit(&mut self, c: Option<usize>, kind: EventKind) {
        self.out.push(TraceEvent {
            at_ms: self.now,
            step: self.steps,
            consumer: c.map(|c| c as u8),
            kind,
        });
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
        debug_assert!(
            q.at >= self.now,
            "an event in the past: {} < {}",
            q.at,
            self.now
        );
        self.now = q.at;
        self.steps += 1;
        #[cfg(debug_assertions)]
        let out_before = self.out.len();
        match q.ev {
            Ev::Start { c, incarnation } => self.on_start(c, incarnation),
            Ev::ClientTimer { c, inc, timer } => {
                self.with_client(c, inc, |cl, ctx| cl.on_timer(timer, ctx));
            }
            Ev::ToBroker { c, inc, req } => self.on_broker_request(c, inc, req),
            Ev::ToClient { c, inc, resp } => {
                self.with_client(c, inc, |cl, ctx| cl.on_response(resp, ctx));
            }
            Ev::Group(t) => {
                if let Some(back) = self.coordinator_unavailable_until() {
                    // Nothing expires while the coordinator is away.
                    self.schedule(back, Ev::Group(t));
                    return true;
                }
                let mut out = Vec::new();
                self.group.on_timer(self.now, t, &mut out);
                self.apply_group_out(out);
            }
            Ev::CoordinatorBack => {
                // A coordinator that (re)loads the group restarts every member's session clock.
                let now = self.now;
                for m in &mut self.group.members {
                    m.last_heartbeat_ms = now;
                }
            }
            Ev::Crash { c, ix } => self.on_time_crash(c, ix),
            Ev::Action { ix } => self.on_action(ix),
            Ev::End => {
                self.emit(None, EventKind::RunEnded);
                self.finished = true;
            }
        }
        #[cfg(debug_assertions)]
        if let Err(broken) = self.check_step_invariants(out_before) {
            panic!(
                "invariant broken at {} ms, step {}: {broken}",
                self.now, self.steps
            );
        }
        true
    }

    /// Invariants that hold after every step. Debug builds (every test) check them inside
    /// [`World::step`], incrementally ([`World::check_step_invariants`]).
    pub fn check_invariants(&self) -> Result<(), String> {
        // The broker never holds a committed offset past what was produced.
        for (p, &committed) in self.group.committed.iter().enumerate() {
            let end = self.log.log_end_offset(Partition(p as u32), self.now);
            if committed > end {
                return Err(committed_past_end(p, committed, end));
            }
        }
        self.check_owners()?;
        Self::check_time_order(&self.out)
    }

    /// The same invariants as [`World::check_invariants`], checked in constant time per step
    /// for a long log: a committed offset is searched against the log only when it passes the
    /// end seen before, and only the events since `out_from` are checked for time order.
    pub fn check_step_invariants(&mut self, out_from: usize) -> Result<(), String> {
        let partitions = self.group.committed.len();
        if self.known_end.len() != partitions {
            self.known_end = vec![Offset(0); partitions];
        }
        for p in 0..partitions {
            let committed = self.group.committed[p];
            if committed > self.known_end[p] {
                let end = self.log.log_end_offset(Partition(p as u32), self.now);
                if committed > end {
                    return Err(committed_past_end(p, committed, end));
                }
                self.known_end[p] = end;
            }
        }
        self.check_owners()?;
        let from = out_from.saturating_sub(1).min(self.out.len());
        Self::check_time_order(&self.out[from..])
    }

    /// In a stable generation, no partition has two owners.
    fn check_owners(&self) -> Result<(), String> {
        if self.group.state == crate::group::GroupState::Stable {
            let mut owner = vec![None; self.log.partition_count() as usize];
            for m in &self.group.members {
                for &p in &m.assignment {
                    if let Some(other) = owner[p.ix()].replace(m.id) {
                        return Err(format!(
                            "partition {p} assigned to members {other} and {}",
                            m.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Trace events come in time order.
    fn check_time_order(events: &[TraceEvent]) -> Result<(), String> {
        match events.windows(2).find(|w| w[1].at_ms < w[0].at_ms) {
            Some(w) => Err(format!(
                "event at {} after one at {}",
                w[1].at_ms, w[0].at_ms
            )),
            None => Ok(()),
        }
    }

    /// About how much a copy of this world holds, in entries of the collections that grow
    /// with a run (queued events, commits in flight and their answers, outputs): what a
    /// checkpoint costs ([`crate::Timeline`] bounds their sum). The per-payment tables are
    /// shared between copies and not counted.
    pub fn weight(&self) -> usize {
        let clients: usize = self
            .consumers
            .iter()
            .filter_map(|c| c.client.as_ref())
            .map(|cl| cl.in_flight.len() + cl.callbacks.len() + cl.pending_ops.len())
            .sum();
        1 + self.queue.len() + clients + self.sink.outputs.len() + self.sink.dead_letters.len()
    }

    /// Runs every event up to and including time `t`.
    pub fn run_until(&mut self, t: Ms) {
        while self.next_event_ms().is_some_and(|at| at <= t) {
            self.step();
        }
    }

    // ---- routing to and from the clients -------------------------------------------------

    /// Hands an input to consumer `c`'s client if it is the live incarnation `inc`, then
    /// carries out what the client did.
    fn with_client(&mut self, c: usize, inc: u32, f: impl FnOnce(&mut Client, &mut Ctx)) {
        let slot = &mut self.consumers[c];
        if slot.incarnation != inc {
            return;
        }
        let Some(mut client) = slot.client.take() else {
            return;
        };
        let mut out = Vec::new();
        let mut ctx = Ctx {
            now: self.now,
            scenario: &self.scenario,
            spec: &self.scenario.consumers[c],
            log: &self.log,
            rng: &mut self.rng,
            attempts: &mut self.attempts,
            consumer: slot,
            next_commit_id: &mut self.next_commit_id,
            out: &mut out,
        };
        f(&mut client, &mut ctx);
        self.consumers[c].client = Some(client);
        self.carry_out(c, inc, out);
    }

    /// Carries out a client's outputs, in order.
    fn carry_out(&mut self, c: usize, inc: u32, out: Vec<ClientOut>) {
        for o in out {
            match o {
                ClientOut::Trace(kind) => self.emit(Some(c), kind),
                ClientOut::ToBroker { at_ms, mut req } => {
                    if let Request::TxnCommit { outputs, .. } = &mut req {
                        // E1: the open transaction's outputs go with its commit.
                        *outputs = self.sink.take_open(c);
                    }
                    self.schedule(at_ms, Ev::ToBroker { c, inc, req });
                }
                ClientOut::Timer { at_ms, timer } => {
                    self.schedule(at_ms, Ev::ClientTimer { c, inc, timer })
                }
                ClientOut::Apply { payment } => {
                    let mut ev = Vec::new();
                    self.sink.apply(c, payment, self.now, &self.log, &mut ev);
                    self.emit_all(c, ev);
                }
                ClientOut::Skip { payment } => {
                    let mut ev = Vec::new();
                    self.sink.skip(payment, &self.log, &mut ev);
                    self.emit_all(c, ev);
                }
                ClientOut::DeadLetter { payment } => {
                    let mut ev = Vec::new();
                    self.sink
                        .dead_letter(c, payment, self.now, &self.log, &mut ev);
                    self.emit_all(c, ev);
                }
                ClientOut::ReadDbOffsets { partitions } => {
                    // E4: the database answers after a round trip, with what it holds now.
                    let offsets = partitions
                        .iter()
                        .map(|&p| (p, self.sink.db_offsets[p.ix()]))
                        .collect();
                    let at = self.now + self.scenario.broker.rtt_ms;
                    let resp = Response::DbOffsets(offsets);
                    self.schedule(at, Ev::ToClient { c, inc, resp });
                }
                ClientOut::Ended {
                    closed,
                    kind,
                    restart_after_ms,
                } => self.process_ended(
                    c,
                    Ended {
                        at_ms: self.now,
                        closed,
                        kind,
                    },
                    restart_after_ms,
                ),
            }
        }
    }

    fn emit_all(&mut self, c: usize, events: Vec<EventKind>) {
        for kind in events {
            self.emit(Some(c), kind);
        }
    }

    // ---- consumer lifecycle --------------------------------------------------------------

    fn on_start(&mut self, c: usize, incarnation: u32) {
        let con = &mut self.consumers[c];
        if con.incarnation != incarnation || con.client.is_some() {
            return; // already restarted by a user action
        }
        con.incarnation += 1;
        con.restart_at_ms = None;
        con.ended = None;
        let inc = con.incarnation;
        con.client = Some(Client::new(
            self.now,
            ClientPolicy::new(self.scenario.client),
        ));
        self.with_client(c, inc, |cl, ctx| cl.start(ctx));
    }

    /// The process of consumer `c` ended: its producer's open transaction dies with it (E1),
    /// and the scenario may construct it again.
    fn process_ended(&mut self, c: usize, ended: Ended, restart_after_ms: Option<u64>) {
        let now = self.now;
        let mut ev = Vec::new();
        self.sink.producer_died(c, &mut ev);
        self.emit_all(c, ev);
        let con = &mut self.consumers[c];
        con.client = None;
        con.ended = Some(ended);
        if let Some(after) = restart_after_ms {
            let at = now + after;
            con.restart_at_ms = Some(at);
            let inc = con.incarnation;
            self.emit(Some(c), EventKind::RestartScheduled { at_ms: at });
            self.schedule(
                at,
                Ev::Start {
                    c,
                    incarnation: inc,
                },
            );
        }
    }

    fn on_time_crash(&mut self, c: usize, ix: usize) {
        if self.consumers[c].crash_fired[ix] {
            return;
        }
        self.consumers[c].crash_fired[ix] = true;
        let cp = self.scenario.consumers[c].crashes[ix].clone();
        let inc = self.consumers[c].incarnation;
        self.with_client(c, inc, |cl, ctx| {
            cl.on_crash(cp.kind, cp.restart_after_ms, ctx)
        });
    }

    fn on_action(&mut self, ix: usize) {
        let a = self.scenario.actions[ix].clone();
        let Some(c) = self.scenario.consumer_index(&a.consumer) else {
            return;
        };
        let inc = self.consumers[c].incarnation;
        match a.act {
            ActionKind::Crash { kind } => {
                self.with_client(c, inc, |cl, ctx| cl.on_crash(kind, None, ctx));
            }
            ActionKind::Restart => {
                if self.consumers[c].client.is_none() {
                    self.on_start(c, inc);
                }
            }
            ActionKind::SetProcessingMs { processing_ms } => {
                self.consumers[c].processing_ms = processing_ms;
                self.emit(Some(c), EventKind::ProcessingMsChanged { processing_ms });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world_part_way() -> World {
        let scenario = crate::preset("step1-autocommit-sleep7").expect("preset");
        let mut w = World::new(Arc::new(scenario));
        while w.now < 12_000 && w.step() {}
        w
    }

    #[test]
    fn the_step_check_agrees_with_the_full_check_on_a_sound_world() {
        let mut w = world_part_way();
        assert_eq!(w.check_invariants(), Ok(()));
        assert_eq!(w.check_step_invariants(0), Ok(()));
    }

    #[test]
    fn the_step_check_finds_a_committed_offset_past_the_log_end_after_it_was_cached() {
        let mut w = world_part_way();
        // The first check caches the log end; a later commit past it must still be searched.
        assert_eq!(w.check_step_invariants(0), Ok(()));
        let end = w.log.log_end_offset(Partition(0), w.now);
        w.group.committed[0] = Offset(end.0 + 1);
        let full = w.check_invariants().unwrap_err();
        let step = w.check_step_invariants(w.out.len()).unwrap_err();
        assert_eq!(full, step);
        assert!(step.contains("past the log end"), "{step}");
    }

    #[test]
    fn the_step_check_finds_an_event_out_of_time_order_among_the_new_events() {
        let mut w = world_part_way();
        let before = w.out.len();
        w.emit(None, EventKind::RunEnded);
        w.out.last_mut().expect("an event").at_ms = 0;
        let err = w.check_step_invariants(before).unwrap_err();
        assert!(err.contains("after one at"), "{err}");
        assert!(w.check_invariants().is_err());
    }
}
