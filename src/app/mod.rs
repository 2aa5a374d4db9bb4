//! The root component: where the playground lives (its own page, an iframe, a course page's
//! element: `embed`), the connection to its session in the worker (`backend`), the hooks that
//! connect it to the browser, and the frame. It derives nothing about the run: it draws the
//! screens the worker sends ([`offset_lab_session::screen`]) and sends back what the student
//! does.
//! `browser` holds what it reads from and writes to the browser (the link, local storage),
//! `view` the latest screen, merged from the parts the worker sends when they change.

use std::rc::Rc;

use offset_lab_session::protocol::{FromWorker, Start};
use yew::prelude::*;

use crate::backend::{self, Dispatch, Heard};
use crate::components::file_menu::file_menu;
use crate::components::{
    Builder, Callout, CodeView, ConsumerCard, Header, LabPanel, LogLanes, Narration, NoticeBar,
    Outcome, PaymentDetail, Prove, SweepPanel, TimeBar, TimelineView,
};
use crate::embed::ElementConfig;
use crate::hooks::{
    measure_step_end, use_file_drop, use_keyboard, use_playback, use_report_height,
};
use crate::state::{Action, Panel, SPEEDS};

mod browser;
mod course;
mod loading;
mod view;

pub use view::View;

use browser::{
    load_progress_json, local_storage, page_link, set_url_query, show_notice, url_query,
};
use loading::{Loading, ProgressBar};
use view::{ViewAction, ViewState};

#[derive(Properties, Clone, PartialEq, Default)]
pub struct AppProps {
    /// Set for a playground on a course page's element (`data-offset-lab`); `None` for the
    /// app's own page (or iframe), whose URL it reads and writes.
    #[prop_or_default]
    pub element: Option<Rc<ElementConfig>>,
}

/// What the page does with a message that is not a screen: save a file, copy or open a link,
/// tell the embedding page what the student did.
fn side_effect(msg: &FromWorker, dispatch: &Dispatch, course: &course::Target) {
    match msg {
        FromWorker::Course { json, .. } => course.tell(json),
        FromWorker::File { file, .. }
            if crate::files::download(&file.name, &file.mime, &file.text).is_err() =>
        {
            dispatch.dispatch(Action::Notify(crate::state::Notice {
                error: true,
                text: format!("The browser did not save {}.", file.name),
            }));
        }
        FromWorker::Link { share, query, .. } => {
            let link = page_link(query);
            match share {
                crate::state::Share::Copy => crate::files::copy_link(link, dispatch.clone()),
                crate::state::Share::Open => {
                    let _ = gloo::utils::window().open_with_url_and_target(&link, "_blank");
                }
            }
        }
        _ => {}
    }
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let element = props.element.clone();
    let own_page = element.is_none();
    let index = element.as_ref().map_or(0, |e| e.index);
    let d = Dispatch::new(index);
    let view = use_reducer(ViewState::default);
    // Open this playground's session in the worker, once; close it when unmounted.
    {
        let sink = view.dispatcher();
        let d = d.clone();
        use_effect_with((), move |_| {
            let start = match &element {
                Some(e) => Start::Element(e.start()),
                None => Start::Link { query: url_query() },
            };
            // Lab progress is saved only by the app's own page: embedded playgrounds share the
            // origin's storage with each other and with it.
            let lab = own_page.then(load_progress_json).flatten();
            let session = d.session();
            let course = course::Target::new(element.as_ref().map(|e| e.index), &url_query());
            let listener = Callback::from(move |heard: Heard| {
                if let Heard::Message(m) = &heard {
                    side_effect(m, &d, &course);
                }
                sink.dispatch(ViewAction::Heard(heard));
            });
            backend::open(session, start, lab, listener);
            move || backend::close(session)
        });
    }
    let root = use_node_ref();
    // The rule whose glossary entry is open (a click on any rule id in the playground).
    let rule = use_state(|| None::<AttrValue>);
    let file_input = use_node_ref();
    let export_menu = use_node_ref();
    let frame = view.view.as_ref().map(|v| v.frame.clone());
    let playing = frame.as_ref().is_some_and(|f| f.playing);
    let speed = frame
        .as_ref()
        .and_then(|f| SPEEDS.get(f.speed_ix))
        .map_or(1.0, |s| s.0);
    let embed = frame.as_ref().map_or(!own_page, |f| f.embed);
    use_playback(playing, speed, d.clone());
    use_keyboard(d.clone(), (!own_page).then(|| root.clone()));
    // The step benchmark: from the key press or click to the end of this render.
    use_effect(measure_step_end);
    // The URL follows the scenario, the panel and (when paused) the time; a restarted worker
    // reopens the playground there.
    {
        let link = view.view.as_ref().map(|v| v.link.clone());
        let session = d.session();
        use_effect_with(link, move |link| {
            if let Some(link) = link.as_ref().filter(|l| !l.is_empty()) {
                backend::remember_link(session, link);
                if own_page {
                    set_url_query(link);
                }
            }
        });
    }
    // Lab progress, saved by the app's own page.
    {
        let json = view.view.as_ref().map(|v| v.lab.progress_json.clone());
        let persist = own_page && !embed;
        use_effect_with(json, move |json| {
            if let (true, Some(json), Some(s)) = (persist, json, local_storage()) {
                let _ = s.set_item(crate::lab::STORAGE_KEY, json);
            }
        });
    }
    use_report_height(root.clone(), own_page && embed);
    // The first screen prerendered at build time stays until this one is drawn (or the worker failed).
    {
        let drawn = view.view.is_some() || view.failed.is_some();
        let root = root.clone();
        use_effect_with(drawn, move |drawn| {
            if *drawn {
                let el = root.cast::<web_sys::Element>();
                crate::drop_prerendered(if own_page { None } else { el.as_ref() });
            }
        });
    }
    // A new error (a file that cannot be opened) is brought into view if it is out of it.
    {
        let root = root.clone();
        let notice = frame.as_ref().and_then(|f| f.notice.clone());
        use_effect_with(notice, move |n| {
            if n.as_ref().is_some_and(|n| n.error) {
                show_notice(&root);
            }
        });
    }
    let on_file = {
        let d = d.clone();
        Callback::from(move |f: web_sys::File| crate::files::open_file(f, d.clone()))
    };
    let dragging = use_file_drop(root.clone(), own_page, on_file);

    let progress = html! { <ProgressBar progress={view.progress} failed={view.failed.clone()} /> };
    let Some(v) = view.view.clone() else {
        return html! {
            <div ref={root} class={classes!("ol", (!own_page).then_some("ol-element"))}>
                <Loading embed={embed} />
                { progress }
            </div>
        };
    };
    let (run, code, f) = (&v.run, &v.code, &v.frame);
    let sc = &run.scenario;
    let lab = v.lab.vm.clone().map(Rc::new);
    // A scenario of no lab step opens without the lab's guidance.
    let panels: Vec<Panel> = f
        .panels
        .iter()
        .copied()
        .filter(|p| *p != Panel::Lab || lab.is_some())
        .collect();
    let panel = if panels.contains(&f.panel) {
        f.panel
    } else {
        panels.first().copied().unwrap_or(f.panel)
    };
    let tab = |p: Panel| {
        let d = d.clone();
        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::ShowPanel(p)));
        html! {
            <button type="button" class={classes!("tab", format!("tab-{}", p.key()), (p == panel).then_some("on"))}
                aria-pressed={if p == panel { "true" } else { "false" }} {onclick}>{ p.label() }</button>
        }
    };
    let offered = |p: Panel| panels.contains(&p);
    let predicting = lab
        .as_ref()
        .and_then(|l| l.predict.as_ref())
        .is_some_and(|q| q.on_screen && q.revealed.is_none() && offered(Panel::Lab));

    let on_rule = {
        let rule = rule.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(id) = crate::components::rules::clicked_rule(&e) {
                rule.set(Some(id.into()));
            }
        })
    };
    let close_rule = {
        let rule = rule.clone();
        Callback::from(move |()| rule.set(None))
    };
    html! {
        <div ref={root} class={classes!("ol", (!own_page).then_some("ol-element"))}
            tabindex={(!own_page).then_some("-1")} onclick={on_rule}>
            <crate::components::rules::Glossary id={(*rule).clone()} on_close={close_rule} />
            <div class={classes!("app", format!("show-{}", panel.key()), f.embed.then_some("embed"))}>
                <header class="top">
                    <Header choices={run.choices.clone()} current={AttrValue::from(run.preset.clone())}
                        custom={run.custom} embed={f.embed}
                        title={AttrValue::from(sc.title.clone())} dispatch={d.clone()} />
                    <div class="top-tools">{ file_menu(&v, own_page, &file_input, &export_menu, &d) }</div>
                </header>
                <div class="sticky-top">
                    <TimeBar cursor={f.cursor} events={run.events} time_ms={f.time_ms} end_ms={run.end_ms}
                        playing={f.playing} speed_ix={f.speed_ix} pause_at_moments={f.pause_at_moments}
                        moments={run.moment_marks.clone()} dispatch={d.clone()} />
                    { progress }
                </div>
                <main class="grid">
                    <div class="a-callout">
                        if !sc.description.is_empty() {
                            // Open at the start, unless it would answer the question the
                            // student is about to predict.
                            <details class="about" open={f.cursor == 0 && !predicting}>
                                <summary>{ "About this scenario" }</summary>
                                <p>{ sc.description.clone() }</p>
                            </details>
                        }
                        <NoticeBar notice={f.notice.clone()} dispatch={d.clone()} />
                        if let Some(idle) = &f.idle {
                            <p class="idle-note" role="status">
                                <span class="idle-icon" aria-hidden="true">{ "»" }</span>
                                <span>{ crate::components::rules::rule_text(idle) }</span>
                            </p>
                        }
                        <Callout moment={f.callout.clone()} stale={f.stale} stops={run.stops.clone()}
                            cursor={f.cursor} dispatch={d.clone()} />
                    </div>
                    <div class="a-log">
                        <LogLanes lanes={f.lanes.clone()} selected={f.selected} dispatch={d.clone()} />
                        <PaymentDetail text={f.detail.clone().map(AttrValue::from)} why={f.why.clone()}
                            dispatch={d.clone()} />
                    </div>
                    <section class="a-cards" aria-label="Consumers">
                        { for f.cards.iter().cloned().map(|card| {
                            let key = card.index;
                            html! { <ConsumerCard {key} {card} client={sc.client} dispatch={d.clone()} /> }
                        }) }
                    </section>
                    <div class="a-outcome">
                        <Outcome counters={f.counters.clone()} costs={AttrValue::from(f.costs.clone())}
                            at_end={f.at_end} at={AttrValue::from(f.at.clone())}
                            rows={f.ledger.clone()} left_out={f.ledger_left_out}
                            problems_only={run.problems_only}
                            selected={f.selected} dispatch={d.clone()} clients={run.clients.clone()} />
                    </div>
                    if panels.len() > 1 {
                        <nav class="tabs" aria-label="Panels">{ for panels.iter().map(|p| tab(*p)) }</nav>
                    }
                    if offered(Panel::Code) {
                        <div class="a-code tabbed">
                            <CodeView listing={code.listing.clone()} active={f.active_line}
                                consumer={code.consumer} consumers={run.consumer_names.clone()}
                                badges={code.badges.clone()} kinds={code.kinds.clone()}
                                default_message={f.default_message} client={sc.client} dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Timeline) {
                        <div class="a-timeline tabbed">
                            <TimelineView vm={run.timeline.clone()} time_ms={f.time_ms}
                                placing_crash={f.placing_crash} moments={run.moment_marks.clone()}
                                dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Events) {
                        <div class="a-events tabbed">
                            <Narration entries={f.narration.clone()} more={f.narration_more} filter={f.filter}
                                cursor={f.cursor} dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Lab) || offered(Panel::Settings) {
                        <aside class="a-side" aria-label="Lab and settings">
                            if let (true, Some(vm)) = (offered(Panel::Lab), lab) {
                                <div class="a-lab tabbed">
                                    <LabPanel {vm} interval_ms={sc.auto_commit_interval_ms} phase_ms={run.phase_ms}
                                        phase={f.phase.clone()} prove={f.prove.clone()}
                                        experiments={offered(Panel::Experiments)} busy={view.progress.is_some()}
                                        dispatch={d.clone()} />
                                </div>
                            }
                            if offered(Panel::Settings) {
                                <div class="a-settings tabbed">
                                    <Prove vm={f.prove.clone()} consumer={f.code_consumer}
                                        consumer_name={AttrValue::from(run.consumer_names.get(f.code_consumer).cloned().unwrap_or_default())}
                                        progress={view.progress} dispatch={d.clone()} />
                                    <Builder vm={v.builder.clone()} fork_processing={f.fork_processing}
                                        json_check={f.json_check.clone()} dispatch={d.clone()} />
                                </div>
                            }
                        </aside>
                    }
                    if offered(Panel::Experiments) {
                        <div class="a-experiments tabbed">
                            <SweepPanel sweep={v.sweep.clone()} progress={view.progress}
                                dispatch={d.clone()}>
                                <crate::components::side_by_side::SideBySide vm={v.side_by_side.clone()}
                                    choices={run.choices.clone()} current={AttrValue::from(run.preset.clone())}
                                    busy={view.progress.is_some()} dispatch={d.clone()} />
                            </SweepPanel>
                        </div>
                    }
                </main>
                if !f.embed {
                    <footer class="foot">
                        <p>
                            <kbd>{ "Space" }</kbd>{ " play/pause · " }
                            <kbd>{ "←" }</kbd><kbd>{ "→" }</kbd>{ " one event · " }
                            <kbd>{ "Shift" }</kbd>{ "+" }<kbd>{ "←" }</kbd><kbd>{ "→" }</kbd>{ " key moments · " }
                            <kbd>{ "Home" }</kbd><kbd>{ "End" }</kbd>{ " start/end" }
                        </p>
                        <p class="muted">
                            { "Offset Lab simulates confluent-kafka-python (librdkafka) and the Java client \
                               in your browser: no Kafka, no network." }
                        </p>
                    </footer>
                }
            </div>
            // Patterns the stylesheet fills with (`url(#hatch)`), outside any panel that can be
            // hidden (a pattern inside `display: none` paints nothing); once per page.
            if index <= 1 {
                <svg class="svg-defs" width="0" height="0" aria-hidden="true" focusable="false">
                    <defs>
                        <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"
                            patternTransform="rotate(45)">
                            <rect width="6" height="6" class="hatch-bg" />
                            <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                        </pattern>
                    </defs>
                </svg>
            }
            if dragging {
                <div class="drop-veil" aria-hidden="true">
                    <p>{ "Drop a scenario file (.json) to open it" }</p>
                </div>
            }
        </div>
    }
}
