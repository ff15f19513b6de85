//! The path given on the command line, checked before it is read: a card image (a regular file,
//! or a block device such as `/dev/sdb`) or a mounted card folder.
//!
//! Anything else is refused with a clear message instead of being opened: a named pipe (FIFO)
//! would block `open` until some other process writes to it — forever, if none does — and a
//! socket or character device (a terminal, `/dev/zero`) is not a card either. The check is made
//! before opening (so nothing with side effects on open is touched), files are opened with
//! `O_NONBLOCK` (so a FIFO swapped in between cannot block either), and the opened file's type
//! is checked again. `O_NONBLOCK` changes nothing for reads of regular files and block devices.

use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// What the path turned out to be.
pub enum Input {
    /// A mounted card folder.
    Folder(PathBuf),
    /// A card image (or the card itself, as a block device), open for reading.
    Image(File),
}

/// Checks what `path` is and opens it for reading; an error says why it cannot be a card.
pub fn open(path: &Path) -> Result<Input, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if meta.is_dir() {
        return Ok(Input::Folder(path.to_path_buf()));
    }
    refuse_unless_image(path, &meta.file_type())?;
    let file =
        open_nonblocking(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let opened = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    refuse_unless_image(path, &opened.file_type())?;
    Ok(Input::Image(file))
}

/// Opens `path` for reading without ever blocking in `open` (see the module documentation).
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// A regular file or a block device may be a card image; anything else is refused.
fn refuse_unless_image(path: &Path, kind: &FileType) -> Result<(), String> {
    if kind.is_file() || is_block_device(kind) {
        return Ok(());
    }
    Err(format!(
        "{} is {}, not a card image or a card folder",
        path.display(),
        special_kind(kind)
    ))
}

#[cfg(unix)]
fn is_block_device(kind: &FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_block_device()
}

#[cfg(not(unix))]
fn is_block_device(_kind: &FileType) -> bool {
    false
}

/// What a path that is neither a file, a block device nor a folder is, in words.
#[cfg(unix)]
fn special_kind(kind: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device (a card in a card reader shows up as a block device, e.g. /dev/sdb)"
    } else {
        "neither a file nor a folder"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &FileType) -> &'static str {
    "neither a file nor a folder"
}
