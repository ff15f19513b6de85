//! The page: header, the ways to open a card, the open card (or the explainer when there is
//! none), the footer. A card image or folder dropped anywhere on the page opens too.

use leptos::prelude::*;
use web_sys::DragEvent;

use crate::card_announcer::CardAnnouncer;
use crate::card_view::CardView;
use crate::cards::Cards;
use crate::open_card::open_drop;
use crate::{Explainer, OpenCard};

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let cards = Cards::new();
    provide_context(cards);
    crate::print_summary::follow_print_events(cards.printing);
    let has_card = Signal::derive(move || {
        cards.current.with(Option::is_some) || cards.failed.with(Option::is_some)
    });
    let on_drop = move |event: DragEvent| {
        event.prevent_default();
        open_drop(cards, &event);
    };
    view! {
        <div class="page" on:dragover=|ev: DragEvent| ev.prevent_default() on:drop=on_drop>
            <a class="skip-link" href="#open-card">"Skip to opening a card"</a>
            <header class="site-header" class:compact=move || has_card.get()>
                <div class="brand">
                    <svg class="brand-mark" viewBox="0 0 64 64" aria-hidden="true">
                        <rect x="6" y="14" width="52" height="38" rx="8" class="mark-body"></rect>
                        <circle cx="32" cy="33" r="12" class="mark-lens"></circle>
                        <circle cx="32" cy="33" r="6" class="mark-glass"></circle>
                        <circle cx="49" cy="22" r="3" class="mark-rec"></circle>
                    </svg>
                    <h1>"Dashcard"</h1>
                </div>
                <p class="tagline">
                    "See what is on your Nexar dash cam card — drives, parking incidents, and how soon each recording will be overwritten."
                </p>
                <p class="privacy">
                    <svg class="privacy-icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3Z"></path>
                    </svg>
                    "Everything happens inside this page: nothing leaves your computer, and nothing is ever written to your card."
                </p>
            </header>
            <main>
                <OpenCard compact=has_card />
                <CardView />
                <CardAnnouncer />
                <Show when=move || !has_card.get()>
                    <Explainer />
                </Show>
            </main>
            <footer class="site-footer">
                <p>
                    "Dashcard reads FAT32 and exFAT cards from Nexar Pro, Beam, NEXC1, NEXC2 and NEXS1 cameras and the newer Beam 2K, Zero and N1, as card images or mounted folders. It is not made by Nexar."
                </p>
            </footer>
        </div>
    }
}
