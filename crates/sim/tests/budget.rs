//! The work budget: the estimate bounds the steps a run really takes, and a scenario over the
//! budget is refused at once with a message naming the setting to change.

mod common;

use common::*;
use offset_lab_sim::budget::STEP_BUDGET;
use offset_lab_sim::{Scenario, Timeline, World, preset, preset_names};
use std::sync::Arc;

fn steps(s: &Scenario) -> u64 {
    let mut w = World::new(Arc::new(s.clone()));
    while w.step() {
        w.take_events();
    }
    w.steps as u64
}

#[test]
fn the_estimate_bounds_the_steps_of_every_preset_and_random_scenario() {
    let mut worst = (0.0f64, String::new());
    let mut cases: Vec<(String, Scenario)> = preset_names()
        .map(|n| (n.to_string(), preset(n).unwrap()))
        .collect();
    cases.extend((0..400).map(|seed| (format!("seed {seed}"), random_scenario(seed))));
    for (name, s) in cases {
        let estimate = s.estimate_work().steps;
        let actual = steps(&s);
        assert!(
            actual <= estimate,
            "{name}: {actual} steps, estimated {estimate}\n{}",
            s.to_json()
        );
        let share = actual as f64 / estimate as f64;
        if share > worst.0 {
            worst = (share, name);
        }
    }
    println!(
        "largest share of the estimate used: {:.2} ({})",
        worst.0, worst.1
    );
}

/// The scenario of the issue: 16 consumers with 1 ms heartbeats and auto-commits, a 1 ms poll
/// timeout, no payments, a day long.
fn freezer() -> Scenario {
    let mut s = one_consumer(0, 100);
    s.duration_ms = 86_400_000;
    s.consumers = (0..16)
        .map(|i| {
            let mut c = consumer(&format!("c{i}"), 100);
            c.config.heartbeat_interval_ms = 1;
            c.config.auto_commit_interval_ms = 1;
            c.program.poll.timeout_ms = 1;
            c
        })
        .collect();
    s
}

#[test]
fn a_scenario_that_would_freeze_the_page_is_refused_at_once() {
    let e = freezer().validate().unwrap_err();
    // The floors come first: a 1 ms heartbeat makes no sense to teach with.
    assert_eq!(e.path, "consumers[0].config.auto.commit.interval.ms", "{e}");
    let mut s = freezer();
    for c in &mut s.consumers {
        c.config.heartbeat_interval_ms = 100;
        c.config.auto_commit_interval_ms = 100;
        c.program.poll.timeout_ms = 10;
    }
    let e = s.validate().unwrap_err();
    assert!(e.message.contains("simulation steps"), "{e}");
    assert!(
        e.path.starts_with("consumers[") || e.path == "duration_ms",
        "{e}"
    );
    assert!(s.estimate_work().steps > STEP_BUDGET);
    // At an hour and a normal heartbeat, it runs.
    s.duration_ms = 3_600_000;
    for c in &mut s.consumers {
        c.config.heartbeat_interval_ms = 3000;
        c.config.auto_commit_interval_ms = 5000;
        c.program.poll.timeout_ms = 1000;
    }
    assert!(s.validate().is_ok(), "{:?}", s.estimate_work());
}

#[test]
fn a_large_plain_scenario_fits_the_budget() {
    // 200 000 payments over 64 partitions for 16 consumers, as the views must handle.
    let mut s = one_consumer(200_000, 10);
    s.topic.partitions = 64;
    s.duration_ms = 3_600_000;
    s.consumers = (0..16).map(|i| consumer(&format!("c{i}"), 10)).collect();
    let work = s.check_budget();
    assert!(work.is_ok(), "{:?}", s.estimate_work());
    let estimate = s.estimate_work().steps;
    let tl = Timeline::new(s).unwrap();
    println!(
        "200 000 payments: {} steps, estimated {estimate}",
        tl.final_world.steps
    );
}

#[test]
#[ignore = "prints one random scenario's estimate against its steps"]
fn print_seed() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let s = random_scenario(seed);
    println!("{}", s.to_json());
    println!("steps {} estimate {:#?}", steps(&s), s.estimate_work());
}

#[test]
fn a_run_cut_short_by_the_step_limit_says_so() {
    // Only a scenario that skipped validation can reach the limit.
    let tl = Timeline::run(Arc::new(freezer()));
    let at = tl.cut_short_at_ms.expect("cut short");
    assert!(at < 86_400_000);
    assert_eq!(tl.report().cut_short_at_ms, Some(at));
    assert!(!tl.final_world.finished);
    let fine = Timeline::new(preset("step2-manual-commit").unwrap()).unwrap();
    assert_eq!(fine.cut_short_at_ms, None);
}
