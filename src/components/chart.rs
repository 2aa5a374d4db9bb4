//! A sweep's chart as inline SVG, without a charting library: axes with their units, a legend,
//! and every point focusable, named by its values, opening its run on a click or Enter. The
//! worker decides the series, their scales and ticks (`view::sweep`); this only places them.
//! It scales with its width (viewBox) and takes its colours from the stylesheet, so it reads in
//! dark mode and at 360 px.

use std::rc::Rc;

use yew::prelude::*;

use crate::backend::Dispatch;
use crate::export::Export;
use crate::state::Action;
use crate::view::chart::{H, LEFT, Plot, RIGHT, TOP, W, f1};
use crate::view::sweep::SweepVm;

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
    let plot = Plot { s, c };
    let (pw, ph) = plot.size();
    let (x, y, dx) = (|v| plot.x(v), |v| plot.y(v), |k| plot.dx(k));
    let save = |what: Export| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::Export(what)))
    };
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
                { for s.x_ticks.iter().enumerate().map(|(i, (v, t))| html! {
                    <text class="ch-tick" x={f1(x(*v))} y={f1(plot.tick_y(i))} text-anchor="middle">{ t.clone() }</text>
                }) }
                <line class="ch-axis" x1={f1(LEFT)} x2={f1(W - RIGHT)} y1={f1(TOP + ph)} y2={f1(TOP + ph)} />
                <line class="ch-axis" x1={f1(LEFT)} x2={f1(LEFT)} y1={f1(TOP)} y2={f1(TOP + ph)} />
                <text class="ch-unit" x={f1(LEFT + pw / 2.0)} y={f1(H - 4.0)} text-anchor="middle">{ s.x_label.clone() }</text>
                { for c.series.iter().enumerate().map(|(k, se)| {
                    let tone = format!("t{}", se.tone);
                    let line = plot.line(k);
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
            <p class="ch-save">
                { "Download " }
                <button type="button" class="link" onclick={save(Export::ChartSvg(p.index))}
                    aria-label={format!("Download the chart “{}” as SVG", c.title)}>{ "SVG" }</button>
                { " · " }
                <button type="button" class="link" onclick={save(Export::SweepCsv)}
                    aria-label={format!("Download the numbers of “{}” as CSV", s.title)}>{ "CSV" }</button>
            </p>
        </figure>
    }
}
