//! A drive's track as text other tools read: GPX 1.1 (maps, GPS software), GeoJSON (web maps,
//! GIS) and CSV (spreadsheets). Strings only; the caller saves them.
//!
//! Times are UTC with a `Z`. GPX 1.1 has no speed or course element, so they go in Garmin's
//! TrackPointExtension v2 (speed in m/s), which the common readers understand; impacts with a
//! position become waypoints. In GeoJSON the track is a LineString feature (a Point when it has
//! a single fix) and each located impact a Point feature; impacts without a position have no
//! place on a map and are left out there.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::drive::DriveTelemetry;
use super::gnss::Fix;
use super::impact::Impact;
use super::utc;

/// The drive as a GPX 1.1 document named `name`.
pub fn to_gpx(drive: &DriveTelemetry, name: &str) -> String {
    let name = escape_xml(name);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<gpx version=\"1.1\" creator=\"Dashcard\" xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v2\">\n",
    );
    let _ = write!(out, "  <metadata><name>{name}</name>");
    if let Some(start) = drive.start_utc() {
        let _ = write!(out, "<time>{}</time>", utc::format(start));
    }
    out.push_str("</metadata>\n");
    for impact in &drive.impacts {
        if let Some(position) = impact.position {
            let _ = writeln!(
                out,
                "  <wpt lat=\"{:.7}\" lon=\"{:.7}\"><time>{}</time><name>Impact {:.2} g</name><desc>{}</desc><type>impact</type></wpt>",
                position.lat,
                position.lon,
                utc::format(impact.at_utc),
                impact.peak_g,
                escape_xml(&describe(impact)),
            );
        }
    }
    let _ = writeln!(out, "  <trk><name>{name}</name><trkseg>");
    for fix in &drive.track {
        write_trkpt(&mut out, fix);
    }
    out.push_str("  </trkseg></trk>\n</gpx>\n");
    out
}

fn write_trkpt(out: &mut String, fix: &Fix) {
    let _ = write!(
        out,
        "    <trkpt lat=\"{:.7}\" lon=\"{:.7}\">",
        fix.position.lat, fix.position.lon
    );
    if let Some(altitude) = fix.altitude_m {
        let _ = write!(out, "<ele>{altitude:.1}</ele>");
    }
    let _ = write!(out, "<time>{}</time>", utc::format(fix.at_utc));
    if let Some(hdop) = fix.hdop {
        let _ = write!(out, "<hdop>{hdop:.2}</hdop>");
    }
    if fix.speed_kmh.is_some() || fix.course_deg.is_some() {
        out.push_str("<extensions><gpxtpx:TrackPointExtension>");
        if let Some(kmh) = fix.speed_kmh {
            let _ = write!(out, "<gpxtpx:speed>{:.3}</gpxtpx:speed>", kmh / 3.6);
        }
        if let Some(course) = fix.course_deg {
            let _ = write!(out, "<gpxtpx:course>{course:.2}</gpxtpx:course>");
        }
        out.push_str("</gpxtpx:TrackPointExtension></extensions>");
    }
    out.push_str("</trkpt>\n");
}

/// An impact in words, e.g. "Peak 2.61 g at 2024-10-12T07:57:03.120Z, 48.3 km/h".
fn describe(impact: &Impact) -> String {
    let mut text = format!(
        "Peak {:.2} g at {}",
        impact.peak_g,
        utc::format(impact.at_utc)
    );
    if let Some(kmh) = impact.speed_kmh {
        let _ = write!(text, ", {kmh:.1} km/h");
    }
    text
}

/// The drive as a GeoJSON FeatureCollection named `name`.
pub fn to_geojson(drive: &DriveTelemetry, name: &str) -> String {
    let mut features: Vec<Value> = Vec::new();
    let coordinates: Vec<Value> = drive
        .track
        .iter()
        .map(|f| json!([f.position.lon, f.position.lat]))
        .collect();
    let geometry = match coordinates.as_slice() {
        [] => None,
        [point] => Some(json!({ "type": "Point", "coordinates": point })),
        _ => Some(json!({ "type": "LineString", "coordinates": coordinates })),
    };
    if let Some(geometry) = geometry {
        features.push(json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "kind": "track",
                "name": name,
                "start_utc": drive.start_utc().map(utc::format),
                "end_utc": drive.end_utc().map(utc::format),
                "distance_km": drive.distance_km,
                "max_speed_kmh": drive.max_speed_kmh,
                "times_utc": drive.track.iter().map(|f| utc::format(f.at_utc)).collect::<Vec<_>>(),
            },
        }));
    }
    for impact in &drive.impacts {
        let Some(position) = impact.position else {
            continue;
        };
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [position.lon, position.lat] },
            "properties": {
                "kind": "impact",
                "time_utc": utc::format(impact.at_utc),
                "peak_g": impact.peak_g,
                "speed_kmh": impact.speed_kmh,
            },
        }));
    }
    let collection = json!({ "type": "FeatureCollection", "features": features });
    collection.to_string()
}

/// The track as CSV: `time_utc,lat,lon,speed_kmh,course,altitude_m`, empty cells for unknowns.
pub fn to_csv(drive: &DriveTelemetry) -> String {
    let mut out = String::from("time_utc,lat,lon,speed_kmh,course,altitude_m\n");
    let cell = |value: Option<f64>, decimals: usize| {
        value.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
    };
    for fix in &drive.track {
        let _ = writeln!(
            out,
            "{},{:.7},{:.7},{},{},{}",
            utc::format(fix.at_utc),
            fix.position.lat,
            fix.position.lon,
            cell(fix.speed_kmh, 2),
            cell(fix.course_deg, 2),
            cell(fix.altitude_m, 1),
        );
    }
    out
}

/// `text` safe inside XML text and attribute values; characters XML 1.0 forbids are dropped.
fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::geo::LatLon;
    use chrono::DateTime;

    fn sample_drive() -> DriveTelemetry {
        let at = |s| DateTime::from_timestamp(1_728_719_820 + s, 0).unwrap();
        let fix = |s: i64, lat: f64| Fix {
            at_utc: at(s),
            position: LatLon { lat, lon: -122.25 },
            speed_kmh: Some(36.0),
            course_deg: Some(90.0),
            altitude_m: (s == 0).then_some(12.3),
            hdop: (s == 0).then_some(0.8),
        };
        let mut impact = Impact::at_sample(at(1), 2.75);
        impact.speed_kmh = Some(36.0);
        impact.position = Some(LatLon {
            lat: 37.5,
            lon: -122.25,
        });
        DriveTelemetry {
            track: vec![fix(0, 37.5), fix(1, 37.5001)],
            distance_km: 0.011,
            max_speed_kmh: Some(36.0),
            impacts: vec![impact, Impact::at_sample(at(9), 3.0)],
            ..DriveTelemetry::default()
        }
    }

    #[test]
    fn gpx_points_and_escaping() {
        let gpx = to_gpx(&sample_drive(), "Drive <A & B> \"x\"\u{1}");
        assert!(gpx.contains("<name>Drive &lt;A &amp; B&gt; &quot;x&quot;</name>"));
        assert!(gpx.contains(
            "<trkpt lat=\"37.5000000\" lon=\"-122.2500000\"><ele>12.3</ele><time>2024-10-12T07:57:00Z</time>\
             <hdop>0.80</hdop><extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>10.000</gpxtpx:speed>\
             <gpxtpx:course>90.00</gpxtpx:course></gpxtpx:TrackPointExtension></extensions></trkpt>"
        ));
        assert_eq!(gpx.matches("<trkpt ").count(), 2);
        assert_eq!(
            gpx.matches("<wpt ").count(),
            1,
            "the impact without a position is not a waypoint"
        );
        assert!(gpx.contains(
            "<name>Impact 2.75 g</name><desc>Peak 2.75 g at 2024-10-12T07:57:01Z, 36.0 km/h</desc>"
        ));
    }

    #[test]
    fn geojson_shapes() {
        let value: Value = serde_json::from_str(&to_geojson(&sample_drive(), "d")).unwrap();
        let features = value["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0]["geometry"]["type"], "LineString");
        assert_eq!(
            features[0]["geometry"]["coordinates"][1],
            json!([-122.25, 37.5001])
        );
        assert_eq!(features[1]["properties"]["peak_g"], 2.75);
        let mut one = sample_drive();
        one.track.truncate(1);
        one.impacts.clear();
        let value: Value = serde_json::from_str(&to_geojson(&one, "d")).unwrap();
        assert_eq!(value["features"][0]["geometry"]["type"], "Point");
        let value: Value =
            serde_json::from_str(&to_geojson(&DriveTelemetry::default(), "d")).unwrap();
        assert_eq!(value["features"], json!([]));
    }

    #[test]
    fn csv_rows() {
        let csv = to_csv(&sample_drive());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "time_utc,lat,lon,speed_kmh,course,altitude_m");
        assert_eq!(
            lines[1],
            "2024-10-12T07:57:00Z,37.5000000,-122.2500000,36.00,90.00,12.3"
        );
        assert_eq!(
            lines[2],
            "2024-10-12T07:57:01Z,37.5001000,-122.2500000,36.00,90.00,"
        );
        assert_eq!(lines.len(), 3);
    }
}
