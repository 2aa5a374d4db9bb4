//! Files in and out: "Import" opens a scenario file (also by dropping it on the playground);
//! "Export" saves the scenario, the run's trace (JSON, CSV), or the consumer's program as a
//! runnable confluent-kafka Python script; and, where the playground owns its page, copies a
//! link to the moment on screen or opens it full size.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::icons;
use crate::files::{download, open_file};
use crate::state::{Action, AppState, Notice};

/// What the menu can save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    Scenario,
    TraceJson,
    TraceCsv,
    Python,
}

impl Export {
    pub const ALL: [Export; 4] = [
        Export::Scenario,
        Export::TraceJson,
        Export::TraceCsv,
        Export::Python,
    ];

    /// (title, file kind, what it is for).
    fn label(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Export::Scenario => (
                "Scenario",
                ".json",
                "with your changes; Import opens it again",
            ),
            Export::TraceJson => ("Trace", ".json", "every event of the run, explained"),
            Export::TraceCsv => ("Trace", ".csv", "every event, for a spreadsheet"),
            Export::Python => (
                "Python script",
                ".py",
                "the program for confluent-kafka, to run against a real cluster",
            ),
        }
    }

    /// (file name, MIME type, contents) for the run on screen.
    pub fn file(self, s: &AppState) -> (String, &'static str, String) {
        let tl = &s.timeline;
        let name = &tl.scenario.name;
        match self {
            Export::Scenario => (
                format!("{name}.json"),
                "application/json",
                tl.scenario.to_json(),
            ),
            Export::TraceJson => (
                format!("{name}-trace.json"),
                "application/json",
                tl.trace_json(),
            ),
            Export::TraceCsv => (format!("{name}-trace.csv"), "text/csv", tl.trace_csv()),
            Export::Python => {
                let c = s.code_consumer;
                let file = python_file_name(&tl.scenario, c);
                (
                    file,
                    "text/x-python",
                    offset_lab_sim::render::python_script(&tl.scenario, c),
                )
            }
        }
    }
}

/// The lab's file name for the program (`auto_commit_consumer.py`, …), prefixed with the
/// consumer's name when there are several.
fn python_file_name(sc: &offset_lab_sim::Scenario, consumer: usize) -> String {
    let listing = crate::code::listing(
        &{
            let mut s = sc.clone();
            s.client = offset_lab_sim::scenario::ClientModel::Librdkafka;
            s
        },
        consumer,
    );
    match sc.consumers.get(consumer) {
        Some(c) if sc.consumers.len() > 1 => {
            format!("{}_{}", c.name.replace('-', "_"), listing.file_name)
        }
        _ => listing.file_name,
    }
}

/// The address of the app's own page with `query`.
fn page_link(query: &str) -> String {
    let loc = gloo::utils::window().location();
    format!(
        "{}{}?{query}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

/// Copies `text`, then says so (or shows it to copy by hand).
fn copy_link(text: String, dispatch: UseReducerDispatcher<AppState>) {
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
        Some(p) => crate::files::when_settled(p, move |v| done(v.is_some())),
        None => done(false),
    }
}

/// The "Import" button and the "Export" menu. `own_page`: the playground owns its page (or
/// iframe), so its URL is a link to it. A plain function, not a component (lighter in the
/// bundle); `input` and `menu` are the file input's and the menu's node refs, kept by the caller.
pub fn file_menu(
    state: &UseReducerHandle<AppState>,
    own_page: bool,
    input: &NodeRef,
    menu: &NodeRef,
) -> Html {
    let d = state.dispatcher();
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
        let state = state.clone();
        let d = d.clone();
        let close = close.clone();
        Callback::from(move |_: MouseEvent| {
            let (name, mime, text) = what.file(&state);
            if download(&name, mime, &text).is_err() {
                d.dispatch(Action::Notify(Notice {
                    error: true,
                    text: format!("The browser did not save {name}."),
                }));
            }
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
    let s = state;
    let consumer = s
        .scenario()
        .consumers
        .get(s.code_consumer)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let share = own_page.then(|| {
        // The link is made when it is asked for: encoding an edited scenario is not free.
        let copy = {
            let (state, d, close) = (state.clone(), d.clone(), close.clone());
            Callback::from(move |_: MouseEvent| {
                copy_link(page_link(&state.full_link()), d.clone());
                close();
            })
        };
        let open = {
            let (state, close) = (state.clone(), close.clone());
            Callback::from(move |_: MouseEvent| {
                let _ = gloo::utils::window().open_with_url_and_target(&page_link(&state.full_link()), "_blank");
                close();
            })
        };
        html! {
            <>
                <hr class="menu-sep" />
                <button type="button" class="btn" onclick={copy}>
                    <span class="mi-title">{ "Copy a link to this moment" }</span>
                    <span class="mi-note">{ "the scenario, your changes, the time and the panel" }</span>
                </button>
                if s.embed {
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
                    { for Export::ALL.into_iter().map(|what| {
                        let (title, kind, note) = what.label();
                        let note = if what == Export::Python && s.scenario().consumers.len() > 1 {
                            format!("{consumer}'s program for confluent-kafka")
                        } else {
                            note.to_string()
                        };
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
