//! The phase explorer (F.1): the same Step 1 run again with the payment arriving at every point
//! of one auto-commit cycle, each verdict drawn where in the cycle `poll()` returned it. It shows
//! that the loss depends on the timer's phase, not on 2 < 5. The worker runs the sweep
//! (`view::phase`); a click on a slice runs that one.

use std::rc::Rc;

use offset_lab_sim::Ms;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::backend::Dispatch;
use crate::edit::Setting;
use crate::state::Action;
use crate::view::phase::{PhaseVm, STEP_MS};
use crate::view::{dur, fixed};

#[derive(Properties, PartialEq)]
pub struct PhaseExplorerProps {
    /// The auto-commit interval: one cycle.
    pub interval_ms: Ms,
    /// The phase of the run on screen.
    pub phase_ms: Option<Ms>,
    /// The sweep, once run.
    pub sweep: Option<Rc<PhaseVm>>,
    pub dispatch: Dispatch,
}

#[component]
pub fn PhaseExplorer(p: &PhaseExplorerProps) -> Html {
    let interval = p.interval_ms.max(1);
    let run = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ExplorePhase))
    };
    let Some(sweep) = p.sweep.clone() else {
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
    // The keyboard: the strip is a slider over the slices; ←/→ run the neighbouring slice,
    // Home/End the first/last.
    let now_ix = p.phase_ms.and_then(|ph| {
        sweep
            .slices
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.phase_ms.abs_diff(ph))
            .map(|(i, _)| i)
    });
    let onkeydown = {
        let (d, sweep) = (p.dispatch.clone(), sweep.clone());
        Callback::from(move |e: KeyboardEvent| {
            let last = sweep.slices.len().saturating_sub(1);
            let to = match (e.key().as_str(), now_ix) {
                ("ArrowRight", Some(i)) => (i + 1).min(last),
                ("ArrowLeft", Some(i)) => i.saturating_sub(1),
                ("ArrowRight" | "Home", None) | ("Home", _) => 0,
                ("ArrowLeft" | "End", None) | ("End", _) => last,
                _ => return,
            };
            e.prevent_default();
            if Some(to) != now_ix
                && let Some(s) = sweep.slices.get(to)
            {
                d.dispatch(Action::ChangeSetting(Setting::FirstPaymentMs(
                    s.produced_ms,
                )));
            }
        })
    };
    let now_text = now_ix.and_then(|i| sweep.slices.get(i)).map(|s| {
        format!(
            "poll() {} into the cycle: {}",
            dur(s.phase_ms),
            crate::view::outcome::verdict_label(s.verdict)
        )
    });
    html! {
        <div class="phase">
            <h3 class="sub-h">{ "The timer's phase decides" }</h3>
            <svg class="phase-strip" viewBox="0 0 500 30" preserveAspectRatio="none" {onclick} {onkeydown}
                tabindex="0" role="slider" aria-label="Where in the auto-commit cycle the payment is polled"
                aria-valuemin="0" aria-valuemax={interval.to_string()}
                aria-valuenow={p.phase_ms.map(|ph| ph.to_string())} aria-valuetext={now_text}>
                { for sweep.slices.iter().map(|pt| {
                    let ph = pt.phase_ms;
                    let class = if pt.lost { "ph ph-lost" } else { "ph ph-kept" };
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
            <p class="phase-summary">{ sweep.summary.clone() }</p>
            <p class="muted">
                { "Click a slice, or focus the strip and use ← →, to run the scenario with the payment arriving there." }
            </p>
        </div>
    }
}
