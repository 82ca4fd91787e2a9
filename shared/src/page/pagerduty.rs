//! An alert as PagerDuty Events API v2 events.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::PageContext;
use crate::domain::{Alert, AlertKey, InvalidValue, Level};
use crate::pagerduty::{DedupKey, Event, Severity, TriggerBuilder};

/// One PagerDuty alert per alert cycle: a re-sent trigger updates it, a resolve closes it,
/// and the next cycle opens a new one. Long keys are hashed to fit PagerDuty's 255.
pub fn dedup_key(key: &AlertKey, cycle: u32) -> Result<DedupKey, InvalidValue> {
    let raw = format!("modelwatch:{key}#{cycle}");
    if raw.len() <= 255 {
        DedupKey::new(raw)
    } else {
        let digest = hex::encode(Sha256::digest(key.as_str()));
        DedupKey::new(format!("modelwatch:sha256:{digest}#{cycle}"))
    }
}

/// "[L2] chat-large@v7 (prod): p95 generation latency above 2 s — 2.8 (threshold 2)".
pub fn summary(alert: &Alert, level: Level) -> String {
    let c = &alert.context;
    let mut s = format!("[{level}]");
    if let Some(model) = &c.model {
        s.push_str(&format!(" {model}"));
    }
    if let Some(env) = &c.environment {
        s.push_str(&format!(" ({env})"));
    }
    let title = if c.title.is_empty() {
        "alert"
    } else {
        c.title.as_str()
    };
    s.push_str(&format!(": {title}"));
    match (c.value, c.threshold) {
        (Some(v), Some(t)) => s.push_str(&format!(" — {} (threshold {})", number(v), number(t))),
        (Some(v), None) => s.push_str(&format!(" — {}", number(v))),
        (None, Some(t)) => s.push_str(&format!(" — threshold {}", number(t))),
        (None, None) => {}
    }
    s
}

pub(super) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn severity(level: Level) -> Severity {
    match level {
        Level::L1 => Severity::Warning,
        Level::L2 => Severity::Error,
        Level::L3 => Severity::Critical,
    }
}

/// The trigger for `level` of `cycle`, with the context in `custom_details`, links and
/// the snapshot.
pub fn trigger_event(
    alert: &Alert,
    cycle: u32,
    level: Level,
    ctx: &PageContext,
) -> Result<Event, InvalidValue> {
    let c = &alert.context;
    let source = c
        .model
        .as_ref()
        .map(|m| format!("modelwatch/{}", m.name()))
        .unwrap_or_else(|| "modelwatch".to_owned());
    let links = ctx.links(alert);
    let first_url = links.first().map(|l| l.url.clone());
    let mut b = TriggerBuilder::new(summary(alert, level), source, severity(level))
        .client("modelwatch", first_url.clone())
        .custom_details(details(alert, level, ctx));
    if let Some(at) = alert.opened_at {
        b = b.timestamp(at);
    }
    if let Some(model) = &c.model {
        b = b.component(model.name());
    }
    if let Some(env) = &c.environment {
        b = b.group(env.as_str());
    }
    if let Some(metric) = &c.metric {
        b = b.class(metric.as_str());
    }
    for link in links {
        b = b.link(link.url, link.text);
    }
    if let Some(src) = c
        .snapshot_url
        .as_deref()
        .filter(|s| s.starts_with("https://") && crate::domain::url::web_url(s).is_some())
    {
        b = b.image(src, first_url, Some("Metric graph at onset".into()));
    }
    b.build(dedup_key(&alert.key, cycle)?)
}

fn details(alert: &Alert, level: Level, ctx: &PageContext) -> Map<String, Value> {
    let c = &alert.context;
    let mut d = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            d.insert(k.to_owned(), v);
        }
    };
    put("level", json!(level.as_str()));
    put("model", json!(c.model.as_ref().map(|m| m.name())));
    put(
        "model_version",
        json!(c.model.as_ref().and_then(|m| m.version())),
    );
    put("environment", json!(c.environment));
    put(
        "monitor",
        json!(c.monitor.name.as_deref().unwrap_or(&c.monitor.id)),
    );
    put("metric", json!(c.metric));
    put("value", json!(c.value));
    put("threshold", json!(c.threshold));
    put("reason", json!(c.reason));
    put("scope", json!(c.scope));
    put("team", json!(ctx.team));
    put(
        "first_breach_at",
        json!(alert.first_breach_at.map(|t| t.to_string())),
    );
    put("opened_at", json!(alert.opened_at.map(|t| t.to_string())));
    if !ctx.steps.is_empty() {
        put("suggested_steps", json!(ctx.steps));
    }
    if !ctx.deployments.is_empty() {
        let recent: Vec<Value> = ctx
            .deployments
            .iter()
            .map(|dep| {
                json!({
                    "model": dep.model.to_string(),
                    "environment": dep.environment,
                    "at": dep.at.to_string(),
                    "link": dep.link,
                    "description": dep.description,
                })
            })
            .collect();
        put("recent_deployments", Value::Array(recent));
    }
    put("alert_key", json!(alert.key.as_str()));
    put("cycle", json!(alert.cycle));
    d
}

/// Acknowledge or resolve the PagerDuty alert of `cycle`.
pub fn resolve_or_ack_event(
    key: &AlertKey,
    cycle: u32,
    resolve: bool,
) -> Result<Event, InvalidValue> {
    let key = dedup_key(key, cycle)?;
    Ok(if resolve {
        Event::resolve(key)
    } else {
        Event::acknowledge(key)
    })
}
