//! The Experiments panel: the built-in experiments, each with the question it answers and a
//! button to run it; a compact form to sweep any setting of the scenario on screen; progress
//! while the worker runs the sweep, then its charts and the result in a sentence. A point of a
//! chart opens its run.

use std::rc::Rc;

use offset_lab_sim::sweep::grid::Param;
use yew::prelude::*;

use super::chart::Chart;
use super::value_of;
use crate::backend::Dispatch;
use crate::state::Action;
use crate::view::sweep::{EXPERIMENTS, SweepVm};

#[derive(Properties, PartialEq)]
pub struct SweepPanelProps {
    pub sweep: Option<Rc<SweepVm>>,
    /// Per mille of the work done, while the worker is busy.
    pub progress: Option<u32>,
    pub dispatch: Dispatch,
    /// Drawn at the end of the panel (two runs side by side).
    #[prop_or_default]
    pub children: Html,
}

/// Values to start from for a setting.
fn example(p: Param) -> &'static str {
    match p {
        Param::ProcessingMs => "0, 1000, 2000, 3000, 5000, 7000",
        Param::AutoCommitIntervalMs => "1000, 2000, 5000, 10000",
        Param::CrashAtMs => "3000, 5000, 7000, 9000",
        Param::PhaseMs => "0, 1000, 2000, 3000, 4000",
        Param::BatchSize => "1, 5, 10, 50",
        Param::Commit => "none, auto, before, sync-each, async-each, batch-10",
        Param::Mode => "sync, async",
        Param::RttMs => "1, 5, 20, 40",
        Param::RetryAttempts => "0, 1, 3, 5",
        Param::RetryBackoffMs => "0, 100, 1000",
        Param::Consumers => "1, 2, 3",
        Param::Partitions => "1, 2, 4",
        Param::FailurePerMille => "0, 100, 300",
        Param::Sink => "ledger, idempotent, database",
    }
}

#[component]
pub fn SweepPanel(p: &SweepPanelProps) -> Html {
    let param = use_state_eq(|| Param::ProcessingMs);
    let values = use_state_eq(|| example(Param::ProcessingMs).to_string());
    // An optional second setting: a small grid, one series per value.
    let param2 = use_state_eq(|| None::<Param>);
    let values2 = use_state_eq(String::new);
    let busy = p.progress.is_some();
    let d = &p.dispatch;
    // A new result comes into view, wherever its Run button was (the lab panel has some).
    let result = crate::hooks::use_reveal(p.sweep.clone());
    let run = |name: &'static str| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::RunExperiment(name.to_string())))
    };
    let on_param = {
        let (param, values) = (param.clone(), values.clone());
        Callback::from(move |e: Event| {
            if let Some(p) = Param::from_key(&value_of(&e)) {
                param.set(p);
                values.set(example(p).to_string());
            }
        })
    };
    let on_values = {
        let values = values.clone();
        Callback::from(move |e: InputEvent| values.set(value_of(&e)))
    };
    let on_param2 = {
        let (param2, values2) = (param2.clone(), values2.clone());
        Callback::from(move |e: Event| {
            let p = Param::from_key(&value_of(&e));
            param2.set(p);
            values2.set(p.map(example).unwrap_or_default().to_string());
        })
    };
    let on_values2 = {
        let values2 = values2.clone();
        Callback::from(move |e: InputEvent| values2.set(value_of(&e)))
    };
    let on_sweep = {
        let (d, param, values) = (d.clone(), param.clone(), values.clone());
        let (param2, values2) = (param2.clone(), values2.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            d.dispatch(Action::RunSweep {
                param: *param,
                values: (*values).clone(),
                second: (*param2).map(|p| (p, (*values2).clone())),
            });
        })
    };
    html! {
        <section class="panel experiments" aria-label="Experiments">
            <div class="panel-head">
                <h2>{ "Experiments" }</h2>
                <p class="panel-sub">{ "run a scenario many times, one setting varied, and chart what it changes" }</p>
            </div>
            <ul class="exp-list">
                { for EXPERIMENTS.iter().map(|(name, question)| {
                    let on = p.sweep.as_ref().is_some_and(|s| s.experiment.as_deref() == Some(*name));
                    html! {
                        <li class={classes!("exp", on.then_some("on"))}>
                            <span class="exp-q">{ *question }</span>
                            <button type="button" class="btn btn-small" data-experiment={*name}
                                disabled={busy} onclick={run(name)}
                                aria-label={format!("Run: {question}")}>{ "Run" }</button>
                        </li>
                    }
                }) }
            </ul>
            <form class="sweep-form" onsubmit={on_sweep}>
                <p class="sweep-form-h">{ "Sweep any setting of this scenario" }</p>
                <label>
                    <span>{ "Setting" }</span>
                    <select onchange={on_param} aria-label="Setting to sweep">
                        { for Param::ALL.iter().map(|q| html! {
                            <option value={q.key()} selected={*q == *param}>{ q.label() }</option>
                        }) }
                    </select>
                </label>
                <label>
                    <span>{ "Values, comma separated" }</span>
                    <input type="text" value={(*values).clone()} oninput={on_values}
                        aria-label="Values to sweep, comma separated" spellcheck="false" />
                </label>
                <label>
                    <span>{ "Against (optional)" }</span>
                    <select onchange={on_param2} aria-label="Second setting to sweep">
                        <option value="" selected={param2.is_none()}>{ "nothing else" }</option>
                        { for Param::ALL.iter().filter(|q| **q != *param).map(|q| html! {
                            <option value={q.key()} selected={Some(*q) == *param2}>{ q.label() }</option>
                        }) }
                    </select>
                </label>
                if param2.is_some() {
                    <label>
                        <span>{ "Its values" }</span>
                        <input type="text" value={(*values2).clone()} oninput={on_values2}
                            aria-label="Values of the second setting, comma separated" spellcheck="false" />
                    </label>
                }
                <button type="submit" class="btn btn-small" disabled={busy}>{ "Sweep" }</button>
            </form>
            if let Some(permille) = p.progress {
                <p class="sweep-busy" role="status">
                    <progress max="1000" value={permille.to_string()} aria-label="Sweep progress"></progress>
                    { format!("Running… {} %", permille / 10) }
                </p>
            }
            if let Some(s) = &p.sweep {
                <div class="sweep-result" ref={result}>
                    <h3 class="sub-h">{ s.title.clone() }</h3>
                    <p class="sweep-reading">{ s.reading.clone() }</p>
                    <p class="sweep-sentence" role="status">{ s.sentence.clone() }</p>
                    <div class="sweep-charts">
                        { for (0..s.charts.len()).map(|index| html! {
                            <Chart sweep={s.clone()} {index} dispatch={d.clone()} />
                        }) }
                    </div>
                    <p class="muted sweep-hint">
                        { format!("{} runs. Click a point, or focus it and press Enter, to open that run.", s.runs) }
                    </p>
                </div>
            }
            { p.children.clone() }
        </section>
    }
}
