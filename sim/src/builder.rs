//! Synthetic cards written onto sparse files, for tests and benchmarks.
//!
//! A 256 GB card with 11,000 recordings must cost seconds and a few tens of MiB of disk, so the
//! builder never writes media: it formats FAT32 with `fatfs::format_volume` (through a window
//! that leaves zero writes unwritten), then keeps the FAT in memory and writes, the way a
//! camera's FAT driver would, directory entries with long names, cluster chains (next-fit
//! allocation, optional fragmentation), deletions (0xE5 entries, freed chains, later reused) and
//! for each clip only its MP4 header boxes (`ftyp`, the `mdat` header, `moov`) at the clip's
//! start and end. [`CardBuilder::finish`] writes the directories, both FATs and FSInfo and
//! returns the [`CardTruth`]: what a correct reader must find.
//!
//! ```no_run
//! use dashcard_sim::{CardBuilder, CardLayout, Content, FileSpec};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let file = std::fs::File::create("card.img")?;
//! let mut card = CardBuilder::format(file, &CardLayout::new(32_000_000_000))?;
//! let t = chrono::NaiveDate::from_ymd_opt(2024, 10, 12).unwrap().and_hms_opt(7, 57, 0).unwrap();
//! card.add_file("Nexar/notes.txt", &FileSpec::new(5, t, Content::Bytes(b"hello".to_vec())))?;
//! let truth = card.finish()?;
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Seek, SeekFrom, Write};

use chrono::NaiveDateTime;
use dashcard::fat::dir_entry::{
    ATTR_ARCHIVE, ATTR_DIRECTORY, ATTR_VOLUME_ID, DELETED, ShortEntry, long_name_entries,
};

use crate::formatted::Formatted;
use crate::mp4_skeleton::{self, ClipHeader};
use crate::short_names::{ShortNames, round_created, round_modified};
use crate::sparse;
use crate::truth::{CardTruth, TruthFile};

const END_OF_CHAIN: u32 = 0x0FFF_FFFF;

/// Where the volume goes and how it is formatted.
#[derive(Clone, Debug)]
pub struct CardLayout {
    /// Size of the whole card image.
    pub card_bytes: u64,
    /// Start of the FAT32 partition behind an MBR; `None` for a bare volume (no table).
    pub partition_offset: Option<u64>,
    /// Cluster size (32 KiB is what formatters pick for large SD cards).
    pub cluster_bytes: u32,
    /// Volume label (up to 11 characters).
    pub label: String,
}

impl CardLayout {
    /// An SD card as it leaves the factory: MBR, FAT32 partition at 4 MiB, 32 KiB clusters.
    pub fn new(card_bytes: u64) -> Self {
        Self {
            card_bytes,
            partition_offset: Some(4 * 1024 * 1024),
            cluster_bytes: 32 * 1024,
            label: "NEXAR".to_string(),
        }
    }
}

/// What a file holds.
#[derive(Clone, Debug)]
pub enum Content {
    /// Nothing written (zeros, or whatever a reused cluster held).
    Unwritten,
    /// These bytes (the rest, if `bytes` is larger, unwritten).
    Bytes(Vec<u8>),
    /// An MP4 clip: header boxes written, media payload left unwritten.
    Clip(ClipHeader),
}

/// One file to add.
#[derive(Clone, Debug)]
pub struct FileSpec {
    /// File size.
    pub bytes: u64,
    /// Created timestamp (camera local time).
    pub created: NaiveDateTime,
    /// Modified timestamp (camera local time).
    pub modified: NaiveDateTime,
    /// What to write.
    pub content: Content,
    /// Split the clusters into this many runs with a free cluster between them (≤ 1: as free
    /// space allows, normally one run).
    pub fragments: u32,
}

impl FileSpec {
    /// A file created and modified at `when`, in as few runs as free space allows.
    pub fn new(bytes: u64, when: NaiveDateTime, content: Content) -> Self {
        Self {
            bytes,
            created: when,
            modified: when,
            content,
            fragments: 1,
        }
    }
}

/// Why a card could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Writing or reading the output failed.
    #[error("cannot write the card: {0}")]
    Io(#[from] io::Error),
    /// The layout makes no FAT32 volume.
    #[error("bad layout: {0}")]
    Layout(String),
    /// Not enough free clusters.
    #[error("the card is full: {0} needs {1} clusters, {2} are free")]
    Full(String, u64, u64),
    /// A path that cannot be added.
    #[error("{0}")]
    Path(String),
}

struct Dir {
    path: String,
    clusters: Vec<u32>,
    slots: Vec<[u8; 32]>,
    short_names: ShortNames,
    /// Upper-cased long name → (index of the short entry, long entries before it, target).
    live: HashMap<String, (usize, usize, Target)>,
}

#[derive(Clone, Copy)]
enum Target {
    Dir(usize),
    File(usize),
}

/// Writes a FAT32 card image, file by file. See the module docs.
pub struct CardBuilder<W> {
    out: W,
    card_bytes: u64,
    base: u64,
    g: Formatted,
    fat: Vec<u32>,
    free: u64,
    cursor: u32,
    dirs: Vec<Dir>,
    files: Vec<TruthFile>,
    /// Each file's runs of clusters (start, length), by index in `files`.
    runs: Vec<Vec<(u32, u32)>>,
    /// Runs freed by deletions and not given to another file since: start → (length, file).
    freed: BTreeMap<u32, (u32, usize)>,
    /// Deleted files some of whose clusters a later allocation took.
    reused: Vec<bool>,
}

impl<W: Read + Write + Seek> CardBuilder<W> {
    /// Sizes `out` to the card (sparse), writes the MBR and formats FAT32.
    pub fn format(mut out: W, layout: &CardLayout) -> Result<Self, BuildError> {
        let base = layout.partition_offset.unwrap_or(0);
        if !base.is_multiple_of(512) || base >= layout.card_bytes {
            return Err(BuildError::Layout("partition offset".into()));
        }
        let sectors = u32::try_from((layout.card_bytes - base) / 512)
            .map_err(|_| BuildError::Layout("over 2 TiB".into()))?;
        out.seek(SeekFrom::Start(layout.card_bytes - 1))?;
        out.write_all(&[0])?;
        if layout.partition_offset.is_some() {
            write_mbr(&mut out, base, sectors)?;
        }
        let mut label = [b' '; 11];
        for (d, s) in label.iter_mut().zip(layout.label.bytes()) {
            *d = s.to_ascii_uppercase();
        }
        let options = fatfs::FormatVolumeOptions::new()
            .fat_type(fatfs::FatType::Fat32)
            .bytes_per_cluster(layout.cluster_bytes)
            .total_sectors(sectors)
            .fats(2)
            .volume_id(0x4E45_5841)
            .volume_label(label);
        let window = sparse::FreshWindow {
            inner: &mut out,
            start: base,
            len: sectors as u64 * 512,
            pos: 0,
        };
        fatfs::format_volume(window, options)?;

        let mut boot = [0u8; 512];
        out.seek(SeekFrom::Start(base))?;
        out.read_exact(&mut boot)?;
        let g = Formatted::read(&boot)?;
        let mut raw = vec![0u8; g.fat_bytes as usize];
        out.seek(SeekFrom::Start(base + g.fat_offset))?;
        out.read_exact(&mut raw)?;
        let fat: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) & 0x0FFF_FFFF)
            .collect();
        let free = (2..=g.cluster_count + 1)
            .filter(|&c| fat[c as usize] == 0)
            .count() as u64;
        let root = Dir {
            path: String::new(),
            clusters: vec![g.root_cluster],
            slots: vec![
                ShortEntry::new(
                    label,
                    ATTR_VOLUME_ID,
                    0,
                    0,
                    NaiveDateTime::default(),
                    NaiveDateTime::default(),
                )
                .encode(),
            ],
            short_names: ShortNames::default(),
            live: HashMap::new(),
        };
        Ok(Self {
            out,
            card_bytes: layout.card_bytes,
            base,
            cursor: g.root_cluster + 1,
            g,
            fat,
            free,
            dirs: vec![root],
            files: Vec::new(),
            runs: Vec::new(),
            freed: BTreeMap::new(),
            reused: Vec::new(),
        })
    }

    /// Free space left.
    pub fn free_bytes(&self) -> u64 {
        self.free * self.g.cluster_bytes as u64
    }

    /// Data clusters × cluster size.
    pub fn capacity_bytes(&self) -> u64 {
        self.g.cluster_count as u64 * self.g.cluster_bytes as u64
    }

    /// Bytes a file of `bytes` occupies (whole clusters).
    pub fn on_disk_bytes(&self, bytes: u64) -> u64 {
        bytes.div_ceil(self.g.cluster_bytes as u64) * self.g.cluster_bytes as u64
    }

    /// Creates `path` and any missing parents, stamped `when`.
    pub fn mkdir(&mut self, path: &str, when: NaiveDateTime) -> Result<(), BuildError> {
        self.dir_index(path, when, true).map(|_| ())
    }

    fn dir_index(
        &mut self,
        path: &str,
        when: NaiveDateTime,
        create: bool,
    ) -> Result<usize, BuildError> {
        let mut at = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let key = part.to_uppercase();
            match self.dirs[at].live.get(&key) {
                Some((_, _, Target::Dir(d))) => at = *d,
                Some((_, _, Target::File(_))) => {
                    return Err(BuildError::Path(format!("{part} in {path} is a file")));
                }
                None if !create => return Err(BuildError::Path(format!("no folder {path}"))),
                None => at = self.new_dir(at, part, when)?,
            }
        }
        Ok(at)
    }

    fn new_dir(
        &mut self,
        parent: usize,
        name: &str,
        when: NaiveDateTime,
    ) -> Result<usize, BuildError> {
        let runs = self.allocate(1, 1, name)?;
        let cluster = runs[0].0;
        let index = self.dirs.len();
        let dot = ShortEntry::new(*b".          ", ATTR_DIRECTORY, cluster, 0, when, when).encode();
        let parent_cluster = if parent == 0 {
            0
        } else {
            self.dirs[parent].clusters[0]
        };
        let dotdot = ShortEntry::new(
            *b"..         ",
            ATTR_DIRECTORY,
            parent_cluster,
            0,
            when,
            when,
        )
        .encode();
        let parent_path = &self.dirs[parent].path;
        let path = if parent_path.is_empty() {
            name.to_string()
        } else {
            format!("{parent_path}/{name}")
        };
        self.dirs.push(Dir {
            path,
            clusters: vec![cluster],
            slots: vec![dot, dotdot],
            short_names: ShortNames::default(),
            live: HashMap::new(),
        });
        self.add_entry(
            parent,
            name,
            ATTR_DIRECTORY,
            cluster,
            0,
            when,
            when,
            Target::Dir(index),
        )?;
        Ok(index)
    }

    #[allow(clippy::too_many_arguments)]
    fn add_entry(
        &mut self,
        dir: usize,
        name: &str,
        attr: u8,
        first_cluster: u32,
        bytes: u32,
        created: NaiveDateTime,
        modified: NaiveDateTime,
        target: Target,
    ) -> Result<(), BuildError> {
        let (short, needs_long) = self.dirs[dir].short_names.assign(name);
        let mut entries = if needs_long {
            long_name_entries(name, &short)
        } else {
            Vec::new()
        };
        let long_count = entries.len();
        entries
            .push(ShortEntry::new(short, attr, first_cluster, bytes, created, modified).encode());
        let cb = self.g.cluster_bytes as usize;
        while (self.dirs[dir].slots.len() + entries.len()) * 32 > self.dirs[dir].clusters.len() * cb
        {
            if (self.dirs[dir].slots.len() + entries.len()) > 65_536 {
                return Err(BuildError::Path(format!(
                    "folder {} would exceed 65,536 entries",
                    self.dirs[dir].path
                )));
            }
            let runs = self.allocate(1, 1, name)?;
            let last = *self.dirs[dir].clusters.last().unwrap_or(&0);
            self.fat[last as usize] = runs[0].0;
            self.dirs[dir].clusters.push(runs[0].0);
        }
        let d = &mut self.dirs[dir];
        let short_slot = d.slots.len() + long_count;
        d.slots.extend(entries);
        d.live
            .insert(name.to_uppercase(), (short_slot, long_count, target));
        Ok(())
    }

    /// Adds a file (creating missing folders); returns its index in the truth.
    pub fn add_file(&mut self, path: &str, spec: &FileSpec) -> Result<usize, BuildError> {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        if name.is_empty() || name.len() > 255 {
            return Err(BuildError::Path(format!("bad file name in {path}")));
        }
        let bytes32 = u32::try_from(spec.bytes)
            .map_err(|_| BuildError::Path(format!("{path}: FAT32 files stop at 4 GiB")))?;
        let dir = self.dir_index(parent, spec.created, true)?;
        if self.dirs[dir].live.contains_key(&name.to_uppercase()) {
            return Err(BuildError::Path(format!("{path} already exists")));
        }
        let clusters = spec.bytes.div_ceil(self.g.cluster_bytes as u64);
        let runs = if clusters == 0 {
            Vec::new()
        } else {
            self.allocate(clusters, spec.fragments, path)?
        };
        let first_cluster = runs.first().map_or(0, |r| r.0);
        let (parts, clip) = match &spec.content {
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
        let mut header_bytes = 0;
        for (at, data) in &parts {
            self.write_file_bytes(&runs, *at, data)?;
            header_bytes += data.len() as u64;
        }
        let index = self.files.len();
        let full_path = if self.dirs[dir].path.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.dirs[dir].path)
        };
        self.files.push(TruthFile {
            path: full_path,
            bytes: spec.bytes,
            created: round_created(spec.created),
            modified: round_modified(spec.modified),
            deleted: false,
            recoverable: None,
            fragments: runs.len() as u32,
            first_cluster,
            clip: if clip.is_some() { clip } else { None },
            header_bytes: if matches!(spec.content, Content::Clip(_)) {
                header_bytes
            } else {
                0
            },
        });
        self.runs.push(runs);
        self.reused.push(false);
        self.add_entry(
            dir,
            name,
            ATTR_ARCHIVE,
            first_cluster,
            bytes32,
            spec.created,
            spec.modified,
            Target::File(index),
        )?;
        Ok(index)
    }

    /// Deletes a file as a FAT driver does: 0xE5 on its entries, its chain freed (and so open
    /// to reuse by later files).
    pub fn delete(&mut self, path: &str) -> Result<(), BuildError> {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        let dir = self.dir_index(parent, NaiveDateTime::default(), false)?;
        let Some((short_slot, long_count, Target::File(index))) =
            self.dirs[dir].live.remove(&name.to_uppercase())
        else {
            return Err(BuildError::Path(format!("no file {path}")));
        };
        for slot in short_slot - long_count..=short_slot {
            self.dirs[dir].slots[slot][0] = DELETED;
        }
        for &(start, len) in &self.runs[index] {
            for c in start..start + len {
                self.fat[c as usize] = 0;
            }
            self.free += len as u64;
            self.freed.insert(start, (len, index));
        }
        self.files[index].deleted = true;
        Ok(())
    }

    /// Next-fit allocation of `count` clusters, chained; `fragments` > 1 leaves a free cluster
    /// between that many runs.
    fn allocate(
        &mut self,
        count: u64,
        fragments: u32,
        what: &str,
    ) -> Result<Vec<(u32, u32)>, BuildError> {
        if count > self.free {
            return Err(BuildError::Full(what.to_string(), count, self.free));
        }
        let per_run = count.div_ceil(fragments.max(1) as u64);
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut in_run = 0u64;
        for taken in 0..count {
            let c = self
                .next_free()
                .ok_or_else(|| BuildError::Full(what.into(), count, self.free))?;
            match runs.last_mut() {
                Some((start, len)) if *start + *len == c && in_run != 0 => *len += 1,
                _ => runs.push((c, 1)),
            }
            self.fat[c as usize] = END_OF_CHAIN;
            self.free -= 1;
            self.cursor = c + 1;
            in_run += 1;
            let remaining = count - taken - 1;
            if fragments > 1 && in_run == per_run && remaining > 0 && self.free > remaining {
                in_run = 0;
                if let Some(gap) = self.next_free() {
                    self.cursor = gap + 1;
                }
            }
        }
        let clusters: Vec<u32> = runs.iter().flat_map(|&(s, l)| s..s + l).collect();
        for pair in clusters.windows(2) {
            self.fat[pair[0] as usize] = pair[1];
        }
        for &(start, len) in &runs {
            self.note_reuse(start, len);
        }
        Ok(runs)
    }

    /// Records that the clusters `start..start + len`, just allocated, were taken from any
    /// deleted file they belonged to: its bytes are gone.
    fn note_reuse(&mut self, start: u32, len: u32) {
        let end = start + len;
        let hit: Vec<u32> = self
            .freed
            .range(..end)
            .rev()
            // Freed runs never overlap: going down from `end`, they overlap until one ends
            // before `start`.
            .take_while(|&(&s, &(l, _))| s + l > start)
            .map(|(&s, _)| s)
            .collect();
        for s in hit {
            if let Some((_, file)) = self.freed.remove(&s) {
                self.reused[file] = true;
            }
        }
    }

    fn next_free(&mut self) -> Option<u32> {
        let max = self.g.cluster_count + 1;
        let mut c = self.cursor;
        for _ in 0..self.g.cluster_count {
            if c > max || c < 2 {
                c = 2;
            }
            if self.fat[c as usize] == 0 {
                return Some(c);
            }
            c += 1;
        }
        None
    }

    fn cluster_offset(&self, cluster: u32) -> u64 {
        self.base + self.g.data_offset + (cluster as u64 - 2) * self.g.cluster_bytes as u64
    }

    fn write_file_bytes(
        &mut self,
        runs: &[(u32, u32)],
        at: u64,
        data: &[u8],
    ) -> Result<(), BuildError> {
        let cb = self.g.cluster_bytes as u64;
        let mut file_pos = 0u64;
        let mut written = 0usize;
        for &(start, len) in runs {
            let run_bytes = len as u64 * cb;
            let want = at + written as u64;
            if written < data.len() && want < file_pos + run_bytes {
                let within = want - file_pos;
                let n = ((run_bytes - within) as usize).min(data.len() - written);
                self.out
                    .seek(SeekFrom::Start(self.cluster_offset(start) + within))?;
                self.out.write_all(&data[written..written + n])?;
                written += n;
            }
            file_pos += run_bytes;
        }
        Ok(())
    }

    /// Writes the directories, both FATs and FSInfo; returns the truth.
    pub fn finish(mut self) -> Result<CardTruth, BuildError> {
        let cb = self.g.cluster_bytes as usize;
        let mut directory_bytes = 0;
        for d in 0..self.dirs.len() {
            let mut buf: Vec<u8> = self.dirs[d].slots.concat();
            buf.resize(self.dirs[d].clusters.len() * cb, 0);
            for (i, &c) in self.dirs[d].clusters.clone().iter().enumerate() {
                self.out.seek(SeekFrom::Start(self.cluster_offset(c)))?;
                self.out.write_all(&buf[i * cb..(i + 1) * cb])?;
            }
            directory_bytes += buf.len() as u64;
        }
        const CHUNK: usize = 1024 * 1024;
        let fat_bytes: Vec<u8> = self.fat.iter().flat_map(|v| v.to_le_bytes()).collect();
        for copy in 0..self.g.fat_count as u64 {
            let start = self.base + self.g.fat_offset + copy * self.g.fat_bytes;
            for (i, chunk) in fat_bytes.chunks(CHUNK).enumerate() {
                // Untouched FAT regions are still the zeros the format left.
                if chunk.iter().any(|&b| b != 0) || i == 0 {
                    self.out.seek(SeekFrom::Start(start + (i * CHUNK) as u64))?;
                    self.out.write_all(chunk)?;
                }
            }
        }
        let fsinfo = self.base + self.g.fsinfo_sector as u64 * self.g.sector_bytes as u64;
        self.out.seek(SeekFrom::Start(fsinfo + 488))?;
        self.out.write_all(&(self.free as u32).to_le_bytes())?;
        self.out.write_all(&self.cursor.to_le_bytes())?;
        self.out.flush()?;

        let mut mp4_header_bytes = 0;
        for (index, f) in self.files.iter_mut().enumerate() {
            if f.deleted {
                let ok = f.bytes == 0 || (self.runs[index].len() == 1 && !self.reused[index]);
                f.recoverable = Some(ok);
                f.fragments = if ok && f.bytes > 0 { 1 } else { 0 };
            }
            if !f.deleted || f.recoverable == Some(true) {
                mp4_header_bytes += f.header_bytes;
            }
        }
        let fat_bytes = self.g.fat_bytes;
        Ok(CardTruth {
            filesystem: "FAT32".to_string(),
            card_bytes: self.card_bytes,
            partition_offset: self.base,
            cluster_bytes: self.g.cluster_bytes,
            capacity_bytes: self.capacity_bytes(),
            free_bytes: self.free_bytes(),
            fat_bytes,
            directory_bytes,
            mp4_header_bytes,
            metadata_bytes: fat_bytes + directory_bytes + mp4_header_bytes,
            files: self.files,
        })
    }

    /// The output, after [`finish`](Self::finish) is not needed (tests that inspect it).
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// An MBR with one FAT32 (LBA) partition.
fn write_mbr<W: Write + Seek>(out: &mut W, base: u64, sectors: u32) -> io::Result<()> {
    let mut mbr = [0u8; 512];
    let e = &mut mbr[446..462];
    e[0] = 0x00;
    e[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[4] = 0x0C;
    e[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[8..12].copy_from_slice(&((base / 512) as u32).to_le_bytes());
    e[12..16].copy_from_slice(&sectors.to_le_bytes());
    mbr[440..444].copy_from_slice(&0x4E45_5841u32.to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&mbr)
}
