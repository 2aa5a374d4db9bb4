//! The outcome: counters, what the run cost, and the ledger of payments; each lost or
//! duplicated payment lists the events that made it so, linked to the timeline.

use std::rc::Rc;

use offset_lab_sim::Summary;
use yew::prelude::*;

use super::clients::client_compare;
use super::log_lanes::cause_html;
use crate::state::{Action, AppState};
use crate::view::clients::ClientsVm;
use crate::view::dur;
use crate::view::lanes::{cell_class, glyph, short_label};
use crate::view::outcome::{LedgerRow, RunStats};

#[derive(Properties, PartialEq)]
pub struct OutcomeProps {
    pub summary: Summary,
    pub at_end: bool,
    pub at: AttrValue,
    pub rows: Rc<Vec<LedgerRow>>,
    pub left_out: usize,
    pub problems_only: bool,
    pub stats: RunStats,
    pub selected: Option<u32>,
    pub dispatch: UseReducerDispatcher<AppState>,
    /// The same program under both clients, shown under the counters.
    pub clients: Rc<ClientsVm>,
}

/// The counters: lost, duplicated, once, pending; skipped and dead-lettered when there are any.
pub fn counters(s: &Summary) -> Vec<(&'static str, &'static str, u32)> {
    let mut out = vec![
        ("ctr ctr-lost", "lost", s.lost),
        ("ctr ctr-dup", "duplicated", s.duplicated),
        ("ctr ctr-once", "once", s.once),
        ("ctr ctr-pending", "pending", s.pending),
    ];
    if s.skipped > 0 {
        out.push(("ctr ctr-skipped", "skipped", s.skipped));
    }
    if s.dead_lettered > 0 {
        out.push(("ctr ctr-dead", "dead-lettered", s.dead_lettered));
    }
    out
}

pub fn costs_text(st: &RunStats) -> String {
    let mut parts = vec![format!(
        "{} commit request{}{}",
        st.commits,
        if st.commits == 1 { "" } else { "s" },
        if st.auto_commits > 0 {
            format!(" ({} by the auto-commit timer)", st.auto_commits)
        } else {
            String::new()
        }
    )];
    if st.failed_commits > 0 {
        parts.push(format!("{} failed", st.failed_commits));
    }
    if st.sync_wait_ms > 0 {
        parts.push(format!("{} blocked in commit()", dur(st.sync_wait_ms)));
    }
    if st.per_second >= 1.0 {
        parts.push(format!(
            "{} payments recorded per second",
            crate::view::fixed(st.per_second, 1)
        ));
    } else if st.per_second > 0.0 {
        parts.push(format!(
            "{} payments recorded per minute",
            crate::view::fixed(st.per_second * 60.0, 1)
        ));
    }
    parts.join(" · ")
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
            <ul class={classes!("counters", (counters(&p.summary).len() > 4).then_some("six"))}
                aria-label="Payments by outcome" data-testid="counters">
                { for counters(&p.summary).iter().map(|(class, label, n)| html! {
                    <li class={*class} data-kind={*label}><b>{ n }</b><span>{ *label }</span></li>
                }) }
            </ul>
            <p class="costs">{ costs_text(&p.stats) }</p>
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
