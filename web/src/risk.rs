//! How close a recording is to being overwritten, as a badge: the next to go, at risk (within
//! about two days at this card's pace), or safe for now.

use dashcard::estimate::Overwrite;
use leptos::prelude::*;

/// The three levels, plus "unknown" when the estimate has nothing to go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    /// The oldest footage: the camera overwrites it next.
    NextToGo,
    /// At risk: overwritten within about two days of use.
    Soon,
    /// Not soon.
    Safe,
    /// No estimate (folder without a card size, sos limit unknown).
    Unknown,
    /// Never overwritten: locked, or in a folder the camera never cleans.
    Kept,
}

/// Days of use under which footage counts as at risk.
const AT_RISK_DAYS: f64 = 2.0;

impl Risk {
    /// From a fate: `first` when it is the oldest of the loop (the next to go).
    pub fn of(fate: Overwrite, first: bool) -> Self {
        match fate {
            Overwrite::Loop(p) => Self::of_loop(first, p.after_days, p.after_hours),
            Overwrite::Sos { after_events } => Self::of_sos(after_events),
            Overwrite::Protected(_) => Risk::Kept,
            Overwrite::Unknown | Overwrite::Never => Risk::Unknown,
        }
    }

    /// From a loop recording's estimate: `first` when it is the oldest of its queue.
    fn of_loop(first: bool, days: Option<f64>, hours: Option<f64>) -> Self {
        if first {
            return Risk::NextToGo;
        }
        match (days, hours) {
            (Some(d), _) if d < AT_RISK_DAYS => Risk::Soon,
            (Some(_), _) => Risk::Safe,
            (None, Some(h)) if h < 1.0 => Risk::Soon,
            (None, Some(_)) => Risk::Safe,
            _ => Risk::Unknown,
        }
    }

    /// From a sos clip's estimate: parking events before it is deleted.
    fn of_sos(events: u64) -> Self {
        match events {
            1 => Risk::NextToGo,
            n if n <= 3 => Risk::Soon,
            _ => Risk::Safe,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Risk::NextToGo => "next to go",
            Risk::Soon => "at risk",
            Risk::Safe => "safe for now",
            Risk::Unknown => "risk unknown",
            Risk::Kept => "never overwritten",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Risk::NextToGo => "badge risk-next",
            Risk::Soon => "badge risk-at",
            Risk::Safe => "badge risk-safe",
            Risk::Unknown => "badge risk-unknown",
            Risk::Kept => "badge risk-kept",
        }
    }
}

/// The badge.
#[component]
pub fn RiskBadge(risk: Risk, #[prop(optional, into)] title: String) -> impl IntoView {
    view! { <span class=risk.class() title=title>{risk.label()}</span> }
}
