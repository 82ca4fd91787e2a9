//! A deterministic demo: models, metrics, alert history, open alerts and quiet windows, from a seed.
//!
//! `modelwatch preview report` uses it when no table is reachable, and the tests use it to
//! build reports of any size.

use std::collections::BTreeMap;

use super::declared::{DeclaredMetric, DeclaredSeries};
use super::metrics::{MetricKind, ModelMetrics, PeriodSeries, Point, Unit};
use super::upcoming::{QuietKind, QuietWindow};
use super::{DAY_SECS, Period, ReportError, WEEK_SECS};
use crate::domain::{Alert, AlertKey, Level, Mark, ModelRef, Status, Timestamp};
use crate::domain::{CycleSnapshot, HistoryEntry, HistoryOutcome, SignalName, Source};

const MODELS: [&str; 8] = [
    "chat-large",
    "chat-small",
    "summarise",
    "code-assist",
    "embed-v3",
    "rerank",
    "vision-caption",
    "translate",
];

const MONITORS: [(&str, &str); 6] = [
    ("1001", "p95 latency above 2 s"),
    ("1002", "error rate above 2%"),
    ("1003", "quality score below 0.80"),
    ("1004", "timeout rate above 1%"),
    ("1005", "GPU memory above 90%"),
    ("1006", "token usage anomaly"),
];

const PEOPLE: [&str; 4] = ["ana", "bilal", "chen", "dora"];

/// What the demo gives a report.
#[derive(Debug, Clone)]
pub struct Demo {
    /// 5-minute points over the day and the day before.
    pub daily_metrics: Vec<ModelMetrics>,
    /// Hourly points over the week and the week before.
    pub weekly_metrics: Vec<ModelMetrics>,
    /// Four weeks of alert history up to the end.
    pub history: Vec<HistoryEntry>,
    /// The cycles still open at the end, as alerts.
    pub open_alerts: Vec<Alert>,
    pub quiet: Vec<QuietWindow>,
}

/// How big the demo is.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub models: usize,
    /// Incidents opened in the last week; the three weeks before get about as many.
    pub incidents: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        Self {
            models: 6,
            incidents: 40,
        }
    }
}

fn model_name(i: usize) -> String {
    MODELS
        .get(i)
        .map_or_else(|| format!("model-{:02}", i + 1), |m| (*m).to_owned())
}

/// A demo whose day and week end at `end`, with made-up model names.
pub fn demo(end: Timestamp, size: DemoSize, seed: u64) -> Result<Demo, ReportError> {
    let models: Vec<String> = (0..size.models).map(model_name).collect();
    demo_for(end, &models, size.incidents, seed)
}

/// A demo of the given models (at least one), `incidents` of them in the last week.
pub fn demo_for(
    end: Timestamp,
    models: &[String],
    incidents: usize,
    seed: u64,
) -> Result<Demo, ReportError> {
    let fallback = [model_name(0)];
    let models = if models.is_empty() {
        &fallback[..]
    } else {
        models
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let day = Period::day_ending(end);
    let week = Period::week_ending(end);
    let daily_metrics = models
        .iter()
        .enumerate()
        .map(|(i, m)| metrics(m, i, day, 300, &mut rng))
        .collect();
    let weekly_metrics = models
        .iter()
        .enumerate()
        .map(|(i, m)| metrics(m, i, week, 3600, &mut rng))
        .collect();
    let (history, open_alerts) = history(models, end, incidents, &mut rng)?;
    let quiet = vec![
        QuietWindow {
            kind: QuietKind::Maintenance,
            scope: models
                .first()
                .cloned()
                .unwrap_or_else(|| "all models".into()),
            models: models.first().cloned().into_iter().collect(),
            starts: end.plus_secs(2 * DAY_SECS + 6 * 3600),
            ends: end.plus_secs(2 * DAY_SECS + 8 * 3600),
            by: Some("platform team".into()),
            reason: Some("GPU driver upgrade".into()),
        },
        QuietWindow {
            kind: QuietKind::Silence,
            scope: format!("{} / token usage anomaly", models[models.len() - 1]),
            models: models.last().cloned().into_iter().collect(),
            starts: end.plus_secs(0),
            ends: end.plus_secs(20 * 3600),
            by: Some("chen".into()),
            reason: Some("load test".into()),
        },
    ];
    Ok(Demo {
        daily_metrics,
        weekly_metrics,
        history,
        open_alerts,
        quiet,
    })
}

/// Business metrics over the day (5-minute points) and the week (hourly) that end at
/// `end`, each with the period before, in the metrics' report units. The first one slips
/// about 8% in the last period: a trend to see.
pub fn business_for(
    end: Timestamp,
    metrics: &[DeclaredMetric],
    seed: u64,
) -> (Vec<DeclaredSeries>, Vec<DeclaredSeries>) {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0xb051_4e55);
    let mut make = |period: Period, step: u64| -> Vec<DeclaredSeries> {
        metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let base = match m.unit {
                    Unit::Percent => [86.0, 4.2, 30.0][i % 3],
                    Unit::Score => 0.82,
                    Unit::Millis => 900.0,
                    Unit::TokensPerMinute | Unit::Number => 1200.0,
                };
                let mut points = |p: Period, slip: f64| -> Vec<Point> {
                    (0..p.secs() / step)
                        .map(|n| {
                            let at = p.start().plus_secs(n * step);
                            let hour = (at.secs().rem_euclid(86_400)) as f64 / 3600.0;
                            let daily = ((hour - 14.0) / 24.0 * std::f64::consts::TAU).cos();
                            let v = base * (1.0 + 0.04 * daily + 0.02 * (rng.f64() * 2.0 - 1.0));
                            (at, (v * slip).max(0.0))
                        })
                        .collect()
                };
                let previous = points(period.previous(), 1.0);
                let current = points(period, if i == 0 { 0.92 } else { 1.0 });
                DeclaredSeries {
                    metric: m.clone(),
                    series: PeriodSeries { current, previous },
                }
            })
            .collect()
    };
    (
        make(Period::day_ending(end), 300),
        make(Period::week_ending(end), 3600),
    )
}

/// Base level, daily swing and noise of each metric.
fn shape(metric: MetricKind) -> (f64, f64, f64) {
    match metric {
        MetricKind::QualityScore => (0.88, 0.01, 0.01),
        MetricKind::LatencyP50 => (420.0, 60.0, 25.0),
        MetricKind::LatencyP95 => (1150.0, 200.0, 80.0),
        MetricKind::Tokens => (18_000.0, 8000.0, 1200.0),
        MetricKind::ErrorRate => (0.6, 0.2, 0.15),
        MetricKind::TimeoutRate => (0.3, 0.1, 0.08),
        MetricKind::GpuMemory => (62.0, 14.0, 3.0),
        MetricKind::GpuUtilisation => (55.0, 25.0, 5.0),
    }
}

/// One model's series: model 0 degrades this period (latency and errors up), model 2 runs
/// hot on GPU memory in its busiest hour, model 3's GPUs sit idle.
fn metrics(
    model: &str,
    index: usize,
    period: Period,
    step: u64,
    rng: &mut fastrand::Rng,
) -> ModelMetrics {
    let idle = index == 3;
    let series = MetricKind::ALL
        .iter()
        .map(|&k| {
            let (base, swing, noise) = shape(k);
            let mut make = |p: Period, degraded: bool| -> Vec<Point> {
                let n = p.secs() / step;
                (0..n)
                    .map(|i| {
                        let at = p.start().plus_secs(i * step);
                        let hour = (at.secs().rem_euclid(86_400)) as f64 / 3600.0;
                        let daily = ((hour - 9.0) / 24.0 * std::f64::consts::TAU).cos();
                        let mut v = base + swing * daily + noise * (rng.f64() * 2.0 - 1.0);
                        if degraded {
                            v *= match k {
                                MetricKind::LatencyP95 => 1.35,
                                MetricKind::LatencyP50 => 1.15,
                                MetricKind::ErrorRate => 1.8,
                                MetricKind::QualityScore => 0.96,
                                _ => 1.0,
                            };
                        }
                        if index == 2 && k == MetricKind::GpuMemory && (13.0..15.0).contains(&hour)
                        {
                            v = 91.0 + rng.f64() * 3.0;
                        }
                        if idle && k == MetricKind::GpuUtilisation {
                            v = 8.0 + 6.0 * rng.f64();
                        }
                        (at, v.max(0.0))
                    })
                    .collect()
            };
            let previous = make(period.previous(), false);
            let current = make(period, index == 0);
            (k, PeriodSeries { current, previous })
        })
        .collect::<BTreeMap<_, _>>();
    ModelMetrics {
        model: model.to_owned(),
        series,
    }
}

struct Step {
    at: Timestamp,
    signal: SignalName,
    snapshot: CycleSnapshot,
}

/// Four weeks of incidents, `per_week` in the last one and a few more in each week before.
fn history(
    models: &[String],
    end: Timestamp,
    per_week: usize,
    rng: &mut fastrand::Rng,
) -> Result<(Vec<HistoryEntry>, Vec<Alert>), ReportError> {
    let mut entries = Vec::new();
    let mut open = Vec::new();
    let mut cycles: BTreeMap<String, u32> = BTreeMap::new();
    let weeks = [
        per_week,
        per_week + 3,
        per_week.saturating_sub(2),
        per_week + 5,
    ];
    let mut starts: Vec<Timestamp> = Vec::new();
    for (w, n) in weeks.iter().enumerate() {
        let week = Period::week_ending(Timestamp::from_millis(
            end.millis() - (w as i64) * WEEK_SECS as i64 * 1000,
        ));
        for _ in 0..*n {
            starts.push(week.start().plus_secs(rng.u64(0..WEEK_SECS - 3600)));
        }
    }
    starts.sort();
    for opened in starts {
        let model = &models[rng.usize(0..models.len().max(1))];
        let (monitor, title) = MONITORS[rng.usize(0..MONITORS.len())];
        let key = format!("monitor:{monitor}|model:{model}");
        let cycle = cycles.entry(key.clone()).or_default();
        *cycle += 1;
        let level = match rng.u8(0..10) {
            0..6 => Level::L1,
            6..9 => Level::L2,
            _ => Level::L3,
        };
        let mut snap = CycleSnapshot {
            model: Some(ModelRef::new(model, Some("2025-11"))?),
            monitor_id: monitor.to_owned(),
            title: title.to_owned(),
            environment: Some("prod".into()),
            level,
            first_breach_at: Some(Timestamp::from_millis(
                opened.millis() - rng.i64(60..600) * 1000,
            )),
            opened_at: Some(opened),
            detected_at: Some(opened.plus_secs(rng.u64(0..90))),
            acknowledged: None,
            resolved_at: None,
            false_positive: None,
            flapping: rng.u8(0..20) == 0,
        };
        let mut steps = vec![Step {
            at: opened,
            signal: SignalName::Triggered,
            snapshot: snap.clone(),
        }];
        let acks = match level {
            Level::L1 => rng.bool(),
            _ => rng.u8(0..10) < 9,
        };
        if acks {
            let at = opened.plus_secs(rng.u64(120..2400));
            snap.acknowledged = Some(Mark {
                by: PEOPLE[rng.usize(0..PEOPLE.len())].to_owned(),
                at,
            });
            steps.push(Step {
                at,
                signal: SignalName::Acknowledged,
                snapshot: snap.clone(),
            });
        }
        if rng.u8(0..12) == 0 {
            let at = opened.plus_secs(rng.u64(300..3000));
            snap.false_positive = Some(Mark {
                by: PEOPLE[rng.usize(0..PEOPLE.len())].to_owned(),
                at,
            });
            steps.push(Step {
                at,
                signal: SignalName::FalsePositive,
                snapshot: snap.clone(),
            });
        }
        let resolved = opened.plus_secs(rng.u64(600..4 * 3600));
        if resolved < end && rng.u8(0..20) != 0 {
            snap.resolved_at = Some(resolved);
            steps.push(Step {
                at: resolved,
                signal: SignalName::Recovered,
                snapshot: snap.clone(),
            });
        } else {
            open.push(alert(&key, *cycle, &snap)?);
        }
        for (version, s) in (1..).zip(steps.into_iter().filter(|s| s.at < end)) {
            entries.push(HistoryEntry {
                alert_key: AlertKey::new(&key)?,
                at: s.at,
                version,
                signal: s.signal,
                source: Source::Datadog,
                outcome: HistoryOutcome::Applied,
                status: if s.snapshot.resolved_at.is_some() {
                    Status::Resolved
                } else if s.snapshot.acknowledged.is_some() {
                    Status::Acknowledged
                } else {
                    Status::Open
                },
                level: s.snapshot.level,
                cycle: *cycle,
                actions: Vec::new(),
                ttl: s.at.plus_secs(90 * DAY_SECS).secs(),
                snapshot: s.snapshot,
            });
        }
    }
    Ok((entries, open))
}

fn alert(key: &str, cycle: u32, snap: &CycleSnapshot) -> Result<Alert, ReportError> {
    let mut a = Alert::blank(AlertKey::new(key)?);
    a.cycle = cycle;
    a.status = if snap.acknowledged.is_some() {
        Status::Acknowledged
    } else {
        Status::Open
    };
    a.state = crate::domain::MonitorState::Alert;
    a.level = snap.level;
    a.context.title = snap.title.clone();
    a.context.model = snap.model.clone();
    a.context.monitor.id = snap.monitor_id.clone();
    a.opened_at = snap.opened_at;
    a.detected_at = snap.detected_at;
    a.first_breach_at = snap.first_breach_at;
    a.acknowledged = snap.acknowledged.clone();
    a.version = 1;
    Ok(a)
}
