//! The builder: every decision of the lab as a control, drawn from the worker's description
//! (`builder::BuilderVm`). A change is a scenario edit the worker validates; a refused one shows
//! the core's message at its field and changes nothing. Below: the crash points and forks, and
//! the scenario's JSON, editable, checked as the student types.

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use yew::prelude::*;

use super::{checked_of, value_of};
use crate::backend::Dispatch;
use crate::builder::{BuilderVm, Edit, Field, Input, Key, Section};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct BuilderProps {
    pub vm: Rc<BuilderVm>,
    pub fork_processing: bool,
    /// The JSON editor's draft, checked by the worker.
    pub json_check: Option<Result<(), String>>,
    pub dispatch: Dispatch,
}

/// A checked draft is sent after the student stops typing this long.
const CHECK_AFTER_MS: u32 = 300;

fn field_id(f: &Field) -> String {
    format!(
        "f-{}",
        f.path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    )
}

fn field(f: &Field, d: &Dispatch) -> Html {
    let set = |make: fn(String) -> Edit| {
        let d = d.clone();
        let key: Key = f.key.clone();
        Callback::from(move |e: Event| {
            d.dispatch(Action::SetField {
                key: key.clone(),
                edit: make(value_of(&e)),
            })
        })
    };
    let id = field_id(f);
    let err_id = format!("{id}-err");
    let help_id = format!("{id}-help");
    let described = if f.error.is_some() {
        format!("{help_id} {err_id}")
    } else {
        help_id.clone()
    };
    let label = if f.code {
        html! { <code>{ f.label.clone() }</code> }
    } else {
        html! { <span>{ f.label.clone() }</span> }
    };
    let invalid = f.error.is_some().then_some("true");
    let control = match &f.input {
        Input::Bool(on) => {
            let d = d.clone();
            let key = f.key.clone();
            let onchange = Callback::from(move |e: Event| {
                d.dispatch(Action::SetField {
                    key: key.clone(),
                    edit: Edit::Bool(checked_of(&e)),
                })
            });
            return html! {
                <div class={classes!("field", "check", f.error.is_some().then_some("has-error"))}>
                    <label for={id.clone()}>
                        <input type="checkbox" id={id.clone()} checked={*on} disabled={f.disabled} {onchange}
                            aria-describedby={described} aria-invalid={invalid} />
                        { label }
                    </label>
                    <span class="help" id={help_id}>{ f.help.clone() }</span>
                    if let Some(e) = &f.error { <span class="field-error" id={err_id} role="alert">{ e.clone() }</span> }
                </div>
            };
        }
        Input::Number { value, unit } => html! {
            <span class="num">
                <input type="text" inputmode="numeric" id={id.clone()} value={value.to_string()} disabled={f.disabled}
                    onchange={set(Edit::Number)} aria-describedby={described} aria-invalid={invalid} />
                if !unit.is_empty() { <span class="unit">{ unit.clone() }</span> }
            </span>
        },
        Input::Choice { value, options } => html! {
            <select id={id.clone()} disabled={f.disabled} onchange={set(Edit::Choice)}
                aria-describedby={described} aria-invalid={invalid}>
                { for options.iter().map(|(k, l)| html! {
                    <option value={k.clone()} selected={k == value}>{ l.clone() }</option>
                }) }
            </select>
        },
        Input::Text(t) => html! {
            <input type="text" id={id.clone()} value={t.clone()} disabled={f.disabled} onchange={set(Edit::Text)}
                aria-describedby={described} aria-invalid={invalid} />
        },
    };
    html! {
        <div class={classes!("field", f.error.is_some().then_some("has-error"))}>
            <label for={id}>{ label }</label>
            { control }
            <span class="help" id={help_id}>{ f.help.clone() }</span>
            if let Some(e) = &f.error { <span class="field-error" id={err_id} role="alert">{ e.clone() }</span> }
        </div>
    }
}

fn section(s: &Section, many: bool, d: &Dispatch) -> Html {
    let remove = s.consumer.filter(|_| many).map(|c| {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::RemoveConsumer(c)))
    });
    html! {
        <fieldset class="builder-section">
            <legend>{ s.title.clone() }</legend>
            if let Some(onclick) = remove {
                <button type="button" class="link small remove-consumer" {onclick}
                    aria-label={format!("Remove {}", s.title)}>{ "remove" }</button>
            }
            { for s.fields.iter().map(|f| field(f, d)) }
            if !s.advanced.is_empty() {
                <details class="advanced">
                    <summary>{ "More settings" }</summary>
                    { for s.advanced.iter().map(|f| field(f, d)) }
                </details>
            }
        </fieldset>
    }
}

/// The scenario's JSON, editable: checked as the student types, opened with "Apply".
#[derive(Properties, PartialEq)]
struct JsonEditorProps {
    json: AttrValue,
    check: Option<Result<(), String>>,
    dispatch: Dispatch,
}

#[component]
fn JsonEditor(p: &JsonEditorProps) -> Html {
    let draft = use_state(|| None::<String>);
    let timer = use_mut_ref(|| None::<Timeout>);
    // A new scenario (applied, or edited elsewhere) replaces the draft.
    {
        let draft = draft.clone();
        use_effect_with(p.json.clone(), move |_| draft.set(None));
    }
    let oninput = {
        let (draft, timer, d) = (draft.clone(), timer.clone(), p.dispatch.clone());
        Callback::from(move |e: InputEvent| {
            let Some(t) = e
                .target_dyn_into::<web_sys::HtmlTextAreaElement>()
                .map(|t| t.value())
            else {
                return;
            };
            draft.set(Some(t.clone()));
            let d = d.clone();
            *timer.borrow_mut() = Some(Timeout::new(CHECK_AFTER_MS, move || {
                d.dispatch(Action::CheckJson(t))
            }));
        })
    };
    let apply = {
        let (draft, d) = (draft.clone(), p.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(t) = (*draft).clone() {
                d.dispatch(Action::ApplyJson(t));
            }
        })
    };
    let reset = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| draft.set(None))
    };
    let edited = draft.is_some();
    let status = match (&p.check, edited) {
        (_, false) => {
            html! { <p class="json-status muted">{ "Edit the JSON, then apply it." }</p> }
        }
        (Some(Ok(())), true) => {
            html! { <p class="json-status ok" role="status">{ "Valid: apply it to run it." }</p> }
        }
        (Some(Err(e)), true) => {
            html! { <p class="json-status field-error" role="alert">{ e.clone() }</p> }
        }
        (None, true) => html! { <p class="json-status muted">{ "Checking…" }</p> },
    };
    let valid = edited && matches!(p.check, Some(Ok(())));
    html! {
        <details class="json">
            <summary>{ "Scenario as JSON" }</summary>
            <textarea rows="14" spellcheck="false" aria-label="The scenario as JSON"
                value={(*draft).clone().unwrap_or_else(|| p.json.to_string())} {oninput} />
            { status }
            <div class="json-actions">
                <button type="button" class="btn btn-small" disabled={!valid} onclick={apply}>{ "Apply" }</button>
                <button type="button" class="btn btn-small" disabled={!edited} onclick={reset}>{ "Discard changes" }</button>
            </div>
        </details>
    }
}

#[component]
pub fn Builder(p: &BuilderProps) -> Html {
    let vm = &p.vm;
    let d = &p.dispatch;
    let many = vm.sections.iter().filter(|s| s.consumer.is_some()).count() > 1;
    let add = {
        let d = d.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::AddConsumer))
    };
    let on_fork = {
        let d = d.clone();
        Callback::from(move |e: Event| d.dispatch(Action::SetForkProcessing(checked_of(&e))))
    };
    let item = |text: &str, onclick: Callback<MouseEvent>, icon: &'static str| {
        html! {
            <li><span class="cp-icon" aria-hidden="true">{ icon }</span><span>{ text.to_string() }</span>
                <button type="button" class="link" {onclick} aria-label={format!("Remove {text}")}>{ "remove" }</button></li>
        }
    };
    html! {
        <section class="panel settings builder" aria-label="Build the consumer">
            <div class="panel-head">
                <h2>{ "Build" }</h2>
                <p class="panel-sub">{ "each change replays the run from the start (same seed) and keeps the time" }</p>
            </div>
            if let Some(e) = &vm.error {
                <p class="field-error" role="alert">{ e.clone() }</p>
            }
            if !vm.warnings.is_empty() {
                <ul class="warnings" aria-label="Warnings">
                    { for vm.warnings.iter().map(|w| html! { <li>{ w.clone() }</li> }) }
                </ul>
            }
            <div class="fields">
                { for vm.sections.iter().map(|s| section(s, many, d)) }
                <label class="field check sub">
                    <input type="checkbox" checked={p.fork_processing} onchange={on_fork} />
                    <span>{ "a new processing time applies from the cursor on (fork)" }</span>
                </label>
                if vm.can_add_consumer {
                    <button type="button" class="btn btn-small" onclick={add}>{ "+ Add a consumer" }</button>
                }
            </div>
            <h3 class="sub-h">{ "Crash points" }</h3>
            if vm.crash_points.is_empty() {
                <p class="muted">{ "None. Click a ● line number in the program, or place one on the timeline." }</p>
            } else {
                <ul class="cps">
                    { for vm.crash_points.iter().map(|c| {
                        let d = d.clone();
                        let (consumer, ix) = (c.consumer, c.ix);
                        let onclick = Callback::from(move |_: MouseEvent| {
                            d.dispatch(Action::RemoveCrashPoint { consumer, ix })
                        });
                        item(&format!("crash point {}", c.text), onclick, "✕")
                    }) }
                </ul>
            }
            <h3 class="sub-h">{ "Your actions (forks)" }</h3>
            if vm.actions.is_empty() {
                <p class="muted">
                    { "None. “Crash now” and “Restart now” on a consumer card act at the cursor's time." }
                </p>
            } else {
                <ul class="cps">
                    { for vm.actions.iter().map(|a| {
                        let d = d.clone();
                        let ix = a.ix;
                        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::RemoveAction(ix)));
                        item(&format!("action {}", a.text), onclick, "⑂")
                    }) }
                </ul>
            }
            <JsonEditor json={AttrValue::from(vm.json.clone())} check={p.json_check.clone()} dispatch={d.clone()} />
        </section>
    }
}
