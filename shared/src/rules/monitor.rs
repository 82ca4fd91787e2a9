//! A monitor as the evaluator runs it: what to read, the rule, the windows and the levels.

use jiff::tz::TimeZone;

use crate::domain::Timestamp;

use super::{Aggregation, Anomaly, Baseline, Expr, ScheduledThreshold, Threshold, VersionCompare};
use crate::domain::Level;

/// How late Datadog may still deliver a point: a window that is empty for less than this
/// longer than the monitor's window is waiting for data, not without it.
pub const REPORTING_DELAY_SECS: u64 = 120;

/// One validated monitor. Built by `config`; the evaluator and the backtest only read it.
#[derive(Debug, Clone)]
pub struct Monitor {
    pub id: String,
    pub name: String,
    /// The metric it reads; `None` for a composite.
    pub metric: Option<String>,
    /// The Datadog query, grouped `by {model,model_version,env}`.
    pub query: Option<String>,
    pub rule: Rule,
    /// The rolling window each evaluation aggregates, in seconds.
    pub window_secs: u64,
    pub aggregation: Aggregation,
    /// Seconds between two evaluations (the evaluator's schedule).
    pub every_secs: u64,
    pub trigger: Trigger,
    /// Consecutive clean evaluations before a firing monitor recovers.
    pub recovery_clean: u32,
    pub no_data: NoDataPolicy,
    /// How many past evaluation instants an evaluation replays to find its state.
    pub replay: u32,
    pub time_zone: TimeZone,
    pub levels: MonitorLevels,
    /// Models it watches; empty means every model.
    pub models: Vec<String>,
    pub runbook_steps: Vec<String>,
    pub tags: Vec<String>,
}

impl Monitor {
    /// What of its own decides its verdicts (what it reads, its rule, window, cadence,
    /// trigger, recovery, no-data policy, replay, zone and models), written out; its name,
    /// levels, tags and runbook do not. `Config::judged_as` digests it with what else does.
    pub fn verdict_settings(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{}|{:?}|{}|{:?}|{}|{:?}|{}|{:?}|{:?}",
            self.metric,
            self.query,
            self.rule,
            self.window_secs,
            self.aggregation,
            self.every_secs,
            self.trigger,
            self.recovery_clean,
            self.no_data,
            self.replay,
            self.time_zone.iana_name(),
            self.models,
        )
    }

    /// How many instants an evaluation replays: `replay`, and never fewer than the
    /// trigger window and then `recovery_clean` clean instants, less one. A shorter replay
    /// would lose the breach that fired before the recovery had counted its clean
    /// instants, and resolve the alert early.
    pub fn replay_instants(&self) -> u32 {
        let spell = self
            .trigger
            .of
            .max(1)
            .saturating_add(self.recovery_clean.max(1))
            - 1;
        self.replay.max(spell)
    }

    /// How far back the data must reach for an evaluation at `now` to see all it uses.
    pub fn lookback_secs(&self) -> u64 {
        let replay = u64::from(self.replay_instants()) * self.every_secs;
        let history = match &self.rule {
            Rule::Baseline(b) => b.reach_secs(),
            Rule::Anomaly(a) => a.history_secs,
            _ => 0,
        };
        replay + self.window_secs + history
    }

    /// What it measures, for reasons and pages: the percentile its query reads from a
    /// distribution (`p95 llm.generation.latency`, averaged over the window), else the
    /// window's aggregation of the metric (`max gpu.memory.used_fraction`).
    pub fn measure(&self) -> String {
        let metric = self.metric.as_deref().unwrap_or(&self.id);
        match (self.percentile(), self.aggregation) {
            (Some(p), Aggregation::Avg) => format!("{p} {metric}"),
            (Some(p), a) => format!("{} of {p} {metric}", a.as_str()),
            (None, a) => format!("{} {metric}", a.as_str()),
        }
    }

    /// The percentile its query reads from a distribution metric (`p95` of `p95:metric{*}`).
    pub fn percentile(&self) -> Option<&str> {
        self.query
            .as_deref()
            .and_then(|q| q.trim().split_once(':'))
            .map(|(space, _)| space.trim())
            .filter(|s| {
                s.len() > 1
                    && s.starts_with('p')
                    && s[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.')
            })
    }

    /// The most recent part of `lookback_secs` an evaluation reads at the monitor's cadence:
    /// the instants it replays and their windows. The rest is history, which may come
    /// coarser when Datadog cannot return it all at the cadence (it caps a series' points).
    /// The anomaly detector learns from every point, so for it all of it is recent.
    pub fn recent_secs(&self) -> u64 {
        match self.rule {
            Rule::Anomaly(_) => self.lookback_secs(),
            _ => (u64::from(self.replay_instants()) * self.every_secs + self.window_secs)
                .min(self.lookback_secs()),
        }
    }

    /// How old a group's newest point must be before an instant counts as without data:
    /// the window, and Datadog's reporting delay.
    pub fn no_data_after_secs(&self) -> u64 {
        self.window_secs.saturating_add(REPORTING_DELAY_SECS)
    }

    /// Whether a group whose newest point is `newest` still reports at `at`: within the
    /// window and Datadog's reporting delay, as an evaluation counts it (a point exactly
    /// that old is already outside). A group that stopped is the absence rule's: its
    /// replay only holds what it last saw, and reads ok once it no longer reaches the last
    /// breach, so resolving its alert by that would close a silent model's page as
    /// recovered.
    pub fn reports(&self, newest: Timestamp, at: Timestamp) -> bool {
        let after =
            i64::try_from(self.no_data_after_secs().saturating_mul(1000)).unwrap_or(i64::MAX);
        newest.millis() > at.millis().saturating_sub(after)
    }

    /// How old a group's newest point must be before the group counts as absent: every
    /// instant an evaluation replays is then without data, so the data alone can no longer
    /// show a change (`absence` takes over from there).
    pub fn absent_after_secs(&self) -> u64 {
        u64::from(self.replay_instants())
            .saturating_mul(self.every_secs.max(1))
            .saturating_add(self.no_data_after_secs())
    }
}

/// The ways a monitor decides a point is breaching.
#[derive(Debug, Clone)]
pub enum Rule {
    Threshold(Threshold),
    Schedule(ScheduledThreshold),
    Baseline(Baseline),
    Anomaly(Anomaly),
    VersionCompare(VersionCompare),
    Composite(Expr),
}

impl Rule {
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Threshold(_) => "threshold",
            Rule::Schedule(_) => "schedule",
            Rule::Baseline(_) => "baseline",
            Rule::Anomaly(_) => "anomaly",
            Rule::VersionCompare(_) => "version_compare",
            Rule::Composite(_) => "composite",
        }
    }
}

/// Fire when `breaches` of the last `of` evaluations breach (and the latest does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub breaches: u32,
    pub of: u32,
}

/// What a window without points means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoDataPolicy {
    /// Changes nothing: a firing monitor keeps firing, a quiet one stays quiet.
    Ignore,
    /// Counts as a breach reported as no data, at the warn level.
    Warn,
    /// Counts as a breach reported as no data, at the alert level.
    Alert,
    /// Counts as clean: the alert resolves.
    Resolve,
}

impl NoDataPolicy {
    pub const NAMES: &'static str = "ignore, warn, alert or resolve";

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ignore" => Self::Ignore,
            "warn" => Self::Warn,
            "alert" => Self::Alert,
            "resolve" => Self::Resolve,
            _ => return None,
        })
    }
}

/// The escalation level each firing state opens at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorLevels {
    pub warn: Level,
    pub alert: Level,
}

impl Default for MonitorLevels {
    fn default() -> Self {
        Self {
            warn: Level::L1,
            alert: Level::L2,
        }
    }
}
