//! One interface over the two card writers, so the camera simulation and the benchmark card
//! record onto FAT32 ([`crate::CardBuilder`]) or exFAT ([`crate::ExfatCard`]) alike: the
//! camera decides what to record and what to delete from the free space the writer reports,
//! and the writer lays the files out the way its file system's drivers do.
//!
//! The writers are formatted by their own constructors (their layouts differ); the trait is
//! what comes after. Each returns the same [`CardTruth`]: what it did, never what a reader
//! should make of it.

use chrono::NaiveDateTime;

use crate::{BuildError, CardBuilder, CardTruth, FileSpec};

/// What the camera simulation needs of a card writer.
pub trait CardWriter {
    /// Free space left, as the file system counts it (whole clusters).
    fn free_bytes(&self) -> u64;
    /// Bytes a file of `bytes` occupies (whole clusters).
    fn on_disk_bytes(&self, bytes: u64) -> u64;
    /// Creates the folder `path` and any missing parents, stamped `when`.
    fn mkdir(&mut self, path: &str, when: NaiveDateTime) -> Result<(), BuildError>;
    /// Adds a file, creating missing folders (stamped with its created time).
    fn add_file(&mut self, path: &str, spec: &FileSpec) -> Result<(), BuildError>;
    /// Deletes a file the way the file system's drivers do.
    fn delete(&mut self, path: &str) -> Result<(), BuildError>;
    /// Writes what is still held in memory (folders, FATs, bitmap) and returns the truth.
    fn finish(self) -> Result<CardTruth, BuildError>
    where
        Self: Sized;
}

/// The file system a simulated card is formatted with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardFilesystem {
    /// FAT32 with 32 KiB clusters, as SD cards leave the factory and Nexar cameras format
    /// cards of up to 32 GB.
    #[default]
    Fat32,
    /// exFAT with clusters of this many bytes (a power of two from 4 KiB to 32 MiB).
    Exfat {
        /// Bytes per cluster.
        cluster_bytes: u32,
    },
}

impl CardFilesystem {
    /// exFAT as the Nexar N1 formats a card of `card_bytes`: 128 KiB clusters under 128 GiB,
    /// 256 KiB under 512 GiB, 512 KiB above (firmware notes §9).
    pub fn n1_exfat(card_bytes: u64) -> Self {
        const GIB: u64 = 1 << 30;
        let cluster_bytes = if card_bytes < 128 * GIB {
            128 * 1024
        } else if card_bytes < 512 * GIB {
            256 * 1024
        } else {
            512 * 1024
        };
        CardFilesystem::Exfat { cluster_bytes }
    }
}

impl<W: std::io::Read + std::io::Write + std::io::Seek> CardWriter for CardBuilder<W> {
    fn free_bytes(&self) -> u64 {
        CardBuilder::free_bytes(self)
    }

    fn on_disk_bytes(&self, bytes: u64) -> u64 {
        CardBuilder::on_disk_bytes(self, bytes)
    }

    fn mkdir(&mut self, path: &str, when: NaiveDateTime) -> Result<(), BuildError> {
        CardBuilder::mkdir(self, path, when)
    }

    fn add_file(&mut self, path: &str, spec: &FileSpec) -> Result<(), BuildError> {
        CardBuilder::add_file(self, path, spec).map(|_| ())
    }

    fn delete(&mut self, path: &str) -> Result<(), BuildError> {
        CardBuilder::delete(self, path)
    }

    fn finish(self) -> Result<CardTruth, BuildError> {
        CardBuilder::finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_n1_picks_its_cluster_by_card_size() {
        let cluster = |gb: u64| match CardFilesystem::n1_exfat(gb * 1_000_000_000) {
            CardFilesystem::Exfat { cluster_bytes } => cluster_bytes / 1024,
            CardFilesystem::Fat32 => 0,
        };
        assert_eq!(
            [
                cluster(64),
                cluster(128),
                cluster(256),
                cluster(512),
                cluster(1024)
            ],
            [128, 128, 256, 256, 512]
        );
    }
}
