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

use crate::state::AppState;

/// The attribute that marks an element to become a playground; its value names the scenario.
pub const ATTRIBUTE: &str = "data-offset-lab";

/// What a course page's element asks for.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ElementConfig {
    /// `data-offset-lab`: a scenario the picker offers (empty: the default one).
    pub scenario: String,
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
        ElementConfig {
            scenario: attr(ATTRIBUTE).trim().to_string(),
            panels: split_panels(&attr("data-panels")),
            height: css_length(&attr("data-height")),
            index,
        }
    }

    /// The state it starts in.
    pub fn state(&self) -> AppState {
        let name = if self.scenario.is_empty() {
            crate::scenarios::DEFAULT
        } else {
            self.scenario.as_str()
        };
        let mut s = AppState::new(name);
        s.embed = true;
        s.with_panels(&self.panels)
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

/// Mounts a playground on every `data-offset-lab` element of the page; returns their handles
/// (none: the page has no such element).
pub fn mount_elements() -> Vec<yew::AppHandle<crate::App>> {
    let Some(list) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector_all(&format!("[{ATTRIBUTE}]")).ok())
    else {
        return Vec::new();
    };
    let mut handles = Vec::new();
    for i in 0..list.length() {
        let Some(el) = list
            .item(i)
            .and_then(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(node).ok())
        else {
            continue;
        };
        let config = ElementConfig::read(&el, handles.len() as u32 + 1);
        if let Some(h) = &config.height {
            // Through the CSSOM, which a strict Content-Security-Policy allows.
            let style = el.style();
            let _ = style.set_property("height", h);
            let _ = style.set_property("overflow", "auto");
        }
        let props = crate::AppProps {
            element: Some(Rc::new(config)),
        };
        handles.push(yew::Renderer::<crate::App>::with_root_and_props(el.into(), props).render());
    }
    handles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Panel;

    #[test]
    fn element_settings_are_read_leniently() {
        assert_eq!(split_panels(" code, timeline "), vec!["code", "timeline"]);
        assert_eq!(css_length("480"), Some("480px".into()));
        assert_eq!(css_length("32rem"), Some("32rem".into()));
        assert_eq!(css_length("80vh"), Some("80vh".into()));
        for junk in ["", "tall", "0", "-5px", "1e9", "12%; color: red"] {
            assert_eq!(css_length(junk), None, "{junk}");
        }
        let c = ElementConfig {
            scenario: "step2-manual-commit".into(),
            panels: split_panels("timeline,code"),
            ..Default::default()
        };
        let s = c.state();
        assert!(s.embed);
        assert_eq!(s.preset, "step2-manual-commit");
        assert_eq!(
            (s.panel, s.panels.clone()),
            (Panel::Timeline, vec![Panel::Code, Panel::Timeline])
        );
        let unknown = ElementConfig {
            scenario: "nope".into(),
            ..Default::default()
        }
        .state();
        assert_eq!(unknown.preset, crate::scenarios::DEFAULT);
        assert!(unknown.notice.is_some());
        assert_eq!(
            ElementConfig::default().state().preset,
            crate::scenarios::DEFAULT
        );
    }
}
