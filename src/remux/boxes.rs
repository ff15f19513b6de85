//! Bounded reads of a segment's boxes: the top-level walk over the file, whole header boxes
//! (`moov`, each `moof`) read in one call each, and the box tree inside them walked in memory.
//!
//! Offsets are always the segment's own (positions in the `Read + Seek` it was given): an
//! encrypted clip read through a decrypting wrapper, or a file scattered over a card image read
//! through an [`crate::extent::ExtentReader`], look the same from here.

use std::io::{self, Read, Seek, SeekFrom};

use super::error::{RemuxError, fourcc};

/// Most children looked at inside one box; real files have a handful.
const MAX_CHILDREN: usize = 4096;

/// One box found in the file by the top-level walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TopBox {
    pub kind: [u8; 4],
    /// Offset of its size field.
    pub offset: u64,
    /// Offset just past it (the end of the file for a size of 0).
    pub end: u64,
    /// Its size field was 0: it runs to the end of the file.
    pub to_end: bool,
}

/// A segment's bytes, with the header bytes read so far counted against a budget.
pub(crate) struct SegmentBytes<'a, R> {
    src: &'a mut R,
    pub bytes: u64,
    pub segment: usize,
    header_bytes_read: u64,
    header_budget: u64,
}

impl<'a, R: Read + Seek> SegmentBytes<'a, R> {
    /// `src` holds `bytes` bytes; at most `header_budget` of them may be read as headers.
    pub(crate) fn new(src: &'a mut R, bytes: u64, segment: usize, header_budget: u64) -> Self {
        Self {
            src,
            bytes,
            segment,
            header_bytes_read: 0,
            header_budget,
        }
    }

    /// The `len` bytes at `offset`, which must lie inside the segment.
    pub(crate) fn read_at(
        &mut self,
        offset: u64,
        len: u64,
        what: &str,
    ) -> Result<Vec<u8>, RemuxError> {
        let end = offset.saturating_add(len);
        if end > self.bytes {
            return Err(RemuxError::Truncated {
                segment: self.segment,
                what: what.to_string(),
                needed_end: end,
                bytes: self.bytes,
            });
        }
        let total = self.header_bytes_read.saturating_add(len);
        if total > self.header_budget {
            return Err(RemuxError::TooLarge {
                what: format!(
                    "segment {} has more than {} bytes of headers and indexes",
                    self.segment, self.header_budget
                ),
                limit: self.header_budget,
            });
        }
        self.header_bytes_read = total;
        let len = usize::try_from(len).map_err(|_| RemuxError::TooLarge {
            what: format!("{what} of {len} bytes"),
            limit: usize::MAX as u64,
        })?;
        let mut buf = vec![0u8; len];
        read_exact_at(self.src, offset, &mut buf)
            .map_err(|e| read_error(self.segment, self.bytes, e))?;
        Ok(buf)
    }

    /// The header of the top-level box at `offset`; `None` when fewer than 8 bytes are left.
    pub(crate) fn top_box(&mut self, offset: u64) -> Result<Option<TopBox>, RemuxError> {
        let left = self.bytes.saturating_sub(offset);
        if left < 8 {
            return Ok(None);
        }
        let head = self.read_at(offset, left.min(16), "a box header")?;
        let kind = fourcc_at(&head, 4);
        let size = u64::from(be_u32(&head, 0));
        let (end, to_end) = match size {
            0 => (self.bytes, true),
            1 => {
                if head.len() < 16 {
                    return Err(RemuxError::malformed(
                        self.segment,
                        &kind,
                        offset,
                        "its 64-bit size is cut off by the end of the file",
                    ));
                }
                let large = be_u64(&head, 8);
                if large < 16 {
                    return Err(RemuxError::malformed(
                        self.segment,
                        &kind,
                        offset,
                        format!("its 64-bit size {large} is smaller than its header"),
                    ));
                }
                (offset.saturating_add(large), false)
            }
            2..=7 => {
                return Err(RemuxError::malformed(
                    self.segment,
                    &kind,
                    offset,
                    format!("its size {size} is smaller than its header"),
                ));
            }
            _ => (offset.saturating_add(size), false),
        };
        Ok(Some(TopBox {
            kind,
            offset,
            end,
            to_end,
        }))
    }
}

/// Seeks to `offset` and fills `buf` from the source.
pub(crate) fn read_exact_at<R: Read + Seek>(
    src: &mut R,
    offset: u64,
    buf: &mut [u8],
) -> io::Result<()> {
    src.seek(SeekFrom::Start(offset))?;
    src.read_exact(buf)
}

/// A read failure of `segment` (of `bytes` bytes) in words.
pub(crate) fn read_error(segment: usize, bytes: u64, e: io::Error) -> RemuxError {
    let message = if e.kind() == io::ErrorKind::UnexpectedEof {
        format!("its bytes end before its stated size of {bytes} bytes: {e}")
    } else {
        e.to_string()
    };
    RemuxError::Read { segment, message }
}

/// A box inside a box read into memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Child<'a> {
    pub kind: [u8; 4],
    /// Offset of the box in the segment.
    pub offset: u64,
    /// The whole box, header included (what `mp4-atom` decodes).
    pub whole: &'a [u8],
    /// The box's content after its header.
    pub body: &'a [u8],
}

/// The boxes laid end to end in `bytes` (the content of a box at segment offset `base`).
/// A trailing remainder shorter than a box header is padding; a box running past the end of its
/// parent is an error.
pub(crate) fn children<'a>(
    bytes: &'a [u8],
    base: u64,
    segment: usize,
    parent: &[u8; 4],
) -> Result<Vec<Child<'a>>, RemuxError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while bytes.len().saturating_sub(pos) >= 8 {
        if out.len() >= MAX_CHILDREN {
            return Err(RemuxError::malformed(
                segment,
                parent,
                base,
                format!("it holds more than {MAX_CHILDREN} boxes"),
            ));
        }
        let offset = base + pos as u64;
        let kind = fourcc_at(bytes, pos + 4);
        let left = bytes.len() - pos;
        let (header, size) = match be_u32(bytes, pos) {
            0 => (8, left),
            1 => {
                let large = if left >= 16 {
                    be_u64(bytes, pos + 8)
                } else {
                    0
                };
                if large < 16 {
                    return Err(RemuxError::malformed(
                        segment,
                        &kind,
                        offset,
                        "its 64-bit size is invalid",
                    ));
                }
                (16, usize::try_from(large).unwrap_or(usize::MAX))
            }
            s if s < 8 => {
                return Err(RemuxError::malformed(
                    segment,
                    &kind,
                    offset,
                    format!("its size {s} is smaller than its header"),
                ));
            }
            s => (8, usize::try_from(s).unwrap_or(usize::MAX)),
        };
        if size > left {
            return Err(RemuxError::malformed(
                segment,
                &kind,
                offset,
                format!(
                    "it claims {size} bytes, running past the end of its parent {} box",
                    fourcc(parent)
                ),
            ));
        }
        let whole = bytes.get(pos..pos + size).unwrap_or_default();
        let body = whole.get(header..).unwrap_or_default();
        out.push(Child {
            kind,
            offset,
            whole,
            body,
        });
        pos += size;
    }
    Ok(out)
}

/// The first child of type `kind`.
pub(crate) fn find<'a, 'b>(children: &'b [Child<'a>], kind: &[u8; 4]) -> Option<&'b Child<'a>> {
    children.iter().find(|c| c.kind == *kind)
}

/// Decodes one leaf box with `mp4-atom`, naming the box in errors.
pub(crate) fn decode<T: mp4_atom::Decode>(
    child: &Child<'_>,
    segment: usize,
) -> Result<T, RemuxError> {
    let mut buf = child.whole;
    T::decode(&mut buf)
        .map_err(|e| RemuxError::malformed(segment, &child.kind, child.offset, e.to_string()))
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

    #[test]
    fn children_are_walked_and_bad_sizes_refused() {
        let mut data = vec![0, 0, 0, 12, b'a', b'b', b'c', b'd', 1, 2, 3, 4];
        data.extend_from_slice(&[0, 0, 0, 8, b'e', b'f', b'g', b'h', 0, 0, 0]);
        let kids = children(&data, 100, 0, b"moov").unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(
            (kids[0].kind, kids[0].offset, kids[0].body),
            (*b"abcd", 100, &[1u8, 2, 3, 4][..])
        );
        assert_eq!(kids[1].offset, 112);
        let bad = [0, 0, 0, 99, b'a', b'b', b'c', b'd'];
        assert!(matches!(
            children(&bad, 0, 3, b"moov"),
            Err(RemuxError::Malformed { segment: 3, .. })
        ));
        let tiny = [0, 0, 0, 4, b'a', b'b', b'c', b'd'];
        assert!(children(&tiny, 0, 0, b"moov").is_err());
    }
}
