//! Backtest: replays a series through a monitor exactly as the live evaluator would — the
//! same [`Evaluator`] at each point's time, the same signals, the same lifecycle — and
//! reports the anomaly score per point and the alerts that would have opened and closed.

use serde::Serialize;

use crate::config::Config;
use crate::domain::{Alert, Group, InvalidValue, Timestamp};
use crate::lifecycle;
use crate::rules::{Data, Evaluator, Monitor, Point, Rule};
use crate::signals;

/// One point with how anomalous the monitor found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub point: Point,
    pub score: f64,
}

/// An alert the backtest opened (and closed, unless it was still open at the end).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestAlert {
    pub opened_at: String,
    pub opened_at_ms: i64,
    pub closed_at: Option<String>,
    pub closed_at_ms: Option<i64>,
    /// The first breaching evaluation (onset), before the trigger window filled.
    pub first_breach_at_ms: i64,
    /// The highest level it reached.
    pub level: String,
    /// The level it opened at.
    pub opened_level: String,
    /// Why `level` is above `opened_level`, when it is: a replay has nobody to acknowledge,
    /// so an alert escalates on the routing's timeouts as an unanswered one would.
    pub note: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    pub scores: Vec<Scored>,
    pub alerts: Vec<BacktestAlert>,
}

/// Why a monitor cannot be backtested on one series.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacktestError {
    #[error("monitor {0:?} is a composite: backtest the monitors it combines")]
    Composite(String),
    #[error("monitor {0:?} compares versions: it needs the stable version's series too")]
    NeedsStable(String),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

/// Replays `points` through `monitor`, evaluating at every point's time.
pub fn backtest(
    config: &Config,
    monitor: &Monitor,
    points: &[Point],
) -> Result<Backtest, BacktestError> {
    match monitor.rule {
        Rule::Composite(_) => return Err(BacktestError::Composite(monitor.id.clone())),
        Rule::VersionCompare(_) => return Err(BacktestError::NeedsStable(monitor.id.clone())),
        _ => {}
    }
    let group = Group::default();
    let mut evaluator = Evaluator::new(monitor, &group, Data::new(points));
    let mut alert: Option<Alert> = None;
    let mut alerts: Vec<BacktestAlert> = Vec::new();
    let mut scores = Vec::with_capacity(points.len());
    for point in points {
        let now = point.at;
        let (previous, state, score) = evaluator.states(now);
        scores.push(Scored {
            point: *point,
            score,
        });
        let mut due = Vec::new();
        if previous != state {
            let evaluation = evaluator.at(now);
            due.push(signals::evaluation::from_evaluation(
                config,
                monitor,
                &evaluation,
            )?);
        }
        // The escalation clock ticks every evaluation, as it does live (ends flapping).
        // A tick changes nothing on a closed alert: skipping it is the same, and cheaper.
        if let Some(a) = alert.as_ref().filter(|a| a.status.is_open()) {
            due.push(signals::tick(config, a, now)?);
        }
        for signal in due {
            let current = alert
                .take()
                .unwrap_or_else(|| Alert::blank(signal.key.clone()));
            let next = lifecycle::apply(&current, &signal, now).alert;
            record(&current, &next, &mut alerts);
            alert = Some(next);
        }
    }
    Ok(Backtest { scores, alerts })
}

/// Notes an alert opening, rising a level, or closing between `before` and `after`.
fn record(before: &Alert, after: &Alert, alerts: &mut Vec<BacktestAlert>) {
    if after.cycle > before.cycle {
        let opened = after.opened_at.unwrap_or(Timestamp::from_millis(0));
        alerts.push(BacktestAlert {
            opened_at: opened.to_string(),
            opened_at_ms: opened.millis(),
            closed_at: None,
            closed_at_ms: None,
            first_breach_at_ms: after.first_breach_at.unwrap_or(opened).millis(),
            level: after.level.to_string(),
            opened_level: after.level.to_string(),
            note: None,
            reason: after.context.reason.clone().unwrap_or_default(),
        });
    }
    let Some(last) = alerts.last_mut() else {
        return;
    };
    if after.status.is_open() && after.level.as_str() > last.level.as_str() {
        last.level = after.level.to_string();
        last.note = Some(format!(
            "escalated from {} to {}: nobody acknowledges in a backtest, so it escalated on the routing's escalate_after as an unanswered alert would",
            last.opened_level, last.level
        ));
    }
    if before.status.is_open() && !after.status.is_open() {
        let closed = after.resolved_at.unwrap_or(Timestamp::from_millis(0));
        last.closed_at = Some(closed.to_string());
        last.closed_at_ms = Some(closed.millis());
    }
}
