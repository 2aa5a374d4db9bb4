//! The phase explorer (F.1): the same Step 1 run again with the payment arriving at every point
//! of one auto-commit cycle, each verdict drawn where in the cycle `poll()` returned it. It shows
//! that the loss depends on the timer's phase, not on 2 < 5. Click a slice to run that one.

use std::rc::Rc;
use std::sync::Arc;

use offset_lab_sim::sweep::phase::{PhasePoint, phase_sweep};
use offset_lab_sim::{Ms, Scenario, Verdict};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::edit::Setting;
use crate::state::{Action, AppState};
use crate::view::{dur, fixed};

/// Distance between two runs of the sweep.
const STEP_MS: u64 = 100;

#[derive(Properties, PartialEq)]
pub struct PhaseExplorerProps {
    pub scenario: Arc<Scenario>,
    /// The phase of the run on screen.
    pub phase_ms: Option<Ms>,
    pub dispatch: UseReducerDispatcher<AppState>,
}

/// The scenario without the payment's production time: sweeps of scenarios that differ only
/// there are the same sweep.
fn sweep_key(sc: &Scenario) -> Scenario {
    let mut k = sc.clone();
    k.topic.payments.start_ms = 0;
    k
}

/// "lost in 40 % of the cycle, when poll() returns it 3.0 s to 5.0 s into it".
pub fn summary(points: &[PhasePoint], interval: Ms) -> String {
    let with_phase: Vec<(Ms, Verdict)> = points
        .iter()
        .filter_map(|p| p.phase_ms.map(|ph| (ph, p.verdict)))
        .collect();
    if with_phase.is_empty() {
        return "poll() never returned the payment in these runs.".to_string();
    }
    let lost: Vec<Ms> = with_phase
        .iter()
        .filter(|(_, v)| *v == Verdict::Lost)
        .map(|(ph, _)| *ph)
        .collect();
    let pct = lost.len() * 100 / with_phase.len();
    match (lost.iter().min(), lost.iter().max()) {
        _ if lost.is_empty() => format!(
            "Never lost, wherever in the {} cycle poll() returns it.",
            dur(interval)
        ),
        _ if lost.len() == with_phase.len() => format!(
            "Lost in every run: any processing window this long contains a tick of the {} timer.",
            dur(interval)
        ),
        (Some(lo), Some(hi)) => format!(
            "Lost in {pct} % of the cycle: when poll() returns it between {} and {} after a tick, \
             the next tick falls inside the processing.",
            dur(*lo),
            dur(*hi + STEP_MS.min(interval))
        ),
        _ => String::new(),
    }
}

#[component]
pub fn PhaseExplorer(p: &PhaseExplorerProps) -> Html {
    let sweep = use_state(|| None::<(Rc<Scenario>, Rc<Vec<PhasePoint>>)>);
    let Some(interval) = p
        .scenario
        .consumers
        .first()
        .map(|c| c.config.auto_commit_interval_ms.max(1))
    else {
        return html! {};
    };
    let key = sweep_key(&p.scenario);
    let points = (*sweep)
        .as_ref()
        .filter(|(k, _)| **k == key)
        .map(|(_, pts)| pts.clone());
    let run = {
        let sweep = sweep.clone();
        let sc = p.scenario.clone();
        Callback::from(move |_: MouseEvent| {
            let pts = phase_sweep(&sc, STEP_MS);
            sweep.set(Some((Rc::new(sweep_key(&sc)), Rc::new(pts))));
        })
    };
    let Some(points) = points else {
        return html! {
            <div class="phase">
                <h3 class="sub-h">{ "The timer's phase decides" }</h3>
                <p class="muted">
                    {
                        format!(
                            "Run this scenario {} times, with the payment arriving at every point of one {} \
                             auto-commit cycle.",
                            interval.div_ceil(STEP_MS),
                            dur(interval)
                        )
                    }
                </p>
                <button type="button" class="btn btn-small" onclick={run}>{ "Explore the phase" }</button>
            </div>
        };
    };
    let onclick = {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let produced = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.get_attribute("data-produced"))
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(ms) = produced {
                d.dispatch(Action::ChangeSetting(Setting::FirstPaymentMs(ms)));
            }
        })
    };
    let w = |ms: Ms| ms as f64 * 500.0 / interval as f64;
    html! {
        <div class="phase">
            <h3 class="sub-h">{ "The timer's phase decides" }</h3>
            <svg class="phase-strip" viewBox="0 0 500 30" preserveAspectRatio="none" {onclick}
                role="img" aria-label={summary(&points, interval)}>
                { for points.iter().filter_map(|pt| pt.phase_ms.map(|ph| (pt, ph))).map(|(pt, ph)| {
                    let class = if pt.verdict == Verdict::Lost { "ph ph-lost" } else { "ph ph-kept" };
                    html! {
                        <rect {class} x={fixed(w(ph), 1)} y="0" width={fixed(w(STEP_MS) + 0.6, 1)} height="30"
                            data-produced={pt.produced_ms.to_string()}>
                            <title>
                                {
                                    format!(
                                        "poll() {} into the cycle: {}",
                                        dur(ph),
                                        crate::view::outcome::verdict_label(pt.verdict)
                                    )
                                }
                            </title>
                        </rect>
                    }
                }) }
                if let Some(ph) = p.phase_ms {
                    <rect class="ph-now" x={fixed((w(ph) - 2.0).max(0.0), 1)} y="0" width="4" height="30" />
                }
            </svg>
            <div class="phase-axis" aria-hidden="true">
                <span>{ "0 s" }</span><span>{ format!("{} after a tick", dur(interval)) }</span>
            </div>
            <p class="phase-legend">
                <span class="sw sw-lost" aria-hidden="true"></span>{ "lost " }
                <span class="sw sw-kept" aria-hidden="true"></span>{ "redelivered, not lost " }
                <span class="sw sw-now" aria-hidden="true"></span>{ "this run" }
            </p>
            <p class="phase-summary">{ summary(&points, interval) }</p>
            <p class="muted">{ "Click a slice to run the scenario with the payment arriving there." }</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep2_is_lost_for_part_of_the_cycle_and_sleep7_always() {
        // F.1: with S = 2 s the loss depends on the phase; with S = 7 s it never does.
        let s2 = offset_lab_sim::preset("step1-phase-explorer").unwrap();
        let pts = phase_sweep(&s2, 250);
        let text = summary(&pts, 5000);
        assert!(
            text.starts_with("Lost in 40 %") || text.starts_with("Lost in 4"),
            "{text}"
        );
        let s7 = offset_lab_sim::preset("step1-autocommit-sleep7").unwrap();
        assert!(summary(&phase_sweep(&s7, 500), 5000).starts_with("Lost in every run"));
    }
}
