//! The broker's side of the world: requests reaching the group coordinator, with the faults
//! the scenario injects (an unavailable coordinator, commit errors), offset commits and
//! transactions (C1, E1), and the answers going back after half a round trip.

use crate::group::Out;
use crate::ids::{Offset, Partition};
use crate::protocol::{Request, Response};
use crate::scenario::{Fault, RetriableError};
use crate::trace::{EventKind, KafkaError};

use super::{Ev, World};

impl World {
    /// When the coordinator comes back, if it is unavailable now.
    pub(crate) fn coordinator_unavailable_until(&self) -> Option<u64> {
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
        let rtt = self.scenario.broker.rtt_ms;
        let half = rtt - rtt / 2;
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

    pub(crate) fn on_broker_request(&mut self, c: usize, inc: u32, req: Request) {
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
                let result = Err(error);
                self.respond(c, inc, Response::Commit { id, result });
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
        let respond = |resp| Out::Respond {
            consumer: c,
            incarnation: inc,
            resp,
        };
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
                out.push(respond(Response::Heartbeat(err)));
            }
            Request::Leave { member } => {
                self.group.on_leave(now, member, &mut out);
                out.push(respond(Response::Leave));
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
                        let applied = EventKind::CommitApplied {
                            id,
                            source,
                            offsets: offsets.clone(),
                        };
                        self.emit(Some(c), applied);
                        self.flag_all_at_risk(&offsets, before);
                    }
                    Err(error) => {
                        self.emit(Some(c), EventKind::CommitRejected { id, source, error })
                    }
                }
                out.push(respond(Response::Commit { id, result }));
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
                let mut ev = Vec::new();
                if result.is_ok() {
                    ev.push(EventKind::TransactionCommitted {
                        outputs: outputs.len() as u32,
                        offsets: offsets.clone(),
                    });
                    // E2: the refunds become visible to the read_committed reader now.
                    self.sink.commit_outputs(&outputs, &mut ev);
                } else {
                    self.sink.abort_outputs(&outputs);
                    ev.push(EventKind::TransactionAborted {
                        outputs: outputs.len() as u32,
                        producer_died: false,
                    });
                }
                for kind in ev {
                    self.emit(Some(c), kind);
                }
                if result.is_ok() {
                    self.flag_all_at_risk(&offsets, before);
                }
                out.push(respond(Response::Txn { id, result }));
            }
            Request::OffsetFetch { partitions } => {
                // B9: the committed offsets, INVALID where there are none.
                let offsets = self.group.committed_offsets(&partitions);
                out.push(respond(Response::OffsetFetch(offsets)));
            }
        }
        self.apply_group_out(out);
    }

    /// The committed offsets of these partitions before a write.
    fn committed_before(&self, offsets: &[(Partition, Offset)]) -> Vec<Offset> {
        offsets
            .iter()
            .map(|(p, _)| self.group.committed[(*p).ix()])
            .collect()
    }

    fn flag_all_at_risk(&mut self, offsets: &[(Partition, Offset)], before: Vec<Offset>) {
        for ((p, new), old) in offsets.iter().zip(before) {
            self.flag_at_risk(*p, old, *new);
        }
    }

    /// Moment 1: the committed offset jumped past payments that are now at risk
    /// ([`World::is_at_risk`]). Each is flagged once, when the jump happens.
    fn flag_at_risk(&mut self, partition: Partition, old: Offset, new: Offset) {
        if new <= old.max(Offset(0)) {
            return;
        }
        let mut risky = Vec::new();
        for con in &self.consumers {
            let Some(cl) = &con.client else { continue };
            for pay in cl.held() {
                let p = self.log.payment(pay);
                if p.partition == partition
                    && p.offset >= old.max(Offset(0))
                    && self.is_at_risk(pay, new)
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
