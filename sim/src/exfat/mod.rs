//! An exFAT writer for tests and simulations: formats a volume (or adopts one `mkfs.exfat`
//! made), makes folders, adds files — contiguous with NoFatChain or scattered over a FAT chain,
//! with given times, UTC offset, read-only attribute and content — deletes them the way exFAT
//! drivers do (InUse bits cleared, clusters freed in the bitmap, FAT left as it was), and
//! returns a [`Truth`] record of everything it did.
//!
//! It is not part of Dashcard's read-only core, and depends only on `std` and `chrono`. Output
//! is sparse: on a volume it formatted itself, runs of zeros are never written, so a 256 GB card
//! costs a few megabytes of disk.

mod allocator;
mod boot;
mod directory;
mod entries;
mod layout;
mod output;
mod truth;
mod upcase;

use std::io::{self, Read, Seek, Write};

pub use allocator::{AllocationOrder, Run};
pub use entries::Times;
pub use layout::FormatOptions;
pub use truth::{Truth, TruthEntry};

use allocator::Allocator;
use directory::{Directory, Holder, Slot};
use entries::{RawEntry, Stream};
use layout::Layout;
use output::Output;
use upcase::Upcase;

/// FAT entry ending a chain.
const END_OF_CHAIN: u32 = 0xFFFF_FFFF;
/// The largest folder exFAT allows.
const MAX_DIRECTORY_BYTES: u64 = 256 * 1024 * 1024;

/// How a file's clusters are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// One contiguous run, flagged NoFatChain; the FAT is not written (fails when no run of
    /// free clusters is long enough).
    #[default]
    Contiguous,
    /// The free clusters in allocation order, linked through the FAT: fragmented wherever free
    /// space is.
    Chained,
}

/// A file to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    /// Size (DataLength).
    pub bytes: u64,
    /// Bytes written (ValidDataLength), when less than the size.
    pub valid_bytes: Option<u64>,
    /// How its clusters are laid out.
    pub placement: Placement,
    /// Its times.
    pub times: Times,
    /// The read-only attribute (a locked clip).
    pub read_only: bool,
    /// Pieces of content at byte offsets in the file; everything else is left unwritten.
    pub content: Vec<(u64, Vec<u8>)>,
}

impl NewFile {
    /// A contiguous file of `bytes` with nothing written in it.
    pub fn new(bytes: u64, times: Times) -> Self {
        Self {
            bytes,
            valid_bytes: None,
            placement: Placement::Contiguous,
            times,
            read_only: false,
            content: Vec::new(),
        }
    }

    /// A contiguous file holding exactly `data`.
    pub fn with_data(data: Vec<u8>, times: Times) -> Self {
        let mut file = Self::new(data.len() as u64, times);
        file.content.push((0, data));
        file
    }
}

/// Where the volume's parts are, in absolute image offsets.
struct Geometry {
    volume_offset: u64,
    sector_bytes: u32,
    cluster_bytes: u32,
    cluster_count: u32,
    fat_offset: u64,
    /// Bytes of the FAT in use (as the boot sector sizes it).
    fat_bytes: u64,
    heap_offset: u64,
    bitmap_runs: Vec<Run>,
    bitmap_bytes: u64,
}

impl Geometry {
    fn cluster_offset(&self, cluster: u32) -> u64 {
        self.heap_offset + (cluster as u64 - 2) * self.cluster_bytes as u64
    }
}

/// What the writer knows about one entry it created.
struct Record {
    truth: TruthEntry,
    /// The folder holding it, and where its set lies there.
    parent: usize,
    slot: usize,
    set_len: usize,
    /// For folders: their own directory.
    own_dir: Option<usize>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn corrupt(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Writes an exFAT volume onto an image (see the module documentation).
pub struct ExfatWriter<W> {
    out: Output<W>,
    geo: Geometry,
    upcase: Upcase,
    alloc: Allocator,
    /// Bit per cluster: never written since format, so still all zeros.
    fresh: Vec<u64>,
    dirs: Vec<Directory>,
    records: Vec<Record>,
    reuse_slots: bool,
}

impl<W: Read + Write + Seek> ExfatWriter<W> {
    /// Formats a new volume on `out`, which must read as zeros where the volume goes (a new
    /// sparse file, or an empty `Cursor<Vec<u8>>`).
    pub fn format(out: W, options: &FormatOptions) -> io::Result<Self> {
        let layout = Layout::plan(options).map_err(invalid)?;
        if options.write_mbr
            && (options.volume_offset == 0 || !options.volume_offset.is_multiple_of(512))
        {
            return Err(invalid(format!(
                "an MBR partition cannot start at byte {}",
                options.volume_offset
            )));
        }
        let label = match &options.label {
            Some(l) => Some(entries::label_entry(l).map_err(invalid)?),
            None => None,
        };
        let mut out = Output::new(out);
        let base = options.volume_offset;
        let cb = layout.cluster_bytes as u64;
        let upcase = Upcase::generated();
        let table = upcase.compressed();

        let bitmap_clusters = layout.bitmap_bytes.div_ceil(cb) as u32;
        let bitmap = Run {
            start: 2,
            len: bitmap_clusters,
        };
        let upcase_run = Run {
            start: 2 + bitmap_clusters,
            len: (table.len() as u64).div_ceil(cb) as u32,
        };
        let root_cluster = upcase_run.start + upcase_run.len;

        if options.write_mbr {
            out.write_at(0, &boot::mbr(base, layout.volume_bytes))?;
        }
        let region = boot::boot_region(&layout, base, root_cluster, options.serial);
        out.write_fresh(base, &region)?;
        out.write_fresh(base + region.len() as u64, &region)?;
        out.extend_to(base + layout.volume_bytes)?;

        let geo = Geometry {
            volume_offset: base,
            sector_bytes: layout.sector_bytes,
            cluster_bytes: layout.cluster_bytes,
            cluster_count: layout.cluster_count,
            fat_offset: base + layout.fat_offset,
            fat_bytes: layout.fat_bytes,
            heap_offset: base + layout.heap_offset,
            bitmap_runs: vec![bitmap],
            bitmap_bytes: layout.bitmap_bytes,
        };
        let mut writer = Self {
            out,
            alloc: Allocator::new(layout.cluster_count),
            fresh: vec![u64::MAX; (layout.cluster_count as usize).div_ceil(64)],
            dirs: vec![Directory::new(String::new(), root_cluster, None)],
            records: Vec::new(),
            reuse_slots: true,
            upcase,
            geo,
        };
        // FAT: media descriptor, then the chains of the bitmap, up-case table and root.
        writer.write_fat(0, &[0xFFFF_FFF8, 0xFFFF_FFFF])?;
        let root = Run {
            start: root_cluster,
            len: 1,
        };
        for run in [bitmap, upcase_run, root] {
            writer.alloc.mark_used(run);
            writer.write_chain(&[run])?;
        }
        let at = writer.geo.cluster_offset(upcase_run.start);
        writer.out.write_fresh(at, &table)?;
        writer.unfresh(upcase_run);
        let root_dir = &mut writer.dirs[0];
        if let Some(label) = label {
            root_dir.slots.push(Slot {
                raw: label,
                holder: Holder::Volume,
            });
        }
        for raw in [
            entries::bitmap_entry(bitmap.start, layout.bitmap_bytes),
            entries::upcase_entry(
                upcase::checksum32(&table),
                upcase_run.start,
                table.len() as u64,
            ),
        ] {
            root_dir.slots.push(Slot {
                raw,
                holder: Holder::Volume,
            });
        }
        Ok(writer)
    }

    /// Adopts the freshly formatted volume at `volume_offset` (e.g. made by `mkfs.exfat`): its
    /// boot sector, bitmap, up-case table and root folder, which must hold no files yet. Its
    /// free clusters are not assumed to read as zeros.
    pub fn open(out: W, volume_offset: u64) -> io::Result<Self> {
        let mut out = Output::new(out);
        let mut sector = [0u8; 512];
        out.read_at(volume_offset, &mut sector)?;
        if &sector[3..11] != b"EXFAT   " || sector[110] != 1 {
            return Err(corrupt(
                "not an exFAT volume with one FAT at that offset".into(),
            ));
        }
        let le32 = |at: usize| {
            u32::from_le_bytes([sector[at], sector[at + 1], sector[at + 2], sector[at + 3]])
        };
        let sector_shift = sector[108] as u32;
        let cluster_shift = sector[109] as u32;
        if !(9..=12).contains(&sector_shift) || sector_shift + cluster_shift > 25 {
            return Err(corrupt("impossible sector or cluster size".into()));
        }
        let sb = 1u64 << sector_shift;
        let cluster_count = le32(92);
        let geo = Geometry {
            volume_offset,
            sector_bytes: sb as u32,
            cluster_bytes: (sb << cluster_shift) as u32,
            cluster_count,
            fat_offset: volume_offset + le32(80) as u64 * sb,
            fat_bytes: le32(84) as u64 * sb,
            heap_offset: volume_offset + le32(88) as u64 * sb,
            bitmap_runs: Vec::new(),
            bitmap_bytes: (cluster_count as u64).div_ceil(8),
        };
        let root_cluster = le32(96);
        let mut writer = Self {
            out,
            alloc: Allocator::new(cluster_count),
            fresh: vec![0; (cluster_count as usize).div_ceil(64)],
            dirs: Vec::new(),
            records: Vec::new(),
            reuse_slots: true,
            // Replaced by the volume's own table below.
            upcase: Upcase::from_bytes(&[]),
            geo,
        };
        let root_runs = writer.read_chain(root_cluster, None)?;
        let mut root = Directory::new(String::new(), root_cluster, None);
        root.clusters = root_runs
            .iter()
            .flat_map(|r| r.start..r.start + r.len)
            .collect();
        let bytes = writer.read_runs(&root_runs, u64::MAX)?;
        let mut bitmap = None;
        let mut table = None;
        for chunk in bytes.chunks_exact(32) {
            let mut raw: RawEntry = [0; 32];
            raw.copy_from_slice(chunk);
            let first = u32::from_le_bytes([raw[20], raw[21], raw[22], raw[23]]);
            let mut len = [0u8; 8];
            len.copy_from_slice(&raw[24..32]);
            let len = u64::from_le_bytes(len);
            match raw[0] {
                0 => break,
                entries::ALLOCATION_BITMAP => bitmap = Some((first, len)),
                entries::UPCASE_TABLE => table = Some((first, len)),
                t if t & 0x7F == entries::FILE & 0x7F => {
                    return Err(corrupt("the root folder already holds files".into()));
                }
                _ => {}
            }
            root.slots.push(Slot {
                raw,
                holder: Holder::Volume,
            });
        }
        writer.dirs.push(root);
        let (bitmap_first, bitmap_len) =
            bitmap.ok_or_else(|| corrupt("the root folder has no allocation bitmap".into()))?;
        let bitmap_runs = writer.read_chain(bitmap_first, Some(bitmap_len))?;
        let bits = writer.read_runs(&bitmap_runs, bitmap_len)?;
        for (k, byte) in bits.iter().enumerate() {
            for bit in 0..8 {
                let cluster = 2 + (k * 8 + bit) as u64;
                if byte & (1 << bit) != 0 && cluster <= cluster_count as u64 + 1 {
                    writer.alloc.mark_used(Run {
                        start: cluster as u32,
                        len: 1,
                    });
                }
            }
        }
        writer.geo.bitmap_runs = bitmap_runs;
        let (table_first, table_len) =
            table.ok_or_else(|| corrupt("the root folder has no up-case table".into()))?;
        let runs = writer.read_chain(table_first, Some(table_len))?;
        writer.upcase = Upcase::from_bytes(&writer.read_runs(&runs, table_len)?);
        Ok(writer)
    }

    /// Chooses how free clusters are picked from now on (next-fit by default).
    pub fn set_allocation_order(&mut self, order: AllocationOrder) {
        self.alloc.set_order(order);
    }

    /// Whether new entry sets may take the slots of deleted ones (true by default, as exFAT
    /// drivers do); when false, folders only grow and every deleted entry stays listable.
    pub fn set_reuse_deleted_entries(&mut self, reuse: bool) {
        self.reuse_slots = reuse;
    }

    /// Bytes per cluster.
    pub fn cluster_bytes(&self) -> u32 {
        self.geo.cluster_bytes
    }

    /// Bytes per sector.
    pub fn sector_bytes(&self) -> u32 {
        self.geo.sector_bytes
    }

    /// Clusters still free.
    pub fn free_clusters(&self) -> u64 {
        self.geo.cluster_count as u64 - self.alloc.used_clusters()
    }

    /// Makes the folder at `path` and any missing parents (existing folders are left as they
    /// are).
    pub fn mkdir(&mut self, path: &str, times: &Times) -> io::Result<()> {
        let mut dir = 0usize;
        for name in path.split('/').filter(|p| !p.is_empty()) {
            let units = entries::name_units(name).map_err(invalid)?;
            let key = self.upcase.key(&units);
            dir = match self.dirs[dir].names.get(&key) {
                Some(&id) => self.records[id]
                    .own_dir
                    .ok_or_else(|| invalid(format!("{path}: {name} is a file, not a folder")))?,
                None => self.create(dir, name, &units, None, times)?,
            };
        }
        Ok(())
    }

    /// Adds a file at `path` (its folder must exist).
    pub fn add_file(&mut self, path: &str, file: &NewFile) -> io::Result<()> {
        let (parent, name) = self.parent_of(path)?;
        let units = entries::name_units(name).map_err(invalid)?;
        if self.dirs[parent]
            .names
            .contains_key(&self.upcase.key(&units))
        {
            return Err(invalid(format!("{path} already exists")));
        }
        if file.valid_bytes.is_some_and(|v| v > file.bytes) {
            return Err(invalid(format!("{path}: valid bytes past its size")));
        }
        if let Some((at, data)) = file
            .content
            .iter()
            .find(|(at, data)| at.saturating_add(data.len() as u64) > file.bytes)
        {
            return Err(invalid(format!(
                "{path}: {} bytes of content at {at} reach past its size",
                data.len()
            )));
        }
        self.create(parent, name, &units, Some(file), &file.times)?;
        Ok(())
    }

    /// Deletes the file at `path` as exFAT drivers do: its entry set's InUse bits are cleared
    /// (name, size and first cluster stay), its clusters are freed in the bitmap, and the FAT
    /// is left as it was.
    pub fn delete(&mut self, path: &str) -> io::Result<()> {
        let (parent, name) = self.parent_of(path)?;
        let units = entries::name_units(name).map_err(invalid)?;
        let key = self.upcase.key(&units);
        let id = *self.dirs[parent]
            .names
            .get(&key)
            .ok_or_else(|| invalid(format!("{path} does not exist")))?;
        if self.records[id].own_dir.is_some() {
            return Err(invalid(format!(
                "{path} is a folder; only files are deleted"
            )));
        }
        self.dirs[parent].names.remove(&key);
        let record = &mut self.records[id];
        self.dirs[parent].delete(record.slot, record.set_len, id);
        record.truth.deleted = true;
        record.truth.recoverable = Some(true);
        for run in record.truth.runs.clone() {
            self.alloc.free(run);
        }
        Ok(())
    }

    /// Writes the folders and the allocation bitmap, and returns the image with the record of
    /// what was written.
    pub fn finish(mut self) -> io::Result<(W, Truth)> {
        let cb = self.geo.cluster_bytes as usize;
        let mut directory_bytes = 0;
        for d in 0..self.dirs.len() {
            let bytes = self.dirs[d].bytes(cb);
            directory_bytes += bytes.len() as u64;
            let clusters = self.dirs[d].clusters.clone();
            for (cluster, chunk) in clusters.iter().zip(bytes.chunks_exact(cb)) {
                self.write_cluster_data(*cluster, 0, chunk)?;
            }
        }
        let bitmap = self.bitmap_bytes();
        let mut done = 0u64;
        for run in self.geo.bitmap_runs.clone() {
            let take = (run.len as u64 * cb as u64).min(bitmap.len() as u64 - done) as usize;
            let chunk = &bitmap[done as usize..done as usize + take];
            self.write_cluster_data(run.start, 0, chunk)?;
            done += take as u64;
        }
        // PercentInUse (left out of the boot checksum).
        let used = self.alloc.used_clusters();
        let percent = (used * 100 / self.geo.cluster_count as u64) as u8;
        self.out
            .write_at(self.geo.volume_offset + 112, &[percent])?;
        self.out.flush()?;
        let truth = Truth {
            volume_offset: self.geo.volume_offset,
            cluster_bytes: self.geo.cluster_bytes,
            cluster_count: self.geo.cluster_count,
            heap_offset: self.geo.heap_offset,
            fat_bytes: self.geo.fat_bytes,
            bitmap_bytes: self.geo.bitmap_bytes,
            directory_bytes,
            free_clusters: self.free_clusters(),
            entries: self.records.into_iter().map(|r| r.truth).collect(),
        };
        Ok((self.out.into_inner(), truth))
    }

    /// The folder holding `path`, and the last component.
    fn parent_of<'p>(&self, path: &'p str) -> io::Result<(usize, &'p str)> {
        let (dir_path, name) = path.rsplit_once('/').unwrap_or(("", path));
        let mut dir = 0usize;
        for part in dir_path.split('/').filter(|p| !p.is_empty()) {
            let units = entries::name_units(part).map_err(invalid)?;
            let id = self.dirs[dir]
                .names
                .get(&self.upcase.key(&units))
                .ok_or_else(|| invalid(format!("{path}: folder {part} does not exist")))?;
            dir = self.records[*id]
                .own_dir
                .ok_or_else(|| invalid(format!("{path}: {part} is not a folder")))?;
        }
        Ok((dir, name))
    }

    /// Creates a file (`file` given) or a folder named `units` in folder `parent`; returns the
    /// new folder's directory index (or the parent's, for a file).
    fn create(
        &mut self,
        parent: usize,
        name: &str,
        units: &[u16],
        file: Option<&NewFile>,
        times: &Times,
    ) -> io::Result<usize> {
        let id = self.records.len();
        let set_len = 2 + units.len().div_ceil(15);
        // The entry set first (the folder may grow), then the data, as drivers do.
        let slot = self.dirs[parent].find_slots(set_len, self.reuse_slots);
        self.ensure_slots(parent, slot + set_len)?;
        let cb = self.geo.cluster_bytes as u64;
        let (runs, stream, read_only) = match file {
            Some(f) => {
                let needed = f.bytes.div_ceil(cb);
                let needed = u32::try_from(needed)
                    .map_err(|_| invalid(format!("{name}: {} bytes is too large", f.bytes)))?;
                let runs = self.allocate(needed, f.placement, name)?;
                let stream = Stream {
                    first_cluster: runs.first().map_or(0, |r| r.start),
                    bytes: f.bytes,
                    valid_bytes: f.valid_bytes.unwrap_or(f.bytes),
                    no_fat_chain: f.placement == Placement::Contiguous && !runs.is_empty(),
                };
                (runs, stream, f.read_only)
            }
            None => {
                let runs = self.allocate(1, Placement::Chained, name)?;
                let stream = Stream {
                    first_cluster: runs[0].start,
                    bytes: cb,
                    valid_bytes: cb,
                    no_fat_chain: false,
                };
                (runs, stream, false)
            }
        };
        let reused_from = self.take(&runs, Some(id));
        if stream.no_fat_chain {
            // Nothing in the FAT: it keeps whatever it said about these clusters before.
        } else {
            self.write_chain(&runs)?;
        }
        if let Some(f) = file {
            for (at, data) in &f.content {
                self.write_file_bytes(&runs, *at, data)?;
            }
        }
        let set = entries::file_set(
            units,
            &self.upcase,
            file.is_none(),
            read_only,
            times,
            &stream,
        );
        for lost in self.dirs[parent].place(slot, &set, Holder::Live(id)) {
            self.records[lost].truth.entry_overwritten = true;
            self.records[lost].truth.recoverable = Some(false);
        }
        let path = if self.dirs[parent].path.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.dirs[parent].path)
        };
        let own_dir = file.is_none().then(|| {
            self.dirs
                .push(Directory::new(path.clone(), stream.first_cluster, Some(id)));
            self.dirs.len() - 1
        });
        self.dirs[parent].names.insert(self.upcase.key(units), id);
        self.records.push(Record {
            truth: TruthEntry {
                path,
                is_dir: file.is_none(),
                bytes: stream.bytes,
                valid_bytes: stream.valid_bytes,
                first_cluster: stream.first_cluster,
                fragments: runs.len() as u32,
                runs,
                no_fat_chain: stream.no_fat_chain,
                read_only,
                times: *times,
                deleted: false,
                entry_overwritten: false,
                recoverable: None,
                clusters_reused: 0,
                reused_from,
            },
            parent,
            slot,
            set_len,
            own_dir,
        });
        Ok(own_dir.unwrap_or(parent))
    }

    /// Finds `n` clusters laid out as `placement`.
    fn allocate(&mut self, n: u32, placement: Placement, name: &str) -> io::Result<Vec<Run>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let found = match placement {
            Placement::Contiguous => self.alloc.find_contiguous(n).map(|r| vec![r]),
            Placement::Chained => self.alloc.find_scattered(n),
        };
        found.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::StorageFull,
                format!("{name}: no room for {n} clusters laid out {placement:?}"),
            )
        })
    }

    /// Allocates `runs` to entry `id`, noting which deleted entries lose clusters to it.
    fn take(&mut self, runs: &[Run], id: Option<usize>) -> Vec<(String, u64)> {
        let mut reused = Vec::new();
        for run in runs {
            for (loser, count) in self.alloc.take(*run, id) {
                let truth = &mut self.records[loser].truth;
                truth.clusters_reused += count;
                truth.recoverable = Some(false);
                match reused
                    .iter_mut()
                    .find(|(p, _): &&mut (String, u64)| *p == truth.path)
                {
                    Some((_, n)) => *n += count,
                    None => reused.push((truth.path.clone(), count)),
                }
            }
        }
        reused
    }

    /// Grows folder `dir` until it has `slots` slots, a cluster at a time through the FAT.
    fn ensure_slots(&mut self, dir: usize, slots: usize) -> io::Result<()> {
        let per_cluster = self.geo.cluster_bytes as usize / 32;
        while self.dirs[dir].clusters.len() * per_cluster < slots {
            let grown = (self.dirs[dir].clusters.len() + 1) as u64 * self.geo.cluster_bytes as u64;
            if grown > MAX_DIRECTORY_BYTES {
                return Err(invalid(format!(
                    "folder {:?} would exceed the 256 MiB exFAT allows",
                    self.dirs[dir].path
                )));
            }
            let owner = self.dirs[dir].entry;
            let run = self.allocate(1, Placement::Chained, "a folder")?[0];
            let reused = self.take(&[run], owner);
            let last = *self.dirs[dir].clusters.last().unwrap_or(&run.start);
            self.write_fat(last, &[run.start])?;
            self.write_fat(run.start, &[END_OF_CHAIN])?;
            self.dirs[dir].clusters.push(run.start);
            if let Some(id) = self.dirs[dir].entry {
                let bytes = self.dirs[dir].clusters.len() as u64 * self.geo.cluster_bytes as u64;
                let record = &mut self.records[id];
                record.truth.bytes = bytes;
                record.truth.valid_bytes = bytes;
                record.truth.runs.push(run);
                merge_runs(&mut record.truth.runs);
                record.truth.fragments = record.truth.runs.len() as u32;
                record.truth.reused_from.extend(reused);
                let stream = Stream {
                    first_cluster: record.truth.first_cluster,
                    bytes,
                    valid_bytes: bytes,
                    no_fat_chain: false,
                };
                let (parent, slot, len) = (record.parent, record.slot, record.set_len);
                let mut set: Vec<RawEntry> = self.dirs[parent].slots[slot..slot + len]
                    .iter()
                    .map(|s| s.raw)
                    .collect();
                entries::restream(&mut set, &stream);
                for (k, raw) in set.into_iter().enumerate() {
                    self.dirs[parent].slots[slot + k].raw = raw;
                }
            }
        }
        Ok(())
    }

    /// Links `runs` into one chain in the FAT, ending it.
    fn write_chain(&mut self, runs: &[Run]) -> io::Result<()> {
        for (k, run) in runs.iter().enumerate() {
            let after = runs.get(k + 1).map_or(END_OF_CHAIN, |r| r.start);
            let values: Vec<u32> = (run.start..run.start + run.len)
                .map(|c| {
                    if c + 1 < run.start + run.len {
                        c + 1
                    } else {
                        after
                    }
                })
                .collect();
            self.write_fat(run.start, &values)?;
        }
        Ok(())
    }

    /// Writes FAT entries `first..` with `values`.
    fn write_fat(&mut self, first: u32, values: &[u32]) -> io::Result<()> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.out
            .write_at(self.geo.fat_offset + first as u64 * 4, &bytes)
    }

    /// Writes `data` at byte `at` of a file laid out over `runs`.
    fn write_file_bytes(&mut self, runs: &[Run], at: u64, data: &[u8]) -> io::Result<()> {
        let cb = self.geo.cluster_bytes as u64;
        let mut file_pos = 0u64;
        let mut done = 0usize;
        for run in runs {
            let run_bytes = run.len as u64 * cb;
            let want = at + done as u64;
            if done < data.len() && want < file_pos + run_bytes {
                let within = want - file_pos;
                let n = ((run_bytes - within) as usize).min(data.len() - done);
                let cluster = run.start + (within / cb) as u32;
                self.write_run_data(cluster, within % cb, &data[done..done + n])?;
                done += n;
            }
            file_pos += run_bytes;
        }
        Ok(())
    }

    /// Writes `data` from byte `within` of `cluster` on, across the following clusters.
    fn write_run_data(&mut self, cluster: u32, within: u64, data: &[u8]) -> io::Result<()> {
        let cb = self.geo.cluster_bytes as u64;
        let mut done = 0usize;
        let mut c = cluster;
        let mut offset = within;
        while done < data.len() {
            let n = ((cb - offset) as usize).min(data.len() - done);
            self.write_cluster_data(c, offset, &data[done..done + n])?;
            done += n;
            c += 1;
            offset = 0;
        }
        Ok(())
    }

    /// Writes within one cluster, skipping zeros while the cluster is still fresh.
    fn write_cluster_data(&mut self, cluster: u32, within: u64, data: &[u8]) -> io::Result<()> {
        let at = self.geo.cluster_offset(cluster) + within;
        let bit = cluster as usize - 2;
        let fresh = self.fresh[bit / 64] & (1 << (bit % 64)) != 0;
        if fresh {
            self.out.write_fresh(at, data)?;
        } else {
            self.out.write_at(at, data)?;
        }
        self.unfresh(Run {
            start: cluster,
            len: 1,
        });
        Ok(())
    }

    fn unfresh(&mut self, run: Run) {
        for c in run.start..run.start + run.len {
            let bit = c as usize - 2;
            self.fresh[bit / 64] &= !(1 << (bit % 64));
        }
    }

    /// The allocation bitmap's bytes.
    fn bitmap_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![0u8; self.geo.bitmap_bytes as usize];
        for c in 0..self.geo.cluster_count {
            if self.alloc.is_used(c + 2) {
                bytes[(c / 8) as usize] |= 1 << (c % 8);
            }
        }
        bytes
    }

    /// Follows a chain in the FAT (`len` bytes' worth, or to its end).
    fn read_chain(&mut self, first: u32, len: Option<u64>) -> io::Result<Vec<Run>> {
        let cb = self.geo.cluster_bytes as u64;
        let limit = len.map_or(self.geo.cluster_count as u64, |l| l.div_ceil(cb));
        let mut runs: Vec<Run> = Vec::new();
        let mut c = first;
        for _ in 0..limit {
            if c < 2 || c > self.geo.cluster_count + 1 {
                return Err(corrupt(format!("a chain points at cluster {c}")));
            }
            match runs.last_mut() {
                Some(r) if r.start + r.len == c => r.len += 1,
                _ => runs.push(Run { start: c, len: 1 }),
            }
            let mut le = [0u8; 4];
            self.out
                .read_at(self.geo.fat_offset + c as u64 * 4, &mut le)?;
            let next = u32::from_le_bytes(le);
            if next == END_OF_CHAIN {
                break;
            }
            c = next;
        }
        Ok(runs)
    }

    /// Reads up to `len` bytes laid out over `runs`.
    fn read_runs(&mut self, runs: &[Run], len: u64) -> io::Result<Vec<u8>> {
        let cb = self.geo.cluster_bytes as u64;
        let mut out = Vec::new();
        for run in runs {
            let take = (run.len as u64 * cb).min(len - out.len() as u64) as usize;
            let start = out.len();
            out.resize(start + take, 0);
            let at = self.geo.cluster_offset(run.start);
            self.out.read_at(at, &mut out[start..])?;
        }
        Ok(out)
    }
}

/// Joins adjacent runs.
fn merge_runs(runs: &mut Vec<Run>) {
    let mut merged: Vec<Run> = Vec::with_capacity(runs.len());
    for run in runs.drain(..) {
        match merged.last_mut() {
            Some(prev) if prev.start + prev.len == run.start => prev.len += run.len,
            _ => merged.push(run),
        }
    }
    *runs = merged;
}
