//! An alert as PagerDuty Events API v2 events.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::PageContext;
use crate::domain::{Alert, AlertKey, InvalidValue, Level};
use crate::pagerduty::{DedupKey, Event, Severity, TriggerBuilder};

const DEDUP_PREFIX: &str = "modelwatch:";
const HASHED_PREFIX: &str = "sha256:";

/// One PagerDuty alert per alert cycle: a re-sent trigger updates it, a resolve closes it,
/// and the next cycle opens a new one. `modelwatch:{alert key}#{cycle}`; a key too long
/// for PagerDuty's 255 characters is hashed (`hashed`), and the store keeps what the hash
/// stands for, so that PagerDuty's webhooks still find the alert.
pub fn dedup_key(key: &AlertKey, cycle: u32) -> Result<DedupKey, InvalidValue> {
    match hashed(key, cycle) {
        None => DedupKey::new(format!("{DEDUP_PREFIX}{key}#{cycle}")),
        Some(h) => DedupKey::new(format!("{DEDUP_PREFIX}{HASHED_PREFIX}{}#{cycle}", h.digest)),
    }
}

/// An alert key too long to be written into a dedup key, and the digest (SHA-256, hex)
/// written in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedAlertKey {
    pub key: AlertKey,
    pub digest: String,
}

impl HashedAlertKey {
    pub fn of(key: &AlertKey) -> Self {
        Self {
            key: key.clone(),
            digest: hex::encode(Sha256::digest(key.as_str())),
        }
    }
}

/// The hashed form of `key` when `dedup_key` cannot write it as it is for `cycle`.
pub fn hashed(key: &AlertKey, cycle: u32) -> Option<HashedAlertKey> {
    // Bytes, not characters (stricter than PagerDuty): a key's dedup key must never
    // change between versions, or a resolve would miss its incident.
    let written = format!("{DEDUP_PREFIX}{key}#{cycle}");
    (written.len() > DedupKey::MAX_CHARS).then(|| HashedAlertKey::of(key))
}

/// What the `incident_key` of a PagerDuty incident (the dedup key of the trigger that
/// opened it) names, read back from `dedup_key`'s form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentKey {
    Alert {
        key: AlertKey,
        cycle: u32,
    },
    /// A hashed alert key: the store knows the alert (`Store::hashed_alert_key`).
    Hashed {
        digest: String,
        cycle: u32,
    },
}

/// Reads an incident key back; incidents that other integrations opened are not ours,
/// and the error says why a key is not read.
pub fn read_incident_key(incident_key: &str) -> Result<IncidentKey, String> {
    let Some(rest) = incident_key.strip_prefix(DEDUP_PREFIX) else {
        return Err(format!(
            "incident_key {incident_key:?} was not opened by modelwatch"
        ));
    };
    let malformed =
        || format!("incident_key {incident_key:?} is not modelwatch:{{alert key}}#{{cycle}}");
    let (key, cycle) = rest.rsplit_once('#').ok_or_else(malformed)?;
    let cycle = cycle.parse::<u32>().map_err(|_| malformed())?;
    if let Some(digest) = key.strip_prefix(HASHED_PREFIX) {
        let hex = digest.len() == 64
            && digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(format!(
                "incident_key {incident_key:?} is not modelwatch:sha256:{{64 hex digits}}#{{cycle}}"
            ));
        }
        return Ok(IncidentKey::Hashed {
            digest: digest.to_owned(),
            cycle,
        });
    }
    let key = AlertKey::new(key).map_err(|_| malformed())?;
    Ok(IncidentKey::Alert { key, cycle })
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
