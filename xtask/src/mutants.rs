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
/// (the core's unit tests plus the integration tests that exercise the module on real inputs).
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
        tests: &["partition"],
    },
    Module {
        name: "mp4",
        files: &[
            "src/mp4/mod.rs",
            "src/mp4/moov.rs",
            "src/mp4/fields.rs",
            "src/mp4/fragments.rs",
        ],
        tests: &["mp4"],
    },
    Module {
        name: "catalog",
        files: &["src/catalog/*.rs"],
        tests: &["catalog", "golden"],
    },
    Module {
        name: "estimate",
        files: &["src/estimate/*.rs"],
        tests: &["catalog", "golden"],
    },
    Module {
        name: "exfat",
        files: &[
            "src/exfat/allocation_bitmap.rs",
            "src/exfat/fat_chain.rs",
            "src/exfat/walk.rs",
            "src/exfat/cluster_set.rs",
        ],
        tests: &["exfat", "exfat_robustness", "exfat_catalog"],
    },
    Module {
        name: "telemetry",
        files: &[
            "src/telemetry/gnss.rs",
            "src/telemetry/imu.rs",
            "src/telemetry/drive.rs",
        ],
        tests: &["telemetry"],
    },
];

const USAGE: &str = "usage: cargo xtask mutants <MODULE|list> [-- CARGO-MUTANTS-ARGS...]

  Runs cargo-mutants (installed at the pinned version when missing) on one module of the core,
  in place (the warm target/ is reused; the tree is restored after each mutant), judged by the
  core's unit tests and the module's integration tests. Arguments after `--` go to cargo-mutants,
  e.g. `-- -F recover --timeout 300` to mutate only functions matching `recover`.
  Results: mutants.out/ (caught.txt, missed.txt, timeout.txt, unviable.txt).";

/// `cargo xtask mutants MODULE [-- ARGS]`.
pub fn run_module(args: &[String]) -> Result<(), String> {
    let (ours, theirs) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let name = match ours {
        [name] => name.as_str(),
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
        .args(["mutants", "--package", "dashcard", "--in-place"])
        .args(["--output", "mutants.out"]);
    for f in module.files {
        cmd.args(["--file", f]);
    }
    cmd.args(theirs);
    // What follows `--` is given to `cargo test`: the unit tests and the module's test files.
    cmd.args(["--", "--lib"]);
    for t in module.tests {
        cmd.args(["--test", t]);
    }
    run(&mut cmd)
}

/// cargo-mutants at [`CARGO_MUTANTS_VERSION`], unless present.
fn cargo_mutants() -> Result<(), String> {
    let have = setup::output(Command::new("cargo").args(["mutants", "--version"]))
        .unwrap_or_default();
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
