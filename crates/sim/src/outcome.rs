//! Verdicts: for every payment, how many times its effect was applied and what that means.

use serde::Serialize;

use crate::Ms;
use crate::group::INVALID_OFFSET;
use crate::ids::{Offset, Partition};
use crate::log::Log;
use crate::trace::{EventKind, TraceEvent, trace_hash};
use crate::world::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// Never applied on purpose: the program logged it and skipped it.
    Skipped,
    /// Never applied; parked in the dead-letter topic.
    DeadLettered,
}

/// What a payment looks like at one instant, for the log view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    Skipped,
    DeadLettered,
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
            CellState::Skipped => "skipped",
            CellState::DeadLettered => "dead-lettered",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub once: u32,
    pub duplicated: u32,
    pub lost: u32,
    pub pending: u32,
    #[serde(default)]
    pub skipped: u32,
    #[serde(default)]
    pub dead_lettered: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentOutcome {
    pub id: String,
    pub partition: Partition,
    pub offset: Offset,
    pub applied: u32,
    /// How many times processing completed and handed it to the sink (more than `applied`
    /// when an idempotent sink or the database ignored a redelivery).
    pub deliveries: u32,
    pub outcome: Verdict,
}

impl World {
    /// The offset a restarted consumer would resume at for `partition` (A1): with the database
    /// sink, the offset stored with the results; for a partition without a row there, the
    /// group's committed offset (B9, E4).
    pub fn resume_offset(&self, partition: Partition) -> Offset {
        let committed = self
            .group
            .committed
            .get(partition.ix())
            .copied()
            .unwrap_or(INVALID_OFFSET);
        if self.scenario.sink.kind == crate::scenario::SinkKind::Database {
            match self.sink.db_offsets.get(partition.ix()) {
                Some(&db) if db.is_valid() => db,
                _ => committed,
            }
        } else {
            committed
        }
    }

    /// Which live consumer holds the payment, and whether it is processing it right now.
    pub fn holder(&self, payment: u32) -> Option<(usize, bool)> {
        for (c, con) in self.consumers.iter().enumerate() {
            let Some(cl) = &con.client else { continue };
            for (i, (p, _)) in cl.app.batch.iter().enumerate().skip(cl.app.msg_ix) {
                if *p == payment {
                    let processing = i == cl.app.msg_ix
                        && matches!(cl.app.state, crate::client::ProgramState::Processing { payment: q, .. } if q == payment);
                    return Some((c, processing));
                }
            }
        }
        None
    }

    /// The state of every payment at this instant, in payment order.
    pub fn cell_states(&self) -> Vec<CellState> {
        let n = self.log.payments.len();
        let mut held: Vec<Option<bool>> = vec![None; n];
        let mut dead: Vec<bool> = vec![false; n];
        for d in &self.sink.dead_letters {
            dead[d.payment as usize] = true;
        }
        for con in &self.consumers {
            let Some(cl) = &con.client else { continue };
            for (i, (p, _)) in cl.app.batch.iter().enumerate().skip(cl.app.msg_ix) {
                let processing = i == cl.app.msg_ix
                    && matches!(cl.app.state, crate::client::ProgramState::Processing { .. });
                held[*p as usize] = Some(processing);
            }
        }
        self.log
            .payments
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let applied = self.sink.applied[i];
                let resume = self.resume_offset(p.partition);
                let committed_past = p.offset < resume;
                if applied >= 2 {
                    CellState::AppliedMany
                } else if applied == 1 {
                    CellState::AppliedOnce
                } else if dead[i] {
                    CellState::DeadLettered
                } else if self.sink.skipped[i] {
                    CellState::Skipped
                } else if let Some(processing) = held[i] {
                    if self.is_at_risk(i as u32, resume) {
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
                applied: self.sink.applied[i],
                deliveries: self.sink.deliveries[i],
                outcome: match state {
                    CellState::AppliedOnce => Verdict::Once,
                    CellState::AppliedMany => Verdict::Duplicated,
                    CellState::Lost => Verdict::Lost,
                    CellState::Skipped => Verdict::Skipped,
                    CellState::DeadLettered => Verdict::DeadLettered,
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
                Verdict::Skipped => s.skipped += 1,
                Verdict::DeadLettered => s.dead_lettered += 1,
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommittedOffset {
    pub partition: Partition,
    /// -1001 (INVALID) when nothing was committed.
    pub offset: Offset,
}

/// What a run cost: commits, time blocked in them, how fast payments went through and how
/// long each waited.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Commit requests sent (retries and transactions included), by anyone.
    pub commits_sent: u32,
    /// Of those, the auto-commits (B5, D2).
    pub auto_commits: u32,
    pub commits_failed: u32,
    /// Effects applied (duplicates included).
    pub applications: u32,
    /// From the first poll that returned a payment to the last effect, at least 1 ms (the
    /// resolution of simulated time) once anything was applied: work done within one
    /// millisecond still took some time.
    pub busy_ms: Ms,
    /// Throughput: applications (duplicates included) per simulated second over `busy_ms`.
    pub payments_per_s: f64,
    /// Time programs spent blocked in synchronous `commit()` calls, until the answer came.
    pub sync_commit_wait_ms: Ms,
    /// When the last effect was applied.
    pub last_effect_ms: Option<Ms>,
    /// End-to-end latency, from a payment's production to its first effect: the mean and the
    /// largest, over the payments applied.
    pub latency_mean_ms: Ms,
    pub latency_max_ms: Ms,
}

impl Metrics {
    /// The metrics of `events`, the first events of a run of a scenario with this log and round
    /// trip.
    pub fn new(events: &[TraceEvent], log: &Log, rtt_ms: u64) -> Metrics {
        let mut m = Metrics::default();
        let mut first: Option<Ms> = None;
        let mut last: Ms = 0;
        let mut sync_sent: Vec<(u32, Ms)> = Vec::new();
        let (mut latency_sum, mut latency_n) = (0u64, 0u64);
        for e in events {
            match &e.kind {
                EventKind::CommitSent {
                    id, source, sync, ..
                } => {
                    m.commits_sent += 1;
                    match source {
                        crate::trace::CommitSource::Auto => m.auto_commits += 1,
                        crate::trace::CommitSource::Manual if *sync => {
                            sync_sent.push((*id, e.at_ms))
                        }
                        _ => {}
                    }
                }
                EventKind::TransactionCommitted { .. } => m.commits_sent += 1,
                EventKind::CommitRejected { id, .. } | EventKind::CommitApplied { id, .. } => {
                    if matches!(e.kind, EventKind::CommitRejected { .. }) {
                        m.commits_failed += 1;
                    }
                    if let Some(k) = sync_sent.iter().position(|(i, _)| i == id) {
                        let (_, at) = sync_sent.swap_remove(k);
                        // The answer reaches the client half a round trip after the broker.
                        m.sync_commit_wait_ms += e.at_ms.saturating_sub(at) + (rtt_ms - rtt_ms / 2);
                    }
                }
                EventKind::CommitRefused { .. } => m.commits_failed += 1,
                EventKind::Polled { .. } if first.is_none() => first = Some(e.at_ms),
                EventKind::EffectApplied { payment, count } => {
                    m.applications += 1;
                    last = e.at_ms;
                    m.last_effect_ms = Some(e.at_ms);
                    if *count == 1
                        && let Some(p) = log.payments.get(*payment as usize)
                    {
                        let latency = e.at_ms.saturating_sub(p.produced_at_ms);
                        latency_sum += latency;
                        latency_n += 1;
                        m.latency_max_ms = m.latency_max_ms.max(latency);
                    }
                }
                _ => {}
            }
        }
        m.latency_mean_ms = latency_sum.checked_div(latency_n).unwrap_or(0);
        if let Some(f) = first {
            m.busy_ms = last.saturating_sub(f);
            if m.applications > 0 {
                m.busy_ms = m.busy_ms.max(1);
            }
            // Rounded to 0.01 through integers, so every platform prints the same digits.
            if let Some(centi) = (m.applications as u64 * 100_000).checked_div(m.busy_ms) {
                m.payments_per_s = centi as f64 / 100.0;
            }
        }
        m
    }

    /// Commit requests per payment applied, in thousandths (an integer, for exact output).
    pub fn commits_per_1000_payments(&self) -> u64 {
        (self.commits_sent as u64 * 1000)
            .checked_div(self.applications as u64)
            .unwrap_or(0)
    }
}

/// The report the CLI prints with `--json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub client: crate::scenario::ClientModel,
    pub end_ms: Ms,
    pub events: usize,
    /// FNV-1a of the golden-trace lines, as 16 hex digits.
    pub trace_hash: String,
    pub summary: Summary,
    pub metrics: Metrics,
    pub committed: Vec<CommittedOffset>,
    pub payments: Vec<PaymentOutcome>,
    /// The run stopped at this simulated time because it reached the step limit, before
    /// `duration_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_short_at_ms: Option<Ms>,
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
            metrics: Metrics::new(events, &world.log, world.scenario.broker.rtt_ms),
            committed: (0..world.log.partition_count())
                .map(|p| CommittedOffset {
                    partition: Partition(p),
                    offset: world.resume_offset(Partition(p)),
                })
                .collect(),
            payments: world.outcomes(),
            cut_short_at_ms: None,
        }
    }
}
