//! `dashcard`: the command-line face of the Dashcard core, for forensics, tests and benchmarks.
//!
//! Exit codes: 0 ok, 2 unreadable input (one-line reason on stderr), 1 anything else.
#![forbid(unsafe_code)]

mod card_files;
mod clip;
mod folder_walk;
mod header_threads;
mod input;
mod phase_times;
mod positioned_file;
mod report_json;
mod summary;
mod terminal;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Timelike;
use clap::{Parser, Subcommand, ValueEnum};
use dashcard::block_reader::{BlockReader, ReadStats};
use dashcard::catalog::classify::Camera;
use dashcard::catalog::models::CameraModel;
use dashcard::clip_header::Keys;
use dashcard::encryption::{DecryptingReader, Key, PREFIX_BYTES};
use dashcard::estimate::WhatIf;
use dashcard::listing::Listing;
use dashcard::report::Report;
use dashcard::scan::{self, ScanOptions};
use dashcard::telemetry::{self, DriveOptions};

use crate::card_files::CardFiles;
use crate::phase_times::PhaseTimes;
use crate::positioned_file::PositionedFile;
use dashcard_sim::CardFilesystem;
use dashcard_sim::camera::{Simulation, simulate as run_simulation};

/// Read a Nexar dash cam memory card (an image or a mounted folder): what is on it and how soon
/// each recording will be overwritten. Read-only: nothing is ever written to a card or an image.
#[derive(Parser)]
#[command(name = "dashcard", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise a card image (.img, .bin, .dd, any name) or a mounted card folder.
    Report {
        /// A raw card image, or the folder where the card is mounted.
        path: PathBuf,
        /// Print one JSON document (format in the README) instead of the summary.
        #[arg(long)]
        json: bool,
        /// List every file in the summary, not only the totals.
        #[arg(long)]
        list: bool,
        /// Card size, for a folder source whose capacity the OS does not tell (e.g. 64G, 256GB);
        /// for an image, a what-if capacity.
        #[arg(long, value_parser = parse_size)]
        capacity: Option<u64>,
        /// What-if: hours of driving per day (instead of what the card's drives show).
        #[arg(long, value_name = "HOURS", value_parser = parse_hours)]
        driving_hours_per_day: Option<f64>,
        /// What-if: space held back from recordings (e.g. 2G).
        #[arg(long, value_parser = parse_size)]
        reserve: Option<u64>,
        /// What-if: how many clips the sos folder holds (NEXC1/NEXS1).
        #[arg(long, value_name = "CLIPS")]
        sos_limit: Option<u64>,
        /// Print the bytes read and read calls made on the image, and the time each phase took, to
        /// stderr.
        #[arg(long)]
        stats: bool,
        /// The camera's encryption key (32 characters, from Nexar support), for clips the
        /// factory default key does not open. Used in memory only; never printed.
        #[arg(long, value_parser = parse_key)]
        key: Option<Key>,
    },
    /// Simulate a Nexar camera recording onto a new card image (sparse), for tests and demos.
    Simulate {
        /// The camera family: pro, beam, nexc1, nexs1, nexc2 (first generation) or beam2k, zero,
        /// n1 (the newer one).
        #[arg(long, value_parser = parse_family)]
        family: CameraModel,
        /// Card size (e.g. 32G); at least 2.2 GB.
        #[arg(long, value_parser = parse_size)]
        size: u64,
        /// Days of use to simulate.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Seed: the same seed makes the same card.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Clips the sos folder holds before deleting the oldest (NEXC1/NEXS1).
        #[arg(long, default_value_t = 20)]
        sos_limit: usize,
        /// The card's file system: fat32 or exfat; by default as the camera formats it (FAT32,
        /// or exFAT for an N1 on a card over 32,895 MB).
        #[arg(long, value_parser = parse_filesystem)]
        filesystem: Option<Filesystem>,
        /// exFAT cluster size (e.g. 128K, 256K, 512K); by default the Nexar N1's choice for
        /// the card's size.
        #[arg(long, value_parser = parse_cluster)]
        cluster: Option<u32>,
        /// Also write the truth (every recording, its fate, every drive) as JSON here.
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
        /// The image to create.
        out: PathBuf,
    },
    /// Write one drive's GPS track (from the newer cameras' .gnss sidecars) to standard output,
    /// with its impacts: GPX 1.1, GeoJSON or CSV.
    Track {
        /// A raw card image, or a mounted card folder.
        image: PathBuf,
        /// The drive, by its start as `report --json` gives it in `drives[].start`
        /// (camera local time, e.g. 2024-10-12T07:57:00).
        #[arg(long, value_name = "START")]
        drive: String,
        /// gpx, geojson or csv.
        #[arg(long, value_enum, default_value_t = TrackFormat::Gpx)]
        format: TrackFormat,
        /// Impact threshold: |a| − 1 g above this many g.
        #[arg(long, value_name = "G", default_value_t = telemetry::impact::DEFAULT_THRESHOLD_G, value_parser = parse_threshold)]
        impact_threshold: f64,
    },
    /// Write one file's bytes to standard output (a recoverable deleted file too).
    Cat {
        /// A raw card image, or a mounted card folder.
        image: PathBuf,
        /// Path of the file in the card, "/"-separated, as `report` lists it.
        path: String,
        /// Print the bytes read and read calls made on the image to stderr.
        #[arg(long)]
        stats: bool,
        /// Write the clip decrypted (the camera encrypted it): with the factory default key, or
        /// the one given with --key.
        #[arg(long)]
        decrypt: bool,
        /// The camera's encryption key (32 characters, from Nexar support); implies --decrypt.
        #[arg(long, value_parser = parse_key)]
        key: Option<Key>,
    },
    /// Export a time range of a drive as one MP4 (the original frames, across segments, no
    /// re-encoding), starting at the keyframe at or before --from.
    Clip {
        /// A raw card image, or a mounted card folder.
        image: PathBuf,
        /// First moment wanted, camera local time (e.g. 2024-10-12T17:41:05).
        #[arg(long, value_name = "LOCAL_ISO")]
        from: String,
        /// First moment not wanted, camera local time.
        #[arg(long, value_name = "LOCAL_ISO")]
        to: String,
        /// Which camera: road, cabin or second (cabin and second both name the other camera).
        #[arg(long, default_value = "road", value_parser = parse_camera)]
        camera: Camera,
        /// Cut the range around this recording instead (its path as `report` lists it): a drive
        /// segment's camera across its drive, or a parking clip or SOS event on its own.
        #[arg(long, value_name = "PATH", conflicts_with = "camera")]
        file: Option<String>,
        /// The MP4 file to write (never the card).
        #[arg(short = 'o', long = "out", value_name = "OUT.mp4")]
        out: PathBuf,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
        /// The camera's encryption key (32 characters, from Nexar support), for clips the
        /// factory default key does not open; encrypted clips are exported decrypted.
        #[arg(long, value_parser = parse_key)]
        key: Option<Key>,
    },
}

/// The formats `track` writes.
#[derive(Clone, Copy, ValueEnum)]
enum TrackFormat {
    /// GPX 1.1 (GPS software, maps).
    Gpx,
    /// GeoJSON (web maps, GIS).
    Geojson,
    /// CSV (spreadsheets).
    Csv,
}

/// An error and the exit code it earns.
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Report {
            path,
            json,
            list,
            capacity,
            driving_hours_per_day,
            reserve,
            sos_limit,
            stats,
            key,
        } => {
            let what_if = WhatIf {
                driving_hours_per_day,
                capacity_bytes: capacity,
                reserved_bytes: reserve,
                sos_limit_clips: sos_limit,
            };
            report(&path, json, list, &what_if, stats, &Keys::new(key.as_ref()))
        }
        Command::Simulate {
            family,
            size,
            days,
            seed,
            sos_limit,
            filesystem,
            cluster,
            truth,
            force,
            out,
        } => card_filesystem(filesystem, cluster, size).and_then(|filesystem| {
            let camera = Simulation::new(family, size, days);
            let sim = Simulation {
                seed,
                sos_limit,
                filesystem: filesystem.unwrap_or(camera.filesystem),
                ..camera
            };
            simulate(&sim, &out, truth.as_deref(), force)
        }),
        Command::Track {
            image,
            drive,
            format,
            impact_threshold,
        } => track(&image, &drive, format, impact_threshold),
        Command::Cat {
            image,
            path,
            stats,
            decrypt,
            key,
        } => {
            let keys = (decrypt || key.is_some()).then(|| Keys::new(key.as_ref()));
            cat(&image, &path, stats, keys.as_ref())
        }
        Command::Clip {
            image,
            from,
            to,
            camera,
            file,
            out,
            force,
            key,
        } => clip::run(&clip::Request {
            image: &image,
            from: &from,
            to: &to,
            camera,
            file: file.as_deref(),
            out: &out,
            force,
            keys: &Keys::new(key.as_ref()),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // One line, escaped: messages may echo names from the card.
            eprintln!("dashcard: {}", terminal::escape(&f.message));
            ExitCode::from(f.code)
        }
    }
}

pub(crate) fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Natively each read's bytes are the cost, not the call: the FAT is read a piece at a time
/// into one buffer that stays in the processor's cache (1 MiB: 30 pieces for a 256 GB card's
/// FAT) instead of in pieces of several MiB of fresh memory.
const BULK_READ_BYTES: usize = 1 << 20;

fn open_image(path: &Path, file: File) -> Result<BlockReader<PositionedFile>, Failure> {
    let mut reader = BlockReader::new(PositionedFile::new(file))
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    reader.set_bulk_read_bytes(BULK_READ_BYTES);
    Ok(reader)
}

fn print_stats(s: ReadStats) {
    eprintln!(
        "read: {} bytes in {} calls ({:.1} MiB)",
        s.bytes_read,
        s.read_calls,
        s.bytes_read as f64 / (1024.0 * 1024.0)
    );
}

/// The card at `path` as read, every video header included, and where its files' bytes are.
pub(crate) fn read_card(
    path: &Path,
    capacity: Option<u64>,
    keys: &Keys,
) -> Result<(Listing, CardFiles), Failure> {
    read_card_timed(path, capacity, keys, &mut PhaseTimes::start())
}

/// [`read_card`], recording how long listing the volume and reading the headers took.
fn read_card_timed(
    path: &Path,
    capacity: Option<u64>,
    keys: &Keys,
    times: &mut PhaseTimes,
) -> Result<(Listing, CardFiles), Failure> {
    let file = match input::open(path).map_err(Failure::input)? {
        input::Input::Folder(root) => {
            let listing = folder_walk::listing(&root, capacity, keys).map_err(Failure::input)?;
            times.lap("folder walk and headers");
            return Ok((listing, CardFiles::Folder(root)));
        }
        input::Input::Image(file) => file,
    };
    // A second handle on the image for a helper thread (see header_threads).
    let second = file.try_clone().ok();
    let mut reader = open_image(path, file)?;
    let options = ScanOptions {
        source_name: Some(source_name(path)),
        keys: keys.clone(),
        ..ScanOptions::default()
    };
    // scan::scan_image's phases one by one, to time them.
    let listing = scan::list_image(&mut reader, &options)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    times.lap("list (partition, FAT, directories)");
    let (headers, helper_reads) =
        header_threads::read_headers(&mut reader, second, &listing.image_clips(), keys);
    times.lap("MP4 headers");
    let imu = scan::read_imu_headers(&mut reader, &listing);
    let listing = listing.with_headers(headers).with_imu_headers(imu);
    times.lap("IMU headers");
    Ok((
        listing,
        CardFiles::Image {
            reader,
            helper_reads,
        },
    ))
}

fn report(
    path: &Path,
    json: bool,
    list: bool,
    what_if: &WhatIf,
    stats: bool,
    keys: &Keys,
) -> Result<(), Failure> {
    let mut times = PhaseTimes::start();
    let (listing, mut files) = read_card_timed(path, what_if.capacity_bytes, keys, &mut times)?;
    let catalog = dashcard::catalog::build(&listing);
    times.lap("catalog");
    let telemetry = telemetry::card::read(&listing, &catalog, DriveOptions::default(), |i, max| {
        files.read(&listing, i, max)
    });
    times.lap("telemetry");
    if stats && let Some(read) = files.image_stats() {
        print_stats(read);
    }
    let estimate = dashcard::estimate::build(&listing, &catalog, what_if);
    times.lap("estimate");
    let written = if json {
        let mut report = Report::assemble(&listing, &catalog, &estimate, &telemetry);
        times.lap("report assembled");
        let written = write_stdout_with(|out| {
            report_json::write(&mut report, &mut *out)?;
            out.write_all(b"\n")
        });
        times.lap("JSON written");
        // Not freed: the process ends now (see below).
        std::mem::forget(report);
        written
    } else {
        let text = summary::render(&listing, &catalog, &estimate, &telemetry, list);
        times.lap("summary");
        write_stdout(text.as_bytes())
    };
    if stats {
        eprintln!("{}", times.line());
    }
    // The process ends now: freeing a large card's tens of thousands of records one by one
    // would only delay the exit by milliseconds (the benchmark's whole budget is ~40 ms).
    std::mem::forget((listing, catalog, estimate));
    written
}

/// Writes drive `start`'s track as `format`.
fn track(image: &Path, start: &str, format: TrackFormat, threshold_g: f64) -> Result<(), Failure> {
    let wanted = parse_local_time(start)?;
    let (listing, mut files) = read_card(image, None, &Keys::default())?;
    let catalog = dashcard::catalog::build(&listing);
    // The start as written, or to the second when given without its milliseconds.
    let whole = |t: chrono::NaiveDateTime| t.with_nanosecond(0);
    let matches = |d: &chrono::NaiveDateTime| {
        *d == wanted || (wanted.nanosecond() == 0 && whole(*d) == Some(wanted))
    };
    let Some(drive) = catalog.drives.iter().position(|d| matches(&d.start)) else {
        let starts: Vec<String> = catalog
            .drives
            .iter()
            .map(|d| d.start.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
            .collect();
        return Err(Failure::input(if starts.is_empty() {
            format!("{}: the card has no drives", image.display())
        } else {
            format!(
                "no drive starts at {start}; the card's drives start at: {}",
                starts.join(", ")
            )
        }));
    };
    let options = DriveOptions {
        impact_threshold_g: threshold_g,
    };
    let (drive_telemetry, warnings) =
        telemetry::card::read_drive(&listing, &catalog, drive, options, |i, max| {
            files.read(&listing, i, max)
        });
    for warning in &warnings {
        eprintln!("dashcard: {warning}");
    }
    if drive_telemetry.track.is_empty() {
        return Err(Failure::input(format!(
            "the drive at {start} has no GPS fixes (its clips have no .gnss sidecars with a position; only the newer cameras write them)"
        )));
    }
    let name = format!("Drive {start}");
    let text = match format {
        TrackFormat::Gpx => telemetry::export::to_gpx(&drive_telemetry, &name),
        TrackFormat::Geojson => telemetry::export::to_geojson(&drive_telemetry, &name),
        TrackFormat::Csv => telemetry::export::to_csv(&drive_telemetry),
    };
    write_stdout(text.as_bytes())
}

/// A drive's start as `drives[].start` writes it.
fn parse_local_time(text: &str) -> Result<chrono::NaiveDateTime, Failure> {
    let text = text.trim();
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            Failure::input(format!(
                "--drive {text}: not a start time; give it as report --json writes drives[].start, e.g. 2024-10-12T07:57:00"
            ))
        })
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    write_stdout_with(|out| out.write_all(bytes))
}

/// Runs `write` on a buffered standard output and flushes it; a closed pipe is no failure.
fn write_stdout_with(
    write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> Result<(), Failure> {
    // Large writes: a report is several MB, and each write to a pipe is a system call.
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::other(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn cat(image: &Path, path: &str, stats: bool, keys: Option<&Keys>) -> Result<(), Failure> {
    let file = match input::open(image).map_err(Failure::input)? {
        input::Input::Folder(root) => {
            let file = folder_walk::resolve(&root, path).map_err(Failure::input)?;
            let mut f = input::open_nonblocking(&file)
                .map_err(|e| Failure::input(format!("cannot open {}: {e}", file.display())))?;
            return match keys {
                Some(keys) => copy_decrypted(&mut f, path, keys),
                None => copy_to_stdout(&mut f),
            };
        }
        input::Input::Image(file) => file,
    };
    let mut reader = open_image(image, file)?;
    let options = ScanOptions {
        source_name: Some(source_name(image)),
        ..ScanOptions::default()
    };
    let listing = scan::list_image(&mut reader, &options)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", image.display())))?;
    let file = listing
        .find(path)
        .ok_or_else(|| Failure::input(format!("{path}: no such file on the card")))?;
    if file.deleted && file.recoverable != Some(true) {
        return Err(Failure::input(format!(
            "{}: deleted, and its clusters have since been reused or are damaged, so its bytes cannot be recovered",
            file.path
        )));
    }
    let mut stream = file.open(&mut reader);
    let result = match keys {
        Some(keys) => copy_decrypted(&mut stream, &file.path, keys),
        None => copy_to_stdout(&mut stream),
    };
    if stats {
        print_stats(reader.stats());
    }
    result
}

/// Writes the file `source` (an encrypted clip, at `path` on the card) decrypted, with the
/// first of `keys` that opens it. Nothing on the card changes: the plaintext is made as it is
/// written out.
fn copy_decrypted<R: io::Read + io::Seek>(
    source: &mut R,
    path: &str,
    keys: &Keys,
) -> Result<(), Failure> {
    let mut head = [0u8; PREFIX_BYTES];
    let n = source
        .read(&mut head)
        .and_then(|n| source.rewind().map(|()| n))
        .map_err(|e| Failure::input(format!("cannot read {path}: {e}")))?;
    if dashcard::encryption::opens_with(&head[..n], &dashcard::encryption::XorPad::zero()) {
        return Err(Failure::input(format!(
            "{path} is not encrypted (it starts with an MP4 box): leave out --decrypt"
        )));
    }
    let Some((pad, _)) = keys.opening(&head[..n]) else {
        return Err(Failure::input(format!(
            "{path}: neither the factory default key nor the key given opens it (ask Nexar support for this camera's key and pass it with --key)"
        )));
    };
    let mut plain = DecryptingReader::new(source, pad.clone())
        .map_err(|e| Failure::input(format!("cannot read {path}: {e}")))?;
    copy_to_stdout(&mut plain)
}

fn copy_to_stdout(source: &mut impl io::Read) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = source
            .read(&mut buf)
            .map_err(|e| Failure::input(format!("cannot read the file: {e}")))?;
        if n == 0 {
            break;
        }
        match out.write_all(&buf[..n]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => {
                return Err(Failure::other(format!(
                    "cannot write to standard output: {e}"
                )));
            }
        }
    }
    out.flush()
        .map_err(|e| Failure::other(format!("cannot write to standard output: {e}")))
}

fn simulate(
    sim: &Simulation,
    out: &Path,
    truth: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    if out.exists() && !force {
        return Err(Failure::input(format!(
            "{} exists; Dashcard does not overwrite images (add --force to replace it)",
            out.display()
        )));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(out)
        .map_err(|e| Failure::input(format!("cannot create {}: {e}", out.display())))?;
    let result = run_simulation(file, sim)
        .map_err(|e| Failure::input(format!("cannot simulate onto {}: {e}", out.display())))?;
    if let Some(path) = truth {
        let text = serde_json::to_string_pretty(&result)
            .map_err(|e| Failure::other(format!("cannot write the truth: {e}")))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
    }
    let live = result.live().count();
    eprintln!(
        "{}: {:?} card of {} ({}), {} days: {} recordings made, {} still on the card, {} overwritten; {} drives",
        out.display(),
        sim.family,
        summary::human_bytes(sim.card_bytes),
        match sim.filesystem {
            CardFilesystem::Fat32 => "FAT32".to_string(),
            CardFilesystem::Exfat { cluster_bytes } =>
                format!("exFAT, {} KiB clusters", cluster_bytes / 1024),
        },
        sim.days,
        result.recordings.len(),
        live,
        result.recordings.len() - live,
        result.drives.len()
    );
    Ok(())
}

fn parse_family(text: &str) -> Result<CameraModel, String> {
    CameraModel::parse(text).ok_or_else(|| {
        format!("unknown family `{text}` (use pro, beam, nexc1, nexs1, nexc2, beam2k, zero or n1)")
    })
}

fn parse_camera(text: &str) -> Result<Camera, String> {
    match text.to_ascii_lowercase().as_str() {
        "road" | "front" => Ok(Camera::Road),
        "cabin" | "inside" => Ok(Camera::Cabin),
        "second" | "rear" => Ok(Camera::Second),
        _ => Err(format!(
            "unknown camera `{text}` (use road, cabin or second)"
        )),
    }
}

fn parse_key(text: &str) -> Result<Key, String> {
    Key::new(text).map_err(|e| e.to_string())
}

/// The file systems `simulate` can format a card with.
#[derive(Clone, Copy)]
enum Filesystem {
    Fat32,
    Exfat,
}

fn parse_filesystem(text: &str) -> Result<Filesystem, String> {
    match text.to_ascii_lowercase().as_str() {
        "fat32" | "fat" => Ok(Filesystem::Fat32),
        "exfat" => Ok(Filesystem::Exfat),
        _ => Err(format!("unknown file system `{text}` (use fat32 or exfat)")),
    }
}

/// Parses a cluster size: binary units as formatters mean them ("128K" = 128 KiB).
fn parse_cluster(text: &str) -> Result<u32, String> {
    let t = text.trim().to_ascii_lowercase();
    let (number, factor) = if let Some(n) = t.strip_suffix("kib").or(t.strip_suffix('k')) {
        (n, 1024)
    } else if let Some(n) = t.strip_suffix("mib").or(t.strip_suffix('m')) {
        (n, 1024 * 1024)
    } else {
        (t.as_str(), 1)
    };
    number
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .filter(|b| b.is_power_of_two() && (4096..=32 << 20).contains(b))
        .ok_or_else(|| {
            format!("`{text}` is not a cluster size (a power of two from 4K to 32M, e.g. 256K)")
        })
}

/// The simulation's file system from the flags (`None`: as the camera formats the card);
/// `--cluster` only goes with exFAT.
fn card_filesystem(
    filesystem: Option<Filesystem>,
    cluster: Option<u32>,
    card_bytes: u64,
) -> Result<Option<CardFilesystem>, Failure> {
    match (filesystem, cluster) {
        (None, None) => Ok(None),
        (Some(Filesystem::Fat32), None) => Ok(Some(CardFilesystem::Fat32)),
        (Some(Filesystem::Fat32) | None, Some(_)) => Err(Failure::input(
            "--cluster applies to exFAT cards (add --filesystem exfat); FAT32 cards use 32K",
        )),
        (Some(Filesystem::Exfat), None) => Ok(Some(CardFilesystem::n1_exfat(card_bytes))),
        (Some(Filesystem::Exfat), Some(cluster_bytes)) => {
            Ok(Some(CardFilesystem::Exfat { cluster_bytes }))
        }
    }
}

fn parse_hours(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(h) if (0.0..=24.0).contains(&h) => Ok(h),
        _ => Err(format!(
            "`{text}` is not a number of hours between 0 and 24"
        )),
    }
}

/// Parses "64G", "256GB", "32 GiB", "1000000000": decimal units as card makers use them
/// (G = 10^9), binary ones when written "GiB".
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (try 64G or 256GB)"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit `{other}` (use G, GB or GiB)")),
    };
    let bytes = number * factor;
    if !(bytes.is_finite() && bytes > 0.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a usable card size"));
    }
    Ok(bytes as u64)
}

fn parse_threshold(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(g) if (0.1..=16.0).contains(&g) => Ok(g),
        _ => Err(format!(
            "`{text}` is not a threshold in g between 0.1 and 16"
        )),
    }
}
