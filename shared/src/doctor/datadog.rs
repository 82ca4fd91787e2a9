//! Datadog: the API key, the application key's right to query metrics, each configured
//! metric reporting with the tags monitors group by, and the webhook integration.

use std::time::Duration;

use super::{Check, Inputs};
use crate::datadog::metrics::{DatadogKeys, MetricsClient, MetricsError, TimeseriesQuery};
use crate::domain::Timestamp;
use crate::http::{DeliveryError, RetryPolicy, Timeouts};
use crate::provision::{DatadogApi, Kind};
use crate::secrets::names;

const SERVICE: &str = "Datadog";
/// How far back a metric must have reported to count as reporting.
const RECENT_SECS: i64 = 15 * 60;

pub(super) async fn checks(inputs: &Inputs<'_>) -> Vec<Check> {
    let secret = |name| inputs.secrets.get(name).cloned();
    let (Some(api_key), Some(app_key)) = (
        secret(names::DATADOG_API_KEY),
        secret(names::DATADOG_APP_KEY),
    ) else {
        return vec![Check::fail(
            SERVICE,
            "keys",
            "datadog_api_key or datadog_app_key is empty in the secret",
            "fill both in (README: \"Fill in the secret\"): an API key and an application key of your Datadog site",
        )];
    };
    let keys = DatadogKeys { api_key, app_key };
    // One quick try each: a doctor reports, it does not wait out an outage.
    let retry = RetryPolicy {
        max_attempts: 1,
        deadline: Duration::from_secs(10),
        ..RetryPolicy::default()
    };
    let metrics = match MetricsClient::new(
        inputs.targets.datadog.clone(),
        keys.clone(),
        Timeouts::default(),
    ) {
        Ok(client) => client.with_retry_policy(retry),
        Err(e) => {
            return vec![Check::fail(
                SERVICE,
                "client",
                e.to_string(),
                "report this as a bug",
            )];
        }
    };
    let mut out = Vec::new();
    match metrics.validate_api_key().await {
        Ok(true) => out.push(Check::pass(SERVICE, "API key", "valid")),
        Ok(false) => {
            out.push(Check::fail(
                SERVICE,
                "API key",
                format!("{} refused the API key", inputs.targets.datadog.join("")),
                "copy an API key from Organization Settings → API Keys on the site DatadogSite names",
            ));
            return out;
        }
        Err(e) => {
            out.push(unreachable("API key", &e));
            return out;
        }
    }
    out.extend(metrics_reporting(inputs, &metrics).await);
    out.push(webhook(inputs, keys, retry).await);
    out
}

fn unreachable(check: &str, e: &MetricsError) -> Check {
    Check::fail(
        SERVICE,
        check,
        e.to_string(),
        "check the Datadog site (DatadogSite / MODELWATCH_DATADOG_SITE) and the network",
    )
}

/// Each configured metric over the last 15 minutes, grouped as monitors read it.
async fn metrics_reporting(inputs: &Inputs<'_>, metrics: &MetricsClient) -> Vec<Check> {
    let names: Vec<&String> = inputs.config.metrics.keys().collect();
    if names.is_empty() {
        return vec![Check::skipped(
            SERVICE,
            "metrics",
            "the configuration declares no metrics",
        )];
    }
    let now = Timestamp::now();
    let query = TimeseriesQuery {
        from: Timestamp::from_millis(now.millis() - RECENT_SECS * 1000),
        to: now,
        interval: Some(Duration::from_secs(60)),
        queries: names
            .iter()
            .map(|m| format!("avg:{m}{{*}} by {{model,model_version,env}}"))
            .collect(),
    };
    let mut partly = None;
    let answers = match metrics.query(&query).await {
        Ok(answers) => answers,
        // What it did answer still tells which metrics report.
        Err(MetricsError::Incomplete { errors, partial }) => {
            partly = Some(errors);
            partial
        }
        Err(MetricsError::Delivery(DeliveryError::Rejected {
            status: Some(403), ..
        })) => {
            return vec![Check::fail(
                SERVICE,
                "application key",
                "Datadog refused the metrics query (403)",
                "use an application key of this organisation with the timeseries_query scope",
            )];
        }
        Err(e) => return vec![unreachable("metrics query", &e)],
    };
    let mut out = vec![Check::pass(SERVICE, "application key", "may query metrics")];
    if let Some(errors) = &partly {
        out.push(Check::warn(
            SERVICE,
            "metrics query",
            format!("Datadog answered only in part ({errors}): a metric below may show no data for that"),
            "run the doctor again; if it persists, the evaluator logs `monitor query refused` for the monitors it cannot read",
        ));
    }
    for (metric, series) in names.iter().zip(answers) {
        let check = format!("metric {metric}");
        let tagged = series
            .iter()
            .filter(|s| s.group.get("model").is_some_and(|m| m != "N/A"))
            .count();
        out.push(match (series.len(), tagged) {
            // Datadog left part of the query unanswered: this may be that part.
            (0, _) if partly.is_some() => Check::warn(
                SERVICE,
                check,
                "no points in Datadog's partial answer",
                "run the doctor again; if it still has none, check the metric's name, and that the models send it",
            ),
            (0, _) => Check::warn(
                SERVICE,
                check,
                "no points in the last 15 minutes: monitors of it see no data",
                "check the metric's name, and that the models send it",
            ),
            (groups, 0) => Check::warn(
                SERVICE,
                check,
                format!("{groups} series without a model tag: alerts cannot name the model"),
                "tag the metric with model, model_version and env",
            ),
            (_, tagged) => Check::pass(
                SERVICE,
                check,
                format!("reporting for {tagged} model group(s)"),
            ),
        });
    }
    out
}

/// The webhook integration `modelwatch` that monitors notify (`@webhook-modelwatch`).
async fn webhook(inputs: &Inputs<'_>, keys: DatadogKeys, retry: RetryPolicy) -> Check {
    let api = match DatadogApi::new(
        inputs.targets.datadog_config.clone(),
        keys,
        Timeouts::default(),
    ) {
        Ok(api) => api.with_retry_policy(retry),
        Err(e) => return Check::fail(SERVICE, "webhook", e.to_string(), "report this as a bug"),
    };
    match api.find_managed().await {
        Ok(found) if found.iter().any(|f| f.kind == Kind::Webhook) => {
            Check::pass(SERVICE, "webhook", "@webhook-modelwatch is configured")
        }
        Ok(_) => Check::fail(
            SERVICE,
            "webhook",
            "no webhook named modelwatch: monitors cannot notify the intake",
            "run `modelwatch datadog apply --config FILE --webhook-url <DatadogWebhookUrl output>`",
        ),
        Err(e) => Check::fail(
            SERVICE,
            "webhook",
            e.to_string(),
            "the application key needs the integrations read scope",
        ),
    }
}
