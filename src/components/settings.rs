//! Settings: the consumer's configuration and program, as the lab changes them. A change runs
//! the scenario again from the start with the same seed and keeps the time; a new processing
//! time can instead apply from the cursor on (a fork). Also the crash points and actions, which
//! are part of the scenario, and the scenario itself as JSON.

use crate::backend::Dispatch;
use std::rc::Rc;

use offset_lab_sim::Scenario;
use offset_lab_sim::scenario::{ActionKind, ClientModel};
use yew::prelude::*;

use super::{checked_of, value_of};
use crate::edit::{CommitStrategy, Setting, crash_kind_label_for, crash_point_label_for};
use crate::state::Action;
use crate::view::clock;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub scenario: Rc<Scenario>,
    pub fork_processing: bool,
    pub dispatch: Dispatch,
}

#[component]
pub fn Settings(p: &SettingsProps) -> Html {
    let sc = &p.scenario;
    let Some(first) = sc.consumers.first() else {
        return html! {};
    };
    let cfg = &first.config;
    let prog = &first.program;
    let java = sc.client == ClientModel::Java;
    let d = &p.dispatch;
    let on_check = |f: fn(bool) -> Setting| {
        let d = d.clone();
        Callback::from(move |e: Event| d.dispatch(Action::ChangeSetting(f(checked_of(&e)))))
    };
    let on_number = |f: fn(u64) -> Setting, lo: u64, hi: u64| {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Ok(v) = value_of(&e).trim().parse::<u64>() {
                d.dispatch(Action::ChangeSetting(f(v.clamp(lo, hi))));
            }
        })
    };
    let on_strategy = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = CommitStrategy::from_key(&value_of(&e)) {
                d.dispatch(Action::ChangeSetting(Setting::Strategy(s)));
            }
        })
    };
    let on_client = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let m = if value_of(&e) == "java" {
                ClientModel::Java
            } else {
                ClientModel::Librdkafka
            };
            d.dispatch(Action::ChangeSetting(Setting::Client(m)));
        })
    };
    let on_fork = {
        let d = d.clone();
        Callback::from(move |e: Event| d.dispatch(Action::SetForkProcessing(checked_of(&e))))
    };
    let strategy = CommitStrategy::of(prog);
    let mut crash_items = Vec::new();
    for (c, spec) in sc.consumers.iter().enumerate() {
        for (ix, cp) in spec.crashes.iter().enumerate() {
            let d = d.clone();
            let onclick = Callback::from(move |_: MouseEvent| {
                d.dispatch(Action::RemoveCrashPoint { consumer: c, ix })
            });
            let text = format!("{}: {}", spec.name, crash_point_label_for(cp, sc.client));
            crash_items.push(html! {
                <li><span class="cp-icon" aria-hidden="true">{ "✕" }</span><span>{ text.clone() }</span>
                    <button type="button" class="link" {onclick} aria-label={format!("Remove crash point {text}")}>
                        { "remove" }
                    </button></li>
            });
        }
    }
    let action_items: Vec<Html> = sc
        .actions
        .iter()
        .enumerate()
        .map(|(ix, a)| {
            let d = d.clone();
            let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::RemoveAction(ix)));
            let what = match &a.act {
                ActionKind::Crash { kind } => format!("crash ({})", crash_kind_label_for(*kind, sc.client)),
                ActionKind::Restart => "restart".to_string(),
                ActionKind::SetProcessingMs { processing_ms } => format!("processing time → {processing_ms} ms"),
            };
            let text = format!("{} · {} · {what}", clock(a.at_ms), a.consumer);
            html! {
                <li><span class="cp-icon" aria-hidden="true">{ "⑂" }</span><span>{ text.clone() }</span>
                    <button type="button" class="link" {onclick} aria-label={format!("Remove action {text}")}>
                        { "remove" }
                    </button></li>
            }
        })
        .collect();
    html! {
        <section class="panel settings" aria-label="Settings">
            <div class="panel-head">
                <h2>{ "Settings" }</h2>
                <p class="panel-sub">{ "a change replays the run from the start (same seed) and keeps the time" }</p>
            </div>
            if !sc.description.is_empty() {
                <details class="about">
                    <summary>{ "About this scenario" }</summary>
                    <p>{ sc.description.clone() }</p>
                </details>
            }
            <div class="fields">
                <label class="field check">
                    <input type="checkbox" checked={cfg.enable_auto_commit}
                        onchange={on_check(Setting::EnableAutoCommit)} />
                    <code>{ "enable.auto.commit" }</code>
                </label>
                <label class="field">
                    <code>{ "auto.commit.interval.ms" }</code>
                    <input type="number" min="100" max="600000" step="100"
                        value={cfg.auto_commit_interval_ms.to_string()} disabled={!cfg.enable_auto_commit}
                        onchange={on_number(Setting::AutoCommitIntervalMs, 1, 3_600_000)} />
                </label>
                <label class="field check">
                    <input type="checkbox" checked={cfg.enable_auto_offset_store} disabled={java}
                        onchange={on_check(Setting::EnableAutoOffsetStore)} />
                    <code>{ "enable.auto.offset.store" }</code>
                    if java { <span class="muted">{ " (librdkafka only)" }</span> }
                </label>
                <label class="field">
                    <span>{ "processing time per payment (ms)" }</span>
                    <input type="number" min="0" max="600000" step="100" value={prog.processing_ms.to_string()}
                        onchange={on_number(Setting::ProcessingMs, 0, 3_600_000)} />
                </label>
                <label class="field check sub">
                    <input type="checkbox" checked={p.fork_processing} onchange={on_fork} />
                    <span>{ "apply a new processing time from the cursor on (fork)" }</span>
                </label>
                <label class="field">
                    <span>{ "first payment produced at (ms)" }</span>
                    <input type="number" min="0" max="3600000" step="100" value={sc.topic.payments.start_ms.to_string()}
                        onchange={on_number(Setting::FirstPaymentMs, 0, 3_600_000)} />
                </label>
                <label class="field">
                    <span>
                        { if java { "max.poll.records (batch size)" } else { "batch size: consume(num_messages)" } }
                    </span>
                    <input type="number" min="1" max="500" step="1" value={prog.poll.max_messages.to_string()}
                        onchange={on_number(|n| Setting::BatchSize(n as u32), 1, 10_000)} />
                </label>
                <label class="field">
                    <span>{ "commit strategy" }</span>
                    <select onchange={on_strategy}>
                        if strategy == CommitStrategy::Custom {
                            <option value="custom" selected=true>{ CommitStrategy::Custom.label() }</option>
                        }
                        { for CommitStrategy::CHOICES.iter().map(|s| html! {
                            <option value={s.key()} selected={*s == strategy}>{ s.label() }</option>
                        }) }
                    </select>
                </label>
                <label class="field check">
                    <input type="checkbox" checked={prog.close_in_finally}
                        onchange={on_check(Setting::CloseInFinally)} />
                    <span><code>{ "try: … finally: consumer.close()" }</code></span>
                </label>
                <label class="field">
                    <span>{ "client" }</span>
                    <select onchange={on_client}>
                        <option value="librdkafka" selected={!java}>{ "confluent-kafka-python (librdkafka)" }</option>
                        <option value="java" selected={java}>{ "Java KafkaConsumer" }</option>
                    </select>
                </label>
            </div>
            <h3 class="sub-h">{ "Crash points" }</h3>
            if crash_items.is_empty() {
                <p class="muted">{ "None. Click a ● line number in the program, or place one on the timeline." }</p>
            } else {
                <ul class="cps">{ for crash_items }</ul>
            }
            <h3 class="sub-h">{ "Your actions (forks)" }</h3>
            if action_items.is_empty() {
                <p class="muted">
                    { "None. “Crash now” and “Restart now” on a consumer card act at the cursor's time." }
                </p>
            } else {
                <ul class="cps">{ for action_items }</ul>
            }
            <details class="json">
                <summary>{ "Scenario as JSON" }</summary>
                <textarea readonly=true rows="12" aria-label="The scenario as JSON" value={sc.to_json()} />
            </details>
        </section>
    }
}
