//! What the fuzz targets check, as plain functions: the targets in `fuzz_targets/` only hand
//! libFuzzer's bytes to them, and the tests in `tests/` run every seed through them natively.
//!
//! A check fails by panicking; libFuzzer reports the panic as a crash and saves the input.

use std::sync::Arc;

pub mod mutate;

use offset_lab_sim::link::{self, LinkState};
use offset_lab_sim::trace::TraceEvent;
use offset_lab_sim::outcome::Metrics;
use offset_lab_sim::{Partition, Scenario, Timeline, Verdict, World};

/// The preset a link without a scenario falls back to (the app's default).
pub const DEFAULT_PRESET: &str = "step1-autocommit-sleep7";

/// `scenario_json`: parsing any text never panics, and a scenario that parses survives the
/// export/import round trip, and a link to it, unchanged.
pub fn check_scenario_json(text: &str) {
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let again = Scenario::from_json(&scenario.to_json())
        .unwrap_or_else(|e| panic!("an exported scenario does not import: {e}"));
    assert_eq!(again, scenario, "export then import changed the scenario");
    let state = LinkState {
        scenario,
        t_ms: 0,
        panels: vec![],
        embed: false,
        event: None,
        sweep: None,
    };
    let reopened = link::decode(&link::encode(&state), DEFAULT_PRESET)
        .unwrap_or_else(|e| panic!("a link to a valid scenario does not decode: {e}"));
    assert_eq!(
        reopened.scenario, state.scenario,
        "a link changed the scenario"
    );
}

/// `link`: decoding any query never panics; the scenario of a link that decodes is valid, and
/// the link the page would write for that state decodes to the same scenario, time and layout.
pub fn check_link(query: &str) {
    // What a broken link still says about the layout.
    let _ = link::layout(query);
    let Ok(state) = link::decode(query, DEFAULT_PRESET) else {
        return;
    };
    if let Err(e) = state.scenario.validate() {
        panic!("a link decoded to an invalid scenario: {e}");
    }
    let written = link::encode(&state);
    let again: LinkState = link::decode(&written, DEFAULT_PRESET)
        .unwrap_or_else(|e| panic!("the link written for a decoded state does not decode: {e}"));
    assert_eq!(
        again.scenario, state.scenario,
        "link round trip changed the scenario"
    );
    assert_eq!(again.t_ms, state.t_ms, "link round trip changed the time");
    assert_eq!(again.embed, state.embed, "link round trip changed embed");
    assert_eq!(
        again.event, state.event,
        "link round trip changed the event"
    );
    assert_eq!(
        again.panels, state.panels,
        "link round trip changed the panels"
    );
    assert_eq!(
        again.sweep, state.sweep,
        "link round trip changed the sweep"
    );
}

/// What the budget lets a scenario spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Steps the run may take; needing more is a budget overrun.
    pub max_steps: u64,
}

/// The budget hook: the core's work budget (`Scenario::check_budget`, which `from_json` has
/// already applied). Its estimate is an upper bound on the steps of the run: the run may take
/// no more.
pub fn budget(scenario: &Scenario) -> Result<Allowance, String> {
    let work = scenario.check_budget().map_err(|e| e.to_string())?;
    Ok(Allowance {
        max_steps: work.steps,
    })
}

/// Runs up to this many steps are replayed through a Timeline as well. A run at the budget
/// (800 000 steps) takes about a second in the fuzz build (debug assertions, coverage
/// counters); twice that would come near the 2 s that count as a hang.
pub const REPLAY_STEPS: u64 = 200_000;

/// `run`: parse, validate, budget, run. A scenario that parses and fits the budget runs to its
/// end within the steps the budget allows, the end state is consistent, and a Timeline of the
/// same scenario (as the page builds) replays the same run.
pub fn check_and_run(text: &str) {
    // (a) parse and validate (`from_json` validates).
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    // (b) the budget, before any work.
    let Ok(allowance) = budget(&scenario) else {
        return;
    };
    // (c) run, with a hard cap on the steps.
    let mut world = World::new(Arc::new(scenario));
    let mut events = Vec::new();
    while world.step() {
        world.drain_events_into(&mut events);
        assert!(
            u64::from(world.steps) <= allowance.max_steps,
            "budget overrun: the run took {} steps by {} ms of {} ms, over the {} the budget allows",
            world.steps,
            world.now,
            world.scenario.duration_ms,
            allowance.max_steps,
        );
    }
    world.drain_events_into(&mut events);
    check_end_state(&world, &events);
    // (d) the page's way, a Timeline (checkpoints, then seeking), gives the same run; only for
    // runs of up to REPLAY_STEPS, so that one input stays well within libFuzzer's -timeout.
    if u64::from(world.steps) > REPLAY_STEPS {
        return;
    }
    let timeline = Timeline::run(world.scenario.clone());
    assert_eq!(
        timeline.cut_short_at_ms, None,
        "a Timeline cut the run short"
    );
    assert_eq!(
        timeline.final_world.steps, world.steps,
        "a Timeline took other steps"
    );
    assert!(timeline.events == events, "a Timeline gave another trace");
    let middle = timeline.world_at(events.len() / 2);
    assert!(middle.steps <= world.steps && middle.now <= world.now);
    // What `offset-lab check` and the page say about mistakes that run silently.
    let _ = offset_lab_sim::check::warnings(&timeline);
}

/// Cheap invariants of a finished run.
pub fn check_end_state(world: &World, events: &[TraceEvent]) {
    let scenario = &world.scenario;
    assert!(world.finished, "the run did not finish");
    assert!(
        world.now <= scenario.duration_ms,
        "the run went on to {} ms, past its end at {} ms",
        world.now,
        scenario.duration_ms
    );
    for pair in events.windows(2) {
        assert!(pair[0].at_ms <= pair[1].at_ms, "time went backwards");
    }
    for p in (0..world.log.partition_count()).map(Partition) {
        // Nothing can be committed past what was produced (the log's full length is a weaker
        // bound: it also counts records due after the end of the run).
        let end = world.log.log_end_offset(p, world.now);
        assert!(end <= world.log.len(p));
        let committed = world.group.committed[p.ix()];
        assert!(
            committed <= end,
            "partition {p}: committed offset {committed} is past the log end offset {end}"
        );
        let resume = world.resume_offset(p);
        assert!(
            resume <= end,
            "partition {p}: resume offset {resume} is past the log end offset {end}"
        );
    }
    // What `Report::new` holds, less the trace hash: that formats every event as text, which
    // the golden traces test natively, and would take most of a long run's time in this build.
    let s = world.summary();
    let outcomes = world.outcomes();
    let _ = Metrics::new(events, &world.log, scenario.broker.rtt_ms);
    let counted = s.once + s.duplicated + s.lost + s.pending + s.skipped + s.dead_lettered;
    let payments = scenario.topic.payments.count;
    assert_eq!(
        counted, payments,
        "the summary counts {counted} payments of {payments}: {s:?}"
    );
    assert_eq!(outcomes.len(), payments as usize);
    for o in &outcomes {
        let applied = o.applied;
        let consistent = match o.outcome {
            Verdict::Once => applied == 1,
            Verdict::Duplicated => applied >= 2,
            _ => applied == 0,
        };
        assert!(
            consistent,
            "{} is {:?} but applied {applied} times",
            o.id, o.outcome
        );
    }
}
