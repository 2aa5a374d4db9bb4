//! The app's parts, each a small `#[component]` with `PartialEq` props so that a step only
//! re-renders what changed.

pub mod builder;
pub mod callout;
pub mod chart;
pub mod clients;
pub mod code_view;
pub mod consumer_card;
pub mod file_menu;
pub mod header;
pub mod icons;
pub mod lab_panel;
pub mod log_lanes;
pub mod narration;
pub mod outcome;
pub mod phase_explorer;
pub mod prove;
pub mod rules;
pub mod side_by_side;
pub mod sweep_panel;
pub mod time_bar;
pub mod timeline_view;

pub use builder::Builder;
pub use callout::{Callout, NoticeBar};
pub use code_view::CodeView;
pub use consumer_card::ConsumerCard;
pub use header::Header;
pub use lab_panel::LabPanel;
pub use log_lanes::{LogLanes, PaymentDetail};
pub use narration::Narration;
pub use outcome::Outcome;
pub use prove::Prove;
pub use sweep_panel::SweepPanel;
pub use time_bar::TimeBar;
pub use timeline_view::TimelineView;

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The value of the `<input>` or `<select>` an event came from.
pub fn value_of(e: &Event) -> String {
    let Some(t) = e.target() else {
        return String::new();
    };
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(s) = t.dyn_ref::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    String::new()
}

/// Whether the checkbox an event came from is checked.
pub fn checked_of(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}
