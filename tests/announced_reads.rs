//! The walks announce each folder's sub-folders before reading them (what lets the browser read
//! them in one joined call, see `BlockReader::announce`): on cards made by mkfs.fat + mtools and
//! mkfs.exfat + the writer, a folder's sub-folders come in one announcement, every folder read
//! below the root is one that was announced, and the listing is the one read without an
//! announcer.

mod common;
mod exfat_common;

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;

use dashcard::block_reader::BlockReader;
use dashcard::exfat;
use dashcard::fat::{self, WalkLimits};

/// Byte ranges (offset, bytes) fetched because they were announced.
type Held = Rc<RefCell<Vec<(u64, Vec<u8>)>>>;

/// A file read, like the browser's source, from the announced ranges where a read lies wholly
/// inside one, else from the file; counting reads of each kind.
struct AnnouncedSource {
    file: File,
    pos: u64,
    held: Held,
    served_from_held: Rc<RefCell<u32>>,
}

impl Read for AnnouncedSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = self.pos + buf.len() as u64;
        if let Some((at, bytes)) = self
            .held
            .borrow()
            .iter()
            .find(|(at, b)| self.pos >= *at && end <= at + b.len() as u64)
        {
            let from = (self.pos - at) as usize;
            buf.copy_from_slice(&bytes[from..from + buf.len()]);
            self.pos = end;
            *self.served_from_held.borrow_mut() += 1;
            return Ok(buf.len());
        }
        self.file.seek(SeekFrom::Start(self.pos))?;
        let n = self.file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for AnnouncedSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

/// What the walk announced and which of its reads those served.
struct Announced {
    /// Each announcement's ranges.
    calls: Vec<Vec<(u64, u64)>>,
    served_from_held: u32,
}

/// Reads `image` with `read`, through a reader whose announcer fetches what is announced.
fn read_announced<L>(
    image: &Path,
    read: impl FnOnce(&mut BlockReader<AnnouncedSource>) -> L,
) -> (L, Announced) {
    let held = Held::default();
    let served = Rc::new(RefCell::new(0));
    let calls = Rc::new(RefCell::new(Vec::new()));
    let source = AnnouncedSource {
        file: File::open(image).unwrap(),
        pos: 0,
        held: held.clone(),
        served_from_held: served.clone(),
    };
    let fetch_from = File::open(image).unwrap();
    let told = calls.clone();
    let mut reader = BlockReader::new(source).unwrap().with_announcer(Box::new(
        move |ranges: &[(u64, u64)]| {
            told.borrow_mut().push(ranges.to_vec());
            for &(at, len) in ranges {
                let mut bytes = vec![0u8; len as usize];
                fetch_from.read_exact_at(&mut bytes, at).unwrap();
                held.borrow_mut().push((at, bytes));
            }
        },
    ));
    let listing = read(&mut reader);
    let announced = Announced {
        calls: calls.take(),
        served_from_held: *served.borrow(),
    };
    (listing, announced)
}

const DAYS: [&str; 5] = ["20241008", "20241009", "20241010", "20241011", "20241012"];

#[test]
fn fat32_folders_are_announced_a_folder_at_a_time_and_the_listing_is_unchanged() {
    use common::*;
    let dir = tempdir();
    let image = dir.path().join("card.img");
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&image, 0, "Nexar");
    mmd(&image, 0, "Nexar/Movie");
    for (i, day) in DAYS.iter().enumerate() {
        mmd(&image, 0, &format!("Nexar/Movie/{day}"));
        let clip = host_file(dir.path(), &format!("{day}_075700_1.mp4"), 40_000, i as u8);
        mcopy(
            &image,
            0,
            &clip,
            &format!("Nexar/Movie/{day}/{day}_075700_1.mp4"),
        );
    }
    // A deleted folder: walked too, while its cluster still holds it.
    mmd(&image, 0, "Nexar/Movie/20241007");
    run(Command::new("mrd")
        .env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null")
        .arg("-i")
        .arg(&image)
        .arg("::Nexar/Movie/20241007"));

    fn read<R: Read + Seek>(reader: &mut BlockReader<R>) -> fat::VolumeListing {
        let len = reader.len();
        fat::read_volume(reader, 0, len, &WalkLimits::default()).unwrap()
    }
    let plain = read(&mut BlockReader::new(File::open(&image).unwrap()).unwrap());
    let (listing, announced) = read_announced(&image, read);
    assert_eq!(listing, plain);

    let folders = listing.entries.iter().filter(|e| e.is_dir).count();
    assert_eq!(folders, 2 + DAYS.len() + 1, "{:?}", listing.entries);
    let movie = listing
        .entries
        .iter()
        .find(|e| e.path == "Nexar/Movie")
        .unwrap();
    let cluster = listing.volume.cluster_bytes as u64;
    let day_folders: Vec<(u64, u64)> = listing
        .entries
        .iter()
        .filter(|e| e.is_dir && e.path.starts_with("Nexar/Movie/"))
        .map(|e| {
            let at = listing.volume.data_offset + (e.first_cluster as u64 - 2) * cluster;
            (at, cluster)
        })
        .collect();
    // Root → Nexar, Nexar → Movie, Movie → its five days and the deleted one, in one call.
    assert_eq!(announced.calls.len(), 3, "{:?}", announced.calls);
    let last = announced.calls.last().unwrap();
    assert_eq!(last.len(), DAYS.len() + 1);
    for range in &day_folders {
        assert!(last.contains(range), "{range:?} not in {last:?}");
    }
    assert!(announced.calls[1].contains(&(
        listing.volume.data_offset + (movie.first_cluster as u64 - 2) * cluster,
        cluster
    )));
    // Every folder below the root was read from what was announced.
    assert_eq!(announced.served_from_held as usize, folders);
}

#[test]
fn exfat_folders_are_announced_a_folder_at_a_time_and_the_listing_is_unchanged() {
    use exfat_common::exfat_writer::{ExfatWriter, NewFile};
    use exfat_common::*;
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("card.img");
    mkfs_exfat(&image, 96 << 20, "4K", Some("NEXAR"));
    let mut w = ExfatWriter::open(open_image(&image), 0).unwrap();
    let when = times(at(2024, 10, 12, 7, 57, 0, 0), None);
    for (i, day) in DAYS.iter().enumerate() {
        w.mkdir(&format!("Nexar/Movie/{day}"), &when).unwrap();
        let clip = NewFile::with_data(pattern(40_000, i as u8), when);
        w.add_file(&format!("Nexar/Movie/{day}/{day}_075700_1.mp4"), &clip)
            .unwrap();
    }
    w.finish().unwrap();
    fsck_ok(&image);

    fn read<R: Read + Seek>(reader: &mut BlockReader<R>) -> exfat::ExfatListing {
        let len = reader.len();
        exfat::read_volume(reader, 0, len, &WalkLimits::default()).unwrap()
    }
    let plain = exfat_common::read(&image, 0);
    let (listing, announced) = read_announced(&image, read);
    assert_eq!(listing, plain);

    let folders: Vec<_> = listing.entries.iter().filter(|e| e.is_dir).collect();
    assert_eq!(folders.len(), 2 + DAYS.len());
    // Root → Nexar, Nexar → Movie, Movie → its five days in one call.
    assert_eq!(announced.calls.len(), 3, "{:?}", announced.calls);
    let last = announced.calls.last().unwrap();
    let starts: Vec<u64> = last.iter().map(|r| r.0).collect();
    for day in folders
        .iter()
        .filter(|e| e.path.starts_with("Nexar/Movie/"))
    {
        let at = listing.volume.data_offset
            + (day.first_cluster as u64 - 2) * listing.volume.cluster_bytes as u64;
        assert!(starts.contains(&at), "{} at {at} not in {last:?}", day.path);
    }
    assert_eq!(announced.served_from_held as usize, folders.len());
}

#[test]
fn a_folder_of_entries_sharing_one_long_chain_announces_it_once_within_the_cap() {
    use common::*;
    use dashcard::block_reader::MAX_ANNOUNCED_BYTES;
    let dir = tempdir();
    let image = dir.path().join("card.img");
    // 512-byte clusters: a 4 MiB file is a chain of 8,192 clusters.
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).cluster_sectors(1));
    let big = dir.path().join("BIG");
    std::fs::write(&big, vec![0u8; 4 << 20]).unwrap();
    mcopy(&image, 0, &big, "BIG");
    let slot = slot_of(&image, b"BIG        ");
    let mut entry = [0u8; 32];
    File::open(&image)
        .unwrap()
        .read_exact_at(&mut entry, slot)
        .unwrap();
    let (hi, lo) = (&entry[20..22], &entry[26..28]);
    // A hostile folder: 20,000 folder entries, every one naming BIG's clusters as its own.
    let mut entries = Vec::with_capacity(20_000 * 32);
    for i in 0..20_000 {
        let mut e = [0u8; 32];
        e[..11].copy_from_slice(format!("D{i:07}   ").as_bytes());
        e[11] = 0x10;
        e[20..22].copy_from_slice(hi);
        e[26..28].copy_from_slice(lo);
        entries.extend_from_slice(&e);
    }
    let dirs = dir.path().join("DIRS");
    std::fs::write(&dirs, &entries).unwrap();
    mcopy(&image, 0, &dirs, "DIRS");
    // DIRS made a folder: the folder attribute, and a folder's size of zero.
    let slot = slot_of(&image, b"DIRS       ");
    patch(&image, slot + 11, &[0x10]);
    patch(&image, slot + 28, &[0; 4]);

    fn read<R: Read + Seek>(reader: &mut BlockReader<R>) -> fat::VolumeListing {
        let len = reader.len();
        fat::read_volume(reader, 0, len, &WalkLimits::default()).unwrap()
    }
    let plain = read(&mut BlockReader::new(File::open(&image).unwrap()).unwrap());
    // Counted, not fetched: without a cap and a check for repeats the walk would name BIG's
    // 4 MiB 20,000 times over (80 GiB) in one announcement.
    let sizes = Rc::new(RefCell::new(Vec::new()));
    let told = sizes.clone();
    let mut reader = BlockReader::new(File::open(&image).unwrap())
        .unwrap()
        .with_announcer(Box::new(move |ranges: &[(u64, u64)]| {
            told.borrow_mut()
                .push(ranges.iter().map(|r| r.1).sum::<u64>());
        }));
    let listing = read(&mut reader);
    assert_eq!(listing, plain);
    let sizes = sizes.take();
    assert!(
        sizes.iter().all(|&n| n <= MAX_ANNOUNCED_BYTES),
        "announced bytes per call: {sizes:?}"
    );
    // The root's DIRS, then DIRS's 20,000 entries as BIG's 4 MiB once.
    assert!(sizes.contains(&(4 << 20)), "{sizes:?}");
}
