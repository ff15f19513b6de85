//! Numbers as people read them, shared by every sentence the estimate, the CLI and the page
//! write: card sizes in decimal units, hours of driving, days from now.

/// Bytes in decimal units, like the label on a card: "512 B", "32.8 kB", "31.9 GB".
pub fn decimal_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// "3 min", "0.4 h", "2.4 h", "12 h".
pub fn format_hours(h: f64) -> String {
    if h < 0.1 {
        format!("{:.0} min", (h * 60.0).max(1.0))
    } else if h < 10.0 {
        format!("{h:.1} h")
    } else {
        format!("{h:.0} h")
    }
}

/// "likely today", "likely tomorrow", "in about 5 days".
pub fn when_in_words(days: f64) -> String {
    if days < 1.0 {
        "likely today".to_string()
    } else if days < 2.0 {
        "likely tomorrow".to_string()
    } else {
        format!("in about {days:.0} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_say_them() {
        assert_eq!(decimal_bytes(512), "512 B");
        assert_eq!(decimal_bytes(31_900_000_000), "31.9 GB");
        assert_eq!(format_hours(0.01), "1 min");
        assert_eq!(format_hours(2.44), "2.4 h");
        assert_eq!(format_hours(12.4), "12 h");
        assert_eq!(when_in_words(0.5), "likely today");
        assert_eq!(when_in_words(1.5), "likely tomorrow");
        assert_eq!(when_in_words(5.2), "in about 5 days");
    }
}
