//! Files in and out: "Import" opens a scenario file (also by dropping it on the playground);
//! "Export" saves the scenario, the run's trace (JSON, CSV), or a consumer's program as a
//! runnable confluent-kafka Python script (made by the worker, saved by the page); and, where
//! the playground owns its page, copies a link to the moment on screen or opens it full size.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::icons;
use crate::app::View;
use crate::backend::Dispatch;
use crate::export::Export;
use crate::files::open_file;
use crate::state::{Action, Share};

/// (title, file kind, what it is for).
fn label(what: Export, v: &View) -> (String, &'static str, String) {
    match what {
        Export::Scenario => (
            "Scenario".into(),
            ".json",
            "with your changes; Import opens it again".into(),
        ),
        Export::TraceJson => (
            "Trace".into(),
            ".json",
            "every event of the run, explained".into(),
        ),
        Export::TraceCsv => (
            "Trace".into(),
            ".csv",
            "every event, for a spreadsheet".into(),
        ),
        Export::Embed => (
            "Embed this".into(),
            ".html",
            "an iframe and an element for a course page, at this moment".into(),
        ),
        Export::Python(c) => {
            let names = &v.run.consumer_names;
            if names.len() > 1 {
                (
                    format!("{}'s script", names.get(c).map_or("", |n| n.as_str())),
                    ".py",
                    "its program for confluent-kafka, to run against a real cluster".into(),
                )
            } else {
                (
                    "Python script".into(),
                    ".py",
                    "the program for confluent-kafka, to run against a real cluster".into(),
                )
            }
        }
        // Offered by each chart of the Experiments panel, not by this menu.
        Export::ChartSvg(_) => ("Chart".into(), ".svg", String::new()),
        Export::SweepCsv => ("Sweep".into(), ".csv", String::new()),
    }
}

/// The "Import" button and the "Export" menu. `own_page`: the playground owns its page (or
/// iframe), so its URL is a link to it. A plain function, not a component (lighter in the
/// bundle); `input` and `menu` are the file input's and the menu's node refs, kept by the caller.
pub fn file_menu(v: &View, own_page: bool, input: &NodeRef, menu: &NodeRef, d: &Dispatch) -> Html {
    let d = d.clone();
    let close = {
        let menu = menu.clone();
        move || {
            if let Some(m) = menu.cast::<web_sys::HtmlDetailsElement>() {
                m.set_open(false);
            }
        }
    };
    let pick = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = input.cast::<web_sys::HtmlInputElement>() {
                i.click();
            }
        })
    };
    let on_pick = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            if let Some(f) = i.files().and_then(|fs| fs.get(0)) {
                open_file(f, d.clone());
            }
            // The same file can be picked again after it is fixed.
            i.set_value("");
        })
    };
    let save = |what: Export| {
        let d = d.clone();
        let close = close.clone();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::Export(what));
            close();
        })
    };
    // Escape closes the menu and gives the focus back to its button; so does leaving it.
    let on_key = {
        let menu = menu.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape"
                && let Some(m) = menu.cast::<web_sys::HtmlDetailsElement>()
                && m.open()
            {
                e.stop_propagation();
                m.set_open(false);
                if let Some(s) = m
                    .query_selector("summary")
                    .ok()
                    .flatten()
                    .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = s.focus();
                }
            }
        })
    };
    let on_focus_out = {
        let menu = menu.clone();
        Callback::from(move |e: FocusEvent| {
            let Some(m) = menu.cast::<web_sys::HtmlDetailsElement>() else {
                return;
            };
            let to = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            if to.is_some_and(|n| !m.contains(Some(&n))) {
                m.set_open(false);
            }
        })
    };
    let share = own_page.then(|| {
        // The link is made when it is asked for: encoding an edited scenario is not free.
        let share = |how: Share| {
            let (d, close) = (d.clone(), close.clone());
            Callback::from(move |_: MouseEvent| {
                d.dispatch(Action::Share(how));
                close();
            })
        };
        let (copy, open) = (share(Share::Copy), share(Share::Open));
        html! {
            <>
                <hr class="menu-sep" />
                <button type="button" class="btn" onclick={copy}>
                    <span class="mi-title">{ "Copy a link to this moment" }</span>
                    <span class="mi-note">{ "the scenario, your changes, the time and the panel" }</span>
                </button>
                if v.frame.embed {
                    <button type="button" class="btn" onclick={open}>
                        <span class="mi-title">{ "Open full size ↗" }</span>
                        <span class="mi-note">{ "this moment in a new tab, with every panel" }</span>
                    </button>
                }
            </>
        }
    });
    html! {
        <div class="files">
            <input ref={input} type="file" accept=".json,application/json" class="sr-only" tabindex="-1"
                aria-hidden="true" onchange={on_pick} />
            <button type="button" class="btn btn-small" onclick={pick}
                title="Open a scenario file (.json). You can also drop one on the playground.">
                { icons::import() }{ "Import" }
            </button>
            <details class="menu files-menu" ref={menu} onkeydown={on_key} onfocusout={on_focus_out}>
                <summary class="btn btn-small">{ icons::export() }{ "Export" }</summary>
                <div class="menu-items" role="group" aria-label="Export">
                    { for [Export::Scenario, Export::TraceJson, Export::TraceCsv].into_iter()
                        .chain((0..v.run.consumer_names.len()).map(Export::Python))
                        .chain([Export::Embed])
                        .map(|what| {
                        let (title, kind, note) = label(what, v);
                        html! {
                            <button type="button" class="btn" onclick={save(what)}>
                                <span class="mi-title">{ title }<span class="mi-kind">{ kind }</span></span>
                                <span class="mi-note">{ note }</span>
                            </button>
                        }
                    }) }
                    { share.unwrap_or_default() }
                </div>
            </details>
        </div>
    }
}
