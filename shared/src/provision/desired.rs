//! The Datadog objects the configuration asks for: the webhook and its secret token
//! variable, one dashboard per model environment, and the native monitors, each with the
//! key it is found again by. Pure: configuration in, JSON bodies out.

use serde_json::{Value, json};

use crate::config::{Config, MetricClass};
use crate::domain::{Group, Level};
use crate::rules::{Aggregation, Bound, Direction, Expr, Method, Monitor, Rule, Seasonality};
use crate::secret::Secret;

/// The tag (and dashboard description marker) on everything modelwatch manages.
pub const MANAGED_TAG: &str = "managed-by:modelwatch";
/// The tag that names an object's key: `modelwatch-key:monitor/error-rate/production`.
pub const KEY_TAG: &str = "modelwatch-key:";
use crate::datadog::webhook::MONITOR_TAG;
/// The webhook monitors notify as `@webhook-modelwatch`.
pub const WEBHOOK_NAME: &str = "modelwatch";
/// The secret custom variable holding the intake's token.
pub const TOKEN_VARIABLE: &str = "MODELWATCH_WEBHOOK_TOKEN";
/// The header the intake reads the token from.
pub const TOKEN_HEADER: &str = "X-Modelwatch-Token";

/// The payload template the intake parses best (README, "Connect Datadog"). `body`, the
/// notification's text, says when it is a test ("Test notification triggered by") and
/// carries the monitor's links and status line.
pub const PAYLOAD_TEMPLATE: [(&str, &str); 22] = [
    ("id", "$ID"),
    ("alert_id", "$ALERT_ID"),
    ("alert_cycle_key", "$ALERT_CYCLE_KEY"),
    ("aggreg_key", "$AGGREG_KEY"),
    ("alert_transition", "$ALERT_TRANSITION"),
    ("alert_type", "$ALERT_TYPE"),
    ("alert_priority", "$ALERT_PRIORITY"),
    ("alert_title", "$ALERT_TITLE"),
    ("alert_scope", "$ALERT_SCOPE"),
    ("alert_metric", "$ALERT_METRIC"),
    ("alert_status", "$ALERT_STATUS"),
    ("alert_query", "$ALERT_QUERY"),
    ("tags", "$TAGS"),
    ("model", "$TAGS[model]"),
    ("model_version", "$TAGS[model_version]"),
    ("link", "$LINK"),
    ("snapshot", "$SNAPSHOT"),
    ("date", "$DATE"),
    ("last_updated", "$LAST_UPDATED"),
    ("event_type", "$EVENT_TYPE"),
    ("org_id", "$ORG_ID"),
    ("body", "$EVENT_MSG"),
];

/// What kind of Datadog object, in the order they are created (a webhook names the
/// variable, composites name monitors, dashboards link monitors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    CustomVariable,
    Webhook,
    Monitor,
    Dashboard,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CustomVariable => "custom variable",
            Kind::Webhook => "webhook",
            Kind::Monitor => "monitor",
            Kind::Dashboard => "dashboard",
        }
    }
}

/// One object as modelwatch wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: Kind,
    /// Stable across runs: `webhook/modelwatch`, `monitor/error-rate/production`.
    pub key: String,
    pub title: String,
    /// What is sent. May hold a secret: never printed.
    pub body: Value,
    /// What is compared with Datadog's copy and shown in a plan: `body` without secrets,
    /// with JSON-in-a-string fields parsed.
    pub view: Value,
    /// Keys of the monitors a composite combines; its query names them `[[key]]` until
    /// their Datadog ids are known.
    pub refs: Vec<String>,
}

/// Why the configuration cannot become Datadog objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DesiredError {
    #[error("monitor {0:?} is not in the configuration: expected one of its monitor ids")]
    UnknownMonitor(String),
    #[error(
        "monitor {id:?} is a {kind} monitor, which Datadog cannot run natively: expected threshold, baseline, anomaly or composite"
    )]
    NotNative { id: String, kind: &'static str },
    #[error("monitor {0:?} reads no metric: expected `metric:` for a native monitor")]
    NoMetric(String),
}

/// What the objects are built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub config: &'a Config,
    /// The intake's `/webhooks/datadog` URL.
    pub webhook_url: &'a str,
    /// The intake's token (`webhook_token`), sent by Datadog as `X-Modelwatch-Token`.
    pub token: &'a Secret,
}

/// Every object, in the order to create them.
pub fn desired(inputs: Inputs<'_>) -> Result<Vec<Object>, DesiredError> {
    let config = inputs.config;
    let mut objects = vec![token_variable(inputs.token), webhook(inputs.webhook_url)];
    let mut composites = Vec::new();
    for env in &config.datadog.environments {
        for id in &config.datadog.native_monitors {
            let monitor = config
                .monitor(id)
                .ok_or_else(|| DesiredError::UnknownMonitor(id.clone()))?;
            let object = native_monitor(config, monitor, env)?;
            if object.refs.is_empty() {
                objects.push(object);
            } else {
                composites.push(object);
            }
        }
    }
    objects.extend(composites);
    for env in &config.datadog.environments {
        objects.push(dashboard(config, env));
    }
    Ok(objects)
}

fn token_variable(token: &Secret) -> Object {
    let view = json!({"name": TOKEN_VARIABLE, "is_secret": true});
    let mut body = view.clone();
    body["value"] = json!(token.expose());
    Object {
        kind: Kind::CustomVariable,
        key: format!("custom-variable/{TOKEN_VARIABLE}"),
        title: TOKEN_VARIABLE.to_owned(),
        body,
        view,
        refs: Vec::new(),
    }
}

fn webhook(url: &str) -> Object {
    let payload: serde_json::Map<String, Value> = PAYLOAD_TEMPLATE
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let payload = Value::Object(payload);
    let headers = json!({ TOKEN_HEADER: format!("${TOKEN_VARIABLE}") });
    let body = json!({
        "name": WEBHOOK_NAME,
        "url": url,
        "encode_as": "json",
        "payload": payload.to_string(),
        "custom_headers": headers.to_string(),
    });
    let view = json!({
        "name": WEBHOOK_NAME,
        "url": url,
        "encode_as": "json",
        "payload": payload,
        "custom_headers": headers,
    });
    Object {
        kind: Kind::Webhook,
        key: format!("webhook/{WEBHOOK_NAME}"),
        title: format!("@webhook-{WEBHOOK_NAME}"),
        body,
        view,
        refs: Vec::new(),
    }
}

/// The key of monitor `id`'s native copy in `env`, in lowercase: Datadog keeps tags in
/// lowercase, and a key that reads back otherwise would never be found again (each apply
/// would make another copy).
pub fn monitor_key(id: &str, env: &str) -> String {
    format!("monitor/{id}/{env}").to_lowercase()
}

/// `[[monitor/a/production]]`: a composite's reference before ids are known.
pub fn placeholder(key: &str) -> String {
    format!("[[{key}]]")
}

fn native_monitor(config: &Config, monitor: &Monitor, env: &str) -> Result<Object, DesiredError> {
    let key = monitor_key(&monitor.id, env);
    let mut tags: Vec<String> = vec![
        MANAGED_TAG.to_owned(),
        format!("{KEY_TAG}{key}"),
        format!("{MONITOR_TAG}{}", monitor.id.to_lowercase()),
        format!("env:{env}"),
    ];
    tags.extend(monitor.tags.iter().cloned());
    tags.sort();
    tags.dedup();
    let (kind, query, options, refs) = match &monitor.rule {
        Rule::Composite(expr) => {
            let refs: Vec<String> = expr
                .monitors()
                .into_iter()
                .map(|child| monitor_key(child, env))
                .collect();
            let query = composite_query(expr, &|child| placeholder(&monitor_key(child, env)));
            (
                "composite",
                query,
                json!({"include_tags": true, "notify_no_data": false}),
                refs,
            )
        }
        rule => {
            let metric = monitor
                .metric
                .as_deref()
                .ok_or_else(|| DesiredError::NoMetric(monitor.id.clone()))?;
            let (query, options) = metric_query(monitor, rule, metric, env)?;
            ("query alert", query, options, Vec::new())
        }
    };
    let mut body = json!({
        "name": format!("[modelwatch] {} ({env})", monitor.name),
        "type": kind,
        "query": query,
        "message": message(monitor, env),
        "tags": tags,
        "options": options,
    });
    if let Some(priority) = priority(config, monitor.levels.alert) {
        body["priority"] = json!(priority);
    }
    Ok(Object {
        kind: Kind::Monitor,
        key,
        title: format!("[modelwatch] {} ({env})", monitor.name),
        view: body.clone(),
        body,
        refs,
    })
}

/// The Datadog priority whose notifications the intake opens at `level` (the inverse of
/// `defaults.priorities`), so a native alert pages like modelwatch's own.
fn priority(config: &Config, level: Level) -> Option<u8> {
    config
        .levels
        .priorities
        .iter()
        .position(|l| *l == level)
        .and_then(|i| u8::try_from(i + 1).ok())
}

/// `a && (b || !c)` with each monitor written by `name`.
pub fn composite_query(expr: &Expr, name: &dyn Fn(&str) -> String) -> String {
    match expr {
        Expr::Monitor(id) => name(id),
        Expr::Not(e) => format!("!{}", composite_query(e, name)),
        Expr::And(a, b) => format!(
            "({} && {})",
            composite_query(a, name),
            composite_query(b, name)
        ),
        Expr::Or(a, b) => format!(
            "({} || {})",
            composite_query(a, name),
            composite_query(b, name)
        ),
    }
}

/// `last_5m`, `last_1h`, `last_1d`: a window as Datadog's monitor queries take it, whole
/// minutes up: `last_#m` (up to 10080), `last_#h` (up to 168), `last_1d` or `last_1w`,
/// and no other day count (validation keeps native windows within a week).
fn window(secs: u64) -> String {
    match secs {
        86_400 => "last_1d".to_owned(),
        604_800 => "last_1w".to_owned(),
        s if s >= 3600 && s.is_multiple_of(3600) && s / 3600 <= 168 => {
            format!("last_{}h", s / 3600)
        }
        s => format!("last_{}m", s.div_ceil(60).max(1)),
    }
}

/// The metric scope: the environment, and the monitor's models when it names some.
fn scope(monitor: &Monitor, env: &str) -> String {
    if monitor.models.is_empty() {
        format!("env:{env}")
    } else {
        format!("env:{env} AND model IN ({})", monitor.models.join(","))
    }
}

/// The space aggregation and the time aggregation over the window. Percentiles are
/// Datadog's `pNN:` space aggregation, which needs the metric to be a distribution: the
/// monitor's own query's when it reads one (its window aggregation is then the time
/// aggregation), else its aggregation's.
fn aggregators(monitor: &Monitor) -> (&str, &'static str) {
    if let Some(percentile) = monitor.percentile() {
        let time = match monitor.aggregation {
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Sum => "sum",
            Aggregation::Last => "last",
            _ => "avg",
        };
        return (percentile, time);
    }
    match monitor.aggregation {
        Aggregation::Avg => ("avg", "avg"),
        Aggregation::Min => ("avg", "min"),
        Aggregation::Max => ("avg", "max"),
        Aggregation::Sum => ("avg", "sum"),
        Aggregation::Last => ("avg", "last"),
        Aggregation::P50 => ("p50", "avg"),
        Aggregation::P95 => ("p95", "avg"),
        Aggregation::P99 => ("p99", "avg"),
    }
}

fn metric_query(
    monitor: &Monitor,
    rule: &Rule,
    metric: &str,
    env: &str,
) -> Result<(String, Value), DesiredError> {
    let (space, time) = aggregators(monitor);
    let series = format!(
        "{space}:{metric}{{{}}} by {{model,model_version}}",
        scope(monitor, env)
    );
    let alert_window = window(monitor.window_secs);
    let no_data = matches!(
        monitor.no_data,
        crate::rules::NoDataPolicy::Warn | crate::rules::NoDataPolicy::Alert
    );
    let mut options = json!({
        "include_tags": true,
        "notify_no_data": no_data,
        "require_full_window": false,
    });
    if no_data {
        options["no_data_timeframe"] = json!((monitor.no_data_after_secs().div_ceil(60)).max(2));
    }
    let query = match rule {
        Rule::Threshold(t) => {
            let op = match t.bound {
                Bound::Above => ">",
                Bound::Below => "<",
            };
            let mut thresholds = json!({"critical": t.critical});
            if let Some(w) = t.warning {
                thresholds["warning"] = json!(w);
            }
            if let Some(r) = t.critical_recovery {
                thresholds["critical_recovery"] = json!(r);
            }
            if let Some(r) = t.warning_recovery {
                thresholds["warning_recovery"] = json!(r);
            }
            options["thresholds"] = thresholds;
            format!("{time}({alert_window}):{series} {op} {}", t.critical)
        }
        Rule::Baseline(b) => {
            let (algorithm, seasonality) = match (b.method, b.seasonality) {
                (Method::Mean, Seasonality::None) => ("basic", None),
                (Method::Mean, s) => ("agile", Some(s)),
                (Method::Robust, Seasonality::None) => ("robust", Some(Seasonality::Daily)),
                (Method::Robust, s) => ("robust", Some(s)),
            };
            anomaly_options(&mut options, &alert_window);
            anomalies(
                &series,
                algorithm,
                b.sigmas,
                b.direction,
                &alert_window,
                seasonality,
                monitor.window_secs,
            )
        }
        Rule::Anomaly(a) => {
            anomaly_options(&mut options, &alert_window);
            anomalies(
                &series,
                "agile",
                3.0,
                a.direction,
                &alert_window,
                Some(Seasonality::Weekly),
                monitor.window_secs,
            )
        }
        other => {
            return Err(DesiredError::NotNative {
                id: monitor.id.clone(),
                kind: other.kind(),
            });
        }
    };
    Ok((query, options))
}

fn anomaly_options(options: &mut Value, alert_window: &str) {
    options["thresholds"] = json!({"critical": 1.0, "critical_recovery": 0.0});
    options["threshold_windows"] =
        json!({"trigger_window": alert_window, "recovery_window": alert_window});
}

/// Datadog's ML-powered anomaly detection over `series`: alert while the whole alert
/// window lies outside `bounds` deviations in `direction`.
fn anomalies(
    series: &str,
    algorithm: &str,
    bounds: f64,
    direction: Direction,
    alert_window: &str,
    seasonality: Option<Seasonality>,
    window_secs: u64,
) -> String {
    let direction = match direction {
        Direction::Above => "above",
        Direction::Below => "below",
        Direction::Both => "both",
    };
    let seasonality = match seasonality {
        Some(Seasonality::Weekly) => ", seasonality='weekly'",
        Some(Seasonality::Daily) => ", seasonality='daily'",
        _ => "",
    };
    let evaluation = window(window_secs.max(4 * 3600));
    format!(
        "avg({evaluation}):anomalies({series}, '{algorithm}', {bounds}, direction='{direction}', alert_window='{alert_window}', interval=60, count_default_zero='true'{seasonality}) >= 1"
    )
}

fn message(monitor: &Monitor, env: &str) -> String {
    let mut lines = vec![
        format!(
            "{} on model {{{{model.name}}}} version {{{{model_version.name}}}} in {env}.",
            monitor.name
        ),
        format!(
            "Native copy of modelwatch monitor `{}`; its notifications carry the model, model_version and modelwatch-monitor tags.",
            monitor.id
        ),
    ];
    for step in &monitor.runbook_steps {
        lines.push(format!("- {step}"));
    }
    lines.push(format!("@webhook-{WEBHOOK_NAME}"));
    lines.join("\n")
}

/// The key of environment `env`'s dashboard.
pub fn dashboard_key(env: &str) -> String {
    format!("dashboard/{env}")
}

/// The description line that marks a dashboard as modelwatch's, with its key.
pub fn dashboard_marker(key: &str) -> String {
    format!("{MANAGED_TAG} {KEY_TAG}{key}")
}

/// One dashboard per environment: a note with each model's runbooks, then every technical
/// metric per model and version (latency as p50, p95 and p99).
fn dashboard(config: &Config, env: &str) -> Object {
    let key = dashboard_key(env);
    let title = format!("modelwatch — {env}");
    let filter = format!("env:{env},$model,$model_version");
    let mut widgets = vec![json!({"definition": {
        "type": "note",
        "content": runbook_note(config, env),
        "background_color": "white",
        "font_size": "14",
    }})];
    for metric in config
        .metrics
        .values()
        .filter(|m| m.class == MetricClass::Technical)
    {
        let latency = matches!(metric.unit.as_deref(), Some("s" | "ms"));
        let aggregations: &[&str] = if latency {
            &["p50", "p95", "p99"]
        } else {
            &["avg"]
        };
        let queries: Vec<Value> = aggregations
            .iter()
            .enumerate()
            .map(|(i, agg)| {
                json!({
                    "data_source": "metrics",
                    "name": format!("q{i}"),
                    "query": format!("{agg}:{}{{{filter}}} by {{model,model_version}}", metric.name),
                })
            })
            .collect();
        let formulas: Vec<Value> = aggregations
            .iter()
            .enumerate()
            .map(|(i, agg)| json!({"formula": format!("q{i}"), "alias": agg}))
            .collect();
        let name = metric.description.as_deref().unwrap_or(&metric.name);
        let title = match &metric.unit {
            Some(unit) => format!("{name} ({unit})"),
            None => name.to_owned(),
        };
        widgets.push(json!({"definition": {
            "type": "timeseries",
            "title": title,
            "show_legend": true,
            "requests": [{
                "response_format": "timeseries",
                "queries": queries,
                "formulas": formulas,
                "display_type": "line",
            }],
        }}));
    }
    let body = json!({
        "title": title,
        "description": format!(
            "Kept by `modelwatch datadog apply` from modelwatch.yaml: edits here are overwritten.\n\n{}",
            dashboard_marker(&key)
        ),
        "layout_type": "ordered",
        "template_variables": [
            {"name": "model", "prefix": "model", "defaults": ["*"]},
            {"name": "model_version", "prefix": "model_version", "defaults": ["*"]},
        ],
        "widgets": widgets,
    });
    Object {
        kind: Kind::Dashboard,
        key,
        title,
        view: body.clone(),
        body,
        refs: Vec::new(),
    }
}

/// Markdown: each model's team and its runbook per monitor that watches it.
fn runbook_note(config: &Config, env: &str) -> String {
    let mut lines = vec![
        format!("## modelwatch — {env}"),
        format!(
            "Monitors kept by modelwatch: [tag:{MANAGED_TAG}](/monitors/manage?q=tag%3A%22{}%22)",
            MANAGED_TAG.replace(':', "%3A")
        ),
    ];
    for model in config.models.values() {
        let group = Group {
            model: Some(model.name.clone()),
            version: None,
            environment: Some(env.to_owned()),
        };
        let runbooks: Vec<String> = config
            .monitors
            .iter()
            .filter(|m| m.models.is_empty() || m.models.contains(&model.name))
            .filter_map(|m| {
                model
                    .links(&m.id, &group)
                    .runbook
                    .map(|url| format!("[{}]({url})", m.id))
            })
            .collect();
        let runbooks = if runbooks.is_empty() {
            "no runbook configured".to_owned()
        } else {
            runbooks.join(" · ")
        };
        lines.push(format!("- **{}** ({}): {runbooks}", model.name, model.team));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests;
