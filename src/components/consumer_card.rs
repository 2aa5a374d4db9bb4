//! A consumer's card: state, ids, partitions with `position()` and `committed()`, the payment
//! in hand, its timers as countdowns, its commits; and the buttons to crash or restart it.

use crate::backend::Dispatch;
use offset_lab_sim::scenario::{ClientModel, CrashKind};
use yew::prelude::*;

use crate::edit::crash_kind_label_for;
use crate::state::Action;
use crate::view::cards::{Card, Timer};

#[derive(Properties, PartialEq)]
pub struct ConsumerCardProps {
    pub card: Card,
    pub client: ClientModel,
    pub dispatch: Dispatch,
}

/// A donut that fills as the period elapses: the auto-commit timer's phase.
fn donut(fraction: f64) -> Html {
    const R: f64 = 8.0;
    let c = 2.0 * std::f64::consts::PI * R;
    let on = crate::view::fixed(fraction.clamp(0.0, 1.0) * c, 2);
    html! {
        <svg class="donut" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
            <circle cx="10" cy="10" r="8" class="donut-bg" />
            <circle cx="10" cy="10" r="8" class="donut-fg" transform="rotate(-90 10 10)"
                stroke-dasharray={format!("{on} {}", crate::view::fixed(c, 2))} />
        </svg>
    }
}

fn bar(fraction: f64, class: &'static str) -> Html {
    let w = crate::view::fixed(fraction.clamp(0.0, 1.0) * 100.0, 1);
    html! {
        <svg class={classes!("bar", class)} viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true"
            focusable="false">
            <rect x="0" y="0" width="100" height="6" rx="3" class="bar-bg" />
            <rect x="0" y="0" width={w} height="6" rx="3" class="bar-fg" />
        </svg>
    }
}

fn timer_html(t: &Timer) -> Html {
    let visual = if t.name == "auto-commit" {
        donut(t.permille as f64 / 1000.0)
    } else {
        bar(t.permille as f64 / 1000.0, "bar-timer")
    };
    html! {
        <li class={classes!("timer", t.alert.then_some("alert"))}>
            { visual }
            <span class="timer-name">{ t.name.clone() }</span>
            <span class="timer-text">{ t.text.clone() }</span>
            if !t.note.is_empty() { <span class="timer-note">{ t.note.clone() }</span> }
        </li>
    }
}

#[component]
pub fn ConsumerCard(p: &ConsumerCardProps) -> Html {
    let c = &p.card;
    let crash = |kind: CrashKind| {
        let d = p.dispatch.clone();
        let consumer = c.index;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::CrashNow { consumer, kind }))
    };
    let restart = {
        let d = p.dispatch.clone();
        let consumer = c.index;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::RestartNow { consumer }))
    };
    html! {
        <article class={classes!("card", format!("card-{}", c.status.key()))}
            aria-label={c.name.clone()}>
            <header class="card-head">
                <h3>{ c.name.clone() }</h3>
                <span class={c.status.class()}>{ c.status.label() }</span>
            </header>
            if !c.detail.is_empty() { <p class="card-detail">{ c.detail.clone() }</p> }
            <dl class="ids">
                <div><dt>{ "member" }</dt><dd>{ c.member.clone().unwrap_or_else(|| "—".into()) }</dd></div>
                <div>
                    <dt>{ "generation" }</dt>
                    <dd>{ c.generation.map_or_else(|| "—".into(), |g| g.to_string()) }</dd>
                </div>
                <div>
                    <dt>{ "run" }</dt>
                    <dd>{ if c.incarnation == 0 { "—".to_string() } else { format!("#{}", c.incarnation) } }</dd>
                </div>
                <div>
                    <dt>{ "assigned" }</dt>
                    <dd>{ if c.partitions.is_empty() { "nothing".to_string() } else { c.partitions.clone() } }</dd>
                </div>
            </dl>
            if let Some(w) = &c.work {
                <div class={classes!("work", w.at_risk.then_some("at-risk"))}>
                    <div class="work-line">
                        <span class="work-pay">{ format!("processing {}", w.payment) }</span>
                        <span class="work-time">{ w.text.clone() }</span>
                    </div>
                    <div role="progressbar" aria-label={format!("Processing {}", w.payment)}
                        aria-valuemin="0" aria-valuemax={w.total_ms.to_string()}
                        aria-valuenow={w.elapsed_ms.to_string()}
                        aria-valuetext={w.text.clone()}>
                        {
                            bar(
                                if w.total_ms == 0 { 1.0 } else { w.elapsed_ms as f64 / w.total_ms as f64 },
                                "bar-work",
                            )
                        }
                    </div>
                    if let Some(b) = &w.batch { <span class="work-batch">{ b.clone() }</span> }
                    if w.at_risk {
                        <p class="work-risk">
                            <span aria-hidden="true">{ "! " }</span>
                            { "At risk: the committed offset is already past it." }
                        </p>
                    }
                </div>
            }
            if !c.parts.is_empty() {
                <table class="offsets">
                    <thead><tr>
                        <th scope="col">{ "partition" }</th>
                        <th scope="col"><code>{ "position()" }</code></th>
                        <th scope="col"><code>{ "committed()" }</code></th>
                        if c.parts.iter().any(|r| r.stored.is_some()) { <th scope="col">{ "stored" }</th> }
                    </tr></thead>
                    <tbody>
                        { for c.parts.iter().map(|r| html! {
                            <tr class={classes!(r.ahead.then_some("ahead"))}>
                                <th scope="row">{ r.name.clone() }</th>
                                <td>{ r.position.clone() }</td>
                                <td class="committed">{ r.committed.clone() }</td>
                                if let Some(s) = &r.stored { <td>{ s.clone() }</td> }
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            if !c.timers.is_empty() {
                <ul class="timers">{ for c.timers.iter().map(timer_html) }</ul>
            }
            if let Some(g) = &c.ghost {
                <div class="ghost">
                    <ul class="timers">{ timer_html(g) }</ul>
                    <p class="ghost-note">{ g.note.clone() }</p>
                </div>
            }
            if !c.commits.is_empty() {
                <ul class="commits" aria-label="Commits">
                    { for c.commits.iter().map(|l| {
                        let (class, icon, word) = match l.ok {
                            None => ("cm-flight", "⇡", "in flight: "),
                            Some(true) => ("cm-ok", "✓", "acknowledged: "),
                            Some(false) => ("cm-fail", "✕", "failed: "),
                        };
                        html! {
                            <li class={class}><span aria-hidden="true" class="cm-icon">{ icon }</span>
                                <span class="sr-only">{ word }</span>{ l.text.clone() }</li>
                        }
                    }) }
                </ul>
            }
            <div class="card-actions">
                if c.alive {
                    <details class="menu">
                        <summary class="btn btn-danger">{ "Crash now" }</summary>
                        <div class="menu-items" role="group" aria-label={format!("Crash {} now", c.name)}>
                            { for [CrashKind::Kill, CrashKind::SysExit, CrashKind::Close].into_iter().map(|k| html! {
                                <button type="button" class="btn" onclick={crash(k)}>
                                    { crash_kind_label_for(k, p.client) }
                                </button>
                            }) }
                        </div>
                    </details>
                } else if c.incarnation > 0 {
                    <button type="button" class="btn" onclick={restart}>{ format!("Restart {} now", c.name) }</button>
                }
            </div>
        </article>
    }
}
