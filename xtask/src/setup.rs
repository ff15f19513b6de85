//! Installs what the project needs when it is missing, and skips what is already there.
//!
//! Everything comes from the package registries this project's machines reach: rustup targets,
//! crates.io (`cargo install`), Debian packages (`apt-get`) and npm. Nothing downloads a browser
//! or a prebuilt binary at run time.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Trunk 0.22 needs rustc 1.96; 0.21.x builds with the toolchain these machines have.
pub const TRUNK_VERSION: &str = "0.21.14";

/// Debian packages the tests need: the browsers and their drivers, and the real tools that make
/// and cross-check test cards.
pub const TEST_DEBIAN_PACKAGES: &[&str] = &[
    "chromium",
    "chromium-driver",
    // The second engine: playwright-core drives Firefox ESR over WebDriver BiDi.
    "firefox-esr",
    // The third: WebKitGTK's WebDriver and MiniBrowser, which need a display (Xvfb).
    "webkit2gtk-driver",
    "xvfb",
    "xauth",
    "dosfstools",
    "mtools",
    "fdisk",
    "ffmpeg",
    "sleuthkit",
    "exfatprogs",
    // Python's zipfile is the second ZIP implementation the export tests check against.
    "python3",
];

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs a command to completion, failing with its name when it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("+ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs a command and returns its standard output, or None when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// `rustup target add wasm32-unknown-unknown` unless present.
pub fn wasm_target() -> Result<(), String> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// Trunk at the pinned version, unless present.
pub fn trunk() -> Result<(), String> {
    let have = output(Command::new("trunk").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(TRUNK_VERSION) {
        return Ok(());
    }
    run(Command::new("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
}

/// The `wasm-bindgen` version pinned in Cargo.lock; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\""
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// wasm-bindgen-cli (which also provides wasm-bindgen-test-runner) equal to Cargo.lock's
/// wasm-bindgen. Installed without `--locked`, which fails to resolve on these machines.
pub fn wasm_bindgen_cli() -> Result<(), String> {
    let want = locked_wasm_bindgen_version()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        return Ok(());
    }
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))
}

/// Everything `trunk build` and `trunk serve` need.
pub fn web_build_tools() -> Result<(), String> {
    wasm_target()?;
    trunk()?;
    wasm_bindgen_cli()
}

fn debian_package_installed(name: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", name]))
        .is_some_and(|s| s.contains("install ok installed"))
}

/// Installs the Debian packages in `packages` that are missing (one apt-get run).
pub fn debian_packages(packages: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !debian_package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let as_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if as_root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

/// The e2e suite's npm packages (playwright-core, which never downloads a browser, and axe-core).
pub fn npm_packages() -> Result<(), String> {
    let e2e = root().join("e2e");
    // playwright-core drives Chromium; axe-core is the accessibility check the e2e tests run.
    let installed = ["playwright-core", "axe-core"].iter().all(|p| {
        e2e.join("node_modules")
            .join(p)
            .join("package.json")
            .exists()
    });
    if installed {
        return Ok(());
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&e2e))
}
