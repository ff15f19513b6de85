//! The ways in: a drop zone for a card image or folder, and the three buttons.
//!
//! Reading cards arrives with the next releases; until then every action says so plainly and
//! reads nothing, rather than showing anything that looks like a result.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::DragEvent;

/// What was dropped, described for the notice.
fn describe_drop(event: &DragEvent) -> Option<String> {
    let transfer = event.data_transfer()?;
    let items = transfer.items();
    let mut names = Vec::new();
    for i in 0..items.length() {
        let Some(item) = items.get(i) else { continue };
        if item.kind() != "file" {
            continue;
        }
        match item.webkit_get_as_entry().ok().flatten() {
            Some(entry) if entry.is_directory() => {
                names.push(format!("the folder “{}”", entry.name()))
            }
            Some(entry) => names.push(format!("the file “{}”", entry.name())),
            None => {}
        }
    }
    if names.is_empty() {
        let files = transfer.files()?;
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                names.push(format!("the file “{}”", file.name()));
            }
        }
    }
    (!names.is_empty()).then(|| names.join(", "))
}

const NOT_YET: &str = "is not available in this early version of Dashcard yet — it arrives in the next release. Nothing was read or uploaded.";

/// The drop zone, the three buttons and the notice they answer with.
#[component]
pub fn OpenCard() -> impl IntoView {
    let (notice, set_notice) = signal(None::<String>);
    let (dragging, set_dragging) = signal(false);

    let say = move |what: &str| set_notice.set(Some(format!("{what} {NOT_YET}")));

    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        set_dragging.set(false);
        let what = describe_drop(&event)
            .map(|names| format!("You dropped {names}. Reading dropped cards"))
            .unwrap_or_else(|| "Reading dropped cards".to_string());
        say(&what);
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

    view! {
        <section id="open-card" class="open-card" aria-labelledby="open-card-title">
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
                    "A card image is a copy of the whole card (.img, .bin, .dd). A card folder is the card itself, in a card reader."
                </p>
                <div class="actions">
                    <button type="button" class="button primary" on:click=move |_| say("Opening a card folder")>
                        "Open card folder"
                    </button>
                    <button type="button" class="button" on:click=move |_| say("Opening a card image")>
                        "Open card image"
                    </button>
                    <button type="button" class="button subtle" on:click=move |_| say("The sample card")>
                        "Try a sample card"
                    </button>
                </div>
            </div>
            <div class="notice-area" role="status" aria-live="polite">
                {move || notice.get().map(|text| view! { <p class="notice">{text}</p> })}
            </div>
        </section>
    }
}
