//! The daily health check: per model a verdict, 24 h trends, active incidents and capacity.

use std::collections::BTreeMap;

use super::audience::Audience;
use super::business::{BusinessTrend, business_section, business_trends};
use super::chart::{span, trend_chart};
use super::declared::DeclaredSeries;
use super::document::{Field, Line, Report, ReportKind, Section, Tone};
use super::metrics::{Described, MetricKind, ModelMetrics};
use super::trend::{Direction, Effect, Trend};
use super::{Period, Thresholds, format, stats};
use crate::domain::{Alert, Level, Timestamp};
use jiff::tz::TimeZone;

/// How a model is doing, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Healthy,
    /// No metric had data this period and no alert is open: not known to be healthy (a
    /// model that stopped serving, or whose metrics stopped arriving, looks so).
    NoData,
    Watch,
    Degraded,
    Critical,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::NoData => "no data",
            Verdict::Watch => "worth watching",
            Verdict::Degraded => "degraded",
            Verdict::Critical => "critical",
        }
    }

    pub fn tone(self) -> Tone {
        match self {
            Verdict::Healthy => Tone::Good,
            Verdict::NoData | Verdict::Watch => Tone::Watch,
            Verdict::Degraded => Tone::Bad,
            Verdict::Critical => Tone::Critical,
        }
    }
}

/// An open alert of the model, as the health check shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveIncident {
    pub alert_key: String,
    pub title: String,
    pub level: Level,
    /// Since it opened; none when the opening time is unknown.
    pub age_secs: Option<u64>,
    pub acknowledged_by: Option<String>,
    pub silenced: bool,
    pub flapping: bool,
}

impl ActiveIncident {
    fn of(alert: &Alert, now: Timestamp) -> Self {
        let title = if alert.context.title.is_empty() {
            alert.key.to_string()
        } else {
            alert.context.title.clone()
        };
        Self {
            alert_key: alert.key.to_string(),
            title,
            level: alert.level,
            age_secs: alert.opened_at.map(|t| now.secs_since(t)),
            acknowledged_by: alert.acknowledged.as_ref().map(|m| m.by.clone()),
            silenced: alert.is_silenced(now),
            flapping: alert.is_flapping(),
        }
    }

    /// `L2 p95 latency above 2 s, open 3 h 10 min, acknowledged by ana`.
    pub fn sentence(&self) -> String {
        let mut parts = vec![format!("{} {}", self.level, self.title)];
        if let Some(age) = self.age_secs {
            parts.push(format!("open {}", format::duration(age)));
        }
        parts.push(match &self.acknowledged_by {
            Some(by) => format!("acknowledged by {by}"),
            None => "not acknowledged".to_owned(),
        });
        if self.silenced {
            parts.push("silenced".to_owned());
        }
        if self.flapping {
            parts.push("flapping".to_owned());
        }
        parts.join(", ")
    }
}

/// A GPU figure whose busiest hour went past the capacity threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityWarning {
    pub metric: MetricKind,
    pub hour_start: Timestamp,
    pub hour_mean: f64,
    pub limit: f64,
}

impl CapacityWarning {
    pub fn sentence(&self) -> String {
        let unit = self.metric.unit();
        format!(
            "{} reached {} in its busiest hour ({}), above {}",
            self.metric.name(),
            unit.format(self.hour_mean),
            format::time(self.hour_start),
            unit.format(self.limit)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelHealth {
    pub model: String,
    pub verdict: Verdict,
    /// Every metric with data this period, in `MetricKind::ALL` order.
    pub trends: Vec<Trend>,
    /// Highest level first, then oldest.
    pub incidents: Vec<ActiveIncident>,
    pub capacity: Vec<CapacityWarning>,
}

impl ModelHealth {
    /// The worsening trends at least `notable` large, largest first.
    pub fn notable_worsening(&self, notable: f64) -> Vec<&Trend> {
        let mut worse: Vec<&Trend> = self
            .trends
            .iter()
            .filter(|t| t.effect == Effect::Worse && t.worsening() >= notable)
            .collect();
        worse.sort_by(|a, b| b.worsening().total_cmp(&a.worsening()));
        worse
    }

    /// The one-line reason behind the verdict.
    pub fn reason(&self, notable: f64) -> String {
        let mut parts = Vec::new();
        if let Some(top) = self.incidents.first() {
            parts.push(format!(
                "{} (highest {})",
                format::count(self.incidents.len(), "active incident", "active incidents"),
                top.level
            ));
        }
        parts.extend(
            self.notable_worsening(notable)
                .iter()
                .take(2)
                .map(|t| t.sentence()),
        );
        parts.extend(self.capacity.iter().take(1).map(CapacityWarning::sentence));
        if parts.is_empty() {
            if self.trends.is_empty() {
                return "no metrics this period".to_owned();
            }
            return "no active incidents, key metrics steady or better".to_owned();
        }
        parts.join("; ")
    }
}

/// How every model is doing over a period, and the business metrics followed.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyHealth {
    pub period: Period,
    /// Worst verdict first, then by name.
    pub models: Vec<ModelHealth>,
    /// In the order the audience lists them.
    pub business: Vec<BusinessTrend>,
}

/// The health of every model that has metrics or open alerts, over `period` (the daily
/// check's 24 h, the weekly report's week) against the period before, with the trends of
/// `business` metrics. Alerts that are resolved, or that people marked false positives
/// (no incident, as the weekly report counts them), are ignored; alerts without a model
/// are grouped under "no model".
pub fn daily_health(
    period: Period,
    metrics: &[ModelMetrics],
    business: &[DeclaredSeries],
    open_alerts: &[Alert],
    thresholds: &Thresholds,
) -> DailyHealth {
    let now = period.end();
    let mut incidents: BTreeMap<String, Vec<ActiveIncident>> = BTreeMap::new();
    let incident = |a: &&Alert| a.status.is_open() && a.false_positive.is_none();
    for alert in open_alerts.iter().filter(incident) {
        let model = alert
            .context
            .model
            .as_ref()
            .map_or("no model", |m| m.name());
        incidents
            .entry(model.to_owned())
            .or_default()
            .push(ActiveIncident::of(alert, now));
    }
    let mut by_model: BTreeMap<String, Option<&ModelMetrics>> =
        incidents.keys().map(|m| (m.clone(), None)).collect();
    for m in metrics {
        by_model.insert(m.model.clone(), Some(m));
    }
    let mut models: Vec<ModelHealth> = by_model
        .into_iter()
        .map(|(model, metrics)| {
            let mut open = incidents.remove(&model).unwrap_or_default();
            open.sort_by_key(|o| std::cmp::Reverse((o.level, o.age_secs)));
            health(model, metrics, open, period, thresholds)
        })
        .collect();
    models.sort_by(|a, b| (b.verdict, &a.model).cmp(&(a.verdict, &b.model)));
    DailyHealth {
        period,
        models,
        business: business_trends(business, thresholds),
    }
}

fn health(
    model: String,
    metrics: Option<&ModelMetrics>,
    incidents: Vec<ActiveIncident>,
    period: Period,
    thresholds: &Thresholds,
) -> ModelHealth {
    let trends: Vec<Trend> = metrics
        .map(|m| {
            MetricKind::ALL
                .iter()
                .filter_map(|k| Trend::of(*k, m.get(*k)?, thresholds.steady_change))
                .collect()
        })
        .unwrap_or_default();
    let capacity: Vec<CapacityWarning> = metrics
        .map(|m| {
            [MetricKind::GpuMemory, MetricKind::GpuUtilisation]
                .iter()
                .filter_map(|k| {
                    let (hour_start, hour_mean) =
                        stats::peak_hour(&m.get(*k)?.current, period.start())?;
                    (hour_mean > thresholds.capacity_percent).then_some(CapacityWarning {
                        metric: *k,
                        hour_start,
                        hour_mean,
                        limit: thresholds.capacity_percent,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let worst_level = incidents.iter().map(|i| i.level).max();
    let worsening = trends
        .iter()
        .any(|t| t.effect == Effect::Worse && t.worsening() >= thresholds.notable_change);
    let verdict = match worst_level {
        Some(Level::L3) => Verdict::Critical,
        Some(Level::L2) => Verdict::Degraded,
        Some(Level::L1) => Verdict::Watch,
        None if worsening || !capacity.is_empty() => Verdict::Watch,
        None if trends.is_empty() => Verdict::NoData,
        None => Verdict::Healthy,
    };
    ModelHealth {
        model,
        verdict,
        trends,
        incidents,
        capacity,
    }
}

/// A trend as a field value: `1.2 s (↑ 34%, worse)`.
pub(super) fn trend_field<M: Described>(t: &Trend<M>) -> Field {
    let unit = t.metric.unit();
    let size = t
        .relative
        .map(|r| format::change(r.abs()).trim_start_matches('+').to_owned());
    let moved = match (t.direction, size, t.previous) {
        (_, _, None) => "no data before".to_owned(),
        (Direction::Steady, _, _) => "steady".to_owned(),
        (Direction::Up, Some(s), _) => format!("↑ {s}"),
        (Direction::Down, Some(s), _) => format!("↓ {s}"),
        (Direction::Up, None, _) => "↑ from 0".to_owned(),
        (Direction::Down, None, _) => "↓".to_owned(),
    };
    let effect = match t.effect {
        Effect::Better => ", better",
        Effect::Worse => ", worse",
        Effect::Neutral => "",
    };
    Field::new(
        t.metric.label(),
        format!("{} ({moved}{effect})", unit.format(t.current)),
    )
}

/// The daily health check as the team reads it: every model's verdict, then per model its
/// open alerts, capacity and the `audience`'s metrics, charts of the worst trends, and the
/// business metrics the audience follows.
pub fn daily_report(
    health: &DailyHealth,
    metrics: &[ModelMetrics],
    audience: &Audience,
    th: &Thresholds,
    zone: &TimeZone,
) -> Report {
    let period = health.period;
    let mut overview = verdicts(health, th);
    overview.heading = "At a glance".to_owned();
    let mut charted = chart_budget(health, audience, th);
    let mut sections = vec![overview];
    sections.extend(business_section(&health.business, period, 0, th));
    for m in &health.models {
        let mut s = Section::new(format!("{} — {}", m.model, m.verdict.name()));
        s.model = Some(m.model.clone());
        s.lines.extend(
            m.incidents
                .iter()
                .map(|i| Line::new(level_tone(i.level), i.sentence())),
        );
        s.lines.extend(
            m.capacity
                .iter()
                .map(|c| Line::new(Tone::Watch, format!("Capacity: {}", c.sentence()))),
        );
        if m.incidents.is_empty() {
            s.lines.push(Line::new(Tone::Good, "No active incidents."));
        }
        s.fields = m
            .trends
            .iter()
            .filter(|t| audience.shows(t.metric))
            .map(trend_field)
            .collect();
        if let Some(worst) = shown_worsening(m, audience, th).first()
            && charted.remove(&(m.model.clone(), worst.metric))
            && let Some(series) = metrics
                .iter()
                .find(|x| x.model == m.model)
                .and_then(|x| x.get(worst.metric))
        {
            s.charts
                .push(trend_chart(Some(&m.model), *worst, period, series));
        }
        sections.push(s);
    }
    Report {
        kind: ReportKind::Daily,
        title: format!("Daily model health · {}", format::date(period.end(), zone)),
        period,
        summary: verdict_counts(health),
        sections,
    }
}

/// `3 models: 0 critical, 1 degraded, 1 worth watching, 1 healthy; 2 active incidents.`
pub(super) fn verdict_counts(health: &DailyHealth) -> String {
    if health.models.is_empty() {
        return format!(
            "No models reported metrics or alerts in the last {}.",
            span(health.period)
        );
    }
    let count = |v: Verdict| health.models.iter().filter(|m| m.verdict == v).count();
    let incidents: usize = health.models.iter().map(|m| m.incidents.len()).sum();
    let without_data = match count(Verdict::NoData) {
        0 => String::new(),
        n => format!(", {n} without data"),
    };
    format!(
        "{}: {} critical, {} degraded, {} worth watching, {} healthy{without_data}; {}.",
        format::count(health.models.len(), "model", "models"),
        count(Verdict::Critical),
        count(Verdict::Degraded),
        count(Verdict::Watch),
        count(Verdict::Healthy),
        format::count(incidents, "active incident", "active incidents"),
    )
}

/// "Models": a line per model with its verdict and the reason, worst first.
pub(super) fn verdicts(health: &DailyHealth, th: &Thresholds) -> Section {
    let period = health.period;
    let mut s = Section::new("Models");
    s.lines = health
        .models
        .iter()
        .map(|m| {
            Line::about(
                m.verdict.tone(),
                &m.model,
                format!("{}: {}", m.verdict.name(), m.reason(th.notable_change)),
            )
        })
        .collect();
    s.note = Some(format!(
        "Last {span} ({} to {}) against the {span} before.",
        format::time(period.start()),
        format::time(period.end()),
        span = span(period),
    ));
    s
}

/// The model's notable worsening trends among the metrics the audience sees.
fn shown_worsening<'a>(m: &'a ModelHealth, audience: &Audience, th: &Thresholds) -> Vec<&'a Trend> {
    m.notable_worsening(th.notable_change)
        .into_iter()
        .filter(|t| audience.shows(t.metric))
        .collect()
}

/// The (model, metric) pairs worth a chart: the largest notable worsening per model among
/// the metrics the audience sees, largest first, up to `trend_charts`.
fn chart_budget(
    health: &DailyHealth,
    audience: &Audience,
    th: &Thresholds,
) -> std::collections::BTreeSet<(String, MetricKind)> {
    let mut worst: Vec<(&str, &Trend)> = health
        .models
        .iter()
        .filter_map(|m| Some((m.model.as_str(), *shown_worsening(m, audience, th).first()?)))
        .collect();
    worst.sort_by(|a, b| b.1.worsening().total_cmp(&a.1.worsening()));
    worst
        .into_iter()
        .take(th.trend_charts)
        .map(|(m, t)| (m.to_owned(), t.metric))
        .collect()
}

pub(super) fn level_tone(level: Level) -> Tone {
    match level {
        Level::L1 => Tone::Watch,
        Level::L2 => Tone::Bad,
        Level::L3 => Tone::Critical,
    }
}
