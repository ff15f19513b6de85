//! GPS and motion telemetry from the camera's sidecar files: for `video/X.mp4` the camera writes
//! `video/.gnss/X.txt` (one GNSS line group per second) and `video/.imu/X.dat` (accelerometer and
//! gyroscope at about 50 Hz).
//!
//! Everything here works on bytes the caller read and returns plain values; nothing reads files.
//! Both logs come from firmware with bugs that have to be undone rather than trusted (see
//! [`gnss`] and [`imu`] for each one and the source line it comes from), and a card can hold
//! anything, so the parsers never fail: a line they cannot read is skipped and counted, and what
//! they keep is capped, so a 10 MB garbage file costs one linear pass and bounded memory.
//!
//! - [`gnss`]: a `.gnss/*.txt` log → fixes with a full UTC time, position, speed, course, altitude.
//! - [`imu`]: a `.imu/*.dat` log → its header (model, firmware, serial, time zone) and samples on
//!   a monotonic UTC time line.
//! - [`clip`]: one clip's summary (fixes, first position, top speed, peak g).
//! - [`drive`]: a drive's track, distance, top speed and impacts, from its clips in order.
//! - [`impact`]: hard jolts found in the accelerometer samples.
//! - [`card`]: every clip's summary and every drive's telemetry on a card, from the catalog and
//!   a function that reads a file.
//! - [`export`]: a drive as GPX 1.1, GeoJSON or CSV text.
//!
//! ```
//! use dashcard::telemetry::{DriveOptions, derive_drive, export, parse_gnss, parse_imu};
//!
//! let txt = b"t0=1728719820.042\nts=0.001\n\
//!             10,1,2,07570100,4807038,01131000,22.4,84.4,ANNN,-1092,0.90,5452,47.9\n";
//! let gnss = parse_gnss(txt, None);
//! let imu = parse_imu(b"", None); // a 0-byte .dat: the power was cut
//! let drive = derive_drive([(Some(&gnss), Some(&imu))], DriveOptions::default());
//! assert_eq!(drive.track[0].at_utc.to_rfc3339(), "2024-10-12T07:57:01+00:00");
//! let gpx = export::to_gpx(&drive, "Morning drive");
//! assert!(gpx.contains("<trkpt lat=\"48.1173000\" lon=\"11.5166667\">"));
//! ```

pub mod card;
pub mod clip;
pub mod coordinate;
pub mod drive;
pub mod export;
pub mod geo;
pub mod gnss;
pub mod impact;
pub mod imu;
pub mod imu_header;
pub mod imu_time;
mod lines;
pub mod utc;

pub use card::CardTelemetry;
pub use clip::{ClipSummary, summarize_clip};
pub use drive::{DriveBuilder, DriveOptions, DriveTelemetry, GPeak, derive_drive};
pub use geo::LatLon;
pub use gnss::{Fix, GnssLog, parse_gnss};
pub use impact::Impact;
pub use imu::{ImuLog, ImuSample, parse_imu};
pub use imu_header::ImuHeader;
