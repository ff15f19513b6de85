//! When one recording (or drive) will be overwritten: its place in one of the camera's two
//! queues, and the one way it is put in words.

use serde::{Deserialize, Serialize};

use super::words::{decimal_bytes, format_hours, when_in_words};

/// A loop-pool recording's place in the queue: what must still be written before it goes.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct LoopPosition {
    /// More bytes the camera writes before it overwrites the recording.
    pub after_bytes: u64,
    /// The same in hours of driving, when the card's rate is known.
    pub after_hours: Option<f64>,
    /// The same in calendar days, when the driving per day is known.
    pub after_days: Option<f64>,
}

/// Why a recording is never overwritten, though the camera keeps a loop.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// Locked: the read-only attribute is set, and the newer cameras skip such clips.
    Locked,
    /// In a folder the camera never cleans (the newer cameras' `sos` and `photo`).
    KeptFolder,
}

/// When something will be overwritten.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub enum Overwrite {
    /// In the loop: overwritten once this much more is written.
    Loop(LoopPosition),
    /// In the `sos` folder: deleted after this many more parking events.
    Sos {
        /// Parking events still to come before it is deleted.
        after_events: u64,
    },
    /// Never overwritten by the camera, for this reason.
    Protected(Protection),
    /// In a queue, but its place is not known (card size or sos limit unknown).
    Unknown,
    /// In no queue: not a recording, deleted already, or without a date to place it by.
    #[default]
    Never,
}

impl Overwrite {
    /// Bytes still to be written before it goes (loop pool).
    pub fn after_bytes(&self) -> Option<u64> {
        match self {
            Overwrite::Loop(p) => Some(p.after_bytes),
            _ => None,
        }
    }

    /// Hours of driving before it goes (loop pool).
    pub fn after_hours(&self) -> Option<f64> {
        match self {
            Overwrite::Loop(p) => p.after_hours,
            _ => None,
        }
    }

    /// Calendar days before it goes (loop pool).
    pub fn after_days(&self) -> Option<f64> {
        match self {
            Overwrite::Loop(p) => p.after_days,
            _ => None,
        }
    }

    /// Parking events before it goes (sos pool).
    pub fn after_events(&self) -> Option<u64> {
        match self {
            Overwrite::Sos { after_events } => Some(*after_events),
            _ => None,
        }
    }

    /// Why it is never overwritten, when it is protected.
    pub fn protection(&self) -> Option<Protection> {
        match self {
            Overwrite::Protected(p) => Some(*p),
            _ => None,
        }
    }

    /// The one way it is said: "overwritten after about 0.4 h of driving (likely today)",
    /// "deleted after 3 more parking event(s)", "next to be overwritten"; empty for what is in
    /// no queue.
    pub fn describe(&self) -> String {
        match *self {
            Overwrite::Loop(p) if p.after_bytes == 0 => "next to be overwritten".to_string(),
            Overwrite::Loop(LoopPosition {
                after_hours: Some(h),
                after_days: Some(d),
                ..
            }) => format!(
                "overwritten after about {} of driving ({})",
                format_hours(h),
                when_in_words(d)
            ),
            Overwrite::Loop(LoopPosition {
                after_hours: Some(h),
                ..
            }) => format!("overwritten after about {} of driving", format_hours(h)),
            Overwrite::Loop(p) => format!(
                "overwritten after {} more is recorded",
                decimal_bytes(p.after_bytes)
            ),
            Overwrite::Sos { after_events } => {
                format!("deleted after {after_events} more parking event(s)")
            }
            Overwrite::Protected(Protection::Locked) => {
                "never overwritten: it is locked (read-only), and the camera skips locked clips"
                    .to_string()
            }
            Overwrite::Protected(Protection::KeptFolder) => {
                "never overwritten: the camera never cleans its sos and photo folders".to_string()
            }
            Overwrite::Unknown => "when it will be overwritten is not known yet".to_string(),
            Overwrite::Never => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_place_in_a_queue_has_its_words() {
        let at = |after_bytes, after_hours, after_days| {
            Overwrite::Loop(LoopPosition {
                after_bytes,
                after_hours,
                after_days,
            })
        };
        assert_eq!(
            at(0, Some(0.0), Some(0.0)).describe(),
            "next to be overwritten"
        );
        assert_eq!(
            at(5, Some(0.4), Some(0.3)).describe(),
            "overwritten after about 0.4 h of driving (likely today)"
        );
        assert_eq!(
            at(5, Some(12.0), None).describe(),
            "overwritten after about 12 h of driving"
        );
        assert_eq!(
            at(2_000_000_000, None, None).describe(),
            "overwritten after 2.0 GB more is recorded"
        );
        let sos = Overwrite::Sos { after_events: 3 };
        assert_eq!(sos.describe(), "deleted after 3 more parking event(s)");
        assert_eq!((sos.after_events(), sos.after_bytes()), (Some(3), None));
        assert!(Overwrite::Unknown.describe().contains("not known"));
        let locked = Overwrite::Protected(Protection::Locked);
        assert!(locked.describe().contains("locked"));
        assert_eq!(
            (locked.protection(), locked.after_bytes()),
            (Some(Protection::Locked), None)
        );
        assert!(
            Overwrite::Protected(Protection::KeptFolder)
                .describe()
                .contains("never cleans")
        );
        assert_eq!(Overwrite::Never.describe(), "");
    }
}
