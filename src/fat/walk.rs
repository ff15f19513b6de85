//! The directory walk: the raw entries and `fatfs` side by side, directory by directory.
//!
//! For each directory the walk first validates its cluster chain (so `fatfs` is never handed a
//! looping chain), reads and decodes its raw entries (live and deleted, with first clusters),
//! and `fatfs` lists the same directory. The two readings are paired **by position**: `fatfs`
//! yields, in disk order, every live short entry but the volume label ("." and ".." included),
//! so its k-th entry is the raw entry with [`RawEntry::fatfs_position`] k. The 8.3 names must
//! agree at every pair; where they do not, the rest of that folder comes from the raw entries
//! alone. Sizes and times come from `fatfs`; names, clusters, extents, deleted entries and
//! recovery verdicts from the raw layer. Names are decoded here rather than by `fatfs`, which
//! turns lone surrogates and every 8.3 byte above 0x7F into U+FFFD (merging different names)
//! and keeps a NUL inside a long name (see [`super::names`]).
//!
//! Deleted folders are walked too, while their clusters still hold them (see
//! [`super::deleted`]): everything listed inside one is deleted.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Seek};

use chrono::{NaiveDate, NaiveDateTime};
use fatfs::{FsOptions, ReadWriteSeek};

use crate::block_reader::{BlockReader, MAX_ANNOUNCED_BYTES};
use crate::extent::Extent;

use super::boot_sector::{FatType, Geometry};
use super::cross_links::ClaimedClusters;
use super::deleted::{self, FolderGone};
use super::dir_entry::ENTRY_BYTES;
use super::fatfs_io::{DirCache, FatfsIo};
use super::folder_names::FolderNames;
use super::names;
use super::raw_dir::{RawEntry, parse_directory, starts_with_dot_entries};
use super::recovery::recover;
use super::table::{FatTable, Run};
use super::{Entry, FatError, VolumeInfo, VolumeListing, WalkLimits};

/// A directory larger than this is damage (the FAT limit is 65,536 entries = 2 MiB).
const MAX_DIRECTORY_BYTES: u64 = 4 * 1024 * 1024;

/// What `fatfs` says about one entry it lists.
struct FatfsEntry<'a, T: ReadWriteSeek> {
    short_key: Vec<u8>,
    bytes: u64,
    created: Option<NaiveDateTime>,
    modified: Option<NaiveDateTime>,
    dir: Option<fatfs::Dir<'a, T>>,
}

fn fatfs_time(t: fatfs::DateTime) -> Option<NaiveDateTime> {
    // A zero date (never set) decodes to 1980-00-00 in fatfs: unknown.
    if t.date.month == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(t.date.year as i32, t.date.month as u32, t.date.day as u32)?
        .and_hms_milli_opt(
            t.time.hour as u32,
            t.time.min as u32,
            (t.time.sec as u32).min(59),
            t.time.millis as u32,
        )
}

/// A directory as `fatfs` lists it, in its order; at most `bound` entries are taken.
fn fatfs_listing<'a, T: ReadWriteSeek>(
    dir: &fatfs::Dir<'a, T>,
    bound: usize,
) -> Result<Vec<Option<FatfsEntry<'a, T>>>, std::io::Error> {
    let mut out = Vec::new();
    for item in dir.iter().take(bound) {
        let e = item?;
        out.push(Some(FatfsEntry {
            short_key: e.short_file_name_as_bytes().to_vec(),
            bytes: e.len(),
            created: fatfs_time(e.created()),
            modified: fatfs_time(e.modified()),
            dir: e.is_dir().then(|| e.to_dir()),
        }));
    }
    Ok(out)
}

/// Where a directory's entries are.
#[derive(Clone, Copy)]
enum DirLocation {
    /// The fixed root directory of FAT12/16.
    FixedRoot,
    /// A cluster chain (FAT32 root, every subdirectory).
    Chain(u32),
}

/// A directory's bytes and where each part of them lies in the image.
struct DirectoryBytes {
    bytes: Vec<u8>,
    /// (image offset, length) of each run read, in order.
    ranges: Vec<(u64, u64)>,
    /// The chain was whole: `fatfs` may follow it too.
    sound: bool,
}

impl DirectoryBytes {
    /// Image offset of the entry in `slot`.
    fn slot_offset(&self, slot: usize) -> u64 {
        let mut at = (slot * ENTRY_BYTES) as u64;
        for &(offset, len) in &self.ranges {
            if at < len {
                return offset + at;
            }
            at -= len;
        }
        0
    }
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "the root folder"
    } else {
        path
    }
}

struct Walker<'w, 'r, R> {
    reader: &'w RefCell<&'r mut BlockReader<R>>,
    geometry: &'w Geometry,
    table: &'w FatTable,
    offset: u64,
    limits: &'w WalkLimits,
    entries: Vec<Entry>,
    warnings: Vec<String>,
    claimed: ClaimedClusters,
    visited_dirs: HashSet<u32>,
    /// First clusters of the deleted folders walked (apart from `visited_dirs`: a live folder
    /// may have reused a deleted one's cluster, and must still be walked).
    visited_deleted_dirs: HashSet<u32>,
    entry_count: u64,
    root_label: Option<String>,
    /// Directory bytes read here, kept for `fatfs` to re-read without I/O.
    dir_cache: &'w RefCell<DirCache>,
}

impl<R: Read + Seek> Walker<'_, '_, R> {
    fn extents(&self, runs: &[Run], bytes: u64) -> Vec<Extent> {
        let cluster = self.geometry.cluster_bytes as u64;
        let mut left = bytes;
        let mut out = Vec::with_capacity(runs.len());
        for run in runs {
            if left == 0 {
                break;
            }
            let len = (run.len as u64 * cluster).min(left);
            out.push(Extent {
                offset: self.offset + self.geometry.cluster_offset(run.start),
                bytes: len,
            });
            left -= len;
        }
        out
    }

    /// Where a directory on `runs` lies: (image offset, length) of each run, at most
    /// [`MAX_DIRECTORY_BYTES`] in all (true when that cut it short).
    fn directory_ranges(&self, runs: &[Run]) -> (Vec<(u64, u64)>, bool) {
        let cluster = self.geometry.cluster_bytes as u64;
        let mut total = 0u64;
        let mut ranges = Vec::with_capacity(runs.len());
        for run in runs {
            let len = run.len as u64 * cluster;
            let at = self.offset + self.geometry.cluster_offset(run.start);
            if total + len > MAX_DIRECTORY_BYTES {
                ranges.push((at, MAX_DIRECTORY_BYTES - total));
                return (ranges, true);
            }
            ranges.push((at, len));
            total += len;
        }
        (ranges, false)
    }

    /// Announces to the reader where the folders in `entries` lie (a live folder's runs, a
    /// deleted one's first cluster) before the depth-first walk reads them one by one: a
    /// browser then fetches them in one joined read instead of one ~1 ms call each (see
    /// [`BlockReader::announce`]). What is read, and so the listing, does not change.
    fn announce_folders(&self, entries: &[RawEntry]) {
        if !self.reader.borrow().wants_announcements() {
            return;
        }
        let max = self.geometry.max_cluster();
        let cluster = self.geometry.cluster_bytes as u64;
        // A folder is read up to MAX_DIRECTORY_BYTES: its chain is followed no further here.
        let clusters = MAX_DIRECTORY_BYTES.div_ceil(cluster.max(1));
        let mut ranges = Vec::new();
        let mut total = 0u64;
        // Entries naming a folder already announced here (a hostile card's) add nothing.
        let mut seen = HashSet::new();
        for e in entries.iter().filter(|e| e.is_dir()) {
            let first = e.entry.first_cluster;
            if !(2..=max).contains(&first) || !seen.insert((first, e.deleted)) {
                continue;
            }
            if total >= MAX_ANNOUNCED_BYTES {
                break;
            }
            if !e.deleted {
                if !self.visited_dirs.contains(&first) {
                    let chain = self.table.chain(first, Some(clusters));
                    let (folder, _) = self.directory_ranges(&chain.runs);
                    total += folder.iter().map(|r| r.1).sum::<u64>();
                    ranges.extend(folder);
                }
            } else if !self.visited_deleted_dirs.contains(&first)
                && let Ok(run) =
                    deleted::folder_run(first, self.geometry, self.table, MAX_DIRECTORY_BYTES)
            {
                ranges.push((
                    self.offset + self.geometry.cluster_offset(run.start),
                    cluster,
                ));
                total += cluster;
            }
        }
        self.reader.borrow_mut().announce(&ranges);
    }

    /// Reads a directory's bytes (with a warning for what cannot be read).
    fn directory_bytes(&mut self, location: DirLocation, path: &str) -> DirectoryBytes {
        let (ranges, sound): (Vec<(u64, u64)>, bool) = match location {
            DirLocation::FixedRoot => (
                vec![(
                    self.offset + self.geometry.root_dir_offset,
                    self.geometry.root_dir_bytes,
                )],
                true,
            ),
            DirLocation::Chain(first) => {
                let chain = self.table.chain(first, None);
                if let Some(problem) = &chain.problem {
                    self.warnings.push(format!(
                        "folder {}: {}; its listing may be incomplete",
                        shown(path),
                        problem.describe()
                    ));
                }
                let (ranges, cut) = self.directory_ranges(&chain.runs);
                if cut {
                    self.warnings.push(format!(
                        "folder {} is larger than any real FAT folder; only its first {} MiB were read",
                        shown(path),
                        MAX_DIRECTORY_BYTES / (1024 * 1024)
                    ));
                }
                (ranges, chain.problem.is_none())
            }
        };
        let mut bytes = Vec::new();
        let mut read = Vec::new();
        let mut reader = self.reader.borrow_mut();
        for (at, len) in ranges {
            let start = bytes.len();
            bytes.resize(start + len as usize, 0);
            // One exact read per run: folders are scattered, and a cached block around each
            // would read 8 times their size on a card with 32 KiB clusters.
            if let Err(e) = reader.read_direct(at, &mut bytes[start..]) {
                bytes.truncate(start);
                self.warnings.push(format!(
                    "folder {} cannot be read completely: {e}",
                    shown(path)
                ));
                return DirectoryBytes {
                    bytes,
                    ranges: read,
                    sound: false,
                };
            }
            self.dir_cache.borrow_mut().insert(at, &bytes[start..]);
            read.push((at, len));
        }
        DirectoryBytes {
            bytes,
            ranges: read,
            sound,
        }
    }

    fn walk<T: ReadWriteSeek>(
        &mut self,
        location: DirLocation,
        path: &str,
        depth: u32,
        fatfs_dir: Option<fatfs::Dir<'_, T>>,
    ) {
        if depth > self.limits.max_depth {
            self.warnings.push(format!(
                "folder {path} is nested deeper than {} levels and was skipped",
                self.limits.max_depth
            ));
            return;
        }
        let dir = self.directory_bytes(location, path);
        if depth > 0 && !dir.bytes.is_empty() && !starts_with_dot_entries(&dir.bytes) {
            self.warnings.push(format!(
                "folder {path} does not start with its \".\" and \"..\" entries (a damaged folder)"
            ));
        }
        let raw = parse_directory(&dir.bytes);
        self.announce_folders(&raw.entries);
        if depth == 0 {
            self.root_label = raw.label.clone();
        }
        // fatfs only for a directory whose chain is sound; otherwise it could loop.
        let mut from_fatfs = match fatfs_dir.filter(|_| dir.sound) {
            Some(d) => match fatfs_listing(&d, raw.entries.len() + 16) {
                Ok(list) => list,
                Err(e) => {
                    self.warnings.push(format!(
                        "folder {}: the FAT driver failed to list it ({e}); showing the raw entries",
                        if path.is_empty() { "/" } else { path }
                    ));
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        let mut paired = true;
        let mut folder_names = FolderNames::default();
        let folder_start = self.entries.len();
        for entry in raw.entries {
            if self.entry_count >= self.limits.max_entries {
                self.warnings.push(format!(
                    "more than {} entries: the rest of the volume was not listed",
                    self.limits.max_entries
                ));
                return;
            }
            self.entry_count += 1;
            let entry_offset = dir.slot_offset(entry.slot);
            if entry.deleted {
                self.add_deleted(path, &entry, entry_offset, depth);
                continue;
            }
            let mut found = None;
            if let Some(k) = entry.fatfs_position.filter(|_| paired) {
                match from_fatfs.get_mut(k).and_then(Option::take) {
                    Some(f) if f.short_key == entry.short_key => found = Some(f),
                    Some(f) => {
                        paired = false;
                        self.warnings.push(format!(
                            "folder {}: the FAT driver lists {} where the directory holds {} (entry {}); the rest of it is shown from the raw entries",
                            shown(path),
                            names::short_name(&f.short_key, false, false),
                            names::short_name(&entry.short_key, false, false),
                            k + 1
                        ));
                    }
                    None => {}
                }
            }
            let index = self.entries.len();
            self.add_live(path, &entry, entry_offset, found, depth);
            let mut problems =
                folder_names.problems(&self.entries, folder_start, index, &entry.entry.name);
            if let Some(e) = self.entries.get_mut(index) {
                e.warnings.append(&mut problems);
            }
        }
    }

    fn child_path(parent: &str, name: &str) -> String {
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        }
    }

    /// Lists a deleted entry — if it is plausibly one (see [`deleted::plausible`]) — and, for a
    /// deleted folder, what it still holds.
    fn add_deleted(&mut self, parent: &str, raw: &RawEntry, entry_offset: u64, depth: u32) {
        if !deleted::plausible(&raw.entry, !raw.deleted, self.geometry) {
            return;
        }
        let name = raw.display_name();
        let bytes = raw.entry.size as u64;
        let first = raw.entry.first_cluster;
        let verdict = recover(raw.is_dir(), bytes, first, self.geometry, self.table);
        let extents = self.extents(&verdict.runs, bytes);
        let path = Self::child_path(parent, &name);
        self.entries.push(Entry {
            path: path.clone(),
            name,
            short_name: names::short_name(&raw.short_key, false, false),
            is_dir: raw.is_dir(),
            bytes,
            created: raw.entry.created(),
            modified: raw.entry.modified(),
            deleted: true,
            recoverable: Some(verdict.recoverable),
            first_cluster: first,
            fragments: verdict.runs.len() as u32,
            extents,
            warnings: Vec::new(),
            entry_offset,
            read_only: raw.entry.attributes & super::dir_entry::ATTR_READ_ONLY != 0,
        });
        if raw.is_dir() {
            self.walk_deleted_folder(first, &path, depth + 1);
        }
    }

    /// Lists what a deleted folder starting at `first` still holds: its clusters taken
    /// contiguously while free, up to the end marker, and only while the first one still
    /// holds the folder. Every entry in it is deleted, whatever its first byte says.
    fn walk_deleted_folder(&mut self, first: u32, path: &str, depth: u32) {
        if depth > self.limits.max_depth || !self.visited_deleted_dirs.insert(first) {
            return;
        }
        let run = match deleted::folder_run(first, self.geometry, self.table, MAX_DIRECTORY_BYTES) {
            Ok(run) => run,
            Err(gone) => {
                self.warnings.push(gone.describe(path));
                return;
            }
        };
        let cluster = self.geometry.cluster_bytes as usize;
        let start = self.offset + self.geometry.cluster_offset(run.start);
        let mut bytes: Vec<u8> = Vec::new();
        let mut ended = false;
        for i in 0..run.len as usize {
            let mut chunk = vec![0u8; cluster];
            let at = start + (i * cluster) as u64;
            if self
                .reader
                .borrow_mut()
                .read_direct(at, &mut chunk)
                .is_err()
            {
                break;
            }
            if i == 0 && !deleted::still_holds_folder(&chunk, first) {
                self.warnings.push(FolderGone::Overwritten.describe(path));
                return;
            }
            // Another folder's first cluster: this one ended before it.
            if i > 0 && deleted::dot_entry_cluster(&chunk).is_some() {
                ended = true;
                break;
            }
            ended = chunk.chunks_exact(ENTRY_BYTES).any(|slot| slot[0] == 0);
            bytes.extend_from_slice(&chunk);
            if ended {
                break;
            }
        }
        if !ended {
            self.warnings.push(format!(
                "deleted folder {path}: only its first {} cluster(s) could be read (the next is in use again or unreadable), so what it listed may be incomplete",
                bytes.len() / cluster
            ));
        }
        for entry in parse_directory(&bytes).entries {
            if self.entry_count >= self.limits.max_entries {
                return;
            }
            self.entry_count += 1;
            let entry_offset = start + (entry.slot * ENTRY_BYTES) as u64;
            self.add_deleted(path, &entry, entry_offset, depth);
        }
    }

    fn add_live<T: ReadWriteSeek>(
        &mut self,
        parent: &str,
        raw: &RawEntry,
        entry_offset: u64,
        from_fatfs: Option<FatfsEntry<'_, T>>,
        depth: u32,
    ) {
        let mut warnings = Vec::new();
        let name = raw.display_name();
        let (bytes, created, modified, fatfs_dir) = match from_fatfs {
            Some(f) => (f.bytes, f.created, f.modified, f.dir),
            None => (
                raw.entry.size as u64,
                raw.entry.created(),
                raw.entry.modified(),
                None,
            ),
        };
        let path = Self::child_path(parent, &name);
        let first = raw.entry.first_cluster;
        let index = self.entries.len();
        let short_name = names::short_name(&raw.short_key, false, false);
        if raw.is_dir() {
            self.entries.push(Entry {
                path: path.clone(),
                name,
                short_name,
                is_dir: true,
                bytes: 0,
                created,
                modified,
                deleted: false,
                recoverable: None,
                first_cluster: first,
                extents: Vec::new(),
                fragments: 0,
                warnings,
                entry_offset,
                read_only: raw.entry.attributes & super::dir_entry::ATTR_READ_ONLY != 0,
            });
            if first < 2 || first > self.geometry.max_cluster() {
                self.entries[index].warnings.push(format!(
                    "this folder points outside the volume (cluster {first}) and cannot be opened"
                ));
                return;
            }
            let root_cluster =
                (self.geometry.fat_type == FatType::Fat32).then_some(self.geometry.root_cluster);
            if !self.visited_dirs.insert(first) || root_cluster == Some(first) {
                self.entries[index]
                    .warnings
                    .push("this folder points back at a folder already listed (a directory loop); not followed".to_string());
                return;
            }
            let chain = self.table.chain(first, None);
            self.claimed.claim(&chain.runs, index, &mut self.entries);
            self.entries[index].fragments = chain.runs.len() as u32;
            self.walk(DirLocation::Chain(first), &path, depth + 1, fatfs_dir);
            return;
        }
        let cluster = self.geometry.cluster_bytes as u64;
        let needed = bytes.div_ceil(cluster);
        let mut runs = Vec::new();
        if bytes > 0 {
            if first < 2 {
                warnings.push("it has a size but no clusters: its data is lost".to_string());
            } else {
                let chain = self.table.chain(first, Some(needed));
                if let Some(problem) = &chain.problem {
                    warnings.push(problem.describe());
                }
                runs = chain.runs;
            }
        }
        let extents = self.extents(&runs, bytes);
        let covered: u64 = extents.iter().map(|e| e.bytes).sum();
        if covered < bytes && !runs.is_empty() {
            warnings.push(format!(
                "only the first {covered} of its {bytes} bytes can be read"
            ));
        }
        self.entries.push(Entry {
            path,
            name,
            short_name,
            is_dir: false,
            bytes,
            created,
            modified,
            deleted: false,
            recoverable: None,
            first_cluster: first,
            fragments: runs.len() as u32,
            extents,
            warnings,
            entry_offset,
            read_only: raw.entry.attributes & super::dir_entry::ATTR_READ_ONLY != 0,
        });
        self.claimed.claim(&runs, index, &mut self.entries);
    }
}

/// See [`super::read_volume`].
pub fn read_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    partition_offset: u64,
    partition_bytes: u64,
    limits: &WalkLimits,
) -> Result<VolumeListing, FatError> {
    let mut sector = [0u8; 512];
    reader
        .read_at(partition_offset, &mut sector)
        .map_err(|e| FatError::from_io(e, "boot sector"))?;
    let geometry = Geometry::parse(&sector)?;
    let mut warnings = geometry.warnings.clone();
    let volume_end = partition_offset.saturating_add(geometry.volume_bytes);
    if volume_end > reader.len() {
        warnings.push(format!(
            "the image is truncated: the volume needs {} bytes but the image ends {} bytes early; files stored in the missing part cannot be read",
            geometry.volume_bytes,
            volume_end - reader.len()
        ));
    }
    if partition_bytes > 0 && geometry.volume_bytes > partition_bytes {
        warnings.push(format!(
            "the volume ({} bytes) is larger than its partition ({partition_bytes} bytes)",
            geometry.volume_bytes
        ));
    }
    let table = FatTable::read(reader, partition_offset, &geometry)
        .map_err(|e| FatError::from_io(e, "file allocation table"))?;
    warnings.extend(super::volume_flags::warnings(
        geometry.fat_type,
        geometry.media,
        table.reserved_entries(),
    ));
    let fsinfo_free_clusters = super::fsinfo::free_clusters(reader, partition_offset, &geometry);

    let cell = RefCell::new(reader);
    let dir_cache = RefCell::new(DirCache::default());
    let io = FatfsIo::new(&cell, partition_offset, geometry.volume_bytes)
        .with_shortcuts(&table, &geometry, &dir_cache);
    // fatfs follows the specification: a volume read otherwise (see `Geometry::spec_layout`)
    // would be read differently by it, so only the raw entries are used there.
    let opened = if geometry.spec_layout {
        Some(fatfs::FileSystem::new(
            io,
            FsOptions::new().update_accessed_date(false),
        ))
    } else {
        None
    };
    let fs = match opened {
        None => None,
        Some(Ok(fs)) => Some(fs),
        Some(Err(e)) => {
            warnings.push(format!(
                "the FAT driver could not open the volume ({e}); the listing comes from the raw directory entries"
            ));
            None
        }
    };
    let mut walker = Walker {
        reader: &cell,
        geometry: &geometry,
        table: &table,
        offset: partition_offset,
        limits,
        entries: Vec::new(),
        warnings: Vec::new(),
        claimed: ClaimedClusters::new(geometry.max_cluster()),
        visited_dirs: HashSet::new(),
        visited_deleted_dirs: HashSet::new(),
        entry_count: 0,
        root_label: None,
        dir_cache: &dir_cache,
    };
    let root = match geometry.fat_type {
        FatType::Fat32 => {
            walker.visited_dirs.insert(geometry.root_cluster);
            // The root folder's clusters count as used, so a file claiming them is cross-linked.
            let chain = table.chain(geometry.root_cluster, None);
            walker.claimed.reserve(&chain.runs);
            DirLocation::Chain(geometry.root_cluster)
        }
        _ => DirLocation::FixedRoot,
    };
    walker.walk(root, "", 0, fs.as_ref().map(|fs| fs.root_dir()));
    warnings.append(&mut walker.warnings);
    // The root folder's label entry is the label (fatlabel, mtools and Windows agree); a label
    // left only in the boot sector is stale, so it is reported, not shown as the label.
    let label = walker.root_label.take();
    match (&label, &geometry.label) {
        (None, Some(boot)) => warnings.push(format!(
            "the root folder has no volume label; the boot sector still names it \"{boot}\", a stale copy that fatlabel and mtools do not show"
        )),
        (Some(root), Some(boot)) if root != boot => warnings.push(format!(
            "the boot sector names the volume \"{boot}\", a stale copy of its label: the root folder's \"{root}\" is the label (as fatlabel and mtools show)"
        )),
        _ => {}
    }
    let entries = std::mem::take(&mut walker.entries);
    drop(walker);
    drop(fs);
    Ok(VolumeListing {
        volume: VolumeInfo {
            fat_type: geometry.fat_type,
            partition_offset,
            sector_bytes: geometry.sector_bytes,
            cluster_bytes: geometry.cluster_bytes,
            cluster_count: geometry.cluster_count,
            capacity_bytes: geometry.capacity_bytes(),
            free_bytes: table.free_clusters() as u64 * geometry.cluster_bytes as u64,
            fsinfo_free_clusters,
            label,
            fat_offset: partition_offset + geometry.fat_offset,
            active_fat: geometry.active_fat,
            fat_bytes: geometry.fat_bytes,
            data_offset: partition_offset + geometry.data_offset,
        },
        entries,
        warnings,
    })
}
