//! Progress for the course: what the student did, as events the page hands to the page that
//! embeds it (`postMessage` to the origin that page names, or a DOM event on a course page's
//! element). The shape is documented in `docs/embedding.md` and versioned by [`VERSION`]:
//!
//! ```json
//! { "type": "offset-lab:progress", "version": 1, "event": "run-finished",
//!   "scenario": "step2-manual-commit", "step": "step2", "lost": 0, "duplicated": 1, … }
//! ```
//!
//! The session takes a [`Snapshot`] after each change and reports what differs from the last
//! one, so an event is sent once: a step opened, a prediction made or revealed, a run played
//! to its end, a success criterion ticked.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use offset_lab_sim::lab::{self, Criterion};

use crate::lab::LabProgress;
use crate::state::{AppState, CUSTOM};

/// The message type, and the version of its shape (raised on any incompatible change).
pub const TYPE: &str = "offset-lab:progress";
pub const VERSION: u32 = 1;

/// One thing the student did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum CourseEvent {
    /// A scenario of a lab step is on screen (the step changed).
    StepOpened { step: String, title: String },
    /// The student answered a step's prediction (option `choice`, from 0).
    Prediction {
        step: String,
        choice: usize,
        answer: String,
    },
    /// The run that reveals a prediction was played to its end: right or not.
    PredictionRevealed { step: String, right: bool },
    /// A run was played to its end, with its outcome.
    RunFinished {
        scenario: String,
        step: Option<String>,
        once: u32,
        lost: u32,
        duplicated: u32,
        pending: u32,
        skipped: u32,
        dead_lettered: u32,
    },
    /// A success criterion of the lab was met for the first time.
    CriterionTicked { criterion: Criterion, text: String },
}

/// What the events are worked out from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    step: Option<usize>,
    predictions: BTreeMap<String, usize>,
    revealed: BTreeSet<String>,
    /// The last run played to its end.
    finished: Option<u32>,
    criteria: BTreeSet<Criterion>,
}

/// The lab step the scenario on screen belongs to (an edited preset keeps its step).
fn step_of(state: &AppState) -> Option<usize> {
    let name = if state.preset == CUSTOM {
        state.scenario().name.as_str()
    } else {
        state.preset.as_str()
    };
    crate::view::lab::step_of(name)
}

impl Snapshot {
    /// The snapshot now; `last` is the previous one (a finished run stays finished).
    pub fn of(state: &AppState, lab_progress: &LabProgress, last: &Snapshot) -> Snapshot {
        Snapshot {
            step: step_of(state),
            predictions: lab_progress.predictions.clone(),
            revealed: lab_progress.revealed.clone(),
            finished: if state.at_end() {
                Some(state.run_id)
            } else {
                last.finished
            },
            criteria: lab_progress.criteria().into_iter().collect(),
        }
    }

    /// What happened between `self` and `now`, in a fixed order.
    pub fn events(&self, now: &Snapshot, state: &AppState) -> Vec<CourseEvent> {
        let mut out = Vec::new();
        let step_id = |i: usize| lab::STEPS[i].id.to_string();
        if now.step != self.step
            && let Some(i) = now.step
        {
            out.push(CourseEvent::StepOpened {
                step: step_id(i),
                title: lab::STEPS[i].title.to_string(),
            });
        }
        for (step, &choice) in &now.predictions {
            if self.predictions.get(step) != Some(&choice) {
                let answer = lab::STEPS
                    .iter()
                    .find(|s| s.id == step)
                    .and_then(|s| s.predict.as_ref())
                    .and_then(|p| p.options.get(choice))
                    .map(|o| o.to_string())
                    .unwrap_or_default();
                out.push(CourseEvent::Prediction {
                    step: step.clone(),
                    choice,
                    answer,
                });
            }
        }
        if now.finished != self.finished && now.finished.is_some() {
            let s = state.timeline.final_world.summary();
            out.push(CourseEvent::RunFinished {
                scenario: state.scenario().name.clone(),
                step: now.step.map(step_id),
                once: s.once,
                lost: s.lost,
                duplicated: s.duplicated,
                pending: s.pending,
                skipped: s.skipped,
                dead_lettered: s.dead_lettered,
            });
        }
        for step in now.revealed.difference(&self.revealed) {
            let right = lab::STEPS
                .iter()
                .find(|s| s.id == step)
                .and_then(|s| s.predict.as_ref())
                .zip(now.predictions.get(step))
                .is_some_and(|(p, &choice)| p.correct == choice);
            out.push(CourseEvent::PredictionRevealed {
                step: step.clone(),
                right,
            });
        }
        for &c in now.criteria.difference(&self.criteria) {
            out.push(CourseEvent::CriterionTicked {
                criterion: c,
                text: c.text().to_string(),
            });
        }
        out
    }
}

#[derive(Serialize)]
struct Message<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    version: u32,
    #[serde(flatten)]
    event: &'a CourseEvent,
}

/// The events as the messages the page posts: a JSON array.
pub fn messages_json(events: &[CourseEvent]) -> String {
    let all: Vec<Message> = events
        .iter()
        .map(|event| Message {
            kind: TYPE,
            version: VERSION,
            event,
        })
        .collect();
    serde_json::to_string(&all).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Session;
    use crate::protocol::{FromWorker, Start};
    use crate::state::Action;

    fn open(query: &str) -> Session {
        Session::open(
            1,
            &Start::Link {
                query: query.into(),
            },
            None,
        )
    }

    /// The progress messages `s` has to send, parsed.
    fn sent(msgs: &[FromWorker]) -> Vec<serde_json::Value> {
        msgs.iter()
            .filter_map(|m| match m {
                FromWorker::Course { json, .. } => Some(json),
                _ => None,
            })
            .flat_map(|j| serde_json::from_str::<Vec<serde_json::Value>>(j).unwrap())
            .collect()
    }

    fn events(msgs: &[FromWorker]) -> Vec<String> {
        sent(msgs)
            .iter()
            .map(|m| m["event"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn opening_a_lab_scenario_says_which_step() {
        let mut s = open("");
        let m = s.course_message().expect("a message on opening");
        let all = sent(&[m]);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["type"], TYPE);
        assert_eq!(all[0]["version"], VERSION);
        assert_eq!(all[0]["event"], "step-opened");
        assert_eq!(all[0]["step"], "step1");
        assert!(s.course_message().is_none(), "sent once");
    }

    #[test]
    fn a_prediction_a_finished_run_and_a_ticked_criterion_are_each_reported_once() {
        let mut s = open("");
        s.course_message();
        let answered = s.act(Action::Predict {
            step: "step1".into(),
            choice: 0,
        });
        let m = sent(&answered);
        assert_eq!(events(&answered), ["prediction"]);
        assert_eq!(
            (m[0]["step"].as_str(), m[0]["choice"].as_u64()),
            (Some("step1"), Some(0))
        );
        assert_eq!(m[0]["answer"], "Yes, it is lost");

        let played = s.act(Action::ToEnd);
        assert_eq!(
            events(&played),
            ["run-finished", "prediction-revealed", "criterion-ticked"]
        );
        let m = sent(&played);
        let summary = s.state().timeline.final_world.summary();
        assert_eq!(m[0]["lost"], summary.lost);
        assert_eq!(m[0]["lost"], 1, "sleep7 loses P-0001 under librdkafka (B5)");
        assert_eq!(m[0]["scenario"], "step1-autocommit-sleep7");
        assert_eq!(m[1]["right"], true);
        assert_eq!(m[2]["criterion"], "demonstrated_loss");

        // Back to the start and to the end again: the same run, nothing new to say.
        assert!(events(&s.act(Action::ToStart)).is_empty());
        assert!(events(&s.act(Action::ToEnd)).is_empty());
    }

    #[test]
    fn another_steps_scenario_opens_that_step_and_its_run_is_reported() {
        let mut s = open("");
        s.course_message();
        let opened = s.act(Action::LoadScenario("step2-manual-commit".into()));
        let m = sent(&opened);
        assert_eq!(events(&opened), ["step-opened"]);
        assert_eq!(m[0]["step"], "step2");
        let played = sent(&s.act(Action::ToEnd));
        assert_eq!(played[0]["event"], "run-finished");
        assert_eq!(
            (played[0]["lost"].as_u64(), played[0]["step"].as_str()),
            (Some(0), Some("step2"))
        );
    }
}
