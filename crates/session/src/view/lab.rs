//! The Lab 05 panel as the page draws it: the step of the scenario on screen, its task, its
//! question (about one named scenario, judged on that scenario's run only, locked once
//! revealed), the step's other scenarios, the lab's questions answered, and the checklist.

use serde::{Deserialize, Serialize};

use offset_lab_sim::lab::{self, Criterion};

use crate::lab::LabProgress;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabPreset {
    pub name: String,
    pub title: String,
    pub current: bool,
    /// Watched to its end.
    pub finished: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    pub right: bool,
    /// The right answer, when the student's was not.
    pub correct: String,
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictVm {
    pub step: String,
    pub question: String,
    pub options: Vec<String>,
    pub chosen: Option<usize>,
    /// The scenario the question is about, and whether it is the one on screen.
    pub scenario: String,
    pub scenario_title: String,
    pub on_screen: bool,
    /// Once a run of the scenario reached its end after the answer: the answer is locked.
    pub revealed: Option<Reveal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionVm {
    pub text: String,
    pub how: String,
    pub done: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabVm {
    /// 0-based.
    pub step: usize,
    pub steps: usize,
    pub id: String,
    pub title: String,
    pub todo: String,
    /// What the run showed, once the step's first scenario was played to its end.
    pub after: Option<String>,
    /// The scenario on screen is not one of this step's.
    pub elsewhere: bool,
    /// The first scenarios of the previous and next steps.
    pub prev: Option<String>,
    pub next: Option<String>,
    pub presets: Vec<LabPreset>,
    pub predict: Option<PredictVm>,
    /// The lab's questions, answered, once the step's first scenario was played to its end.
    pub answers: Vec<(String, String)>,
    pub criteria: Vec<CriterionVm>,
    /// Step 1: the phase explorer.
    pub phase_explorer: bool,
    /// The step's challenge: a goal to meet with a program the student builds.
    #[serde(default)]
    pub challenge: Option<ChallengeVm>,
    /// The built-in experiments that measure this step: (name, the question it answers).
    #[serde(default)]
    pub experiments: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeVm {
    pub id: String,
    pub title: String,
    pub goal: String,
    /// What the starting program is, when it is not the step's preset as it is.
    pub note: String,
    pub hint: String,
    /// The challenge's program (or the student's edit of it) is on screen.
    pub on_screen: bool,
    /// Met by a program the student built ("prove it" said so).
    pub met: bool,
}

/// The lab step a scenario belongs to, by its name (an edited preset keeps its name; a
/// challenge's program is `challenge-<id>`).
pub fn step_of(name: &str) -> Option<usize> {
    if let Some(c) = name
        .strip_prefix(crate::prove::CHALLENGE_PREFIX)
        .and_then(offset_lab_sim::challenge::challenge)
    {
        return lab::STEPS.iter().position(|s| s.id == c.step);
    }
    lab::STEPS.iter().position(|s| s.presets.contains(&name))
}

fn title_of(name: &str) -> String {
    crate::scenarios::load(name)
        .map(|s| s.title)
        .unwrap_or_else(|_| name.to_string())
}

/// The panel for the scenario named `name` (the preset picked, or the scenario's own name),
/// or `None` when it is part of no step.
pub fn lab_vm(name: &str, progress: &LabProgress) -> Option<LabVm> {
    let ix = step_of(name)?;
    let step = &lab::STEPS[ix];
    let first = |i: usize| {
        lab::STEPS
            .get(i)
            .and_then(|s| s.presets.first())
            .map(|n| n.to_string())
    };
    let finished = step.presets.first().is_some_and(|n| progress.finished(n));
    let met = progress.criteria();
    let predict = step.predict.as_ref().map(|q| {
        let chosen = progress.predictions.get(step.id).copied();
        let revealed = (progress.revealed(step.id))
            .then_some(chosen)
            .flatten()
            .map(|c| Reveal {
                right: c == q.correct,
                correct: q.options.get(q.correct).copied().unwrap_or("").to_string(),
                explanation: q.explanation.to_string(),
            });
        PredictVm {
            step: step.id.to_string(),
            question: q.question.to_string(),
            options: q.options.iter().map(|o| o.to_string()).collect(),
            chosen,
            scenario: q.scenario.to_string(),
            scenario_title: title_of(q.scenario),
            on_screen: q.scenario == name,
            revealed,
        }
    });
    Some(LabVm {
        step: ix,
        steps: lab::STEPS.len(),
        id: step.id.to_string(),
        title: step.title.to_string(),
        todo: step.todo.to_string(),
        after: (finished && !step.after.is_empty()).then(|| step.after.to_string()),
        elsewhere: !step.presets.contains(&name),
        prev: ix.checked_sub(1).and_then(first),
        next: first(ix + 1),
        presets: step
            .presets
            .iter()
            .map(|n| LabPreset {
                name: n.to_string(),
                title: title_of(n),
                current: *n == name,
                finished: progress.finished(n),
            })
            .collect(),
        predict,
        answers: if finished {
            step.answers
                .iter()
                .map(|(q, a)| (q.to_string(), a.to_string()))
                .collect()
        } else {
            Vec::new()
        },
        criteria: Criterion::ALL
            .iter()
            .map(|c| CriterionVm {
                text: c.text().to_string(),
                how: c.how().to_string(),
                done: met.contains(c),
            })
            .collect(),
        phase_explorer: step.id == "step1",
        challenge: crate::prove::challenge_of(name).map(|c| ChallengeVm {
            id: c.id.to_string(),
            title: c.title.to_string(),
            goal: c.goal_text.to_string(),
            note: c.start_note.to_string(),
            hint: c.hint.to_string(),
            on_screen: name.strip_prefix(crate::prove::CHALLENGE_PREFIX) == Some(c.id),
            met: progress.met(c.id),
        }),
        experiments: step
            .experiments
            .iter()
            .filter_map(|e| {
                crate::view::sweep::EXPERIMENTS
                    .iter()
                    .find(|(n, _)| n == e)
                    .map(|(n, q)| (n.to_string(), q.to_string()))
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::LabAction;
    use std::rc::Rc;

    fn observe(p: Rc<LabProgress>, run: u32, name: &str) -> Rc<LabProgress> {
        let tl = offset_lab_sim::Timeline::new(offset_lab_sim::preset(name).unwrap()).unwrap();
        let observation = lab::observe(&tl, tl.events.len());
        p.reduce(LabAction::Observe { run, observation })
    }

    #[test]
    fn a_question_is_judged_on_its_own_scenario_and_locked_once_revealed() {
        // The pitfalls question is about close() in finally, not the step's first scenario.
        let p = Rc::new(LabProgress::default()).reduce(LabAction::Predict {
            step: "pitfalls".into(),
            choice: 0,
        });
        let vm = lab_vm("pitfall-maxpoll-rebalance", &p).unwrap();
        let q = vm.predict.unwrap();
        assert_eq!(q.scenario, "pitfall-close-in-finally");
        assert!(!q.on_screen);
        // Playing another scenario of the step reveals nothing.
        let p = observe(p, 1, "pitfall-maxpoll-rebalance");
        assert!(
            lab_vm("pitfall-maxpoll-rebalance", &p)
                .unwrap()
                .predict
                .unwrap()
                .revealed
                .is_none()
        );
        // Playing its own scenario to the end reveals it: "still redelivered" was wrong.
        let p = observe(p, 2, "pitfall-close-in-finally");
        let q = lab_vm("pitfall-close-in-finally", &p)
            .unwrap()
            .predict
            .unwrap();
        let r = q.revealed.expect("revealed");
        assert!(!r.right);
        assert_eq!(r.correct, "Lost");
        // Locked: a new answer changes nothing; "try again" unlocks it.
        let same = p.clone().reduce(LabAction::Predict {
            step: "pitfalls".into(),
            choice: 1,
        });
        assert!(Rc::ptr_eq(&same, &p));
        let again = p.reduce(LabAction::Retry {
            step: "pitfalls".into(),
        });
        let q = lab_vm("pitfall-close-in-finally", &again)
            .unwrap()
            .predict
            .unwrap();
        assert_eq!((q.chosen, q.revealed), (None, None));
    }

    #[test]
    fn step_1_says_what_happened_only_after_the_run() {
        let p = Rc::new(LabProgress::default());
        let vm = lab_vm("step1-autocommit-sleep7", &p).unwrap();
        assert!(!vm.todo.contains("jumps past"), "{}", vm.todo);
        assert!(vm.after.is_none() && vm.answers.is_empty());
        let p = observe(p, 1, "step1-autocommit-sleep7");
        let vm = lab_vm("step1-autocommit-sleep7", &p).unwrap();
        assert!(vm.after.unwrap().contains("jumped past P-0001"));
    }

    #[test]
    fn a_scenario_of_no_step_has_no_lab_panel_and_an_edited_preset_keeps_its_step() {
        let p = LabProgress::default();
        assert!(lab_vm("custom", &p).is_none());
        assert!(lab_vm("my-own-week4", &p).is_none());
        assert_eq!(lab_vm("step2-manual-commit", &p).unwrap().step, 1);
    }
}
