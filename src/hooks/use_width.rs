//! The width of an element in CSS pixels, updated when the window resizes: the timeline draws
//! at its real size so that its text is never stretched.

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[hook]
pub fn use_width(node: NodeRef, fallback: f64) -> f64 {
    let width = use_state_eq(|| fallback);
    {
        let width = width.clone();
        use_effect_with(node, move |node| {
            let node = node.clone();
            let measure = move || {
                if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                    let w = el.client_width() as f64;
                    if w > 0.0 {
                        width.set(w);
                    }
                }
            };
            measure();
            let listener = EventListener::new(&gloo::utils::window().unchecked_into(), "resize", move |_| measure());
            move || drop(listener)
        });
    }
    *width
}
