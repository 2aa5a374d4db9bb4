//! Progress for the course: the session's `offset-lab:progress` messages (what the student
//! did; `offset_lab_session::course`) handed to the page that embeds the playground, and to no
//! one else:
//!
//! - a course page's element (`data-offset-lab`): posted to the page's own window, for its own
//!   origin only, with `playground` (1, 2, … in page order) added;
//! - an iframe whose link names the embedding page's origin (`&progress=https://course.example`):
//!   posted to the parent window for that origin only. Without `progress=`, nothing is sent.

use wasm_bindgen::JsValue;

/// Where the progress goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Nowhere,
    /// The page itself (an element of a course page), as playground `index`.
    Element {
        index: u32,
        origin: String,
    },
    /// The framing page, at this origin.
    Parent {
        origin: String,
    },
}

/// The origin a link names in its `progress=` parameter (`query` without or with its `?`).
fn named_origin(query: &str) -> Option<String> {
    let raw = query
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("progress="))?;
    let decoded = js_sys::decode_uri_component(raw).ok()?.as_string()?;
    let origin = web_sys::Url::new(&decoded).ok()?.origin();
    (origin.starts_with("https://") || origin.starts_with("http://")).then_some(origin)
}

/// False when the browser says the framing page is at another origin than the one named
/// (`location.ancestorOrigins`, where the browser has it): the browser would drop the messages
/// anyway, with an error in the console.
fn parent_may_be(w: &web_sys::Window, origin: &str) -> bool {
    let first = js_sys::Reflect::get(&w.location(), &"ancestorOrigins".into())
        .ok()
        .filter(|list| !list.is_undefined())
        .and_then(|list| js_sys::Reflect::get(&list, &"0".into()).ok())
        .and_then(|o| o.as_string());
    first.is_none_or(|o| o == origin)
}

impl Target {
    /// For an element of a course page (`index`), or for the app's page and its link `query`.
    pub fn new(element: Option<u32>, query: &str) -> Target {
        let Some(w) = web_sys::window() else {
            return Target::Nowhere;
        };
        match element {
            Some(index) => match w.location().origin() {
                Ok(origin) => Target::Element { index, origin },
                Err(_) => Target::Nowhere,
            },
            None => {
                let framed = w
                    .parent()
                    .ok()
                    .flatten()
                    .is_some_and(|p| !js_sys::Object::is(&p, &w));
                match named_origin(query) {
                    Some(origin) if framed && parent_may_be(&w, &origin) => {
                        Target::Parent { origin }
                    }
                    _ => Target::Nowhere,
                }
            }
        }
    }

    /// Posts each message of `json` (an array).
    pub fn tell(&self, json: &str) {
        let Some(w) = web_sys::window() else { return };
        let (to, origin, index) = match self {
            Target::Nowhere => return,
            Target::Element { index, origin } => (w, origin, Some(*index)),
            Target::Parent { origin } => match w.parent().ok().flatten() {
                Some(p) => (p, origin, None),
                None => return,
            },
        };
        let Ok(list) = js_sys::JSON::parse(json) else {
            return;
        };
        for msg in js_sys::Array::from(&list).iter() {
            if let Some(i) = index {
                let _ = js_sys::Reflect::set(&msg, &"playground".into(), &JsValue::from(i));
            }
            let _ = to.post_message(&msg, origin);
        }
    }
}
