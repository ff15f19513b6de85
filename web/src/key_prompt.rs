//! Asking the owner for the camera's key when the factory default does not open its encrypted
//! clips. A typed key is checked at once against the first bytes those clips share (a wrong
//! one says so here), then the card is read again with it. The key stays in this page's memory:
//! never stored, put in a URL, logged or written into a report.

use dashcard::catalog::encryption::Encrypted;
use dashcard::encryption::{Key, XorPad, opens_with};
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::cards::Cards;

/// The first bytes of the clips no key at hand opens (hex, as the reader keeps them).
fn locked_prefixes(shown: &Shown) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = shown
        .listing
        .files
        .iter()
        .zip(&shown.catalog.files)
        .filter(|(_, c)| c.encrypted == Some(Encrypted::KeyNeeded))
        .filter_map(|(l, _)| l.header.as_ref()?.prefix.as_deref())
        .filter_map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .collect();
    out.dedup();
    out
}

/// The prompt, when some clips need the owner's key.
#[component]
pub fn KeyPrompt(shown: Shown) -> impl IntoView {
    let card = expect_context::<Card>();
    let cards = expect_context::<Cards>();
    let needing = shown.catalog.totals.encrypted_without_key;
    if needing == 0 {
        return ().into_any();
    }
    let given = card.key.with_value(Option::is_some);
    let prefixes = locked_prefixes(&shown);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = match Key::new(&text.get_untracked()) {
            Ok(key) => key,
            Err(e) => return error.set(Some(format!("That is not a camera key: {e}."))),
        };
        let pad = XorPad::from_key(&key);
        if !prefixes.iter().any(|p| opens_with(p, &pad)) {
            return error.set(Some(
                "This key does not open the camera's encrypted clips. Check it with Nexar support: it is the key of the camera that recorded this card."
                    .to_string(),
            ));
        }
        text.set(String::new());
        cards.reopen_with_key(key);
    };
    view! {
        <section class="panel key-prompt" aria-labelledby="key-prompt-title">
            <h3 id="key-prompt-title">"Some recordings are encrypted by the camera"</h3>
            <p>{format!(
                "{needing} recording(s) are encrypted, and {} does not open them. Nexar support can give you this camera's key (32 letters and digits).",
                if given { "neither the factory default key nor the key given" } else { "the camera's factory default key" }
            )}</p>
            <p class="note">"The key stays in this page's memory while the card is open: it is never stored, sent anywhere or written into a report."</p>
            <form on:submit=submit>
                <label>"Camera key "
                    <input type="password" autocomplete="off" spellcheck="false" aria-label="Camera key"
                        prop:value=move || text.get()
                        on:input=move |ev| { text.set(event_target_value(&ev)); error.set(None); } />
                </label>
                <button type="submit" class="button small">"Use this key"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="action-error" role="alert">{e}</p> })}
        </section>
    }
    .into_any()
}
