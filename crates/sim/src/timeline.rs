//! A whole run, computed once, that can be looked at from any instant: checkpoints every
//! `interval` steps, and replay from the nearest one (RaftScope's timeline, made
//! deterministic). Seeking back gives exactly the state a straight run reaches.

use std::sync::Arc;

use crate::Ms;
use crate::outcome::Report;
use crate::scenario::{Scenario, ScenarioError};
use crate::trace::{TraceEvent, trace_hash};
use crate::world::World;

/// Keep at most this many checkpoints; past it, the interval doubles.
const MAX_CHECKPOINTS: usize = 64;
const FIRST_INTERVAL: u32 = 256;
/// A hard bound on the steps of one run, so that no scenario can run forever. A valid scenario
/// never reaches it (its work is within [`crate::budget::STEP_BUDGET`]); one built in code and
/// run without validation can, and its timeline then says it was cut short.
pub const MAX_STEPS: u32 = 2 * crate::budget::STEP_BUDGET as u32;

/// How often [`Timeline::run_with_progress`] reports.
pub const PROGRESS_STEPS: u32 = 1 << 14;

#[derive(Clone, Debug)]
pub struct Timeline {
    pub scenario: Arc<Scenario>,
    /// Every trace event of the run, in order.
    pub events: Vec<TraceEvent>,
    /// `checkpoints[k]` is the world after `k * interval` steps.
    checkpoints: Vec<World>,
    interval: u32,
    pub final_world: World,
    /// The run hit [`MAX_STEPS`] before its end: the simulated time it reached.
    pub cut_short_at_ms: Option<Ms>,
}

impl Timeline {
    /// Validates the scenario and runs it to its end.
    pub fn new(scenario: Scenario) -> Result<Timeline, ScenarioError> {
        scenario.validate()?;
        Ok(Timeline::run(Arc::new(scenario)))
    }

    /// Runs a scenario that is already valid.
    pub fn run(scenario: Arc<Scenario>) -> Timeline {
        Timeline::run_with_progress(scenario, &mut |_, _| {})
    }

    /// Runs a scenario that is already valid, calling `progress(now_ms, duration_ms)` every
    /// [`PROGRESS_STEPS`] steps: how far in simulated time the run has come.
    pub fn run_with_progress(
        scenario: Arc<Scenario>,
        progress: &mut dyn FnMut(Ms, Ms),
    ) -> Timeline {
        let mut world = World::new(scenario.clone());
        let mut events = Vec::new();
        let mut checkpoints = vec![world.clone()];
        let mut interval = FIRST_INTERVAL;
        while world.steps < MAX_STEPS && world.step() {
            world.drain_events_into(&mut events);
            if world.steps.is_multiple_of(PROGRESS_STEPS) {
                progress(world.now, scenario.duration_ms);
            }
            if world.steps.is_multiple_of(interval) {
                checkpoints.push(world.clone());
                if checkpoints.len() > MAX_CHECKPOINTS {
                    // Keep the even ones: they sit at multiples of the doubled interval.
                    let mut k = 0;
                    checkpoints.retain(|_| {
                        k += 1;
                        (k - 1) % 2 == 0
                    });
                    interval *= 2;
                }
            }
        }
        world.drain_events_into(&mut events);
        let cut_short_at_ms = (!world.finished).then_some(world.now);
        Timeline {
            scenario,
            events,
            checkpoints,
            interval,
            final_world: world,
            cut_short_at_ms,
        }
    }

    /// The world after `steps` steps.
    pub fn world_at_step(&self, steps: u32) -> World {
        let steps = steps.min(self.final_world.steps);
        let k = ((steps / self.interval) as usize).min(self.checkpoints.len() - 1);
        let mut w = self.checkpoints[k].clone();
        while w.steps < steps && w.step() {
            w.take_events();
        }
        w.take_events();
        w
    }

    /// The world once the first `cursor` events have happened (0: the start).
    pub fn world_at(&self, cursor: usize) -> World {
        if cursor == 0 {
            return self.checkpoints[0].clone();
        }
        let e = &self.events[cursor.min(self.events.len()) - 1];
        self.world_at_step(e.step)
    }

    /// The number of events that have happened by time `t`.
    pub fn cursor_at_time(&self, t: Ms) -> usize {
        self.events.partition_point(|e| e.at_ms <= t)
    }

    /// The time at a cursor.
    pub fn time_at(&self, cursor: usize) -> Ms {
        if cursor == 0 {
            0
        } else {
            self.events[cursor.min(self.events.len()) - 1].at_ms
        }
    }

    /// The cursor just after the next notable event after `cursor`, or the end.
    pub fn next_notable(&self, cursor: usize) -> usize {
        self.events
            .iter()
            .enumerate()
            .skip(cursor)
            .find(|(_, e)| e.kind.is_notable())
            .map_or(self.events.len(), |(i, _)| i + 1)
    }

    /// The cursor just after the previous notable event before `cursor`, or the start.
    pub fn prev_notable(&self, cursor: usize) -> usize {
        let upto = cursor.saturating_sub(1).min(self.events.len());
        self.events[..upto]
            .iter()
            .rposition(|e| e.kind.is_notable())
            .map_or(0, |i| i + 1)
    }

    pub fn end_ms(&self) -> Ms {
        self.final_world.now
    }

    pub fn trace_hash(&self) -> u64 {
        trace_hash(&self.events)
    }

    pub fn report(&self) -> Report {
        let mut r = Report::new(&self.final_world, &self.events);
        r.cut_short_at_ms = self.cut_short_at_ms;
        r
    }

    /// The golden-trace text: one line per event.
    pub fn trace_text(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            s.push_str(&e.line());
            s.push('\n');
        }
        s
    }
}
