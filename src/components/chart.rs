//! A sweep's chart as inline SVG, without a charting library: axes with their units, a legend,
//! and every point focusable, named by its values, opening its run on a click or Enter. The
//! worker decides the series, their scales and ticks (`view::sweep`); this only places them.
//! It scales with its width (viewBox) and takes its colours from the stylesheet, so it reads in
//! dark mode and at 360 px.

use std::rc::Rc;

use yew::prelude::*;

use crate::backend::Dispatch;
use crate::state::Action;
use crate::view::fixed;
use crate::view::sweep::SweepVm;

/// The drawing's size in viewBox units, and the plot's margins.
const W: f64 = 330.0;
const H: f64 = 210.0;
const LEFT: f64 = 42.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 50.0;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub sweep: Rc<SweepVm>,
    /// Which of its charts.
    pub index: usize,
    pub dispatch: Dispatch,
}

#[component]
pub fn Chart(p: &ChartProps) -> Html {
    let Some(c) = p.sweep.charts.get(p.index) else {
        return html! {};
    };
    let s = &p.sweep;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let span = (s.x_max - s.x_min).max(1e-9);
    let x = |v: f64| LEFT + (v - s.x_min) / span * pw;
    let y = |v: f64| TOP + ph - v / c.y_max.max(1e-9) * ph;
    let n = c.series.len() as f64;
    // Names on the x axis: the series side by side around each name, so that none hides another.
    let dx = |k: usize| {
        if s.numeric {
            0.0
        } else {
            (k as f64 - (n - 1.0) / 2.0) * (pw / (span * n.max(1.0) * 2.2))
        }
    };
    let f1 = |v: f64| fixed(v, 1);
    let open = |run: usize| {
        let d = p.dispatch.clone();
        (
            Callback::from(move |_: MouseEvent| d.dispatch(Action::OpenSweepRun(run))),
            {
                let d = p.dispatch.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        d.dispatch(Action::OpenSweepRun(run));
                    }
                })
            },
        )
    };
    let desc = format!("{}: {} against {}", c.title, c.y_label, s.x_label);
    html! {
        <figure class="chart">
            <figcaption class="chart-title">{ c.title.clone() }</figcaption>
            <svg class="chart-svg" viewBox={format!("0 0 {} {}", f1(W), f1(H))} role="group" aria-label={desc}>
                <text class="ch-unit" x={f1(LEFT)} y="12">{ c.y_label.clone() }</text>
                { for c.y_ticks.iter().map(|(v, t)| html! {
                    <g class="ch-tick">
                        <line class="ch-grid" x1={f1(LEFT)} x2={f1(W - RIGHT)} y1={f1(y(*v))} y2={f1(y(*v))} />
                        <text x={f1(LEFT - 5.0)} y={f1(y(*v) + 3.5)} text-anchor="end">{ t.clone() }</text>
                    </g>
                }) }
                // Many names: every other one a line lower, so that neighbours never touch.
                { for s.x_ticks.iter().enumerate().map(|(i, (v, t))| {
                    let low = !s.numeric && s.x_ticks.len() > 4 && i % 2 == 1;
                    let ty = TOP + ph + if low { 25.0 } else { 14.0 };
                    html! {
                        <text class="ch-tick" x={f1(x(*v))} y={f1(ty)} text-anchor="middle">{ t.clone() }</text>
                    }
                }) }
                <line class="ch-axis" x1={f1(LEFT)} x2={f1(W - RIGHT)} y1={f1(TOP + ph)} y2={f1(TOP + ph)} />
                <line class="ch-axis" x1={f1(LEFT)} x2={f1(LEFT)} y1={f1(TOP)} y2={f1(TOP + ph)} />
                <text class="ch-unit" x={f1(LEFT + pw / 2.0)} y={f1(H - 4.0)} text-anchor="middle">{ s.x_label.clone() }</text>
                { for c.series.iter().enumerate().map(|(k, se)| {
                    let tone = format!("t{}", se.tone);
                    let line = se.points.iter()
                        .map(|pt| format!("{},{}", f1(x(pt.x) + dx(k)), f1(y(pt.y))))
                        .collect::<Vec<_>>()
                        .join(" ");
                    html! {
                        <g class={classes!("ch-series", tone)}>
                            if s.numeric && se.points.len() > 1 {
                                <polyline class="ch-line" points={line} />
                            }
                            { for se.points.iter().map(|pt| {
                                let (onclick, onkeydown) = open(pt.run);
                                html! {
                                    <circle class="ch-pt" cx={f1(x(pt.x) + dx(k))} cy={f1(y(pt.y))} r="4.5"
                                        tabindex="0" role="button" aria-label={pt.label.clone()}
                                        data-run={pt.run.to_string()} {onclick} {onkeydown}>
                                        <title>{ pt.label.clone() }</title>
                                    </circle>
                                }
                            }) }
                        </g>
                    }
                }) }
            </svg>
            <ul class="ch-legend">
                { for c.series.iter().map(|se| html! {
                    <li><span class={classes!("ch-sw", format!("t{}", se.tone))} aria-hidden="true"></span>{ se.name.clone() }</li>
                }) }
            </ul>
        </figure>
    }
}
