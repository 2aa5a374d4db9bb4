//! The phase explorer: the Step 1 result depends on where the auto-commit timer is in its cycle
//! when `poll()` returns the payment (B5, F.1). This runs a scenario again with the first
//! payment produced at every point of one auto-commit interval and reports each verdict.

use serde::Serialize;

use crate::Ms;
use crate::outcome::Verdict;
use crate::scenario::Scenario;

use super::{Batch, RunResult};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PhasePoint {
    /// When the first payment was produced.
    pub produced_ms: Ms,
    /// When `poll()` returned it (t_r), if it did.
    pub polled_ms: Option<Ms>,
    /// `(t_r − t0) mod auto.commit.interval.ms`: the timer's phase at t_r.
    pub phase_ms: Option<Ms>,
    pub verdict: Verdict,
}

/// The variants: `base` with the first payment produced at `base.topic.payments.start_ms +
/// k·step_ms` for every k that stays within one auto-commit interval of the first consumer. At
/// most 200.
pub fn phase_variants(base: &Scenario, step_ms: u64) -> Vec<Scenario> {
    let Some(first) = base.consumers.first() else {
        return vec![];
    };
    let interval = first.config.auto_commit_interval_ms.max(1);
    let step = step_ms.max(interval / 200).max(1);
    (0..interval)
        .step_by(step as usize)
        .map(|offset| {
            let mut s = base.clone();
            s.topic.payments.start_ms = base.topic.payments.start_ms + offset;
            s
        })
        .collect()
}

/// The point of each variant that ran; an invalid variation is left out.
pub fn phase_points(
    base: &Scenario,
    variants: &[Scenario],
    results: &[RunResult],
) -> Vec<PhasePoint> {
    let Some(first) = base.consumers.first() else {
        return vec![];
    };
    let interval = first.config.auto_commit_interval_ms.max(1);
    let t0 = first.start_ms;
    variants
        .iter()
        .zip(results)
        .filter_map(|(s, r)| {
            let o = r.outcome.as_ref().ok()?;
            let verdict = o.verdicts.first().copied().unwrap_or(Verdict::Pending);
            Some(PhasePoint {
                produced_ms: s.topic.payments.start_ms,
                polled_ms: o.first_poll_ms,
                phase_ms: o.first_poll_ms.map(|t| t.saturating_sub(t0) % interval),
                verdict,
            })
        })
        .collect()
}

/// The whole sweep at once (native callers and tests; a page runs a [`Batch`] a few runs at a
/// time).
pub fn phase_sweep(base: &Scenario, step_ms: u64) -> Vec<PhasePoint> {
    let variants = phase_variants(base, step_ms);
    let mut batch = Batch::new(variants.clone());
    batch.run(|_, _| true);
    phase_points(base, &variants, batch.results())
}
