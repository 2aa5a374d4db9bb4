//! # Offset Lab, the web app
//!
//! A Yew shell around the simulation core (`offset-lab-sim`). The data flows one way:
//!
//! ```text
//!  link (?v=1&preset=…) ─▶ state::AppState { Rc<Timeline>, cursor, time_ms, … }  ◀── Action (reducer)
//!  or data-offset-lab           │                                                   ▲
//!                               ▼ world_at(cursor), memoized                        │ clicks, keys,
//!                        view::* (plain view models, tested natively)               │ files, use_playback
//!                               │                                                   │ (the only wall
//!                               ▼                                                   │  clock reader)
//!                        components::* (#[component]s, PartialEq props) ───────────┘
//! ```
//!
//! Every student action edits the scenario (`edit`), which is simulated again from the same
//! seed; nothing else holds state about the run. `embed` says where a playground lives (its own
//! page, an iframe, or one of several elements of a course page) and what that allows it.

pub mod code;
pub mod edit;
pub mod embed;
pub mod files;
pub mod lab;
pub mod panic;
pub mod scenarios;
pub mod state;
pub mod view;

mod app;
pub mod components;
pub mod hooks;

pub use app::{App, AppProps};

/// Entry point: install the panic hook, then mount a playground on every `data-offset-lab`
/// element of the page (a course page), or the app on `<body>` when there is none.
pub fn start() {
    panic::install();
    if embed::mount_elements().is_empty() {
        yew::Renderer::<App>::new().render();
    }
}
