//! The walk: boot region, then the root folder (its volume entries first: bitmap, up-case
//! table, label), then every folder depth-first — a folder, then its contents, as the FAT walk
//! lists them.
//!
//! Folders are read whole (bounded in size) and parsed into entry sets before their children are
//! visited, so memory holds parsed entries, never the raw bytes of every folder on the path.

use std::collections::HashSet;
use std::io::{self, Read, Seek};

use crate::block_reader::{BlockReader, MAX_ANNOUNCED_BYTES};
use crate::extent::Extent;
use crate::fat::WalkLimits;

use super::allocation_bitmap::AllocationBitmap;
use super::boot_region::{self, BootRegion};
use super::cluster_set::ClusterSet;
use super::entry_set::{DirItem, FileSet, parse_directory};
use super::fat_chain::{self, Chain, ChainLength, Fat, Run};
use super::upcase_table::{MAX_TABLE_BYTES, UpcaseTable};
use super::{ExfatEntry, ExfatError, ExfatListing, ExfatVolumeInfo};

/// The specification's largest folder.
const SPEC_MAX_DIRECTORY_BYTES: u64 = 256 * 1024 * 1024;
/// The most of one folder read: 1 million entries, 250,000 files — a camera folder holds a few
/// thousand. Keeps a hostile folder from costing 256 MiB of memory.
const MAX_DIRECTORY_BYTES: u64 = 32 * 1024 * 1024;
/// The most folder bytes read from the whole volume.
const MAX_TOTAL_DIRECTORY_BYTES: u64 = 256 * 1024 * 1024;
/// Cross-link partners remembered (beyond, a cross-link is still reported, its partner unnamed).
const MAX_OWNERS: usize = 1 << 20;

/// Who claimed a run of clusters, to name both sides of a cross-link.
#[derive(Clone, Copy)]
enum Owner {
    Entry(usize),
    Volume(&'static str),
}

struct Walker<'a, R> {
    reader: &'a mut BlockReader<R>,
    boot: BootRegion,
    offset: u64,
    fat: Fat,
    bitmap: AllocationBitmap,
    upcase: UpcaseTable,
    limits: &'a WalkLimits,
    entries: Vec<ExfatEntry>,
    warnings: Vec<String>,
    /// Clusters used by live files, folders and the volume's own structures.
    claimed: ClusterSet,
    owners: Vec<(Run, Owner)>,
    visited_dirs: HashSet<u32>,
    entry_count: u64,
    directory_bytes_read: u64,
    out_of_entries: bool,
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/{name}")
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "the root folder"
    } else {
        path
    }
}

fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

impl<R: Read + Seek> Walker<'_, R> {
    fn cluster_bytes(&self) -> u64 {
        self.boot.cluster_bytes as u64
    }

    /// Absolute extents covering the first `bytes` of `runs`.
    fn extents(&self, runs: &[Run], bytes: u64) -> Vec<Extent> {
        let mut left = bytes;
        let mut out = Vec::with_capacity(runs.len());
        for run in runs {
            if left == 0 {
                break;
            }
            let len = (run.len as u64 * self.cluster_bytes()).min(left);
            out.push(Extent {
                offset: self.offset + self.boot.cluster_offset(run.start),
                bytes: len,
            });
            left -= len;
        }
        out
    }

    /// Reads `len` bytes laid out over `runs`, one direct read per run. On a read error, returns
    /// what was read and the error.
    fn read_runs(&mut self, runs: &[Run], len: u64) -> (Vec<u8>, Option<io::Error>) {
        let mut bytes = Vec::new();
        for extent in self.extents(runs, len) {
            // Never allocate for bytes the image does not have.
            if extent.offset.saturating_add(extent.bytes) > self.reader.len() {
                let e = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the image ends before these clusters: it is truncated",
                );
                return (bytes, Some(e));
            }
            let start = bytes.len();
            bytes.resize(start + extent.bytes as usize, 0);
            if let Err(e) = self.reader.read_direct(extent.offset, &mut bytes[start..]) {
                bytes.truncate(start);
                return (bytes, Some(e));
            }
        }
        (bytes, None)
    }

    /// Marks `runs` as used by `owner`, warning on both sides when already used.
    fn claim(&mut self, runs: &[Run], owner: Owner) {
        for run in runs {
            if let Some(hit) = self.claimed.first_in(run.start, run.len as u64) {
                let other = self
                    .owners
                    .iter()
                    .find(|(r, _)| r.start <= hit && (hit - r.start) < r.len)
                    .map(|(_, o)| *o);
                let name = |w: &Self, o: Owner| match o {
                    Owner::Entry(i) => w.entries.get(i).map_or("?".into(), |e| e.path.clone()),
                    Owner::Volume(what) => what.to_string(),
                };
                let (a, b) = (
                    name(self, owner),
                    other.map_or("?".into(), |o| name(self, o)),
                );
                for (side, partner) in [(Some(owner), &b), (other, &a)] {
                    let text = format!(
                        "shares cluster {hit} with {partner} (cross-linked): one of them is damaged"
                    );
                    match side {
                        Some(Owner::Entry(i)) => {
                            if let Some(e) = self.entries.get_mut(i) {
                                e.warnings.push(text);
                            }
                        }
                        Some(Owner::Volume(what)) => self.warnings.push(format!("{what} {text}")),
                        None => {}
                    }
                }
            }
            self.claimed.insert_range(run.start, run.len as u64);
            if self.owners.len() < MAX_OWNERS {
                self.owners.push((*run, owner));
            }
        }
    }

    /// The chain of a volume structure (bitmap, up-case table) of `len` bytes from `first`.
    /// The FAT describes these; if it is damaged, the contiguous run the Linux driver assumes is
    /// used instead, with a warning.
    fn structure_runs(&mut self, what: &'static str, first: u32, len: u64) -> Vec<Run> {
        let needed = len.div_ceil(self.cluster_bytes());
        let chain = self
            .fat
            .chain(self.reader, first, ChainLength::Exactly(needed));
        let runs = match chain.problem {
            None => chain.runs,
            Some(problem) => {
                let fallback = fat_chain::contiguous(first, needed, self.boot.max_cluster());
                self.warnings.push(format!(
                    "{what}: {}; read as one contiguous run instead",
                    problem.describe()
                ));
                fallback.runs
            }
        };
        self.claim(&runs, Owner::Volume(what));
        runs
    }

    fn load_bitmap(&mut self, first: u32, data_length: u64) -> AllocationBitmap {
        let count = self.boot.cluster_count;
        let needed = AllocationBitmap::bytes_needed(count);
        if data_length > self.boot.capacity_bytes() {
            self.warnings.push(format!(
                "the allocation bitmap claims {data_length} bytes, more than the volume holds; free space and recovery cannot be judged"
            ));
            return AllocationBitmap::unknown();
        }
        if data_length < needed {
            self.warnings.push(format!(
                "the allocation bitmap is shorter than the cluster heap ({data_length} of {needed} bytes): clusters past its end count as in use"
            ));
        }
        let runs = self.structure_runs("the allocation bitmap", first, data_length);
        let (bytes, error) = self.read_runs(&runs, data_length.min(needed));
        if let Some(e) = error {
            self.warnings.push(format!(
                "the allocation bitmap cannot be read completely ({e}): clusters past what was read count as in use"
            ));
        }
        AllocationBitmap::from_bytes(&bytes, count)
    }

    fn load_upcase(&mut self, checksum: u32, first: u32, data_length: u64) -> UpcaseTable {
        if data_length == 0 || data_length > MAX_TABLE_BYTES {
            self.warnings.push(format!(
                "the up-case table's length ({data_length} bytes) is impossible; names are compared by their ASCII letters only"
            ));
            return UpcaseTable::ascii();
        }
        let runs = self.structure_runs("the up-case table", first, data_length);
        let (bytes, error) = self.read_runs(&runs, data_length);
        let parsed = match error {
            Some(e) => Err(format!("it cannot be read ({e})")),
            None => UpcaseTable::parse(&bytes, checksum),
        };
        parsed.unwrap_or_else(|why| {
            self.warnings.push(format!(
                "the up-case table is damaged ({why}); names are compared by their ASCII letters only"
            ));
            UpcaseTable::ascii()
        })
    }

    /// Reads a folder's bytes from its runs, within the per-folder and volume budgets.
    fn directory_bytes(&mut self, runs: &[Run], path: &str) -> Vec<u8> {
        let total: u64 = runs.iter().map(|r| r.len as u64).sum::<u64>() * self.cluster_bytes();
        let left = MAX_TOTAL_DIRECTORY_BYTES.saturating_sub(self.directory_bytes_read);
        if total > left {
            self.warnings.push(format!(
                "folder {}: the volume's folders add up to more than {} MiB; the rest of them was not read",
                shown(path),
                MAX_TOTAL_DIRECTORY_BYTES >> 20
            ));
        }
        let len = total.min(left);
        self.directory_bytes_read += len;
        let (bytes, error) = self.read_runs(runs, len);
        if let Some(e) = error {
            self.warnings.push(format!(
                "folder {} cannot be read completely: {e}",
                shown(path)
            ));
        }
        bytes
    }

    /// The clusters of a sub-folder, or `None` (with a warning on its entry) when it has none
    /// that can be read.
    fn folder_runs(&mut self, set: &FileSet, index: usize, path: &str) -> Option<Vec<Run>> {
        let first = set.first_cluster;
        let warn = |w: &mut Self, text: String| {
            if let Some(e) = w.entries.get_mut(index) {
                e.warnings.push(text);
            }
        };
        if set.data_length == 0 || first == 0 {
            if set.data_length > 0 {
                warn(
                    self,
                    "this folder has a size but no clusters; it cannot be opened".into(),
                );
            }
            return None;
        }
        if first < 2 || first > self.boot.max_cluster() {
            warn(
                self,
                format!(
                    "this folder points outside the volume (cluster {first}) and cannot be opened"
                ),
            );
            return None;
        }
        if !self.visited_dirs.insert(first) {
            warn(
                self,
                "this folder points back at a folder already listed (a directory loop); not followed"
                    .into(),
            );
            return None;
        }
        if set.data_length > SPEC_MAX_DIRECTORY_BYTES {
            warn(
                self,
                format!(
                    "this folder claims {} bytes, more than the 256 MiB exFAT allows",
                    set.data_length
                ),
            );
        }
        if set.data_length > MAX_DIRECTORY_BYTES {
            self.warnings.push(format!(
                "folder {path} is larger than any camera folder; only its first {} MiB were read",
                MAX_DIRECTORY_BYTES >> 20
            ));
        }
        let chain = self.folder_chain(set, false);
        if let Some(problem) = &chain.problem {
            self.warnings.push(format!(
                "folder {path}: {}; its listing may be incomplete",
                problem.describe()
            ));
        }
        if let Some(e) = self.entries.get_mut(index) {
            e.fragments = chain.runs.len() as u32;
        }
        self.claim(&chain.runs, Owner::Entry(index));
        Some(chain.runs)
    }

    /// The clusters of the sub-folder `set` (at most [`MAX_DIRECTORY_BYTES`] of them); with
    /// `peek`, without spending the FAT's budget (see [`Fat::peek_chain`]).
    fn folder_chain(&mut self, set: &FileSet, peek: bool) -> Chain {
        let first = set.first_cluster;
        let needed = set
            .data_length
            .min(MAX_DIRECTORY_BYTES)
            .div_ceil(self.cluster_bytes());
        if set.no_fat_chain {
            return fat_chain::contiguous(first, needed, self.boot.max_cluster());
        }
        let length = if set.data_length > MAX_DIRECTORY_BYTES {
            ChainLength::AtMost(needed)
        } else {
            ChainLength::Exactly(needed)
        };
        let mut chain = if peek {
            self.fat.peek_chain(self.reader, first, length)
        } else {
            self.fat.chain(self.reader, first, length)
        };
        if set.data_length > MAX_DIRECTORY_BYTES {
            chain.problem = chain
                .problem
                .filter(|p| !matches!(p, fat_chain::ChainProblem::TooLong(_)));
        }
        chain
    }

    /// Announces to the reader where the live sub-folders in `items` lie before the
    /// depth-first walk reads them one by one: a browser then fetches them in one joined read
    /// instead of one ~1 ms call each (see [`BlockReader::announce`]). The FAT is only peeked
    /// at, so what is read, and so the listing, does not change.
    fn announce_folders(&mut self, items: &[DirItem]) {
        if !self.reader.wants_announcements() {
            return;
        }
        let max = self.boot.max_cluster();
        // Peeking follows chains without spending the walk's budget: what it may follow is
        // bounded here instead, by the bytes one announcement may name (a chain's peek costs
        // about its length) and by naming each folder once.
        let mut left = MAX_TOTAL_DIRECTORY_BYTES
            .saturating_sub(self.directory_bytes_read)
            .min(MAX_ANNOUNCED_BYTES);
        let mut seen = HashSet::new();
        let mut ranges = Vec::new();
        for item in items {
            if left == 0 {
                break;
            }
            let DirItem::File(set) = item else { continue };
            let first = set.first_cluster;
            if set.deleted
                || !set.is_dir()
                || set.data_length == 0
                || !(2..=max).contains(&first)
                || self.visited_dirs.contains(&first)
                || !seen.insert(first)
            {
                continue;
            }
            let runs = self.folder_chain(set, true).runs;
            let len = runs.iter().map(|r| r.len as u64).sum::<u64>() * self.cluster_bytes();
            let len = len.min(left);
            left -= len;
            ranges.extend(self.extents(&runs, len).iter().map(|e| (e.offset, e.bytes)));
        }
        self.reader.announce(&ranges);
    }

    /// Lists one folder's items (already parsed) under `path`, recursing into sub-folders.
    fn list(&mut self, items: Vec<DirItem>, path: &str, depth: u32) {
        let mut names_seen: HashSet<Vec<u16>> = HashSet::new();
        for item in items {
            let DirItem::File(set) = item else { continue };
            if self.out_of_entries {
                return;
            }
            if self.entry_count >= self.limits.max_entries {
                self.warnings.push(format!(
                    "more than {} entries: the rest of the volume was not listed",
                    self.limits.max_entries
                ));
                self.out_of_entries = true;
                return;
            }
            self.entry_count += 1;
            if set.deleted {
                self.add_deleted(path, set);
            } else {
                let mut set = set;
                let key = self.upcase.upcase_name(&set.name_units);
                if self.upcase.name_hash(&set.name_units) != set.name_hash {
                    set.warnings
                        .push("its name hash does not match its name (a damaged entry)".into());
                }
                if !names_seen.insert(key) {
                    set.warnings.push(
                        "another entry in this folder has the same name (ignoring case), which exFAT forbids"
                            .into(),
                    );
                }
                self.add_live(path, set, depth);
            }
        }
    }

    fn walk(&mut self, runs: &[Run], path: &str, depth: u32) {
        if depth > self.limits.max_depth {
            self.warnings.push(format!(
                "folder {path} is nested deeper than {} levels and was skipped",
                self.limits.max_depth
            ));
            return;
        }
        let bytes = self.directory_bytes(runs, path);
        let parsed = parse_directory(&bytes, false);
        drop(bytes);
        for w in parsed.warnings {
            self.warnings.push(format!("folder {path}: {w}"));
        }
        self.announce_folders(&parsed.items);
        self.list(parsed.items, path, depth);
    }

    fn entry_base(&self, parent: &str, set: &FileSet) -> ExfatEntry {
        let name = set.name();
        ExfatEntry {
            path: join(parent, &name),
            name,
            is_dir: set.is_dir(),
            bytes: if set.is_dir() { 0 } else { set.data_length },
            valid_bytes: 0,
            created: set.created.map(|t| t.local),
            created_utc_offset_s: set.created.and_then(|t| t.utc_offset_s),
            modified: set.modified.map(|t| t.local),
            modified_utc_offset_s: set.modified.and_then(|t| t.utc_offset_s),
            deleted: set.deleted,
            recoverable: None,
            read_only: set.read_only(),
            first_cluster: set.first_cluster,
            no_fat_chain: set.no_fat_chain,
            extents: Vec::new(),
            fragments: 0,
            warnings: set.warnings.clone(),
        }
    }

    /// The clusters a file's data occupies, with a warning for every way they are broken.
    fn file_chain(&mut self, set: &FileSet, warnings: &mut Vec<String>) -> Chain {
        let length = set.data_length;
        if length == 0 || set.unrecognized_critical {
            return Chain::default();
        }
        if !set.allocation_possible {
            warnings.push("its stream says no clusters may be allocated, yet it has a size".into());
            return Chain::default();
        }
        if length > self.boot.capacity_bytes() {
            warnings.push(format!(
                "its size ({length} bytes) is larger than the whole volume; its data cannot be located"
            ));
            return Chain::default();
        }
        if set.first_cluster == 0 {
            warnings.push("it has a size but no clusters: its data is lost".into());
            return Chain::default();
        }
        let needed = length.div_ceil(self.cluster_bytes());
        let chain = if set.no_fat_chain {
            fat_chain::contiguous(set.first_cluster, needed, self.boot.max_cluster())
        } else {
            self.fat
                .chain(self.reader, set.first_cluster, ChainLength::Exactly(needed))
        };
        if let Some(problem) = &chain.problem {
            warnings.push(problem.describe());
        }
        chain
    }

    fn add_live(&mut self, parent: &str, set: FileSet, depth: u32) {
        let mut entry = self.entry_base(parent, &set);
        let index = self.entries.len();
        if set.is_dir() {
            let path = entry.path.clone();
            self.entries.push(entry);
            if let Some(runs) = self.folder_runs(&set, index, &path) {
                self.walk(&runs, &path, depth + 1);
            }
            return;
        }
        let chain = self.file_chain(&set, &mut entry.warnings);
        let valid = if set.valid_data_length > set.data_length {
            entry.warnings.push(format!(
                "its valid length ({}) exceeds its size; only its size is read",
                set.valid_data_length
            ));
            set.data_length
        } else {
            set.valid_data_length
        };
        entry.extents = self.extents(&chain.runs, valid);
        // The valid length stays as recorded: bytes the extents miss are lost, not zeros.
        entry.valid_bytes = valid;
        let found: u64 = entry.extents.iter().map(|e| e.bytes).sum();
        if found < valid && !chain.runs.is_empty() {
            entry.warnings.push(format!(
                "only the first {found} of its {valid} written bytes can be read"
            ));
        }
        entry.fragments = chain.runs.len() as u32;
        if let Some(free) = chain
            .runs
            .iter()
            .find_map(|r| self.bitmap.first_free_in(r.start, r.len as u64))
        {
            entry.warnings.push(format!(
                "cluster {free} of it is marked free in the allocation bitmap: a new recording may overwrite it"
            ));
        }
        self.entries.push(entry);
        self.claim(&chain.runs, Owner::Entry(index));
    }

    /// A deleted file's clusters, when every one is still free; `None` (with the reason in
    /// `warnings` where there is one worth telling) when it cannot be recovered.
    fn recoverable_runs(&mut self, set: &FileSet, warnings: &mut Vec<String>) -> Option<Vec<Run>> {
        if set.is_dir() || !set.checksum_ok || set.unrecognized_critical {
            return None;
        }
        if set.data_length == 0 {
            return Some(Vec::new());
        }
        let first = set.first_cluster;
        if first < 2
            || first > self.boot.max_cluster()
            || set.data_length > self.boot.capacity_bytes()
        {
            return None;
        }
        let needed = set.data_length.div_ceil(self.cluster_bytes());
        let runs = if set.no_fat_chain {
            fat_chain::contiguous(first, needed, self.boot.max_cluster()).runs
        } else {
            let chain = self
                .fat
                .chain(self.reader, first, ChainLength::Exactly(needed));
            match chain.problem {
                None => chain.runs,
                Some(_) if matches!(self.fat.entry(self.reader, first), Ok(0)) => {
                    // The chain was cleared (as FAT drivers do): assume it was contiguous.
                    warnings.push(
                        "its FAT chain was cleared; recovery assumes its clusters were contiguous"
                            .into(),
                    );
                    fat_chain::contiguous(first, needed, self.boot.max_cluster()).runs
                }
                Some(problem) => {
                    warnings.push(format!(
                        "not recoverable: {} (clusters were reused since it was deleted)",
                        problem.describe()
                    ));
                    return None;
                }
            }
        };
        let whole = runs.iter().map(|r| r.len as u64).sum::<u64>() == needed;
        let free = runs
            .iter()
            .all(|r| self.bitmap.all_free(r.start, r.len as u64));
        (whole && free).then_some(runs)
    }

    fn add_deleted(&mut self, parent: &str, set: FileSet) {
        let mut entry = self.entry_base(parent, &set);
        let runs = self.recoverable_runs(&set, &mut entry.warnings);
        entry.recoverable = Some(runs.is_some());
        // As recorded, recoverable or not (a lost file's bytes are gone either way).
        entry.valid_bytes = set.valid_data_length.min(entry.bytes);
        if let Some(runs) = runs {
            entry.extents = self.extents(&runs, entry.valid_bytes);
            entry.fragments = runs.len() as u32;
        }
        self.entries.push(entry);
    }
}

/// See [`super::read_volume`].
pub fn read_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    partition_offset: u64,
    partition_bytes: u64,
    limits: &WalkLimits,
) -> Result<ExfatListing, ExfatError> {
    let mut warnings = Vec::new();
    let boot = boot_region::read(reader, partition_offset, &mut warnings)?;
    if boot.revision.0 != 1 {
        return Err(ExfatError::UnsupportedRevision(
            boot.revision.0,
            boot.revision.1,
        ));
    }
    let volume_end = partition_offset.saturating_add(boot.volume_bytes);
    if volume_end > reader.len() {
        warnings.push(format!(
            "the image is truncated: the volume needs {} bytes but the image ends {} bytes early; files stored in the missing part cannot be read",
            boot.volume_bytes,
            volume_end - reader.len()
        ));
    }
    if partition_bytes > 0 && boot.volume_bytes > partition_bytes {
        warnings.push(format!(
            "the volume ({} bytes) is larger than its partition ({partition_bytes} bytes)",
            boot.volume_bytes
        ));
    }
    if boot.dirty {
        warnings.push(
            "the volume is marked dirty: it was not unmounted cleanly (power lost while recording?), so the last files written may be incomplete"
                .into(),
        );
    }
    if boot.media_failure {
        warnings
            .push("the volume records that the card has reported read or write failures".into());
    }
    let count = boot.cluster_count;
    // Per-cluster state is sized by the clusters the image can reach — whose data or FAT entry
    // lies inside it — so a tiny image claiming 4 billion clusters costs no gigabytes.
    let fat_start = partition_offset + boot.active_fat_offset();
    let heap_start = partition_offset + boot.heap_offset;
    let in_fat = reader.len().saturating_sub(fat_start) / 4;
    let in_heap = reader.len().saturating_sub(heap_start) / boot.cluster_bytes as u64;
    let tracked = in_fat.max(in_heap).min(count as u64) as u32;
    // Legitimate chains visit each cluster about once; deleted files' chains may revisit some.
    let budget = 4 * (tracked as u64 + 2) + (1 << 20);
    let mut walker = Walker {
        reader,
        fat: Fat::new(fat_start, count, tracked, budget),
        bitmap: AllocationBitmap::unknown(),
        upcase: UpcaseTable::ascii(),
        offset: partition_offset,
        limits,
        entries: Vec::new(),
        warnings: Vec::new(),
        claimed: ClusterSet::new(tracked),
        owners: Vec::new(),
        visited_dirs: HashSet::new(),
        entry_count: 0,
        directory_bytes_read: 0,
        out_of_entries: false,
        boot,
    };

    let root = walker.boot.root_cluster;
    walker.visited_dirs.insert(root);
    let max_root = MAX_DIRECTORY_BYTES / walker.cluster_bytes();
    let root_chain = walker
        .fat
        .chain(walker.reader, root, ChainLength::AtMost(max_root.max(1)));
    if let Some(problem) = &root_chain.problem {
        walker.warnings.push(format!(
            "the root folder: {}; its listing may be incomplete",
            problem.describe()
        ));
    }
    walker.claim(&root_chain.runs, Owner::Volume("the root folder"));
    let bytes = walker.directory_bytes(&root_chain.runs, "");
    let parsed = parse_directory(&bytes, true);
    drop(bytes);
    for w in parsed.warnings {
        walker.warnings.push(format!("the root folder: {w}"));
    }

    let mut label = None;
    let mut guid = None;
    let mut bitmap = None;
    let mut upcase = None;
    for item in &parsed.items {
        match *item {
            DirItem::VolumeLabel(ref l) => label = label.or(Some(l.clone())),
            DirItem::VolumeGuid(ref g) => guid = guid.or(Some(guid_text(g))),
            DirItem::AllocationBitmap {
                which,
                first_cluster,
                data_length,
            } if which == walker.boot.active_fat => {
                bitmap = bitmap.or(Some((first_cluster, data_length)));
            }
            DirItem::UpcaseTable {
                checksum,
                first_cluster,
                data_length,
            } => upcase = upcase.or(Some((checksum, first_cluster, data_length))),
            _ => {}
        }
    }
    match bitmap {
        Some((first, len)) => walker.bitmap = walker.load_bitmap(first, len),
        None => walker.warnings.push(
            "the root folder has no allocation bitmap entry: free space is unknown and no deleted file can be judged recoverable"
                .into(),
        ),
    }
    match upcase {
        Some((sum, first, len)) => walker.upcase = walker.load_upcase(sum, first, len),
        None => walker.warnings.push(
            "the root folder has no up-case table entry; names are compared by their ASCII letters only"
                .into(),
        ),
    }
    walker.announce_folders(&parsed.items);
    walker.list(parsed.items, "", 0);

    warnings.append(&mut walker.warnings);
    let boot = &walker.boot;
    let volume = ExfatVolumeInfo {
        partition_offset,
        volume_bytes: boot.volume_bytes,
        sector_bytes: boot.sector_bytes,
        cluster_bytes: boot.cluster_bytes,
        cluster_count: boot.cluster_count,
        capacity_bytes: boot.capacity_bytes(),
        free_bytes: walker.bitmap.free_clusters() * boot.cluster_bytes as u64,
        percent_in_use: boot.percent_in_use,
        label: label.flatten(),
        serial: boot.serial,
        volume_guid: guid,
        revision: format!("{}.{:02}", boot.revision.0, boot.revision.1),
        fat_count: boot.fat_count,
        active_fat: boot.active_fat,
        fat_offset: partition_offset + boot.active_fat_offset(),
        fat_bytes: boot.fat_bytes,
        data_offset: partition_offset + boot.heap_offset,
        root_cluster: boot.root_cluster,
        dirty: boot.dirty,
        media_failure: boot.media_failure,
        boot_region: boot.copy,
    };
    Ok(ExfatListing {
        volume,
        entries: walker.entries,
        warnings,
    })
}
