//! `dashcard`: the command-line face of the Dashcard core, for forensics, tests and benchmarks.
//!
//! Exit codes: 0 ok, 2 unreadable input (one-line reason on stderr), 1 anything else.
#![forbid(unsafe_code)]

mod folder_walk;
mod summary;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dashcard::block_reader::BlockReader;
use dashcard::extent::ExtentReader;
use dashcard::report::Report;
use dashcard::scan::{self, ScanOptions};

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
        /// Card size, for a folder source whose capacity the OS does not tell (e.g. 64G, 256GB).
        #[arg(long, value_parser = parse_size)]
        capacity: Option<u64>,
        /// Print the bytes read and read calls made on the image to stderr.
        #[arg(long)]
        stats: bool,
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
    },
}

/// An error and the exit code it earns.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    fn other(message: impl Into<String>) -> Self {
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
            stats,
        } => report(&path, json, list, capacity, stats),
        Command::Cat { image, path, stats } => cat(&image, &path, stats),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("dashcard: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn open_image(path: &Path) -> Result<BlockReader<File>, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("cannot open {}: {e}", path.display())))?;
    BlockReader::new(file)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))
}

fn print_stats(reader: &BlockReader<File>) {
    let s = reader.stats();
    eprintln!(
        "read: {} bytes in {} calls ({:.1} MiB)",
        s.bytes_read,
        s.read_calls,
        s.bytes_read as f64 / (1024.0 * 1024.0)
    );
}

fn build_report(path: &Path, capacity: Option<u64>, stats: bool) -> Result<Report, Failure> {
    if path.is_dir() {
        return folder_walk::report(path, capacity).map_err(Failure::input);
    }
    let mut reader = open_image(path)?;
    let options = ScanOptions {
        source_name: Some(source_name(path)),
        ..ScanOptions::default()
    };
    let report = scan::scan_image(&mut reader, &options)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())));
    if stats {
        print_stats(&reader);
    }
    report
}

fn report(
    path: &Path,
    json: bool,
    list: bool,
    capacity: Option<u64>,
    stats: bool,
) -> Result<(), Failure> {
    let report = build_report(path, capacity, stats)?;
    let text = if json {
        report.to_json() + "\n"
    } else {
        summary::render(&report, list)
    };
    write_stdout(text.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::other(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn cat(image: &Path, path: &str, stats: bool) -> Result<(), Failure> {
    if image.is_dir() {
        let file = folder_walk::resolve(image, path).map_err(Failure::input)?;
        let mut f = File::open(&file)
            .map_err(|e| Failure::input(format!("cannot open {}: {e}", file.display())))?;
        return copy_to_stdout(&mut f);
    }
    let mut reader = open_image(image)?;
    let options = ScanOptions {
        source_name: Some(source_name(image)),
        ..ScanOptions::default()
    };
    let report = scan::list_image(&mut reader, &options)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", image.display())))?;
    let file = report
        .find(path)
        .ok_or_else(|| Failure::input(format!("{path}: no such file on the card")))?;
    if file.deleted && file.recoverable != Some(true) {
        return Err(Failure::input(format!(
            "{}: deleted, and its clusters have since been reused or are damaged, so its bytes cannot be recovered",
            file.path
        )));
    }
    let mut stream = ExtentReader::new(&mut reader, &file.extents, file.bytes);
    let result = copy_to_stdout(&mut stream);
    if stats {
        print_stats(&reader);
    }
    result
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
