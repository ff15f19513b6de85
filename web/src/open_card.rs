//! The ways in: a drop zone (a card image or a card folder, dropped anywhere on the page), and
//! the three buttons — open a card folder (File System Access API where the browser has it,
//! a folder input elsewhere), open a card image, try the sample card.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, HtmlInputElement};

use crate::cards::Cards;
use crate::folder_pick::{self, from_dropped_entry, from_file_list, pick_with_directory_picker};
use crate::open_source::OpenSource;
use crate::protocol::Sample;
use crate::protocol::{Failure, FailureKind};

/// Opens whatever was dropped: one folder, or one card image.
pub fn open_drop(cards: Cards, event: &DragEvent) {
    let Some(transfer) = event.data_transfer() else {
        return;
    };
    let items = transfer.items();
    let mut entries = Vec::new();
    for i in 0..items.length() {
        if let Some(item) = items.get(i)
            && item.kind() == "file"
            && let Ok(Some(entry)) = item.webkit_get_as_entry()
        {
            entries.push(entry);
        }
    }
    if entries.len() > 1 {
        return cards.fail(Failure::new(
            FailureKind::FolderUnreadable,
            "drop one card image or one card folder at a time",
        ));
    }
    match entries.pop() {
        Some(entry) if entry.is_directory() => {
            let entry: wasm_bindgen::JsValue = entry.into();
            spawn_local(async move {
                match from_dropped_entry(entry).await {
                    Ok(folder) => cards.open(OpenSource::Folder(folder)),
                    Err(e) => cards.fail(Failure::new(
                        FailureKind::FolderUnreadable,
                        format!("the dropped folder could not be read: {e}"),
                    )),
                }
            });
        }
        _ => match transfer.files().and_then(|f| f.get(0)) {
            Some(file) => cards.open(OpenSource::Image(file)),
            None => cards.fail(Failure::new(
                FailureKind::Unreadable,
                "nothing that can be opened was dropped",
            )),
        },
    }
}

/// The drop zone and the three buttons.
#[component]
pub fn OpenCard(compact: Signal<bool>) -> impl IntoView {
    let cards = expect_context::<Cards>();
    let (dragging, set_dragging) = signal(false);
    let image_input = NodeRef::<leptos::html::Input>::new();
    let folder_input = NodeRef::<leptos::html::Input>::new();

    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        event.stop_propagation();
        set_dragging.set(false);
        open_drop(cards, &event);
    };
    let on_drag_over = move |event: DragEvent| {
        event.prevent_default();
        set_dragging.set(true);
    };
    let on_drag_leave = move |event: DragEvent| {
        // Leaving for a child element is not leaving the zone.
        let inside = event
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(
                event
                    .current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
            )
            .is_some_and(|(to, zone)| zone.contains(Some(&to)));
        if !inside {
            set_dragging.set(false);
        }
    };
    let open_folder = move |_| {
        if folder_pick::has_directory_picker() {
            spawn_local(async move {
                match pick_with_directory_picker().await {
                    Ok(Some(folder)) => cards.open(OpenSource::Folder(folder)),
                    Ok(None) => {}
                    Err(failure) => cards.fail(failure),
                }
            });
        } else if let Some(input) = folder_input.get() {
            input.click();
        }
    };
    let open_image = move |_| {
        if let Some(input) = image_input.get() {
            input.click();
        }
    };
    let on_image_chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            cards.open(OpenSource::Image(file));
        }
        // The same file can be chosen again later.
        input.set_value("");
    };
    let on_folder_chosen = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        match input.files().as_ref().and_then(from_file_list) {
            Some(folder) => cards.open(OpenSource::Folder(folder)),
            None => cards.fail(Failure::new(
                FailureKind::FolderUnreadable,
                "the chosen folder is empty",
            )),
        }
        input.set_value("");
    };

    view! {
        <section id="open-card" class="open-card" class:compact=move || compact.get() aria-labelledby="open-card-title">
            <h2 id="open-card-title" class="visually-hidden">"Open a card"</h2>
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                tabindex="0"
                role="region"
                aria-label="Drop a card image or a card folder here"
                on:drop=on_drop
                on:dragover=on_drag_over
                on:dragleave=on_drag_leave
            >
                <svg class="drop-icon" viewBox="0 0 48 48" aria-hidden="true">
                    <rect x="10" y="6" width="28" height="36" rx="4"></rect>
                    <path d="M18 6v8M23 6v8M28 6v8M33 6v8"></path>
                    <path d="M24 22v12M18 28l6 6 6-6"></path>
                </svg>
                <p class="drop-title">"Drop a card image or a card folder here"</p>
                <p class="drop-hint">
                    "A card image is a copy of the whole card (.img, .bin, .dd). A card folder is the card itself, in a card reader. Nothing is uploaded, and nothing is written to it."
                </p>
                <div class="actions">
                    <button type="button" class="button primary" on:click=open_folder>
                        "Open card folder"
                    </button>
                    <button type="button" class="button" on:click=open_image>
                        "Open card image"
                    </button>
                    <button type="button" class="button subtle" on:click=move |_| cards.open(OpenSource::Sample(Sample::Pro))>
                        "Try a sample card"
                    </button>
                    <button type="button" class="button subtle" title="A simulated Nexar N1: UTC names, sidecars, SOS events, photos and a locked clip"
                        on:click=move |_| cards.open(OpenSource::Sample(Sample::N1))>
                        "Try a newer-camera sample (N1)"
                    </button>
                </div>
                <input type="file" class="visually-hidden" tabindex="-1" aria-hidden="true"
                    data-testid="image-input" node_ref=image_input on:change=on_image_chosen />
                <input type="file" class="visually-hidden" tabindex="-1" aria-hidden="true"
                    data-testid="folder-input" prop:webkitdirectory=true multiple=true
                    node_ref=folder_input on:change=on_folder_chosen />
            </div>
        </section>
    }
}
