//! The phase explorer (F.1): the same Step 1 run again with the payment arriving at every point
//! of one auto-commit cycle, each verdict placed where in the cycle `poll()` returned it. It
//! shows that the loss depends on the timer's phase, not on 2 < 5.

use serde::{Deserialize, Serialize};

use offset_lab_sim::sweep::phase::{PhasePoint, phase_sweep};
use offset_lab_sim::{Ms, Scenario, Verdict};

use super::dur;

/// Distance between two runs of the sweep.
pub const STEP_MS: u64 = 100;

/// One run of the sweep, as drawn: where in the cycle `poll()` returned the payment, when the
/// payment was produced (a click runs that one), and whether it was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slice {
    pub phase_ms: Ms,
    pub produced_ms: Ms,
    pub lost: bool,
    /// The verdict in words, for the slice's tooltip.
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseVm {
    /// The auto-commit interval: the width of the strip.
    pub interval_ms: Ms,
    pub step_ms: Ms,
    pub slices: Vec<Slice>,
    pub summary: String,
}

/// The scenario without the payment's production time: sweeps of scenarios that differ only
/// there are the same sweep.
pub fn sweep_key(sc: &Scenario) -> Scenario {
    let mut k = sc.clone();
    k.topic.payments.start_ms = 0;
    k
}

/// The auto-commit interval the explorer sweeps over, if the scenario has a consumer.
pub fn interval(sc: &Scenario) -> Option<Ms> {
    sc.consumers
        .first()
        .map(|c| c.config.auto_commit_interval_ms.max(1))
}

/// Runs the sweep of `sc` (a run every [`STEP_MS`] over one auto-commit cycle).
pub fn explore(sc: &Scenario) -> Option<PhaseVm> {
    let interval_ms = interval(sc)?;
    let points = phase_sweep(sc, STEP_MS);
    Some(PhaseVm {
        interval_ms,
        step_ms: STEP_MS,
        summary: summary(&points, interval_ms),
        slices: points
            .iter()
            .filter_map(|p| {
                Some(Slice {
                    phase_ms: p.phase_ms?,
                    produced_ms: p.produced_ms,
                    lost: p.verdict == Verdict::Lost,
                    verdict: p.verdict,
                })
            })
            .collect(),
    })
}

/// "lost in 40 % of the cycle, when poll() returns it 3.0 s to 5.0 s into it".
pub fn summary(points: &[PhasePoint], interval: Ms) -> String {
    let with_phase: Vec<(Ms, Verdict)> = points
        .iter()
        .filter_map(|p| p.phase_ms.map(|ph| (ph, p.verdict)))
        .collect();
    if with_phase.is_empty() {
        return "poll() never returned the payment in these runs.".to_string();
    }
    let lost: Vec<Ms> = with_phase
        .iter()
        .filter(|(_, v)| *v == Verdict::Lost)
        .map(|(ph, _)| *ph)
        .collect();
    let pct = lost.len() * 100 / with_phase.len();
    match (lost.iter().min(), lost.iter().max()) {
        _ if lost.is_empty() => format!(
            "Never lost, wherever in the {} cycle poll() returns it.",
            dur(interval)
        ),
        _ if lost.len() == with_phase.len() => format!(
            "Lost in every run: any processing window this long contains a tick of the {} timer.",
            dur(interval)
        ),
        (Some(lo), Some(hi)) => format!(
            "Lost in {pct} % of the cycle: when poll() returns it between {} and {} after a tick, \
             the next tick falls inside the processing.",
            dur(*lo),
            dur(*hi + STEP_MS.min(interval))
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep2_is_lost_for_part_of_the_cycle_and_sleep7_always() {
        // F.1: with S = 2 s the loss depends on the phase; with S = 7 s it never does.
        let s2 = offset_lab_sim::preset("step1-phase-explorer").unwrap();
        let pts = phase_sweep(&s2, 250);
        let text = summary(&pts, 5000);
        assert!(
            text.starts_with("Lost in 40 %") || text.starts_with("Lost in 4"),
            "{text}"
        );
        let s7 = offset_lab_sim::preset("step1-autocommit-sleep7").unwrap();
        assert!(summary(&phase_sweep(&s7, 500), 5000).starts_with("Lost in every run"));
    }

    #[test]
    fn the_explorer_draws_every_run_that_polled() {
        let s2 = offset_lab_sim::preset("step1-phase-explorer").unwrap();
        let vm = explore(&s2).unwrap();
        assert_eq!(vm.interval_ms, 5000);
        assert!(vm.slices.len() >= 40, "{}", vm.slices.len());
        assert!(vm.slices.iter().any(|s| s.lost) && vm.slices.iter().any(|s| !s.lost));
    }
}
