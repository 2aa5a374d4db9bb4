//! Panic hook for the browser: log the panic to the console and show a
//! visible error banner with a Reload button, instead of a silently dead page.
//!
//! Call [`install`] once, first thing in `start()`, before rendering. The banner is a
//! `<div id="panic-banner" class="panic-banner" role="alert">` inserted as the
//! first child of `<body>`, styled by the `.panic-banner` rules in
//! `static/style.css` (unstyled but still visible without them).

use std::sync::Once;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The id of the banner element, for tests.
pub const BANNER_ID: &str = "panic-banner";

/// Install the panic hook (idempotent).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Through yew, or `Renderer::render()` replaces it with yew's default hook.
        yew::set_custom_panic_hook(Box::new(|info| {
            let message = info.to_string();
            // A JS Error, so that the console shows the stack too.
            web_sys::console::error_1(&js_sys::Error::new(&format!(
                "Offset Lab crashed: {message}"
            )));
            show_banner(&message);
        }));
    });
}

/// Show the error banner (at most one) with `message` and a Reload button.
/// Does nothing outside a browser.
pub fn show_banner(message: &str) {
    // Never panic in here: we may already be inside the panic hook.
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else { return };
    if document.get_element_by_id(BANNER_ID).is_some() {
        return;
    }
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    banner.set_id(BANNER_ID);
    banner.set_class_name("panic-banner");
    let _ = banner.set_attribute("role", "alert");

    if let Ok(text) = document.create_element("p") {
        text.set_text_content(Some(&format!(
            "Something went wrong and Offset Lab stopped. Reload the page to start again. ({message})"
        )));
        let _ = banner.append_child(&text);
    }
    if let Ok(button) = document.create_element("button") {
        let _ = button.set_attribute("type", "button");
        button.set_text_content(Some("Reload"));
        if let Ok(button) = button.dyn_into::<web_sys::HtmlElement>() {
            let reload = Closure::<dyn FnMut()>::new(|| {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            });
            button.set_onclick(Some(reload.as_ref().unchecked_ref()));
            reload.forget();
            let _ = banner.append_child(&button);
        }
    }
    let _ = body.insert_before(&banner, body.first_child().as_ref());
}
