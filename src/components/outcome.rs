//! The outcome: counters, what the run cost, and the ledger of payments; each lost or
//! duplicated payment lists the events that made it so, linked to the timeline.

use crate::backend::Dispatch;
use std::rc::Rc;

use yew::prelude::*;

use super::clients::client_compare;
use super::log_lanes::cause_html;
use crate::state::Action;
use crate::view::callout::Counter;
use crate::view::clients::ClientsVm;
use crate::view::lanes::{cell_class, glyph, short_label};
use crate::view::outcome::LedgerRow;

#[derive(Properties, PartialEq)]
pub struct OutcomeProps {
    pub counters: Rc<Vec<Counter>>,
    /// What the run cost, in a line.
    pub costs: AttrValue,
    pub at_end: bool,
    pub at: AttrValue,
    pub rows: Rc<Vec<LedgerRow>>,
    pub left_out: usize,
    pub problems_only: bool,
    pub selected: Option<u32>,
    pub dispatch: Dispatch,
    /// The same program under both clients, shown under the counters.
    pub clients: Rc<ClientsVm>,
}

#[component]
pub fn Outcome(p: &OutcomeProps) -> Html {
    let select = |pay: u32| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(Some(pay))))
    };
    html! {
        <section class="panel outcome" aria-label="Outcome">
            <div class="panel-head">
                <h2>{ "Outcome" }</h2>
                <p class="panel-sub">{ if p.at_end { "final".to_string() } else { format!("so far, at {}", p.at) } }</p>
            </div>
            <ul class={classes!("counters", (p.counters.len() > 4).then_some("six"))}
                aria-label="Payments by outcome" data-testid="counters">
                { for p.counters.iter().map(|c| html! {
                    <li class={c.class.clone()} data-kind={c.label.clone()}><b>{ c.n }</b><span>{ c.label.clone() }</span></li>
                }) }
            </ul>
            <p class="costs">{ p.costs.clone() }</p>
            { client_compare(&p.clients, &p.dispatch, p.at_end) }
            <div class="ledger-wrap">
                <ol class="ledger" data-testid="ledger" aria-label="Ledger of payments">
                    { for p.rows.iter().map(|r| html! {
                        <li class={classes!(
                                "entry",
                                format!("v-{}", crate::view::outcome::verdict_label(r.verdict)),
                                (p.selected == Some(r.payment)).then_some("sel")
                            )}
                            data-payment={r.id.clone()}>
                            <div class="entry-main">
                                <button type="button" class="link pay" onclick={select(r.payment)}
                                    aria-label={format!("Show the story of {}", r.id)}>{ r.id.clone() }</button>
                                <span class="where">{ r.place.clone() }</span>
                                <span class="amount">{ r.amount.clone() }</span>
                                <span class="applied" title="times its effect was applied">
                                    { format!("applied {}×", r.applied) }
                                </span>
                                <span class="status">
                                    <span class={classes!(cell_class(r.state), "mini")} aria-hidden="true">
                                        { glyph(r.state) }
                                    </span>
                                    { short_label(r.state) }
                                </span>
                            </div>
                            if !r.why.is_empty() {
                                <ol class="why" aria-label={format!("Why {} is {}", r.id, r.state.label())}>
                                    { for r.why.iter().map(|c| cause_html(c, &p.dispatch)) }
                                </ol>
                            }
                        </li>
                    }) }
                </ol>
            </div>
            if p.rows.is_empty() && p.problems_only {
                <p class="muted">{ "No payment is lost, duplicated or in flight." }</p>
            }
            if p.left_out > 0 || p.problems_only {
                <p class="muted">{ format!("Showing lost, duplicated and in-flight payments only{}.",
                    if p.left_out > 0 { format!(" ({} more not listed)", p.left_out) } else { String::new() }) }</p>
            }
        </section>
    }
}
