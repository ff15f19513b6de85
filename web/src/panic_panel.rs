//! A panic must not leave a dead page: the hook logs it and draws an error panel with plain DOM
//! calls (the reactive tree may be what broke), telling the user what happened and what to do.

use std::panic::PanicHookInfo;

/// Installs the panic hook; call once, before mounting.
pub fn install() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo| {
        console_error_panic_hook::hook(info);
        show(&info.to_string());
    }));
}

/// Draws (or replaces) the error panel with `detail`.
pub fn show(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if let Some(old) = document.get_element_by_id("panic-panel") {
        old.remove();
    }
    let Ok(panel) = document.create_element("section") else {
        return;
    };
    panel.set_id("panic-panel");
    panel.set_class_name("error-panel");
    let _ = panel.set_attribute("role", "alert");
    let parts = [
        ("h2", "Something went wrong inside Dashcard"),
        (
            "p",
            "The page hit an internal error and stopped. Nothing was uploaded, and nothing was written to your card.",
        ),
        (
            "p",
            "Reload the page to start again. If it happens again with the same card, please report it with the details below.",
        ),
    ];
    for (tag, text) in parts {
        if let Ok(el) = document.create_element(tag) {
            el.set_text_content(Some(text));
            let _ = panel.append_child(&el);
        }
    }
    if let Ok(pre) = document.create_element("pre") {
        pre.set_text_content(Some(detail));
        let _ = panel.append_child(&pre);
    }
    let _ = body.prepend_with_node_1(&panel);
}
