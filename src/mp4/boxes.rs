//! ISO base media box headers: the size/type pair every MP4 and MOV structure is made of.

use super::error::Mp4Error;
use super::source::Source;

/// One box's place in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BoxHeader {
    /// The four-character type, e.g. `*b"moov"`.
    pub kind: [u8; 4],
    /// Offset of the box's first byte (its size field).
    pub offset: u64,
    /// Offset of the first byte after the header (8 bytes, or 16 with a 64-bit size).
    pub content: u64,
    /// Offset just past the box. May lie past the parent's end; callers decide what that means.
    pub end: u64,
    /// The size field was 0: the box runs to the end of its parent (the file, at top level).
    pub to_end: bool,
}

impl BoxHeader {
    /// Bytes in the box after its header.
    pub(crate) fn content_bytes(&self) -> u64 {
        self.end.saturating_sub(self.content)
    }

    /// Total size of the box.
    pub(crate) fn bytes(&self) -> u64 {
        self.end.saturating_sub(self.offset)
    }
}

/// Reads the header of the box at `offset` inside a parent that ends at `parent_end`. `None` when
/// fewer than 8 bytes are left (padding, or QuickTime's 4-byte terminator). A size of 0 means
/// "to the end of the parent". Sizes smaller than the header are errors; a box running past
/// `parent_end` is returned as is for the caller to judge.
pub(crate) fn read_box_header(
    src: &mut Source<'_>,
    offset: u64,
    parent_end: u64,
) -> Result<Option<BoxHeader>, Mp4Error> {
    if parent_end.saturating_sub(offset) < 8 {
        return Ok(None);
    }
    let head = src.bytes(b"????", offset, 8)?;
    let size = u64::from(be_u32(head, 0));
    let kind = fourcc_at(head, 4);
    let (content, end, to_end) = match size {
        0 => (offset + 8, parent_end, true),
        1 => {
            if parent_end - offset < 16 {
                return Err(Mp4Error::malformed(
                    &kind,
                    offset,
                    "its 64-bit size is cut off by the end of its parent",
                ));
            }
            let large = be_u64(src.bytes(&kind, offset + 8, 8)?, 0);
            if large < 16 {
                return Err(Mp4Error::malformed(
                    &kind,
                    offset,
                    format!("its 64-bit size {large} is smaller than its 16-byte header"),
                ));
            }
            let end = offset.checked_add(large).ok_or_else(|| {
                Mp4Error::malformed(&kind, offset, format!("its 64-bit size {large} overflows"))
            })?;
            (offset + 16, end, false)
        }
        2..=7 => {
            return Err(Mp4Error::malformed(
                &kind,
                offset,
                format!("its size {size} is smaller than its 8-byte header"),
            ));
        }
        _ => {
            let end = offset.checked_add(size).ok_or_else(|| {
                Mp4Error::malformed(&kind, offset, format!("its size {size} overflows"))
            })?;
            (offset + 8, end, false)
        }
    };
    Ok(Some(BoxHeader {
        kind,
        offset,
        content,
        end,
        to_end,
    }))
}

/// Like [`read_box_header`] for a box nested in another: one running past its parent is an error.
pub(crate) fn read_child_header(
    src: &mut Source<'_>,
    offset: u64,
    parent: &BoxHeader,
) -> Result<Option<BoxHeader>, Mp4Error> {
    let child = read_box_header(src, offset, parent.end)?;
    if let Some(c) = &child
        && c.end > parent.end
    {
        return Err(Mp4Error::malformed(
            &c.kind,
            c.offset,
            format!(
                "it claims {} bytes, running past the end of its parent {} box (offset {})",
                c.bytes(),
                fourcc(&parent.kind),
                parent.end
            ),
        ));
    }
    Ok(child)
}

/// A box type for messages: the four characters when printable, `\xNN` escapes otherwise.
pub(crate) fn fourcc(kind: &[u8; 4]) -> String {
    let mut s = String::with_capacity(4);
    for &b in kind {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// True when every byte of a box type is printable ASCII, as in every registered type.
pub(crate) fn is_printable(kind: &[u8; 4]) -> bool {
    kind.iter().all(|b| (0x20..0x7f).contains(b))
}

/// Big-endian `u16` at `at`, or 0 when `bytes` is too short (callers check lengths first).
pub(crate) fn be_u16(bytes: &[u8], at: usize) -> u16 {
    let mut v = [0u8; 2];
    if let Some(s) = bytes.get(at..at + 2) {
        v.copy_from_slice(s);
    }
    u16::from_be_bytes(v)
}

/// Big-endian `u32` at `at`, or 0 when `bytes` is too short (callers check lengths first).
pub(crate) fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        v.copy_from_slice(s);
    }
    u32::from_be_bytes(v)
}

/// Big-endian `u64` at `at`, or 0 when `bytes` is too short (callers check lengths first).
pub(crate) fn be_u64(bytes: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    if let Some(s) = bytes.get(at..at + 8) {
        v.copy_from_slice(s);
    }
    u64::from_be_bytes(v)
}

/// The four bytes at `at` as a box type (zeros when `bytes` is too short).
pub(crate) fn fourcc_at(bytes: &[u8], at: usize) -> [u8; 4] {
    let mut v = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        v.copy_from_slice(s);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header(data: &[u8], offset: u64, parent_end: u64) -> Result<Option<BoxHeader>, Mp4Error> {
        let mut cursor = Cursor::new(data.to_vec());
        let mut src = Source::new(&mut cursor, data.len() as u64);
        read_box_header(&mut src, offset, parent_end)
    }

    #[test]
    fn reads_32_bit_64_bit_and_to_the_end_sizes() {
        let mut data = vec![0, 0, 0, 16, b'f', b'r', b'e', b'e'];
        data.extend_from_slice(&[0; 8]);
        data.extend_from_slice(&[0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 24]);
        data.extend_from_slice(&[0; 8]);
        data.extend_from_slice(&[0, 0, 0, 0, b'm', b'o', b'o', b'v']);
        let len = data.len() as u64;
        let free = header(&data, 0, len).unwrap().unwrap();
        assert_eq!((free.kind, free.content, free.end), (*b"free", 8, 16));
        let mdat = header(&data, 16, len).unwrap().unwrap();
        assert_eq!((mdat.kind, mdat.content, mdat.end), (*b"mdat", 32, 40));
        let moov = header(&data, 40, len).unwrap().unwrap();
        assert_eq!((moov.kind, moov.end, moov.to_end), (*b"moov", len, true));
    }

    #[test]
    fn sizes_smaller_than_the_header_are_malformed() {
        let data = [0, 0, 0, 4, b'f', b'r', b'e', b'e', 0, 0, 0, 0];
        assert!(matches!(
            header(&data, 0, 12),
            Err(Mp4Error::Malformed { offset: 0, .. })
        ));
        let data = [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 8];
        assert!(matches!(
            header(&data, 0, 16),
            Err(Mp4Error::Malformed { .. })
        ));
        let data = [
            0, 0, 0, 1, b'm', b'd', b'a', b't', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        let mut cursor = Cursor::new(data.to_vec());
        let mut src = Source::new(&mut cursor, 16);
        let at = read_box_header(&mut src, 0, 16).unwrap().unwrap();
        // An end past the parent is returned for the caller to judge, without overflow.
        assert_eq!(at.end, u64::MAX);
    }

    #[test]
    fn fewer_than_8_bytes_left_is_the_end_of_the_parent() {
        let data = [0u8; 12];
        assert!(header(&data, 8, 12).unwrap().is_none());
    }

    #[test]
    fn box_types_are_shown_readably() {
        assert_eq!(fourcc(b"moov"), "moov");
        assert_eq!(fourcc(&[0, b'a', 0xa9, b'z']), "\\x00a\\xa9z");
    }
}
