//! Text from a card made safe for a terminal.
//!
//! File names and labels are whatever bytes a card holds: an ESC sequence in a name would
//! recolour, move or clear the user's terminal, a CR would let one line overwrite another, and
//! an LF would forge a line of the summary. Everything the human output prints from a card (and
//! every error message, which may echo a name) goes through [`escape`]: C0 controls and DEL
//! become `\xNN`, C1 controls and the Unicode controls that reorder or break lines become
//! `\u{…}`. Ordinary text, accents and emoji pass unchanged. The JSON report is not escaped
//! here: JSON escapes control characters itself.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}'
        // Bidirectional overrides, embeddings, isolates and marks: they reorder what follows.
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators.
        | '\u{2028}' | '\u{2029}')
}

/// `text` with every unsafe character escaped (borrowed when there is none).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn controls_are_escaped_and_text_is_not() {
        assert_eq!(
            escape("clip\u{1b}[31m\r\n.mp4"),
            "clip\\x1b[31m\\x0d\\x0a.mp4"
        );
        assert_eq!(
            escape("del\u{7f} tab\t nul\u{0}"),
            "del\\x7f tab\\x09 nul\\x00"
        );
        assert_eq!(escape("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(escape("evil\u{202e}4pm.exe"), "evil\\u{202e}4pm.exe");
        assert!(matches!(
            escape("Café 🚗 ÇÜ.MP4"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
