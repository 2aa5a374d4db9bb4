//! The lab's experiments as sweeps, each answering one question with a chart.

use crate::scenario::{Scenario, preset};

use super::grid::{Param, Repeat, Sweep, Value};

/// A built-in experiment: a question, the scenario it starts from, and the sweep that answers.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: &'static str,
    pub question: &'static str,
    /// What the chart shows, in a sentence.
    pub reading: &'static str,
    pub base: Scenario,
    pub sweep: Sweep,
    /// A single run marked on the chart, with its label (the literal lab for the first).
    pub marked: Option<(&'static str, Scenario)>,
}

/// The names of the built-in experiments.
pub const NAMES: [&str; 4] = [
    "loss-vs-processing-time",
    "commit-cost",
    "commit-before-or-after",
    "offsets-in-kafka-or-db",
];

fn nums(values: &[u64]) -> Vec<Value> {
    values.iter().map(|v| Value::Num(*v)).collect()
}

fn names(values: &[&str]) -> Vec<Value> {
    values.iter().map(|v| Value::Name(v.to_string())).collect()
}

/// The experiment called `name`.
pub fn experiment(name: &str) -> Option<Experiment> {
    let p = |n: &str| preset(n).ok();
    Some(match name {
        "loss-vs-processing-time" => Experiment {
            name: "loss-vs-processing-time",
            question: "How likely is auto-commit to lose the payment in flight?",
            reading: "For each processing time, the share of the auto-commit cycle (20 phases) in which the consumer that crashes at the end of processing has lost its payment: 0 with no processing, the processing time divided by auto.commit.interval.ms below it, always from the interval on (B5, F.1).",
            base: p("step1-phase-explorer")?,
            sweep: Sweep {
                param: Param::ProcessingMs,
                values: nums(&[
                    0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 6000, 7000,
                ]),
                second: None,
                repeat: Repeat::Phases(20),
            },
            marked: Some((
                "the lab as written: a fresh group, 3 s initial rebalance delay, 2 s sleep",
                p("step1-lab-literal")?,
            )),
        },
        "commit-cost" => {
            let mut base = p("exp2-sync-commits")?;
            base.topic.payments.count = 200;
            for c in &mut base.consumers {
                c.program.processing_ms = 1;
            }
            base.faults.clear();
            base.duration_ms = 30_000;
            Experiment {
                name: "commit-cost",
                question: "What does committing cost?",
                reading: "Payments per second for each way of committing, at broker round trips of 1, 5 and 40 ms, with 1 ms of processing: a synchronous commit after every payment waits a round trip each time; asynchronous, batched and automatic commits do not.",
                base,
                sweep: Sweep {
                    param: Param::Commit,
                    values: names(&["none", "auto", "sync-each", "async-each", "batch-10"]),
                    second: Some((Param::RttMs, nums(&[1, 5, 40]))),
                    repeat: Repeat::Once,
                },
                marked: None,
            }
        }
        "commit-before-or-after" => Experiment {
            name: "commit-before-or-after",
            question: "Commit before or after processing?",
            reading: "Under every single crash of the program, payments lost and duplicated when the commit comes before processing (at-most-once) and after it (at-least-once) (A3).",
            base: p("exp1-commit-before-processing")?,
            sweep: Sweep {
                param: Param::Commit,
                values: names(&["before", "sync-each"]),
                second: None,
                repeat: Repeat::Crashes,
            },
            marked: None,
        },
        "offsets-in-kafka-or-db" => Experiment {
            name: "offsets-in-kafka-or-db",
            question: "Offsets in Kafka or in the database?",
            reading: "Under every single crash, payments duplicated when the offsets are committed to Kafka after processing, and when they are written with the results in one database transaction (E4).",
            base: p("exp3-offsets-in-kafka")?,
            sweep: Sweep {
                param: Param::Sink,
                values: names(&["ledger", "database"]),
                second: None,
                repeat: Repeat::Crashes,
            },
            marked: None,
        },
        _ => return None,
    })
}
