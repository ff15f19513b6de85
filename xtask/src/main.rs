//! Project automation, so that two commands do everything on a fresh machine:
//!
//! - `cargo xtask serve` — installs what is missing, builds the web app, serves it on
//!   <http://127.0.0.1:8080>.
//! - `cargo xtask test` — installs what the tests need, then runs every check: formatting,
//!   clippy (host and wasm32), native tests, wasm tests in headless Chromium, and the
//!   browser end-to-end tests.
//!
//! Also `cargo xtask dist` (the release build into `dist/`, used by the Pages workflow) and
//! `cargo xtask bench` (the documented benchmarks), and `cargo xtask mutants MODULE` (mutation
//! testing of the core with a pinned cargo-mutants; by hand, not in CI).
//!
//! Only the standard library is used, so this builds in seconds before anything else exists.

mod bench;
mod bench_targets;
mod mutants;
mod setup;
mod steps;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <serve|test|dist|bench|mutants> [options]

  serve          install what is missing, build, serve on http://127.0.0.1:8080
  test           install what tests need, run every check (fmt, clippy, native, wasm, e2e)
  dist           release build of the web app into dist/ (what GitHub Pages hosts)
  bench          build the 256 GB synthetic card and compare `dashcard report` with `fls`
  mutants MODULE mutation testing of one core module (fat, partition, mp4, catalog, estimate,
                 exfat, telemetry; `list` shows their files) with a pinned cargo-mutants";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => steps::serve(),
        Some("test") => steps::test(),
        Some("dist") => steps::dist(),
        Some("bench") => bench::run(&args[1..]),
        Some("mutants") => mutants::run_module(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
