//! Reading what the monitors need from Datadog: one request per distinct window, every
//! monitor's query in it, grouped `by {model,model_version,env}`. Datadog returns at most
//! `MAX_POINTS` per series, so a long window comes as two requests: its recent part at the
//! monitor's cadence, the history before it at the finest interval that fits.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::{
    MAX_POINTS, MetricsClient, MetricsError, Series, TimeseriesQuery, spacing,
};
use modelwatch::domain::Timestamp;
use modelwatch::rules::{Group, Monitor, Point, Rule};

use crate::plan::CATCH_UP;

/// Points per monitor and group, in time order.
pub type MonitorData = BTreeMap<String, BTreeMap<Group, Vec<Point>>>;

#[derive(Debug, thiserror::Error)]
#[error("reading monitor data from Datadog: {0}")]
pub struct FetchError(#[from] pub MetricsError);

impl FetchError {
    pub fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }
}

/// One request's time range and the interval asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub from_ms: i64,
    pub to_ms: i64,
    pub interval_secs: u64,
}

/// The requests a window of `lookback_secs` before `at` takes, oldest first, none over
/// `MAX_POINTS` per series: the whole window at the cadence `every_secs` when it fits;
/// else its `recent_secs` (at most `MAX_POINTS` intervals) at the cadence and the history
/// before at the smallest multiple of the cadence that fits.
pub fn spans(at: Timestamp, lookback_secs: u64, recent_secs: u64, every_secs: u64) -> Vec<Span> {
    let every = every_secs.max(1);
    let to_ms = at.millis();
    let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4);
    let from_ms = to_ms.saturating_sub(ms(lookback_secs));
    if lookback_secs.div_ceil(every) <= MAX_POINTS {
        return vec![Span {
            from_ms,
            to_ms,
            interval_secs: every,
        }];
    }
    let recent = recent_secs.clamp(every, MAX_POINTS * every);
    let split_ms = to_ms.saturating_sub(ms(recent));
    let history_secs = lookback_secs - recent;
    let coarse = history_secs.div_ceil(MAX_POINTS).div_ceil(every) * every;
    vec![
        Span {
            from_ms,
            to_ms: split_ms,
            interval_secs: coarse.max(every),
        },
        Span {
            from_ms: split_ms,
            to_ms,
            interval_secs: every,
        },
    ]
}

/// The requests `m` takes for a run at `at`: its lookback before the oldest instant the
/// run evaluates (the catch-up instants replay from further back than `at` does).
pub fn monitor_spans(m: &Monitor, at: Timestamp) -> Vec<Span> {
    let catch_up = u64::from(CATCH_UP - 1).saturating_mul(m.every_secs);
    spans(
        at,
        m.lookback_secs().saturating_add(catch_up),
        m.recent_secs().saturating_add(catch_up),
        m.every_secs,
    )
}

/// Fetches the window of every monitor that reads a metric, as of `at`.
pub async fn fetch(
    metrics: &MetricsClient,
    config: &Config,
    at: Timestamp,
) -> Result<MonitorData, FetchError> {
    // Monitors with the same requests share them.
    let mut batches: BTreeMap<Vec<Span>, Vec<(String, String)>> = BTreeMap::new();
    for m in &config.monitors {
        if let Some(query) = query_of(m) {
            let spans = monitor_spans(m, at);
            batches
                .entry(spans)
                .or_default()
                .push((m.id.clone(), query));
        }
    }
    let mut data = MonitorData::new();
    for (spans, monitors) in batches {
        // Newest first: history only reaches up to where the recent part's data starts.
        let mut recent_from: Option<i64> = None;
        for span in spans.iter().rev() {
            let request = TimeseriesQuery {
                from: Timestamp::from_millis(span.from_ms),
                to: Timestamp::from_millis(span.to_ms),
                interval: Some(Duration::from_secs(span.interval_secs)),
                queries: monitors.iter().map(|(_, q)| q.clone()).collect(),
            };
            let answers = metrics.query(&request).await?;
            let got = coarsest(&answers);
            if got.is_some_and(|got| got > Duration::from_secs(span.interval_secs)) {
                tracing::warn!(
                    monitors = ?monitors.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
                    asked_secs = span.interval_secs,
                    got_secs = got.map(|g| g.as_secs()),
                    "Datadog answered at a coarser interval than asked"
                );
            }
            // A history bucket reaching into the recent part would count its points twice.
            let interval_ms = got.map_or(0, |g| i64::try_from(g.as_millis()).unwrap_or(0));
            let until = recent_from.map(|from| from - interval_ms);
            for ((id, _), series) in monitors.iter().zip(answers) {
                let groups = data.entry(id.clone()).or_default();
                for s in series {
                    let points = s
                        .points
                        .iter()
                        .filter(|(t, _)| until.is_none_or(|u| t.millis() <= u))
                        .map(|(t, v)| Point::new(*t, *v));
                    groups.entry(group_of(&s)).or_default().extend(points);
                }
            }
            recent_from = Some(span.from_ms);
        }
    }
    for groups in data.values_mut() {
        for points in groups.values_mut() {
            points.sort_by_key(|p| p.at);
        }
    }
    Ok(data)
}

/// A monitor's query; without one of its own, its metric averaged per group. None for a
/// composite, which reads other monitors.
fn query_of(m: &Monitor) -> Option<String> {
    if matches!(m.rule, Rule::Composite(_)) {
        return None;
    }
    m.query.clone().or_else(|| {
        m.metric
            .as_ref()
            .map(|metric| format!("avg:{metric}{{*}} by {{model,model_version,env}}"))
    })
}

fn group_of(s: &Series) -> Group {
    Group {
        model: s.group.get("model").cloned(),
        version: s.group.get("model_version").cloned(),
        environment: s.group.get("env").cloned(),
    }
}

/// The coarsest spacing any query of one answer came back with.
fn coarsest(answers: &[Vec<Series>]) -> Option<Duration> {
    answers.iter().filter_map(|series| spacing(series)).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;
    const AT: i64 = 1_800_000_000_000;

    #[test]
    fn a_window_that_fits_is_one_request_at_the_cadence() {
        let at = Timestamp::from_millis(AT);
        assert_eq!(
            spans(at, 3600, 3600, 60),
            vec![Span {
                from_ms: AT - 3_600_000,
                to_ms: AT,
                interval_secs: 60
            }]
        );
        // Exactly the cap still fits.
        assert_eq!(spans(at, MAX_POINTS * 60, 600, 60).len(), 1);
    }

    #[test]
    fn a_long_window_is_recent_points_at_the_cadence_and_coarse_history() {
        let at = Timestamp::from_millis(AT);
        // The anomaly monitor: 22 days of minute data, all of it recent.
        let anomaly = spans(at, 22 * DAY, 22 * DAY, 60);
        assert_eq!(anomaly.len(), 2);
        let (history, recent) = (anomaly[0], anomaly[1]);
        assert_eq!(recent.to_ms, AT);
        assert_eq!(recent.interval_secs, 60);
        assert_eq!((recent.to_ms - recent.from_ms) / 60_000, MAX_POINTS as i64);
        assert_eq!(history.to_ms, recent.from_ms);
        assert_eq!(history.from_ms, AT - 22 * 86_400_000);
        // 22 days less 25 hours in 1,500 intervals: 20.1 minutes, so 21.
        assert_eq!(history.interval_secs, 21 * 60);
        for s in anomaly {
            let points = (s.to_ms - s.from_ms) as u64 / 1000 / s.interval_secs;
            assert!(points <= MAX_POINTS, "{s:?}: {points} points");
        }
        // A baseline over a week: only the replayed instants and their window at the
        // cadence, the week at one coarser interval.
        let baseline = spans(at, 7 * DAY + 3900, 3900, 60);
        assert_eq!(baseline[1].from_ms, AT - 3_900_000);
        assert_eq!(baseline[0].interval_secs, 7 * 60);
    }
}
