//! Two runs side by side: pick a scenario to set beside the run on screen (by default the one
//! it was loaded as, to see what the changes did); the worker runs it, and the two timelines
//! are drawn on one time axis above one table of outcomes and costs, throughput included.

use std::rc::Rc;

use offset_lab_session::screen::Choice;
use offset_lab_session::side_by_side::SideBySideVm;
use yew::prelude::*;

use super::timeline_view::RunStrip;
use super::value_of;
use crate::backend::Dispatch;
use crate::state::Action;
use crate::view::clock;

#[derive(Properties, PartialEq)]
pub struct SideBySideProps {
    pub vm: Option<Rc<SideBySideVm>>,
    pub choices: Rc<Vec<Choice>>,
    /// The scenario picked (the preset the run on screen was loaded as).
    pub current: AttrValue,
    pub busy: bool,
    pub dispatch: Dispatch,
}

#[component]
pub fn SideBySide(p: &SideBySideProps) -> Html {
    let picked = use_state_eq(|| None::<String>);
    let result = crate::hooks::use_reveal(p.vm.clone());
    let default = if p.choices.iter().any(|c| c.name == *p.current) {
        p.current.to_string()
    } else {
        p.choices
            .first()
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let name = (*picked).clone().unwrap_or(default);
    let on_pick = {
        let picked = picked.clone();
        Callback::from(move |e: Event| picked.set(Some(value_of(&e))))
    };
    let on_compare = {
        let (d, name) = (p.dispatch.clone(), name.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            d.dispatch(Action::CompareWith(name.clone()));
        })
    };
    let mut groups: Vec<(&str, Vec<&Choice>)> = Vec::new();
    for c in p.choices.iter() {
        match groups.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, items)) => items.push(c),
            None => groups.push((&c.group, vec![c])),
        }
    }
    html! {
        <div class="side-by-side">
            <form class="sweep-form" onsubmit={on_compare}>
                <p class="sweep-form-h">{ "Compare this run with another scenario, on one time axis" }</p>
                <label>
                    <span>{ "Beside this run" }</span>
                    <select onchange={on_pick} aria-label="Scenario to compare with">
                        { for groups.iter().map(|(g, items)| html! {
                            <optgroup label={g.to_string()}>
                                { for items.iter().map(|c| html! {
                                    <option value={c.name.clone()} selected={c.name == name}>
                                        { if c.name == *p.current { format!("{} (as loaded)", c.title) } else { c.title.clone() } }
                                    </option>
                                }) }
                            </optgroup>
                        }) }
                    </select>
                </label>
                <button type="submit" class="btn btn-small" disabled={p.busy}>{ "Compare" }</button>
            </form>
            if let Some(vm) = &p.vm {
                <div class="sbs-result" ref={result}>
                    <table class="compare sbs-table">
                        <caption>{ "At the end of each run" }</caption>
                        <thead>
                            <tr>
                                <th scope="col">{ "" }</th>
                                <th scope="col">{ vm.other_title.clone() }</th>
                                <th scope="col">{ format!("this run: {}", vm.this_title) }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for vm.rows.iter().map(|(what, a, b)| html! {
                                <tr class={classes!((a != b).then_some("changed"))}>
                                    <th scope="row">{ what.clone() }</th><td>{ a.clone() }</td><td>{ b.clone() }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    <p class="sbs-h">{ vm.other_title.clone() }</p>
                    <RunStrip vm={Rc::new(vm.other.clone())} end_ms={vm.end_ms}
                        label={AttrValue::from(format!("Timeline of {} over {}", vm.other_title, clock(vm.end_ms)))} />
                    <p class="sbs-h">{ format!("this run: {}", vm.this_title) }</p>
                    <RunStrip vm={Rc::new(vm.this.clone())} end_ms={vm.end_ms}
                        label={AttrValue::from(format!("Timeline of this run ({}) over {}", vm.this_title, clock(vm.end_ms)))} />
                </div>
            }
        </div>
    }
}
