//! What the root component reads from and writes to the browser: the page's link (the address
//! bar), the lab progress kept in local storage, and scrolling a new error into view.

use yew::NodeRef;

/// The page's query string: the link the app was opened with.
pub(super) fn url_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Keep the URL describing what is on screen, so that a reload or a shared link shows it.
pub(super) fn set_url_query(query: &str) {
    let Some(w) = web_sys::window() else { return };
    let Ok(history) = w.history() else { return };
    let _ = history.replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&format!("?{query}")),
    );
}

pub(super) fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The lab progress this page saved (JSON), if any.
pub(super) fn load_progress_json() -> Option<String> {
    local_storage().and_then(|s| s.get_item(crate::lab::STORAGE_KEY).ok().flatten())
}

/// The address of the app's own page with `query`.
pub(super) fn page_link(query: &str) -> String {
    let loc = gloo::utils::window().location();
    format!(
        "{}{}?{query}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

pub(super) fn show_notice(root: &NodeRef) {
    let Some(el) = root
        .cast::<web_sys::Element>()
        .and_then(|r| r.query_selector(".notice").ok().flatten())
    else {
        return;
    };
    let r = el.get_bounding_client_rect();
    let h = web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    if r.top() < 0.0 || r.bottom() > h {
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&opts);
    }
}
