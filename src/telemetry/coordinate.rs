//! Latitude and longitude as the GNSS logger prints them: the receiver's NMEA text
//! (`ddmm.mmmm`, `dddmm.mmmm`) with its dot deleted and `-` put in front for south or west
//! [gnss_record.c:259-285].
//!
//! Deleting the dot loses the scale, and receivers differ in how many decimals of a minute they
//! send (4 or 5 are common), so the text is read by digit position instead: two (latitude) or
//! three (longitude) digits of degrees, two of whole minutes, and every digit after that is a
//! decimal of a minute. That holds whatever the receiver's precision, because NMEA always pads
//! degrees and minutes to full width.

/// Which axis a coordinate text is for: it fixes how many leading digits are degrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// North-south: `ddmm…`, at most 90°.
    Latitude,
    /// East-west: `dddmm…`, at most 180°.
    Longitude,
}

impl Axis {
    fn degree_digits(self) -> usize {
        match self {
            Axis::Latitude => 2,
            Axis::Longitude => 3,
        }
    }

    fn max_degrees(self) -> f64 {
        match self {
            Axis::Latitude => 90.0,
            Axis::Longitude => 180.0,
        }
    }
}

/// Most decimals of a minute accepted; receivers send 3 to 6, and more than this is not a
/// position (and would not fit the integer the decimals are read into).
const MAX_MINUTE_DECIMALS: usize = 12;

/// The coordinate in signed decimal degrees, or `None` when the text is not one.
pub fn parse(text: &str, axis: Axis) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let whole = axis.degree_digits() + 2;
    if digits.len() < whole
        || digits.len() > whole + MAX_MINUTE_DECIMALS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (degree_text, rest) = digits.split_at(axis.degree_digits());
    let (minute_text, decimal_text) = rest.split_at(2);
    let degrees: f64 = degree_text.parse::<u32>().ok()?.into();
    let whole_minutes: f64 = minute_text.parse::<u32>().ok()?.into();
    let fraction = if decimal_text.is_empty() {
        0.0
    } else {
        let scale = 10f64.powi(i32::try_from(decimal_text.len()).ok()?);
        // Exact: at most 12 digits fit an f64 integer, and dividing by a power of ten rounds once.
        decimal_text.parse::<u64>().ok()? as f64 / scale
    };
    let minutes = whole_minutes + fraction;
    if minutes >= 60.0 {
        return None;
    }
    let value = degrees + minutes / 60.0;
    if value > axis.max_degrees() {
        return None;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn reads_by_digit_position_whatever_the_precision() {
        // 48°07.038' N from "4807.038" (3 decimals), "4807.0380" (4) and "4807.03800" (5).
        let expected = 48.0 + 7.038 / 60.0;
        for text in ["4807038", "48070380", "480703800"] {
            assert!(close(parse(text, Axis::Latitude), expected), "{text}");
        }
        // 11°31.000' E with three degree digits.
        assert!(close(
            parse("01131000", Axis::Longitude),
            11.0 + 31.0 / 60.0
        ));
        assert!(close(
            parse("-01131000", Axis::Longitude),
            -(11.0 + 31.0 / 60.0)
        ));
        assert!(close(
            parse("-3351123456", Axis::Latitude),
            -(33.0 + 51.123456 / 60.0)
        ));
        // Whole minutes only.
        assert!(close(parse("4807", Axis::Latitude), 48.0 + 7.0 / 60.0));
    }

    #[test]
    fn refuses_what_is_not_a_coordinate() {
        for text in [
            "",
            "-",
            "480",
            "48.07038",
            "4860000",
            "9100000",
            "9000001",
            "12a4567",
            "--4807",
            "4807038000000000000",
        ] {
            assert_eq!(parse(text, Axis::Latitude), None, "{text}");
        }
        assert_eq!(parse("18100000", Axis::Longitude), None);
        assert!(close(parse("18000000", Axis::Longitude), 180.0));
        assert_eq!(parse("0113", Axis::Longitude), None);
    }
}
