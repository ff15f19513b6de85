//! Where a `Seek` lands, for the byte sources that keep their own position (a file inside a
//! card, the volume `fatfs` sees, an in-memory image, a browser `Blob`).

use std::io::{self, SeekFrom};

/// The position `to` names, from the current position `pos` in a source of `len` bytes; an
/// error naming `what` when it would fall before the start. Past the end is allowed, as for
/// files (reads there return nothing).
pub fn resolve(pos: u64, len: u64, to: SeekFrom, what: &str) -> io::Result<u64> {
    match to {
        SeekFrom::Start(p) => Some(p),
        SeekFrom::Current(d) => pos.checked_add_signed(d),
        SeekFrom::End(d) => len.checked_add_signed(d),
    }
    .ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("seek before the start of {what}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_from_start_current_and_end() {
        assert_eq!(resolve(5, 10, SeekFrom::Start(3), "x").unwrap(), 3);
        assert_eq!(resolve(5, 10, SeekFrom::Current(-2), "x").unwrap(), 3);
        assert_eq!(resolve(5, 10, SeekFrom::End(-1), "x").unwrap(), 9);
        assert_eq!(resolve(5, 10, SeekFrom::End(4), "x").unwrap(), 14);
        let e = resolve(5, 10, SeekFrom::Current(-6), "the file").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("the file"));
    }
}
