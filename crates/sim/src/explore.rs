//! The phase explorer: the Step 1 result depends on where the auto-commit timer is in its cycle
//! when `poll()` returns the payment (B5, F.1). This runs a scenario again with the first
//! payment produced at every point of one auto-commit interval and reports each verdict.

use serde::Serialize;

use crate::Ms;
use crate::outcome::Verdict;
use crate::scenario::Scenario;
use crate::timeline::Timeline;
use crate::trace::EventKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhasePoint {
    /// When the first payment was produced.
    pub produced_ms: Ms,
    /// When `poll()` returned it (t_r), if it did.
    pub polled_ms: Option<Ms>,
    /// `(t_r − t0) mod auto.commit.interval.ms`: the timer's phase at t_r.
    pub phase_ms: Option<Ms>,
    pub verdict: Verdict,
}

/// Runs `base` with the first payment produced at `base.topic.payments.start_ms + k·step_ms`
/// for every k that stays within one auto-commit interval of the first consumer. At most 200
/// runs; an invalid variation is skipped.
pub fn phase_sweep(base: &Scenario, step_ms: u64) -> Vec<PhasePoint> {
    let Some(first) = base.consumers.first() else {
        return vec![];
    };
    let interval = first.config.auto_commit_interval_ms.max(1);
    let t0 = first.start_ms;
    let step = step_ms.max(interval / 200).max(1);
    let mut points = Vec::new();
    let mut offset = 0;
    while offset < interval {
        let mut s = base.clone();
        s.topic.payments.start_ms = base.topic.payments.start_ms + offset;
        if let Ok(tl) = Timeline::new(s) {
            let polled_ms = tl
                .events
                .iter()
                .find(
                    |e| matches!(&e.kind, EventKind::Polled { payments } if payments.contains(&0)),
                )
                .map(|e| e.at_ms);
            let verdict = tl
                .final_world
                .outcomes()
                .first()
                .map_or(Verdict::Pending, |o| o.outcome);
            points.push(PhasePoint {
                produced_ms: base.topic.payments.start_ms + offset,
                polled_ms,
                phase_ms: polled_ms.map(|t| t.saturating_sub(t0) % interval),
                verdict,
            });
        }
        offset += step;
    }
    points
}
