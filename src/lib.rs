//! # Offset Lab, the web app
//!
//! A Yew shell around the simulation core (`offset-lab-sim`). The data flows one way:
//!
//! ```text
//!  URL ?scenario=… ─▶ state::AppState { Rc<Timeline>, cursor, time_ms, … }  ◀── Action (reducer)
//!                            │                                                   ▲
//!                            ▼ world_at(cursor), memoized                        │ clicks, keys,
//!                     view::* (plain view models, tested natively)               │ use_playback
//!                            │                                                   │ (the only wall
//!                            ▼                                                   │  clock reader)
//!                     components::* (#[component]s, PartialEq props) ───────────┘
//! ```
//!
//! Every student action edits the scenario (`edit`), which is simulated again from the same
//! seed; nothing else holds state about the run.

pub mod code;
pub mod edit;
pub mod lab;
pub mod panic;
pub mod scenarios;
pub mod state;
pub mod view;

mod app;
pub mod components;
pub mod hooks;

pub use app::App;

/// Entry point: install the panic hook and mount [`App`] on `<body>`.
pub fn start() {
    panic::install();
    yew::Renderer::<App>::new().render();
}
