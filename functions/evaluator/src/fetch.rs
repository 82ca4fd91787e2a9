//! Reading what the monitors need from Datadog: one request per distinct window, every
//! monitor's query in it, grouped `by {model,model_version,env}`.

use std::collections::BTreeMap;
use std::time::Duration;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::{MetricsClient, MetricsError, TimeseriesQuery};
use modelwatch::domain::Timestamp;
use modelwatch::rules::{Group, Point, Rule};

/// Points per monitor and group, in time order.
pub type MonitorData = BTreeMap<String, BTreeMap<Group, Vec<Point>>>;

#[derive(Debug, thiserror::Error)]
#[error("reading monitor data from Datadog: {0}")]
pub struct FetchError(#[from] pub MetricsError);

impl FetchError {
    pub fn is_retryable(&self) -> bool {
        self.0.is_retryable()
    }
}

/// Fetches the window of every monitor that reads a metric, as of `at`.
pub async fn fetch(
    metrics: &MetricsClient,
    config: &Config,
    at: Timestamp,
) -> Result<MonitorData, FetchError> {
    // Monitors with the same window and cadence share one request.
    let mut batches: BTreeMap<(u64, u64), Vec<(String, String)>> = BTreeMap::new();
    for m in &config.monitors {
        if matches!(m.rule, Rule::Composite(_)) {
            continue;
        }
        // Without a query of its own, a monitor reads its metric averaged per group.
        let query = m.query.clone().or_else(|| {
            m.metric
                .as_ref()
                .map(|metric| format!("avg:{metric}{{*}} by {{model,model_version,env}}"))
        });
        if let Some(query) = query {
            batches
                .entry((m.lookback_secs(), m.every_secs.max(1)))
                .or_default()
                .push((m.id.clone(), query));
        }
    }
    let mut data = MonitorData::new();
    for ((lookback, every), monitors) in batches {
        let request = TimeseriesQuery {
            from: Timestamp::from_millis(at.millis() - (lookback as i64) * 1000),
            to: at,
            interval: Some(Duration::from_secs(every)),
            queries: monitors.iter().map(|(_, q)| q.clone()).collect(),
        };
        let answers = metrics.query(&request).await?;
        for ((id, _), series) in monitors.iter().zip(answers) {
            let groups = data.entry(id.clone()).or_default();
            for s in series {
                let group = Group {
                    model: s.group.get("model").cloned(),
                    version: s.group.get("model_version").cloned(),
                    environment: s.group.get("env").cloned(),
                };
                let points = s.points.iter().map(|(t, v)| Point::new(*t, *v));
                groups.entry(group).or_default().extend(points);
            }
        }
    }
    for groups in data.values_mut() {
        for points in groups.values_mut() {
            points.sort_by_key(|p| p.at);
        }
    }
    Ok(data)
}
