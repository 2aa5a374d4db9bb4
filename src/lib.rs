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

pub mod backend;
pub mod embed;
pub mod files;
pub mod panic;

// The session's modules, under the names the components have always used. Only types and a few
// small helpers of them reach the page's bundle; the rest runs in the worker.
pub use offset_lab_session::{builder, code, edit, export, lab, scenarios, screen, state, view};

mod app;
pub mod components;
pub mod hooks;

pub use app::{App, AppProps};

/// Entry point: install the panic hook, then mount a playground on every `data-offset-lab`
/// element of the page (a course page), and the app on `<body>` when it has
/// `data-offset-lab-app` (the app's own page).
pub fn start() {
    panic::install();
    embed::mount_elements();
    // The full app only where the page asks for it (the app's own page); a page that includes
    // the bundle without any playground element is left alone.
    let document = gloo::utils::document();
    if document
        .body()
        .is_some_and(|b| b.has_attribute(embed::APP_ATTRIBUTE))
    {
        // index.html's #ol-app, after the first screen prerendered at build time (see
        // `drop_prerendered`); <body> in a page without it.
        match document.get_element_by_id(APP_MOUNT) {
            Some(root) => yew::Renderer::<App>::with_root(root).render(),
            None => yew::Renderer::<App>::new().render(),
        };
    }
}

/// The element of index.html the app mounts on.
pub const APP_MOUNT: &str = "ol-app";
/// The first screen `xtask/prerender.mjs` rendered at build time: the id of its element in the
/// app's own page, its class inside a `data-offset-lab` element of a course page.
pub const PRERENDERED: &str = "ol-prerendered";
/// The class of the element a playground mounts on beside a prerendered screen (embed::mount).
pub const MOUNT_CLASS: &str = "ol-mount";

/// A playground has drawn its own first screen (or given up waiting for it): the screen
/// prerendered for it goes, in the same frame, so nothing moves (the stylesheet keeps the
/// playground invisible while it is there). `root`: the playground's `.ol`; the app's own page
/// (`None`) has #ol-prerendered, a `data-offset-lab` element its `.ol-prerendered` child.
pub fn drop_prerendered(root: Option<&web_sys::Element>) {
    let prerendered = match root {
        None => gloo::utils::document().get_element_by_id(PRERENDERED),
        // .ol-prerendered, then .ol-mount holding the playground's .ol (embed::mount).
        Some(root) => root
            .parent_element()
            .filter(|host| host.class_name() == MOUNT_CLASS)
            .and_then(|host| host.previous_element_sibling())
            .filter(|el| el.class_name() == PRERENDERED),
    };
    if let Some(el) = prerendered {
        el.remove();
    }
}
