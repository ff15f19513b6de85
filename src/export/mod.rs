//! Taking recordings out of a card: the layout of a stored (uncompressed) ZIP archive whose
//! file data stays where it is, and the digests that go with every exported file.
//!
//! The archive is described as pieces — header bytes made here, and references to each file's
//! data — so a front end can assemble it from the card image itself (the browser: a `Blob` of
//! header bytes and image slices) without copying gigabytes of video into memory. Video does
//! not compress, so entries are stored.
//!
//! A time range of a drive goes out as one MP4 (the remuxer, [`crate::remux`]): [`time_range`]
//! chooses the segments, [`range_export`] writes them, [`clip_source`] reads them (several at once from one image, decrypted
//! where the camera encrypted them).

pub mod clip_source;
pub mod digest;
pub mod range_export;
pub mod time_range;
pub mod zip_layout;
