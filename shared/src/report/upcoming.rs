//! Maintenance windows and silences ahead: the reporter passes them in, the report lists them.

use crate::domain::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuietKind {
    Maintenance,
    Silence,
}

impl QuietKind {
    pub fn name(self) -> &'static str {
        match self {
            QuietKind::Maintenance => "maintenance",
            QuietKind::Silence => "silence",
        }
    }
}

/// A span in which alerts are expected or held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietWindow {
    pub kind: QuietKind,
    /// What it covers, in the users' words: a model, a monitor, or "all models".
    pub scope: String,
    /// The models it is limited to (none: any model): an audience of other models is not
    /// told.
    pub models: Vec<String>,
    pub starts: Timestamp,
    pub ends: Timestamp,
    pub by: Option<String>,
    pub reason: Option<String>,
}

/// The windows still running at `now` or starting within `horizon_secs`, soonest first.
pub fn upcoming(windows: &[QuietWindow], now: Timestamp, horizon_secs: u64) -> Vec<QuietWindow> {
    let until = now.plus_secs(horizon_secs);
    let mut out: Vec<QuietWindow> = windows
        .iter()
        .filter(|w| w.ends > now && w.starts < until)
        .cloned()
        .collect();
    out.sort_by_key(|w| (w.starts, w.ends));
    out
}
