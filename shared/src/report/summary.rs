//! The summaries an executive reads: each model's verdict, incidents against the week
//! before, response times, alert accuracy and the business metrics, in a few lines.

use super::business::business_section;
use super::daily::{DailyHealth, verdict_counts, verdicts};
use super::document::{Field, Line, Report, ReportKind, Section, Tone};
use super::response::Measure;
use super::weekly::{WeeklyFigures, median_text, week_title};
use super::{Thresholds, format};
use crate::domain::Level;
use jiff::tz::TimeZone;

/// The day in brief: verdicts and business metrics.
pub fn daily_summary(health: &DailyHealth, th: &Thresholds, zone: &TimeZone) -> Report {
    let period = health.period;
    let mut summary = verdict_counts(health);
    push_headline(&mut summary, health);
    let mut sections = vec![verdicts(health, th)];
    sections.extend(business_section(
        &health.business,
        period,
        th.trend_charts,
        th,
    ));
    Report {
        kind: ReportKind::Daily,
        title: format!("Daily model summary · {}", format::date(period.end(), zone)),
        period,
        summary,
        sections,
    }
}

/// The week in brief: verdicts, incidents, response and accuracy, business metrics.
pub fn weekly_summary(f: &WeeklyFigures, th: &Thresholds, zone: &TimeZone) -> Report {
    let period = f.period;
    let i = &f.incidents;
    let mut summary = format::count(i.total, "incident", "incidents");
    if i.by_level[2] > 0 {
        summary.push_str(&format!(" ({} at L3)", i.by_level[2]));
    }
    summary.push_str(&format!(
        " this week, {}",
        against(i.total, f.incidents_before)
    ));
    if let Some(m) = f.response.resolve.median_secs {
        summary.push_str(&format!(
            "; median time to resolve {} ({})",
            format::duration(m),
            f.response.resolve.basis()
        ));
    }
    if let Some(share) = f.accuracy.share() {
        summary.push_str(&format!(
            "; alert accuracy {} ({})",
            format::share(share),
            f.accuracy.basis()
        ));
    }
    summary.push('.');
    push_headline(&mut summary, &f.health);

    let mut incidents = Section::new("Incidents");
    incidents
        .fields
        .push(Field::new("Opened", i.total.to_string()));
    incidents
        .fields
        .push(Field::new("Week before", f.incidents_before.to_string()));
    for level in Level::ALL {
        incidents.fields.push(Field::new(
            level.as_str(),
            i.by_level[super::weekly::level_index(level)].to_string(),
        ));
    }
    if i.false_positives > 0 {
        incidents.fields.push(Field::new(
            "False positives, not counted",
            i.false_positives.to_string(),
        ));
    }
    if let Some((model, _)) = i.by_model.first() {
        incidents.lines.push(Line::new(
            Tone::Neutral,
            format!("Most incidents: {model}."),
        ));
    }

    let mut response = Section::new("Response and accuracy");
    for m in Measure::ALL {
        response.fields.push(Field::new(
            format!("{} (median)", m.abbreviation()),
            median_text(&f.response, m),
        ));
    }
    response.fields.push(Field::new(
        "Alert accuracy",
        f.accuracy.share().map_or_else(
            || "no alerts".to_owned(),
            |share| format!("{} ({})", format::share(share), f.accuracy.basis()),
        ),
    ));
    response
        .charts
        .push(super::chart::response_chart(&f.response_by_week));

    let mut sections = vec![verdicts(&f.health, th), incidents, response];
    sections.extend(business_section(
        &f.health.business,
        period,
        th.trend_charts,
        th,
    ));
    Report {
        kind: ReportKind::Weekly,
        title: week_title("Weekly executive summary", period, zone),
        period,
        summary,
        sections,
    }
}

/// `3 fewer than the week before`, `as many as the week before`.
fn against(now: usize, before: usize) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Less => format!("{} fewer than the week before", before - now),
        std::cmp::Ordering::Greater => format!("{} more than the week before", now - before),
        std::cmp::Ordering::Equal => "as many as the week before".to_owned(),
    }
}

/// Appends the first business metric with data: ` User satisfaction 87% (↓ 3.1%, worse).`
fn push_headline(summary: &mut String, health: &DailyHealth) {
    let first = health.business.iter().find_map(|b| b.trend.as_ref());
    if let Some(t) = first {
        let field = super::daily::trend_field(t);
        summary.push_str(&format!(" {} {}.", capital(&field.label), field.value));
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
