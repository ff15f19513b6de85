//! An exFAT card for the camera simulation and the benchmark: the exFAT writer
//! ([`crate::exfat::ExfatWriter`]) behind the [`CardWriter`] interface, formatted as a camera
//! formats a card — an MBR with one exFAT partition (type 07h) at 4 MiB — and returning the same
//! [`CardTruth`] as the FAT32 builder.
//!
//! Files are stored as exFAT drivers store a recording: one contiguous run flagged NoFatChain
//! when free space has one long enough, else a FAT chain over the free clusters in allocation
//! order (next-fit, as on the FAT32 card). Deleted entry sets keep their slots — as the FAT32
//! builder keeps deleted entries — so a card holds the same deleted recordings whichever file
//! system it was written in. Times carry no UTC offset (the simulated cameras record none).

use std::io::{self, Read, Seek, Write};

use chrono::NaiveDateTime;

use crate::card_writer::CardWriter;
use crate::exfat::{ExfatWriter, FormatOptions, NewFile, Placement, Times};
use crate::mp4_skeleton::{self, ClipHeader};
use crate::short_names::round_created;
use crate::truth::{CardTruth, TruthFile};
use crate::{BuildError, Content, FileSpec};

/// Where an exFAT card's partition starts: 4 MiB, as on the FAT32 card.
const PARTITION_OFFSET: u64 = 4 * 1024 * 1024;

/// What the card remembers of each file it added, in the order added (the writer's truth does
/// not know about clips).
struct Added {
    clip: Option<ClipHeader>,
    header_bytes: u64,
}

/// A simulated exFAT card (see the module documentation).
pub struct ExfatCard<W> {
    writer: ExfatWriter<W>,
    card_bytes: u64,
    added: Vec<Added>,
}

impl<W: Read + Write + Seek> ExfatCard<W> {
    /// Sizes `out` to `card_bytes` (sparse) and formats it: MBR, exFAT partition from 4 MiB to
    /// the end, `cluster_bytes` clusters, label "NEXAR", serial 0 (as Nexar firmware writes).
    pub fn format(out: W, card_bytes: u64, cluster_bytes: u32) -> Result<Self, BuildError> {
        if card_bytes <= PARTITION_OFFSET + (1 << 20) {
            return Err(BuildError::Layout(format!(
                "a card of {card_bytes} bytes is too small for exFAT"
            )));
        }
        let mut options = FormatOptions::new(card_bytes - PARTITION_OFFSET, cluster_bytes);
        options.volume_offset = PARTITION_OFFSET;
        options.write_mbr = true;
        options.label = Some("NEXAR".to_string());
        let mut writer = ExfatWriter::format(out, &options).map_err(layout_or_io)?;
        writer.set_reuse_deleted_entries(false);
        Ok(Self {
            writer,
            card_bytes,
            added: Vec::new(),
        })
    }

    fn cluster_bytes(&self) -> u64 {
        u64::from(self.writer.cluster_bytes())
    }
}

/// The writer refuses impossible options as `InvalidInput`: a layout problem, not an I/O one.
fn layout_or_io(e: io::Error) -> BuildError {
    match e.kind() {
        io::ErrorKind::InvalidInput => BuildError::Layout(e.to_string()),
        _ => BuildError::Io(e),
    }
}

/// Paths and sizes the writer refuses are the caller's mistake; a full card is the camera's.
fn file_error(path: &str, e: io::Error) -> BuildError {
    match e.kind() {
        io::ErrorKind::InvalidInput => BuildError::Path(e.to_string()),
        io::ErrorKind::StorageFull => BuildError::Full(path.to_string(), 0, 0),
        _ => BuildError::Io(e),
    }
}

impl<W: Read + Write + Seek> CardWriter for ExfatCard<W> {
    fn free_bytes(&self) -> u64 {
        self.writer.free_clusters() * self.cluster_bytes()
    }

    fn on_disk_bytes(&self, bytes: u64) -> u64 {
        bytes.div_ceil(self.cluster_bytes()) * self.cluster_bytes()
    }

    fn mkdir(&mut self, path: &str, when: NaiveDateTime) -> Result<(), BuildError> {
        self.writer
            .mkdir(path, &Times::at(when, None))
            .map_err(|e| file_error(path, e))
    }

    fn add_file(&mut self, path: &str, spec: &FileSpec) -> Result<(), BuildError> {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.mkdir(parent, spec.created)?;
        }
        let (content, clip) = match &spec.content {
            Content::Unwritten => (Vec::new(), None),
            Content::Bytes(b) => (
                vec![(0, b[..b.len().min(spec.bytes as usize)].to_vec())],
                None,
            ),
            Content::Clip(h) => {
                let parts = mp4_skeleton::clip_parts(h, spec.bytes).ok_or_else(|| {
                    BuildError::Path(format!("{path}: {} bytes cannot hold a clip", spec.bytes))
                })?;
                (parts, Some(h.clone()))
            }
        };
        let header_bytes = if clip.is_some() {
            content.iter().map(|(_, d)| d.len() as u64).sum()
        } else {
            0
        };
        let mut file = NewFile {
            bytes: spec.bytes,
            valid_bytes: None,
            placement: Placement::Contiguous,
            times: Times {
                created: spec.created,
                modified: spec.modified,
                utc_offset_s: None,
            },
            read_only: false,
            content,
        };
        if spec.fragments > 1 {
            file.placement = Placement::Chained;
        }
        let added = match self.writer.add_file(path, &file) {
            // No free run is long enough: chained over the free clusters, as drivers do.
            Err(e)
                if e.kind() == io::ErrorKind::StorageFull
                    && file.placement == Placement::Contiguous =>
            {
                file.placement = Placement::Chained;
                self.writer.add_file(path, &file)
            }
            other => other,
        };
        added.map_err(|e| file_error(path, e))?;
        self.added.push(Added { clip, header_bytes });
        Ok(())
    }

    fn delete(&mut self, path: &str) -> Result<(), BuildError> {
        self.writer.delete(path).map_err(|e| file_error(path, e))
    }

    fn finish(self) -> Result<CardTruth, BuildError> {
        let (_, truth) = self.writer.finish()?;
        let cluster_bytes = truth.cluster_bytes;
        let files: Vec<TruthFile> = truth
            .entries
            .iter()
            .filter(|e| !e.is_dir)
            .zip(self.added)
            .map(|(e, added)| {
                let readable = !e.deleted || e.recoverable == Some(true);
                TruthFile {
                    path: e.path.clone(),
                    bytes: e.bytes,
                    // exFAT keeps times to 10 ms.
                    created: round_created(e.times.created),
                    modified: round_created(e.times.modified),
                    deleted: e.deleted,
                    recoverable: e.recoverable,
                    fragments: if readable && e.bytes > 0 {
                        e.fragments
                    } else {
                        0
                    },
                    first_cluster: e.first_cluster,
                    clip: added.clip,
                    header_bytes: added.header_bytes,
                }
            })
            .collect();
        let mp4_header_bytes = truth
            .entries
            .iter()
            .filter(|e| !e.is_dir)
            .zip(&files)
            .filter(|(e, _)| !e.deleted || e.recoverable == Some(true))
            .map(|(_, f)| f.header_bytes)
            .sum();
        Ok(CardTruth {
            filesystem: "exFAT".to_string(),
            card_bytes: self.card_bytes,
            partition_offset: truth.volume_offset,
            cluster_bytes,
            capacity_bytes: u64::from(truth.cluster_count) * u64::from(cluster_bytes),
            free_bytes: truth.free_clusters * u64::from(cluster_bytes),
            fat_bytes: truth.fat_bytes,
            directory_bytes: truth.directory_bytes,
            mp4_header_bytes,
            // The bitmap (free space, recovery), the FAT (folders and fragmented files are
            // chained), the folders and the headers.
            metadata_bytes: truth.bitmap_bytes
                + truth.fat_bytes
                + truth.directory_bytes
                + mp4_header_bytes,
            files,
        })
    }
}
