//! The consumer program as code, with the executing line highlighted as time moves. The gutter
//! works like a debugger's: click a line's gutter to place a crash point there ("crash here, on
//! the k-th message"); crash points show on their line and can be removed.

use std::rc::Rc;

use offset_lab_sim::scenario::{ClientModel, CrashKind};
use yew::prelude::*;

use crate::backend::Dispatch;
use crate::code::Listing;
use crate::edit::{crash_kind_from_key, crash_kind_key, point_label};
use crate::screen::Badge;
use crate::state::{Action, NewCrashPoint};

#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    pub listing: Rc<Listing>,
    /// The line being executed (0-based), if the process runs.
    pub active: Option<usize>,
    pub consumer: usize,
    pub consumers: Rc<Vec<String>>,
    /// The consumer's crash points under their lines.
    pub badges: Rc<Vec<Badge>>,
    /// The ways a consumer can end, in the client's words.
    pub kinds: Vec<(CrashKind, String)>,
    /// The message number a new crash point proposes.
    pub default_message: u32,
    pub client: ClientModel,
    pub dispatch: Dispatch,
}

/// The line whose crash-point editor is open, and the message number it proposes.
#[derive(Clone, Copy, PartialEq)]
struct Draft {
    line: usize,
    message: u32,
}

const RESTARTS: [(Option<u64>, &str); 4] = [
    (Some(1000), "restart after 1 s"),
    (Some(5000), "restart after 5 s"),
    (Some(30_000), "restart after 30 s"),
    (None, "no restart"),
];

#[component]
pub fn CodeView(p: &CodeViewProps) -> Html {
    let draft = use_state(|| None::<Draft>);
    // The editor's fields are read when it is submitted (no per-field state to go stale).
    let message_ref = use_node_ref();
    let kind_ref = use_node_ref();
    let restart_ref = use_node_ref();
    let l = &p.listing;
    let open = |line: usize| {
        let draft = draft.clone();
        let message = p.default_message.max(1);
        Callback::from(move |_: MouseEvent| {
            if draft.as_ref().is_some_and(|d| d.line == line) {
                draft.set(None);
            } else {
                draft.set(Some(Draft { line, message }));
            }
        })
    };
    let remove = |ix: usize| {
        let d = p.dispatch.clone();
        let consumer = p.consumer;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::RemoveCrashPoint { consumer, ix }))
    };
    let editor = |line: usize| -> Html {
        let Some(dr) = (*draft).filter(|d| d.line == line) else {
            return html! {};
        };
        let Some(point) = l.lines.get(line).and_then(|x| x.crash_point) else {
            return html! {};
        };
        let add = {
            let d = p.dispatch.clone();
            let draft = draft.clone();
            let consumer = p.consumer;
            let (message_ref, kind_ref, restart_ref) =
                (message_ref.clone(), kind_ref.clone(), restart_ref.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let message = message_ref
                    .cast::<web_sys::HtmlInputElement>()
                    .and_then(|i| i.value().trim().parse::<u32>().ok())
                    .unwrap_or(dr.message)
                    .max(1);
                let kind = kind_ref
                    .cast::<web_sys::HtmlSelectElement>()
                    .and_then(|s| crash_kind_from_key(&s.value()))
                    .unwrap_or(CrashKind::SysExit);
                let restart_after_ms = restart_ref
                    .cast::<web_sys::HtmlSelectElement>()
                    .map_or(Some(1000), |s| s.value().parse::<u64>().ok());
                let cp = NewCrashPoint {
                    at_ms: None,
                    point: Some(point),
                    message: Some(message),
                    kind,
                    restart_after_ms,
                };
                d.dispatch(Action::AddCrashPoint {
                    consumer,
                    point: cp,
                });
                draft.set(None);
            })
        };
        let cancel = {
            let draft = draft.clone();
            Callback::from(move |_: MouseEvent| draft.set(None))
        };
        html! {
            <li class="cp-editor">
                <form onsubmit={add} aria-label={format!("New crash point at line {}", line + 1)}>
                    <p class="cp-where">{ format!("Crash here: {}", point_label(point)) }</p>
                    <label class="cp-msg">{ "on message" }
                        <input ref={message_ref.clone()} type="number" min="1" step="1"
                            value={dr.message.to_string()} />
                    </label>
                    <select ref={kind_ref.clone()} aria-label="How the consumer ends">
                        { for p.kinds.iter().map(|(k, label)| html! {
                            <option value={crash_kind_key(*k)} selected={*k == CrashKind::SysExit}>
                                { label.clone() }
                            </option>
                        }) }
                    </select>
                    <select ref={restart_ref.clone()} aria-label="Restart">
                        { for RESTARTS.iter().map(|(ms, label)| html! {
                            <option value={ms.map_or_else(|| "none".to_string(), |m| m.to_string())}
                                selected={*ms == Some(1000)}>{ *label }</option>
                        }) }
                    </select>
                    <button type="submit" class="btn btn-danger">{ "Add crash point" }</button>
                    <button type="button" class="btn" onclick={cancel}>{ "Cancel" }</button>
                </form>
            </li>
        }
    };
    let tabs = if p.consumers.len() > 1 {
        html! {
            <div class="code-tabs" role="group" aria-label="Whose program">
                { for p.consumers.iter().enumerate().map(|(i, name)| {
                    let d = p.dispatch.clone();
                    let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::SetCodeConsumer(i)));
                    html! { <button type="button" class={classes!("tab", (i == p.consumer).then_some("on"))}
                        aria-pressed={if i == p.consumer { "true" } else { "false" }} {onclick}>
                        { name.clone() }
                    </button> }
                }) }
            </div>
        }
    } else {
        html! {}
    };
    html! {
        <section class="panel code" aria-label="The program">
            <div class="panel-head">
                <h2>{ "The program" }</h2>
                <p class="panel-sub">
                    <code>{ l.file_name.clone() }</code>{ " — click a line number marked ● to place a crash point" }
                </p>
            </div>
            { tabs }
            <ol class={classes!("code-lines", format!("lang-{}", crate::code::language_key(l.language)))}>
                { for l.lines.iter().enumerate().map(|(i, line)| {
                    let here: Vec<&Badge> = p.badges.iter().filter(|b| b.line == i).collect();
                    let active = p.active == Some(i);
                    let gutter = match line.crash_point {
                        Some(pt) => html! {
                            <button type="button"
                                class={classes!("gutter", "gutter-btn", (!here.is_empty()).then_some("has-cp"))}
                                onclick={open(i)} title={format!("Place a crash point: {}", point_label(pt))}
                                aria-label={format!("Line {}: place a crash point {}", i + 1, point_label(pt))}
                                aria-expanded={
                                    if draft.as_ref().is_some_and(|d| d.line == i) { "true" } else { "false" }
                                }>
                                <span class="ln">{ i + 1 }</span><span class="dot" aria-hidden="true">{ "●" }</span>
                            </button>
                        },
                        None => html! {
                            <span class="gutter">
                                <span class="ln">{ i + 1 }</span><span class="dot" aria-hidden="true">{ " " }</span>
                            </span>
                        },
                    };
                    html! {
                        <>
                            <li class={classes!("line", active.then_some("active"))}
                                aria-current={active.then_some("step")}>
                                { gutter }
                                <code class="src">
                                    // The indentation apart, so that a long line wraps under
                                    // its own text, not under the margin.
                                    <span class="ind">{ indent(&line.text) }</span>
                                    <span class="txt">{ body(&line.text) }</span>
                                </code>
                                if active { <span class="sr-only">{ " (executing now)" }</span> }
                            </li>
                            { for here.iter().map(|b| html! {
                                <li class="cp-badge">
                                    <span class="cp-icon" aria-hidden="true">{ "✕" }</span>
                                    <span>{ format!("crash point: {}", b.text) }</span>
                                    <button type="button" class="link" onclick={remove(b.ix)}
                                        aria-label={format!("Remove crash point: {}", b.text)}>
                                        { "remove" }
                                    </button>
                                </li>
                            }) }
                            { editor(i) }
                        </>
                    }
                }) }
            </ol>
            if p.active.is_none() {
                <p class="code-idle">{ "The process is not running: no line is executing." }</p>
            }
        </section>
    }
}

/// A line's leading spaces.
fn indent(text: &str) -> &str {
    &text[..text.len() - text.trim_start_matches(' ').len()]
}

/// A line without its leading spaces (a space for an empty line, so that it keeps its height).
fn body(text: &str) -> &str {
    match text.trim_start_matches(' ') {
        "" => " ",
        t => t,
    }
}
