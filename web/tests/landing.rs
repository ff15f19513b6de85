//! The landing page's components in a real headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use dashcard_web::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app into a fresh element and returns it (the mount handle is leaked on purpose:
/// dropping it would unmount the view before the test looks at it).
fn mount_app() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), App);
    std::mem::forget(handle);
    host
}

fn buttons(host: &HtmlElement) -> Vec<String> {
    let list = host.query_selector_all("button").unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.text_content())
        .map(|t| t.trim().to_string())
        .collect()
}

#[wasm_bindgen_test]
fn the_three_ways_in_are_real_buttons() {
    let host = mount_app();
    let names = buttons(&host);
    for want in ["Open card folder", "Open card image", "Try a sample card"] {
        assert!(
            names.iter().any(|n| n == want),
            "missing button {want}: {names:?}"
        );
    }
    let zone = host
        .query_selector(".drop-zone")
        .unwrap()
        .expect("drop zone");
    assert_eq!(
        zone.get_attribute("aria-label").as_deref(),
        Some("Drop a card image or a card folder here")
    );
    assert_eq!(zone.get_attribute("tabindex").as_deref(), Some("0"));
}

#[wasm_bindgen_test]
fn the_explainer_tells_where_each_family_keeps_footage() {
    let host = mount_app();
    let text = host.text_content().unwrap_or_default();
    assert!(text.contains("Where Nexar keeps your footage"));
    assert!(text.contains("sos folder"));
    assert!(text.contains("Nexar One"));
    assert!(text.contains("10 seconds on NEXC1"));
    assert!(text.contains("50 %"));
}

/// The test page has no worker to start (it has no `script[data-js][data-wasm]` naming the
/// module a worker would load): the reader failing
/// must end in the error panel, with the ways in still there to try again.
#[wasm_bindgen_test]
async fn a_reader_that_cannot_start_ends_in_an_error_panel() {
    let host = mount_app();
    let list = host.query_selector_all("button").unwrap();
    let sample: HtmlElement = (0..list.length())
        .filter_map(|i| list.item(i))
        .find(|n| n.text_content().as_deref().map(str::trim) == Some("Try a sample card"))
        .expect("Try a sample card button")
        .unchecked_into();
    sample.click();
    let mut panel = None;
    for _ in 0..100 {
        gloo_timers::future::TimeoutFuture::new(50).await;
        panel = host.query_selector("[role=alert]").unwrap();
        if panel.is_some() {
            break;
        }
    }
    let text = panel
        .expect("an error panel")
        .text_content()
        .unwrap_or_default();
    assert!(text.contains("The card reader stopped"), "{text}");
    assert!(text.contains("Reload the page"), "{text}");
    assert!(buttons(&host).iter().any(|b| b == "Open card image"));
}

#[wasm_bindgen_test]
fn the_panic_panel_explains_and_keeps_the_details() {
    dashcard_web::panic_panel::show("index out of bounds (test)");
    let document = web_sys::window().unwrap().document().unwrap();
    let panel = document.get_element_by_id("panic-panel").expect("panel");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("alert"));
    let text = panel.text_content().unwrap_or_default();
    assert!(text.contains("Something went wrong inside Dashcard"));
    assert!(text.contains("Reload the page"));
    assert!(text.contains("index out of bounds (test)"));
    // Showing it twice replaces it rather than stacking panels.
    dashcard_web::panic_panel::show("second");
    assert_eq!(
        document
            .query_selector_all("#panic-panel")
            .unwrap()
            .length(),
        1
    );
}
