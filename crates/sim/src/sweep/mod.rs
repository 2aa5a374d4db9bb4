//! Many runs of one scenario, varied: the one mechanism behind the Step 1 phase explorer
//! ([`phase`]), sweeps of a setting and the built-in experiments ([`grid`], [`experiments`]),
//! and "prove it", every single crash a program can meet ([`prove`]).
//!
//! A [`Batch`] runs its variants a few at a time ([`Batch::advance`]), so that a caller can
//! show progress and stop between two runs (a page's worker, a CLI); every run is summarized
//! in a [`RunResult`], which keeps what a chart or a matrix shows and where to open the run.

use crate::Ms;
use crate::moments::{MomentKind, moments};
use crate::outcome::{Metrics, Summary, Verdict};
use crate::scenario::Scenario;
use crate::timeline::Timeline;

pub mod experiments;
pub mod grid;
pub mod phase;
pub mod prove;

/// One run of a variant, summarized.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// `Err`: the variant is not a valid scenario (the reason).
    pub outcome: Result<RunOutcome, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    pub summary: Summary,
    pub metrics: Metrics,
    /// Every payment's verdict at the end, in payment order.
    pub verdicts: Vec<Verdict>,
    /// The event that decided the outcome — the first key moment behind a loss or a duplicate
    /// — where a view opens the run; `None` for a clean run.
    pub decisive_event: Option<usize>,
    /// Its time.
    pub decisive_ms: Option<Ms>,
    /// When `poll()` first returned payment P-0001 (the phase explorer's t_r).
    pub first_poll_ms: Option<Ms>,
    pub steps: u32,
}

impl RunResult {
    /// Runs a scenario and summarizes it.
    pub fn of(scenario: Scenario) -> RunResult {
        let tl = match Timeline::new(scenario) {
            Ok(tl) => tl,
            Err(e) => {
                return RunResult {
                    outcome: Err(e.to_string()),
                };
            }
        };
        RunResult {
            outcome: Ok(RunOutcome::of(&tl)),
        }
    }

    pub fn lost(&self) -> usize {
        self.outcome.as_ref().map_or(0, |o| o.lost().count())
    }

    pub fn duplicated(&self) -> usize {
        self.outcome.as_ref().map_or(0, |o| o.duplicated().count())
    }
}

impl RunOutcome {
    /// The payments lost (indices).
    pub fn lost(&self) -> impl Iterator<Item = u32> + '_ {
        self.with(Verdict::Lost)
    }

    /// The payments applied more than once (indices).
    pub fn duplicated(&self) -> impl Iterator<Item = u32> + '_ {
        self.with(Verdict::Duplicated)
    }

    /// The payments skipped on purpose (indices).
    pub fn skipped(&self) -> impl Iterator<Item = u32> + '_ {
        self.with(Verdict::Skipped)
    }

    /// The payments parked in the dead-letter topic (indices).
    pub fn dead_lettered(&self) -> impl Iterator<Item = u32> + '_ {
        self.with(Verdict::DeadLettered)
    }

    /// The payments still unprocessed at the end of the run (indices): a stalled partition when
    /// the run was long enough to handle them.
    pub fn pending(&self) -> impl Iterator<Item = u32> + '_ {
        self.with(Verdict::Pending)
    }

    fn with(&self, verdict: Verdict) -> impl Iterator<Item = u32> + '_ {
        self.verdicts
            .iter()
            .enumerate()
            .filter(move |(_, v)| **v == verdict)
            .map(|(i, _)| i as u32)
    }

    pub fn of(tl: &Timeline) -> RunOutcome {
        let w = &tl.final_world;
        let verdicts: Vec<Verdict> = w.outcomes().iter().map(|o| o.outcome).collect();
        let bad = verdicts
            .iter()
            .any(|v| matches!(v, Verdict::Lost | Verdict::Duplicated));
        // A loss is decided when the committed offset passes the payment (moment 1) or a
        // consumer resumes past it; a duplicate when it is applied again.
        let decisive = bad
            .then(|| {
                moments(tl).into_iter().find(|m| {
                    matches!(
                        m.kind,
                        MomentKind::AtRisk
                            | MomentKind::CloseCommits
                            | MomentKind::Resumed
                            | MomentKind::Duplicate
                    )
                })
            })
            .flatten();
        RunOutcome {
            summary: w.summary(),
            metrics: Metrics::new(&tl.events, &w.log, tl.scenario.broker.rtt_ms),
            verdicts,
            decisive_event: decisive.map(|m| m.ix),
            decisive_ms: decisive.map(|m| tl.events[m.ix].at_ms),
            first_poll_ms: tl
                .events
                .iter()
                .find(|e| {
                    matches!(&e.kind, crate::trace::EventKind::Polled { payments } if payments.contains(&0))
                })
                .map(|e| e.at_ms),
            steps: w.steps,
        }
    }
}

/// Variants of a scenario, run a few at a time.
#[derive(Clone, Debug)]
pub struct Batch {
    variants: Vec<Scenario>,
    results: Vec<RunResult>,
}

impl Batch {
    pub fn new(variants: Vec<Scenario>) -> Batch {
        Batch {
            results: Vec::with_capacity(variants.len()),
            variants,
        }
    }

    pub fn len(&self) -> usize {
        self.variants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }

    /// Runs done so far.
    pub fn done(&self) -> usize {
        self.results.len()
    }

    pub fn is_done(&self) -> bool {
        self.results.len() == self.variants.len()
    }

    /// Runs the next variants until about `max_steps` simulation steps have been spent (at
    /// least one run, unless all are done). A caller shows progress and checks for a cancel
    /// between two calls.
    pub fn advance(&mut self, max_steps: u64) {
        let mut spent = 0u64;
        while !self.is_done() && (spent == 0 || spent < max_steps) {
            let result = RunResult::of(self.variants[self.results.len()].clone());
            spent += result.outcome.as_ref().map_or(1, |o| o.steps.max(1) as u64);
            self.results.push(result);
        }
    }

    /// Runs everything, about `slice_steps` simulation steps between two calls of
    /// `progress(done, total)`; its `false` stops the batch (and this returns `false`).
    pub fn run_in_slices(
        &mut self,
        slice_steps: u64,
        mut progress: impl FnMut(usize, usize) -> bool,
    ) -> bool {
        while !self.is_done() {
            self.advance(slice_steps);
            if !progress(self.done(), self.len()) {
                return self.is_done();
            }
        }
        true
    }

    /// Runs everything at once (native callers and tests).
    pub fn run(&mut self, progress: impl FnMut(usize, usize) -> bool) -> bool {
        self.run_in_slices(200_000, progress)
    }

    pub fn variant(&self, i: usize) -> Option<&Scenario> {
        self.variants.get(i)
    }

    pub fn results(&self) -> &[RunResult] {
        &self.results
    }
}
