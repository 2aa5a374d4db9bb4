//! Drop a scenario file on the playground to open it: on the whole page when the app owns it,
//! else on the playground's own element. Returns whether a file is being dragged over it, to
//! show where it can go.

use std::cell::Cell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Whether a drag carries files (not text or a link dragged from the page).
fn carries_files(e: &web_sys::DragEvent) -> bool {
    e.data_transfer()
        .is_some_and(|dt| dt.types().includes(&"Files".into(), 0))
}

#[hook]
pub fn use_file_drop(node: NodeRef, whole_page: bool, on_file: Callback<web_sys::File>) -> bool {
    let dragging = use_state_eq(|| false);
    {
        let dragging = dragging.clone();
        use_effect_with(whole_page, move |&whole_page| {
            let target: Option<web_sys::EventTarget> = if whole_page {
                Some(gloo::utils::document().unchecked_into())
            } else {
                node.get().map(|n| n.unchecked_into())
            };
            // dragenter and dragleave fire for every child crossed: count them.
            let depth = Rc::new(Cell::new(0u32));
            let mut listeners = Vec::new();
            if let Some(target) = target {
                let opts = EventListenerOptions::enable_prevent_default();
                let on = |name: &'static str, f: Box<dyn Fn(&web_sys::DragEvent)>| {
                    EventListener::new_with_options(&target, name, opts, move |e| {
                        if let Some(e) = e.dyn_ref::<web_sys::DragEvent>()
                            && carries_files(e)
                        {
                            e.prevent_default();
                            f(e);
                        }
                    })
                };
                let (d, n) = (dragging.clone(), depth.clone());
                listeners.push(on(
                    "dragenter",
                    Box::new(move |_| {
                        n.set(n.get() + 1);
                        d.set(true);
                    }),
                ));
                listeners.push(on("dragover", Box::new(|_| {})));
                let (d, n) = (dragging.clone(), depth.clone());
                listeners.push(on(
                    "dragleave",
                    Box::new(move |_| {
                        n.set(n.get().saturating_sub(1));
                        if n.get() == 0 {
                            d.set(false);
                        }
                    }),
                ));
                let (d, n) = (dragging.clone(), depth);
                listeners.push(on(
                    "drop",
                    Box::new(move |e| {
                        n.set(0);
                        d.set(false);
                        if let Some(file) = e
                            .data_transfer()
                            .and_then(|dt| dt.files())
                            .and_then(|fs| fs.get(0))
                        {
                            on_file.emit(file);
                        }
                    }),
                ));
            }
            move || drop(listeners)
        });
    }
    *dragging
}
