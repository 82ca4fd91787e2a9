//! What the demo prints: the timeline of signals, levels and deliveries, the PagerDuty
//! events and Slack messages sent, the report charts, and the run's MTTD / MTTR / accuracy.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use modelwatch::config::Config;
use modelwatch::domain::Timestamp;
use modelwatch::domain::{HistoryEntry, HistoryOutcome, SignalName};
use modelwatch::report::{self, Cycle, ModelMetrics, Period, ReportInput, Thresholds};

use super::checks::minutes;
use super::scenario::Scenario;
use crate::fakes::{HeldAlert, SlackMessage};

/// `Mon 02:14`, in UTC.
pub fn when(t: Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.millis())
        .map(|ts| ts.strftime("%a %H:%M").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// One line per applied signal that changed something or owed a delivery.
pub fn timeline(history: &[HistoryEntry]) -> String {
    let mut out = String::new();
    for h in history
        .iter()
        .filter(|h| h.outcome == HistoryOutcome::Applied)
    {
        if h.signal == SignalName::Tick && h.actions.is_empty() {
            continue;
        }
        let model = h
            .snapshot
            .model
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_else(|| "-".into());
        let actions = if h.actions.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = h.actions.iter().map(|a| a.as_str()).collect();
            format!(" → {}", names.join(", "))
        };
        let _ = writeln!(
            out,
            "  {}  {:<15} {:<20} {:<15} {:<12} {} {}{}",
            when(h.at),
            clip(&model, 15),
            clip(&h.snapshot.monitor_id, 20),
            h.signal.as_str(),
            h.status.as_str(),
            h.level,
            h.source.as_str(),
            actions
        );
    }
    out
}

pub fn pages(pages: &[HeldAlert], services: &[(String, String)]) -> String {
    let mut out = String::new();
    for p in pages {
        let service = services
            .iter()
            .find(|(_, key)| key.starts_with(&p.service))
            .map_or(p.service.as_str(), |(name, _)| name.as_str());
        let _ = writeln!(
            out,
            "  {:<10} {:<8} {:<9} triggered {}×  {}\n             {}",
            service,
            p.severity,
            format!("{:?}", p.status).to_lowercase(),
            p.triggers,
            p.dedup_key,
            clip(&p.summary, 110),
        );
    }
    out
}

pub fn slack(messages: &[SlackMessage], channel_names: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for m in messages
        .iter()
        .filter(|m| m.thread_ts.is_none() && m.ephemeral_user.is_none())
    {
        let channel = channel_names
            .get(&m.channel)
            .map_or(m.channel.as_str(), String::as_str);
        let replies: Vec<&SlackMessage> = messages
            .iter()
            .filter(|r| r.thread_ts.as_deref() == Some(m.ts.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "  {:<20} {}  (updated {}×, {} replies)",
            channel,
            clip(&m.text, 90),
            m.edits,
            replies.len()
        );
        for r in replies {
            let _ = writeln!(out, "  {:<20}   ↳ {}", "", clip(&r.text, 100));
        }
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n - 1).collect();
        c.push('…');
        c
    }
}

/// The report metrics of the scenario: day two as the current period, day one as the one before.
pub fn model_metrics(scenario: &Scenario) -> Vec<ModelMetrics> {
    let mut by_model: BTreeMap<&str, ModelMetrics> = BTreeMap::new();
    let half = scenario.minutes / 2;
    for s in &scenario.series {
        let kind = match s.metric {
            "llm.generation.latency" => report::MetricKind::LatencyP95,
            "llm.quality.score" => report::MetricKind::QualityScore,
            "llm.tokens.total" => report::MetricKind::Tokens,
            "llm.requests.error_rate" => report::MetricKind::ErrorRate,
            _ => continue,
        };
        // The report's units: latency in ms, rates in percent.
        let scale = match kind {
            report::MetricKind::LatencyP95 => 1000.0,
            report::MetricKind::ErrorRate => 100.0,
            _ => 1.0,
        };
        let entry = by_model.entry(s.model).or_insert_with(|| ModelMetrics {
            model: s.model.to_owned(),
            series: BTreeMap::new(),
        });
        let series = entry.series.entry(kind).or_default();
        for (m, v) in s.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let point = (scenario.at(m as u32), v * scale);
            if (m as u32) < half {
                series.previous.push(point);
            } else {
                series.current.push(point);
            }
        }
    }
    by_model.into_values().collect()
}

/// Seeds the demo's business metric.
const BUSINESS_SEED: u64 = 7;

/// The run's figures and the report charts written to `dir`, for the configuration's
/// `ml-team` and `executives` audiences; returns the figures' lines.
pub fn figures_and_charts(
    config: &Config,
    scenario: &Scenario,
    history: &[HistoryEntry],
    dir: &Path,
) -> Result<(String, Vec<String>), String> {
    // The whole run for the incident figures; the second day against the first for the
    // metric trends (the daily health check of the run's last day).
    let run =
        Period::new(scenario.start, scenario.at(scenario.minutes)).map_err(|e| e.to_string())?;
    let last_day = Period::new(
        scenario.at(scenario.minutes / 2),
        scenario.at(scenario.minutes),
    )
    .map_err(|e| e.to_string())?;
    let metrics = model_metrics(scenario);
    let th = Thresholds::default();
    let figures = report::weekly_figures(
        &ReportInput {
            period: run,
            metrics: &[],
            business: &[],
            open_alerts: &[],
            history,
            quiet: &[],
            zone: &jiff::tz::TimeZone::UTC,
        },
        &th,
    );
    let r = &figures.response;
    let median = |m: &report::ResponseTime| m.median_secs.map_or_else(|| "—".to_owned(), minutes);
    let slowest = |m: &report::ResponseTime| {
        m.slowest
            .as_ref()
            .map(|s| format!(" (slowest {}: {})", minutes(s.secs), s.title))
            .unwrap_or_default()
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  incidents          {} (L1 {}, L2 {}, L3 {}; {} marked false positive, not counted)",
        figures.incidents.total,
        figures.incidents.by_level[0],
        figures.incidents.by_level[1],
        figures.incidents.by_level[2],
        figures.incidents.false_positives
    );
    let _ = writeln!(
        out,
        "  MTTD (median)      {}{}",
        median(&r.detect),
        slowest(&r.detect)
    );
    let _ = writeln!(
        out,
        "  MTTA (median)      {}{}",
        median(&r.acknowledge),
        slowest(&r.acknowledge)
    );
    let _ = writeln!(
        out,
        "  MTTR (median)      {}{}",
        median(&r.resolve),
        slowest(&r.resolve)
    );
    let acc = &figures.accuracy;
    let share = if acc.cycles == 0 {
        100.0
    } else {
        100.0 * (acc.cycles - acc.false_positives) as f64 / acc.cycles as f64
    };
    let _ = writeln!(
        out,
        "  alert accuracy     {share:.0} % ({} of {} not marked false positive)",
        acc.cycles - acc.false_positives,
        acc.cycles
    );

    let audience = |name: &str| {
        config
            .reports
            .audience(name)
            .map(|a| a.content.clone())
            .ok_or_else(|| format!("the demo configuration has no audience {name:?}"))
    };
    let team = audience("ml-team")?;
    let document = report::weekly_report(&figures, &[], &team, &th, &jiff::tz::TimeZone::UTC);
    let health = report::daily_health(last_day, &metrics, &[], &[], &th);
    let daily = report::daily_report(&health, &metrics, &team, &th, &jiff::tz::TimeZone::UTC);
    // The executives' summary of the last day, with the demo's business metric.
    let executives = audience("executives")?;
    let (business, _) =
        report::demo::business_for(last_day.end(), &executives.business, BUSINESS_SEED);
    let exec = report::compose(
        report::ReportKind::Daily,
        &executives,
        &ReportInput {
            period: last_day,
            metrics: &metrics,
            business: &business,
            open_alerts: &[],
            history: &[],
            quiet: &[],
            zone: &jiff::tz::TimeZone::UTC,
        },
        &th,
    );
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for chart in document.charts().chain(daily.charts()).chain(exec.charts()) {
        let png = report::chart::render(chart).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{}.png", chart.id));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(format!("  {}  — {}", path.display(), chart.alt_text));
    }
    for (doc, file, what) in [
        (
            &document,
            "weekly-report.json",
            "the weekly report's Block Kit message",
        ),
        (
            &exec,
            "executive-summary.json",
            "the executives' daily summary",
        ),
    ] {
        let json = serde_json::to_string_pretty(
            &report::slack::render(
                doc,
                &modelwatch::slack::ChannelId::new("#ml-leads").map_err(|e| e.to_string())?,
                &BTreeMap::new(),
                &report::Mentions::default(),
            )
            .first,
        )
        .map_err(|e| e.to_string())?;
        let path = dir.join(file);
        std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(format!("  {}  — {what}", path.display()));
    }
    Ok((out, written))
}

/// History of every UTC day the scenario covers, in time order.
pub fn days(scenario: &Scenario) -> Vec<String> {
    (0..=scenario.minutes / 1440 + 1)
        .filter_map(|d| {
            jiff::Timestamp::from_millisecond(scenario.at(d * 1440).millis())
                .ok()
                .map(|t| t.strftime("%Y-%m-%d").to_string())
        })
        .collect()
}

pub fn cycles_of(history: &[HistoryEntry]) -> Vec<Cycle> {
    report::cycles(history)
}
