//! A file's bytes from the card that was listed, image or folder: what the telemetry stage
//! reads the sidecar logs through.

use std::io::Read;
use std::path::PathBuf;

use dashcard::block_reader::{BlockReader, ReadStats};
use dashcard::listing::Listing;

use crate::folder_walk;
use crate::positioned_file::PositionedFile;

/// Where the listed files' bytes are.
pub enum CardFiles {
    /// In the image, through the reader that listed it.
    Image {
        /// The reader that listed the image.
        reader: BlockReader<PositionedFile>,
        /// What helper threads read of the image besides (see `header_threads`).
        helper_reads: ReadStats,
    },
    /// In the mounted folder.
    Folder(PathBuf),
}

impl CardFiles {
    /// Up to `max` bytes of the listing's file `index`, or why not in words.
    pub fn read(&mut self, listing: &Listing, index: usize, max: u64) -> Result<Vec<u8>, String> {
        let file = listing
            .files
            .get(index)
            .ok_or_else(|| format!("no file {index} on the card"))?;
        let mut bytes = Vec::new();
        let read = match self {
            CardFiles::Image { reader, .. } => file.open(reader).take(max).read_to_end(&mut bytes),
            CardFiles::Folder(root) => {
                let path = folder_walk::resolve(root, &file.path)?;
                crate::input::open_nonblocking(&path)
                    .and_then(|f| f.take(max).read_to_end(&mut bytes))
            }
        };
        read.map(|_| bytes).map_err(|e| e.to_string())
    }

    /// What was read of the image, for `--stats`.
    pub fn image_stats(&self) -> Option<ReadStats> {
        match self {
            CardFiles::Image {
                reader,
                helper_reads,
            } => {
                let own = reader.stats();
                Some(ReadStats {
                    bytes_read: own.bytes_read + helper_reads.bytes_read,
                    read_calls: own.read_calls + helper_reads.read_calls,
                })
            }
            CardFiles::Folder(_) => None,
        }
    }
}
