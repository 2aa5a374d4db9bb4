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
/// Keep checkpoints of at most this much [`World::weight`] in all; past it, the interval
/// doubles too. A world with a whole topic's commits in flight weighs hundreds of thousands:
/// 64 copies of it took 1.2 GB, a frozen tab in wasm.
const MAX_CHECKPOINT_WEIGHT: usize = 400_000;
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
        let mut weight = world.weight();
        let mut interval = FIRST_INTERVAL;
        while world.steps < MAX_STEPS && world.step() {
            world.drain_events_into(&mut events);
            if world.steps.is_multiple_of(PROGRESS_STEPS) {
                progress(world.now, scenario.duration_ms);
            }
            if world.steps.is_multiple_of(interval) {
                weight += world.weight();
                checkpoints.push(world.clone());
                if checkpoints.len() > MAX_CHECKPOINTS || weight > MAX_CHECKPOINT_WEIGHT {
                    // Keep the even ones: they sit at multiples of the doubled interval.
                    let mut k = 0;
                    checkpoints.retain(|_| {
                        k += 1;
                        (k - 1) % 2 == 0
                    });
                    weight = checkpoints.iter().map(World::weight).sum();
                    interval = interval.saturating_mul(2);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An asynchronous commit per message without processing time: the whole topic's commits
    /// are in flight at once, and every world of the run is heavy. The checkpoints stay within
    /// their weight, and a seek still gives exactly the world a straight run reaches.
    #[test]
    fn checkpoints_of_heavy_worlds_stay_within_their_weight_and_seek_exactly() {
        let text = r#"{"version": 1, "name": "heavy", "seed": 1, "duration_ms": 1000000,
            "broker": {"group.initial.rebalance.delay.ms": 64},
            "topic": {"partitions": 2, "payments": {"count": 30000}},
            "consumers": [{"name": "c", "config": {"enable.auto.commit": false, "auto.offset.reset": "earliest"},
                "program": {"processing_ms": 0,
                    "per_message": ["process", {"commit": {"asynchronous": true}}]}}]}"#;
        let scenario = Scenario::from_json(text).expect("valid");
        let tl = Timeline::new(scenario).expect("runs");
        let heaviest = tl.checkpoints.iter().map(World::weight).max().unwrap();
        let total: usize = tl.checkpoints.iter().map(World::weight).sum();
        assert!(heaviest > 10_000, "the run is heavy: {heaviest}");
        assert!(
            total <= MAX_CHECKPOINT_WEIGHT,
            "{total} in {} checkpoints",
            tl.checkpoints.len()
        );
        assert!(tl.checkpoints.len() >= 2, "still more than the start");
        let steps = tl.final_world.steps;
        for at in [1, steps / 3, steps / 2, steps - 1] {
            let seeked = tl.world_at_step(at);
            let mut straight = World::new(tl.scenario.clone());
            while straight.steps < at && straight.step() {}
            assert_eq!(seeked.steps, straight.steps);
            assert_eq!(seeked.now, straight.now);
            assert_eq!(seeked.group.committed, straight.group.committed);
            assert_eq!(seeked.weight(), straight.weight());
        }
    }
}
