//! Offset Lab web app. The state, view models and hooks are in place; the components follow.

pub mod code;
pub mod edit;
pub mod panic;
pub mod scenarios;
pub mod state;
pub mod view;

use yew::prelude::*;

/// Root component (placeholder until the components land).
#[component]
pub fn App() -> Html {
    let count = use_state(|| 0u32);
    let onclick = {
        let count = count.clone();
        Callback::from(move |_: MouseEvent| count.set(*count + 1))
    };
    html! {
        <main class="app">
            <h1>{ "Offset Lab" }</h1>
            <button type="button" {onclick}>{ "Step" }</button>
            <p>{ "Steps: " }<span data-testid="counter">{ *count }</span></p>
        </main>
    }
}

/// Entry point: install the panic hook and mount [`App`] on `<body>`.
pub fn start() {
    panic::install();
    yew::Renderer::<App>::new().render();
}
