//! Names as FAT stores them, turned into text and path components.
//!
//! Decoding is lossless where a lossy decoder would merge or hide files: `fatfs` (and
//! `String::from_utf16_lossy`) turn every lone UTF-16 surrogate and every 8.3 byte above 0x7F
//! into U+FFFD, so two different names can read as one and `cat` would return the wrong file.
//! Here:
//!
//! - 8.3 names decode with code page 437, the OEM code page DOS and most FAT drivers assume
//!   (mtools and the Linux kernel default to it too), so every byte keeps its own character.
//! - Long names are UTF-16; a lone surrogate is kept as the text `\u{d800}`.
//! - A name becomes a path component that can never be empty, `.`, `..` or contain `/`:
//!   those (and a backslash, which FAT forbids in names) are written as `\xNN`. A backslash
//!   therefore only ever starts such an escape, so escaped names cannot collide with real ones.
//!
//! Control characters stay as they are here (JSON escapes them); the CLI escapes them for the
//! terminal.

/// Code page 437, bytes 0x80..=0xFF.
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// One byte of an 8.3 name as a character (code page 437; below 0x80 it is ASCII).
pub fn oem_char(b: u8) -> char {
    match b.checked_sub(0x80) {
        Some(high) => CP437_HIGH[high as usize],
        None => b as char,
    }
}

/// Adds `c` to a name, escaping the two characters that would break a path: "/" (it would
/// split the component) and "\\" (it starts this module's escapes).
fn push_name_char(out: &mut String, c: char) {
    match c {
        '/' => out.push_str("\\x2f"),
        '\\' => out.push_str("\\x5c"),
        c => out.push(c),
    }
}

/// An 8.3 name's bytes ("NAME.EXT", 0x05 already read as 0xE5) as text, with the NT case
/// flags applied to the base and the extension (ASCII letters only, as Windows does).
pub fn short_name(key: &[u8], lower_base: bool, lower_ext: bool) -> String {
    let dot = key.iter().position(|&b| b == b'.');
    let mut out = String::with_capacity(key.len());
    for (i, &b) in key.iter().enumerate() {
        let lower = match dot {
            Some(d) if i > d => lower_ext,
            _ => lower_base,
        };
        let c = oem_char(b);
        push_name_char(&mut out, if lower { c.to_ascii_lowercase() } else { c });
    }
    out
}

/// UTF-16 units as text, a lone surrogate written as `\u{d800}` (lower-case hex) so that
/// names differing only there stay different.
pub fn utf16_name(units: &[u16]) -> String {
    let mut out = String::with_capacity(units.len());
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => push_name_char(&mut out, c),
            Err(e) => out.push_str(&format!("\\u{{{:x}}}", e.unpaired_surrogate())),
        }
    }
    out
}

/// Whether the 11 stored bytes of a live 8.3 name are ones FAT drivers write, by fsck.fat's
/// rules: no control character (but 0x05 first, which stands for 0xE5), no DEL, none of
/// `*?<>|"\/:.`, and no leading space. Bytes above 0x7F are allowed (code page 437).
pub fn short_name_is_valid(name: &[u8; 11]) -> bool {
    name[0] != b' '
        && name.iter().enumerate().all(|(i, &b)| {
            (b >= 0x20 || (i == 0 && b == 0x05)) && b != 0x7F && !b"*?<>|\"\\/:.".contains(&b)
        })
}

/// A decoded name as one component of a "/"-separated path: an empty name, "." and ".."
/// (which would vanish or walk up) become visible escapes.
pub fn path_component(name: String) -> String {
    match name.as_str() {
        "" => "\\x20".to_string(),
        "." => "\\x2e".to_string(),
        ".." => "\\x2e\\x2e".to_string(),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_decode_with_code_page_437() {
        assert_eq!(short_name(b"CAF\x90.TXT", false, false), "CAFÉ.TXT");
        // 0x05 on disk stands for 0xE5, which is σ in code page 437.
        assert_eq!(short_name(b"\xE5BC.TXT", false, false), "σBC.TXT");
        assert_eq!(short_name(b"LOG.TXT", true, false), "log.TXT");
        assert_eq!(short_name(b"LOG.TXT", false, true), "LOG.txt");
        assert_eq!(short_name(b"\x80X", true, true), "Çx");
        assert_eq!(oem_char(0xFF), '\u{a0}');
        assert_eq!(oem_char(0x1B), '\u{1b}');
    }

    #[test]
    fn stored_short_names_are_checked_as_fsck_fat_does() {
        assert!(short_name_is_valid(b"CLIP    MP4"));
        assert!(short_name_is_valid(b"\x05BC     TXT"));
        assert!(short_name_is_valid(b"CAF\x90    TXT"));
        assert!(!short_name_is_valid(b"           "));
        assert!(!short_name_is_valid(b" AME1   BIN"));
        assert!(!short_name_is_valid(b"N>ME4   BIN"));
        assert!(!short_name_is_valid(b"T:ST_E~1PFI"));
        assert!(!short_name_is_valid(b"ES\x1bC    TXT"));
    }

    #[test]
    fn lone_surrogates_stay_distinguishable() {
        let a = utf16_name(&[b'a' as u16, 0xD800]);
        let b = utf16_name(&[b'a' as u16, 0xD801]);
        assert_eq!(a, "a\\u{d800}");
        assert_ne!(a, b);
        // A proper pair decodes to its character.
        assert_eq!(utf16_name(&[0xD83D, 0xDE97]), "🚗");
        assert_eq!(utf16_name(&[0xDE97, 0xD83D]), "\\u{de97}\\u{d83d}");
    }

    #[test]
    fn path_components_are_never_empty_dots_or_split() {
        let component = |s: &str| path_component(s.to_string());
        assert_eq!(component(""), "\\x20");
        assert_eq!(component("."), "\\x2e");
        assert_eq!(component(".."), "\\x2e\\x2e");
        assert_eq!(component("...x"), "...x");
        assert_eq!(component("clip.mp4"), "clip.mp4");
        // "/" and "\\" are escaped while decoding, so an escape never gets escaped again.
        let units: Vec<u16> = "a/b\\c".encode_utf16().chain([0xD800]).collect();
        assert_eq!(utf16_name(&units), "a\\x2fb\\x5cc\\u{d800}");
        assert_eq!(short_name(b"A/B\\C", false, false), "A\\x2fB\\x5cC");
    }
}
