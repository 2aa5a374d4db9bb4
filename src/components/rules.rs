//! The rule ids (B5, C2, F.1 …) in what the playground says, each a button into the glossary:
//! one plain paragraph per rule, which client it is about and where it comes from. The
//! glossary is the project's `docs/semantics.md`, served next to the bundle as `semantics.md`
//! and read the first time a rule is opened (it is not carried in the bundle).

use std::cell::RefCell;
use std::rc::Rc;

use offset_lab_sim::glossary::{entry_in, id_spans};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The glossary's file, next to the bundle.
pub const FILE: &str = "semantics.md";

/// `text` with each rule id it cites as a button (`data-rule`): the playground's root opens
/// the glossary on a click on any of them.
pub fn rule_text(text: &str) -> Html {
    let spans = id_spans(text);
    if spans.is_empty() {
        return html! { { text.to_string() } };
    }
    let mut out = Vec::with_capacity(2 * spans.len() + 1);
    let mut at = 0;
    for (a, b) in spans {
        if a > at {
            out.push(html! { { text[at..a].to_string() } });
        }
        let id = &text[a..b];
        out.push(html! {
            <button type="button" class="rule" data-rule={id.to_string()} aria-haspopup="dialog"
                title={format!("Rule {id}: what the real client does")}>{ id.to_string() }</button>
        });
        at = b;
    }
    if at < text.len() {
        out.push(html! { { text[at..].to_string() } });
    }
    out.into_iter().collect()
}

/// The rule a click landed on, if it was on a rule button.
pub fn clicked_rule(e: &MouseEvent) -> Option<String> {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("[data-rule]").ok().flatten())
        .and_then(|el| el.get_attribute("data-rule"))
}

#[derive(Clone, PartialEq)]
enum Source {
    Loading,
    Loaded(Rc<String>),
    Failed,
}

thread_local! {
    /// The glossary's text, once read (shared by every playground of the page).
    static SOURCE: RefCell<Option<Rc<String>>> = const { RefCell::new(None) };
}

/// Reads the glossary, then calls `done` with it (or `None` when it could not be read).
fn load(done: impl FnOnce(Option<Rc<String>>) + 'static) {
    if let Some(s) = SOURCE.with(|s| s.borrow().clone()) {
        return done(Some(s));
    }
    let Some(window) = web_sys::window() else {
        return done(None);
    };
    let url = crate::backend::next_to_bundle(FILE);
    crate::files::when_settled(window.fetch_with_str(&url), move |resp| {
        let resp = resp.and_then(|r| r.dyn_into::<web_sys::Response>().ok());
        let Some(text) = resp.filter(|r| r.ok()).and_then(|r| r.text().ok()) else {
            return done(None);
        };
        crate::files::when_settled(text, move |t| {
            let text = t.and_then(|t| t.as_string()).map(Rc::new);
            if let Some(t) = &text {
                SOURCE.with(|s| *s.borrow_mut() = Some(t.clone()));
            }
            done(text);
        });
    });
}

#[derive(Properties, PartialEq)]
pub struct GlossaryProps {
    /// The rule to show; `None`: nothing open.
    pub id: Option<AttrValue>,
    pub on_close: Callback<()>,
}

/// The glossary's entry for one rule, in a dialog over the playground.
#[component]
pub fn Glossary(p: &GlossaryProps) -> Html {
    let source = use_state(|| Source::Loading);
    // The entry takes the focus when it opens, so that Escape closes it and a screen reader
    // reads it.
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with(p.id.clone(), move |id| {
            if id.is_some()
                && let Some(b) = close_ref.cast::<web_sys::HtmlElement>()
            {
                let _ = b.focus();
            }
        });
    }
    {
        let source = source.clone();
        use_effect_with(p.id.is_some(), move |&open| {
            if open {
                load(move |s| source.set(s.map_or(Source::Failed, Source::Loaded)));
            }
        });
    }
    let Some(id) = &p.id else { return html! {} };
    let close = {
        let c = p.on_close.clone();
        Callback::from(move |_: MouseEvent| c.emit(()))
    };
    let on_key = {
        let c = p.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                c.emit(());
            }
        })
    };
    let body = match &*source {
        Source::Loading => html! { <p class="muted">{ "Reading the glossary…" }</p> },
        Source::Failed => html! {
            <p>{ format!("The glossary ({FILE}) could not be read; docs/semantics.md in the repository has every rule.") }</p>
        },
        Source::Loaded(text) => match entry_in(text, id) {
            None => html! { <p>{ format!("{id} is not in the glossary.") }</p> },
            Some(e) => html! {
                <>
                    <h3 class="rule-title">{ format!("{} — {}", e.id, e.title) }</h3>
                    { for e.body.split("\n\n").map(|para| html! { <p>{ plain(para) }</p> }) }
                    <dl class="rule-facts">
                        <dt>{ "Client" }</dt><dd>{ plain(e.client) }</dd>
                        <dt>{ "Source" }</dt><dd>{ plain(e.source) }</dd>
                    </dl>
                </>
            },
        },
    };
    html! {
        <div class="glossary" role="dialog" aria-modal="false" aria-label={format!("Rule {id}")}
            onkeydown={on_key}>
            { body }
            <button type="button" class="ib close" ref={close_ref} onclick={close} aria-label="Close the rule">{ "✕" }</button>
        </div>
    }
}

/// Markdown's `code` and **bold** marks taken out, for plain reading.
fn plain(md: &str) -> String {
    md.replace("**", "").replace('`', "").replace('\n', " ")
}
