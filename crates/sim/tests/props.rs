//! Property tests (proptest) over random scenarios: configs, programs, sinks, faults, crash
//! schedules and seeds. A failing case prints its seed and the scenario JSON to reproduce it
//! (`offset-lab run scenario.json`).

mod common;

use common::*;
use offset_lab_sim::{Scenario, Timeline, World};
use proptest::prelude::*;
use std::sync::Arc;

proptest! {
    // A fixed seed: the same 200 cases on every run, so that CI never fails by chance. A new
    // seed explores new cases: PROPTEST_RNG_SEED=<n> overrides it.
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(2026),
        ),
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold(seed in any::<u64>()) {
        let s = random_scenario(seed);
        let tl = Timeline::new(s.clone()).map_err(|e| TestCaseError::fail(format!("seed {seed}: invalid: {e}\n{}", s.to_json())))?;
        let what = format!("seed {seed}; reproduce with the scenario between the lines:\n---\n{}\n---\nfailed", s.to_json());
        check_invariants(&tl, &what);
        check_liveness(&tl, &what);
    }

    #[test]
    fn same_seed_same_trace_and_seek_equals_straight_run(seed in any::<u64>(), at in 0usize..1000) {
        let s = random_scenario(seed);
        let a = Timeline::new(s.clone()).unwrap();
        let b = Timeline::new(Scenario::from_json(&s.to_json()).unwrap()).unwrap();
        prop_assert_eq!(a.trace_hash(), b.trace_hash(), "seed {}\n{}", seed, s.to_json());
        let cursor = at * a.events.len() / 1000;
        let target = if cursor == 0 { 0 } else { a.events[cursor - 1].step };
        let mut straight = World::new(Arc::new(s.clone()));
        while straight.steps < target {
            straight.step();
            straight.take_events();
        }
        prop_assert_eq!(format!("{:?}", a.world_at(cursor)), format!("{straight:?}"), "seed {}\n{}", seed, s.to_json());
    }
}
