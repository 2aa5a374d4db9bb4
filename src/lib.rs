//! Offset Lab web app (placeholder until the real UI lands).

pub mod panic;

use yew::prelude::*;

/// Root component.
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
