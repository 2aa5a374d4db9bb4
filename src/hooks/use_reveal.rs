//! A result that arrives later (a sweep's charts, two runs side by side) comes into view: the
//! element behind the returned ref scrolls to the top of the screen whenever `value` changes to
//! something.

use yew::prelude::*;

#[hook]
pub fn use_reveal<T: PartialEq + Clone + 'static>(value: Option<T>) -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(value, move |v| {
            if v.is_some()
                && let Some(el) = node.cast::<web_sys::Element>()
            {
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Start);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        });
    }
    node
}
