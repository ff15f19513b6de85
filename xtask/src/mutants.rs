//! `cargo xtask mutants`: mutation testing of the core's decision-making modules with a pinned
//! `cargo-mutants`. Each mutant is one small wrong program (a `<` made `<=`, a function that
//! returns a default, a `/` made `*`); a mutant that every selected test still passes marks a
//! decision no test checks. Too slow for CI on two cores (each mutant rebuilds the core and
//! re-runs its tests), so it runs by hand, one module (or a few functions) at a time, and the
//! README keeps the counts.

use std::process::Command;

use crate::setup::{self, root, run};

/// cargo-mutants at this version exactly: its mutation operators (and so the counts in the
/// README) change between releases.
pub const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// One module: the files whose functions are mutated and the test targets that judge them
/// (`lib`: the core's unit tests; the others: integration tests that exercise the module on
/// real inputs).
struct Module {
    name: &'static str,
    files: &'static [&'static str],
    tests: &'static [&'static str],
}

const MODULES: &[Module] = &[
    Module {
        name: "fat",
        files: &[
            "src/fat/recovery.rs",
            "src/fat/table.rs",
            "src/fat/walk.rs",
            "src/fat/deleted.rs",
            "src/fat/cross_links.rs",
        ],
        tests: &[
            "lib",
            "fat",
            "card_builder",
            "fragmented",
            "fat_robustness",
            "fat_hostile",
            "dosfstools_corpus",
        ],
    },
    Module {
        name: "partition",
        files: &["src/partition/*.rs"],
        tests: &["lib", "partition"],
    },
    Module {
        name: "mp4",
        files: &[
            "src/mp4/mod.rs",
            "src/mp4/moov.rs",
            "src/mp4/fields.rs",
            "src/mp4/fragments.rs",
        ],
        tests: &["lib", "mp4"],
    },
    Module {
        name: "catalog",
        files: &["src/catalog/*.rs"],
        tests: &["lib", "catalog", "golden"],
    },
    Module {
        name: "estimate",
        files: &["src/estimate/*.rs"],
        tests: &["lib", "catalog", "golden"],
    },
    Module {
        name: "exfat",
        files: &[
            "src/exfat/allocation_bitmap.rs",
            "src/exfat/fat_chain.rs",
            "src/exfat/walk.rs",
            "src/exfat/cluster_set.rs",
        ],
        tests: &["lib", "exfat", "exfat_robustness", "exfat_catalog"],
    },
    Module {
        name: "telemetry",
        files: &[
            "src/telemetry/gnss.rs",
            "src/telemetry/imu.rs",
            "src/telemetry/drive.rs",
        ],
        tests: &["lib", "telemetry"],
    },
];

const USAGE: &str =
    "usage: cargo xtask mutants <MODULE|list> [--tests T1,T2] [-- CARGO-MUTANTS-ARGS...]

  Runs cargo-mutants (installed at the pinned version when missing) on one module of the core,
  in place (the warm target/ is reused; the tree is restored after each mutant), judged by the
  core's unit tests and the module's integration tests. Arguments after `--` go to cargo-mutants,
  e.g. `-- -F recover --timeout 300` to mutate only functions matching `recover`.
  --tests T1,T2 judges by these test targets instead of the module's own list (`lib` is the
  core's unit tests, any other name a file in tests/): fewer binaries to rebuild per mutant.
  Results: mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt).";

/// `cargo xtask mutants MODULE [-- ARGS]`.
pub fn run_module(args: &[String]) -> Result<(), String> {
    let (ours, theirs) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let (name, tests_override) = match ours {
        [name] => (name.as_str(), None),
        [name, flag, list] if flag == "--tests" => (
            name.as_str(),
            Some(list.split(',').map(str::to_string).collect::<Vec<_>>()),
        ),
        _ => return Err(USAGE.to_string()),
    };
    if name == "list" {
        for m in MODULES {
            println!("{:10} {}", m.name, m.files.join(" "));
        }
        return Ok(());
    }
    let module = MODULES.iter().find(|m| m.name == name).ok_or_else(|| {
        let names: Vec<&str> = MODULES.iter().map(|m| m.name).collect();
        format!("unknown module {name:?}; one of: {}", names.join(", "))
    })?;
    cargo_mutants()?;
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .args(["mutants", "--package", "dashcard", "--in-place"]);
    for f in module.files {
        cmd.args(["--file", f]);
    }
    // The test targets go to every cargo command (`--cargo-arg`), so that each mutant's build
    // (`cargo test --no-run`) compiles only them, not all twenty integration test files.
    let tests =
        tests_override.unwrap_or_else(|| module.tests.iter().map(|t| t.to_string()).collect());
    for t in &tests {
        if t == "lib" {
            cmd.arg("--cargo-arg=--lib");
        } else {
            cmd.arg(format!("--cargo-arg=--test={t}"));
        }
    }
    cmd.args(theirs);
    run(&mut cmd)
}

/// cargo-mutants at [`CARGO_MUTANTS_VERSION`], unless present.
fn cargo_mutants() -> Result<(), String> {
    let have =
        setup::output(Command::new("cargo").args(["mutants", "--version"])).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(CARGO_MUTANTS_VERSION) {
        return Ok(());
    }
    run(Command::new("cargo").args([
        "install",
        "cargo-mutants",
        "--version",
        CARGO_MUTANTS_VERSION,
        "--locked",
    ]))
}
