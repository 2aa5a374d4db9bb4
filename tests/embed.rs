//! Browser tests of what issue 6 added: playgrounds on a course page's elements, files dropped
//! or picked, the export menu, and the comparison of the two clients. Run by `cargo xtask test`
//! (stage "wasm tests") in headless Chromium.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};
use yew::AppHandle;

wasm_bindgen_test_configure!(run_in_browser);

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

fn texts(root: &Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.text_content().unwrap_or_default())
        .collect()
}

/// A key pressed with the focus on `target` (it bubbles to the document).
fn key_on(target: &web_sys::EventTarget, k: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    init.set_cancelable(true);
    target
        .dispatch_event(
            &KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
}

/// Lets promises (a file being read) settle, then renders.
async fn settle() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        gloo::utils::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    yew::scheduler::flush().await;
}

/// Settles until `done` holds (a file is read and answered asynchronously: how long depends on
/// the machine's load), at most about three seconds.
async fn settle_until(done: impl Fn() -> bool) {
    for _ in 0..100 {
        settle().await;
        if done() {
            return;
        }
    }
}

/// The app on its own page, in a fresh `<div>`, at a clean URL.
struct Page {
    root: Element,
    handle: Option<AppHandle<offset_lab::App>>,
}

impl Drop for Page {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.destroy();
        }
        self.root.remove();
    }
}

async fn page(query: &str) -> Page {
    let window = gloo::utils::window();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query))
        .unwrap();
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<offset_lab::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    Page {
        root,
        handle: Some(handle),
    }
}

fn file(name: &str, contents: &str) -> web_sys::File {
    web_sys::File::new_with_str_sequence(&js_sys::Array::of1(&contents.into()), name).unwrap()
}

fn files(f: &web_sys::File) -> web_sys::DataTransfer {
    let dt = web_sys::DataTransfer::new().unwrap();
    dt.items().add_with_file(f).unwrap();
    dt
}

#[wasm_bindgen_test]
async fn playgrounds_on_a_course_page_are_independent_and_leave_the_page_alone() {
    let window = gloo::utils::window();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("?course=1"))
        .unwrap();
    let document = gloo::utils::document();
    let course = document.create_element("div").unwrap();
    course.set_inner_html(
        r#"<div id="a" data-offset-lab="step1-autocommit-sleep2" data-panels="timeline,code"></div>
           <p>Some text of the course.</p>
           <div id="b" data-offset-lab="step2-manual-commit" data-panels="none" data-height="480"></div>"#,
    );
    document.body().unwrap().append_child(&course).unwrap();
    let count = offset_lab::embed::mount_elements();
    yew::scheduler::flush().await;
    assert_eq!(count, 2);
    let (a, b) = (find(&course, "#a"), find(&course, "#b"));
    assert!(text(&a, ".scenario-title").contains("2 s of processing"));
    assert!(
        text(&b, ".scenario-title")
            .to_lowercase()
            .contains("manual commit")
    );
    assert_eq!(texts(&a, ".tabs .tab"), ["Code", "Timeline"]);
    assert_eq!(text(&a, ".tabs .tab.on"), "Timeline");
    assert!(
        b.query_selector(".tabs").unwrap().is_none()
            && b.query_selector(".a-code").unwrap().is_none(),
        "no panels"
    );
    assert_eq!(
        b.dyn_ref::<HtmlElement>()
            .unwrap()
            .style()
            .get_property_value("height")
            .unwrap(),
        "480px"
    );
    // Stepping one moves only that one.
    click(&a, "button[aria-label^='Step forward']");
    yew::scheduler::flush().await;
    assert_eq!(
        (
            text(&a, "[data-testid=counter]"),
            text(&b, "[data-testid=counter]")
        ),
        ("1".into(), "0".into())
    );
    // A key pressed outside both moves neither; inside one, only that one.
    key_on(&document.body().unwrap(), "ArrowRight");
    yew::scheduler::flush().await;
    assert_eq!(
        (
            text(&a, "[data-testid=counter]"),
            text(&b, "[data-testid=counter]")
        ),
        ("1".into(), "0".into())
    );
    key_on(&find(&b, ".log"), "ArrowRight");
    key_on(&find(&b, ".log"), "ArrowRight");
    yew::scheduler::flush().await;
    assert_eq!(
        (
            text(&a, "[data-testid=counter]"),
            text(&b, "[data-testid=counter]")
        ),
        ("1".into(), "2".into())
    );
    // The page's URL is the page's.
    assert_eq!(window.location().search().unwrap(), "?course=1");
    offset_lab::embed::unmount_all();
    course.remove();
}

#[wasm_bindgen_test]
async fn both_clients_side_by_side_and_switching() {
    let p = page("?v=1&preset=step1-autocommit-sleep7").await;
    assert_eq!(
        texts(&p.root, ".clients tr[data-client=librdkafka] td"),
        ["1", "0", "2"]
    );
    assert_eq!(
        texts(&p.root, ".clients tr[data-client=java] td"),
        ["0", "0", "3"]
    );
    assert_eq!(
        find(&p.root, ".clients tr.current")
            .get_attribute("data-client")
            .as_deref(),
        Some("librdkafka")
    );
    let why = text(&p.root, ".clients-why");
    assert!(why.contains("(B5)") && why.contains("(D2)"), "{why}");
    click(&p.root, ".clients tr[data-client=java] .link");
    yew::scheduler::flush().await;
    assert_eq!(
        find(&p.root, ".clients tr.current")
            .get_attribute("data-client")
            .as_deref(),
        Some("java")
    );
    assert_eq!(
        text(&p.root, "[data-testid=counters] [data-kind=lost] b"),
        "0"
    );
}

#[wasm_bindgen_test]
async fn a_picked_file_that_does_not_validate_is_refused_and_a_good_one_opens() {
    let p = page("?v=1&preset=step2-manual-commit&t=3000").await;
    let clock = text(&p.root, "[data-testid=clock]");
    let input: HtmlInputElement = find(&p.root, "input[type=file]").dyn_into().unwrap();
    let pick = |f: web_sys::File| {
        input.set_files(files(&f).files().as_ref());
        input
            .dispatch_event(&web_sys::Event::new("change").unwrap())
            .unwrap();
    };
    pick(file(
        "broken.json",
        r#"{"version": 1, "name": "x", "seed": 1, "duration_ms": 0}"#,
    ));
    settle_until(|| {
        p.root
            .query_selector(".notice-error p")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let notice = text(&p.root, ".notice-error p");
    assert!(
        notice.starts_with("Could not open “broken.json”: "),
        "{notice}"
    );
    assert!(notice.contains("Your scenario is unchanged."), "{notice}");
    assert_eq!(text(&p.root, "[data-testid=clock]"), clock);
    let good = offset_lab_sim::preset("step1-autocommit-sleep2")
        .unwrap()
        .to_json();
    pick(file("step1.json", &good));
    settle_until(|| {
        p.root
            .query_selector(".notice p")
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .is_some_and(|t| t.starts_with("Opened"))
    })
    .await;
    assert!(
        text(&p.root, ".notice p").starts_with("Opened “step1.json”"),
        "{}",
        text(&p.root, ".notice")
    );
    assert_eq!(text(&p.root, "[data-testid=clock]"), "00:00.000");
}

#[wasm_bindgen_test]
async fn a_file_dragged_over_the_page_shows_the_drop_zone_and_opens_when_dropped() {
    let p = page("?v=1&preset=step2-manual-commit").await;
    let dt = files(&file("not-a-scenario.json", "[1, 2, 3]"));
    let drag = |kind: &str| {
        let init = web_sys::DragEventInit::new();
        init.set_bubbles(true);
        init.set_cancelable(true);
        init.set_data_transfer(Some(&dt));
        let e = web_sys::DragEvent::new_with_event_init_dict(kind, &init).unwrap();
        gloo::utils::document()
            .body()
            .unwrap()
            .dispatch_event(&e)
            .unwrap();
    };
    drag("dragenter");
    yew::scheduler::flush().await;
    assert!(p.root.query_selector(".drop-veil").unwrap().is_some());
    drag("dragover");
    drag("drop");
    settle_until(|| {
        p.root
            .query_selector(".notice-error p")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    assert!(p.root.query_selector(".drop-veil").unwrap().is_none());
    let notice = text(&p.root, ".notice-error p");
    assert!(
        notice.contains("not-a-scenario.json") && notice.contains("JSON object"),
        "{notice}"
    );
}

#[wasm_bindgen_test]
async fn the_export_menu_opens_and_escape_closes_it() {
    let p = page("?v=1&preset=step2-manual-commit").await;
    let menu: web_sys::HtmlDetailsElement = find(&p.root, ".files-menu").dyn_into().unwrap();
    assert!(!menu.open());
    click(&p.root, ".files-menu summary");
    yew::scheduler::flush().await;
    assert!(menu.open());
    let items = texts(&p.root, ".files-menu .menu-items .mi-title");
    assert_eq!(
        items[..4],
        [
            "Scenario.json",
            "Trace.json",
            "Trace.csv",
            "Python script.py"
        ]
    );
    assert!(items.contains(&"Copy a link to this moment".to_string()));
    key_on(&find(&p.root, ".files-menu summary"), "Escape");
    yew::scheduler::flush().await;
    assert!(!menu.open());
}
