//! The width of an element in CSS pixels, updated whenever it changes (a resized window, a
//! course page's column, a tab that shows the element): the timeline draws at its real size so
//! that its text is never stretched.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

#[hook]
pub fn use_width(node: NodeRef, fallback: f64) -> f64 {
    let width = use_state_eq(|| fallback);
    {
        let width = width.clone();
        use_effect_with(node, move |node| {
            let target = node.cast::<web_sys::Element>();
            let node = node.clone();
            let measure = move || {
                if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                    let w = el.client_width() as f64;
                    // 0: hidden (another tab is open); keep the last width until it shows.
                    if w > 0.0 {
                        width.set(w);
                    }
                }
            };
            measure();
            let callback = Closure::<dyn FnMut()>::new(measure);
            let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
            if let (Some(ro), Some(el)) = (&observer, &target) {
                ro.observe(el);
            }
            move || {
                if let Some(ro) = observer {
                    ro.disconnect();
                }
                drop(callback);
            }
        });
    }
    *width
}
