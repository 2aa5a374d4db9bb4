//! "Prove it": the program on screen run under every single crash, rebalance and stall the
//! core can place, in the worker (`offset_lab_session::prove`). This draws the button, the
//! progress, the verdict and the counterexamples the worker sends (`view::prove`), each with a
//! button that opens its run.

use std::rc::Rc;

use yew::prelude::*;

use super::rules::rule_text;

use crate::backend::Dispatch;
use crate::state::Action;
use crate::view::prove::{ChallengeVerdict, ProveVm};

#[derive(Properties, PartialEq)]
pub struct ProveProps {
    pub vm: Option<Rc<ProveVm>>,
    /// The consumer whose program is proved (the one the code view shows), and its name.
    pub consumer: usize,
    pub consumer_name: AttrValue,
    /// The worker is busy: how far, in per mille.
    pub progress: Option<u32>,
    pub dispatch: Dispatch,
}

/// A challenge's verdict on the program proved.
pub fn challenge_verdict(c: &ChallengeVerdict, d: &Dispatch) -> Html {
    let open = c.run.map(|i| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::OpenProofRun(i)))
    });
    html! {
        <div class={classes!("prove-challenge", if c.met { "met" } else { "unmet" })}>
            <p><b>{ if c.met { "✓ Goal met. " } else { "✕ Goal not met yet. " } }</b>{ rule_text(&c.goal) }</p>
            <p class="muted">{ rule_text(&c.reason) }</p>
            if let Some(onclick) = open {
                <button type="button" class="btn btn-small" {onclick}>{ "Open the run that breaks it" }</button>
            }
        </div>
    }
}

#[component]
pub fn Prove(p: &ProveProps) -> Html {
    let d = &p.dispatch;
    let prove = {
        let d = d.clone();
        let c = p.consumer;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Prove(c)))
    };
    let busy = p.progress.is_some();
    let open = |run: usize| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::OpenProofRun(run)))
    };
    let result = p.vm.as_ref().map(|vm| {
        html! {
            <div class={classes!("prove-result", vm.stale.then_some("stale"))} data-testid="prove-result">
                if vm.stale {
                    <p class="prove-stale">{ "The program has changed since this proof: prove it again." }</p>
                }
                <p class={classes!("prove-verdict", if vm.safe { "safe" } else { "unsafe" })} role="status">
                    <span aria-hidden="true">{ if vm.safe { "✓ " } else { "✕ " } }</span>{ rule_text(&vm.verdict) }
                </p>
                if let Some(c) = &vm.challenge { { challenge_verdict(c, d) } }
                <p class="prove-scope muted">{ format!("{}'s program. {}", vm.consumer_name, vm.scope) }</p>
                if !vm.groups.is_empty() {
                    <ul class="prove-groups" aria-label="Counterexamples, worst first">
                        { for vm.groups.iter().map(|g| html! {
                            <li class={classes!("pg", format!("pg-{}", g.kind))}>
                                <p class="pg-title">
                                    { g.title.clone() }
                                    <span class="pg-n">{ if g.runs == 1 { "1 run".to_string() } else { format!("{} runs", g.runs) } }</span>
                                </p>
                                <ul class="pg-runs">
                                    { for g.examples.iter().map(|x| html! {
                                        <li class={classes!((vm.open == Some(x.run)).then_some("on"))}>
                                            <span>{ rule_text(&x.sentence) }</span>
                                            if vm.open == Some(x.run) {
                                                <span class="pg-on">{ "on screen" }</span>
                                            } else {
                                                <button type="button" class="btn btn-small" onclick={open(x.run)}
                                                    aria-label={format!("Open this run: {}", x.sentence)}>{ "Open this run" }</button>
                                            }
                                        </li>
                                    }) }
                                </ul>
                                if g.runs > g.examples.len() {
                                    <p class="muted pg-more">{ format!("and {} more like these", g.runs - g.examples.len()) }</p>
                                }
                            </li>
                        }) }
                    </ul>
                    if vm.groups_left_out > 0 {
                        <p class="muted">{ format!("{} more kinds of outcome not listed.", vm.groups_left_out) }</p>
                    }
                }
            </div>
        }
    });
    html! {
        <section class="panel prove" aria-label="Prove it">
            <div class="panel-head">
                <h2>{ "Prove it" }</h2>
                <p class="panel-sub">{ "every single crash, rebalance and stall, each in its own run" }</p>
            </div>
            <p class="muted">
                { format!("Runs {}'s program once per crash point of its first messages (kill, sys.exit, \
                           close()), per moment of an auto-commit cycle, with a second consumer joining, and \
                           with a stall past max.poll.interval.ms.", p.consumer_name) }
            </p>
            <div class="prove-go">
                <button type="button" class="btn prove-btn" onclick={prove} disabled={busy}>{ "Prove it" }</button>
                if let Some(pm) = p.progress {
                    <progress class="busy-bar" max="1000" value={pm.to_string()} aria-label="Proof progress"></progress>
                    <span class="muted">{ format!("{} %", pm / 10) }</span>
                }
            </div>
            { result.unwrap_or_default() }
        </section>
    }
}
