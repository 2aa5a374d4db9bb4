//! What the fuzz targets check, as plain functions: the targets in `fuzz_targets/` only hand
//! libFuzzer's bytes to them, and the tests in `tests/` run every seed through them natively.
//!
//! A check fails by panicking; libFuzzer reports the panic as a crash and saves the input.

use std::sync::Arc;

pub mod mutate;

use offset_lab_sim::link::{self, LinkState};
use offset_lab_sim::scenario::Fault;
use offset_lab_sim::trace::TraceEvent;
use offset_lab_sim::{Report, Scenario, Timeline, Verdict, World};

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
        again.panels, state.panels,
        "link round trip changed the panels"
    );
}

/// What the budget lets a scenario spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// Steps the run may take; needing more is a budget overrun.
    pub max_steps: u32,
}

/// Stand-in limits, chosen so that one accepted run stays well under 50 ms.
pub const MAX_DURATION_MS: u64 = 120_000;
pub const MAX_PAYMENTS: u32 = 2_000;
pub const MAX_CONSUMERS: usize = 4;
/// The most steps the stand-in budget lets a run estimate.
pub const MAX_ESTIMATED_STEPS: u64 = 100_000;
/// How far a run may exceed its estimate before it counts as a budget overrun.
pub const OVERRUN_FACTOR: u64 = 4;

/// The budget hook: refuses a scenario whose run would cost too much, before running it, and
/// says how many steps an accepted one may take.
// TODO(budget): replace with offset_lab_sim::budget once the core has it; keep `check_and_run`
// asserting that no accepted scenario needs more steps than the budget allows.
pub fn budget(scenario: &Scenario) -> Result<Allowance, String> {
    if scenario.duration_ms > MAX_DURATION_MS {
        return Err(format!("duration_ms over {MAX_DURATION_MS}"));
    }
    if scenario.topic.payments.count > MAX_PAYMENTS {
        return Err(format!("more than {MAX_PAYMENTS} payments"));
    }
    if scenario.consumers.len() > MAX_CONSUMERS {
        return Err(format!("more than {MAX_CONSUMERS} consumers"));
    }
    let estimate = estimate_steps(scenario);
    if estimate > MAX_ESTIMATED_STEPS {
        return Err(format!(
            "about {estimate} steps, over {MAX_ESTIMATED_STEPS}"
        ));
    }
    Ok(Allowance {
        max_steps: (estimate * OVERRUN_FACTOR) as u32,
    })
}

/// A rough upper estimate of the steps of a run: the periodic work of every consumer (timers
/// and the requests they send) over the run, rebalances, and the work per payment delivery.
fn estimate_steps(s: &Scenario) -> u64 {
    let d = s.duration_ms;
    let n = s.consumers.len() as u64;
    // `cost` steps every `period` ms over the run.
    let every = |period: u64, cost: u64| d.saturating_mul(cost) / period.max(1) + cost;
    let payments = s.topic.payments.count as u64;
    let fault_attempts = s
        .faults
        .iter()
        .map(|f| match *f {
            Fault::FailPayment { attempts, .. } => attempts as u64,
            Fault::SlowPayment { times, .. } => times as u64,
            _ => 1,
        })
        .max()
        .unwrap_or(1);
    let mut total = 1_000 + 4 * s.actions.len() as u64;
    for c in &s.consumers {
        let (cfg, p) = (&c.config, &c.program);
        let lives = 1 + c.crashes.len() as u64 + s.actions.len() as u64;
        total += every(cfg.heartbeat_interval_ms, 3);
        if cfg.enable_auto_commit {
            total += every(cfg.auto_commit_interval_ms, 4);
        }
        total += every(500, 1);
        total += every(p.poll.timeout_ms, 2);
        // A member may fall out and rejoin once per max.poll.interval.ms or session timeout;
        // every rebalance costs each member a round of requests, and may hand every payment
        // out again, as may every restart.
        let timeouts = d / cfg.max_poll_interval_ms.min(cfg.session_timeout_ms).max(1);
        total += (timeouts + lives + n) * 8 * n;
        // Each delivery of a payment: poll, process, store or commit, retries.
        let attempts = (p.retry.attempts as u64).max(fault_attempts);
        let steps = (p.before.len() + p.per_message.len() + p.after.len()) as u64;
        total += payments * (6 + 3 * steps) * attempts * (lives + timeouts);
        // Commits rejected in a commit-error or coordinator window are retried every
        // retry.backoff.ms (100) until it closes, and they pile up: every commit started in
        // the window may be sent again for the rest of it.
        for window in commit_error_windows(s) {
            let auto = if cfg.enable_auto_commit {
                window / cfg.auto_commit_interval_ms.max(1) + 1
            } else {
                0
            };
            let commits = auto + payments * steps * lives;
            total += commits * (window / 100 + 1) * 3;
        }
    }
    total
}

/// The lengths of the fault windows in which commits fail, clipped to the run.
fn commit_error_windows(s: &Scenario) -> impl Iterator<Item = u64> + '_ {
    let d = s.duration_ms;
    s.faults.iter().filter_map(move |f| match *f {
        Fault::CommitErrors { from_ms, to_ms, .. }
        | Fault::CoordinatorUnavailable { from_ms, to_ms } => {
            Some(to_ms.min(d).saturating_sub(from_ms.min(d)))
        }
        _ => None,
    })
}

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
            world.steps < allowance.max_steps || world.finished,
            "budget overrun: the run took {} steps by {} ms of {} ms, over the {} the budget allows",
            world.steps,
            world.now,
            world.scenario.duration_ms,
            allowance.max_steps,
        );
    }
    world.drain_events_into(&mut events);
    check_end_state(&world, &events);
    // (d) the page's way, a Timeline (checkpoints, then seeking), gives the same run.
    let timeline = Timeline::run(world.scenario.clone());
    assert_eq!(
        timeline.final_world.steps, world.steps,
        "a Timeline took other steps"
    );
    assert!(timeline.events == events, "a Timeline gave another trace");
    let middle = timeline.world_at(events.len() / 2);
    assert!(middle.steps <= world.steps && middle.now <= world.now);
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
    for p in 0..world.log.partition_count() {
        // Nothing can be committed past what was produced (the log's full length is a weaker
        // bound: it also counts records due after the end of the run).
        let end = world.log.log_end_offset(p, world.now);
        assert!(end <= world.log.len(p));
        let committed = world.group.committed[p as usize];
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
    let report = Report::new(world, events);
    let s = report.summary;
    let counted = s.once + s.duplicated + s.lost + s.pending + s.skipped + s.dead_lettered;
    let payments = scenario.topic.payments.count;
    assert_eq!(
        counted, payments,
        "the summary counts {counted} payments of {payments}: {s:?}"
    );
    assert_eq!(report.payments.len(), payments as usize);
    assert_eq!(report.events, events.len());
    for (o, &applied) in report.payments.iter().zip(&world.sink.applied) {
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
