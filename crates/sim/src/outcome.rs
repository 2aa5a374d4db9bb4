//! Verdicts: for every payment, how many times its effect was applied and what that means.

use serde::Serialize;

use crate::Ms;
use crate::group::INVALID_OFFSET;
use crate::trace::{TraceEvent, trace_hash};
use crate::world::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Applied exactly once.
    Once,
    /// Applied two or more times.
    Duplicated,
    /// Never applied, and the committed offset moved past it: nothing will ever apply it.
    Lost,
    /// Not applied yet, and still ahead of the committed offset (or still being worked on).
    Pending,
}

/// What a payment looks like at one instant, for the log view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Not produced yet.
    NotProduced,
    /// In the log, not handed to any application yet.
    NotFetched,
    /// Returned by `poll()`, waiting in the application's batch.
    Delivered,
    Processing,
    /// Held by an application, unapplied, and the committed offset is already past it.
    AtRisk,
    AppliedOnce,
    AppliedMany,
    Lost,
}

impl CellState {
    pub fn label(self) -> &'static str {
        match self {
            CellState::NotProduced => "not produced",
            CellState::NotFetched => "not fetched",
            CellState::Delivered => "delivered",
            CellState::Processing => "processing",
            CellState::AtRisk => "at risk",
            CellState::AppliedOnce => "applied once",
            CellState::AppliedMany => "applied twice or more",
            CellState::Lost => "lost",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub once: u32,
    pub duplicated: u32,
    pub lost: u32,
    pub pending: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentOutcome {
    pub id: String,
    pub partition: u32,
    pub offset: i64,
    pub applied: u32,
    pub outcome: Verdict,
}

impl World {
    /// The offset a restarted consumer would resume at for `partition` (A1).
    pub fn resume_offset(&self, partition: u32) -> i64 {
        self.group.committed.get(partition as usize).copied().unwrap_or(INVALID_OFFSET)
    }

    /// Which live consumer holds the payment, and whether it is processing it right now.
    pub fn holder(&self, payment: u32) -> Option<(usize, bool)> {
        for (c, con) in self.consumers.iter().enumerate() {
            let Some(cl) = &con.client else { continue };
            for (i, (p, _)) in cl.app.batch.iter().enumerate().skip(cl.app.msg_ix) {
                if *p == payment {
                    let processing = i == cl.app.msg_ix
                        && matches!(cl.app.state, crate::client::AppState::Processing { payment: q, .. } if q == payment);
                    return Some((c, processing));
                }
            }
        }
        None
    }

    /// The state of every payment at this instant, in payment order.
    pub fn cell_states(&self) -> Vec<CellState> {
        let mut held: Vec<Option<bool>> = vec![None; self.applied.len()];
        for con in &self.consumers {
            let Some(cl) = &con.client else { continue };
            for (i, (p, _)) in cl.app.batch.iter().enumerate().skip(cl.app.msg_ix) {
                let processing = i == cl.app.msg_ix && matches!(cl.app.state, crate::client::AppState::Processing { .. });
                held[*p as usize] = Some(processing);
            }
        }
        self.log
            .payments
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let applied = self.applied[i];
                let committed_past = p.offset < self.resume_offset(p.partition);
                if applied >= 2 {
                    CellState::AppliedMany
                } else if applied == 1 {
                    CellState::AppliedOnce
                } else if let Some(processing) = held[i] {
                    if committed_past {
                        CellState::AtRisk
                    } else if processing {
                        CellState::Processing
                    } else {
                        CellState::Delivered
                    }
                } else if committed_past {
                    CellState::Lost
                } else if p.produced_at_ms > self.now {
                    CellState::NotProduced
                } else {
                    CellState::NotFetched
                }
            })
            .collect()
    }

    /// The verdict of every payment at this instant (final at the end of the run).
    pub fn outcomes(&self) -> Vec<PaymentOutcome> {
        self.cell_states()
            .into_iter()
            .zip(&self.log.payments)
            .enumerate()
            .map(|(i, (state, p))| PaymentOutcome {
                id: p.id(),
                partition: p.partition,
                offset: p.offset,
                applied: self.applied[i],
                outcome: match state {
                    CellState::AppliedOnce => Verdict::Once,
                    CellState::AppliedMany => Verdict::Duplicated,
                    CellState::Lost => Verdict::Lost,
                    _ => Verdict::Pending,
                },
            })
            .collect()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in self.outcomes() {
            match o.outcome {
                Verdict::Once => s.once += 1,
                Verdict::Duplicated => s.duplicated += 1,
                Verdict::Lost => s.lost += 1,
                Verdict::Pending => s.pending += 1,
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommittedOffset {
    pub partition: u32,
    /// -1001 (INVALID) when nothing was committed.
    pub offset: i64,
}

/// The report the CLI prints with `--json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub client: crate::scenario::ClientModel,
    pub end_ms: Ms,
    pub events: usize,
    /// FNV-1a of the golden-trace lines, as 16 hex digits.
    pub trace_hash: String,
    pub summary: Summary,
    pub committed: Vec<CommittedOffset>,
    pub payments: Vec<PaymentOutcome>,
}

impl Report {
    pub fn new(world: &World, events: &[TraceEvent]) -> Report {
        Report {
            scenario: world.scenario.name.clone(),
            seed: world.scenario.seed,
            client: world.scenario.client,
            end_ms: world.now,
            events: events.len(),
            trace_hash: format!("{:016x}", trace_hash(events)),
            summary: world.summary(),
            committed: (0..world.log.partition_count())
                .map(|p| CommittedOffset { partition: p, offset: world.resume_offset(p) })
                .collect(),
            payments: world.outcomes(),
        }
    }
}
