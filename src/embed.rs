//! Where a playground lives. Three ways:
//!
//! - **the app's own page** (`index.html`): it owns the page's URL (a shareable link to the
//!   moment on screen), the keyboard and local storage;
//! - **an iframe** (`index.html?v=1&embed=1&preset=…&panels=…`): the compact layout, and the
//!   frame's height reported to the parent page (`hooks::use_report_height`);
//! - **an element of a course page** (`<div data-offset-lab="step1-autocommit-sleep7">`), as
//!   many as the page has: each an independent compact playground that never touches the page's
//!   URL, history or local storage, and takes only the keys pressed inside it.
//!
//! [`start`](crate::start) mounts one [`App`](crate::App) per element, or one on `<body>` when
//! there is none.

use std::rc::Rc;

use offset_lab_session::protocol::ElementStart;

/// The attribute that marks an element to become a playground; its value names the scenario.
pub const ATTRIBUTE: &str = "data-offset-lab";
/// A scenario file for the element, fetched from the page's own origin.
pub const SRC_ATTRIBUTE: &str = "data-offset-lab-src";
/// A link's query string for the element: the state of a shared moment.
pub const LINK_ATTRIBUTE: &str = "data-offset-lab-link";
/// The attribute of `<body>` that asks for the full app on the page (the app's own page).
pub const APP_ATTRIBUTE: &str = "data-offset-lab-app";

/// What a course page's element asks for.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ElementConfig {
    /// `data-offset-lab`: a scenario the picker offers (empty: the default one).
    pub scenario: String,
    /// A scenario's JSON: an inline `<script type="application/json">` child of the element,
    /// or the file `data-offset-lab-src` names (read before mounting).
    pub json: Option<String>,
    /// `data-offset-lab-link`: a link's query string, the state of a shared moment.
    pub link: Option<String>,
    /// Why the element's own scenario could not be read (its `data-offset-lab-src`).
    pub error: Option<String>,
    /// `data-panels`: e.g. `code,timeline` (the first one open), or `none`.
    pub panels: Vec<String>,
    /// `data-height`: a fixed height; the playground scrolls inside it.
    pub height: Option<String>,
    /// Its place among the page's playgrounds (from 1), for ids that stay unique in the page.
    pub index: u32,
}

impl ElementConfig {
    pub fn read(el: &web_sys::Element, index: u32) -> ElementConfig {
        let attr = |name: &str| el.get_attribute(name).unwrap_or_default();
        // An inline scenario: a `<script type="application/json">` child.
        let json = el
            .query_selector("script[type='application/json']")
            .ok()
            .flatten()
            .and_then(|s| s.text_content())
            .filter(|t| !t.trim().is_empty());
        let link = el
            .get_attribute(LINK_ATTRIBUTE)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());
        ElementConfig {
            scenario: attr(ATTRIBUTE).trim().to_string(),
            json,
            link,
            error: None,
            panels: split_panels(&attr("data-panels")),
            height: css_length(&attr("data-height")),
            index,
        }
    }

    /// How its session opens.
    pub fn start(&self) -> ElementStart {
        ElementStart {
            scenario: self.scenario.clone(),
            json: self.json.clone(),
            link: self.link.clone(),
            error: self.error.clone(),
            panels: self.panels.clone(),
        }
    }
}

/// `code, timeline` → `["code", "timeline"]`.
pub fn split_panels(list: &str) -> Vec<String> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A CSS length from `data-height`: a bare number is pixels; `px`, `rem`, `em` and `vh` are
/// kept; anything else is ignored.
pub fn css_length(v: &str) -> Option<String> {
    let v = v.trim();
    let unit_at = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(unit_at);
    // No float parsing (it would weigh on the bundle): digits with at most one point, not zero.
    let positive =
        number.matches('.').count() <= 1 && number.chars().any(|c| c.is_ascii_digit() && c != '0');
    if !positive {
        return None;
    }
    match unit {
        "" => Some(format!("{number}px")),
        "px" | "rem" | "em" | "vh" => Some(v.to_string()),
        _ => None,
    }
}

/// Mounts a playground on every `data-offset-lab` element of the page (after reading its
/// `data-offset-lab-src` file, if it names one); returns how many there are.
pub fn mount_elements() -> u32 {
    let Some(list) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all(&format!("[{ATTRIBUTE}]")).ok())
    else {
        return 0;
    };
    let mut count = 0;
    for i in 0..list.length() {
        let Some(el) = list
            .item(i)
            .and_then(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(node).ok())
        else {
            continue;
        };
        count += 1;
        let config = ElementConfig::read(&el, count);
        if let Some(h) = &config.height {
            // Through the CSSOM, which a strict Content-Security-Policy allows.
            let style = el.style();
            let _ = style.set_property("height", h);
            let _ = style.set_property("overflow", "auto");
        }
        match el
            .get_attribute(SRC_ATTRIBUTE)
            .filter(|s| !s.trim().is_empty())
        {
            Some(src) => fetch_then_mount(el, config, src.trim()),
            None => mount(el, config),
        }
    }
    count
}

thread_local! {
    /// The playgrounds mounted on the page's elements: they live as long as the page, or until
    /// [`unmount_all`].
    static MOUNTED: std::cell::RefCell<Vec<yew::AppHandle<crate::App>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn mount(el: web_sys::HtmlElement, config: ElementConfig) {
    let props = crate::AppProps {
        element: Some(Rc::new(config)),
    };
    // A first screen prerendered into the element at build time (`.ol-prerendered`, its last
    // child, after a scenario inline if it has one; see xtask/prerender.mjs) stays until the
    // playground has drawn its own: the playground mounts on a new child after it, which the
    // stylesheet keeps laid out but invisible meanwhile.
    let prerendered = el
        .last_element_child()
        .is_some_and(|c| c.class_name() == crate::PRERENDERED);
    let beside = prerendered
        .then(|| gloo::utils::document().create_element("div").ok())
        .flatten()
        .filter(|host| {
            host.set_class_name(crate::MOUNT_CLASS);
            el.append_child(host).is_ok()
        });
    let host = beside.unwrap_or_else(|| el.into());
    let handle = yew::Renderer::<crate::App>::with_root_and_props(host, props).render();
    MOUNTED.with(|m| m.borrow_mut().push(handle));
}

/// Unmounts every playground [`mount_elements`] mounted (the browser tests, between tests).
pub fn unmount_all() {
    for h in MOUNTED.with(|m| std::mem::take(&mut *m.borrow_mut())) {
        h.destroy();
    }
}

/// Reads the scenario file `src` (from the page's own origin only), then mounts the playground
/// with it, or with the reason it could not be read.
fn fetch_then_mount(el: web_sys::HtmlElement, mut config: ElementConfig, src: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let base = location.href().unwrap_or_default();
    let url = web_sys::Url::new_with_base(src, &base).ok();
    let same_origin = url
        .as_ref()
        .is_some_and(|u| Some(u.origin()) == location.origin().ok());
    let Some(url) = url.filter(|_| same_origin) else {
        config.error = Some(format!(
            "its scenario file \"{src}\" is not on this page's site (only files from the same origin are read)"
        ));
        mount(el, config);
        return;
    };
    let failed = move |el, mut config: ElementConfig, why: String| {
        config.error = Some(why);
        mount(el, config);
    };
    let name = src.to_string();
    let promise = window.fetch_with_str(&url.href());
    crate::files::when_settled(promise, move |resp| {
        let Some(resp) =
            resp.and_then(|r| wasm_bindgen::JsCast::dyn_into::<web_sys::Response>(r).ok())
        else {
            failed(
                el,
                config,
                format!("its scenario file \"{name}\" could not be fetched"),
            );
            return;
        };
        if !resp.ok() {
            failed(
                el,
                config,
                format!(
                    "its scenario file \"{name}\" could not be fetched (HTTP {})",
                    resp.status()
                ),
            );
            return;
        }
        let Ok(text) = resp.text() else {
            failed(
                el,
                config,
                format!("its scenario file \"{name}\" could not be read"),
            );
            return;
        };
        crate::files::when_settled(text, move |t| match t.and_then(|t| t.as_string()) {
            Some(t) if t.len() <= offset_lab_sim::scenario::MAX_SCENARIO_BYTES => {
                config.json = Some(t);
                mount(el, config);
            }
            Some(_) => failed(
                el,
                config,
                format!("its scenario file \"{name}\" is too large"),
            ),
            None => failed(
                el,
                config,
                format!("its scenario file \"{name}\" could not be read"),
            ),
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_settings_are_read_leniently() {
        assert_eq!(split_panels(" code, timeline "), vec!["code", "timeline"]);
        assert_eq!(css_length("480"), Some("480px".into()));
        assert_eq!(css_length("32rem"), Some("32rem".into()));
        assert_eq!(css_length("80vh"), Some("80vh".into()));
        for junk in ["", "tall", "0", "-5px", "1e9", "12%; color: red"] {
            assert_eq!(css_length(junk), None, "{junk}");
        }
    }
}
