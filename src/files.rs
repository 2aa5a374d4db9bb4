//! Files in and out of the browser: a download is a `Blob` behind a temporary
//! `<a download>`; a picked or dropped file is read as text and handed to the reducer
//! (`Action::Import`), which validates it.

use crate::backend::Dispatch;
use wasm_bindgen::{JsCast, JsValue};

use offset_lab_session::state::{Action, MAX_FILE_BYTES, Notice, open_error};

/// Saves `text` as a file named `file_name`.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let document = gloo::utils::document();
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(
        &js_sys::Array::of1(&text.into()),
        &options,
    )?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.set_hidden(true);
    let body = document.body().ok_or("no <body>")?;
    body.append_child(&a)?;
    a.click();
    a.remove();
    // The browser has taken the file by the time this runs.
    gloo::timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Reads `file` and opens it as the scenario (or says why it cannot).
pub fn open_file(file: web_sys::File, dispatch: Dispatch) {
    let file_name = file.name();
    if file.size() > MAX_FILE_BYTES as f64 {
        let why = format!(
            "the file is {} KB; a scenario file is at most {} KB",
            file.size() as u64 / 1024,
            MAX_FILE_BYTES / 1024
        );
        dispatch.dispatch(Action::Notify(open_error(&file_name, &why)));
        return;
    }
    // `Blob.text()`, settled through plain callbacks (no async executor in the bundle).
    when_settled(file.text(), move |text| {
        match text.and_then(|t| t.as_string()) {
            Some(text) => dispatch.dispatch(Action::Import { file_name, text }),
            None => dispatch.dispatch(Action::Notify(open_error(
                &file_name,
                "the browser could not read it",
            ))),
        }
    });
}

/// Copies `text`, then says so (or shows it to copy by hand).
pub fn copy_link(text: String, dispatch: Dispatch) {
    let clipboard =
        js_sys::Reflect::get(&gloo::utils::window().navigator(), &"clipboard".into()).ok();
    let write = clipboard
        .as_ref()
        .and_then(|c| js_sys::Reflect::get(c, &"writeText".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let promise = match (clipboard, write) {
        (Some(c), Some(f)) => f
            .call1(&c, &text.as_str().into())
            .ok()
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok()),
        _ => None,
    };
    let done = move |copied: bool| {
        let text = if copied {
            "Link to this moment copied: paste it anywhere to share it.".to_string()
        } else {
            format!("Copy this link to share this moment: {text}")
        };
        dispatch.dispatch(Action::Notify(Notice { error: false, text }));
    };
    match promise {
        Some(p) => when_settled(p, move |v| done(v.is_some())),
        None => done(false),
    }
}

/// Calls `f` once with the promise's value, or `None` if it is rejected.
pub fn when_settled(promise: js_sys::Promise, f: impl FnOnce(Option<JsValue>) + 'static) {
    use wasm_bindgen::closure::Closure;
    let f = std::rc::Rc::new(std::cell::Cell::new(Some(f)));
    let g = f.clone();
    let ok = Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| {
        if let Some(f) = f.take() {
            f(Some(v));
        }
    });
    let err = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        if let Some(g) = g.take() {
            g(None);
        }
    });
    let _ = promise.then2(&ok, &err);
    // Two small closures per file opened or link copied: left to live.
    ok.forget();
    err.forget();
}
