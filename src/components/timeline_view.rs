//! The timeline: a swim lane per consumer over simulated time (processing bars, polls, commits
//! acknowledged or failed, crashes, restarts, rebalances), with the cursor as a line that can be
//! dragged. In "place crash point" mode a click on a lane adds a crash point at that time.

use crate::backend::Dispatch;
use std::rc::Rc;

use offset_lab_sim::Ms;
use offset_lab_sim::scenario::CrashKind;
use offset_lab_sim::trace::CommitSource;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::hooks::use_width;
use crate::state::Action;
use crate::view::clock;
use crate::view::timeline::{BarKind, Mark, MarkKind, TimelineVm, axis_ticks};

const AXIS_H: f64 = 16.0;
const FLAGS_Y: f64 = 25.0;
const GROUP_Y: f64 = 35.0;
const GROUP_H: f64 = 14.0;
const ROWS_Y: f64 = 54.0;
const ROW_H: f64 = 48.0;
const RIGHT_PAD: f64 = 14.0;

/// Zoom levels: the width of the visible window (None: the whole run).
const ZOOMS: [(Option<Ms>, &str); 4] = [
    (None, "whole run"),
    (Some(60_000), "60 s"),
    (Some(20_000), "20 s"),
    (Some(5_000), "5 s"),
];

/// A press on the timeline: a click on a mark, or a drag of the cursor.
#[derive(Clone, Copy)]
struct Drag {
    /// The visible window when the press began; it stays put while dragging.
    window: (Ms, Ms),
    start_x: f64,
    /// The mark pressed, if any: released without moving, it jumps there.
    mark: Option<usize>,
    moved: bool,
}

/// A press that moves less than this is a click.
const DRAG_SLOP_PX: f64 = 4.0;

/// The SVG's geometry: the visible window `[t0, t1]` of simulated time over the plot area.
#[derive(Clone, Copy, PartialEq)]
struct Geo {
    width: f64,
    label_w: f64,
    t0: Ms,
    t1: Ms,
}

impl Geo {
    fn plot(&self) -> f64 {
        (self.width - self.label_w - RIGHT_PAD).max(10.0)
    }
    fn x(&self, t: Ms) -> f64 {
        let span = self.t1.saturating_sub(self.t0).max(1) as f64;
        self.label_w + (t as f64 - self.t0 as f64) / span * self.plot()
    }
    fn t(&self, x: f64) -> Ms {
        let span = self.t1.saturating_sub(self.t0) as f64;
        self.t0 + (((x - self.label_w) / self.plot()).clamp(0.0, 1.0) * span).round() as Ms
    }
    fn visible(&self, from: Ms, to: Ms) -> bool {
        to >= self.t0 && from <= self.t1
    }
    fn height(&self, rows: usize) -> f64 {
        ROWS_Y + rows as f64 * ROW_H + 4.0
    }
}

/// The window shown: `span` wide, following the cursor, moving in steps of an eighth so that
/// it does not redraw on every frame.
fn window(end: Ms, span: Option<Ms>, cursor: Ms) -> (Ms, Ms) {
    match span {
        Some(w) if w < end => {
            let step = (w / 8).max(1);
            let t0 = (cursor.saturating_sub(w / 4) / step * step).min(end - w);
            (t0, t0 + w)
        }
        _ => (0, end.max(1)),
    }
}

fn f(v: f64) -> String {
    crate::view::fixed(v, 1)
}

#[derive(Properties, PartialEq)]
pub struct TimelineViewProps {
    pub vm: Rc<TimelineVm>,
    pub time_ms: Ms,
    pub placing_crash: bool,
    /// (time, number) of the key moments.
    pub moments: Rc<Vec<(Ms, u8)>>,
    pub dispatch: Dispatch,
}

#[component]
pub fn TimelineView(p: &TimelineViewProps) -> Html {
    let node = use_node_ref();
    let width = use_width(node.clone(), 900.0);
    let dragging = use_mut_ref(|| None::<Drag>);
    let end = p.vm.end_ms;
    let zoom = use_state(|| if end > 25_000 { 2 } else { 0 });
    // Once nothing more happens, the cursor's window would be empty: show the whole run.
    let chosen = ZOOMS.get(*zoom).and_then(|z| z.0).filter(|w| *w < end);
    let quiet = chosen.is_some() && p.time_ms > p.vm.activity_end_ms;
    let span = chosen.filter(|_| !quiet);
    // The zoom box says what is drawn: "whole run" whenever the whole run is.
    let shown_zoom = if span.is_none() { 0 } else { *zoom };
    // While the cursor is dragged the window stays put, so the time under the pointer holds.
    let (t0, t1) = dragging
        .borrow()
        .map_or_else(|| window(end, span, p.time_ms), |d| d.window);
    let geo = Geo {
        width,
        label_w: if width < 520.0 { 70.0 } else { 96.0 },
        t0,
        t1,
    };
    let rows = p.vm.rows.len();
    let height = geo.height(rows);

    // Where in the SVG a pointer event is, in SVG units (= CSS pixels). Yew delegates events
    // to the app's root, so `currentTarget` is not the SVG: measure the SVG itself.
    let svg_ref = use_node_ref();
    let locate = {
        let svg_ref = svg_ref.clone();
        move |e: &PointerEvent| -> Option<(f64, f64)> {
            let r = svg_ref
                .cast::<web_sys::Element>()?
                .get_bounding_client_rect();
            Some((
                e.client_x() as f64 - r.left(),
                e.client_y() as f64 - r.top(),
            ))
        }
    };
    let onpointerdown = {
        let d = p.dispatch.clone();
        let dragging = dragging.clone();
        let placing = p.placing_crash;
        let locate = locate.clone();
        let svg_ref = svg_ref.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            // A click on a mark jumps to its event.
            let mark = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("[data-ix]").ok().flatten())
                .and_then(|el| el.get_attribute("data-ix"))
                .and_then(|v| v.parse::<usize>().ok());
            let Some((x, y)) = locate(&e) else { return };
            if placing {
                let row = ((y - ROWS_Y) / ROW_H).floor();
                if row >= 0.0 && (row as usize) < rows && x >= geo.label_w {
                    d.dispatch(Action::AddCrashAt {
                        consumer: row as usize,
                        at_ms: geo.t(x),
                    });
                }
                return;
            }
            *dragging.borrow_mut() = Some(Drag {
                window: (geo.t0, geo.t1),
                start_x: x,
                mark,
                moved: false,
            });
            if let Some(svg) = svg_ref.cast::<web_sys::Element>() {
                let _ = svg.set_pointer_capture(e.pointer_id());
            }
            // A press on a mark may be a click (jump to its event) or the start of a drag.
            if mark.is_none() {
                d.dispatch(Action::SeekTime(geo.t(x)));
            }
        })
    };
    let onpointermove = {
        let d = p.dispatch.clone();
        let dragging = dragging.clone();
        let locate = locate.clone();
        Callback::from(move |e: PointerEvent| {
            let Some((x, _)) = locate(&e) else { return };
            let mut drag = dragging.borrow_mut();
            let Some(dr) = drag.as_mut() else { return };
            if !dr.moved && (x - dr.start_x).abs() < DRAG_SLOP_PX {
                return;
            }
            dr.moved = true;
            let g = Geo {
                t0: dr.window.0,
                t1: dr.window.1,
                ..geo
            };
            drop(drag);
            d.dispatch(Action::SeekTime(g.t(x)));
        })
    };
    let onpointerup = {
        let d = p.dispatch.clone();
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| {
            let done = dragging.borrow_mut().take();
            if let Some(Drag {
                mark: Some(ix),
                moved: false,
                ..
            }) = done
            {
                d.dispatch(Action::SeekCursor(ix + 1));
            }
        })
    };
    let toggle_placing = {
        let d = p.dispatch.clone();
        let on = !p.placing_crash;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SetPlacingCrash(on)))
    };
    let cx = geo.x(p.time_ms.min(end));
    let on_zoom = {
        let zoom = zoom.clone();
        Callback::from(move |e: Event| {
            if let Ok(i) = super::value_of(&e).parse::<usize>() {
                zoom.set(i.min(ZOOMS.len() - 1));
            }
        })
    };
    html! {
        <section class="panel timeline" aria-label="Timeline">
            <div class="panel-head">
                <h2>{ "Timeline" }</h2>
                <p class="panel-sub">{ "drag to move the cursor · click a mark to jump to it" }</p>
                <label class="zoom">
                    <span class="sr-only">{ "Show" }</span>
                    <select onchange={on_zoom} aria-label="Timeline zoom">
                        { for ZOOMS.iter().enumerate()
                            .filter(|(_, (w, _))| w.is_none_or(|w| w < end))
                            .map(|(i, (_, label))| html! {
                                <option value={i.to_string()} selected={i == shown_zoom}>{ *label }</option>
                            }) }
                    </select>
                </label>
                <button type="button" class={classes!("btn", "btn-small", p.placing_crash.then_some("btn-danger"))}
                    aria-pressed={if p.placing_crash { "true" } else { "false" }} onclick={toggle_placing}>
                    { if p.placing_crash { "Click a lane… (cancel)" } else { "✕ Place a crash point" } }
                </button>
            </div>
            <div class={classes!("tl-wrap", p.placing_crash.then_some("placing"))} ref={node}>
                <svg class="tl" ref={svg_ref} width={f(width)} height={f(height)}
                    viewBox={format!("0 0 {} {}", f(width), f(height))} role="img"
                    aria-label={format!(
                        "Timeline of {} consumer(s) over {}; the cursor is at {}",
                        rows,
                        clock(p.vm.end_ms),
                        clock(p.time_ms)
                    )}
                    {onpointerdown} {onpointermove} onpointerup={onpointerup.clone()} onpointercancel={onpointerup}>
                    <TimelineStatic vm={p.vm.clone()} width={width} label_w={geo.label_w} t0={geo.t0} t1={geo.t1} />
                    { for p.moments.iter().filter(|(t, _)| geo.visible(*t, *t)).map(|(t, n)| {
                        let x = geo.x(*t);
                        html! {
                            <g class={format!("flag flag-{n}")}
                                transform={format!("translate({},{})", f(x), f(FLAGS_Y))} aria-hidden="true">
                                <circle r="6.5" />
                                <text y="3.5">{ n }</text>
                            </g>
                        }
                    }) }
                    if cx < width - RIGHT_PAD {
                        <rect class="future" x={f(cx.max(geo.label_w))} y={f(AXIS_H)}
                            width={f((width - RIGHT_PAD - cx.max(geo.label_w)).max(0.0))} height={f(height - AXIS_H)} />
                    }
                    <g class={classes!("cursor", (!geo.visible(p.time_ms, p.time_ms)).then_some("off"))}
                        aria-hidden="true">
                        <line x1={f(cx)} x2={f(cx)} y1="0" y2={f(height)} />
                        <path d={format!("M{},0 l-5,0 l5,7 l5,-7 z", f(cx))} />
                    </g>
                </svg>
            </div>
            if quiet {
                <p class="hint">
                    {
                        format!(
                            "Showing the whole run: nothing happens after {} but heartbeats and empty polls.",
                            clock(p.vm.activity_end_ms)
                        )
                    }
                </p>
            }
            if p.placing_crash {
                <p class="hint">
                    { "Click on a consumer's lane at the time it should crash (sys.exit(1) without close(), \
                       restart after 1 s). Remove it in Settings." }
                </p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct RunStripProps {
    pub vm: Rc<TimelineVm>,
    /// Drawn from 0 to here, so that two strips share one time axis.
    pub end_ms: Ms,
    /// What the strip is, for a screen reader.
    pub label: AttrValue,
}

/// A whole run's timeline, drawn without a cursor and not interactive: one of two runs side
/// by side on one time axis.
#[component]
pub fn RunStrip(p: &RunStripProps) -> Html {
    let node = use_node_ref();
    let width = use_width(node.clone(), 900.0);
    let label_w = if width < 520.0 { 70.0 } else { 96.0 };
    let geo = Geo {
        width,
        label_w,
        t0: 0,
        t1: p.end_ms.max(1),
    };
    let height = geo.height(p.vm.rows.len());
    html! {
        <div class="tl-wrap strip" ref={node}>
            <svg class="tl" width={f(width)} height={f(height)}
                viewBox={format!("0 0 {} {}", f(width), f(height))} role="img" aria-label={p.label.clone()}>
                <TimelineStatic vm={p.vm.clone()} {width} {label_w} t0={0} t1={geo.t1} />
            </svg>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StaticProps {
    vm: Rc<TimelineVm>,
    width: f64,
    label_w: f64,
    t0: Ms,
    t1: Ms,
}

fn commit_shape(source: CommitSource) -> &'static str {
    match source {
        CommitSource::Auto => "M0,-5 L5,0 L0,5 L-5,0 Z",
        CommitSource::Manual => "M-4,-4 h8 v8 h-8 Z",
        CommitSource::Close => "M-5,0 a5,5 0 1,0 10,0 a5,5 0 1,0 -10,0 Z",
        CommitSource::Revoke => "M0,-5 L5,4 L-5,4 Z",
    }
}

fn mark_html(m: &Mark, x: f64, y: f64) -> Html {
    let (class, shape): (String, Html) = match m.kind {
        MarkKind::Poll => (
            "m m-poll".into(),
            html! { <path d="M-3.5,-4 L0,1 L3.5,-4" /> },
        ),
        MarkKind::Commit { source, ok } => {
            let state = match ok {
                Some(true) => "ok",
                Some(false) => "fail",
                None => "flight",
            };
            (
                format!("m m-commit {state}"),
                html! { <path d={commit_shape(source)} /> },
            )
        }
        MarkKind::CommitRefused => (
            "m m-commit fail".into(),
            html! { <path d="M-4,-4 h8 v8 h-8 Z M-4,4 L4,-4" /> },
        ),
        MarkKind::EmptyTick => ("m m-tick".into(), html! { <circle r="2.5" /> }),
        MarkKind::Crash(k) => (
            format!(
                "m m-crash{}",
                if k == CrashKind::Close { " close" } else { "" }
            ),
            html! { <path d="M-5,-5 L5,5 M5,-5 L-5,5" /> },
        ),
        MarkKind::Restart => ("m m-restart".into(), html! { <text y="5">{ "↻" }</text> }),
        MarkKind::AtRisk => (
            "m m-risk".into(),
            html! { <><path d="M0,-7 L7,5 L-7,5 Z" /><text y="4">{ "!" }</text></> },
        ),
        MarkKind::Duplicate => (
            "m m-dup".into(),
            html! { <><circle r="6" /><text y="3.5">{ "2" }</text></> },
        ),
        MarkKind::SessionExpired => (
            "m m-session".into(),
            html! { <path d="M-4,-5 h8 l-8,10 h8 Z" /> },
        ),
        MarkKind::Failed => (
            "m m-failed".into(),
            html! { <><circle r="5.5" /><path d="M-3,-3 L3,3 M3,-3 L-3,3" /></> },
        ),
    };
    html! {
        <g {class} transform={format!("translate({},{})", f(x), f(y))} data-ix={m.ix.to_string()}>
            <title>{ format!("{} — {}", clock(m.at_ms), m.label) }</title>
            { shape }
        </g>
    }
}

/// Everything that does not move with the cursor: rendered once per run and size.
#[component]
fn TimelineStatic(p: &StaticProps) -> Html {
    let vm = &p.vm;
    let geo = Geo {
        width: p.width,
        label_w: p.label_w,
        t0: p.t0,
        t1: p.t1,
    };
    let max_ticks = ((p.width - p.label_w) / 70.0).max(2.0) as u32;
    let ticks = axis_ticks(p.t0, p.t1, max_ticks);
    // Bars are cut to the visible window (the clip path hides the rest).
    let bar_rect = |from: Ms, to: Ms, y: f64, h: f64| {
        let x0 = geo.x(from.max(geo.t0)).max(geo.label_w - 2.0);
        let w = (geo.x(to.min(geo.t1)) - x0).max(1.5);
        (x0, w, y, h)
    };
    let plot_h = geo.height(vm.rows.len());
    let (clip_x, clip_w) = (f(p.label_w - 2.0), f(geo.plot() + 4.0));
    html! {
        <>
            <g class="axis">
                { for ticks.iter().map(|t| {
                    let x = geo.x(*t);
                    html! { <g>
                        <line x1={f(x)} x2={f(x)} y1={f(AXIS_H - 4.0)} y2={f(geo.height(vm.rows.len()))} class="grid" />
                        <text x={f(x)} y="11">{ format!("{}s", crate::view::secs(*t)) }</text>
                    </g> }
                }) }
            </g>
            <text class="row-label" x="4" y={f(GROUP_Y + 11.0)}>{ "group" }</text>
            { for vm.group.iter().filter(|b| geo.visible(b.from_ms, b.to_ms)).map(|b| {
                let (x, w, y, h) = bar_rect(b.from_ms, b.to_ms, GROUP_Y, GROUP_H);
                html! { <g class="b b-rebalance" data-ix={b.ix.to_string()}>
                    <title>{ format!("{} → {}: {}", clock(b.from_ms), clock(b.to_ms), b.label) }</title>
                    <rect x={f(x)} y={f(y)} width={f(w)} height={f(h)} rx="3" />
                    if w > 90.0 { <text x={f(x + 5.0)} y={f(y + 10.5)}>{ "rebalancing" }</text> }
                </g> }
            }) }
            { for vm.rows.iter().enumerate().map(|(i, row)| {
                let y0 = ROWS_Y + i as f64 * ROW_H;
                html! {
                    <g class="row">
                        <rect class="row-bg" x="0" y={f(y0)} width={f(p.width)} height={f(ROW_H - 2.0)} />
                        <text class="row-label" x="4" y={f(y0 + 15.0)}>{ row.name.clone() }</text>
                        <text class="row-sub" x="4" y={f(y0 + 36.0)}>{ "commits" }</text>
                        <line class="baseline" x1={f(p.label_w)} x2={f(p.width - RIGHT_PAD)} y1={f(y0 + 36.0)}
                            y2={f(y0 + 36.0)} />
                        // The plot area clips what is drawn in it (a nested <svg>: no clip-path id,
                        // which would clash between two playgrounds on a page).
                        <svg x={clip_x.clone()} y="0" width={clip_w.clone()} height={f(plot_h)} overflow="hidden"
                            viewBox={format!("{clip_x} 0 {clip_w} {}", f(plot_h))}>
                        { for row.bars.iter().filter(|b| geo.visible(b.from_ms, b.to_ms)).map(|b| {
                            let (x, w, y, h) = bar_rect(b.from_ms, b.to_ms, y0 + 4.0, 20.0);
                            let class = match b.kind {
                                BarKind::Down => "b b-down",
                                BarKind::Joining => "b b-joining",
                                BarKind::Processing { interrupted: true } => "b b-processing interrupted",
                                BarKind::Processing { interrupted: false } => "b b-processing",
                                BarKind::Rebalance => "b b-rebalance",
                            };
                            let label = match b.kind {
                                BarKind::Processing { interrupted: true } => format!("{} (interrupted)", b.label),
                                _ => b.label.clone(),
                            };
                            html! { <g {class} data-ix={b.ix.to_string()}>
                                <title>{ format!("{} → {}: {label}", clock(b.from_ms), clock(b.to_ms)) }</title>
                                <rect x={f(x)} y={f(y)} width={f(w)} height={f(h)} rx="3" />
                                if w > 8.0 * b.label.len() as f64 {
                                    <text x={f(x + 4.0)} y={f(y + 14.0)}>{ b.label.clone() }</text>
                                }
                            </g> }
                        }) }
                        { for row.commits.iter()
                            .filter(|m| geo.visible(m.at_ms, m.at_ms))
                            .map(|m| mark_html(m, geo.x(m.at_ms), y0 + 36.0)) }
                        { for row.marks.iter().filter(|m| geo.visible(m.at_ms, m.at_ms)).map(|m| {
                            let y = match m.kind { MarkKind::Poll => y0 + 2.0, _ => y0 + 14.0 };
                            mark_html(m, geo.x(m.at_ms), y)
                        }) }
                        { for row.crash_points.iter().filter(|cp| geo.visible(cp.at_ms, cp.at_ms)).map(|cp| {
                            let x = geo.x(cp.at_ms);
                            html! { <g class="m m-crashpoint"
                                transform={format!("translate({},{})", f(x), f(y0 + 14.0))}>
                                <title>{ cp.label.clone() }</title>
                                <line y1="-12" y2="22" />
                                <circle r="6" />
                            </g> }
                        }) }
                        </svg>
                    </g>
                }
            }) }
        </>
    }
}
