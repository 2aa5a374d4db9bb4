//! Browser tests of the app, run by `cargo xtask test` (stage "wasm tests") in headless
//! Chromium through wasm-bindgen-test-runner. Each test mounts the whole app, acts like a
//! student (clicks, keys) and reads the DOM, waiting with `yew::scheduler::flush()`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{
    Element, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent, KeyboardEventInit,
};
use yew::AppHandle;

wasm_bindgen_test_configure!(run_in_browser);

struct Mounted {
    root: Element,
    handle: Option<AppHandle<offset_lab::App>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // Unmount, so that the next test's keys reach only its own app.
        if let Some(h) = self.handle.take() {
            h.destroy();
        }
        self.root.remove();
    }
}

/// Mount the app into a fresh `<div>` appended to `<body>`. The app keeps its state in the
/// URL, so each test starts from a clean one.
async fn mount() -> Mounted {
    let window = gloo::utils::window();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("?"))
        .unwrap();
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<offset_lab::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    Mounted {
        root,
        handle: Some(handle),
    }
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

fn click(root: &Element, selector: &str) {
    find(root, selector)
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

fn key(k: &str, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(k);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let e = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    gloo::utils::document().dispatch_event(&e).unwrap();
}

fn select(root: &Element, selector: &str, value: &str) {
    let s: HtmlSelectElement = find(root, selector).dyn_into().unwrap();
    s.set_value(value);
    s.dispatch_event(
        &web_sys::Event::new_with_event_init_dict("change", &{
            let i = web_sys::EventInit::new();
            i.set_bubbles(true);
            i
        })
        .unwrap(),
    )
    .unwrap();
}

#[wasm_bindgen_test]
async fn step_buttons_move_the_cursor_and_the_clock() {
    let m = mount().await;
    assert_eq!(text(&m.root, "h1"), "Offset Lab");
    assert_eq!(text(&m.root, "[data-testid=counter]"), "0");
    assert_eq!(text(&m.root, "[data-testid=clock]"), "00:00.000");
    click(&m.root, "button[aria-label^='Step forward']");
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=counter]"), "1");
    click(&m.root, "button[aria-label^='Jump to end']");
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=clock]"), "01:30.000");
    // At the end of Step 1 with 7 s of processing, P-0001 is lost (F.1).
    let p1 = find(&m.root, "[data-testid=ledger] [data-payment='P-0001']");
    assert!(p1.class_list().contains("v-lost"), "{}", p1.class_name());
    assert_eq!(
        text(&m.root, "[data-testid=counters] [data-kind=lost] b"),
        "1"
    );
    // The callout explains the outcome.
    assert_eq!(
        find(&m.root, ".callout")
            .get_attribute("data-moment")
            .as_deref(),
        Some("5")
    );
}

#[wasm_bindgen_test]
async fn keyboard_steps_back_and_forth() {
    let m = mount().await;
    for _ in 0..5 {
        key("ArrowRight", false);
    }
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=counter]"), "5");
    key("ArrowLeft", false);
    key("ArrowLeft", false);
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=counter]"), "3");
    key("End", false);
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=clock]"), "01:30.000");
    key("Home", false);
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, "[data-testid=counter]"), "0");
    // Shift+→ goes to the next numbered key moment, over heartbeats and silent ticks.
    key("ArrowRight", true);
    yew::scheduler::flush().await;
    let callout = find(&m.root, ".callout");
    assert_eq!(
        callout.get_attribute("data-moment").as_deref(),
        Some("1"),
        "moment 1: at risk"
    );
    assert!(callout.text_content().unwrap().contains("at risk"));
    // The payment being processed is marked at risk in the log, with its glyph class.
    assert!(
        find(&m.root, ".lane .cell[data-p='0']")
            .class_list()
            .contains("s-atrisk")
    );
    key(" ", false);
    yew::scheduler::flush().await;
    assert_eq!(
        find(&m.root, ".play")
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("true")
    );
    key(" ", false);
    yew::scheduler::flush().await;
    assert_eq!(
        find(&m.root, ".play")
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn a_crash_point_from_the_code_gutter_changes_the_run() {
    let m = mount().await;
    select(&m.root, ".picker select", "step2-manual-commit");
    yew::scheduler::flush().await;
    assert_eq!(m.root.query_selector_all(".cp-badge").unwrap().length(), 1);
    click(&m.root, ".gutter-btn[aria-label*='while processing it']");
    yew::scheduler::flush().await;
    let msg: HtmlInputElement = find(&m.root, ".cp-editor input[type=number]")
        .dyn_into()
        .unwrap();
    msg.set_value("4");
    msg.dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    click(&m.root, ".cp-editor button[type=submit]");
    yew::scheduler::flush().await;
    assert_eq!(m.root.query_selector_all(".cp-badge").unwrap().length(), 2);
    let json = find(&m.root, ".json textarea")
        .dyn_into::<web_sys::HtmlTextAreaElement>()
        .unwrap()
        .value();
    assert!(json.contains("\"message\": 4"), "{json}");
    // Removing it restores the scenario.
    let links = m.root.query_selector_all(".cp-badge .link").unwrap();
    links
        .item(links.length() - 1)
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert_eq!(m.root.query_selector_all(".cp-badge").unwrap().length(), 1);
}

#[wasm_bindgen_test]
async fn crash_now_and_restart_are_forks_at_the_cursor() {
    let m = mount().await;
    select(&m.root, ".picker select", "step2-manual-commit");
    yew::scheduler::flush().await;
    for _ in 0..12 {
        key("ArrowRight", false);
    }
    yew::scheduler::flush().await;
    click(&m.root, ".card .menu summary");
    yew::scheduler::flush().await;
    click(&m.root, ".card .menu-items button:first-child");
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, ".card .st"), "crashed");
    assert!(text(&m.root, ".settings").contains("crash (kill -9"));
    click(&m.root, ".card-actions .btn");
    yew::scheduler::flush().await;
    assert_eq!(text(&m.root, ".card .st"), "joining");
}

#[wasm_bindgen_test]
async fn disabling_auto_commit_compares_with_the_run_before() {
    let m = mount().await;
    click(&m.root, ".settings input[type=checkbox]");
    yew::scheduler::flush().await;
    key("End", false);
    yew::scheduler::flush().await;
    let callout = find(&m.root, ".callout");
    assert_eq!(callout.get_attribute("data-moment").as_deref(), Some("5"));
    let compare = text(&m.root, ".callout .compare");
    assert!(compare.contains("enable.auto.commit → false"), "{compare}");
    assert_eq!(
        text(&m.root, "[data-testid=counters] [data-kind=lost] b"),
        "0"
    );
}

#[wasm_bindgen_test]
async fn the_url_keeps_the_scenario_and_time_and_reopens_them() {
    {
        let m = mount().await;
        select(&m.root, ".picker select", "step2-manual-commit");
        yew::scheduler::flush().await;
        for _ in 0..7 {
            key("ArrowRight", false);
        }
        yew::scheduler::flush().await;
    }
    let search = gloo::utils::window().location().search().unwrap();
    assert!(search.contains("preset=step2-manual-commit"), "{search}");
    assert!(search.contains("t="), "{search}");
    // Opening that link shows the same scenario at the same time.
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<offset_lab::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    let m = Mounted {
        root,
        handle: Some(handle),
    };
    let picked: HtmlSelectElement = find(&m.root, ".picker select").dyn_into().unwrap();
    assert_eq!(picked.value(), "step2-manual-commit");
    assert_ne!(text(&m.root, "[data-testid=clock]"), "00:00.000");
}

#[wasm_bindgen_test]
async fn the_lab_panel_checks_a_prediction_after_the_run() {
    let m = mount().await;
    let options = m
        .root
        .query_selector_all(".predict input[type=radio]")
        .unwrap();
    assert_eq!(options.length(), 3);
    options
        .item(0)
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert!(text(&m.root, ".predict-form").contains("play it to the end"));
    key("End", false);
    yew::scheduler::flush().await;
    yew::scheduler::flush().await;
    assert!(
        text(&m.root, ".predict-result").contains("You predicted it."),
        "{}",
        text(&m.root, ".predict")
    );
    assert!(text(&m.root, ".checklist li.done").contains("Demonstrated message loss"));
    click(&m.root, ".lab .link.small");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn narrow_screen_tabs_switch_the_panel() {
    let m = mount().await;
    assert!(find(&m.root, ".app").class_list().contains("show-code"));
    let tabs = m.root.query_selector_all(".tabs .tab").unwrap();
    let timeline = (0..tabs.length())
        .filter_map(|i| tabs.item(i))
        .find(|t| t.text_content().as_deref() == Some("Timeline"))
        .expect("a Timeline tab");
    timeline.dyn_into::<HtmlElement>().unwrap().click();
    yew::scheduler::flush().await;
    assert!(find(&m.root, ".app").class_list().contains("show-timeline"));
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
    let shown = document
        .get_element_by_id(offset_lab::panic::BANNER_ID)
        .unwrap();
    assert!(!shown.text_content().unwrap().contains("second call"));
    banner.remove();
}
