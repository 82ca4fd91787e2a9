//! Charts as report content: ids, titles and alt text with the key numbers. No drawing here.

use super::super::document::Chart;
use super::super::metrics::{Described, PeriodSeries};
use super::super::response::Measure;
use super::super::trend::Trend;
use super::super::{Period, format, period::DAY_SECS};
use super::{ChartData, DayIncidents, WeekResponse};
use crate::domain::Level;
use jiff::tz::TimeZone;
use sha2::Digest;

/// `24 h` or `7 days`: how long a period reads in a title.
pub fn span(period: Period) -> String {
    let secs = period.secs();
    if secs.is_multiple_of(DAY_SECS) && secs > DAY_SECS {
        format!("{} days", secs / DAY_SECS)
    } else if secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else {
        format::duration(secs)
    }
}

/// A file-name-safe id, one per `parts`: names keep their letters, digits, `.`, `-` and
/// `_` as they are (`chat.large` and `chat-large` are two models); where a character had
/// to be replaced, a short digest of the parts follows, so two names made alike by it do
/// not share one chart's id and image.
fn id(parts: &[&str]) -> String {
    let raw = parts.join("-");
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if safe == raw {
        return safe;
    }
    let digest = sha2::Sha256::digest(raw.as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{short}")
}

/// A line chart of a metric this period against the one before: a model's (`subject` names
/// it) or a declared metric over the whole service.
pub fn trend_chart<M: Described>(
    subject: Option<&str>,
    trend: &Trend<M>,
    period: Period,
    series: &PeriodSeries,
) -> Chart {
    let metric = &trend.metric;
    let unit = metric.unit();
    let span = span(period);
    let whose = subject.map(|s| format!("{s} ")).unwrap_or_default();
    let mut alt = format!(
        "Line chart of {whose}{} over the last {span}: mean {}",
        metric.label(),
        unit.format(trend.current)
    );
    if let Some(prev) = trend.previous {
        alt.push_str(&format!(" against {} the {span} before", unit.format(prev)));
        if let Some(r) = trend.relative {
            alt.push_str(&format!(" ({})", format::change(r)));
        }
    }
    if let Some((at, peak)) = trend.peak {
        alt.push_str(&format!(
            ", peak {} at {}",
            unit.format(peak),
            format::time(at)
        ));
    }
    alt.push('.');
    let title = match subject {
        Some(s) => format!("{s}: {}, last {span} vs the {span} before", metric.label()),
        None => capitalised(&format!(
            "{}, last {span} vs the {span} before",
            metric.label()
        )),
    };
    Chart {
        id: id(&["trend", subject.unwrap_or("all"), metric.slug()]),
        title,
        alt_text: alt,
        data: ChartData::Trend {
            label: metric.label().to_owned(),
            unit,
            period,
            series: series.clone(),
        },
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Stacked bars of incidents opened per day, by level.
pub fn incidents_chart(days: &[DayIncidents]) -> Chart {
    let total = |d: &DayIncidents| d.by_level.iter().sum::<usize>();
    let mut by_level = [0usize; 3];
    for d in days {
        for (sum, n) in by_level.iter_mut().zip(d.by_level) {
            *sum += n;
        }
    }
    let all: usize = by_level.iter().sum();
    let range = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!(
            " from {} to {}",
            format::day(a.day.start(), &TimeZone::UTC),
            format::day(b.day.start(), &TimeZone::UTC)
        ),
        _ => String::new(),
    };
    let mut alt = format!(
        "Stacked bar chart of incidents opened per day{range}: {} in all ({})",
        all,
        Level::ALL
            .iter()
            .zip(by_level)
            .map(|(l, n)| format!("{n} {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(busiest) = days
        .iter()
        .filter(|d| total(d) > 0)
        .max_by_key(|d| total(d))
    {
        alt.push_str(&format!(
            ", most on {} with {}",
            format::day(busiest.day.start(), &TimeZone::UTC),
            total(busiest)
        ));
    }
    alt.push('.');
    Chart {
        id: "incidents-per-day".to_owned(),
        title: "Incidents opened per day, by level".to_owned(),
        alt_text: alt,
        data: ChartData::IncidentsPerDay(days.to_vec()),
    }
}

/// Grouped bars of median MTTD, MTTA and MTTR per week.
pub fn response_chart(weeks: &[WeekResponse]) -> Chart {
    let median = |w: &WeekResponse, m: Measure| {
        w.times
            .get(m)
            .median_secs
            .map_or_else(|| "no data".to_owned(), format::duration)
    };
    let mut alt = format!(
        "Bar chart of median response times per week over the last {}",
        format::count(weeks.len(), "week", "weeks")
    );
    if let Some(this) = weeks.last() {
        alt.push_str(&format!(
            ": this week MTTD {}, MTTA {}, MTTR {}",
            median(this, Measure::Detect),
            median(this, Measure::Acknowledge),
            median(this, Measure::Resolve)
        ));
    }
    if weeks.len() > 1
        && let Some(last) = weeks.get(weeks.len() - 2)
    {
        alt.push_str(&format!(
            "; the week before MTTR {}",
            median(last, Measure::Resolve)
        ));
    }
    alt.push('.');
    Chart {
        id: "response-times-per-week".to_owned(),
        title: "Median response times per week".to_owned(),
        alt_text: alt,
        data: ChartData::ResponseTimesPerWeek(weeks.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    /// Model names that only differ in what a file name cannot hold get ids of their own;
    /// a name that needs no change keeps its plain id.
    #[test]
    fn names_made_alike_by_the_id_keep_ids_of_their_own() {
        let ids: std::collections::BTreeSet<String> = [
            "chat.large",
            "chat-large",
            "Chat-large",
            "chat/large",
            "chat:large",
        ]
        .iter()
        .map(|m| id(&["trend", m, "latency_p95"]))
        .collect();
        assert_eq!(ids.len(), 5, "{ids:?}");
        assert!(ids.contains("trend-chat.large-latency_p95"), "{ids:?}");
        assert!(ids.contains("trend-chat-large-latency_p95"), "{ids:?}");
        let replaced = id(&["trend", "chat/large", "latency_p95"]);
        assert!(
            replaced.starts_with("trend-chat-large-latency_p95-") && replaced.len() == 37,
            "{replaced}"
        );
    }

    #[test]
    fn a_day_reads_24_h_and_a_week_7_days() {
        let end = Timestamp::from_secs(30 * DAY_SECS as i64);
        assert_eq!(span(Period::day_ending(end)), "24 h");
        assert_eq!(span(Period::week_ending(end)), "7 days");
    }
}
