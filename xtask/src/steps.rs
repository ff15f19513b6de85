//! The commands: serve, test, dist.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::setup::{self, root, run};

const WASM: &str = "wasm32-unknown-unknown";

fn cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root());
    cmd
}

fn trunk_build(release: bool) -> Result<(), String> {
    let mut cmd = Command::new("trunk");
    cmd.current_dir(root()).args(["build", "--offline"]);
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)
}

/// `cargo xtask serve`: build and serve the app on http://127.0.0.1:8080.
pub fn serve() -> Result<(), String> {
    setup::web_build_tools()?;
    println!("\nDashcard will be served at http://127.0.0.1:8080/ (Ctrl-C to stop)\n");
    run(Command::new("trunk").current_dir(root()).args([
        "serve",
        "--offline",
        "--address",
        "127.0.0.1",
        "--port",
        "8080",
        // trunk serve needs an absolute base; `trunk build` keeps the relative one.
        "--public-url",
        "/",
    ]))
}

/// `cargo xtask dist`: the release build GitHub Pages (or any static host) serves.
pub fn dist() -> Result<(), String> {
    setup::web_build_tools()?;
    trunk_build(true)?;
    check_dist_size(&root().join("dist"))
}

/// `cargo xtask test`: install what is missing, then run every check in order.
pub fn test() -> Result<(), String> {
    let started = Instant::now();
    section("setup: tools and packages (skipped when present)");
    setup::web_build_tools()?;
    setup::debian_packages(setup::TEST_DEBIAN_PACKAGES)?;
    setup::npm_packages()?;

    section("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;

    section("clippy (host)");
    run(cargo().args([
        "clippy",
        "--workspace",
        "--exclude",
        "dashcard-web",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    section("clippy (wasm32: the core and the web app)");
    run(cargo().args([
        "clippy", "-p", "dashcard", "--lib", "--target", WASM, "--", "-D", "warnings",
    ]))?;
    run(cargo().args([
        "clippy",
        "-p",
        "dashcard-web",
        "--all-targets",
        "--target",
        WASM,
        "--",
        "-D",
        "warnings",
    ]))?;

    section("native tests (unit, integration, doc)");
    run(cargo().args(["test", "--workspace", "--exclude", "dashcard-web"]))?;

    section("wasm tests in headless Chromium (wasm-bindgen-test)");
    run(cargo()
        .args(["test", "-p", "dashcard-web", "--target", WASM])
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;

    section("release build (trunk build --release)");
    trunk_build(true)?;
    check_dist_size(&root().join("dist"))?;

    section("browser end-to-end tests (Playwright + Debian Chromium, dist/ under a sub-path)");
    run(&mut e2e("chromium", &[]))?;
    section("the same in Firefox ESR (Playwright over WebDriver BiDi)");
    run(&mut e2e("firefox", &[]))?;
    section("WebKit smoke test (WebKitGTK MiniBrowser + WebKitWebDriver, under Xvfb)");
    run(&mut e2e("webkit", &["webkit.test.mjs"]))?;

    println!(
        "\nall checks passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The e2e tests (`files`, or all of them) in `browser` (DASHCARD_BROWSER), against dist/ and
/// the CLI. WebKitGTK needs a display, so its run gets one from Xvfb.
fn e2e(browser: &str, files: &[&str]) -> Command {
    let mut cmd = if browser == "webkit" {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "node"]);
        c
    } else {
        Command::new("node")
    };
    cmd.args(["--test", "--test-concurrency=1"])
        .args(files)
        .current_dir(root().join("e2e"))
        .env("DASHCARD_BROWSER", browser)
        .env("DASHCARD_DIST", root().join("dist"))
        .env("DASHCARD_CLI", root().join("target/debug/dashcard"));
    cmd
}

fn section(title: &str) {
    println!("\n==== {title} ====");
}

/// What a visitor may download: the gzipped wasm and JS of the release build, in KiB.
pub const SIZE_BUDGET_KIB: f64 = 600.0;

/// Whether a build over [`SIZE_BUDGET_KIB`] fails: it holds (README, "Hosting"), and a change
/// that breaks it fails the checks.
const SIZE_BUDGET_ENFORCED: bool = true;

/// Prints the gzipped size of the wasm and JS in `dist` (what a visitor downloads) beside
/// [`SIZE_BUDGET_KIB`], and fails when it is over (once [`SIZE_BUDGET_ENFORCED`]).
pub fn check_dist_size(dist: &Path) -> Result<(), String> {
    let (raw, gz) = dist_size(dist)?;
    let kib = |b: u64| b as f64 / 1024.0;
    println!(
        "dist/: wasm + js = {:.0} KiB raw, {:.0} KiB gzipped (target ≤ {SIZE_BUDGET_KIB:.0} KiB)",
        kib(raw),
        kib(gz)
    );
    if kib(gz) > SIZE_BUDGET_KIB {
        let over = format!(
            "the page is {:.0} KiB gzipped, {:.0} KiB over its {SIZE_BUDGET_KIB:.0} KiB budget",
            kib(gz),
            kib(gz) - SIZE_BUDGET_KIB
        );
        if SIZE_BUDGET_ENFORCED {
            return Err(over);
        }
        println!("warning: {over}");
    }
    Ok(())
}

/// The raw and gzipped bytes of the wasm and JS files in `dist`.
fn dist_size(dist: &Path) -> Result<(u64, u64), String> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut raw = 0u64;
    let mut gz = 0u64;
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "wasm" && ext != "js" {
            continue;
        }
        raw += entry.metadata().map(|m| m.len()).unwrap_or(0);
        let out = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run gzip: {e}"))?;
        gz += out.stdout.len() as u64;
    }
    Ok((raw, gz))
}
