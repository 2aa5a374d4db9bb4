//! Browser tests of the app, run by `cargo xtask test` (stage "wasm tests")
//! in headless Chromium through wasm-bindgen-test-runner.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mount the app into a fresh `<div>` appended to `<body>`.
fn mount() -> Element {
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<offset_lab::App>::with_root(root.clone()).render();
    root
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

#[wasm_bindgen_test]
async fn step_increments_the_counter() {
    let root = mount();
    yew::scheduler::flush().await;

    assert_eq!(find(&root, "h1").text_content().unwrap(), "Offset Lab");
    let counter = find(&root, "[data-testid=counter]");
    assert_eq!(counter.text_content().unwrap(), "0");

    let step: HtmlElement = find(&root, "button").dyn_into().unwrap();
    step.click();
    yew::scheduler::flush().await;
    assert_eq!(counter.text_content().unwrap(), "1");

    step.click();
    step.click();
    yew::scheduler::flush().await;
    assert_eq!(counter.text_content().unwrap(), "3");
}

#[wasm_bindgen_test]
fn panic_banner_shows_message_and_reload_button() {
    offset_lab::panic::show_banner("boom");
    let document = gloo::utils::document();
    let banner = document
        .get_element_by_id(offset_lab::panic::BANNER_ID)
        .expect("banner is shown");
    assert!(banner.text_content().unwrap().contains("boom"));
    assert_eq!(find(&banner, "button").text_content().unwrap(), "Reload");
    // A second call does not stack or replace the first banner.
    offset_lab::panic::show_banner("second call");
    let shown = document.get_element_by_id(offset_lab::panic::BANNER_ID).unwrap();
    assert!(!shown.text_content().unwrap().contains("second call"));
    banner.remove();
}
