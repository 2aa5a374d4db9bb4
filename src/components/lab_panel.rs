//! Lab 05 as a guided path: the step's task, "predict before you run" (about one named
//! scenario, locked once its run has revealed the answer), the step's scenarios, the lab's own
//! questions answered by the run, and the success checklist that ticks itself from what the
//! student actually did. Everything here is decided by the worker (`view::lab`).

use std::rc::Rc;

use offset_lab_sim::Ms;
use yew::prelude::*;

use super::rules::rule_text;

use crate::backend::Dispatch;
use crate::state::Action;
use crate::view::lab::ChallengeVm;
use crate::view::lab::{LabVm, PredictVm};
use crate::view::phase::PhaseVm;
use crate::view::prove::ProveVm;

#[derive(Properties, PartialEq)]
pub struct LabPanelProps {
    pub vm: Rc<LabVm>,
    /// The phase explorer: the auto-commit interval, where in it the run on screen polled its
    /// first payment, and the sweep once run.
    pub interval_ms: Option<Ms>,
    pub phase_ms: Option<Ms>,
    pub phase: Option<Rc<PhaseVm>>,
    /// The last proof: its verdict on the step's challenge, when it is of the program on screen.
    pub prove: Option<Rc<ProveVm>>,
    /// The Experiments panel is offered: the step's experiments can open there.
    #[prop_or_default]
    pub experiments: bool,
    /// A sweep is running in the worker.
    #[prop_or_default]
    pub busy: bool,
    pub dispatch: Dispatch,
}

/// The built-in experiments that measure this step, each opening its chart in the Experiments
/// panel.
fn measure(vm: &LabVm, busy: bool, d: &Dispatch) -> Html {
    html! {
        <div class="lab-measure">
            <h4 class="lab-measure-h">{ "Measure it" }</h4>
            <ul class="lab-measure-list">
                { for vm.experiments.iter().map(|(name, question)| {
                    let d = d.clone();
                    let name = name.clone();
                    let onclick = Callback::from(move |_: MouseEvent| {
                        d.dispatch(Action::RunExperiment(name.clone()))
                    });
                    html! {
                        <li>
                            <span>{ question.clone() }</span>
                            <button type="button" class="btn btn-small" disabled={busy} {onclick}
                                aria-label={format!("Chart it: {question}")}>{ "Chart it" }</button>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}

/// The step's challenge: its goal, where to start, and the verdict of "prove it" on the program
/// on screen.
fn challenge(c: &ChallengeVm, prove: Option<&ProveVm>, d: &Dispatch) -> Html {
    let start = {
        let d = d.clone();
        let id = c.id.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::StartChallenge(id.clone())))
    };
    let verdict = prove
        .filter(|p| !p.stale)
        .and_then(|p| p.challenge.as_ref())
        .filter(|v| v.id == c.id);
    html! {
        <div class={classes!("lab-challenge", c.met.then_some("met"))} data-testid="challenge">
            <h3 class="sub-h">
                { "Challenge" }
                if c.met { <span class="done-badge">{ "✓ met with your program" }</span> }
            </h3>
            <p class="challenge-goal">{ rule_text(&c.goal) }</p>
            if !c.note.is_empty() { <p class="muted">{ rule_text(&c.note) }</p> }
            if c.on_screen {
                <p class="muted">{ "Change the program in Build, then press “Prove it”." }</p>
            } else {
                <button type="button" class="btn btn-small" onclick={start}>{ "Start from the naive program" }</button>
            }
            if let Some(v) = verdict { { super::prove::challenge_verdict(v, d) } }
            <details class="hint"><summary>{ "A hint" }</summary><p>{ rule_text(&c.hint) }</p></details>
        </div>
    }
}

fn predict(q: &PredictVm, d: &Dispatch) -> Html {
    let open = {
        let d = d.clone();
        let name = q.scenario.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::LoadScenario(name.clone())))
    };
    let locked = q.revealed.is_some();
    let status = match (&q.revealed, q.chosen, q.on_screen) {
        (Some(r), _, _) => {
            let retry = {
                let d = d.clone();
                let step = q.step.clone();
                Callback::from(move |_: MouseEvent| {
                    d.dispatch(Action::RetryPrediction(step.clone()))
                })
            };
            html! {
                <div class={classes!("predict-result", if r.right { "right" } else { "wrong" })} role="status">
                    <p class="predict-verdict">
                        <span aria-hidden="true">{ if r.right { "✓ " } else { "✕ " } }</span>
                        {
                            if r.right {
                                "You predicted it.".to_string()
                            } else {
                                format!("Not quite: {}.", r.correct)
                            }
                        }
                    </p>
                    <p>{ rule_text(&r.explanation) }</p>
                    <button type="button" class="link small" onclick={retry}>{ "Answer again" }</button>
                </div>
            }
        }
        (None, None, _) => html! {
            <p class="predict-hint">{ "Choose an answer, then play its scenario to the end." }</p>
        },
        (None, Some(_), true) => html! {
            <p class="predict-hint">{ "Now play it to the end to check." }</p>
        },
        (None, Some(_), false) => html! {
            <p class="predict-hint">
                { "Now open " }
                <button type="button" class="link" onclick={open.clone()}>{ q.scenario_title.clone() }</button>
                { " and play it to the end to check." }
            </p>
        },
    };
    html! {
        // A form of its own, so that the radio group is this playground's even when a course
        // page has several.
        <form class="predict-form" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <fieldset class="predict" disabled={locked}>
                <legend>{ "Predict before you run" }</legend>
                <p class="predict-about">
                    { "About: " }
                    if q.on_screen {
                        <span class="predict-on">{ q.scenario_title.clone() }</span>
                    } else {
                        <button type="button" class="link" onclick={open}>{ q.scenario_title.clone() }</button>
                    }
                </p>
                <p class="predict-q">{ rule_text(&q.question) }</p>
                { for q.options.iter().enumerate().map(|(i, o)| {
                    let d = d.clone();
                    let step = q.step.clone();
                    let onchange = Callback::from(move |_: Event| {
                        d.dispatch(Action::Predict { step: step.clone(), choice: i })
                    });
                    html! {
                        <label class="predict-option">
                            <input type="radio" name={format!("predict-{}", q.step)} checked={q.chosen == Some(i)}
                                {onchange} />
                            { o.clone() }
                        </label>
                    }
                }) }
            </fieldset>
            { status }
        </form>
    }
}

#[component]
pub fn LabPanel(p: &LabPanelProps) -> Html {
    let vm = &p.vm;
    let d = &p.dispatch;
    let open = |name: String| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::LoadScenario(name.clone())))
    };
    let reset = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ResetProgress))
    };
    html! {
        <section class="panel lab" aria-label="Lab 05">
            <div class="panel-head">
                <h2>{ "Lab 05" }</h2>
                <p class="panel-sub">{ "manual offset management" }</p>
            </div>
            <nav class="lab-nav" aria-label="Lab steps">
                <button type="button" class="ib" disabled={vm.prev.is_none()} aria-label="Previous lab step"
                    onclick={vm.prev.clone().map(open)}>{ "‹" }</button>
                <span class="lab-pos">{ format!("{} of {}", vm.step + 1, vm.steps) }</span>
                <button type="button" class="ib" disabled={vm.next.is_none()} aria-label="Next lab step"
                    onclick={vm.next.clone().map(open)}>{ "›" }</button>
            </nav>
            <h3 class="lab-title">{ vm.title.clone() }</h3>
            <p class="lab-todo">{ rule_text(&vm.todo) }</p>
            { vm.predict.as_ref().map(|q| predict(q, d)).unwrap_or_default() }
            if let Some(after) = &vm.after {
                <p class="lab-after">{ rule_text(after) }</p>
            }
            if let Some(c) = &vm.challenge { { challenge(c, p.prove.as_deref(), d) } }
            if let (true, Some(interval)) = (vm.phase_explorer, p.interval_ms) {
                <super::phase_explorer::PhaseExplorer interval_ms={interval} phase_ms={p.phase_ms}
                    sweep={p.phase.clone()} dispatch={d.clone()} />
            }
            if p.experiments && !vm.experiments.is_empty() { { measure(vm, p.busy, d) } }
            <ul class="lab-presets" aria-label="Scenarios of this step">
                { for vm.presets.iter().map(|s| html! {
                    <li>
                        <button type="button" class={classes!("lab-preset", s.current.then_some("on"))}
                            aria-current={s.current.then_some("true")} onclick={open(s.name.clone())}>
                            if s.finished {
                                <span class="done" aria-label="watched to the end">{ "✓" }</span>
                            }
                            { s.title.clone() }
                        </button>
                    </li>
                }) }
            </ul>
            if !vm.answers.is_empty() {
                <details class="answers" open=true>
                    <summary>{ "The lab's questions, answered" }</summary>
                    <dl>
                        { for vm.answers.iter().map(|(q, a)| html! { <><dt>{ q.clone() }</dt><dd>{ rule_text(a) }</dd></> }) }
                    </dl>
                </details>
            }
            <h3 class="sub-h">{ "Success criteria" }</h3>
            <ul class="checklist">
                { for vm.criteria.iter().map(|c| html! {
                    <li class={classes!(c.done.then_some("done"))}>
                        <span class="box" aria-hidden="true">{ if c.done { "✓" } else { "" } }</span>
                        <span>
                            <span class="sr-only">{ if c.done { "done: " } else { "to do: " } }</span>
                            { c.text.clone() }
                            if !c.done { <span class="how">{ rule_text(&c.how) }</span> }
                        </span>
                    </li>
                }) }
            </ul>
            <button type="button" class="link small" onclick={reset}>{ "Forget my progress" }</button>
        </section>
    }
}
