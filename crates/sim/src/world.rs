//! The discrete-event engine: one [`World`] holds the broker, the consumers and the sink, and
//! [`World::step`] runs the next event in (time, class, sequence) order.
//!
//! Every handler follows a rule of `kafka-consumer-semantics.md`, named in its comment.
//! Nothing here reads a clock or the OS: time is `now`, randomness is the seeded [`SimRng`].

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::Ms;
use crate::client::{Client, Consumer};
use crate::group::{Group, GroupTimer, INVALID_OFFSET, Out, Response};
use crate::log::Log;
use crate::rng::SimRng;
use crate::scenario::{ClientModel, ConsumerSpec, CrashWhen, Fault, RetriableError, Scenario};
use crate::trace::{CommitSource, EventKind, KafkaError, TraceEvent};

/// How often librdkafka checks `max.poll.interval.ms` (B14).
/// `retry.backoff.ms` (both clients' default).
pub(crate) const RETRY_BACKOFF_MS: u64 = 100;
pub(crate) const MAX_POLL_CHECK_MS: u64 = 500;
/// A bound on the instantaneous steps the program runs before it must block.
pub(crate) const MAX_STEPS_WITHOUT_BLOCKING: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Join {
        member: Option<u32>,
        owned: Vec<u32>,
    },
    Sync {
        member: u32,
        generation: i32,
    },
    Heartbeat {
        member: u32,
        generation: i32,
    },
    Leave {
        member: u32,
    },
    Commit {
        id: u32,
        source: CommitSource,
        member: Option<u32>,
        generation: i32,
        offsets: Vec<(u32, i64)>,
    },
    OffsetFetch {
        partitions: Vec<u32>,
    },
    /// E1: `send_offsets_to_transaction` + `commit_transaction` for these outputs.
    TxnCommit {
        id: u32,
        member: Option<u32>,
        generation: i32,
        offsets: Vec<(u32, i64)>,
        outputs: Vec<usize>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    Start {
        c: usize,
        incarnation: u32,
    },
    AppWake {
        c: usize,
        inc: u32,
        token: u32,
    },
    AutoCommit {
        c: usize,
        inc: u32,
    },
    Heartbeat {
        c: usize,
        inc: u32,
        epoch: u32,
    },
    MaxPollCheck {
        c: usize,
        inc: u32,
    },
    ToBroker {
        c: usize,
        inc: u32,
        req: Request,
    },
    ToClient {
        c: usize,
        inc: u32,
        resp: Response,
    },
    Group(GroupTimer),
    Crash {
        c: usize,
        ix: usize,
    },
    Action {
        ix: usize,
    },
    RetryCommit {
        c: usize,
        inc: u32,
        id: u32,
    },
    /// The coordinator is reachable again after a `CoordinatorUnavailable` fault.
    CoordinatorBack,
    End,
}

#[derive(Clone, Debug)]
struct Queued {
    at: Ms,
    /// 0: simulation events; 1: user actions, which run after everything else at the same
    /// instant (a fork "from here"); 2: the end of the run.
    class: u8,
    pub(crate) seq: u64,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputState {
    /// In an open transaction: invisible to read_committed readers (E2).
    Open,
    Committed,
    Aborted,
}

/// A record of the `refunds` topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub payment: u32,
    pub consumer: usize,
    pub at_ms: Ms,
    pub state: OutputState,
}

/// A record of the dead-letter topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub payment: u32,
    pub consumer: usize,
    pub at_ms: Ms,
}

/// The whole simulated system at one instant. Cloning it is a checkpoint.
#[derive(Clone, Debug)]
pub struct World {
    pub now: Ms,
    /// Steps run so far.
    pub steps: u32,
    pub finished: bool,
    pub(crate) seq: u64,
    queue: BinaryHeap<Queued>,
    pub(crate) rng: SimRng,
    pub scenario: Arc<Scenario>,
    pub log: Arc<Log>,
    pub group: Group,
    pub consumers: Vec<Consumer>,
    /// How many times each payment's effect is visible in the sink (for the refunds topic:
    /// to the downstream reader).
    pub applied: Vec<u32>,
    /// How many times processing each payment completed and handed it to the sink.
    pub deliveries: Vec<u32>,
    /// Processing attempts started per payment (faults script attempts).
    pub attempts: Vec<u32>,
    /// E4: the next offset per partition, written by the database with the results.
    pub db_offsets: Vec<i64>,
    /// The `refunds` topic, for the refunds-topic and transactional sinks.
    pub outputs: Vec<Output>,
    /// The dead-letter topic.
    pub dead_letters: Vec<DeadLetter>,
    /// Payments the program skipped on purpose.
    pub skipped: Vec<bool>,
    pub(crate) next_commit_id: u32,
    pub(crate) out: Vec<TraceEvent>,
}

pub(crate) enum Flow {
    Continue,
    Blocked,
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
            deliveries: vec![0; log.payments.len()],
            attempts: vec![0; log.payments.len()],
            db_offsets: vec![INVALID_OFFSET; log.partition_count() as usize],
            outputs: Vec::new(),
            dead_letters: Vec::new(),
            skipped: vec![false; log.payments.len()],
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
        for f in &scenario.faults {
            if let Fault::CoordinatorUnavailable { to_ms, .. } = f {
                w.schedule(*to_ms, Ev::CoordinatorBack);
            }
        }
        w.schedule_class(scenario.duration_ms, 2, Ev::End);
        w
    }

    pub(crate) fn schedule(&mut self, at: Ms, ev: Ev) {
        self.schedule_class(at, 0, ev);
    }

    pub(crate) fn schedule_class(&mut self, at: Ms, class: u8, ev: Ev) {
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

    pub(crate) fn spec(&self, c: usize) -> &ConsumerSpec {
        &self.scenario.consumers[c]
    }

    pub(crate) fn java(&self) -> bool {
        self.scenario.client == ClientModel::Java
    }

    pub(crate) fn rtt(&self) -> u64 {
        self.scenario.broker.rtt_ms
    }

    pub(crate) fn client(&self, c: usize, inc: u32) -> Option<&Client> {
        let con = &self.consumers[c];
        if con.incarnation == inc {
            con.client.as_ref()
        } else {
            None
        }
    }

    pub(crate) fn client_mut(&mut self, c: usize, inc: u32) -> Option<&mut Client> {
        let con = &mut self.consumers[c];
        if con.incarnation == inc {
            con.client.as_mut()
        } else {
            None
        }
    }

    pub(crate) fn cl(&mut self, c: usize) -> &mut Client {
        self.consumers[c]
            .client
            .as_mut()
            .expect("caller checked the client is alive")
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
            Ev::RetryCommit { c, inc, id } => self.on_retry_commit(c, inc, id),
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

    /// A request on the consumer's connection to the coordinator. A5: the broker handles one
    /// connection's requests in the order they were sent, so a request delayed on the network
    /// (a `commit_latency` fault) holds back the ones sent after it: latency delays, it never
    /// reorders. Commits land out of order only through a cause, such as a retry (B7).
    pub(crate) fn send(&mut self, c: usize, inc: u32, req: Request) {
        let mut delay = self.rtt() / 2;
        if matches!(req, Request::Commit { .. }) {
            let extra = self.scenario.faults.iter().find_map(|f| match f {
                Fault::CommitLatency { max_extra_ms } => Some(*max_extra_ms),
                _ => None,
            });
            if let Some(max) = extra {
                delay += self.rng.between(0, max);
            }
        }
        let mut at = self.now + delay;
        if let Some(cl) = self.client_mut(c, inc) {
            at = at.max(cl.coordinator_fifo_ms);
            cl.coordinator_fifo_ms = at;
        }
        self.schedule(at, Ev::ToBroker { c, inc, req });
    }

    /// When the coordinator comes back, if it is unavailable now.
    pub(crate) fn coordinator_unavailable_until(&self) -> Option<Ms> {
        self.scenario.faults.iter().find_map(|f| match *f {
            Fault::CoordinatorUnavailable { from_ms, to_ms }
                if self.now >= from_ms && self.now < to_ms =>
            {
                Some(to_ms)
            }
            _ => None,
        })
    }

    fn commit_error_now(&self) -> Option<KafkaError> {
        self.scenario.faults.iter().find_map(|f| match *f {
            Fault::CommitErrors {
                from_ms,
                to_ms,
                error,
            } if self.now >= from_ms && self.now < to_ms => Some(match error {
                RetriableError::RequestTimedOut => KafkaError::RequestTimedOut,
                RetriableError::CoordinatorNotAvailable => KafkaError::CoordinatorNotAvailable,
                RetriableError::CoordinatorLoadInProgress => KafkaError::CoordinatorLoadInProgress,
                RetriableError::NotCoordinator => KafkaError::NotCoordinator,
            }),
            _ => None,
        })
    }

    pub(crate) fn respond(&mut self, c: usize, inc: u32, resp: Response) {
        let half = self.rtt() - self.rtt() / 2;
        self.schedule(self.now + half, Ev::ToClient { c, inc, resp });
    }

    pub(crate) fn apply_group_out(&mut self, out: Vec<Out>) {
        for o in out {
            match o {
                Out::Respond {
                    consumer,
                    incarnation,
                    resp,
                } => self.respond(consumer, incarnation, resp),
                Out::Timer { at_ms, timer } => self.schedule(at_ms, Ev::Group(timer)),
                Out::Trace { consumer, kind } => self.emit(consumer, kind),
            }
        }
    }

    fn on_broker_request(&mut self, c: usize, inc: u32, req: Request) {
        let mut out = Vec::new();
        let now = self.now;
        let unavailable_until = self.coordinator_unavailable_until();
        if let Request::Commit { id, source, .. } = req {
            // B7: a commit fails with COORDINATOR_NOT_AVAILABLE during an outage, or with the
            // error of a `commit_errors` fault; the client decides whether to retry.
            let error = match unavailable_until {
                Some(_) => Some(KafkaError::CoordinatorNotAvailable),
                None => self.commit_error_now(),
            };
            if let Some(error) = error {
                self.emit(Some(c), EventKind::CommitRejected { id, source, error });
                self.respond(
                    c,
                    inc,
                    Response::Commit {
                        id,
                        result: Err(error),
                    },
                );
                return;
            }
        }
        if let Some(back) = unavailable_until {
            // Heartbeats report the outage; the client's other requests wait for the
            // coordinator to come back.
            match req {
                Request::Heartbeat { .. } => {
                    let error = Some(KafkaError::CoordinatorNotAvailable);
                    self.respond(c, inc, Response::Heartbeat(error));
                }
                req => self.schedule(back, Ev::ToBroker { c, inc, req }),
            }
            return;
        }
        match req {
            Request::Join { member, owned } => {
                let cfg = &self.scenario.consumers[c].config;
                let (st, mp) = (cfg.session_timeout_ms, cfg.max_poll_interval_ms);
                self.group
                    .on_join(now, member, owned, c, inc, st, mp, &mut out);
            }
            Request::Sync { member, generation } => {
                self.group.on_sync(member, generation, c, inc, &mut out)
            }
            Request::Heartbeat { member, generation } => {
                let err = self.group.on_heartbeat(now, member, generation);
                out.push(Out::Respond {
                    consumer: c,
                    incarnation: inc,
                    resp: Response::Heartbeat(err),
                });
            }
            Request::Leave { member } => {
                self.group.on_leave(now, member, &mut out);
                out.push(Out::Respond {
                    consumer: c,
                    incarnation: inc,
                    resp: Response::Leave,
                });
            }
            Request::Commit {
                id,
                source,
                member,
                generation,
                offsets,
            } => {
                let before = self.committed_before(&offsets);
                let result = self.group.on_commit(member, generation, &offsets);
                match result {
                    Ok(()) => {
                        self.emit(
                            Some(c),
                            EventKind::CommitApplied {
                                id,
                                source,
                                offsets: offsets.clone(),
                            },
                        );
                        self.flag_all_at_risk(&offsets, before);
                    }
                    Err(error) => {
                        self.emit(Some(c), EventKind::CommitRejected { id, source, error })
                    }
                }
                out.push(Out::Respond {
                    consumer: c,
                    incarnation: inc,
                    resp: Response::Commit { id, result },
                });
            }
            Request::TxnCommit {
                id,
                member,
                generation,
                offsets,
                outputs,
            } => {
                // E1: the offsets are validated like a group commit (the group metadata fences
                // zombies) and, with the outputs, become visible together or not at all.
                let before = self.committed_before(&offsets);
                let result = self.group.on_commit(member, generation, &offsets);
                if result.is_ok() {
                    let read_committed = self.scenario.sink.read_committed;
                    self.emit(
                        Some(c),
                        EventKind::TransactionCommitted {
                            outputs: outputs.len() as u32,
                            offsets: offsets.clone(),
                        },
                    );
                    for &i in &outputs {
                        self.outputs[i].state = OutputState::Committed;
                        if read_committed {
                            // E2: the refund becomes visible to the read_committed reader now.
                            let payment = self.outputs[i].payment;
                            self.applied[payment as usize] += 1;
                            let count = self.applied[payment as usize];
                            self.emit(Some(c), EventKind::EffectApplied { payment, count });
                        }
                    }
                    self.flag_all_at_risk(&offsets, before);
                } else {
                    for &i in &outputs {
                        self.outputs[i].state = OutputState::Aborted;
                    }
                    self.emit(
                        Some(c),
                        EventKind::TransactionAborted {
                            outputs: outputs.len() as u32,
                            producer_died: false,
                        },
                    );
                }
                out.push(Out::Respond {
                    consumer: c,
                    incarnation: inc,
                    resp: Response::Txn { id, result },
                });
            }
            Request::OffsetFetch { partitions } => {
                // B9: the committed offsets, INVALID where there are none.
                let offsets = self.group.committed_offsets(&partitions);
                out.push(Out::Respond {
                    consumer: c,
                    incarnation: inc,
                    resp: Response::OffsetFetch(offsets),
                });
            }
        }
        self.apply_group_out(out);
    }

    /// The committed offsets of these partitions before a write.
    fn committed_before(&self, offsets: &[(u32, i64)]) -> Vec<i64> {
        offsets
            .iter()
            .map(|(p, _)| self.group.committed[*p as usize])
            .collect()
    }

    fn flag_all_at_risk(&mut self, offsets: &[(u32, i64)], before: Vec<i64>) {
        for ((p, new), old) in offsets.iter().zip(before) {
            self.flag_at_risk(*p, old, *new);
        }
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
                let handled = self.skipped[pay as usize]
                    || self.dead_letters.iter().any(|d| d.payment == pay);
                if p.partition == partition
                    && p.offset >= old.max(0)
                    && p.offset < new
                    && self.applied[pay as usize] == 0
                    && !handled
                {
                    risky.push(pay);
                }
            }
        }
        risky.sort_unstable();
        risky.dedup();
        for pay in risky {
            self.emit(
                None,
                EventKind::AtRisk {
                    payment: pay,
                    partition,
                    committed: new,
                },
            );
        }
    }
}
