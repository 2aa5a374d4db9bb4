//! What shows while the worker works: the placeholder before the first screen, and the bar of a
//! run that takes long, with Cancel.

use gloo::timers::callback::Timeout;
use yew::prelude::*;

/// A run shorter than this shows no bar.
const SHOW_AFTER_MS: u32 = 200;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    pub embed: bool,
}

/// The playground's frame before its first screen.
#[component]
pub fn Loading(p: &LoadingProps) -> Html {
    html! {
        <div class={classes!("app", "loading", p.embed.then_some("embed"))} aria-busy="true">
            <p class="loading-text">{ "Starting the simulator…" }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProgressBarProps {
    /// Per mille of the run built, while one is being built.
    pub progress: Option<u32>,
    pub failed: Option<String>,
}

/// The bar of a long run (after [`SHOW_AFTER_MS`]), with Cancel; or why the simulator stopped.
#[component]
pub fn ProgressBar(p: &ProgressBarProps) -> Html {
    let shown = use_state_eq(|| false);
    {
        let shown = shown.clone();
        use_effect_with(p.progress.is_some(), move |busy| {
            let timer = busy.then(|| {
                let shown = shown.clone();
                Timeout::new(SHOW_AFTER_MS, move || shown.set(true))
            });
            if !busy {
                shown.set(false);
            }
            move || drop(timer)
        });
    }
    if let Some(why) = &p.failed {
        return html! { <div class="busy busy-failed" role="alert"><p>{ why.clone() }</p></div> };
    }
    let (Some(permille), true) = (p.progress, *shown) else {
        return html! {};
    };
    let cancel = Callback::from(|_: MouseEvent| crate::backend::cancel());
    let pct = permille / 10;
    html! {
        <div class="busy" role="status">
            <span class="busy-label">{ format!("Simulating… {pct} %") }</span>
            <progress class="busy-bar" max="1000" value={permille.to_string()}
                aria-label="Simulation progress"></progress>
            <button type="button" class="btn btn-small" onclick={cancel}>{ "Cancel" }</button>
        </div>
    }
}
