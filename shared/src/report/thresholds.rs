//! The thresholds that decide what a report calls steady, notable, near capacity or idle.

/// What a report calls out. The defaults suit most teams; the reporter may take them from
/// configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// A relative change smaller than this (0.05 = 5%) reads as steady.
    pub steady_change: f64,
    /// A worsening at least this large (0.10 = 10%) makes a model worth watching.
    pub notable_change: f64,
    /// GPU memory or utilisation (percent) in the busiest hour above this is a capacity warning.
    pub capacity_percent: f64,
    /// GPUs whose weekly p95 utilisation (percent) stays below this sat idle most of the week.
    pub idle_gpu_p95_percent: f64,
    /// How many monitors the weekly report lists as candidates for tuning.
    pub noisy_monitors: usize,
    /// How many worsening trends get a chart in a report.
    pub trend_charts: usize,
    /// How many weeks the response-time chart shows (this week included).
    pub response_weeks: usize,
    /// How far ahead the weekly report lists maintenance windows and silences, in seconds.
    pub upcoming_secs: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            steady_change: 0.05,
            notable_change: 0.10,
            capacity_percent: 85.0,
            idle_gpu_p95_percent: 30.0,
            noisy_monitors: 5,
            trend_charts: 3,
            response_weeks: 4,
            upcoming_secs: 7 * 24 * 3600,
        }
    }
}
