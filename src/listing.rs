//! The card as read: where it came from, its partition table and volume, and every file with
//! what the file system (and, once read, each video's MP4 header) says about it — nothing
//! derived yet. Images ([`crate::scan`]) and mounted folders ([`crate::folder`]) both give a
//! [`Listing`]; every later stage reads it and none changes it.
//!
//! A listing looks the same whichever file system it was read from (FAT12/16/32 through
//! [`crate::fat`], exFAT through [`crate::exfat`]): only [`Volume::filesystem`] names it, so the
//! catalog, the estimate, the page and the CLI never need to know.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;
use crate::encryption::KeySource;
use crate::extent::{Extent, ExtentReader};
use crate::mp4::{CameraRecord, DurationFrom, Mp4Error, Mp4Info};
use crate::telemetry::ImuHeader;

/// Everything read from one card.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Listing {
    /// What was opened.
    pub source: Source,
    /// The partition table of an image; `None` for a folder.
    pub partition_table: Option<PartitionTableInfo>,
    /// The volume that was read.
    pub volume: Volume,
    /// Whole-card problems in plain words (corruption, unreadable parts).
    pub warnings: Vec<String>,
    /// Every file, live or deleted (directories are not listed).
    pub files: Vec<ListedFile>,
    /// The headers of the few `.imu` sidecars read (the newest clips'): the newer cameras' own
    /// word on their model, firmware and time zone. Not serialized: the catalog keeps what they
    /// say (zone, camera), so a listing sent on (to the page) need not carry them.
    #[serde(skip)]
    pub imu_headers: Vec<ImuHeaderAt>,
}

/// The header of one `.imu` sidecar, and which file it is.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ImuHeaderAt {
    /// Index of the sidecar in [`Listing::files`].
    pub index: usize,
    /// What its first line says.
    pub header: ImuHeader,
}

/// Where the card came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// "image" (a raw card image) or "folder" (a mounted card).
    pub kind: SourceKind,
    /// File or folder name as given.
    pub name: String,
    /// Size of the image in bytes; `None` for a folder.
    pub bytes: Option<u64>,
}

/// The two ways a card can be opened.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A raw image of the card (or of one volume).
    #[default]
    Image,
    /// A mounted card folder: what the OS shows, without extents or deleted entries.
    Folder,
}

/// The partition table of an image.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartitionTableInfo {
    /// "MBR", "GPT" or "none" (a bare volume).
    pub scheme: String,
    /// Logical sector size the table uses.
    pub sector_bytes: u32,
    /// Every partition found, FAT or not.
    pub partitions: Vec<PartitionInfo>,
}

/// One partition.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartitionInfo {
    /// Number in the table, from 1.
    pub index: u32,
    /// Offset of the partition in the image, in bytes.
    pub offset: u64,
    /// Size of the partition in bytes.
    pub bytes: u64,
    /// The table's type for it, in words.
    pub type_name: String,
    /// What its first sector says it holds: "fat", "exfat", "ntfs" or "unknown".
    pub filesystem: String,
}

/// The volume (FAT12/16/32 or exFAT). Fields that a folder source cannot know are `None`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Volume {
    /// "FAT12", "FAT16", "FAT32" (by cluster count) or "exFAT"; `None` for a folder.
    pub filesystem: Option<String>,
    /// Byte offset of the volume in the image (0 for a bare volume); `None` for a folder.
    pub partition_offset: Option<u64>,
    /// Cluster size in bytes; `None` for a folder.
    pub cluster_bytes: Option<u32>,
    /// Data clusters × cluster size (for a folder: the capacity given by the user, if any).
    pub capacity_bytes: Option<u64>,
    /// Free space counted from the file system's own record of used clusters: the FAT itself
    /// (not FSInfo), or exFAT's allocation bitmap (not its PercentInUse).
    pub free_bytes: Option<u64>,
    /// Volume label, if any.
    pub label: Option<String>,
}

/// One file, live or deleted, as the file system (and its MP4 header) describes it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ListedFile {
    /// "/"-separated path from the volume root, with long names.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time (camera local time, as the directory entry records it).
    pub created: Option<NaiveDateTime>,
    /// Last modification time (camera local time).
    pub modified: Option<NaiveDateTime>,
    /// True for a deleted directory entry (FAT: 0xE5; exFAT: an entry set no longer in use).
    pub deleted: bool,
    /// Deleted entries only: whether its bytes can still be read back (`None` for live files).
    pub recoverable: Option<bool>,
    /// Number of separate runs of clusters (1 = contiguous; 0 = empty or unknown).
    pub fragments: u32,
    /// Where the file's bytes lie in the image (absolute offsets); empty for a folder source
    /// and for deleted files that cannot be recovered. They cover `bytes`, or only
    /// `valid_bytes` when that is set.
    pub extents: Vec<Extent>,
    /// exFAT's valid data length, when it is less than `bytes`: only that many bytes were
    /// written, the extents cover just those, and the rest of the file reads as zeros (its
    /// clusters may still hold an older recording, which must not pass for this one). `None`:
    /// every byte lies in the extents. Read file bytes through [`ListedFile::open`], which
    /// honours it.
    pub valid_bytes: Option<u64>,
    /// Problems with this file, in plain words.
    pub warnings: Vec<String>,
    /// The read-only attribute is set: the owner locked it (the newer cameras never delete a
    /// locked clip). False where the source cannot tell (a folder opened in a browser).
    pub read_only: bool,
    /// What its MP4 header said, once read; `None` until then, and for files whose header is
    /// never read (not a video, or bytes that cannot be reached).
    pub header: Option<VideoHeader>,
}

/// What a video's MP4 header said, or why it could not be read.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct VideoHeader {
    /// Duration in seconds, when the header gives one.
    pub duration_s: Option<f64>,
    /// Where the duration came from.
    pub duration_from: Option<DurationFrom>,
    /// A fragmented MP4, as the newer cameras write.
    pub fragmented: bool,
    /// Its `mvex` holds a `mehd` box (Beam 2K and Zero; N1 writes none).
    pub has_mehd: bool,
    /// The newer cameras' record of the segment: start in UTC, serial, software.
    pub camera_record: Option<CameraRecord>,
    /// The camera encrypted the clip and this key opened it; `None` for a plain clip.
    pub encryption: Option<KeySource>,
    /// The first bytes in hex when they are no MP4 box: encrypted clips of one camera share
    /// them, which is how a clip no key opens is told from a damaged one.
    pub prefix: Option<String>,
    /// What did not add up in the header, in plain words.
    pub warnings: Vec<String>,
    /// Creation time written by the camera (`mvhd`), if plausible.
    pub created: Option<NaiveDateTime>,
    /// Picture width in pixels.
    pub width: Option<u32>,
    /// Picture height in pixels.
    pub height: Option<u32>,
    /// Why the header could not be read, when it could not.
    pub error: Option<String>,
}

impl From<Result<Mp4Info, Mp4Error>> for VideoHeader {
    fn from(read: Result<Mp4Info, Mp4Error>) -> Self {
        match read {
            Ok(info) => Self {
                duration_s: info.duration_s,
                duration_from: info.duration_from,
                fragmented: info.fragmented,
                has_mehd: info.has_mehd,
                camera_record: info.camera_record,
                created: info.created,
                width: info.width,
                height: info.height,
                warnings: info.warnings,
                ..Self::default()
            },
            Err(e) => Self {
                error: Some(e.to_string()),
                ..Self::default()
            },
        }
    }
}

/// A clip whose MP4 header is to be read: which file, and where its bytes are.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClipRef {
    /// Index of the file in [`Listing::files`].
    pub index: usize,
    /// Its size.
    pub bytes: u64,
    /// Where its bytes lie in the image (empty for a folder source).
    pub extents: Vec<Extent>,
    /// Bytes written, when fewer than `bytes` (see [`ListedFile::valid_bytes`]).
    pub valid_bytes: Option<u64>,
}

impl ClipRef {
    /// `file`'s bytes as the worker's readers take them, under `index` (its place in whatever
    /// list the reader is given).
    pub fn of(index: usize, file: &ListedFile) -> Self {
        Self {
            index,
            bytes: file.bytes,
            extents: file.extents.clone(),
            valid_bytes: file.valid_bytes,
        }
    }

    /// The clip's bytes in the image (zeros past its written bytes).
    pub fn open<'a, R: Read + Seek>(
        &'a self,
        reader: &'a mut BlockReader<R>,
    ) -> ExtentReader<'a, R> {
        open_extents(reader, &self.extents, self.valid_bytes, self.bytes)
    }
}

fn open_extents<'a, R: Read + Seek>(
    reader: &'a mut BlockReader<R>,
    extents: &'a [Extent],
    valid_bytes: Option<u64>,
    bytes: u64,
) -> ExtentReader<'a, R> {
    ExtentReader::zero_filled(reader, extents, valid_bytes.unwrap_or(bytes), bytes)
}

/// What one clip's header said.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HeaderResult {
    /// Index of the file in [`Listing::files`].
    pub index: usize,
    /// What the header said.
    pub header: VideoHeader,
}

/// Fewest clips worth splitting between readers (see [`split_clips`]).
pub const SPLIT_MIN_CLIPS: usize = 64;

/// `clips` cut into `readers` shares of neighbouring clips (at least one), so that many readers
/// (workers, each reading a `Blob` in parallel) can each read one with their reads still
/// coalesced. Every share is there, the last ones empty when there are too few clips to be
/// worth splitting (every reader gets an answer).
pub fn split_clips(mut clips: Vec<ClipRef>, readers: usize) -> Vec<Vec<ClipRef>> {
    let readers = readers.max(1);
    let mut shares = Vec::with_capacity(readers);
    if clips.len() < SPLIT_MIN_CLIPS {
        shares.push(clips);
    } else {
        let each = clips.len().div_ceil(readers);
        while clips.len() > each {
            let rest = clips.split_off(each);
            shares.push(std::mem::replace(&mut clips, rest));
        }
        shares.push(clips);
    }
    shares.resize_with(readers, Vec::new);
    shares
}

impl Listing {
    /// The listing with `results` recorded on their files (results for files it does not have
    /// are ignored).
    pub fn with_headers(mut self, results: Vec<HeaderResult>) -> Listing {
        for r in results {
            if let Some(file) = self.files.get_mut(r.index) {
                file.header = Some(r.header);
            }
        }
        self
    }

    /// The clips whose MP4 headers can be read from an image — videos with known extents
    /// (live files and recoverable deleted ones) — in the order they lie on the card.
    pub fn image_clips(&self) -> Vec<ClipRef> {
        let mut clips: Vec<ClipRef> = self
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| is_video_name(&f.path) && !f.extents.is_empty())
            .map(|(index, f)| ClipRef::of(index, f))
            .collect();
        crate::sort::sort_by_key(&mut clips, |c| c.extents.first().map_or(0, |e| e.offset));
        clips
    }

    /// The clips of a folder source: every video, in listing order.
    pub fn folder_clips(&self) -> Vec<ClipRef> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| is_video_name(&f.path))
            .map(|(index, f)| ClipRef {
                index,
                bytes: f.bytes,
                extents: Vec::new(),
                valid_bytes: None,
            })
            .collect()
    }

    /// The file at `path` (live first, then deleted): spelled exactly, else ignoring case as
    /// FAT and exFAT compare names (exFAT folds every letter through its up-case table, not
    /// only ASCII ones; Unicode lower case is the near equivalent here).
    pub fn find(&self, path: &str) -> Option<&ListedFile> {
        let want = path.trim_start_matches('/');
        let exact = self
            .files
            .iter()
            .filter(|f| f.path == want)
            .min_by_key(|f| f.deleted);
        exact.or_else(|| {
            let folded = want.to_lowercase();
            self.files
                .iter()
                .filter(|f| f.path.to_lowercase() == folded)
                .min_by_key(|f| f.deleted)
        })
    }

    /// Files that are not deleted.
    pub fn live_files(&self) -> impl Iterator<Item = &ListedFile> {
        self.files.iter().filter(|f| !f.deleted)
    }

    /// The listing without its files: what a view of the whole card needs first.
    pub fn without_files(&self) -> Listing {
        Listing {
            source: self.source.clone(),
            partition_table: self.partition_table.clone(),
            volume: self.volume.clone(),
            warnings: self.warnings.clone(),
            files: Vec::new(),
            imu_headers: self.imu_headers.clone(),
        }
    }

    /// The listing with the `.imu` headers read recorded.
    pub fn with_imu_headers(mut self, headers: Vec<ImuHeaderAt>) -> Listing {
        self.imu_headers = headers;
        self
    }
}

impl Volume {
    /// Where the free space was counted from, in words (for the estimate's inputs).
    pub fn free_space_source(&self) -> &'static str {
        if self.filesystem.as_deref() == Some("exFAT") {
            "card: counted from the allocation bitmap"
        } else {
            "card: counted from the FAT"
        }
    }
}

impl ListedFile {
    /// The file's bytes in the image: its extents, then zeros past its written bytes. Only
    /// for image sources (a folder's files are read through the OS).
    pub fn open<'a, R: Read + Seek>(
        &'a self,
        reader: &'a mut BlockReader<R>,
    ) -> ExtentReader<'a, R> {
        open_extents(reader, &self.extents, self.valid_bytes, self.bytes)
    }

    /// Bytes that lie in the extents: `valid_bytes` when set, else the whole size.
    pub fn written_bytes(&self) -> u64 {
        self.valid_bytes.unwrap_or(self.bytes).min(self.bytes)
    }

    /// The header's duration, when it was read and gives one.
    pub fn header_duration(&self) -> Option<f64> {
        self.header.as_ref().and_then(|h| h.duration_s)
    }
}

/// True for names of MP4-family videos (MP4, MOV, M4V, 3GP), whose headers give a duration.
pub fn is_video_name(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("mp4" | "mov" | "m4v" | "3gp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clips(n: usize) -> Vec<ClipRef> {
        (0..n)
            .map(|index| ClipRef {
                index,
                bytes: 1,
                extents: Vec::new(),
                valid_bytes: None,
            })
            .collect()
    }

    fn indices(shares: &[Vec<ClipRef>]) -> Vec<Vec<usize>> {
        shares
            .iter()
            .map(|s| s.iter().map(|c| c.index).collect())
            .collect()
    }

    #[test]
    fn clips_are_split_into_one_share_of_neighbours_per_reader() {
        let shares = split_clips(clips(203), 4);
        let sizes: Vec<usize> = shares.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![51, 51, 51, 50]);
        let all: Vec<usize> = indices(&shares).concat();
        assert_eq!(all, (0..203).collect::<Vec<_>>());
    }

    #[test]
    fn few_clips_stay_with_the_first_reader_and_every_reader_gets_a_share() {
        let shares = split_clips(clips(SPLIT_MIN_CLIPS - 1), 4);
        assert_eq!(shares.len(), 4);
        assert_eq!(shares[0].len(), SPLIT_MIN_CLIPS - 1);
        assert!(shares[1..].iter().all(Vec::is_empty));
        assert_eq!(split_clips(clips(100), 0).len(), 1);
        assert_eq!(split_clips(Vec::new(), 2).len(), 2);
    }
}
