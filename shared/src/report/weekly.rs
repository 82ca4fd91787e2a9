//! The weekly report as the team reads it: incidents, response times, accuracy and noisy
//! monitors, trends, open alerts, capacity and resources, business metrics, what's ahead.

use std::collections::BTreeMap;

use super::accuracy::{Accuracy, NoisyMonitor, noisiest_monitors};
use super::audience::Audience;
use super::business::business_section;
use super::chart::{DayIncidents, WeekResponse, incidents_chart, response_chart, trend_chart};
use super::compose::ReportInput;
use super::cycles::{Cycle, counted_in, cycles};
use super::daily::{DailyHealth, daily_health, level_tone, trend_field};
use super::document::{Field, Line, Report, ReportKind, Section, Tone};
use super::metrics::{MetricKind, ModelMetrics};
use super::response::{Measure, ResponseTimes};
use super::trend::{Direction, Effect, Trend};
use super::upcoming::{QuietWindow, upcoming};
use super::{Period, Thresholds, format, stats};
use crate::domain::{Level, Timestamp};
use jiff::tz::TimeZone;

/// Alert cycles opened, by level (`[L1, L2, L3]`).
pub type LevelCounts = [usize; 3];

pub(super) fn level_index(level: Level) -> usize {
    match level {
        Level::L1 => 0,
        Level::L2 => 1,
        Level::L3 => 2,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSummary {
    /// Cycles opened, less those people marked false positives: an alert nobody needed to
    /// act on is not an incident (accuracy counts it).
    pub total: usize,
    /// Cycles opened and marked false positives, left out of the figures above.
    pub false_positives: usize,
    pub by_level: LevelCounts,
    /// Most incidents first.
    pub by_model: Vec<(String, LevelCounts)>,
    pub per_day: Vec<DayIncidents>,
}

/// A model whose GPUs sat mostly idle.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleGpu {
    pub model: String,
    pub p95_utilisation: f64,
    pub mean_memory: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyFigures {
    pub period: Period,
    pub incidents: IncidentSummary,
    pub response: ResponseTimes,
    /// Oldest week first, this week last.
    pub response_by_week: Vec<WeekResponse>,
    pub accuracy: Accuracy,
    pub noisy: Vec<NoisyMonitor>,
    /// Per model, every metric with data this week.
    pub trends: Vec<(String, Vec<Trend>)>,
    pub idle_gpus: Vec<IdleGpu>,
    pub upcoming: Vec<QuietWindow>,
    /// Incidents (cycles not marked false positives) counted in the week before.
    pub incidents_before: usize,
    /// Each model's verdict, open alerts and capacity now, trends over the week; and the
    /// business metrics.
    pub health: DailyHealth,
}

/// Computes the weekly figures. A cycle counts in the week it was detected ([`Cycle::counted_at`]).
pub fn weekly_figures(input: &ReportInput<'_>, th: &Thresholds) -> WeeklyFigures {
    let period = input.period;
    let all = cycles(input.history);
    let week = counted_in(&all, period);
    // Weeks ending with the period, the newest the period itself when it is about a week
    // or longer (167 or 169 hours across a change of daylight saving time, the headline's
    // own figures): a shorter period (the demo's two days) must not turn them into days.
    let newest = if period.secs() >= 6 * super::period::DAY_SECS {
        period
    } else {
        Period::week_ending(period.end())
    };
    let mut response_by_week: Vec<WeekResponse> = (0..th.response_weeks.max(1))
        .scan(newest, |p, _| {
            let this = *p;
            *p = Period::week_ending(this.start());
            Some(this)
        })
        .map(|w| WeekResponse {
            week: w,
            times: ResponseTimes::of(&counted_in(&all, w)),
        })
        .collect();
    response_by_week.reverse();
    let trends = input
        .metrics
        .iter()
        .map(|m| {
            let t = MetricKind::ALL
                .iter()
                .filter_map(|k| Trend::of(*k, m.get(*k)?, th.steady_change))
                .collect();
            (m.model.clone(), t)
        })
        .collect();
    WeeklyFigures {
        period,
        incidents: incident_summary(&week, period),
        response: ResponseTimes::of(&week),
        response_by_week,
        accuracy: Accuracy::of(&week),
        noisy: noisiest_monitors(&week, th.noisy_monitors),
        trends,
        idle_gpus: idle_gpus(input.metrics, th),
        upcoming: upcoming(input.quiet, period.end(), th.upcoming_secs),
        incidents_before: counted_in(&all, period.previous())
            .iter()
            .filter(|c| !c.is_false_positive())
            .count(),
        health: daily_health(period, input.metrics, input.business, input.open_alerts, th),
    }
}

fn incident_summary(week: &[&Cycle], period: Period) -> IncidentSummary {
    let mut by_level = [0; 3];
    let mut by_model: BTreeMap<String, LevelCounts> = BTreeMap::new();
    // By the UTC day an incident counts in, as the chart's axis says: a week from 08:00 New
    // York spans eight of them, the first and last in part.
    let mut per_day: Vec<DayIncidents> = period
        .utc_days()
        .into_iter()
        .map(|day| DayIncidents {
            day,
            by_level: [0; 3],
        })
        .collect();
    let (false_positives, incidents): (Vec<&Cycle>, Vec<&Cycle>) =
        week.iter().partition(|c| c.is_false_positive());
    for c in &incidents {
        let i = level_index(c.facts.level);
        by_level[i] += 1;
        by_model.entry(c.model().to_owned()).or_default()[i] += 1;
        if let Some(d) = per_day
            .iter_mut()
            .find(|d| c.counted_at().is_some_and(|t| d.day.contains(t)))
        {
            d.by_level[i] += 1;
        }
    }
    let mut by_model: Vec<(String, LevelCounts)> = by_model.into_iter().collect();
    by_model.sort_by(|a, b| {
        let total = |c: &LevelCounts| c.iter().sum::<usize>();
        (total(&b.1), &a.0).cmp(&(total(&a.1), &b.0))
    });
    IncidentSummary {
        total: incidents.len(),
        false_positives: false_positives.len(),
        by_level,
        by_model,
        per_day,
    }
}

fn idle_gpus(metrics: &[ModelMetrics], th: &Thresholds) -> Vec<IdleGpu> {
    metrics
        .iter()
        .filter_map(|m| {
            let util = m.get(MetricKind::GpuUtilisation)?;
            let p95 = stats::percentile(util.current.iter().map(|p| p.1), 95.0)?;
            (p95 < th.idle_gpu_p95_percent).then(|| IdleGpu {
                model: m.model.clone(),
                p95_utilisation: p95,
                mean_memory: m
                    .get(MetricKind::GpuMemory)
                    .and_then(|s| stats::mean(s.current.iter().map(|p| p.1))),
            })
        })
        .collect()
}

fn levels_text(c: &LevelCounts) -> String {
    Level::ALL
        .iter()
        .zip(c)
        .filter(|(_, n)| **n > 0)
        .map(|(l, n)| format!("{l} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Weekly model report · Mon 16 Nov to 22 Nov 2026`, its days in `zone`.
pub(super) fn week_title(name: &str, period: Period, zone: &TimeZone) -> String {
    format!(
        "{name} · {} to {}",
        format::day(period.start(), zone),
        format::date(Timestamp::from_millis(period.end().millis() - 1), zone)
    )
}

/// `1 h 05 min (4 resolved, 1 still open)`: the median and what it stands on.
pub(super) fn median_text(figures: &ResponseTimes, m: Measure) -> String {
    let t = figures.get(m);
    if t.measured + t.unmeasured == 0 {
        return "no data".to_owned();
    }
    let median = t
        .median_secs
        .map_or_else(|| "no data".to_owned(), format::duration);
    format!("{median} ({})", t.basis())
}

/// The weekly figures as the team's report document, with the `audience`'s metrics.
pub fn weekly_report(
    f: &WeeklyFigures,
    metrics: &[ModelMetrics],
    audience: &Audience,
    th: &Thresholds,
    zone: &TimeZone,
) -> Report {
    let period = f.period;
    let mut summary = format!(
        "{} this week",
        format::count(f.incidents.total, "incident", "incidents")
    );
    if f.incidents.by_level[2] > 0 {
        summary.push_str(&format!(" ({} at L3)", f.incidents.by_level[2]));
    }
    if let Some(m) = f.response.resolve.median_secs {
        summary.push_str(&format!(
            ", median time to resolve {} ({})",
            format::duration(m),
            f.response.resolve.basis()
        ));
    }
    if let Some(share) = f.accuracy.share() {
        summary.push_str(&format!(
            ", alert accuracy {} ({})",
            format::share(share),
            f.accuracy.basis()
        ));
    }
    summary.push('.');
    let mut sections = vec![
        incidents_section(f),
        open_section(f),
        response_section(f),
        accuracy_section(f),
        trends_section(f, metrics, audience, th),
        resources_section(f),
    ];
    sections.extend(business_section(&f.health.business, period, 0, th));
    sections.push(upcoming_section(f));
    Report {
        kind: ReportKind::Weekly,
        title: week_title("Weekly model report", period, zone),
        period,
        summary,
        sections,
    }
}

fn incidents_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Incidents");
    let i = &f.incidents;
    s.fields.push(Field::new("Opened", i.total.to_string()));
    for level in Level::ALL {
        s.fields.push(Field::new(
            level.as_str(),
            i.by_level[level_index(level)].to_string(),
        ));
    }
    if i.total == 0 {
        s.lines
            .push(Line::new(Tone::Good, "No incidents opened this week."));
    }
    if i.false_positives > 0 {
        s.lines.push(Line::new(
            Tone::Neutral,
            format!(
                "Not counted: {}.",
                format::count(
                    i.false_positives,
                    "alert marked a false positive",
                    "alerts marked false positives"
                )
            ),
        ));
    }
    s.lines.extend(i.by_model.iter().map(|(model, c)| {
        let total: usize = c.iter().sum();
        let worst = Level::ALL
            .iter()
            .rev()
            .find(|l| c[level_index(**l)] > 0)
            .copied()
            .unwrap_or(Level::L1);
        Line::about(
            level_tone(worst),
            model,
            format!(
                "{} ({})",
                format::count(total, "incident", "incidents"),
                levels_text(c)
            ),
        )
    }));
    s.charts.push(incidents_chart(&i.per_day));
    s
}

/// The alerts open as the report goes out, by model.
fn open_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Open now");
    for m in f.health.models.iter().filter(|m| !m.incidents.is_empty()) {
        s.lines.extend(
            m.incidents
                .iter()
                .map(|i| Line::about(level_tone(i.level), &m.model, i.sentence())),
        );
    }
    if s.lines.is_empty() {
        s.lines.push(Line::new(Tone::Good, "No alerts open."));
    }
    s
}

pub(super) fn response_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Response times");
    for m in Measure::ALL {
        s.fields.push(Field::new(
            format!("{} (median)", m.abbreviation()),
            median_text(&f.response, m),
        ));
    }
    for m in Measure::ALL {
        let r = f.response.get(m);
        if let Some(slow) = &r.slowest {
            s.lines.push(Line::new(
                Tone::Neutral,
                format!(
                    "Slowest {}: {} for {} on {}",
                    m.name(),
                    format::duration(slow.secs),
                    slow.title,
                    slow.model
                ),
            ));
        }
    }
    let mut note = vec![
        "MTTD runs from the first breaching point to detection, MTTA from opening to acknowledgement, MTTR from opening to resolution.".to_owned(),
    ];
    for m in Measure::ALL {
        let r = f.response.get(m);
        if r.unmeasured > 0 {
            note.push(format!(
                "{}: {} {} left out.",
                m.abbreviation(),
                r.unmeasured,
                m.unmeasured()
            ));
        }
    }
    if f.response.false_positives_left_out > 0 {
        note.push(format!(
            "{} left out.",
            format::count(
                f.response.false_positives_left_out,
                "false positive",
                "false positives"
            )
        ));
    }
    s.note = Some(note.join(" "));
    s.charts.push(response_chart(&f.response_by_week));
    s
}

pub(super) fn accuracy_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Alert accuracy");
    let a = f.accuracy;
    s.fields.push(Field::new(
        "Accuracy",
        a.share().map_or_else(
            || "no alerts".to_owned(),
            |share| {
                format!(
                    "{} (alerts not marked false positive)",
                    format::share(share)
                )
            },
        ),
    ));
    s.fields.push(Field::new(
        "False positives",
        format!("{} of {}", a.false_positives, a.cycles),
    ));
    if f.noisy.is_empty() {
        s.lines
            .push(Line::new(Tone::Good, "No noisy monitors this week."));
    } else {
        s.lines.push(Line::new(
            Tone::Neutral,
            "Noisiest monitors, candidates for tuning:",
        ));
        s.lines.extend(f.noisy.iter().map(|m| {
            let tone = if m.false_positives > 0 || m.flapping > 0 {
                Tone::Watch
            } else {
                Tone::Neutral
            };
            Line::led(
                tone,
                &m.title,
                format!("{} — {}", m.why(), m.models.join(", ")),
            )
        }));
    }
    s
}

fn trends_section(
    f: &WeeklyFigures,
    metrics: &[ModelMetrics],
    audience: &Audience,
    th: &Thresholds,
) -> Section {
    let mut s = Section::new("Performance trends (this week against last)");
    let mut worst: Vec<(&str, &Trend)> = Vec::new();
    for (model, trends) in &f.trends {
        let notable: Vec<&Trend> = trends
            .iter()
            .filter(|t| audience.shows(t.metric))
            // A rise from zero has no relative size, and is notable (as in the daily check).
            .filter(|t| {
                t.relative.map_or(t.direction != Direction::Steady, |r| {
                    r.abs() >= th.notable_change
                })
            })
            .collect();
        // A model whose metrics all stopped is not steady: nothing is known of it.
        let tone = if trends.is_empty() || notable.iter().any(|t| t.effect == Effect::Worse) {
            Tone::Watch
        } else {
            Tone::Good
        };
        let text = if trends.is_empty() {
            "no metrics this week".to_owned()
        } else if notable.is_empty() {
            "steady".to_owned()
        } else {
            notable
                .iter()
                .map(|t| trend_field(t))
                .map(|fl| format!("{} {}", fl.label, fl.value))
                .collect::<Vec<_>>()
                .join("; ")
        };
        s.lines.push(Line::about(tone, model, text));
        worst.extend(
            notable
                .iter()
                .filter(|t| t.effect == Effect::Worse)
                .map(|t| (model.as_str(), *t)),
        );
    }
    if f.trends.is_empty() {
        s.lines
            .push(Line::new(Tone::Neutral, "No model metrics this week."));
    }
    worst.sort_by(|a, b| b.1.worsening().total_cmp(&a.1.worsening()));
    for (model, t) in worst.into_iter().take(th.trend_charts) {
        if let Some(series) = metrics
            .iter()
            .find(|m| m.model == model)
            .and_then(|m| m.get(t.metric))
        {
            s.charts.push(trend_chart(Some(model), t, f.period, series));
        }
    }
    s
}

fn resources_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Capacity and resources");
    for m in &f.health.models {
        s.lines.extend(
            m.capacity
                .iter()
                .map(|c| Line::about(Tone::Watch, &m.model, format!("Capacity: {}", c.sentence()))),
        );
    }
    if f.idle_gpus.is_empty() {
        s.lines.push(Line::new(
            Tone::Neutral,
            "No GPUs sat idle most of the week.",
        ));
    }
    s.lines.extend(f.idle_gpus.iter().map(|g| {
        let memory = g
            .mean_memory
            .map(|m| format!(", GPU memory {} on average", format::share(m / 100.0)))
            .unwrap_or_default();
        Line::about(
            Tone::Neutral,
            &g.model,
            format!(
                "GPUs idle most of the week: p95 utilisation {}{memory}. Fewer or smaller GPUs would do.",
                format::share(g.p95_utilisation / 100.0)
            ),
        )
    }));
    s
}

fn upcoming_section(f: &WeeklyFigures) -> Section {
    let mut s = Section::new("Coming up: maintenance and silences");
    if f.upcoming.is_empty() {
        s.lines.push(Line::new(
            Tone::Neutral,
            "No maintenance windows or silences in the next 7 days.",
        ));
    }
    s.lines.extend(f.upcoming.iter().map(|w| {
        let mut text = format!(
            "{} from {} to {}",
            w.kind.name(),
            format::time(w.starts),
            format::time(w.ends)
        );
        if let Some(by) = &w.by {
            text.push_str(&format!(", set by {by}"));
        }
        if let Some(reason) = &w.reason {
            text.push_str(&format!(": {reason}"));
        }
        Line::led(Tone::Neutral, &w.scope, text)
    }));
    s
}
