//! The record the newer Nexar cameras (Beam 2K, Zero, N1) put in each clip's `moov/udta`, after
//! the `AMBA` box: when the segment really started (UTC), and which camera and firmware wrote it
//! (`UpdateVideoMetadata`, `svc/apps/icam/core/src/record/SvcRecMain.c:866-933` in
//! aoni-dvr/nexar_82001). Big-endian:
//!
//! `u32 length (all of it) · "CUST" · u8 8 · u32 UTC seconds · u32 milliseconds ·
//! u8 n + serial · u8 n + software version · u8 n + build time · u32 CRC-32`
//!
//! The CRC (zlib's) covers everything after the tag, so a damaged record is refused rather than
//! trusted: its time would otherwise misplace the clip.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest record accepted: three strings of at most 255 bytes and the fixed fields.
pub(crate) const MAX_RECORD_BYTES: usize = 8 + 9 + 3 * 256 + 4;

/// What the camera wrote about a segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraRecord {
    /// When the segment started, from the camera's (network-set) Linux clock.
    pub start_utc: DateTime<Utc>,
    /// The camera's serial number, when it wrote one.
    pub serial: Option<String>,
    /// The firmware's version.
    pub software: Option<String>,
    /// When the firmware was built, as it says.
    pub build: Option<String>,
}

/// Reads a `CUST` box (`bytes` is the whole box, header included).
pub(crate) fn parse(bytes: &[u8]) -> Result<CameraRecord, String> {
    if bytes.len() < 8 + 9 + 3 + 4 || bytes.get(4..8) != Some(b"CUST".as_slice()) {
        return Err("the camera's record is too short".to_string());
    }
    let body = &bytes[8..bytes.len() - 4];
    let stored = u32::from_be_bytes(
        bytes[bytes.len() - 4..]
            .try_into()
            .map_err(|_| "no CRC".to_string())?,
    );
    if crate::crc32::hash(body) != stored {
        return Err("the camera's record fails its CRC check: it is damaged".to_string());
    }
    let mut at = 0;
    let mut field = || -> Result<&[u8], String> {
        let len = usize::from(*body.get(at).ok_or("the camera's record ends early")?);
        let value = body
            .get(at + 1..at + 1 + len)
            .ok_or("the camera's record ends early")?;
        at += 1 + len;
        Ok(value)
    };
    let time = field()?;
    if time.len() != 8 {
        return Err(format!(
            "the camera's record gives its time in {} bytes, not 8",
            time.len()
        ));
    }
    let seconds = u32::from_be_bytes([time[0], time[1], time[2], time[3]]);
    let millis = u32::from_be_bytes([time[4], time[5], time[6], time[7]]);
    if millis >= 1000 {
        return Err(format!("the camera's record says {millis} milliseconds"));
    }
    let start_utc = DateTime::from_timestamp_millis(i64::from(seconds) * 1000 + i64::from(millis))
        .filter(|t| crate::telemetry::utc::is_plausible(*t))
        .ok_or_else(|| {
            format!("the camera's record holds the time {seconds}, from a clock that was not set")
        })?;
    let serial = text(field()?);
    let software = text(field()?);
    let build = text(field()?);
    Ok(CameraRecord {
        start_utc,
        serial,
        software,
        build,
    })
}

/// A string field as text (printable ASCII only), `None` when empty.
fn text(bytes: &[u8]) -> Option<String> {
    let s: String = bytes
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ')
        .map(|&b| char::from(b))
        .collect();
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A record as the firmware writes it, for tests and the simulation's mirror of it.
#[cfg(test)]
pub(crate) fn encode(seconds: u32, millis: u32, strings: [&str; 3]) -> Vec<u8> {
    let mut body = vec![8u8];
    body.extend_from_slice(&seconds.to_be_bytes());
    body.extend_from_slice(&millis.to_be_bytes());
    for s in strings {
        body.push(s.len() as u8);
        body.extend_from_slice(s.as_bytes());
    }
    let crc = crate::crc32::hash(&body);
    let mut out = ((body.len() + 12) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(b"CUST");
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_damage_is_refused() {
        let bytes = encode(
            1_728_719_820,
            42,
            ["N1A2B3C4", "v1.2.3", "2024-09-01 10:00"],
        );
        let r = parse(&bytes).unwrap();
        assert_eq!(
            crate::telemetry::utc::format(r.start_utc),
            "2024-10-12T07:57:00.042Z"
        );
        assert_eq!(r.serial.as_deref(), Some("N1A2B3C4"));
        assert_eq!(r.software.as_deref(), Some("v1.2.3"));
        assert_eq!(r.build.as_deref(), Some("2024-09-01 10:00"));
        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert!(parse(&damaged).unwrap_err().contains("CRC"));
        assert!(parse(&bytes[..10]).is_err());
        let empty = encode(1_728_719_820, 0, ["", "v1", ""]);
        assert_eq!(parse(&empty).unwrap().serial, None);
        let unset = encode(5, 0, ["", "", ""]);
        assert!(parse(&unset).unwrap_err().contains("not set"));
        // A string length that runs past the end.
        let mut body = vec![8u8];
        body.extend_from_slice(&[0; 8]);
        body.push(200);
        let crc = crate::crc32::hash(&body);
        let mut lying = ((body.len() + 12) as u32).to_be_bytes().to_vec();
        lying.extend_from_slice(b"CUST");
        lying.extend_from_slice(&body);
        lying.extend_from_slice(&crc.to_be_bytes());
        assert!(parse(&lying).is_err());
    }
}
