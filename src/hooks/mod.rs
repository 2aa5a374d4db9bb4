//! Hooks that connect the app to the browser: the play loop, the keyboard, element sizes, the
//! framing page, dropped files.

mod use_file_drop;
mod use_keyboard;
mod use_playback;
mod use_report_height;
mod use_reveal;
mod use_width;

pub use use_file_drop::use_file_drop;
pub use use_keyboard::use_keyboard;
pub use use_playback::use_playback;
pub use use_report_height::{HEIGHT_MESSAGE, use_report_height};
pub use use_reveal::use_reveal;
pub use use_width::use_width;

/// Marks the start of a step for the re-render benchmark: the app measures `ol-step` from
/// here to the end of the next render (`performance.measure`). The e2e benchmark reads it.
pub fn mark_step_start() {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        perf.clear_marks_with_mark_name("ol-step-start");
        let _ = perf.mark("ol-step-start");
    }
}

/// Ends the measurement begun by [`mark_step_start`], if one is pending.
pub fn measure_step_end() {
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    if perf
        .get_entries_by_name_with_entry_type("ol-step-start", "mark")
        .length()
        == 0
    {
        return;
    }
    let _ = perf.measure_with_start_mark("ol-step", "ol-step-start");
    perf.clear_marks_with_mark_name("ol-step-start");
}
