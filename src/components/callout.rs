//! The callout: the key moment at the cursor, explained in plain words at the instant it
//! happens; and the five moments as a row of numbered stops to jump between.

use crate::backend::Dispatch;
use std::rc::Rc;

use yew::prelude::*;

use super::rules::rule_text;

use crate::state::{Action, Notice};

pub use crate::view::callout::CalloutVm;

#[derive(Properties, PartialEq)]
pub struct CalloutProps {
    pub moment: Option<Rc<CalloutVm>>,
    /// The cursor is well past the moment (offer to jump back to it).
    pub stale: bool,
    /// For each moment number 1–5: the cursor of its first occurrence in this run.
    pub stops: Rc<Vec<(u8, Option<usize>)>>,
    pub cursor: usize,
    pub dispatch: Dispatch,
}

const STOP_NAMES: [&str; 5] = [
    "committed before processed",
    "died without close()",
    "resumed at the committed offset",
    "close() commits",
    "outcome",
];

#[component]
pub fn Callout(p: &CalloutProps) -> Html {
    let seek = |c: usize| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SeekCursor(c)))
    };
    let stops = html! {
        <nav class="stops" aria-label="Key moments">
            <span class="stops-label">{ "Key moments" }</span>
            { for p.stops.iter().map(|(n, at)| {
                let name = STOP_NAMES.get(*n as usize - 1).copied().unwrap_or("");
                match at {
                    Some(c) => {
                        let seen = p.cursor >= *c;
                        html! {
                            <button type="button" class={classes!("stop", format!("stop-{n}"), seen.then_some("seen"))}
                                onclick={seek(*c)} title={format!("Moment {n}: {name}")}
                                aria-label={format!("Jump to moment {n}: {name}")}>{ n }</button>
                        }
                    }
                    None => html! {
                        <span class="stop absent" title={format!("Moment {n} ({name}) does not happen in this run")}>
                            { n }<span class="sr-only">{ format!(": {name} does not happen in this run") }</span>
                        </span>
                    },
                }
            }) }
        </nav>
    };
    let Some(m) = &p.moment else {
        return html! {
            <div class="callout-wrap">
                { stops }
                <div class="callout callout-idle" role="status" aria-live="polite">
                    <p>{ "Press Play or step forward: the key moments will be explained here as they happen." }</p>
                </div>
            </div>
        };
    };
    let dismiss = {
        let d = p.dispatch.clone();
        let ix = m.ix;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Dismiss(ix)))
    };
    html! {
        <div class="callout-wrap">
            { stops }
            <div class={classes!("callout", format!("tone-{}", m.tone))} role="status" aria-live="polite"
                data-moment={m.number.to_string()}>
                <div class="callout-badge" aria-hidden="true">{ m.number }</div>
                <div class="callout-body">
                    <h2 class="callout-title">
                        <span class="sr-only">{ format!("Key moment {}: ", m.number) }</span>
                        { m.title.clone() }
                        <span class="callout-at">{ format!(" · at {}", m.at) }</span>
                    </h2>
                    <p class="callout-text">{ rule_text(&m.text) }</p>
                    if let Some(extra) = &m.extra {
                        <p class="callout-extra">{ extra }</p>
                    }
                    if let Some(cs) = &m.counters {
                        <ul class="mini-counters">
                            { for cs.iter().map(|c| html! {
                                <li class={c.class.clone()}><b>{ c.n }</b>{ " " }{ c.label.clone() }</li>
                            }) }
                        </ul>
                    }
                    if let Some(costs) = &m.costs {
                        <p class="callout-extra">{ costs }</p>
                    }
                    if let Some((change, rows)) = &m.compare {
                        <table class="compare">
                            <caption>{ format!("As loaded, and now after your changes ({change})") }</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{ "" }</th><th scope="col">{ "as loaded" }</th>
                                    <th scope="col">{ "now" }</th>
                                </tr>
                            </thead>
                            <tbody>
                                { for rows.iter().map(|(what, a, b)| html! {
                                    <tr class={classes!((a != b).then_some("changed"))}>
                                        <th scope="row">{ what }</th><td>{ a }</td><td>{ b }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    }
                    if p.stale {
                        <button type="button" class="link" onclick={seek(m.ix + 1)}>
                            { "Go back to this moment" }
                        </button>
                    }
                </div>
                <button type="button" class="ib close" onclick={dismiss} aria-label="Hide this explanation">
                    { "✕" }
                </button>
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NoticeBarProps {
    pub notice: Option<Notice>,
    pub dispatch: Dispatch,
}

/// An error or a note about the last change.
#[component]
pub fn NoticeBar(p: &NoticeBarProps) -> Html {
    let Some(n) = &p.notice else { return html! {} };
    let close = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::DismissNotice))
    };
    html! {
        <div class={classes!("notice", n.error.then_some("notice-error"))}
            role={if n.error { "alert" } else { "status" }}>
            <span aria-hidden="true" class="notice-icon">{ if n.error { "⚠" } else { "ℹ" } }</span>
            <p>{ rule_text(&n.text) }</p>
            <button type="button" class="ib close" onclick={close} aria-label="Dismiss">{ "✕" }</button>
        </div>
    }
}
