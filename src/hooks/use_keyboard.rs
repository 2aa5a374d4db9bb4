//! Keyboard control: Space play/pause, ←/→ one event, Shift+←/→ the previous/next notable event,
//! Home/End. Keys typed into a form control are left alone. A playground on a course page next to
//! others takes only the keys pressed while the focus is inside it.

use crate::backend::Dispatch;
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::state::Action;

/// The action a key stands for (`None`: not ours).
pub fn key_action(key: &str, shift: bool) -> Option<Action> {
    Some(match (key, shift) {
        (" ", _) => Action::TogglePlay,
        ("ArrowRight", false) => Action::StepForward,
        ("ArrowLeft", false) => Action::StepBack,
        ("ArrowRight", true) => Action::NextMoment,
        ("ArrowLeft", true) => Action::PrevMoment,
        ("Home", _) => Action::ToStart,
        ("End", _) => Action::ToEnd,
        _ => return None,
    })
}

/// Whether a key pressed in `target` belongs to it (typing, a focused control).
fn owned_by_target(target: Option<web_sys::EventTarget>, key: &str) -> bool {
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return false;
    };
    match el.tag_name().to_ascii_lowercase().as_str() {
        "input" | "select" | "textarea" => true,
        // Space activates a focused button, link or summary: let it.
        "button" | "a" | "summary" => key == " ",
        // A slider (the phase explorer's strip) moves with the arrows, Home and End.
        _ if el.get_attribute("role").as_deref() == Some("slider") => {
            matches!(key, "ArrowLeft" | "ArrowRight" | "Home" | "End")
        }
        _ => el.get_attribute("contenteditable").is_some(),
    }
}

/// Listens on the document; with `scope`, only to keys pressed inside that element.
#[hook]
pub fn use_keyboard(dispatch: Dispatch, scope: Option<NodeRef>) {
    use_effect_with((), move |_| {
        let listener = gloo::utils::window().document().map(|doc| {
            EventListener::new_with_options(
                &doc,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() {
                        return;
                    }
                    if let Some(scope) = scope.as_ref() {
                        let inside = match (
                            scope.get(),
                            e.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
                        ) {
                            (Some(root), Some(target)) => root.contains(Some(&target)),
                            _ => false,
                        };
                        if !inside {
                            return;
                        }
                    }
                    let key = e.key();
                    if owned_by_target(e.target(), &key) {
                        return;
                    }
                    if let Some(action) = key_action(&key, e.shift_key()) {
                        e.prevent_default();
                        if action != Action::TogglePlay {
                            super::mark_step_start();
                        }
                        dispatch.dispatch(action);
                    }
                },
            )
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(key_action(" ", false), Some(Action::TogglePlay));
        assert_eq!(key_action("ArrowRight", false), Some(Action::StepForward));
        assert_eq!(key_action("ArrowLeft", true), Some(Action::PrevMoment));
        assert_eq!(key_action("ArrowRight", true), Some(Action::NextMoment));
        assert_eq!(key_action("End", false), Some(Action::ToEnd));
        assert_eq!(key_action("a", false), None);
    }
}
