//! Time controls: step, jump, play/pause with a speed, the simulated clock and a scrubber.

use crate::backend::Dispatch;
use std::rc::Rc;

use offset_lab_sim::Ms;
use yew::prelude::*;

use super::{checked_of, icons, value_of};
use crate::hooks::mark_step_start;
use crate::state::{Action, SPEEDS};
use crate::view::clock;

#[derive(Properties, PartialEq)]
pub struct TimeBarProps {
    pub cursor: usize,
    pub events: usize,
    pub time_ms: Ms,
    pub end_ms: Ms,
    pub playing: bool,
    pub speed_ix: usize,
    pub pause_at_moments: bool,
    /// (time, moment number) of the five moments, drawn on the scrubber.
    pub moments: Rc<Vec<(Ms, u8)>>,
    pub dispatch: Dispatch,
}

#[component]
pub fn TimeBar(p: &TimeBarProps) -> Html {
    let step = |a: Action| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            mark_step_start();
            d.dispatch(a.clone());
        })
    };
    let toggle = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::TogglePlay))
    };
    let on_speed = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Ok(i) = value_of(&e).parse::<usize>() {
                d.dispatch(Action::SetSpeed(i));
            }
        })
    };
    let on_scrub = {
        let d = p.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let e: Event = e.into();
            if let Ok(t) = value_of(&e).parse::<u64>() {
                d.dispatch(Action::SeekTime(t));
            }
        })
    };
    let on_pause_moments = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| d.dispatch(Action::SetPauseAtMoments(checked_of(&e))))
    };
    let at_start = p.cursor == 0 && p.time_ms == 0;
    let at_end = p.cursor >= p.events;
    let end = p.end_ms.max(1);
    html! {
        <div class="timebar" role="group" aria-label="Time controls">
            <div class="tb-buttons">
                <button type="button" class="ib" onclick={step(Action::ToStart)} disabled={at_start}
                    aria-label="Jump to start (Home)" title="Jump to start (Home)">{ icons::to_start() }</button>
                <button type="button" class="ib" onclick={step(Action::PrevMoment)} disabled={at_start}
                    aria-label="Previous key moment (Shift+←)" title="Previous key moment (Shift+←)">
                    { icons::prev_key() }
                </button>
                <button type="button" class="ib" onclick={step(Action::StepBack)} disabled={at_start}
                    aria-label="Back one event (←)" title="Back one event (←)">{ icons::step_back() }</button>
                <button type="button" class={classes!("play", p.playing.then_some("is-playing"))} onclick={toggle}
                    aria-label={if p.playing { "Pause (Space)" } else { "Play (Space)" }}
                    aria-pressed={if p.playing { "true" } else { "false" }}>
                    { if p.playing { icons::pause() } else { icons::play() } }
                    <span class="play-text">{ if p.playing { " Pause" } else { " Play" } }</span>
                </button>
                <button type="button" class="ib" onclick={step(Action::StepForward)} disabled={at_end}
                    aria-label="Step forward one event (→)" title="Step forward one event (→)">
                    { icons::step_forward() }
                </button>
                <button type="button" class="ib" onclick={step(Action::NextMoment)} disabled={at_end}
                    aria-label="Next key moment (Shift+→)" title="Next key moment (Shift+→)">
                    { icons::next_key() }
                </button>
                <button type="button" class="ib" onclick={step(Action::ToEnd)} disabled={at_end}
                    aria-label="Jump to end (End)" title="Jump to end (End)">{ icons::to_end() }</button>
            </div>
            <label class="speed">
                <span class="sr-only">{ "Speed" }</span>
                <select onchange={on_speed} aria-label="Playback speed">
                    { for SPEEDS.iter().enumerate().map(|(i, (_, label))| html! {
                        <option value={i.to_string()} selected={i == p.speed_ix}>{ *label }</option>
                    }) }
                </select>
            </label>
            <div class="clock" aria-live="off">
                <span class="clock-t" data-testid="clock">{ clock(p.time_ms) }</span>
                <span class="clock-of">{ format!(" / {}", clock(p.end_ms)) }</span>
                <span class="clock-ev">
                    { "event " }<span data-testid="counter">{ p.cursor }</span>{ format!(" of {}", p.events) }
                </span>
            </div>
            <div class="scrub">
                <input type="range" min="0" max={p.end_ms.to_string()} step="1" value={p.time_ms.to_string()}
                    oninput={on_scrub} aria-label="Simulated time (drag to move the cursor)"
                    aria-valuetext={clock(p.time_ms)} />
                <svg class="scrub-moments" viewBox="0 0 1000 8" preserveAspectRatio="none" aria-hidden="true"
                    focusable="false">
                    { for p.moments.iter().map(|(t, n)| html! {
                        <rect x={crate::view::fixed(*t as f64 * 1000.0 / end as f64 - 2.0, 1)} y="0" width="4"
                            height="8" class={format!("sm sm-{n}")} />
                    }) }
                </svg>
            </div>
            <label class="pause-moments" title="Stop playing at each of the five key moments">
                <input type="checkbox" checked={p.pause_at_moments} onchange={on_pause_moments} />
                { " pause at key moments" }
            </label>
        </div>
    }
}
