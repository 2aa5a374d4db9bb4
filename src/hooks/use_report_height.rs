//! In an iframe (`?embed=1`), tell the parent page how tall the playground is whenever that
//! changes, so that the page can size the iframe to fit it without scrollbars:
//! `window.parent.postMessage({ type: "offset-lab:height", height }, "*")`. The README's snippet
//! listens for it. Nothing is sent when the page is not framed.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// The `type` of the message.
pub const HEIGHT_MESSAGE: &str = "offset-lab:height";

/// The window framing this one, if any.
fn framing_parent() -> Option<web_sys::Window> {
    let w = web_sys::window()?;
    let parent = w.parent().ok().flatten()?;
    (!js_sys::Object::is(&parent, &w)).then_some(parent)
}

fn post_height(parent: &web_sys::Window, height: i32) {
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"type".into(), &HEIGHT_MESSAGE.into());
    let _ = js_sys::Reflect::set(&msg, &"height".into(), &height.into());
    let _ = parent.post_message(&msg, "*");
}

/// Reports the height of `node` (the whole playground) to the framing page while `enabled`.
#[hook]
pub fn use_report_height(node: NodeRef, enabled: bool) {
    use_effect_with(enabled, move |&enabled| {
        let mut observer: Option<(web_sys::ResizeObserver, Closure<dyn FnMut()>)> = None;
        if let (true, Some(el), Some(parent)) =
            (enabled, node.cast::<web_sys::Element>(), framing_parent())
        {
            let last = Rc::new(Cell::new(-1));
            let target = el.clone();
            let report = move || {
                let h = target.get_bounding_client_rect().height().ceil() as i32;
                if h > 0 && h != last.get() {
                    last.set(h);
                    post_height(&parent, h);
                }
            };
            report();
            let callback = Closure::<dyn FnMut()>::new(report);
            if let Ok(ro) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
                ro.observe(&el);
                observer = Some((ro, callback));
            }
        }
        move || {
            if let Some((ro, _callback)) = observer {
                ro.disconnect();
            }
        }
    });
}
