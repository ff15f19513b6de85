//! The players open as modal dialogs over the page, where the user is: the page does not jump,
//! focus moves into the player (the rest of the page is inert meanwhile), Escape closes it, and
//! on closing focus goes back to the button that opened it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// A modal dialog shown while `open` holds; `on_close` empties what it shows (Escape, too).
#[component]
pub fn PlayerDialog(
    open: Signal<bool>,
    on_close: Callback<()>,
    label: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let opener = StoredValue::new_local(None::<HtmlElement>);
    Effect::new(move |_| {
        let now = open.get();
        let Some(d) = dialog.get() else {
            return;
        };
        if now && !d.open() {
            opener.set_value(
                document()
                    .active_element()
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok()),
            );
            let _ = d.show_modal();
        } else if !now && d.open() {
            d.close();
            return_focus(opener.get_value());
        }
    });
    view! {
        <dialog node_ref=dialog class="player-dialog" aria-label=label
            on:cancel=move |ev: web_sys::Event| {
                // Escape: close through the slot, so the player's resources go with it.
                ev.prevent_default();
                on_close.run(());
            }>
            {children()}
        </dialog>
    }
}

/// Focus back on the opener, or on the card's heading when the opener is gone.
fn return_focus(opener: Option<HtmlElement>) {
    let target = opener.filter(|e| e.is_connected()).or_else(|| {
        document()
            .query_selector(".card-name")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    });
    if let Some(e) = target {
        let _ = e.focus();
    }
}
