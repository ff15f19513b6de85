//! Which `.imu` sidecars the reader opens, and what their first line says. The newer cameras
//! name clips in UTC and keep their time zone in these headers (`timezone=`, seconds east of
//! UTC), with their model and firmware. A card holds up to 10,000 of them; the zone is a
//! camera setting, so the newest few say what it is now, and reading them costs a few small
//! reads whatever the card's size.

use std::io::Read;

use crate::listing::Listing;
use crate::telemetry::ImuHeader;
use crate::telemetry::imu_header::parse_header;

/// How many headers are read: the newest clips' (by name, which carries the UTC start).
pub const HEADERS_READ: usize = 3;

/// Bytes read from the start of each: the header line (model, serial, zone and the sensor
/// settings) is a few hundred bytes.
pub const HEADER_BYTES: u64 = 2048;

/// The sidecars whose headers are read: live, non-empty `.dat` files in a `.imu` folder, the
/// newest names first.
pub fn chosen(listing: &Listing) -> Vec<usize> {
    let mut found: Vec<(usize, &str)> = listing
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.deleted && f.bytes > 0)
        .filter_map(|(i, f)| {
            let (folder, name) = f.path.rsplit_once('/')?;
            let parent = folder.rsplit('/').next()?;
            let dat = name.len() > 4 && name[name.len() - 4..].eq_ignore_ascii_case(".dat");
            (parent.eq_ignore_ascii_case(".imu") && dat).then_some((i, name))
        })
        .collect();
    crate::sort::sort_by(&mut found, |a, b| b.1.cmp(a.1));
    found
        .into_iter()
        .take(HEADERS_READ)
        .map(|(i, _)| i)
        .collect()
}

/// The header on the first line of `file` (at most [`HEADER_BYTES`] of it are read).
pub fn read_header(file: impl Read) -> Option<ImuHeader> {
    let mut head = Vec::new();
    file.take(HEADER_BYTES).read_to_end(&mut head).ok()?;
    let line = head.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    parse_header(text.trim_end_matches('\r')).map(|(header, _)| header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::ListedFile;

    #[test]
    fn the_newest_live_imu_logs_are_chosen() {
        let mut listing = Listing::default();
        for (path, bytes, deleted) in [
            ("video/.imu/20241012_075700A.dat", 10, false),
            ("video/.imu/20241012_075800A.dat", 10, false),
            ("video/.imu/20241012_075900A.dat", 0, false),
            ("video/.imu/20241012_080000A.dat", 10, true),
            ("video/.imu/20241012_080100B.dat", 10, false),
            ("video/.gnss/20241012_080200A.txt", 10, false),
            ("video/20241012_080300A.dat", 10, false),
            ("video/.imu/20241011_070000A.dat", 10, false),
        ] {
            listing.files.push(ListedFile {
                path: path.to_string(),
                bytes,
                deleted,
                ..ListedFile::default()
            });
        }
        assert_eq!(chosen(&listing), vec![4, 1, 0]);
    }

    #[test]
    fn the_first_line_is_the_header() {
        let text = b"device=NEXAR_N1-v1.2.3; sn=N1X; vsn=; cpuid=; wifimac=aa:bb:cc:dd:ee:ff; trip=; timezone=-18000; time=1728719820,5; gsensor=x; gyro=y\n1728719820.000000|G:0,0,9.8,-1,0,0,0,0,30.00\n";
        let h = read_header(&text[..]).unwrap();
        assert_eq!(h.model.as_deref(), Some("NEXAR_N1"));
        assert_eq!(h.timezone_offset_s, Some(-18000));
        assert_eq!(read_header(&b"1728719820.000000|G:0"[..]), None);
        assert_eq!(read_header(&[0xffu8, 0xfe][..]), None);
    }
}
