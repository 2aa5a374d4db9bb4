//! # Offset Lab's playground, without the page
//!
//! Everything the playground knows and decides, with no web dependency: the state
//! ([`state::AppState`]), every way it changes (one [`state::Action`] enum, one reducer), and
//! what the page draws of it ([`screen::Screen`], built from the plain view models of
//! [`view`]). In the browser it runs in a Web Worker, so that no run, seek or sweep ever blocks
//! the page; the page sends it actions and draws the screens it answers
//! ([`protocol`]). Natively, tests drive it directly.
//!
//! ```text
//!  page (Yew) ── ToWorker::Act(Action) ──▶ Session::handle ──▶ AppState::reduce ──▶ Timeline (core)
//!      ▲                                        │
//!      └──────── FromWorker::Screen(Screen) ◀───┘  screen::build: view::* of the world at the cursor
//! ```

pub mod builder;
pub mod code;
pub mod course;
pub mod edit;
pub mod experiments;
pub mod export;
pub mod lab;
pub mod protocol;
pub mod prove;
pub mod run;
pub mod scenarios;
pub mod screen;
pub mod session;
pub mod side_by_side;
pub mod state;
pub mod view;

pub use session::Session;
