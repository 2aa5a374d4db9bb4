//! The play loop: the only code that reads the wall clock. Each animation frame turns the wall
//! time since the last frame into simulated time through the speed, and dispatches a `Tick`.

use crate::backend::Dispatch;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::render::{AnimationFrame, request_animation_frame};
use yew::prelude::*;

use crate::state::Action;

/// A frame longer than this (a hidden tab, a breakpoint) counts as this long, so that playback
/// never jumps ahead.
const MAX_FRAME_MS: f64 = 100.0;

struct Loop {
    frame: RefCell<Option<AnimationFrame>>,
    last_ms: Cell<Option<f64>>,
    /// Simulated milliseconds not dispatched yet (ticks are whole milliseconds).
    carry_ms: Cell<f64>,
    speed: f64,
    dispatch: Dispatch,
    running: Cell<bool>,
}

fn schedule(lp: Rc<Loop>) {
    let next = lp.clone();
    let frame = request_animation_frame(move |now_ms| {
        if !next.running.get() {
            return;
        }
        if let Some(prev) = next.last_ms.get() {
            let wall = (now_ms - prev).clamp(0.0, MAX_FRAME_MS);
            let sim = wall * next.speed + next.carry_ms.get();
            let whole = sim.floor();
            next.carry_ms.set(sim - whole);
            if whole >= 1.0 {
                next.dispatch.dispatch(Action::Tick(whole as u64));
            }
        }
        next.last_ms.set(Some(now_ms));
        schedule(next.clone());
    });
    *lp.frame.borrow_mut() = Some(frame);
}

/// Runs the play loop while `playing`, at `speed` simulated ms per wall ms.
#[hook]
pub fn use_playback(playing: bool, speed: f64, dispatch: Dispatch) {
    // f64 is not Eq: compare the speed by its bits.
    use_effect_with((playing, speed.to_bits()), move |&(playing, bits)| {
        let lp = Rc::new(Loop {
            frame: RefCell::new(None),
            last_ms: Cell::new(None),
            carry_ms: Cell::new(0.0),
            speed: f64::from_bits(bits),
            dispatch,
            running: Cell::new(playing),
        });
        if playing {
            schedule(lp.clone());
        }
        move || {
            lp.running.set(false);
            // Dropping the frame cancels it and breaks the Loop ↔ closure cycle.
            lp.frame.borrow_mut().take();
        }
    });
}
