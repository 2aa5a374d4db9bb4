//! Lab mode progress: the student's predictions and what they have seen of each run (the core's
//! `lab::Observation`), from which the success checklist ticks itself. Kept apart from the run
//! state; the app saves it in local storage.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use offset_lab_sim::lab::{self, ChallengeMet, Criterion, Observation};
use serde::{Deserialize, Serialize};

/// Observations kept (the oldest are dropped).
const MAX_SEEN: usize = 60;
/// The local-storage key.
pub const STORAGE_KEY: &str = "offset-lab.lab-progress.v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LabProgress {
    /// The option chosen for each step's prediction, by step id.
    pub predictions: BTreeMap<String, usize>,
    /// Steps whose prediction has been revealed: a run of the question's scenario reached its
    /// end after the student answered. The answer is then locked until "try again".
    #[serde(default)]
    pub revealed: BTreeSet<String>,
    pub seen: Vec<Observation>,
    /// The challenges met by the student's own programs ("prove it"), by challenge id.
    #[serde(default)]
    pub met: Vec<ChallengeMet>,
    /// What the student measured the cost of committing with: the commit-cost experiment, or a
    /// sweep of a scenario's commit placement or mode ("commit-cost", "sweep:commit", …).
    #[serde(default)]
    pub measured: BTreeSet<String>,
    /// The run the last observation came from (not saved): a later observation of the same run
    /// replaces it.
    #[serde(skip)]
    pub last_run: Option<u32>,
}

pub enum LabAction {
    Predict {
        step: String,
        choice: usize,
    },
    /// Forget a revealed prediction, to answer again.
    Retry {
        step: String,
    },
    /// What the student has seen of run `run` so far.
    Observe {
        run: u32,
        observation: Observation,
    },
    /// "Prove it" showed that a program the student built meets a challenge.
    Met(ChallengeMet),
    /// A sweep that measures what committing costs ran to its end.
    Measured(String),
    Reset,
}

impl LabProgress {
    pub fn criteria(&self) -> Vec<Criterion> {
        lab::criteria_met(&self.seen, &self.met, !self.measured.is_empty())
    }

    /// Whether challenge `id` has been met by the student's own program.
    pub fn met(&self, id: &str) -> bool {
        self.met.iter().any(|m| m.challenge == id)
    }

    /// Whether step `id`'s answer has been revealed (and is locked).
    pub fn revealed(&self, id: &str) -> bool {
        self.revealed.contains(id)
    }

    /// Whether a run of `scenario` has been watched to its end.
    pub fn finished(&self, scenario: &str) -> bool {
        self.seen
            .iter()
            .any(|o| o.scenario == scenario && o.reached_end)
    }

    /// From its saved JSON; anything unreadable starts afresh.
    pub fn from_json(text: &str) -> LabProgress {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl LabProgress {
    /// What `action` does: the same `Rc` when it changes nothing.
    pub fn reduce(self: Rc<Self>, action: LabAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            LabAction::Predict { step, choice } => {
                // A revealed answer is locked.
                if s.predictions.get(&step) == Some(&choice) || s.revealed.contains(&step) {
                    return self;
                }
                s.predictions.insert(step, choice);
            }
            LabAction::Retry { step } => {
                if !s.revealed.remove(&step) && s.predictions.remove(&step).is_none() {
                    return self;
                }
                s.predictions.remove(&step);
            }
            LabAction::Observe { run, observation } => {
                let same_run = s.last_run == Some(run)
                    && s.seen
                        .last()
                        .is_some_and(|o| o.scenario == observation.scenario);
                if same_run && s.seen.last() == Some(&observation) {
                    return self;
                }
                if same_run {
                    s.seen.pop();
                }
                if observation.reached_end {
                    // The question about this scenario, answered before this run, is revealed.
                    for st in lab::STEPS {
                        if let Some(q) = &st.predict
                            && q.scenario == observation.scenario
                            && s.predictions.contains_key(st.id)
                        {
                            s.revealed.insert(st.id.to_string());
                        }
                    }
                }
                s.seen.push(observation);
                if s.seen.len() > MAX_SEEN {
                    let extra = s.seen.len() - MAX_SEEN;
                    s.seen.drain(..extra);
                }
                s.last_run = Some(run);
            }
            LabAction::Met(m) => {
                if s.met.contains(&m) {
                    return self;
                }
                // A proof with duplicates says more (at-least-once) than one without.
                match s.met.iter_mut().find(|x| x.challenge == m.challenge) {
                    Some(x) => x.duplicates |= m.duplicates,
                    None => s.met.push(m),
                }
                if s.met == self.met {
                    return self;
                }
            }
            LabAction::Measured(what) => {
                if !s.measured.insert(what) {
                    return self;
                }
            }
            LabAction::Reset => return Rc::new(LabProgress::default()),
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offset_lab_sim::Timeline;

    fn observe(name: &str) -> Observation {
        let tl = Timeline::new(offset_lab_sim::preset(name).unwrap()).unwrap();
        lab::observe(&tl, tl.events.len())
    }

    #[test]
    fn observations_of_one_run_replace_each_other_and_tick_the_checklist() {
        let p = Rc::new(LabProgress::default());
        let early = {
            let tl =
                Timeline::new(offset_lab_sim::preset("step1-autocommit-sleep7").unwrap()).unwrap();
            lab::observe(&tl, 3)
        };
        let p = p.reduce(LabAction::Observe {
            run: 1,
            observation: early,
        });
        assert!(p.criteria().is_empty());
        let p = p.reduce(LabAction::Observe {
            run: 1,
            observation: observe("step1-autocommit-sleep7"),
        });
        assert_eq!(p.seen.len(), 1, "the same run is observed again, not twice");
        assert_eq!(p.criteria(), vec![Criterion::DemonstratedLoss]);
        assert!(p.finished("step1-autocommit-sleep7"));
        let p = p.reduce(LabAction::Observe {
            run: 2,
            observation: observe("step2-manual-commit"),
        });
        assert_eq!(p.seen.len(), 2);
        // Watching the lab's manual-commit preset is not building one.
        assert_eq!(p.criteria(), vec![Criterion::DemonstratedLoss]);
        let p = p.reduce(LabAction::Met(ChallengeMet {
            challenge: "step2".into(),
            duplicates: true,
        }));
        assert!(p.criteria().contains(&Criterion::AtLeastOnce));
        assert!(p.met("step2") && !p.met("step4"));
    }

    #[test]
    fn progress_survives_a_round_trip_and_garbage() {
        let p = Rc::new(LabProgress::default()).reduce(LabAction::Predict {
            step: "step1".into(),
            choice: 2,
        });
        let back = LabProgress::from_json(&p.to_json());
        assert_eq!(back.predictions.get("step1"), Some(&2));
        assert_eq!(LabProgress::from_json("{not json"), LabProgress::default());
        let same = p.clone().reduce(LabAction::Predict {
            step: "step1".into(),
            choice: 2,
        });
        assert!(Rc::ptr_eq(&p, &same));
    }

    #[test]
    fn presets_find_their_step() {
        use crate::view::lab::step_of;
        assert_eq!(step_of("step1-autocommit-sleep7"), Some(0));
        assert_eq!(step_of("step2-manual-commit"), Some(1));
        assert_eq!(step_of(crate::scenarios::MANY_PAYMENTS), None);
    }
}
