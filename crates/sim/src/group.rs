//! The broker's group coordinator for classic consumer groups (rules C1–C5), sans-IO.
//!
//! Each handler takes the current time and returns what the broker does as data
//! ([`Out`]): responses to clients, timers to set, trace events. The world delivers them.

use crate::Ms;
use crate::ids::{Offset, Offsets, Partition};
use crate::protocol::Response;
use crate::scenario::AssignmentStrategy;
use crate::trace::{EventKind, KafkaError, RebalanceReason};

pub const INVALID_OFFSET: Offset = Offset::INVALID;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: u32,
    /// The consumer (scenario index) and its incarnation behind this member.
    pub consumer: usize,
    pub incarnation: u32,
    /// Has (re)joined in the current rebalance and awaits the JoinGroup response.
    pub awaiting_join: bool,
    pub last_heartbeat_ms: Ms,
    pub session_timeout_ms: u64,
    /// A member's `max.poll.interval.ms` (C2: the rebalance timeout).
    pub rebalance_timeout_ms: u64,
    pub assignment: Vec<Partition>,
    /// Has sent SyncGroup for the current generation and waits for its assignment.
    pub awaiting_sync: bool,
}

/// Something the coordinator does, for the world to carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    Respond {
        consumer: usize,
        incarnation: u32,
        resp: Response,
    },
    Timer {
        at_ms: Ms,
        timer: GroupTimer,
    },
    Trace {
        consumer: Option<usize>,
        kind: EventKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupTimer {
    /// C3: the initial rebalance delay of rebalance `epoch` ends.
    InitialDelay { epoch: u32 },
    /// C2: members that have not rejoined by now are removed.
    RebalanceTimeout { epoch: u32 },
    /// C2: check whether member `member` has heartbeated within its session timeout.
    Session { member: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub state: GroupState,
    pub generation: i32,
    pub members: Vec<Member>,
    pub leader: Option<u32>,
    /// The committed offset of every partition (A4); INVALID when there is none.
    pub committed: Vec<Offset>,
    pub strategy: AssignmentStrategy,
    initial_delay_ms: u64,
    next_member: u32,
    epoch: u32,
    /// When the initial rebalance delay (C3) ends, while it runs.
    pub initial_delay_until: Option<Ms>,
    rebalance_started_ms: Ms,
}

impl Group {
    pub fn new(partitions: u32, initial_delay_ms: u64, strategy: AssignmentStrategy) -> Group {
        Group {
            state: GroupState::Empty,
            generation: 0,
            members: Vec::new(),
            leader: None,
            committed: vec![INVALID_OFFSET; partitions as usize],
            strategy,
            initial_delay_ms,
            next_member: 1,
            epoch: 0,
            initial_delay_until: None,
            rebalance_started_ms: 0,
        }
    }

    fn member_mut(&mut self, id: u32) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    pub fn member(&self, id: u32) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn max_rebalance_timeout(&self) -> u64 {
        self.members
            .iter()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0)
    }

    fn start_rebalance(&mut self, now: Ms, reason: RebalanceReason, out: &mut Vec<Out>) {
        self.state = GroupState::PreparingRebalance;
        self.epoch += 1;
        self.rebalance_started_ms = now;
        // A member still waiting for its SyncGroup answer gets REBALANCE_IN_PROGRESS and
        // rejoins ("If any members are awaiting sync, cancel their request and have them
        // rejoin": `GroupMetadataManager.prepareRebalance`). Dropping the request instead would
        // leave it waiting until the rebalance timeout removes it.
        for m in &mut self.members {
            if std::mem::take(&mut m.awaiting_sync) {
                out.push(Out::Respond {
                    consumer: m.consumer,
                    incarnation: m.incarnation,
                    resp: Response::Sync(Err(KafkaError::RebalanceInProgress)),
                });
            }
        }
        out.push(Out::Trace {
            consumer: None,
            kind: EventKind::RebalanceStarted {
                generation: self.generation,
                reason,
            },
        });
        out.push(Out::Timer {
            at_ms: now + self.max_rebalance_timeout(),
            timer: GroupTimer::RebalanceTimeout { epoch: self.epoch },
        });
    }

    /// JoinGroup. A new member (`member: None`) gets an id; `owned` is what the member still
    /// holds (empty for eager members, which revoke everything before rejoining).
    #[allow(clippy::too_many_arguments)]
    pub fn on_join(
        &mut self,
        now: Ms,
        member: Option<u32>,
        owned: Vec<Partition>,
        consumer: usize,
        incarnation: u32,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        out: &mut Vec<Out>,
    ) {
        let id = match member {
            Some(id) if self.member(id).is_some() => id,
            Some(_) => {
                out.push(Out::Respond {
                    consumer,
                    incarnation,
                    resp: Response::Join(Err(KafkaError::UnknownMemberId)),
                });
                return;
            }
            None => {
                let id = self.next_member;
                self.next_member += 1;
                self.members.push(Member {
                    id,
                    consumer,
                    incarnation,
                    awaiting_join: false,
                    last_heartbeat_ms: now,
                    session_timeout_ms,
                    rebalance_timeout_ms,
                    assignment: vec![],
                    awaiting_sync: false,
                });
                out.push(Out::Timer {
                    at_ms: now + session_timeout_ms,
                    timer: GroupTimer::Session { member: id },
                });
                id
            }
        };
        if let Some(m) = self.member_mut(id) {
            m.awaiting_join = true;
            m.last_heartbeat_ms = now;
            // KIP-429: what the member still owns (cooperative members keep partitions).
            m.assignment = owned;
        }
        match self.state {
            GroupState::Empty => {
                // C3: the first join into an empty group waits for more members.
                self.start_rebalance(
                    now,
                    RebalanceReason::FirstJoin {
                        delay_ms: self.initial_delay_ms,
                    },
                    out,
                );
                if self.initial_delay_ms > 0 {
                    let until = now + self.initial_delay_ms;
                    self.initial_delay_until = Some(until);
                    out.push(Out::Timer {
                        at_ms: until,
                        timer: GroupTimer::InitialDelay { epoch: self.epoch },
                    });
                }
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.start_rebalance(now, RebalanceReason::MemberJoined { member: id }, out);
            }
            GroupState::PreparingRebalance => {
                // C3: a new member during the initial delay extends it, up to the rebalance timeout.
                if let Some(until) = self.initial_delay_until
                    && member.is_none()
                {
                    let cap = self.rebalance_started_ms + self.max_rebalance_timeout();
                    let new_until = (now + self.initial_delay_ms).min(cap).max(until);
                    if new_until > until {
                        self.initial_delay_until = Some(new_until);
                        out.push(Out::Timer {
                            at_ms: new_until,
                            timer: GroupTimer::InitialDelay { epoch: self.epoch },
                        });
                    }
                }
            }
        }
        self.try_complete_join(now, out);
    }

    fn try_complete_join(&mut self, now: Ms, out: &mut Vec<Out>) {
        if self.state == GroupState::PreparingRebalance
            && self.initial_delay_until.is_none()
            && self.members.iter().all(|m| m.awaiting_join)
        {
            self.complete_join(now, out);
        }
    }

    /// C2: members that did not rejoin are removed; the rest form the next generation.
    fn complete_join(&mut self, now: Ms, out: &mut Vec<Out>) {
        let (kept, removed): (Vec<Member>, Vec<Member>) = std::mem::take(&mut self.members)
            .into_iter()
            .partition(|m| m.awaiting_join);
        for m in removed {
            out.push(Out::Trace {
                consumer: Some(m.consumer),
                kind: EventKind::MemberLeft { member: m.id },
            });
        }
        self.members = kept;
        self.generation += 1;
        self.initial_delay_until = None;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader = None;
            return;
        }
        self.state = GroupState::CompletingRebalance;
        self.leader = self.members.first().map(|m| m.id);
        self.assign();
        out.push(Out::Trace {
            consumer: None,
            kind: EventKind::GenerationStarted {
                generation: self.generation,
                members: self.members.iter().map(|m| m.id).collect(),
            },
        });
        for m in &mut self.members {
            m.awaiting_join = false;
            // The join answer restarts the member's session clock.
            m.last_heartbeat_ms = now;
            out.push(Out::Respond {
                consumer: m.consumer,
                incarnation: m.incarnation,
                resp: Response::Join(Ok((m.id, self.generation))),
            });
        }
    }

    /// The leader's assignor, run here since its result is deterministic. Members are ordered
    /// by member id, as Kafka's assignors sort them.
    fn assign(&mut self) {
        let partitions = self.committed.len() as u32;
        let mut order: Vec<usize> = (0..self.members.len()).collect();
        order.sort_by_key(|&i| self.members[i].id);
        let n = order.len() as u32;
        let prev: Vec<Vec<u32>> = self
            .members
            .iter()
            .map(|m| m.assignment.iter().map(|p| p.0).collect())
            .collect();
        let mut assigned: Vec<Vec<u32>> = vec![Vec::new(); self.members.len()];
        match self.strategy {
            AssignmentStrategy::Range => {
                let per = partitions / n;
                let extra = partitions % n;
                let mut next = 0;
                for (rank, &i) in order.iter().enumerate() {
                    let count = per + u32::from((rank as u32) < extra);
                    assigned[i] = (next..next + count).collect();
                    next += count;
                }
            }
            AssignmentStrategy::RoundRobin => {
                for p in 0..partitions {
                    let i = order[(p % n) as usize];
                    assigned[i].push(p);
                }
            }
            AssignmentStrategy::CooperativeSticky => {
                // Sticky: members keep what they had as far as balance allows; the rest is
                // spread over the members with the fewest partitions.
                let quota_hi = partitions.div_ceil(n) as usize;
                let mut owned = vec![false; partitions as usize];
                for &i in &order {
                    let keep: Vec<u32> = prev[i]
                        .iter()
                        .copied()
                        .filter(|p| (*p as usize) < owned.len() && !owned[*p as usize])
                        .take(quota_hi)
                        .collect();
                    for p in &keep {
                        owned[*p as usize] = true;
                    }
                    assigned[i] = keep;
                }
                // Trim members above the balanced share so that everyone gets at least floor.
                let quota_lo = (partitions / n) as usize;
                let mut free: Vec<u32> = (0..partitions).filter(|p| !owned[*p as usize]).collect();
                let mut over_cap = partitions as usize % n as usize;
                for &i in &order {
                    let cap = if over_cap > 0 && assigned[i].len() > quota_lo {
                        over_cap -= 1;
                        quota_hi
                    } else {
                        quota_lo
                    };
                    while assigned[i].len() > cap {
                        if let Some(p) = assigned[i].pop() {
                            free.push(p);
                        }
                    }
                }
                free.sort_unstable();
                for p in free {
                    let &i = order
                        .iter()
                        .min_by_key(|&&i| (assigned[i].len(), self.members[i].id))
                        .unwrap_or(&0);
                    assigned[i].push(p);
                }
                // KIP-429: a partition that changes owner is first revoked by its old owner;
                // only the next rebalance (after the old owner rejoins) gives it away.
                for (i, m) in assigned.iter_mut().enumerate() {
                    m.retain(|p| {
                        !prev
                            .iter()
                            .enumerate()
                            .any(|(j, owned)| j != i && owned.contains(p))
                    });
                    m.sort_unstable();
                }
            }
        }
        for (m, a) in self.members.iter_mut().zip(assigned) {
            m.assignment = a.into_iter().map(Partition).collect();
        }
    }

    /// SyncGroup. The leader's SyncGroup makes the group Stable; every member gets its
    /// assignment once the group is Stable.
    pub fn on_sync(
        &mut self,
        member: u32,
        generation: i32,
        consumer: usize,
        incarnation: u32,
        out: &mut Vec<Out>,
    ) {
        if self.member(member).is_none() {
            out.push(Out::Respond {
                consumer,
                incarnation,
                resp: Response::Sync(Err(KafkaError::UnknownMemberId)),
            });
            return;
        }
        let err = if generation != self.generation {
            Some(KafkaError::IllegalGeneration)
        } else if self.state == GroupState::PreparingRebalance {
            Some(KafkaError::RebalanceInProgress)
        } else {
            None
        };
        if let Some(e) = err {
            out.push(Out::Respond {
                consumer,
                incarnation,
                resp: Response::Sync(Err(e)),
            });
            return;
        }
        if let Some(m) = self.member_mut(member) {
            m.awaiting_sync = true;
        }
        if self.state == GroupState::CompletingRebalance && self.leader == Some(member) {
            self.state = GroupState::Stable;
            out.push(Out::Trace {
                consumer: None,
                kind: EventKind::GroupStable {
                    generation: self.generation,
                },
            });
        }
        if self.state == GroupState::Stable {
            let generation = self.generation;
            for m in &mut self.members {
                if m.awaiting_sync {
                    m.awaiting_sync = false;
                    out.push(Out::Respond {
                        consumer: m.consumer,
                        incarnation: m.incarnation,
                        resp: Response::Sync(Ok((generation, m.assignment.clone()))),
                    });
                }
            }
        }
    }

    /// Heartbeat: keeps the session alive and tells a member about a rebalance.
    pub fn on_heartbeat(&mut self, now: Ms, member: u32, generation: i32) -> Option<KafkaError> {
        let state = self.state;
        let current = self.generation;
        let Some(m) = self.member_mut(member) else {
            return Some(KafkaError::UnknownMemberId);
        };
        m.last_heartbeat_ms = now;
        if state == GroupState::PreparingRebalance {
            Some(KafkaError::RebalanceInProgress)
        } else if generation != current {
            Some(KafkaError::IllegalGeneration)
        } else {
            None
        }
    }

    /// C4: LeaveGroup removes the member at once and rebalances the rest.
    pub fn on_leave(&mut self, now: Ms, member: u32, out: &mut Vec<Out>) {
        let Some(pos) = self.members.iter().position(|m| m.id == member) else {
            return;
        };
        let m = self.members.remove(pos);
        out.push(Out::Trace {
            consumer: Some(m.consumer),
            kind: EventKind::MemberLeft { member },
        });
        self.after_removal(now, RebalanceReason::MemberLeft { member }, out);
    }

    fn after_removal(&mut self, now: Ms, reason: RebalanceReason, out: &mut Vec<Out>) {
        if self.members.is_empty() {
            if self.state != GroupState::Empty {
                self.generation += 1;
            }
            self.state = GroupState::Empty;
            self.leader = None;
            self.initial_delay_until = None;
            self.epoch += 1;
            return;
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.start_rebalance(now, reason, out)
            }
            GroupState::PreparingRebalance => self.try_complete_join(now, out),
            GroupState::Empty => {}
        }
    }

    pub fn on_timer(&mut self, now: Ms, timer: GroupTimer, out: &mut Vec<Out>) {
        match timer {
            GroupTimer::InitialDelay { epoch } => {
                if epoch == self.epoch && self.initial_delay_until == Some(now) {
                    self.initial_delay_until = None;
                    self.try_complete_join(now, out);
                }
            }
            GroupTimer::RebalanceTimeout { epoch } => {
                if epoch == self.epoch && self.state == GroupState::PreparingRebalance {
                    self.initial_delay_until = None;
                    self.complete_join(now, out);
                }
            }
            GroupTimer::Session { member } => {
                let state = self.state;
                let Some(m) = self.member(member) else { return };
                // A member waiting for its JoinGroup answer is kept alive.
                let deadline = m.last_heartbeat_ms + m.session_timeout_ms;
                if m.awaiting_join && state == GroupState::PreparingRebalance {
                    out.push(Out::Timer {
                        at_ms: now + m.session_timeout_ms,
                        timer,
                    });
                } else if deadline > now {
                    out.push(Out::Timer {
                        at_ms: deadline,
                        timer,
                    });
                } else {
                    // C2: expired.
                    let consumer = m.consumer;
                    self.members.retain(|m| m.id != member);
                    out.push(Out::Trace {
                        consumer: Some(consumer),
                        kind: EventKind::SessionExpired { member },
                    });
                    self.after_removal(now, RebalanceReason::SessionExpired { member }, out);
                }
            }
        }
    }

    /// C1: OffsetCommit validation, then the write (a later write wins; no ownership check).
    pub fn on_commit(
        &mut self,
        member: Option<u32>,
        generation: i32,
        offsets: &[(Partition, Offset)],
    ) -> Result<(), KafkaError> {
        let known = member.and_then(|id| self.member(id)).is_some();
        if generation < 0 && member.is_none() && self.state == GroupState::Empty {
            // C1.2: a stand-alone commit into an empty group.
        } else if generation >= 0 || member.is_some() {
            if !known {
                return Err(KafkaError::UnknownMemberId); // C1.3
            }
            if generation != self.generation {
                return Err(KafkaError::IllegalGeneration); // C1.3
            }
            if self.state == GroupState::CompletingRebalance {
                return Err(KafkaError::RebalanceInProgress); // C1.5
            }
            // C1.6: accepted in PreparingRebalance.
        } else {
            return Err(KafkaError::UnknownMemberId); // C1.4
        }
        for &(p, o) in offsets {
            if let Some(slot) = self.committed.get_mut(p.ix()) {
                *slot = o; // C1.7: no ownership check
            }
        }
        Ok(())
    }

    pub fn committed_offsets(&self, partitions: &[Partition]) -> Offsets {
        partitions
            .iter()
            .map(|&p| {
                (
                    p,
                    self.committed
                        .get(p.ix())
                        .copied()
                        .unwrap_or(INVALID_OFFSET),
                )
            })
            .collect()
    }
}
