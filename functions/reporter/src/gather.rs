//! What a report reads: each model's metrics and the audience's business metrics for the
//! period and the one before (Datadog), alert history, silences still ahead, and who
//! subscribed (the table).

use std::collections::BTreeMap;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::{MetricsClient, MetricsError, TimeseriesQuery};
use modelwatch::domain::Timestamp;
use modelwatch::domain::Topic;
use modelwatch::domain::{Alert, HistoryEntry, MatchField, Silence};
use modelwatch::report::slack::SlackUser;
use modelwatch::report::{
    DAY_SECS, DeclaredMetric, DeclaredSeries, Mentions, MetricKind, ModelMetrics, Period,
    PeriodSeries, QuietKind, QuietWindow,
};
use modelwatch::store::{Store, StoreError};

/// The Datadog query of each report metric (`{model}` is filled in) and the factor to the
/// report's unit (latency in ms, rates and GPU figures in percent). The metric names are
/// those of `infra/modelwatch.example.yaml`; latency there is a distribution metric, so its
/// p50 and p95 are Datadog's percentiles over every request, not averages of hosts.
pub const METRIC_QUERIES: [(MetricKind, &str, f64); 8] = [
    (
        MetricKind::QualityScore,
        "avg:llm.quality.score{model:{model}}",
        1.0,
    ),
    (
        MetricKind::LatencyP50,
        "p50:llm.generation.latency{model:{model}}",
        1000.0,
    ),
    (
        MetricKind::LatencyP95,
        "p95:llm.generation.latency{model:{model}}",
        1000.0,
    ),
    (
        MetricKind::Tokens,
        "sum:llm.tokens.total{model:{model}}",
        1.0,
    ),
    (
        MetricKind::ErrorRate,
        "avg:llm.requests.error_rate{model:{model}}",
        100.0,
    ),
    (
        MetricKind::TimeoutRate,
        "avg:llm.requests.timeout_rate{model:{model}}",
        100.0,
    ),
    (
        MetricKind::GpuMemory,
        "avg:gpu.memory.used_fraction{model:{model}}",
        100.0,
    ),
    (
        MetricKind::GpuUtilisation,
        "avg:gpu.utilization{model:{model}}",
        100.0,
    ),
];

pub fn metric_query(template: &str, model: &str) -> String {
    template.replace("{model}", model)
}

/// The query of a business metric: its mean over every source, the whole service.
pub fn business_query(metric: &DeclaredMetric) -> String {
    format!("avg:{}{{*}}", metric.name)
}

/// What one query of the request reads.
enum Target {
    /// A model's metric: indexes into the models and `METRIC_QUERIES`.
    Model(usize, usize),
    /// A business metric: an index into the audience's.
    Business(usize),
}

/// Every model's series and the `business` metrics' for `period` (current) and the period
/// before (previous), in two requests.
pub async fn metrics(
    client: &MetricsClient,
    models: &[String],
    business: &[DeclaredMetric],
    period: Period,
) -> Result<(Vec<ModelMetrics>, Vec<DeclaredSeries>), MetricsError> {
    let mut targets: Vec<(Target, String)> = models
        .iter()
        .enumerate()
        .flat_map(|(m, model)| {
            METRIC_QUERIES
                .iter()
                .enumerate()
                .map(move |(k, (_, q, _))| (Target::Model(m, k), metric_query(q, model)))
        })
        .collect();
    targets.extend(
        business
            .iter()
            .enumerate()
            .map(|(b, metric)| (Target::Business(b), business_query(metric))),
    );
    let mut out: Vec<ModelMetrics> = models
        .iter()
        .map(|m| ModelMetrics {
            model: m.clone(),
            series: BTreeMap::new(),
        })
        .collect();
    let mut declared: Vec<DeclaredSeries> = business
        .iter()
        .map(|metric| DeclaredSeries {
            metric: metric.clone(),
            series: PeriodSeries::default(),
        })
        .collect();
    if targets.is_empty() {
        return Ok((out, declared));
    }
    for (current, p) in [(true, period), (false, period.previous())] {
        let asked = client
            .query(&TimeseriesQuery {
                from: p.start(),
                to: p.end(),
                interval: None,
                queries: targets.iter().map(|(_, q)| q.clone()).collect(),
            })
            .await;
        // A report with what Datadog did answer beats no report: the rest shows as no data.
        let answers = match asked {
            Err(MetricsError::Incomplete { errors, partial }) => {
                tracing::warn!(errors = %errors, "Datadog answered the report's metrics only in part; the rest shows as no data");
                partial
            }
            other => other?,
        };
        for ((target, _), series) in targets.iter().zip(answers) {
            let scale = match target {
                Target::Model(_, k) => METRIC_QUERIES[*k].2,
                Target::Business(b) => business[*b].scale,
            };
            let mut points: Vec<(Timestamp, f64)> = series
                .into_iter()
                .flat_map(|s| s.points)
                .map(|(t, v)| (t, v * scale))
                .collect();
            points.sort_by_key(|p| p.0);
            let entry = match target {
                Target::Model(m, k) if !points.is_empty() => {
                    out[*m].series.entry(METRIC_QUERIES[*k].0).or_default()
                }
                Target::Model(..) => continue,
                Target::Business(b) => &mut declared[*b].series,
            };
            if current {
                entry.current = points;
            } else {
                entry.previous = points;
            }
        }
    }
    Ok((out, declared))
}

/// History of the `weeks` weeks up to the period's end, and of the period before it (the
/// report compares the two: a month's report reaches back two months), one UTC day at a
/// time (the store keeps history by UTC day, `HIST#{yyyy-mm-dd}`).
pub async fn history(
    store: &Store,
    period: Period,
    weeks: usize,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut all = Vec::new();
    for day in history_days(period, weeks) {
        all.extend(store.history(&day).await?);
    }
    Ok(all)
}

/// The UTC days that hold the `weeks` weeks the response chart shows and the period before
/// this one: from the day the oldest of them starts in to the end's (seven a week and one,
/// as both ends fall inside a day). The chart's newest week is the period itself when it is
/// a week or longer (a fortnight's report reaches back a fortnight and then whole weeks),
/// else the week ending with it.
pub fn history_days(period: Period, weeks: usize) -> Vec<String> {
    let end = period.end();
    let week = 7 * DAY_SECS as i64;
    let older_weeks = weeks.max(1) as i64 - 1;
    let weeks_start =
        (end.secs() - week - older_weeks * week).min(period.start().secs() - older_weeks * week);
    let start = weeks_start.min(period.previous().start().secs());
    let first = start.div_euclid(DAY_SECS as i64);
    let last = end.secs().div_euclid(DAY_SECS as i64);
    utc_days(end, usize::try_from(last - first + 1).unwrap_or(1))
}

/// The `days` UTC dates (`yyyy-mm-dd`) ending with `end`'s, oldest first.
pub fn utc_days(end: Timestamp, days: usize) -> Vec<String> {
    let last = end.secs().div_euclid(DAY_SECS as i64);
    ((last - days as i64 + 1)..=last)
        .filter_map(|day| jiff::Timestamp::from_second(day * DAY_SECS as i64).ok())
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .collect()
}

/// Silences that have not ended, as the report's quiet windows.
pub async fn quiet(
    store: &Store,
    now: Timestamp,
    config: &Config,
    open_alerts: &[Alert],
) -> Result<Vec<QuietWindow>, StoreError> {
    Ok(store
        .silences(now)
        .await?
        .into_iter()
        .map(|s| quiet_window(s, config, open_alerts))
        .collect())
}

/// A silence as the weekly report lists it, limited to the models it can mute: its model
/// matcher's (all its matchers must match, so one at most), else its team's, else, for a
/// silence of one alert, that alert's model (while it is open); none: any model.
fn quiet_window(s: Silence, config: &Config, open_alerts: &[Alert]) -> QuietWindow {
    let of_field = |field| s.matchers.iter().find(|m| m.field == field);
    let models = if let Some(m) = of_field(MatchField::Model) {
        vec![m.value.clone()]
    } else if let Some(team) = of_field(MatchField::Team) {
        config
            .models
            .iter()
            .filter(|(_, model)| model.team == team.value)
            .map(|(name, _)| name.clone())
            .collect()
    } else {
        s.alert
            .as_ref()
            .and_then(|key| open_alerts.iter().find(|a| a.key == *key))
            .and_then(|a| a.context.model.as_ref())
            .map(|m| vec![m.name().to_owned()])
            .unwrap_or_default()
    };
    QuietWindow {
        kind: QuietKind::Silence,
        scope: s.describe(),
        models,
        starts: s.starts_at,
        ends: s.ends_at,
        by: Some(s.created_by),
        reason: (!s.comment.is_empty()).then_some(s.comment),
    }
}

/// The subscribers of a report, to mention: of every model, or of one (named next to that
/// model when the report covers it).
pub async fn mentions(store: &Store, topic: Topic) -> Result<Mentions, StoreError> {
    let mut mentions = Mentions::default();
    for s in store.subscriptions(topic).await? {
        match SlackUser::new(&s.subscriber) {
            Ok(u) => mentions.add(u, s.model.as_deref()),
            Err(e) => {
                tracing::warn!(subscriber = %s.subscriber, error = %e, "subscriber not mentioned")
            }
        }
    }
    Ok(mentions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::report::{Better, Unit};

    #[test]
    fn a_silence_is_listed_as_limited_to_the_models_it_can_mute() {
        use modelwatch::domain::{AlertKey, ModelRef};
        let config = Config::parse(
            "infra/modelwatch.example.yaml",
            include_str!("../../../infra/modelwatch.example.yaml"),
        )
        .unwrap();
        let at = Timestamp::from_secs(1_790_000_000);
        let silence = |matchers: &[&str]| {
            let matchers = matchers.iter().map(|m| m.parse().unwrap()).collect();
            Silence::new(matchers, at, at.plus_secs(3600), "dana", "", at).unwrap()
        };
        let models = |s: Silence, open: &[Alert]| quiet_window(s, &config, open).models;
        assert_eq!(
            models(silence(&["env=prod", "model=chat-large"]), &[]),
            ["chat-large"]
        );
        assert_eq!(models(silence(&["team=search"]), &[]), ["embed-small"]);
        assert!(
            models(silence(&["env=staging"]), &[]).is_empty(),
            "any model"
        );
        // The Silence button's: the one alert's model, read from the open alerts.
        let key = AlertKey::new("datadog:monitor:1|model:summarizer").unwrap();
        let mut alert = Alert::blank(key.clone());
        alert.context.model = Some(ModelRef::new("summarizer", None).unwrap());
        let of_one = silence(&["monitor=1"]).only_for(&key);
        assert_eq!(models(of_one.clone(), &[alert]), ["summarizer"]);
        assert!(models(of_one, &[]).is_empty(), "resolved since: any model");
    }

    #[test]
    fn a_business_metric_is_read_over_the_whole_service() {
        let metric = DeclaredMetric {
            name: "app.user_satisfaction".into(),
            label: "user satisfaction".into(),
            unit: Unit::Percent,
            scale: 100.0,
            better: Better::Up,
        };
        assert_eq!(business_query(&metric), "avg:app.user_satisfaction{*}");
    }

    #[test]
    fn history_days_are_the_utc_dates_up_to_the_end_oldest_first() {
        // Monday 2026-11-23 09:00 UTC.
        let days = utc_days(Timestamp::from_secs(1_795_424_400), 3);
        assert_eq!(days, ["2026-11-21", "2026-11-22", "2026-11-23"]);
    }

    /// A week ending Monday 09:00 starts the Monday before at 09:00: that day is read too.
    #[test]
    fn the_history_of_weeks_begins_on_the_day_the_oldest_week_starts() {
        let monday_9 = Timestamp::from_secs(1_795_424_400);
        let day = Period::day_ending(monday_9);
        let one = history_days(day, 1);
        assert_eq!(one.len(), 8);
        assert_eq!(one.first().map(String::as_str), Some("2026-11-16"));
        assert_eq!(one.last().map(String::as_str), Some("2026-11-23"));
        assert_eq!(history_days(day, 4).len(), 29);
        // Ending at midnight, the oldest week starts with its first day.
        let midnight = Timestamp::from_secs(1_795_392_000);
        let whole = history_days(Period::day_ending(midnight), 1);
        assert_eq!(whole.len(), 8, "the end's own day is read too: {whole:?}");
        // A month's report reads the month before it too, however few weeks are asked.
        let month = Period::ending(monday_9, 31 * DAY_SECS);
        assert_eq!(history_days(month, 4).len(), 63);
        // A fortnight's chart: the fortnight, then three weeks before it (35 days and one).
        let fortnight = Period::ending(monday_9, 14 * DAY_SECS);
        assert_eq!(history_days(fortnight, 4).len(), 36);
        assert_eq!(history_days(Period::week_ending(monday_9), 4).len(), 29);
    }

    #[test]
    fn every_report_metric_has_one_query_naming_the_model() {
        for (kind, template, _) in METRIC_QUERIES {
            assert!(template.contains("{model:{model}}"), "{kind:?}: {template}");
        }
        let kinds: Vec<MetricKind> = METRIC_QUERIES.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(kinds, MetricKind::ALL);
        // An audience's `metrics:` names the Datadog metric each query reads.
        for (kind, template, _) in METRIC_QUERIES {
            assert!(
                template.contains(&format!(":{}{{", kind.source())),
                "{kind:?}: {template} does not read {}",
                kind.source()
            );
        }
        assert_eq!(
            metric_query("avg:gpu.utilization{model:{model}}", "chat-large"),
            "avg:gpu.utilization{model:chat-large}"
        );
    }
}
