//! The log: a lane of offset cells per partition, coloured *and* marked by state, with the
//! committed offset, positions, stored offsets and the log end as markers between cells.
//! One element per cell and one delegated click handler, so 1,000 payments stay cheap.

use crate::backend::Dispatch;
use std::rc::Rc;

use offset_lab_sim::CellState;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::rules::rule_text;

use crate::state::Action;
use crate::view::clock;
use crate::view::lanes::{Hidden, LEGEND, Lane, Marker, MarkerKind, cell_class, glyph};
use crate::view::outcome::Cause;

#[derive(Properties, PartialEq)]
pub struct LogLanesProps {
    pub lanes: Rc<Vec<Lane>>,
    pub selected: Option<u32>,
    pub dispatch: Dispatch,
}

fn markers_html(ms: &[Marker]) -> Html {
    ms.iter()
        .map(|m| html! { <span class={m.kind.class()}>{ m.label.clone() }</span> })
        .collect()
}

/// A committed-offset label cut by the lane's left edge ("d 14") reads as something else:
/// scroll it into view when the focus cell (ending at `focus_right`) stays in view, else
/// scroll it out of view.
fn unclip_committed(sc: &web_sys::HtmlElement, focus_right: i32) {
    let Some(mk) = sc.query_selector(".mk-committed").ok().flatten() else {
        return;
    };
    let (r, edge) = (
        mk.get_bounding_client_rect(),
        sc.get_bounding_client_rect().left(),
    );
    if !(r.left() < edge && r.right() > edge) {
        return;
    }
    let left = sc.scroll_left();
    let reveal = left - (edge - r.left()).ceil() as i32 - 6;
    if focus_right <= reveal.max(0) + sc.client_width() {
        sc.set_scroll_left(reveal.max(0));
    } else {
        sc.set_scroll_left(left + (r.right() - edge).ceil() as i32 + 2);
    }
}

/// The cells a long lane does not draw one by one, as one range cell with their markers.
fn hidden_html(h: &Option<Hidden>) -> Html {
    let Some(h) = h else { return html! {} };
    let text = h.text();
    html! {
        <li class="cell range" title={text.clone()} aria-label={text}>
            { format!("{}–{}", h.from, h.to) }
            if !h.markers.is_empty() { { markers_html(&h.markers) } }
        </li>
    }
}

fn lane_html(lane: &Lane, selected: Option<u32>) -> Html {
    let ms = &lane.markers;
    let mut k = 0; // merge-walk: markers are sorted by offset
    let cells = lane.cells.iter().map(|c| {
        let from = k;
        while k < ms.len() && ms[k].offset <= c.offset {
            k += 1;
        }
        let here = &ms[from..k];
        let class = if selected == Some(c.payment) {
            classes!(cell_class(c.state), "sel")
        } else {
            classes!(cell_class(c.state))
        };
        html! {
            <li {class} data-p={c.payment.to_string()}>
                { c.offset }
                if !here.is_empty() { { markers_html(here) } }
            </li>
        }
    });
    let cells: Html = cells.collect();
    let rest = &ms[k..];
    html! {
        <div class="lane" data-partition={lane.partition.to_string()}>
            <div class="lane-head">
                <span class="lane-name">{ lane.name.clone() }</span>
                <span class="lane-holder">
                    { lane.holder.as_ref().map_or_else(|| "no consumer".to_string(), |h| format!("→ {h}")) }
                </span>
                <span class="lane-summary">{ lane.summary.clone() }</span>
            </div>
            // Focusable, so that a lane wider than the screen scrolls with the keyboard too.
            <div class="lane-scroll" data-focus={lane.focus.to_string()} tabindex="0"
                role="region" aria-label={format!("{}: its records", lane.name)}>
                <ol class={classes!("cells", (lane.cells.len() <= 40).then_some("roomy"))}
                    aria-label={format!("{}: one cell per offset", lane.name)}>
                    { hidden_html(&lane.before) }
                    { cells }
                    { hidden_html(&lane.after) }
                    <li class="cell cell-end" aria-hidden="true">{ markers_html(rest) }</li>
                </ol>
            </div>
        </div>
    }
}

#[component]
pub fn LogLanes(p: &LogLanesProps) -> Html {
    let root = use_node_ref();
    // Keep each lane's work in progress in sight, without fighting the student's own scrolling:
    // only when the focus offset leaves the visible part.
    // The focus as an index among the lane's drawn cells (a range cell first, if any).
    let focus: Vec<i64> = p
        .lanes
        .iter()
        .map(|l| {
            let first = l.cells.first().map_or(0, |c| c.offset);
            l.focus - first + i64::from(l.before.is_some())
        })
        .collect();
    {
        let root = root.clone();
        // Also when a committed offset moved: its label may have come to the edge. (Only then:
        // measuring the label forces a layout, too slow to do on every step.)
        // Per lane: its committed offset and the first cell drawn (the window moves the cells).
        let committed: Vec<(Option<i64>, Option<i64>)> = p
            .lanes
            .iter()
            .map(|l| {
                let at = l
                    .markers
                    .iter()
                    .find(|m| m.kind == MarkerKind::Committed)
                    .map(|m| m.offset);
                (at, l.cells.first().map(|c| c.offset))
            })
            .collect();
        use_effect_with((focus, committed), move |(focus, _)| {
            if let Some(el) = root.cast::<web_sys::Element>()
                && let Ok(scrolls) = el.query_selector_all(".lane-scroll")
            {
                for (i, f) in focus.iter().enumerate() {
                    let Some(sc) = scrolls
                        .item(i as u32)
                        .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                    else {
                        continue;
                    };
                    let Some(cell) = sc
                        .query_selector(".cells")
                        .ok()
                        .flatten()
                        .and_then(|ol| ol.children().item((*f).max(0) as u32))
                        .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok())
                    else {
                        continue;
                    };
                    let (x, w) = (cell.offset_left(), sc.client_width());
                    let left = sc.scroll_left();
                    if x < left || x > left + w - 3 * cell.offset_width() {
                        sc.set_scroll_left((x - w / 3).max(0));
                    }
                    unclip_committed(&sc, x + cell.offset_width());
                }
            }
        });
    }
    let onclick = {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let payment = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest(".cell[data-p]").ok().flatten())
                .and_then(|cell| cell.get_attribute("data-p"))
                .and_then(|v| v.parse::<u32>().ok());
            if let Some(pay) = payment {
                d.dispatch(Action::Select(Some(pay)));
            }
        })
    };
    html! {
        <section class="panel log" aria-label="The log">
            <div class="panel-head">
                <h2>{ "The log" }</h2>
                <p class="panel-sub">{ "each cell is a payment at an offset — click one for its story" }</p>
            </div>
            <ul class="legend" aria-label="Legend">
                { for LEGEND.iter().filter(|s| {
                    // Skipped and dead-lettered only matter in the error-handling scenarios.
                    !matches!(s, CellState::Skipped | CellState::DeadLettered)
                        || p.lanes.iter().any(|l| {
                            l.cells.iter().any(|c| c.state == **s)
                                || [&l.before, &l.after].into_iter().flatten()
                                    .any(|h| h.counts.iter().any(|(st, _)| st == *s))
                        })
                }).map(|s| html! {
                    <li>
                        <span class={classes!(cell_class(*s), "mini")} aria-hidden="true">{ glyph(*s) }</span>
                        { s.label() }
                    </li>
                }) }
                <li><span class="lg-mk lg-committed" aria-hidden="true"></span>{ "committed" }</li>
                <li><span class="lg-mk lg-position" aria-hidden="true"></span>{ "position()" }</li>
                <li><span class="lg-mk lg-stored" aria-hidden="true"></span>{ "stored" }</li>
                <li><span class="lg-mk lg-end" aria-hidden="true"></span>{ "log end" }</li>
            </ul>
            <div class="lanes" ref={root} {onclick}>
                { for p.lanes.iter().map(|l| lane_html(l, p.selected)) }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PaymentDetailProps {
    pub text: Option<AttrValue>,
    pub why: Rc<Vec<Cause>>,
    pub dispatch: Dispatch,
}

/// The story of the selected payment.
#[component]
pub fn PaymentDetail(p: &PaymentDetailProps) -> Html {
    let Some(text) = &p.text else { return html! {} };
    let close = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Select(None)))
    };
    html! {
        <div class="detail" role="region" aria-label="Selected payment">
            <p class="detail-text">{ rule_text(text) }</p>
            if !p.why.is_empty() {
                <ol class="why">
                    { for p.why.iter().map(|c| cause_html(c, &p.dispatch)) }
                </ol>
            }
            <button type="button" class="ib close" onclick={close} aria-label="Close the payment's details">
                { "✕" }
            </button>
        </div>
    }
}

/// One cause, as a link to its instant.
pub fn cause_html(c: &Cause, d: &Dispatch) -> Html {
    let onclick = {
        let d = d.clone();
        let to = c.ix + 1;
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SeekCursor(to)))
    };
    html! {
        <li class={classes!("cause", c.decisive.then_some("decisive"))}>
            <button type="button" class="link" {onclick} title="Move the cursor to this event">
                { clock(c.at_ms) }
            </button>
            { " " }{ rule_text(&c.text) }
        </li>
    }
}
