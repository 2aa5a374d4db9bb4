//! The root component: where the playground lives (its own page, an iframe, a course page's
//! element: `embed`), the state, the hooks that connect it to the browser, and the frame. The
//! run's view models are derived in [`App`] itself, each memoized per run or per cursor (the
//! consumer cards, which move with the clock, every frame), and handed to the components.
//! `browser` holds what it reads from and writes to the browser (the link, local storage),
//! `models` the few view models it builds itself (the code view's line, a moment's callout).

use std::rc::Rc;

use offset_lab_sim::scenario::CrashPoint;
use offset_lab_sim::{Ms, World};
use yew::prelude::*;

use crate::components::callout::CalloutVm;
use crate::components::file_menu::file_menu;
use crate::components::{
    Callout, CodeView, ConsumerCard, Header, LabPanel, LogLanes, Narration, NoticeBar, Outcome,
    PaymentDetail, Settings, TimeBar, TimelineView,
};
use crate::embed::ElementConfig;
use crate::hooks::{
    measure_step_end, use_file_drop, use_keyboard, use_playback, use_report_height,
};
use crate::lab::{LabAction, LabProgress};
use crate::state::{Action, AppState, CUSTOM, Panel};
use crate::view::{self, clock};
use crate::{code, scenarios};

mod browser;
mod models;

use browser::{load_progress, local_storage, set_url_query, show_notice, url_query};
use models::{active_line, callout_vm};

/// Ledgers longer than this list only the payments that need attention.
const FULL_LEDGER_MAX: usize = 40;
const LEDGER_ROWS_MAX: usize = 150;
const NARRATION_MAX: usize = 150;
/// The callout offers "go back" once the cursor is this far past its moment.
const STALE_MS: Ms = 3000;

#[derive(Properties, Clone, PartialEq, Default)]
pub struct AppProps {
    /// Set for a playground on a course page's element (`data-offset-lab`); `None` for the
    /// app's own page (or iframe), whose URL it reads and writes.
    #[prop_or_default]
    pub element: Option<Rc<ElementConfig>>,
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let element = props.element.clone();
    let own_page = element.is_none();
    let index = element.as_ref().map_or(0, |e| e.index);
    let state = use_reducer(move || match &element {
        Some(e) => e.state(),
        None => AppState::from_link(&url_query()),
    });
    let d = state.dispatcher();
    // Lab progress is saved only by the app's own page: embedded playgrounds share the origin's
    // storage with each other and with it.
    let persist = own_page && !state.embed;
    let lab = use_reducer(move || {
        if persist {
            load_progress()
        } else {
            LabProgress::default()
        }
    });
    let root = use_node_ref();
    let file_input = use_node_ref();
    let export_menu = use_node_ref();
    use_playback(state.playing, state.speed(), d.clone());
    use_keyboard(d.clone(), (!own_page).then(|| root.clone()));
    // The step benchmark: from the key press or click to the end of this render.
    use_effect(measure_step_end);
    // The URL follows the scenario, the panel and (when paused) the time.
    {
        let paused_at = (!state.playing).then_some((state.time_ms, state.cursor));
        let link_state = state.clone();
        use_effect_with((state.run_id, paused_at, state.panel), move |_| {
            if own_page {
                set_url_query(&link_state.link());
            }
        });
    }
    // Lab progress: what the student has seen, at each key moment and at the end; saved.
    {
        let tl = state.timeline.clone();
        let moment = state.callout().map(|m| m.ix);
        let lab = lab.dispatcher();
        let (run, cursor) = (state.run_id, state.cursor);
        use_effect_with((run, moment, state.at_end()), move |_| {
            if moment.is_some() || cursor == tl.events.len() {
                lab.dispatch(LabAction::Observe {
                    run,
                    observation: offset_lab_sim::lab::observe(&tl, cursor),
                });
            }
        });
    }
    use_effect_with(lab.clone(), move |lab| {
        if let (true, Some(s)) = (persist, local_storage()) {
            let _ = s.set_item(crate::lab::STORAGE_KEY, &lab.to_json());
        }
    });
    use_report_height(root.clone(), own_page && state.embed);
    // A new error (a file that cannot be opened) is brought into view if it is out of it.
    {
        let root = root.clone();
        use_effect_with(state.notice.clone(), move |n| {
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

    let tl = state.timeline.clone();
    let run = state.run_id;
    let cursor = state.cursor;
    let sc = tl.scenario.clone();

    // Per cursor: the world and what is drawn from it.
    let world: Rc<World> = {
        let tl = tl.clone();
        use_memo((run, cursor), move |(_, c)| tl.world_at(*c))
    };
    let lanes = {
        let w = world.clone();
        use_memo((run, cursor), move |_| view::lanes::lanes(&w))
    };
    // Per run.
    let timeline_vm = {
        let tl = tl.clone();
        use_memo(run, move |_| view::timeline::timeline_vm(&tl))
    };
    let causes = {
        let tl = tl.clone();
        use_memo(run, move |_| view::outcome::causes(&tl))
    };
    let clients = {
        let tl = tl.clone();
        use_memo(run, move |_| view::clients::compare(&tl))
    };
    let moment_marks: Rc<Vec<(Ms, u8)>> = {
        let tl = tl.clone();
        let ms = state.moments.clone();
        use_memo(run, move |_| {
            ms.iter()
                .map(|m| (tl.events[m.ix].at_ms, m.kind.number()))
                .collect()
        })
    };
    let stops: Rc<Vec<(u8, Option<usize>)>> = {
        let ms = state.moments.clone();
        use_memo(run, move |_| {
            (1..=5u8)
                .map(|n| {
                    (
                        n,
                        ms.iter().find(|m| m.kind.number() == n).map(|m| m.cursor()),
                    )
                })
                .collect()
        })
    };
    let choices = use_memo((), |_| scenarios::choices());
    let phase_ms = {
        let tl = tl.clone();
        use_memo(run, move |_| view::outcome::first_poll_phase(&tl))
    };

    // The callout of the current moment.
    let current = state.callout();
    let callout: Option<Rc<CalloutVm>> = {
        let tl = tl.clone();
        let baseline = state.baseline.clone();
        let vm = use_memo((run, current), move |(_, m)| {
            callout_vm(&tl, baseline.as_deref(), (*m)?)
        });
        (*vm).clone().map(Rc::new)
    };
    let stale = current.is_some_and(|m| state.time_ms > tl.events[m.ix].at_ms + STALE_MS);

    // Cards change with the clock (progress, countdowns): every frame, and cheap.
    let cards = view::cards::cards(&tl, &world, cursor, state.time_ms);

    let n_payments = world.log.payments.len();
    let problems_only = n_payments > FULL_LEDGER_MAX;
    let ledger = {
        let w = world.clone();
        let causes = causes.clone();
        use_memo((run, cursor), move |(_, c)| {
            let (rows, left_out) =
                view::outcome::ledger(&w, &causes, *c, LEDGER_ROWS_MAX, problems_only);
            (Rc::new(rows), left_out)
        })
    };
    let stats = {
        let tl = tl.clone();
        let w = world.clone();
        use_memo((run, cursor), move |(_, c)| {
            view::outcome::run_stats(&tl, &w, *c)
        })
    };
    let narration = {
        let tl = tl.clone();
        let ms = state.moments.clone();
        use_memo((run, cursor, state.filter), move |(_, c, f)| {
            let (entries, more) = view::narration::narration(&tl, &ms, *c, *f, NARRATION_MAX);
            (Rc::new(entries), more)
        })
    };

    // The code view of the chosen consumer.
    let cc = state.code_consumer;
    let listing = {
        let sc = sc.clone();
        use_memo((run, cc), move |(_, c)| code::listing(&sc, *c))
    };
    let crash_points: Rc<Vec<CrashPoint>> = {
        let sc = sc.clone();
        use_memo((run, cc), move |(_, c)| {
            sc.consumers
                .get(*c)
                .map(|s| s.crashes.clone())
                .unwrap_or_default()
        })
    };
    let consumer_names: Rc<Vec<String>> = {
        let sc = sc.clone();
        use_memo(run, move |_| {
            sc.consumers.iter().map(|c| c.name.clone()).collect()
        })
    };
    let (active_line, default_message) = active_line(&world, &listing, cc);

    // The selected payment's story.
    let detail = {
        let w = world.clone();
        let causes = causes.clone();
        use_memo((run, cursor, state.selected), move |(_, c, sel)| {
            let Some(p) = *sel else {
                return (None, Rc::new(Vec::new()));
            };
            let why = causes
                .get(p as usize)
                .map(|cs| cs.iter().filter(|x| x.ix < *c).cloned().collect())
                .unwrap_or_default();
            (
                view::outcome::describe(&w, p).map(AttrValue::from),
                Rc::new(why),
            )
        })
    };

    let panel = state.panel;
    let tab = |p: Panel| {
        let d = d.clone();
        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::ShowPanel(p)));
        html! {
            <button type="button" class={classes!("tab", (p == panel).then_some("on"))}
                aria-pressed={if p == panel { "true" } else { "false" }} {onclick}>{ p.label() }</button>
        }
    };
    let offered = |p: Panel| state.panels.contains(&p);

    html! {
        <div ref={root} class={classes!("ol", (!own_page).then_some("ol-element"))}
            tabindex={(!own_page).then_some("-1")}>
            <div class={classes!("app", format!("show-{}", panel.key()), state.embed.then_some("embed"))}>
                <header class="top">
                    <Header choices={choices} current={AttrValue::from(state.preset.clone())}
                        custom={state.preset == CUSTOM} embed={state.embed}
                        title={AttrValue::from(sc.title.clone())} dispatch={d.clone()} />
                    <div class="top-tools">{ file_menu(&state, own_page, &file_input, &export_menu) }</div>
                </header>
                <div class="sticky-top">
                    <TimeBar cursor={cursor} events={tl.events.len()} time_ms={state.time_ms} end_ms={tl.end_ms()}
                        playing={state.playing} speed_ix={state.speed_ix} pause_at_moments={state.pause_at_moments}
                        moments={moment_marks.clone()} dispatch={d.clone()} />
                </div>
                <main class="grid">
                    <div class="a-callout">
                        <NoticeBar notice={state.notice.clone()} dispatch={d.clone()} />
                        <Callout moment={callout} {stale} stops={stops} cursor={cursor} dispatch={d.clone()} />
                    </div>
                    <div class="a-log">
                        <LogLanes lanes={lanes} selected={state.selected} dispatch={d.clone()} />
                        <PaymentDetail text={detail.0.clone()} why={detail.1.clone()} dispatch={d.clone()} />
                    </div>
                    <section class="a-cards" aria-label="Consumers">
                        { for cards.into_iter().map(|card| {
                            let key = card.index;
                            html! { <ConsumerCard {key} {card} client={sc.client} dispatch={d.clone()} /> }
                        }) }
                    </section>
                    <div class="a-outcome">
                        <Outcome summary={stats.summary} at_end={state.at_end()}
                            at={AttrValue::from(clock(state.time_ms))}
                            rows={ledger.0.clone()} left_out={ledger.1} {problems_only} stats={*stats}
                            selected={state.selected} dispatch={d.clone()} clients={clients} />
                    </div>
                    if state.panels.len() > 1 {
                        <nav class="tabs" aria-label="Panels">{ for state.panels.iter().map(|p| tab(*p)) }</nav>
                    }
                    if offered(Panel::Code) {
                        <div class="a-code tabbed">
                            <CodeView listing={listing} active={active_line} consumer={cc} consumers={consumer_names}
                                crash_points={crash_points} {default_message} client={sc.client} dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Timeline) {
                        <div class="a-timeline tabbed">
                            <TimelineView vm={timeline_vm} time_ms={state.time_ms} placing_crash={state.placing_crash}
                                moments={moment_marks} dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Events) {
                        <div class="a-events tabbed">
                            <Narration entries={narration.0.clone()} more={narration.1} filter={state.filter}
                                cursor={cursor} dispatch={d.clone()} />
                        </div>
                    }
                    if offered(Panel::Lab) || offered(Panel::Settings) {
                        <aside class="a-side" aria-label="Lab and settings">
                            if offered(Panel::Lab) {
                                <div class="a-lab tabbed">
                                    <LabPanel preset={AttrValue::from(state.preset.clone())} scenario={sc.clone()}
                                        phase_ms={*phase_ms} lab={lab.clone()} dispatch={d.clone()} />
                                </div>
                            }
                            if offered(Panel::Settings) {
                                <div class="a-settings tabbed">
                                    <Settings scenario={sc.clone()} fork_processing={state.fork_processing}
                                        dispatch={d.clone()} />
                                </div>
                            }
                        </aside>
                    }
                </main>
                if !state.embed {
                    <footer class="foot">
                        <p>
                            <kbd>{ "Space" }</kbd>{ " play/pause · " }
                            <kbd>{ "←" }</kbd><kbd>{ "→" }</kbd>{ " one event · " }
                            <kbd>{ "Shift" }</kbd>{ "+" }<kbd>{ "←" }</kbd><kbd>{ "→" }</kbd>{ " key events · " }
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
