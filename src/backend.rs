//! The page's side of the worker: the one Web Worker of the page (which runs every playground's
//! [`Session`](offset_lab_session::Session)), the messages to it and back, and what to do when a
//! run takes long (a progress bar with Cancel) or the worker dies.
//!
//! ```text
//!  App ── open(id, start, on_message) ──▶ Hub ── ToWorker (JSON) ──▶ worker
//!      ◀──────── on_message(FromWorker) ─────  ◀── FromWorker (JSON) ──
//! ```
//!
//! The hub keeps, for every playground, the link to the moment it last showed: when the worker
//! is cancelled (terminated) or dies, a new one reopens each playground there.
//!
//! With the `inline` feature (the browser tests), there is no worker: the sessions run in the
//! page, answering synchronously.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use offset_lab_session::protocol::{FromWorker, Start, ToWorker};
use offset_lab_session::state::Action;
use yew::Callback;

/// The file trunk writes next to the app's bundle to start the worker (`data-loader-shim`).
pub const WORKER_SCRIPT: &str = "offset-lab-worker_loader.js";

/// What a playground hears from the hub.
#[derive(Clone, Debug, PartialEq)]
pub enum Heard {
    Message(Rc<FromWorker>),
    /// The worker stopped (cancelled, or it failed): the playground is being reopened.
    Restarting {
        failed: bool,
    },
    /// The simulator cannot run in this page: why.
    Failed(String),
}

/// Sends one playground's actions to the worker. Equal to any other of the same playground, so
/// that props holding it never change.
#[derive(Clone)]
pub struct Dispatch {
    session: u32,
}

impl PartialEq for Dispatch {
    fn eq(&self, o: &Dispatch) -> bool {
        self.session == o.session
    }
}

impl Dispatch {
    pub fn new(session: u32) -> Dispatch {
        Dispatch { session }
    }

    pub fn dispatch(&self, action: Action) {
        act(self.session, action);
    }

    pub fn session(&self) -> u32 {
        self.session
    }
}

struct Playground {
    start: Start,
    lab: Option<String>,
    /// The link to what it last showed (its own page's form), to reopen it there.
    link: Option<String>,
    listener: Callback<Heard>,
}

#[derive(Default)]
struct Hub {
    playgrounds: BTreeMap<u32, Playground>,
    /// Failures of the worker since it last answered.
    failures: u32,
    /// Messages sent and not answered yet.
    pending: u32,
    #[cfg(not(feature = "inline"))]
    worker: Option<worker::Handle>,
    #[cfg(feature = "inline")]
    sessions: BTreeMap<u32, offset_lab_session::Session>,
}

thread_local! {
    static HUB: RefCell<Hub> = RefCell::new(Hub::default());
}

/// Opens playground `session` as `start` says; `listener` hears every message for it.
pub fn open(session: u32, start: Start, lab: Option<String>, listener: Callback<Heard>) {
    HUB.with(|h| {
        h.borrow_mut().playgrounds.insert(
            session,
            Playground {
                start: start.clone(),
                lab: lab.clone(),
                link: None,
                listener,
            },
        )
    });
    send(ToWorker::Open {
        session,
        start,
        lab,
    });
}

/// The playground is gone (unmounted).
pub fn close(session: u32) {
    HUB.with(|h| h.borrow_mut().playgrounds.remove(&session));
    send(ToWorker::Close { session });
}

pub fn act(session: u32, action: Action) {
    send(ToWorker::Act { session, action });
}

/// Remembers where the playground is, to reopen it there after a restart.
pub fn remember_link(session: u32, link: &str) {
    HUB.with(|h| {
        if let Some(p) = h.borrow_mut().playgrounds.get_mut(&session) {
            p.link = Some(link.to_string());
        }
    });
}

/// Delivers a message from the worker to its playground.
fn deliver(msg: FromWorker) {
    let listener = HUB.with(|h| {
        let mut h = h.borrow_mut();
        h.failures = 0;
        h.playgrounds
            .get(&msg.session())
            .map(|p| p.listener.clone())
    });
    if let Some(l) = listener {
        l.emit(Heard::Message(Rc::new(msg)));
    }
}

#[cfg_attr(feature = "inline", allow(dead_code))]
/// What reopens every playground in a new worker: at the moment it last showed, in its layout.
fn reopen_all() -> Vec<(ToWorker, Callback<Heard>)> {
    HUB.with(|h| {
        h.borrow()
            .playgrounds
            .iter()
            .map(|(id, p)| {
                let start = match (&p.link, &p.start) {
                    (Some(link), Start::Link { .. }) => Start::Link {
                        query: link.clone(),
                    },
                    (Some(link), Start::Element(e)) => {
                        let mut e = e.clone();
                        e.json = None;
                        e.link = Some(link.clone());
                        Start::Element(e)
                    }
                    (None, start) => start.clone(),
                };
                (
                    ToWorker::Open {
                        session: *id,
                        start,
                        lab: p.lab.clone(),
                    },
                    p.listener.clone(),
                )
            })
            .collect()
    })
}

#[cfg(feature = "inline")]
fn send(msg: ToWorker) {
    use offset_lab_session::Session;
    let out = HUB.with(|h| {
        let mut h = h.borrow_mut();
        match msg {
            ToWorker::Open {
                session,
                start,
                lab,
            } => {
                let mut s = Session::open(session, &start, lab.as_deref());
                let screen = s.screen_message();
                h.sessions.insert(session, s);
                vec![screen]
            }
            ToWorker::Act { session, action } => h
                .sessions
                .get_mut(&session)
                .map(|s| s.act(action))
                .unwrap_or_default(),
            ToWorker::Close { session } => {
                h.sessions.remove(&session);
                Vec::new()
            }
        }
    });
    for m in out {
        deliver(m);
    }
}

/// Stops the run being built (terminating the worker) and reopens every playground where it
/// was before.
#[cfg(feature = "inline")]
pub fn cancel() {}

#[cfg(not(feature = "inline"))]
fn send(msg: ToWorker) {
    HUB.with(|h| {
        let mut h = h.borrow_mut();
        let w = h.worker.get_or_insert_with(worker::Handle::spawn);
        w.post(msg.to_bytes());
        h.pending += 1;
        show_pending(h.pending);
    });
}

/// The worker answered a message.
#[cfg(not(feature = "inline"))]
fn answered() {
    HUB.with(|h| {
        let mut h = h.borrow_mut();
        h.pending = h.pending.saturating_sub(1);
        show_pending(h.pending);
    });
}

/// The messages the worker has not answered yet, on `<html data-ol-pending>`: the end-to-end
/// tests wait for 0 before they read the page.
#[cfg(not(feature = "inline"))]
fn show_pending(n: u32) {
    if let Some(el) = gloo::utils::document().document_element() {
        let _ = el.set_attribute("data-ol-pending", &n.to_string());
    }
}

/// Stops the run being built (terminating the worker) and reopens every playground where it
/// was before.
#[cfg(not(feature = "inline"))]
pub fn cancel() {
    restart(false);
}

/// Failures in a row after which the hub stops starting workers.
#[cfg(not(feature = "inline"))]
const MAX_FAILURES: u32 = 3;

#[cfg(not(feature = "inline"))]
fn restart(failed: bool) {
    let (old, failures) = HUB.with(|h| {
        let mut h = h.borrow_mut();
        if failed {
            h.failures += 1;
        }
        (h.worker.take(), h.failures)
    });
    if let Some(w) = old {
        w.terminate();
    }
    HUB.with(|h| h.borrow_mut().pending = 0);
    show_pending(0);
    if failures >= MAX_FAILURES {
        fail_all("The simulator stopped working in this page. Reload the page to start again.");
        return;
    }
    for (open, listener) in reopen_all() {
        listener.emit(Heard::Restarting { failed });
        send(open);
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    type ImportMeta;
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
}

/// The URL of a file of the site next to the bundle's own script (wherever the page that loads
/// the bundle is: the app's page, or a course page elsewhere).
pub fn next_to_bundle(file: &str) -> String {
    let base = IMPORT_META.with(|m| m.url());
    web_sys::Url::new_with_base(file, &base)
        .map(|u| u.href())
        .unwrap_or_else(|_| file.to_string())
}

#[cfg(not(feature = "inline"))]
mod worker {
    //! The Web Worker itself: started from the script next to the bundle, with the messages
    //! posted before it is ready kept until it says so.

    use std::cell::RefCell;
    use std::rc::Rc;

    use offset_lab_session::protocol::FromWorker;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    /// What the worker posts once it can take messages, and after each one it handled.
    pub const READY: &str = "ready";
    pub const DONE: &str = "done";

    pub struct Handle {
        worker: Option<web_sys::Worker>,
        /// Messages posted before the worker was ready.
        queue: Rc<RefCell<Option<Vec<Vec<u8>>>>>,
        _on_message: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
        _on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
    }

    /// The worker index.html's inline script started while the page's own code was still
    /// downloading (`window.__olWorker`), so that both download at once. What it said before
    /// its `onmessage` and `onerror` are set, it hands to them when they are. Taken once: a
    /// restarted worker is a new one.
    fn take_early() -> Option<web_sys::Worker> {
        let window = web_sys::window()?;
        let key = JsValue::from_str(EARLY);
        let early = js_sys::Reflect::get(&window, &key).ok()?;
        let _ = js_sys::Reflect::delete_property(&window, &key);
        early.dyn_into::<web_sys::Worker>().ok()
    }

    /// The global index.html's inline script leaves its early worker in.
    const EARLY: &str = "__olWorker";

    /// The worker's script, next to the bundle's own (wherever the page that loads it is).
    fn script_url() -> String {
        super::next_to_bundle(super::WORKER_SCRIPT)
    }

    impl Handle {
        pub fn spawn() -> Handle {
            let queue: Rc<RefCell<Option<Vec<Vec<u8>>>>> = Rc::new(RefCell::new(Some(Vec::new())));
            let worker = match take_early().map_or_else(|| web_sys::Worker::new(&script_url()), Ok)
            {
                Ok(w) => w,
                Err(_) => {
                    super::fail_all("This browser could not start the simulator (a Web Worker).");
                    return Handle {
                        worker: None,
                        queue,
                        _on_message: None,
                        _on_error: None,
                    };
                }
            };
            let q = queue.clone();
            let target = worker.clone();
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |e: web_sys::MessageEvent| {
                    let data = e.data();
                    let Some(text) = data.as_string() else {
                        if data.is_instance_of::<js_sys::Uint8Array>() {
                            match FromWorker::from_bytes(&js_sys::Uint8Array::new(&data).to_vec()) {
                                Ok(msg) => super::deliver(msg),
                                Err(e) => web_sys::console::error_1(
                                    &format!(
                                        "Offset Lab: an unreadable message from the worker: {e}"
                                    )
                                    .into(),
                                ),
                            }
                        }
                        return;
                    };
                    if text == DONE {
                        super::answered();
                        return;
                    }
                    if text == READY
                        && let Some(pending) = q.borrow_mut().take()
                    {
                        {
                            for m in pending {
                                let _ =
                                    target.post_message(&js_sys::Uint8Array::from(m.as_slice()));
                            }
                        }
                    }
                },
            );
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                e.prevent_default();
                // A panic in the worker (or a script that did not load): start again.
                gloo::timers::callback::Timeout::new(0, || super::restart(true)).forget();
            });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Handle {
                worker: Some(worker),
                queue,
                _on_message: Some(on_message),
                _on_error: Some(on_error),
            }
        }

        pub fn post(&self, bytes: Vec<u8>) {
            if let Some(pending) = self.queue.borrow_mut().as_mut() {
                pending.push(bytes);
                return;
            }
            if let Some(w) = &self.worker {
                let _ = w.post_message(&js_sys::Uint8Array::from(bytes.as_slice()));
            }
        }

        pub fn terminate(self) {
            if let Some(w) = &self.worker {
                w.terminate();
            }
        }
    }
}

/// Tells every playground that the simulator cannot run here.
#[cfg(not(feature = "inline"))]
fn fail_all(text: &str) {
    let listeners: Vec<(u32, Callback<Heard>)> = HUB.with(|h| {
        h.borrow()
            .playgrounds
            .iter()
            .map(|(id, p)| (*id, p.listener.clone()))
            .collect()
    });
    for (_, l) in listeners {
        l.emit(Heard::Failed(text.to_string()));
    }
    web_sys::console::error_1(&text.into());
}
