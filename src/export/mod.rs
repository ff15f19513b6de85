//! Taking recordings out of a card: the layout of a stored (uncompressed) ZIP archive whose
//! file data stays where it is, and the digests that go with every exported file.
//!
//! The archive is described as pieces — header bytes made here, and references to each file's
//! data — so a front end can assemble it from the card image itself (the browser: a `Blob` of
//! header bytes and image slices) without copying gigabytes of video into memory. Video does
//! not compress, so entries are stored.

pub mod digest;
pub mod zip_layout;
