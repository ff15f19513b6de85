//! The table of issue 15's targets that `cargo xtask bench` ends with: each figure beside its
//! target, what this run measured, and whether it holds. A browser figure the run did not make
//! says so ("not run" with `--no-web`, "not measured" when the browser benchmark printed no
//! such figure), so the table never silently drops a row.

/// What the browser benchmark measured on one card (`e2e/bench-web.mjs`, one JSON object per
/// card opened).
#[derive(Default)]
pub struct BrowserFigures {
    /// File chosen → overview shown, in seconds.
    pub overview_s: Option<f64>,
    /// File chosen → every clip's duration known, in seconds.
    pub durations_s: Option<f64>,
    /// Longest main-thread task while the card opened, in milliseconds.
    pub longest_task_ms: Option<f64>,
    /// The worker's WebAssembly memory at its peak, in bytes.
    pub worker_memory_bytes: Option<f64>,
}

impl BrowserFigures {
    /// The figures of one result object printed by the browser benchmark.
    pub fn parse(result: &str) -> Self {
        let number = |key| super::bench::json_number(result, key);
        Self {
            overview_s: number("overview_ms").map(|ms| ms / 1000.0),
            durations_s: number("durations_ms").map(|ms| ms / 1000.0),
            longest_task_ms: number("longest_task_ms"),
            worker_memory_bytes: number("worker_memory_bytes").filter(|b| *b > 0.0),
        }
    }
}

/// What the browser part of the run gave.
pub enum Browser {
    /// `--no-web`: nothing measured in a browser.
    NotRun,
    /// The 256 GB cards (FAT32, exFAT) through the image input, and the FAT32 card's files
    /// through the folder input (`None` when the benchmark did not measure that route).
    Ran {
        fat32: BrowserFigures,
        exfat: BrowserFigures,
        folder: Option<BrowserFigures>,
    },
}

/// Everything the table needs from one run.
pub struct Figures {
    /// `dashcard report --json` on the FAT32 and exFAT cards, and `fls -r -p` on FAT32, in
    /// seconds (medians, measured in the same run).
    pub report_fat32_s: f64,
    pub report_exfat_s: f64,
    pub fls_s: f64,
    pub browser: Browser,
}

/// One row: the figure, its target, what was measured (or why nothing was) and whether the
/// target holds.
struct Row {
    figure: String,
    target: &'static str,
    measured: Result<String, &'static str>,
    holds: Option<bool>,
}

fn row(
    figure: impl Into<String>,
    target: &'static str,
    limit: f64,
    value: Result<Option<f64>, &'static str>,
    show: impl Fn(f64) -> String,
) -> Row {
    let value = value.and_then(|v| v.filter(|v| v.is_finite()).ok_or("not measured"));
    Row {
        figure: figure.into(),
        target,
        holds: value.ok().map(|v| v <= limit),
        measured: value.map(show),
    }
}

/// Prints the table of targets for `figures`.
pub fn print(figures: &Figures) {
    let fls = figures.fls_s;
    let ratio = |s: f64| format!("{:.3} ({s:.3} s / {fls:.3} s)", s / fls);
    let mut rows = vec![
        row(
            "native `report --json` / `fls -r -p`, FAT32 card",
            "≤ 0.10",
            0.10,
            Ok(Some(figures.report_fat32_s / fls)),
            |_| ratio(figures.report_fat32_s),
        ),
        row(
            "native `report --json` (exFAT card) / `fls -r -p` (FAT32 card)",
            "≤ 0.10",
            0.10,
            Ok(Some(figures.report_exfat_s / fls)),
            |_| ratio(figures.report_exfat_s),
        ),
    ];
    let browser = |pick: &dyn Fn(&BrowserFigures) -> Option<f64>, card: &str| match &figures.browser
    {
        Browser::NotRun => Err("not run (--no-web)"),
        Browser::Ran { fat32, exfat, .. } => Ok(pick(if card == "exfat" { exfat } else { fat32 })),
    };
    for (card, label) in [("fat32", "FAT32"), ("exfat", "exFAT")] {
        rows.push(row(
            format!("browser: file chosen → overview / native `fls`, {label} card"),
            "≤ 0.50",
            0.50,
            browser(&|f| f.overview_s.map(|s| s / fls), card),
            |r| format!("{r:.2}"),
        ));
        rows.push(row(
            format!("browser: every clip's duration known, {label} card"),
            "≤ 3 s",
            3.0,
            browser(&|f| f.durations_s, card),
            |s| format!("{s:.2} s"),
        ));
        rows.push(row(
            format!("longest main-thread task while a card opens, {label} card"),
            "≤ 50 ms",
            50.0,
            browser(&|f| f.longest_task_ms, card),
            |ms| format!("{ms:.0} ms"),
        ));
        rows.push(row(
            format!("worker memory, 256 GB {label} card"),
            "≤ 32 MiB",
            32.0,
            browser(
                &|f| f.worker_memory_bytes.map(|b| b / (1024.0 * 1024.0)),
                card,
            ),
            |mib| format!("{mib:.1} MiB"),
        ));
    }
    // The folder route against the image route, on the same card's files.
    let folder = |pick: &dyn Fn(&BrowserFigures) -> Option<f64>| match &figures.browser {
        Browser::NotRun => Err("not run (--no-web)"),
        Browser::Ran { fat32, folder, .. } => Ok(folder
            .as_ref()
            .and_then(|folder| Some(pick(folder)? / pick(fat32)?))),
    };
    rows.push(row(
        "folder route (the FAT32 card's files as a folder): overview / image route's",
        "≤ 2",
        2.0,
        folder(&|f| f.overview_s),
        |r| format!("{r:.2}"),
    ));
    rows.push(row(
        "folder route: every duration known / image route's",
        "≤ 2",
        2.0,
        folder(&|f| f.durations_s),
        |r| format!("{r:.2}"),
    ));

    println!("\nissue 15's targets (this run):\n");
    println!("| figure | target | measured | holds |");
    println!("| --- | --- | --- | --- |");
    for r in rows {
        let holds = match r.holds {
            Some(true) => "✓",
            Some(false) => "✗ not met",
            None => "—",
        };
        let measured = r.measured.unwrap_or_else(|why| why.to_string());
        println!("| {} | {} | {measured} | {holds} |", r.figure, r.target);
    }
}
