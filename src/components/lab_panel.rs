//! Lab 05 as a guided path: the step's task, "predict before you run", the lab's own questions
//! answered by the run, the other scenarios of the step, and the success checklist that ticks
//! itself from what the student actually watched.

use std::rc::Rc;

use offset_lab_sim::lab::{self, Criterion};
use offset_lab_sim::{Ms, Scenario};
use yew::prelude::*;

use crate::backend::Dispatch;
use crate::lab::{LabProgress, step_of};
use crate::screen::Choice;
use crate::state::Action;
use crate::view::phase::PhaseVm;

#[derive(Properties, PartialEq)]
pub struct LabPanelProps {
    pub preset: AttrValue,
    pub scenario: Rc<Scenario>,
    /// Where in the auto-commit cycle the run on screen polled its first payment.
    pub phase_ms: Option<Ms>,
    /// The phase explorer's sweep of this scenario, once run.
    pub phase: Option<Rc<PhaseVm>>,
    pub choices: Rc<Vec<Choice>>,
    pub lab: Rc<LabProgress>,
    pub dispatch: Dispatch,
}

#[component]
pub fn LabPanel(p: &LabPanelProps) -> Html {
    let progress: &LabProgress = &p.lab;
    let current = step_of(&p.preset);
    let ix = current.unwrap_or(0);
    let Some(step) = lab::STEPS.get(ix) else {
        return html! {};
    };
    let titles: Vec<(String, String)> = step
        .presets
        .iter()
        .map(|n| {
            (
                n.to_string(),
                p.choices
                    .iter()
                    .find(|c| c.name == *n)
                    .map_or_else(|| n.to_string(), |c| c.title.clone()),
            )
        })
        .collect();
    let open = |name: &'static str| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::LoadScenario(name.to_string())))
    };
    let go = |to: Option<usize>| {
        to.and_then(|i| lab::STEPS.get(i))
            .and_then(|s| s.presets.first().copied())
    };
    let prev = go(ix.checked_sub(1));
    let next = go(Some(ix + 1));
    let met = progress.criteria();
    let finished = step.presets.first().is_some_and(|n| progress.finished(n));
    let predict = step.predict.as_ref().map(|q| {
        let chosen = progress.predictions.get(step.id).copied();
        let verdict = match (chosen, finished) {
            (None, _) => html! {
                <p class="predict-hint">
                    { "Choose an answer, then play the first scenario of this step to its end." }
                </p>
            },
            (Some(_), false) => html! { <p class="predict-hint">{ "Now play it to the end to check." }</p> },
            (Some(c), true) => {
                let right = c == q.correct;
                html! {
                    <div class={classes!("predict-result", if right { "right" } else { "wrong" })} role="status">
                        <p class="predict-verdict">
                            <span aria-hidden="true">{ if right { "✓ " } else { "✕ " } }</span>
                            {
                                if right {
                                    "You predicted it.".to_string()
                                } else {
                                    format!("Not quite: {}.", q.options[q.correct])
                                }
                            }
                        </p>
                        <p>{ q.explanation }</p>
                    </div>
                }
            }
        };
        html! {
            // A form of its own, so that the radio group is this playground's even when a course
            // page has several.
            <form class="predict-form" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
            <fieldset class="predict">
                <legend>{ "Predict before you run" }</legend>
                <p class="predict-q">{ q.question }</p>
                { for q.options.iter().enumerate().map(|(i, o)| {
                    let d = p.dispatch.clone();
                    let id = step.id.to_string();
                    let onchange = Callback::from(move |_: Event| {
                        d.dispatch(Action::Predict { step: id.clone(), choice: i })
                    });
                    html! {
                        <label class="predict-option">
                            <input type="radio" name={format!("predict-{}", step.id)} checked={chosen == Some(i)}
                                {onchange} />
                            { *o }
                        </label>
                    }
                }) }
                { verdict }
            </fieldset>
            </form>
        }
    });
    let reset = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ResetProgress))
    };
    html! {
        <section class="panel lab" aria-label="Lab 05">
            <div class="panel-head">
                <h2>{ "Lab 05" }</h2>
                <p class="panel-sub">{ "manual offset management" }</p>
            </div>
            <nav class="lab-nav" aria-label="Lab steps">
                <button type="button" class="ib" disabled={prev.is_none()} aria-label="Previous lab step"
                    onclick={prev.map(open)}>{ "‹" }</button>
                <span class="lab-pos">{ format!("{} of {}", ix + 1, lab::STEPS.len()) }</span>
                <button type="button" class="ib" disabled={next.is_none()} aria-label="Next lab step"
                    onclick={next.map(open)}>{ "›" }</button>
            </nav>
            <h3 class="lab-title">{ step.title }</h3>
            if current.is_none() {
                <p class="muted">{ "The scenario on screen is not one of this step's." }</p>
            }
            <p class="lab-todo">{ step.todo }</p>
            { predict.unwrap_or_default() }
            if step.id == "step1" && p.phase_ms.is_some() {
                <super::phase_explorer::PhaseExplorer scenario={p.scenario.clone()} phase_ms={p.phase_ms}
                    sweep={p.phase.clone()} dispatch={p.dispatch.clone()} />
            }
            <ul class="lab-presets" aria-label="Scenarios of this step">
                { for titles.iter().zip(step.presets.iter()).map(|((name, title), n)| html! {
                    <li>
                        <button type="button" class={classes!("lab-preset", (**name == *p.preset).then_some("on"))}
                            aria-current={(**name == *p.preset).then_some("true")} onclick={open(n)}>
                            if progress.finished(name) {
                                <span class="done" aria-label="watched to the end">{ "✓" }</span>
                            }
                            { title.clone() }
                        </button>
                    </li>
                }) }
            </ul>
            if finished && !step.answers.is_empty() {
                <details class="answers" open=true>
                    <summary>{ "The lab's questions, answered" }</summary>
                    <dl>
                        { for step.answers.iter().map(|(q, a)| html! { <><dt>{ *q }</dt><dd>{ *a }</dd></> }) }
                    </dl>
                </details>
            }
            <h3 class="sub-h">{ "Success criteria" }</h3>
            <ul class="checklist">
                { for Criterion::ALL.iter().map(|c| {
                    let done = met.contains(c);
                    html! {
                        <li class={classes!(done.then_some("done"))}>
                            <span class="box" aria-hidden="true">{ if done { "✓" } else { "" } }</span>
                            <span>
                                <span class="sr-only">{ if done { "done: " } else { "to do: " } }</span>
                                { c.text() }
                                if !done { <span class="how">{ c.how() }</span> }
                            </span>
                        </li>
                    }
                }) }
            </ul>
            <button type="button" class="link small" onclick={reset}>{ "Forget my progress" }</button>
        </section>
    }
}
