//! The top bar's name and scenario: the app's name and the scenario picker, or the scenario's
//! title in an embedded playground (which shows the scenario its page chose). The app puts them
//! in its `<header>` next to the file menu.

use crate::backend::Dispatch;
use std::rc::Rc;

use yew::prelude::*;

use super::value_of;
use crate::screen::Choice;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// Every scenario offered.
    pub choices: Rc<Vec<Choice>>,
    pub current: AttrValue,
    /// The scenario on screen came from a link or a file and is none of the offered ones.
    pub custom: bool,
    /// The compact layout: the title instead of the picker.
    pub embed: bool,
    /// The scenario's title.
    pub title: AttrValue,
    pub dispatch: Dispatch,
}

/// The choices in the picker's groups, in order of first appearance.
fn groups(choices: &[Choice]) -> Vec<(&str, Vec<&Choice>)> {
    let mut out: Vec<(&str, Vec<&Choice>)> = Vec::new();
    for c in choices {
        let g = c.group.as_str();
        match out.iter_mut().find(|(name, _)| *name == g) {
            Some((_, items)) => items.push(c),
            None => out.push((g, vec![c])),
        }
    }
    out
}

#[component]
pub fn Header(p: &HeaderProps) -> Html {
    let onchange = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| d.dispatch(Action::LoadScenario(value_of(&e))))
    };
    let scenario = if p.embed {
        html! { <p class="scenario-title">{ p.title.clone() }</p> }
    } else {
        html! {
            <label class="picker">
                <span class="picker-label">{ "Scenario" }</span>
                <select {onchange} aria-label="Scenario">
                    if p.custom {
                        <option value={crate::state::CUSTOM} selected=true disabled=true>
                            {
                                format!(
                                    "Your scenario: {}",
                                    if p.title.is_empty() { "untitled" } else { p.title.as_str() }
                                )
                            }
                        </option>
                    }
                    { for groups(&p.choices).into_iter().map(|(group, items)| html! {
                        <optgroup label={group.to_string()}>
                            { for items.into_iter().map(|c| html! {
                                <option value={c.name.clone()} selected={c.name == *p.current}>{ c.title.clone() }</option>
                            }) }
                        </optgroup>
                    }) }
                </select>
            </label>
        }
    };
    html! {
        <>
            <h1 class="brand">
                <svg class="logo" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <rect x="2" y="7" width="5" height="10" rx="1.5" class="logo-a" />
                    <rect x="9.5" y="7" width="5" height="10" rx="1.5" class="logo-b" />
                    <rect x="17" y="7" width="5" height="10" rx="1.5" class="logo-c" />
                    <path d="M12 2v20" class="logo-line" />
                </svg>
                { "Offset Lab" }
            </h1>
            { scenario }
        </>
    }
}
