//! The scenarios the picker offers: the core's presets, plus one generated here to show (and
//! benchmark) a screen full of payments.

use offset_lab_sim::{Scenario, ScenarioError};

/// The scenario shown when the URL names none.
pub const DEFAULT: &str = "step1-autocommit-sleep7";

/// A 1,000-payment run over 4 partitions and 2 consumers, one of which crashes: the stress
/// scenario of the end-to-end benchmark (`?scenario=many-payments`).
pub const MANY_PAYMENTS: &str = "many-payments";

// The description is one JSON string, cut into pieces by `concat!` to keep the lines short.
const MANY_PAYMENTS_JSON: &str = concat!(
    r#"{
  "version": 1,
  "name": "many-payments",
  "title": "1,000 payments, 4 partitions, 2 consumers — one crashes",
  "description": ""#,
    "A busier topic: 1,000 payments are waiting in 4 partitions when two consumers start. ",
    "Each takes 5 at a time, processes each for 40 ms and commits after the batch. ",
    "consumer-2 calls sys.exit(1) in the middle of its 120th payment and restarts a second later; ",
    "the group has to wait out its session before the partitions move. Look for the duplicates.",
    r#"",
  "seed": 7,
  "client": "librdkafka",
  "topic": { "name": "payments", "partitions": 4, "payments": { "count": 1000, "keyed": true, "customers": 200 } },
  "broker": { "group.initial.rebalance.delay.ms": 0 },
  "consumers": [
    {
      "name": "consumer-1",
      "config": { "enable.auto.commit": false, "auto.offset.reset": "earliest", "session.timeout.ms": 10000 },
      "program": {
        "processing_ms": 40, "poll": { "max_messages": 5 }, "after": [{ "commit": { "asynchronous": false } }]
      }
    },
    {
      "name": "consumer-2",
      "config": { "enable.auto.commit": false, "auto.offset.reset": "earliest", "session.timeout.ms": 10000 },
      "program": {
        "processing_ms": 40, "poll": { "max_messages": 5 }, "after": [{ "commit": { "asynchronous": false } }]
      },
      "crashes": [{ "point": "during_processing", "message": 120, "kind": "sys_exit", "restart_after_ms": 1000 }]
    }
  ],
  "duration_ms": 40000
}"#
);

/// (name, title) of every scenario the picker offers, in display order.
pub fn choices() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = offset_lab_sim::scenario::PRESETS
        .iter()
        .map(|(name, _)| {
            let title = offset_lab_sim::preset(name)
                .map(|s| s.title)
                .unwrap_or_default();
            (
                name.to_string(),
                if title.is_empty() {
                    name.to_string()
                } else {
                    title
                },
            )
        })
        .collect();
    if let Ok(s) = Scenario::from_json(MANY_PAYMENTS_JSON) {
        out.push((MANY_PAYMENTS.to_string(), s.title));
    }
    out
}

/// A scenario by name: a core preset or one of ours.
pub fn load(name: &str) -> Result<Scenario, ScenarioError> {
    if name == MANY_PAYMENTS {
        return Scenario::from_json(MANY_PAYMENTS_JSON);
    }
    offset_lab_sim::preset(name)
}

/// The name of an offered scenario equal to `sc`, if there is one.
pub fn name_of(sc: &Scenario) -> Option<String> {
    if sc.name == MANY_PAYMENTS && load(MANY_PAYMENTS).is_ok_and(|s| s == *sc) {
        return Some(MANY_PAYMENTS.to_string());
    }
    offset_lab_sim::preset_names()
        .find(|n| offset_lab_sim::preset(n).is_ok_and(|p| p == *sc))
        .map(str::to_string)
}

/// The default scenario's run. It is built into the app and covered by the tests below, so it
/// always loads.
pub fn default_timeline() -> offset_lab_sim::Timeline {
    load(DEFAULT)
        .and_then(offset_lab_sim::Timeline::new)
        .expect("the default preset is valid (tested by scenarios::tests)")
}

/// The group a scenario is listed under in the picker.
pub fn group_of(name: &str) -> &'static str {
    match name.split('-').next().unwrap_or("") {
        "step1" | "step2" | "step3" | "step4" | "java" => "The lab, step by step",
        "exp1" | "exp2" | "exp3" => "Experiments",
        "pitfall" => "Common pitfalls",
        "refunds" => "Real world: refunds",
        _ => "More",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::Timeline;

    #[test]
    fn every_choice_loads_and_runs() {
        for (name, title) in choices() {
            assert!(!title.is_empty());
            let sc = load(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            Timeline::new(sc).unwrap();
        }
        assert!(load("nope").is_err());
        assert_eq!(default_timeline().scenario.name, DEFAULT);
        assert_eq!(group_of("step2-manual-commit"), "The lab, step by step");
        assert_eq!(group_of(MANY_PAYMENTS), "More");
    }

    #[test]
    fn many_payments_has_a_thousand_and_a_crash() {
        let tl = Timeline::new(load(MANY_PAYMENTS).unwrap()).unwrap();
        assert_eq!(tl.final_world.log.payments.len(), 1000);
        let s = tl.final_world.summary();
        assert_eq!(s.once + s.duplicated + s.lost + s.pending, 1000);
        assert!(tl.events.iter().any(|e| e.kind.name() == "crashed"));
    }
}
