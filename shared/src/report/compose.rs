//! One report for one audience: the inputs narrowed to the audience's models, the figures,
//! and the document at the audience's depth.

use super::audience::{Audience, Depth};
use super::daily::{daily_health, daily_report};
use super::declared::DeclaredSeries;
use super::document::{Report, ReportKind};
use super::metrics::ModelMetrics;
use super::summary::{daily_summary, weekly_summary};
use super::upcoming::QuietWindow;
use super::weekly::{weekly_figures, weekly_report};
use super::{Period, Thresholds};
use crate::domain::{Alert, HistoryEntry, ModelRef};
use jiff::tz::TimeZone;

/// What a report reads.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The day or week reported on.
    pub period: Period,
    /// This period's series as `current`, the period before's as `previous`.
    pub metrics: &'a [ModelMetrics],
    /// The audience's business metrics over all models, in the order it lists them.
    pub business: &'a [DeclaredSeries],
    /// The alerts open as the report goes out.
    pub open_alerts: &'a [Alert],
    /// Weekly reports: history entries of at least `Thresholds::response_weeks` weeks up to
    /// the period's end.
    pub history: &'a [HistoryEntry],
    /// Weekly reports: maintenance windows and silences, from any time (those ahead show).
    pub quiet: &'a [QuietWindow],
    /// The audience's time zone, its schedule's: the day a title names is its day there.
    pub zone: &'a TimeZone,
}

/// The `kind` of report for `audience`: the team's detailed report or the short summary,
/// over the audience's models only.
pub fn compose(
    kind: ReportKind,
    audience: &Audience,
    input: &ReportInput<'_>,
    th: &Thresholds,
) -> Report {
    // Alerts and history without a model belong to an audience of every model.
    let covers = |model: Option<&ModelRef>| match model {
        Some(m) => audience.covers(m.name()),
        None => audience.models.is_empty(),
    };
    let metrics: Vec<ModelMetrics> = input
        .metrics
        .iter()
        .filter(|m| audience.covers(&m.model))
        .cloned()
        .collect();
    let open: Vec<Alert> = input
        .open_alerts
        .iter()
        .filter(|a| covers(a.context.model.as_ref()))
        .cloned()
        .collect();
    let history: Vec<HistoryEntry> = input
        .history
        .iter()
        .filter(|h| covers(h.snapshot.model.as_ref()))
        .cloned()
        .collect();
    // A silence or maintenance of another audience's model is not this one's to hear of.
    let quiet: Vec<QuietWindow> = input
        .quiet
        .iter()
        .filter(|q| q.models.is_empty() || q.models.iter().any(|m| audience.covers(m)))
        .cloned()
        .collect();
    let mine = ReportInput {
        metrics: &metrics,
        open_alerts: &open,
        history: &history,
        quiet: &quiet,
        ..*input
    };
    match kind {
        ReportKind::Daily => {
            let health = daily_health(mine.period, &metrics, mine.business, &open, th);
            match audience.depth {
                Depth::Detailed => daily_report(&health, &metrics, audience, th, input.zone),
                Depth::Summary => daily_summary(&health, th, input.zone),
            }
        }
        ReportKind::Weekly => {
            let figures = weekly_figures(&mine, th);
            match audience.depth {
                Depth::Detailed => weekly_report(&figures, &metrics, audience, th, input.zone),
                Depth::Summary => weekly_summary(&figures, th, input.zone),
            }
        }
    }
}
