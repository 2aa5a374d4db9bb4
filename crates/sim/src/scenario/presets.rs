//! The built-in presets: JSON files in `crates/sim/presets/`, compiled in.

use super::validate::err;
use super::{Scenario, ScenarioError};

/// The built-in presets, as (name, JSON) pairs in display order.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "step1-autocommit-sleep2",
        include_str!("../../presets/step1-autocommit-sleep2.json"),
    ),
    (
        "step1-autocommit-sleep7",
        include_str!("../../presets/step1-autocommit-sleep7.json"),
    ),
    (
        "step1-lab-literal",
        include_str!("../../presets/step1-lab-literal.json"),
    ),
    (
        "step1-phase-explorer",
        include_str!("../../presets/step1-phase-explorer.json"),
    ),
    (
        "java-autocommit-sleep7",
        include_str!("../../presets/java-autocommit-sleep7.json"),
    ),
    (
        "step2-manual-commit",
        include_str!("../../presets/step2-manual-commit.json"),
    ),
    (
        "step2-crash-after-commit",
        include_str!("../../presets/step2-crash-after-commit.json"),
    ),
    (
        "step3-batch5-fail-at-3",
        include_str!("../../presets/step3-batch5-fail-at-3.json"),
    ),
    (
        "step4-transient-retry",
        include_str!("../../presets/step4-transient-retry.json"),
    ),
    (
        "step4-invalid-skip",
        include_str!("../../presets/step4-invalid-skip.json"),
    ),
    (
        "step4-invalid-dead-letter",
        include_str!("../../presets/step4-invalid-dead-letter.json"),
    ),
    (
        "step4-invalid-stop",
        include_str!("../../presets/step4-invalid-stop.json"),
    ),
    (
        "step4-partial-batch",
        include_str!("../../presets/step4-partial-batch.json"),
    ),
    (
        "exp1-commit-before-processing",
        include_str!("../../presets/exp1-commit-before-processing.json"),
    ),
    (
        "exp2-sync-commits",
        include_str!("../../presets/exp2-sync-commits.json"),
    ),
    (
        "exp2-async-commits",
        include_str!("../../presets/exp2-async-commits.json"),
    ),
    (
        "exp2-async-crash",
        include_str!("../../presets/exp2-async-crash.json"),
    ),
    (
        "exp2-async-retry",
        include_str!("../../presets/exp2-async-retry.json"),
    ),
    (
        "exp3-offsets-in-kafka",
        include_str!("../../presets/exp3-offsets-in-kafka.json"),
    ),
    (
        "exp3-offsets-in-db",
        include_str!("../../presets/exp3-offsets-in-db.json"),
    ),
    (
        "pitfall-maxpoll-rebalance",
        include_str!("../../presets/pitfall-maxpoll-rebalance.json"),
    ),
    (
        "pitfall-close-in-finally",
        include_str!("../../presets/pitfall-close-in-finally.json"),
    ),
    (
        "pitfall-exactly-once-assumption",
        include_str!("../../presets/pitfall-exactly-once-assumption.json"),
    ),
    (
        "refunds-idempotent",
        include_str!("../../presets/refunds-idempotent.json"),
    ),
    (
        "refunds-transactional",
        include_str!("../../presets/refunds-transactional.json"),
    ),
    (
        "refunds-scale-out",
        include_str!("../../presets/refunds-scale-out.json"),
    ),
];

/// The names of the built-in presets.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(n, _)| *n)
}

/// A built-in preset by name.
pub fn preset(name: &str) -> Result<Scenario, ScenarioError> {
    let (_, text) = PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| err("", format!("no preset is named \"{name}\"")))?;
    Scenario::from_json(text)
}
