//! Reading what the monitors need from Datadog: one request per distinct window, every
//! monitor's query in it, grouped `by {model,model_version,env}`. Datadog returns at most
//! `MAX_POINTS` per series, so a long window comes as two requests: its recent part at the
//! monitor's cadence, the history before it at the finest interval that fits. Monitors
//! whose answers would together exceed `POINTS_PER_READ` are read apart, so what a run
//! holds at once does not grow with the fleet.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::{
    MAX_POINTS, MetricsClient, MetricsError, Series, TimeseriesQuery, spacing,
};
use modelwatch::domain::Timestamp;
use modelwatch::http::DeliveryError;
use modelwatch::rules::{Group, Monitor, Point, Rollup, Rule};

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

    /// Whether the answer fails some of its queries, not the read: Datadog refused the
    /// request (400: a query it cannot run), or answered it only in part (`errors` beside
    /// its data). Either way the monitors are read again one at a time, and only those it
    /// still cannot answer are left out of the run.
    fn is_refused(&self) -> bool {
        matches!(
            &self.0,
            MetricsError::Delivery(DeliveryError::Rejected {
                status: Some(400),
                ..
            }) | MetricsError::InvalidQuery { .. }
                | MetricsError::Incomplete { .. }
        )
    }
}

/// A monitor whose query Datadog refused: it is not evaluated this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub monitor: String,
    pub query: String,
    pub error: String,
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

/// How the history of `m`'s points in a run at `at` comes: when its window takes two
/// requests, each point of the older one is the average of its interval's worth of
/// evaluation intervals (the points before the recent part's first: history points end an
/// interval before it, recent ones start within one cadence of it).
pub fn rollup(m: &Monitor, at: Timestamp) -> Option<Rollup> {
    let spans = monitor_spans(m, at);
    let [history, recent] = spans.as_slice() else {
        return None;
    };
    let every = m.every_secs.max(1);
    let every_ms = i64::try_from(every * 1000).unwrap_or(i64::MAX);
    Some(Rollup {
        until: Timestamp::from_millis(recent.from_ms.saturating_sub(every_ms)),
        per_point: history.interval_secs as f64 / every as f64,
    })
}

/// The points a run holds at once, about 32 MB as points: monitors with the same window
/// share their requests only while the points they are expected to return (their groups
/// last time, by the points a series has over the window) stay under it. A small fleet
/// reads every monitor of a window in one request; 10,000 groups read a monitor or two
/// per request.
pub const POINTS_PER_READ: u64 = 2_000_000;

/// Monitors read together: one request per span, every monitor's query in it.
#[derive(Debug)]
pub struct Read<'a> {
    pub spans: Vec<Span>,
    pub monitors: Vec<&'a Monitor>,
}

impl Read<'_> {
    /// The requests it takes.
    pub fn requests(&self) -> usize {
        self.spans.len()
    }
}

/// The reads of a run at `at`, given `groups(monitor)`, how many groups each monitor had
/// last (0 when not known: a monitor's first run shares its request).
pub fn reads<'a>(
    config: &'a Config,
    at: Timestamp,
    groups: impl Fn(&str) -> usize,
) -> Vec<Read<'a>> {
    let mut by_spans: BTreeMap<Vec<Span>, Vec<&Monitor>> = BTreeMap::new();
    for m in config.monitors.iter().filter(|m| query_of(m).is_some()) {
        by_spans.entry(monitor_spans(m, at)).or_default().push(m);
    }
    let mut reads = Vec::new();
    for (spans, monitors) in by_spans {
        let per_series: u64 = spans
            .iter()
            .map(|s| {
                u64::try_from(s.to_ms - s.from_ms).unwrap_or(0) / 1000 / s.interval_secs.max(1)
            })
            .sum();
        let mut read = Read {
            spans: spans.clone(),
            monitors: Vec::new(),
        };
        let mut points = 0u64;
        for m in monitors {
            let expected = per_series.saturating_mul(groups(&m.id) as u64);
            if !read.monitors.is_empty() && points.saturating_add(expected) > POINTS_PER_READ {
                let full = std::mem::replace(
                    &mut read,
                    Read {
                        spans: spans.clone(),
                        monitors: Vec::new(),
                    },
                );
                reads.push(full);
                points = 0;
            }
            read.monitors.push(m);
            points = points.saturating_add(expected);
        }
        reads.push(read);
    }
    reads
}

/// `reads` with the monitors `refused_before` names (Datadog refused their query in an
/// earlier run) each read alone: a bad query left in the configuration would otherwise
/// have its read refused every minute and every monitor of it read again one by one,
/// many times the requests, against the organisation's rate limit.
pub fn apart<'a>(reads: Vec<Read<'a>>, refused_before: impl Fn(&str) -> bool) -> Vec<Read<'a>> {
    let mut out = Vec::with_capacity(reads.len());
    for mut read in reads {
        if read.monitors.len() > 1 {
            let (alone, together): (Vec<_>, Vec<_>) =
                read.monitors.iter().partition(|m| refused_before(&m.id));
            out.extend(alone.into_iter().map(|m| Read {
                spans: read.spans.clone(),
                monitors: vec![m],
            }));
            read.monitors = together;
        }
        if !read.monitors.is_empty() {
            out.push(read);
        }
    }
    out
}

/// `fetch`; when Datadog refuses a read of several monitors, each of them alone, so that
/// one monitor's bad query (a typo, a percentile of a metric that is not a distribution)
/// leaves that monitor unread instead of every monitor read with it.
pub async fn fetch_each_refused_alone(
    metrics: &MetricsClient,
    read: &Read<'_>,
) -> Result<(MonitorData, Vec<Refused>), FetchError> {
    let refused = |m: &Monitor, e: &FetchError| Refused {
        monitor: m.id.clone(),
        query: query_of(m).unwrap_or_default(),
        error: e.to_string(),
    };
    match fetch(metrics, read).await {
        Ok(data) => return Ok((data, Vec::new())),
        Err(e) if e.is_refused() && read.monitors.len() > 1 => {}
        Err(e) if e.is_refused() => {
            let unread = read.monitors.iter().map(|m| refused(m, &e)).collect();
            return Ok((MonitorData::new(), unread));
        }
        Err(e) => return Err(e),
    }
    let mut data = MonitorData::new();
    let mut unread = Vec::new();
    for m in &read.monitors {
        let alone = Read {
            spans: read.spans.clone(),
            monitors: vec![*m],
        };
        match fetch(metrics, &alone).await {
            Ok(found) => data.extend(found),
            Err(e) if e.is_refused() => unread.push(refused(m, &e)),
            Err(e) => return Err(e),
        }
    }
    Ok((data, unread))
}

/// Fetches the window of each monitor of `read` as of its spans.
pub async fn fetch(metrics: &MetricsClient, read: &Read<'_>) -> Result<MonitorData, FetchError> {
    let monitors: Vec<(&str, String)> = read
        .monitors
        .iter()
        .filter_map(|m| Some((m.id.as_str(), query_of(m)?)))
        .collect();
    let mut data = MonitorData::new();
    // Newest first: history only reaches up to where the recent part's data starts.
    let mut recent_from: Option<i64> = None;
    for span in read.spans.iter().rev() {
        let request = TimeseriesQuery {
            from: Timestamp::from_millis(span.from_ms),
            to: Timestamp::from_millis(span.to_ms),
            interval: Some(Duration::from_secs(span.interval_secs)),
            queries: monitors.iter().map(|(_, q)| q.clone()).collect(),
        };
        let answers = metrics.query(&request).await?;
        let got = grid(&answers);
        if got.is_some_and(|got| got > Duration::from_secs(span.interval_secs)) {
            tracing::warn!(
                monitors = ?monitors.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
                asked_secs = span.interval_secs,
                got_secs = got.map(|g| g.as_secs()),
                "Datadog answered at a coarser interval than asked"
            );
        }
        let until = recent_from.map(|from| history_until(from, got, span.interval_secs));
        for ((id, _), series) in monitors.iter().zip(answers) {
            let groups = data.entry((*id).to_string()).or_default();
            let mut untagged = 0;
            for s in series {
                let Some(group) = group_of(&s) else {
                    untagged += 1;
                    continue;
                };
                let points = s
                    .points
                    .iter()
                    .filter(|(t, _)| until.is_none_or(|u| t.millis() <= u))
                    .map(|(t, v)| Point::new(*t, *v));
                groups.entry(group).or_default().extend(points);
            }
            if untagged > 0 {
                tracing::warn!(
                    monitor = id,
                    series = untagged,
                    "series without a model tag left out: tag the metric with model"
                );
            }
        }
        recent_from = Some(span.from_ms);
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

/// The group a series stands for; `None` for series without a model tag, which are no
/// model's (Datadog's own monitors leave N/A groups out too). A version or environment
/// not tagged stays `N/A`, as Datadog names it: a model listing its versions takes it for
/// one it does not list.
fn group_of(s: &Series) -> Option<Group> {
    let group = Group {
        model: s.group.get("model").cloned(),
        version: s.group.get("model_version").cloned(),
        environment: s.group.get("env").cloned(),
    };
    (!group.is_untagged()).then_some(group)
}

/// The newest history point a read in two requests keeps: one whose bucket ends by
/// `recent_from`, where the recent part's points begin (a bucket reaching into it would
/// count its minutes twice). A bucket is the interval the answer came at (`got`), or when
/// no series had two points to measure it by, the one asked: Datadog never answers finer.
fn history_until(recent_from: i64, got: Option<Duration>, asked_secs: u64) -> i64 {
    let asked = Duration::from_secs(asked_secs);
    let bucket = got.map_or(asked, |got| got.max(asked));
    recent_from.saturating_sub(i64::try_from(bucket.as_millis()).unwrap_or(i64::MAX))
}

/// The interval one answer came back at. Every query of an answer shares its times (one
/// grid for the request), so the finest spacing any query shows is the grid: a query whose
/// series report rarely (a count of rare events) only has wider gaps on the same grid, and
/// must not be taken for a coarser answer that cuts every monitor's history short.
fn grid(answers: &[Vec<Series>]) -> Option<Duration> {
    answers.iter().filter_map(|series| spacing(series)).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;
    const AT: i64 = 1_800_000_000_000;

    /// History points whose bucket reaches into the recent part are left out, by the
    /// interval measured, or by the one asked when no series had two points to measure.
    #[test]
    fn history_ends_a_bucket_before_the_recent_part_measured_or_not() {
        let from = AT;
        assert_eq!(history_until(from, None, 600), AT - 600_000);
        let coarser = Some(Duration::from_secs(1200));
        assert_eq!(history_until(from, coarser, 600), AT - 1_200_000);
        // A sparse series' gaps are no finer than the grid asked for.
        let sparse = Some(Duration::from_secs(60));
        assert_eq!(history_until(from, sparse, 600), AT - 600_000);
    }

    /// A query whose series report every fourth minute, beside a dense one: the answer's
    /// grid is still the minute.
    #[test]
    fn a_sparse_query_does_not_make_the_answer_coarse() {
        let series = |every_min: i64| Series {
            group: Default::default(),
            points: (0..20)
                .step_by(usize::try_from(every_min).unwrap())
                .map(|m| (Timestamp::from_millis(AT + m * 60_000), 1.0))
                .collect(),
        };
        let answers = vec![vec![series(1)], vec![series(4)]];
        assert_eq!(grid(&answers), Some(Duration::from_secs(60)));
        assert_eq!(grid(&answers[1..]), Some(Duration::from_secs(240)));
        assert_eq!(grid(&[vec![], vec![]]), None);
    }

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
    fn monitors_with_one_window_share_its_requests_while_their_points_fit() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/fleet.yaml");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let config = Config::parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
        let at = Timestamp::from_millis(AT);
        let windows: std::collections::BTreeSet<Vec<Span>> = config
            .monitors
            .iter()
            .map(|m| monitor_spans(m, at))
            .collect();
        let every = |reads: &[Read]| {
            let mut ids: Vec<String> = reads
                .iter()
                .flat_map(|r| r.monitors.iter().map(|m| m.id.clone()))
                .collect();
            ids.sort_unstable();
            ids
        };
        let mut all: Vec<String> = config.monitors.iter().map(|m| m.id.clone()).collect();
        all.sort_unstable();

        // A small fleet (or one not seen yet): one read per window.
        for groups in [0, 100] {
            let small = reads(&config, at, |_| groups);
            assert_eq!(small.len(), windows.len());
            assert_eq!(every(&small), all);
        }
        // 10,000 groups: each read within the budget (a monitor alone may exceed it),
        // every monitor read exactly once, with its own window.
        let large = reads(&config, at, |_| 10_000);
        assert!(large.len() > windows.len(), "{large:?}");
        assert_eq!(every(&large), all);
        for read in &large {
            let per_series: u64 = read
                .spans
                .iter()
                .map(|s| (s.to_ms - s.from_ms) as u64 / 1000 / s.interval_secs)
                .sum();
            let points = per_series * 10_000 * read.monitors.len() as u64;
            assert!(
                read.monitors.len() == 1 || points <= POINTS_PER_READ,
                "{read:?}"
            );
            assert!(
                read.monitors
                    .iter()
                    .all(|m| monitor_spans(m, at) == read.spans)
            );
        }
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

    #[test]
    fn a_read_in_two_requests_says_what_its_history_points_average() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/modelwatch.example.yaml"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let config = Config::parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
        let at = Timestamp::from_millis(AT);
        // A threshold over minutes reads at its cadence: nothing rolled up.
        assert_eq!(rollup(config.monitor("error-rate").unwrap(), at), None);
        // Four weeks of history: a point per 27 minutes, up to the recent part.
        let weekly = config.monitor("chat-errors-baseline").unwrap();
        let [history, recent] = monitor_spans(weekly, at)[..] else {
            panic!("two requests expected");
        };
        let r = rollup(weekly, at).unwrap();
        assert_eq!(r.per_point, 27.0);
        assert_eq!(r.per_point, history.interval_secs as f64 / 60.0);
        assert!(r.until.millis() < recent.from_ms);
        assert!(
            r.until.millis()
                >= history.to_ms - i64::try_from(history.interval_secs).unwrap() * 1000
        );
    }
}
