//! Splitting a sidecar's bytes into text lines the parsers may trust to be whole.
//!
//! The camera ends every line it writes with `\n` (both loggers print `...\n` into a buffer and
//! write whole buffers), so a last line without one was cut short by a power loss, possibly in
//! the middle of a number, and is not offered. Lines that are not UTF-8 or longer than any the
//! firmware prints (its line buffers are 512 bytes at most) are garbage from a damaged card.

/// Longest line the firmware can print (its largest line buffer, `char line[1024]` for the IMU
/// header); longer ones are rejected without being looked at.
pub const MAX_LINE_BYTES: usize = 1024;

/// One line of a sidecar: its text, or why it cannot be used.
#[derive(Debug, PartialEq)]
pub enum Line<'a> {
    /// A complete line, without its `\n` (and without a `\r` before it).
    Text(&'a str),
    /// A line that is too long, not UTF-8, or the unterminated tail of the file.
    Unusable,
}

/// The lines of `bytes`, in order. Empty lines (and a file that ends with `\n`) yield nothing.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let mut pieces = bytes.split(|&b| b == b'\n').peekable();
    std::iter::from_fn(move || {
        loop {
            let piece = pieces.next()?;
            let is_tail = pieces.peek().is_none();
            if is_tail {
                // `split` yields an empty tail after a final `\n`.
                return if ends_with_newline || piece.is_empty() {
                    None
                } else {
                    Some(Line::Unusable)
                };
            }
            let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
            if piece.is_empty() {
                continue;
            }
            if piece.len() > MAX_LINE_BYTES {
                return Some(Line::Unusable);
            }
            return Some(match std::str::from_utf8(piece) {
                Ok(text) => Line::Text(text),
                Err(_) => Line::Unusable,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<Line<'_>> {
        lines(bytes).collect()
    }

    #[test]
    fn whole_lines_only() {
        assert_eq!(
            all(b"a\nb\r\n\nc\n"),
            [Line::Text("a"), Line::Text("b"), Line::Text("c")]
        );
        assert_eq!(all(b"a\nhalf"), [Line::Text("a"), Line::Unusable]);
        assert!(all(b"").is_empty());
        assert!(all(b"\n\n").is_empty());
    }

    #[test]
    fn garbage_is_unusable() {
        assert_eq!(all(b"\xff\xfe\n"), [Line::Unusable]);
        let long = [b'x'; MAX_LINE_BYTES + 1];
        let mut bytes = long.to_vec();
        bytes.push(b'\n');
        assert_eq!(all(&bytes), [Line::Unusable]);
        let mut ok = vec![b'x'; MAX_LINE_BYTES];
        ok.push(b'\n');
        assert_eq!(all(&ok).len(), 1);
        assert!(matches!(all(&ok)[0], Line::Text(_)));
    }

    #[test]
    fn zeros_at_the_end_are_a_cut_tail() {
        // A file whose directory size ran ahead of its data: zeros after the last whole line.
        assert_eq!(all(b"a\n\0\0\0\0"), [Line::Text("a"), Line::Unusable]);
    }
}
