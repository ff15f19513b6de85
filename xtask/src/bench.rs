//! `cargo xtask bench`: the reading benchmark of the README.
//!
//! Builds (once, cached under `target/bench/`) a 256 GB sparse FAT32 card with ~11,000 one-minute
//! recordings (road + cabin) and a few thousand deleted entries, then runs
//! `dashcard report --json --stats` and `fls -r -p` on the same image, each under
//! `/usr/bin/time -v`, and prints wall time, peak memory and bytes read beside the targets.
//! A benchmark, not a test: it reports figures and never fails on them.

use std::path::Path;
use std::process::Command;

use crate::setup::{self, root};

/// What one timed run cost.
struct Measured {
    wall_s: f64,
    max_rss_kib: u64,
    stderr: String,
}

fn timed(cmd: &mut Command) -> Result<Measured, String> {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&program)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("{} failed:\n{stderr}", program.to_string_lossy()));
    }
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):").unwrap_or_default();
    let wall_s = wall
        .split(':')
        .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v))
        .unwrap_or(f64::NAN);
    let max_rss_kib = field("Maximum resident set size (kbytes):")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Measured {
        wall_s,
        max_rss_kib,
        stderr,
    })
}

/// Each tool runs this many times; the run with the median wall time is reported.
const RUNS: usize = 5;

/// Runs `once` `runs` times and keeps the run with the median wall time.
fn median_of(
    runs: usize,
    mut once: impl FnMut() -> Result<Measured, String>,
) -> Result<Measured, String> {
    let mut all = (0..runs).map(|_| once()).collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let middle = all.len() / 2;
    Ok(all.swap_remove(middle))
}

/// Runs the benchmark. `--rebuild` makes new cards even if cached; `--no-web` skips the browser.
pub fn run(args: &[String]) -> Result<(), String> {
    setup::debian_packages(&["sleuthkit", "time"])?;
    let rebuild = args.iter().any(|a| a == "--rebuild");
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let image = dir.join("card-256g.img");
    let truth = dir.join("card-256g.truth.json");

    setup::run(Command::new("cargo").current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "dashcard-cli",
        "--bin",
        "dashcard",
    ]))?;
    setup::run(Command::new("cargo").current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "dashcard-sim",
        "--example",
        "bench_card",
    ]))?;
    let release = root().join("target/release");
    if rebuild || !image.exists() || !truth.exists() {
        setup::run(
            Command::new(release.join("examples/bench_card"))
                .arg(&image)
                .arg(&truth),
        )?;
    }
    let truth_text = std::fs::read_to_string(&truth)
        .map_err(|e| format!("cannot read {}: {e}", truth.display()))?;
    let metadata_bytes = json_number(&truth_text, "metadata_bytes").unwrap_or(f64::NAN);
    let partition_offset = json_number(&truth_text, "partition_offset")
        .ok_or_else(|| format!("{} has no partition_offset", truth.display()))?;
    // fls takes the volume's offset in 512-byte sectors.
    let fls_offset = format!("{}", partition_offset as u64 / 512);

    // Warm the page cache once so both tools are measured on equal terms.
    let _ = Command::new(release.join("dashcard"))
        .args(["report", "--json"])
        .arg(&image)
        .stdout(std::process::Stdio::null())
        .status();
    let ours = median_of(RUNS, || {
        timed(
            Command::new(release.join("dashcard"))
                .args(["report", "--json", "--stats"])
                .arg(&image),
        )
    })?;
    let fls = median_of(RUNS, || {
        timed(
            Command::new("fls")
                .args(["-r", "-p", "-o", &fls_offset])
                .arg(&image),
        )
    })?;
    let bytes_read = ours
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("read: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    let calls = ours
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("read: "))
        .and_then(|l| l.split(" in ").nth(1))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("?")
        .to_string();

    print_results(&image, &ours, &fls, bytes_read, &calls, metadata_bytes);
    if args.iter().any(|a| a == "--no-web") {
        return Ok(());
    }
    web(&release, &dir, &image, fls.wall_s, rebuild)
}

/// The browser benchmark: the same card (and a 32 GB one, to see memory stay flat) opened in the
/// release build of the page in headless Chromium.
fn web(release: &Path, dir: &Path, image: &Path, fls_s: f64, rebuild: bool) -> Result<(), String> {
    setup::web_build_tools()?;
    setup::debian_packages(&["chromium"])?;
    setup::npm_packages()?;
    setup::run(Command::new("trunk").current_dir(root()).args([
        "build",
        "--release",
        "--offline",
    ]))?;
    let small = dir.join("card-32g.img");
    if rebuild || !small.exists() {
        let _ = std::fs::remove_file(&small);
        setup::run(
            Command::new(release.join("dashcard"))
                .args([
                    "simulate", "--family", "pro", "--size", "32G", "--days", "30",
                ])
                .arg(&small),
        )?;
    }
    let out = Command::new("node")
        .current_dir(root().join("e2e"))
        .arg("bench-web.mjs")
        .arg(image)
        .arg(&small)
        .env("DASHCARD_DIST", root().join("dist"))
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the browser benchmark failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    println!(
        "\nbrowser (headless Chromium, release build; first: the 256 GB card, then a 32 GB one):\n{text}"
    );
    let overview_s = json_number(&text, "overview_ms").unwrap_or(f64::NAN) / 1000.0;
    let durations_s = json_number(&text, "durations_ms").unwrap_or(f64::NAN) / 1000.0;
    let longest = json_number(&text, "longest_task_ms").unwrap_or(f64::NAN);
    println!(
        "256 GB card: overview {overview_s:.3} s = {:.2} × fls (target ≤ 0.5); all durations {durations_s:.2} s (target ≤ 10); longest main-thread task {longest:.0} ms (target ≤ 50)",
        overview_s / fls_s
    );
    Ok(())
}

fn print_results(
    image: &Path,
    ours: &Measured,
    fls: &Measured,
    bytes_read: f64,
    calls: &str,
    metadata_bytes: f64,
) {
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "\nbenchmark card: {} (median of {RUNS} runs each, warm page cache)",
        image.display()
    );
    println!(
        "dashcard report --json: {:.3} s, peak RSS {:.1} MiB, read {:.1} MiB in {} calls",
        ours.wall_s,
        ours.max_rss_kib as f64 / 1024.0,
        mib(bytes_read),
        calls
    );
    println!(
        "fls -r -p -o N:         {:.3} s, peak RSS {:.1} MiB",
        fls.wall_s,
        fls.max_rss_kib as f64 / 1024.0
    );
    println!(
        "wall time ratio {:.3} (target ≤ 0.1); peak RSS {:.1} MiB (target ≤ 48); bytes read / (FAT + directories + MP4 headers = {:.1} MiB) = {:.2} (target ≤ 1.5)",
        ours.wall_s / fls.wall_s,
        ours.max_rss_kib as f64 / 1024.0,
        mib(metadata_bytes),
        bytes_read / metadata_bytes
    );
}

/// The number after `"key":` in a flat JSON text (the truth file the card builder writes).
fn json_number(text: &str, key: &str) -> Option<f64> {
    let at = text.find(&format!("\"{key}\""))?;
    let rest = text[at + key.len() + 2..].trim_start().strip_prefix(':')?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ' ' || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}
