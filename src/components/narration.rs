//! The narration: the events up to the cursor in plain language, newest at the bottom,
//! following the cursor; filterable; each time jumps there.

use crate::backend::Dispatch;
use std::rc::Rc;

use yew::prelude::*;

use super::rules::rule_text;

use crate::state::Action;
use crate::view::narration::{Entry, Filter};

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub entries: Rc<Vec<Entry>>,
    pub more: bool,
    pub filter: Filter,
    pub cursor: usize,
    pub dispatch: Dispatch,
}

#[component]
pub fn Narration(p: &NarrationProps) -> Html {
    let list = use_node_ref();
    {
        // Follow the cursor: keep the newest entry in view.
        let list = list.clone();
        use_effect_with((p.cursor, p.filter), move |_| {
            if let Some(el) = list.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let filter_btn = |f: Filter| {
        let d = p.dispatch.clone();
        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::SetFilter(f)));
        html! {
            <button type="button" class={classes!("seg", (f == p.filter).then_some("on"))}
                aria-pressed={if f == p.filter { "true" } else { "false" }} {onclick}>{ f.label() }</button>
        }
    };
    let seek = |ix: usize| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::SeekCursor(ix + 1)))
    };
    let last = p.entries.last().map(|e| e.ix);
    html! {
        <section class="panel narration" aria-label="What happened">
            <div class="panel-head">
                <h2>{ "What happened" }</h2>
                <div class="segs" role="group" aria-label="Show">
                    { for Filter::ALL.iter().map(|f| filter_btn(*f)) }
                </div>
            </div>
            <ol class="narr" ref={list} aria-live="polite" aria-relevant="additions">
                if p.more { <li class="narr-more">{ "… earlier events are not shown" }</li> }
                if p.entries.is_empty() { <li class="narr-empty">{ "Nothing has happened yet." }</li> }
                { for p.entries.iter().map(|e| html! {
                    <li class={classes!(e.category.clone(), (Some(e.ix) == last).then_some("latest"), e.moment.map(|_| "key"))}>
                        <button type="button" class="t link" onclick={seek(e.ix)}
                            aria-label={format!("Move the cursor to {}", e.at)}>{ e.at.clone() }</button>
                        <span class="who">{ e.who.clone() }</span>
                        if let Some(n) = e.moment {
                            <span class={format!("kbadge k-{n}")} title={format!("key moment {n}")}>{ n }</span>
                        }
                        <span class="txt">{ rule_text(&e.text) }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
