//! `modelwatch preview report daily|weekly [--audience NAME]`: renders a report's Slack
//! messages and chart PNGs into a folder without sending anything.
//!
//! The alert history comes from the table named by `MODELWATCH_TABLE` when it is set (a
//! table that does not answer is an error, never a quiet fallback), and otherwise from the
//! built-in demo (deterministic, seeded); model and business metrics always come from the
//! demo, since a preview does not call Datadog. Every file written says so.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CliError, Format, output};
use crate::config::Config;
use crate::domain::HistoryEntry;
use crate::domain::{Alert, Timestamp};
use crate::report::demo::{business_for, demo_for};
use crate::report::slack::{SlackUser, render as render_slack};
use crate::report::{
    Audience, Mentions, Period, Report, ReportInput, ReportKind, Thresholds, chart, compose,
};
use crate::slack::{ChannelId, SlackFile};
use crate::store::Store;

/// The demo's seed: the same date gives the same preview.
const SEED: u64 = 7;
/// Incidents the demo opens in the reported week.
const DEMO_INCIDENTS: usize = 40;

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    #[command(subcommand)]
    pub what: PreviewCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PreviewCommand {
    /// A daily health check or weekly executive report.
    Report(ReportArgs),
    /// The PagerDuty events and Slack messages an alert would produce, printed.
    Alert(super::preview_alert::AlertArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Which report: daily or weekly.
    #[arg(value_parser = ["daily", "weekly"])]
    pub kind: String,
    /// The configuration file (its models are the ones reported on).
    #[arg(long)]
    pub config: PathBuf,
    /// The first day of the period (YYYY-MM-DD, UTC); by default the day or week ending today.
    #[arg(long)]
    pub from: Option<String>,
    /// Where to write messages.json and the chart PNGs.
    #[arg(long, default_value = "report-preview")]
    pub out: PathBuf,
    /// Slack user IDs to mention (repeatable): `U0123` as a subscriber of every model,
    /// `U0123=chat-large` of one model (named next to that model).
    #[arg(long = "mention")]
    pub mentions: Vec<String>,
    /// The audience (one of the configuration's `reports.audiences`); by default the detailed
    /// report of every model.
    #[arg(long)]
    pub audience: Option<String>,
}

pub async fn run(args: &PreviewArgs, format: Format, out: &mut impl Write) -> Result<(), CliError> {
    match &args.what {
        PreviewCommand::Report(args) => run_report(args, format, out).await,
        PreviewCommand::Alert(args) => super::preview_alert::run(args, format, out),
    }
}

/// Where a preview's data came from, written into every file and the summary.
#[derive(Debug, serde::Serialize)]
struct Provenance {
    alert_history: String,
    metrics: &'static str,
}

const DEMO_METRICS: &str = "the built-in demo: invented values (a preview does not call Datadog)";

async fn run_report(
    args: &ReportArgs,
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let kind = if args.kind == "weekly" {
        ReportKind::Weekly
    } else {
        ReportKind::Daily
    };
    let period = period(kind, args.from.as_deref(), Timestamp::now())?;
    let mut mentions = Mentions::default();
    for m in &args.mentions {
        let (user, model) = match m.split_once('=') {
            Some((user, model)) => (user, Some(model)),
            None => (m.as_str(), None),
        };
        mentions.add(SlackUser::new(user)?, model);
    }
    let (audience, channel) = match &args.audience {
        Some(name) => {
            let configured = config.reports.audience(name).ok_or_else(|| {
                CliError::Input(format!(
                    "unknown audience {name:?}: expected one of the configuration's reports.audiences ({})",
                    config.reports.audiences.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            (configured.content.clone(), configured.channel.clone())
        }
        None => (Audience::everything("everyone"), None),
    };
    let models: Vec<String> = config.models.keys().cloned().collect();
    let demo = demo_for(period.end(), &models, DEMO_INCIDENTS, SEED).map_err(report_error)?;
    let (daily_business, weekly_business) = business_for(period.end(), &audience.business, SEED);
    let (history, open_alerts, alert_history) = match stored(period).await? {
        Some((table, history, open)) => (history, open, format!("table {table}")),
        None => (
            demo.history,
            demo.open_alerts,
            "the built-in demo: invented incidents, people and times (MODELWATCH_TABLE is not set)"
                .to_owned(),
        ),
    };
    let provenance = Provenance {
        alert_history,
        metrics: DEMO_METRICS,
    };
    let (metrics, business) = match kind {
        ReportKind::Daily => (&demo.daily_metrics, &daily_business),
        ReportKind::Weekly => (&demo.weekly_metrics, &weekly_business),
    };
    let input = ReportInput {
        period,
        metrics,
        business,
        open_alerts: &open_alerts,
        history: &history,
        quiet: &demo.quiet,
        zone: &jiff::tz::TimeZone::UTC,
    };
    let report: Report = compose(kind, &audience, &input, &Thresholds::default());
    let files = write(
        &report,
        &args.out,
        &config,
        channel.as_deref(),
        &mentions,
        &provenance,
    )?;
    match format {
        Format::Text => {
            writeln!(
                out,
                "{} report for {} ({}) for {} to {}: {} written to {} ({} files)",
                kind.name(),
                audience.name,
                audience.depth.name(),
                period.start(),
                period.end(),
                report.title,
                args.out.display(),
                files.len()
            )?;
            writeln!(out, "  alert history from {}", provenance.alert_history)?;
            writeln!(out, "  metrics from {}", provenance.metrics)?;
        }
        Format::Json => output::json(
            out,
            &serde_json::json!({
                "report": kind.name(),
                "audience": audience.name,
                "depth": audience.depth.name(),
                "from": period.start().to_string(),
                "to": period.end().to_string(),
                "title": report.title,
                "data": provenance,
                "directory": args.out.display().to_string(),
                "files": files,
            }),
        )?,
    }
    Ok(())
}

/// The report's period: from `from` (a UTC date) or ending at today's 00:00 UTC.
fn period(kind: ReportKind, from: Option<&str>, now: Timestamp) -> Result<Period, CliError> {
    let secs = match kind {
        ReportKind::Daily => crate::report::DAY_SECS,
        ReportKind::Weekly => crate::report::WEEK_SECS,
    };
    let start = match from {
        Some(day) => day
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| Timestamp::from_millis(z.timestamp().as_millisecond()))
            .ok_or_else(|| {
                CliError::Input(format!(
                    "invalid --from {day:?}: expected a date such as 2025-11-17"
                ))
            })?,
        None => {
            let today = Timestamp::from_secs(now.secs() - now.secs().rem_euclid(86_400));
            Timestamp::from_millis(today.millis() - secs as i64 * 1000)
        }
    };
    Ok(Period::ending(start.plus_secs(secs), secs))
}

/// The table's name, history and open alerts when `MODELWATCH_TABLE` is set; none when it
/// is not.
type Stored = (String, Vec<HistoryEntry>, Vec<Alert>);

async fn stored(period: Period) -> Result<Option<Stored>, CliError> {
    if std::env::var_os("MODELWATCH_TABLE").is_none() {
        return Ok(None);
    }
    let store = Store::from_env().await?;
    let weeks = Thresholds::default().response_weeks as u64;
    let first = Timestamp::from_millis(
        period.end().millis() - (weeks * crate::report::WEEK_SECS) as i64 * 1000,
    );
    let mut history = Vec::new();
    let days = Period::new(first, period.end()).map_err(report_error)?;
    for day in days.slices(crate::report::DAY_SECS) {
        let name = jiff::Timestamp::from_millisecond(day.start().millis())
            .map_err(|e| CliError::Input(format!("the period is out of range: {e}")))?
            .strftime("%Y-%m-%d")
            .to_string();
        history.extend(store.history(&name).await?);
    }
    let open = store.open_alerts().await?;
    Ok(Some((store.table().to_owned(), history, open)))
}

fn report_error(e: crate::report::ReportError) -> CliError {
    CliError::Input(e.to_string())
}

/// Writes `messages.json` (where the data came from, then the first message and the thread
/// replies) and one PNG per chart, each with where its data came from; returns the files.
fn write(
    report: &Report,
    dir: &Path,
    config: &Config,
    channel: Option<&str>,
    mentions: &Mentions,
    provenance: &Provenance,
) -> Result<Vec<String>, CliError> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    let mut images = BTreeMap::new();
    let stamp = format!(
        "modelwatch preview. Alert history from {}; metrics from {}",
        provenance.alert_history, provenance.metrics
    );
    for chart in report.charts() {
        let png = chart::render(chart).map_err(report_error)?;
        let file = format!("{}.png", chart.id);
        std::fs::write(dir.join(&file), super::png_text::with_comment(&png, &stamp))?;
        files.push(file.clone());
        // In the real report this is the uploaded file; here the PNG beside the JSON.
        images.insert(
            chart.id.clone(),
            SlackFile {
                url: Some(file),
                id: None,
            },
        );
    }
    let channel = channel
        .or_else(|| {
            config
                .models
                .values()
                .next()
                .map(|m| m.slack_channel.as_str())
        })
        .and_then(|c| ChannelId::new(c).ok())
        .map_or_else(|| ChannelId::new("#model-reports"), Ok)?;
    let slack = render_slack(report, &channel, &images, mentions);
    let messages: Vec<_> = slack.messages().collect();
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "preview": { "data": provenance, "note": "not sent: what the reporter would post" },
        "messages": messages,
    }))
    .map_err(|e| CliError::Input(format!("cannot encode the messages: {e}")))?;
    std::fs::write(dir.join("messages.json"), json)?;
    files.push("messages.json".to_owned());
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_starts_the_period_and_a_bad_date_is_refused() {
        let now = Timestamp::parse("2025-11-24T09:30:00Z").unwrap();
        let week = period(ReportKind::Weekly, Some("2025-11-17"), now).unwrap();
        assert_eq!(
            week.start(),
            Timestamp::parse("2025-11-17T00:00:00Z").unwrap()
        );
        assert_eq!(
            week.end(),
            Timestamp::parse("2025-11-24T00:00:00Z").unwrap()
        );
        let day = period(ReportKind::Daily, None, now).unwrap();
        assert_eq!(
            day.start(),
            Timestamp::parse("2025-11-23T00:00:00Z").unwrap()
        );
        let err = period(ReportKind::Daily, Some("17/11/2025"), now).unwrap_err();
        assert!(err.to_string().contains("expected a date"), "{err}");
    }
}
