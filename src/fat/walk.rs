//! The directory walk: the raw layer and `fatfs` side by side, directory by directory.
//!
//! For each directory the raw layer first validates its cluster chain (so `fatfs` is never
//! handed a looping chain), reads its entries (live and deleted, with first clusters), and
//! `fatfs` lists the same directory; live entries are matched by their 8.3 name, which is unique
//! within a directory. Names, sizes and times come from `fatfs`; clusters, extents, deleted
//! entries and verdicts from the raw layer. Where `fatfs` cannot go, the raw layer alone speaks.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

use chrono::{NaiveDate, NaiveDateTime};
use fatfs::{FsOptions, ReadWriteSeek};

use crate::block_reader::BlockReader;
use crate::extent::Extent;

use super::boot_sector::{FatType, Geometry};
use super::fatfs_io::{DirCache, FatfsIo};
use super::raw_dir::{RawEntry, parse_directory};
use super::table::{ClusterBits, FatTable, Run};
use super::{Entry, FatError, Listing, VolumeInfo, WalkLimits};

/// A directory larger than this is damage (the FAT limit is 65,536 entries = 2 MiB).
const MAX_DIRECTORY_BYTES: u64 = 4 * 1024 * 1024;

/// What `fatfs` says about one live entry.
struct FatfsEntry<'a, T: ReadWriteSeek> {
    name: String,
    bytes: u64,
    created: Option<NaiveDateTime>,
    modified: Option<NaiveDateTime>,
    dir: Option<fatfs::Dir<'a, T>>,
}

fn fatfs_time(t: fatfs::DateTime) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(t.date.year as i32, t.date.month as u32, t.date.day as u32)?
        .and_hms_milli_opt(
            t.time.hour as u32,
            t.time.min as u32,
            (t.time.sec as u32).min(59),
            t.time.millis as u32,
        )
}

/// Lists a directory through `fatfs`, keyed by 8.3 name; at most `bound` entries are taken.
fn fatfs_listing<'a, T: ReadWriteSeek>(
    dir: &fatfs::Dir<'a, T>,
    bound: usize,
) -> Result<HashMap<Vec<u8>, FatfsEntry<'a, T>>, std::io::Error> {
    let mut out = HashMap::new();
    for item in dir.iter().take(bound) {
        let e = item?;
        let key = e.short_file_name_as_bytes().to_vec();
        if key == b"." || key == b".." {
            continue;
        }
        let created = e.created();
        // A zero creation date (never set) decodes to 1980-00-00 in fatfs: treat as unknown.
        let created = (created.date.month != 0)
            .then(|| fatfs_time(created))
            .flatten();
        let modified = e.modified();
        let modified = (modified.date.month != 0)
            .then(|| fatfs_time(modified))
            .flatten();
        out.insert(
            key,
            FatfsEntry {
                name: e.file_name(),
                bytes: e.len(),
                created,
                modified,
                dir: e.is_dir().then(|| e.to_dir()),
            },
        );
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

struct Walker<'w, 'r, R> {
    reader: &'w RefCell<&'r mut BlockReader<R>>,
    geometry: &'w Geometry,
    table: &'w FatTable,
    offset: u64,
    limits: &'w WalkLimits,
    entries: Vec<Entry>,
    warnings: Vec<String>,
    /// Clusters used by live files and folders, to catch cross-links.
    claimed: ClusterBits,
    /// Every claimed run and the entry that claimed it (to name both sides of a cross-link).
    owners: Vec<(Run, usize)>,
    visited_dirs: HashSet<u32>,
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

    /// Marks `runs` as used by entry `index`, warning on both entries when already used.
    fn claim(&mut self, runs: &[Run], index: usize) {
        for run in runs {
            let end = run.start + run.len - 1;
            if let Some(hit) = self.claimed.first_set_in(run.start, end) {
                let other = self
                    .owners
                    .iter()
                    .find(|(r, _)| r.start <= hit && hit < r.start + r.len)
                    .map(|(_, i)| *i);
                if let Some(other) = other {
                    let (a, b) = (
                        self.entries[other].path.clone(),
                        self.entries[index].path.clone(),
                    );
                    self.entries[index].warnings.push(format!(
                        "shares cluster {hit} with {a} (cross-linked): one of them is damaged"
                    ));
                    self.entries[other].warnings.push(format!(
                        "shares cluster {hit} with {b} (cross-linked): one of them is damaged"
                    ));
                }
            }
            self.claimed.set_range(run.start, end);
            self.owners.push((*run, index));
        }
    }

    /// Reads a directory's bytes; `None` (with a warning) when it cannot.
    fn directory_bytes(&mut self, location: DirLocation, path: &str) -> (Option<Vec<u8>>, bool) {
        let shown = if path.is_empty() {
            "the root folder"
        } else {
            path
        };
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
                        "folder {shown}: {}; its listing may be incomplete",
                        problem.describe()
                    ));
                }
                let cluster = self.geometry.cluster_bytes as u64;
                let mut total = 0u64;
                let mut ranges = Vec::new();
                for run in &chain.runs {
                    let len = run.len as u64 * cluster;
                    if total + len > MAX_DIRECTORY_BYTES {
                        self.warnings.push(format!(
                            "folder {shown} is larger than any real FAT folder; only its first {} MiB were read",
                            MAX_DIRECTORY_BYTES / (1024 * 1024)
                        ));
                        ranges.push((
                            self.offset + self.geometry.cluster_offset(run.start),
                            MAX_DIRECTORY_BYTES - total,
                        ));
                        break;
                    }
                    ranges.push((self.offset + self.geometry.cluster_offset(run.start), len));
                    total += len;
                }
                (ranges, chain.problem.is_none())
            }
        };
        let mut bytes = Vec::new();
        let mut reader = self.reader.borrow_mut();
        for (at, len) in ranges {
            let start = bytes.len();
            bytes.resize(start + len as usize, 0);
            // One exact read per run: folders are scattered, and a cached block around each
            // would read 8 times their size on a card with 32 KiB clusters.
            let got = reader.read_direct(at, &mut bytes[start..]);
            if got.is_ok() {
                self.dir_cache.borrow_mut().insert(at, &bytes[start..]);
            }
            if let Err(e) = got {
                bytes.truncate(start);
                self.warnings
                    .push(format!("folder {shown} cannot be read completely: {e}"));
                return (Some(bytes), false);
            }
        }
        (Some(bytes), sound)
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
        let (bytes, sound) = self.directory_bytes(location, path);
        let Some(bytes) = bytes else { return };
        let (raw, label) = parse_directory(&bytes);
        if depth == 0 {
            self.root_label = label;
        }
        // fatfs only for a directory whose chain is sound; otherwise it could loop.
        let mut by_short = match fatfs_dir.filter(|_| sound) {
            Some(dir) => match fatfs_listing(&dir, raw.len() + 16) {
                Ok(map) => map,
                Err(e) => {
                    self.warnings.push(format!(
                        "folder {}: the FAT driver failed to list it ({e}); showing the raw entries",
                        if path.is_empty() { "/" } else { path }
                    ));
                    HashMap::new()
                }
            },
            None => HashMap::new(),
        };
        for entry in raw {
            if self.entry_count >= self.limits.max_entries {
                self.warnings.push(format!(
                    "more than {} entries: the rest of the volume was not listed",
                    self.limits.max_entries
                ));
                return;
            }
            self.entry_count += 1;
            if entry.deleted {
                self.add_deleted(path, &entry);
                continue;
            }
            let from_fatfs = by_short.remove(&entry.short_key);
            self.add_live(path, &entry, from_fatfs, depth);
        }
    }

    fn child_path(parent: &str, name: &str) -> String {
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        }
    }

    fn add_deleted(&mut self, parent: &str, raw: &RawEntry) {
        let name = raw.display_name();
        let bytes = raw.size as u64;
        let cluster = self.geometry.cluster_bytes as u64;
        let needed = bytes.div_ceil(cluster);
        let first = raw.first_cluster;
        let recoverable = if raw.is_dir() {
            false
        } else if bytes == 0 {
            true
        } else if first < 2 || first as u64 + needed - 1 > self.geometry.max_cluster() as u64 {
            false
        } else {
            let last = (first as u64 + needed - 1) as u32;
            // Every cluster free: first_free_in on the complement is not available, so check
            // that no cluster in the range is in use by scanning the free map run by run.
            (first..=last).all(|c| self.table.is_free(c))
        };
        let runs = if recoverable && bytes > 0 {
            vec![Run {
                start: first,
                len: needed as u32,
            }]
        } else {
            Vec::new()
        };
        let extents = self.extents(&runs, bytes);
        self.entries.push(Entry {
            path: Self::child_path(parent, &name),
            name,
            short_name: String::from_utf8_lossy(&raw.short_key).into_owned(),
            is_dir: raw.is_dir(),
            bytes,
            created: raw.created,
            modified: raw.modified,
            deleted: true,
            recoverable: Some(recoverable),
            first_cluster: first,
            fragments: runs.len() as u32,
            extents,
            warnings: Vec::new(),
        });
    }

    fn add_live<T: ReadWriteSeek>(
        &mut self,
        parent: &str,
        raw: &RawEntry,
        from_fatfs: Option<FatfsEntry<'_, T>>,
        depth: u32,
    ) {
        let mut warnings = Vec::new();
        let (name, bytes, created, modified, fatfs_dir) = match from_fatfs {
            Some(f) => (f.name, f.bytes, f.created, f.modified, f.dir),
            None => (
                raw.display_name(),
                raw.size as u64,
                raw.created,
                raw.modified,
                None,
            ),
        };
        let path = Self::child_path(parent, &name);
        let first = raw.first_cluster;
        let index = self.entries.len();
        if raw.is_dir() {
            self.entries.push(Entry {
                path: path.clone(),
                name,
                short_name: String::from_utf8_lossy(&raw.short_key).into_owned(),
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
            self.claim(&chain.runs, index);
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
            short_name: String::from_utf8_lossy(&raw.short_key).into_owned(),
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
        });
        self.claim(&runs, index);
    }
}

/// The free cluster count FSInfo claims, when it has a valid one.
fn fsinfo_free<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    offset: u64,
    g: &Geometry,
) -> Option<u32> {
    let sector = g.fsinfo_sector? as u64;
    let mut buf = [0u8; 512];
    reader
        .read_at(offset + sector * g.sector_bytes as u64, &mut buf)
        .ok()?;
    let sig = |at: usize| u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    if sig(0) != 0x4161_5252 || sig(484) != 0x6141_7272 {
        return None;
    }
    let free = sig(488);
    (free <= g.cluster_count).then_some(free)
}

/// See [`super::read_volume`].
pub fn read_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    partition_offset: u64,
    partition_bytes: u64,
    limits: &WalkLimits,
) -> Result<Listing, FatError> {
    let mut sector = [0u8; 512];
    reader
        .read_at(partition_offset, &mut sector)
        .map_err(|e| FatError::from_io(e, "boot sector"))?;
    let geometry = Geometry::parse(&sector)?;
    let mut warnings = Vec::new();
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
    let fsinfo_free_clusters = fsinfo_free(reader, partition_offset, &geometry);

    let cell = RefCell::new(reader);
    let dir_cache = RefCell::new(DirCache::default());
    let io = FatfsIo::new(&cell, partition_offset, geometry.volume_bytes)
        .with_shortcuts(&table, &geometry, &dir_cache);
    let fs = match fatfs::FileSystem::new(io, FsOptions::new().update_accessed_date(false)) {
        Ok(fs) => Some(fs),
        Err(e) => {
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
        claimed: ClusterBits::new(geometry.max_cluster()),
        owners: Vec::new(),
        visited_dirs: HashSet::new(),
        entry_count: 0,
        root_label: None,
        dir_cache: &dir_cache,
    };
    let root = match geometry.fat_type {
        FatType::Fat32 => {
            walker.visited_dirs.insert(geometry.root_cluster);
            let chain = table.chain(geometry.root_cluster, None);
            walker.claimed_root(&chain.runs);
            DirLocation::Chain(geometry.root_cluster)
        }
        _ => DirLocation::FixedRoot,
    };
    walker.walk(root, "", 0, fs.as_ref().map(|fs| fs.root_dir()));
    warnings.append(&mut walker.warnings);
    let label = walker.root_label.take().or_else(|| geometry.label.clone());
    let entries = std::mem::take(&mut walker.entries);
    drop(walker);
    drop(fs);
    Ok(Listing {
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
            fat_bytes: geometry.fat_bytes,
            data_offset: partition_offset + geometry.data_offset,
        },
        entries,
        warnings,
    })
}

impl<R> Walker<'_, '_, R> {
    /// The FAT32 root folder's clusters count as used, so a file claiming them is cross-linked.
    fn claimed_root(&mut self, runs: &[Run]) {
        for run in runs {
            self.claimed.set_range(run.start, run.start + run.len - 1);
        }
    }
}
