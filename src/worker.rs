//! The page's Web Worker: every playground of the page as a [`Session`], fed the page's
//! messages (`offset_lab_session::protocol`, postcard bytes in a `Uint8Array`) and answering with screens,
//! files, links and, while a long run is built, its progress. Started by trunk's loader
//! (`offset-lab-worker_loader.js`); it says "ready" once it can take messages.

use std::cell::RefCell;
use std::collections::BTreeMap;

use offset_lab_session::Session;
use offset_lab_session::protocol::{FromWorker, ToWorker};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

thread_local! {
    static SESSIONS: RefCell<BTreeMap<u32, Session>> = const { RefCell::new(BTreeMap::new()) };
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    let bytes = js_sys::Uint8Array::from(msg.to_bytes().as_slice());
    let _ = scope().post_message(&bytes);
}

fn handle(bytes: &[u8]) {
    let msg = match ToWorker::from_bytes(bytes) {
        Ok(m) => m,
        Err(e) => {
            web_sys::console::error_1(
                &format!("Offset Lab worker: unreadable message: {e}").into(),
            );
            return;
        }
    };
    // Progress of a long run, at most every 5 per mille.
    let progress = |session: u32| {
        let mut last = 0u32;
        move |permille: u32| {
            if permille >= last + 5 {
                last = permille;
                post(&FromWorker::Progress { session, permille });
            }
        }
    };
    let out = match msg {
        ToWorker::Open {
            session,
            start,
            lab,
        } => {
            let mut s = offset_lab_session::run::listen(progress(session), || {
                Session::open(session, &start, lab.as_deref())
            });
            let mut out = vec![s.screen_message()];
            out.extend(s.course_message());
            SESSIONS.with(|ss| ss.borrow_mut().insert(session, s));
            out
        }
        ToWorker::Act { session, action } => SESSIONS.with(|ss| {
            let mut ss = ss.borrow_mut();
            match ss.get_mut(&session) {
                Some(s) => offset_lab_session::run::listen(progress(session), || s.act(action)),
                None => Vec::new(),
            }
        }),
        ToWorker::Close { session } => {
            SESSIONS.with(|ss| ss.borrow_mut().remove(&session));
            Vec::new()
        }
    };
    for m in &out {
        post(m);
    }
    // The page counts the messages it has not had an answer to (tests wait for none).
    let _ = scope().post_message(&JsValue::from_str(DONE));
}

/// What the worker posts after each message it handled.
const DONE: &str = "done";

fn main() {
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|e: web_sys::MessageEvent| {
            let data = e.data();
            if data.is_instance_of::<js_sys::Uint8Array>() {
                handle(&js_sys::Uint8Array::new(&data).to_vec());
            }
        });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope().post_message(&JsValue::from_str("ready"));
}
