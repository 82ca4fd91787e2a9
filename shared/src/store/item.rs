//! Encoding alerts, receipts and history as DynamoDB items, and decoding them back.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;

use super::StoreError;
use crate::domain::{Alert, Level, Mark, ModelRef, Signal, Timestamp};
use crate::lifecycle::{Outcome, Transition};

/// `pk` of an alert item is this prefix and the alert key.
pub(super) const ALERT_PREFIX: &str = "ALERT#";
pub(super) const ALERT_SK: &str = "STATE";
/// `gsi1pk` of open alerts.
pub(super) const OPEN: &str = "OPEN";
/// `gsi1pk` of resolved alerts that still owe deliveries (a resolve not yet sent).
pub(super) const OWING: &str = "OWING";

type Item = HashMap<String, AttributeValue>;

pub(super) fn alert_pk(key: &crate::domain::AlertKey) -> String {
    format!("{ALERT_PREFIX}{key}")
}

pub(super) fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn ttl(now: Timestamp, secs: u64) -> AttributeValue {
    number(now.plus_secs(secs).secs())
}

pub(super) fn encode_alert(alert: &Alert) -> Result<Item, StoreError> {
    let body = serde_json::to_string(alert).map_err(|e| StoreError::BadItem {
        key: alert_pk(&alert.key),
        field: "body".into(),
        message: e.to_string(),
    })?;
    let mut item = Item::from([
        ("pk".into(), s(alert_pk(&alert.key))),
        ("sk".into(), s(ALERT_SK)),
        ("body".into(), s(body)),
        ("version".into(), number(alert.version)),
        ("status".into(), s(alert.status.as_str())),
        ("level".into(), s(alert.level.as_str())),
        ("cycle".into(), number(alert.cycle)),
        // The stream filter passes alert writes whose count is not "0" (see store::stream).
        ("owed_count".into(), number(alert.owed.len())),
    ]);
    if let Some(model) = &alert.context.model {
        item.insert("model".into(), s(model.name()));
    }
    let index = if alert.status.is_open() {
        Some(OPEN)
    } else if !alert.owed.is_empty() {
        Some(OWING)
    } else {
        None
    };
    if let Some(partition) = index {
        let opened = alert.opened_at.map_or(0, Timestamp::millis);
        item.insert("gsi1pk".into(), s(partition));
        item.insert("gsi1sk".into(), s(format!("{opened:013}#{}", alert.key)));
    }
    Ok(item)
}

/// Decodes an alert item; errors name the item's key and the field that is wrong.
pub fn decode_alert(item: &Item) -> Result<Alert, StoreError> {
    let key = item_key(item);
    let bad = |field: &str, message: String| StoreError::BadItem {
        key: key.clone(),
        field: field.to_owned(),
        message,
    };
    let body = match item.get("body") {
        Some(AttributeValue::S(body)) => body,
        Some(other) => return Err(bad("body", format!("expected a string, found {other:?}"))),
        None => return Err(bad("body", "missing".into())),
    };
    let mut de = serde_json::Deserializer::from_str(body);
    let mut alert: Alert = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        bad(&format!("body.{path}"), e.into_inner().to_string())
    })?;
    alert.version = match item.get("version") {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map_err(|_| bad("version", format!("expected a whole number, found {n:?}")))?,
        Some(other) => {
            return Err(bad(
                "version",
                format!("expected a number, found {other:?}"),
            ));
        }
        None => return Err(bad("version", "missing".into())),
    };
    Ok(alert)
}

fn item_key(item: &Item) -> String {
    let part = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => "?".into(),
    };
    format!("{}/{}", part("pk"), part("sk"))
}

pub(super) fn encode_receipt(signal: &Signal, outcome: Outcome, now: Timestamp) -> Item {
    Item::from([
        (
            "pk".into(),
            s(format!("SIGNAL#{}#{}", signal.key, signal.id)),
        ),
        ("sk".into(), s("SIGNAL")),
        ("outcome".into(), s(outcome.as_str())),
        ("received_at".into(), number(now.millis())),
        ("ttl".into(), ttl(now, super::RECEIPT_TTL_SECS)),
    ])
}

/// One applied signal, as the reports and `modelwatch alerts` see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub alert_key: String,
    pub at: Timestamp,
    pub signal: String,
    pub source: String,
    pub outcome: String,
    pub status: String,
    pub level: String,
    pub cycle: u32,
    pub actions: Vec<String>,
    pub ttl: i64,
    /// The alert's cycle as it stood after this signal: what reports compute MTTx from.
    pub snapshot: CycleSnapshot,
}

/// One alert cycle's facts, copied onto every history entry so that the last entry of a
/// cycle in a period says everything the reports need.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CycleSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    #[serde(default)]
    pub monitor_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub level: Level,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_breach_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Mark>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_positive: Option<Mark>,
    #[serde(default)]
    pub flapping: bool,
}

impl From<&Alert> for CycleSnapshot {
    fn from(a: &Alert) -> Self {
        Self {
            model: a.context.model.clone(),
            monitor_id: a.context.monitor.id.clone(),
            title: a.context.title.clone(),
            environment: a.context.environment.clone(),
            level: a.level,
            first_breach_at: a.first_breach_at,
            opened_at: a.opened_at,
            detected_at: a.detected_at,
            acknowledged: a.acknowledged.clone(),
            resolved_at: a.resolved_at,
            false_positive: a.false_positive.clone(),
            flapping: a.is_flapping(),
        }
    }
}

pub(super) fn encode_history(
    signal: &Signal,
    transition: &Transition,
    now: Timestamp,
) -> Result<Item, StoreError> {
    let alert = &transition.alert;
    let day = jiff::Timestamp::from_millisecond(now.millis())
        .map_err(|e| StoreError::BadItem {
            key: alert_pk(&alert.key),
            field: "history day".into(),
            message: e.to_string(),
        })?
        .strftime("%Y-%m-%d")
        .to_string();
    let source = serde_json::to_value(signal.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let actions: Vec<AttributeValue> = transition.actions.iter().map(|a| s(a.name())).collect();
    let snapshot =
        serde_json::to_string(&CycleSnapshot::from(alert)).map_err(|e| StoreError::BadItem {
            key: alert_pk(&alert.key),
            field: "snapshot".into(),
            message: e.to_string(),
        })?;
    Ok(Item::from([
        ("pk".into(), s(format!("HIST#{day}"))),
        (
            "sk".into(),
            s(format!(
                "{:013}#{}#{}",
                now.millis(),
                alert.key,
                alert.version
            )),
        ),
        ("alert_key".into(), s(alert.key.as_str())),
        ("at".into(), number(now.millis())),
        ("signal".into(), s(signal.kind.name())),
        ("source".into(), s(source)),
        ("outcome".into(), s(transition.outcome.as_str())),
        ("status".into(), s(alert.status.as_str())),
        ("level".into(), s(alert.level.as_str())),
        ("cycle".into(), number(alert.cycle)),
        ("actions".into(), AttributeValue::L(actions)),
        ("ttl".into(), ttl(now, super::HISTORY_TTL_SECS)),
        ("snapshot".into(), s(snapshot)),
    ]))
}

pub(super) fn decode_history(item: &Item) -> Result<HistoryEntry, StoreError> {
    let key = item_key(item);
    let bad = |field: &str, message: &str| StoreError::BadItem {
        key: key.clone(),
        field: field.to_owned(),
        message: message.to_owned(),
    };
    let text = |field: &str| match item.get(field) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        Some(_) => Err(bad(field, "expected a string")),
        None => Err(bad(field, "missing")),
    };
    let int = |field: &str| match item.get(field) {
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .map_err(|_| bad(field, "expected a whole number")),
        Some(_) => Err(bad(field, "expected a number")),
        None => Err(bad(field, "missing")),
    };
    let actions = match item.get("actions") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(s) => Ok(s.clone()),
                _ => Err(bad("actions", "expected a list of strings")),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(_) => return Err(bad("actions", "expected a list")),
    };
    let snapshot =
        serde_json::from_str(&text("snapshot")?).map_err(|e| bad("snapshot", &e.to_string()))?;
    Ok(HistoryEntry {
        snapshot,
        alert_key: text("alert_key")?,
        at: Timestamp::from_millis(int("at")?),
        signal: text("signal")?,
        source: text("source")?,
        outcome: text("outcome")?,
        status: text("status")?,
        level: text("level")?,
        cycle: u32::try_from(int("cycle")?).map_err(|_| bad("cycle", "out of range"))?,
        actions,
        ttl: int("ttl")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AlertKey;

    fn stored() -> Item {
        let mut alert = Alert::blank(AlertKey::new("m:1").unwrap());
        alert.version = 3;
        encode_alert(&alert).unwrap()
    }

    #[test]
    fn alert_round_trips_through_an_item() {
        let item = stored();
        let alert = decode_alert(&item).unwrap();
        assert_eq!(alert.version, 3);
        assert_eq!(alert.key.as_str(), "m:1");
        assert!(
            !item.contains_key("gsi1pk"),
            "a resolved alert stays out of the open index"
        );
    }

    #[test]
    fn a_body_with_a_bad_field_names_the_item_and_the_field() {
        let mut item = stored();
        let body = match &item["body"] {
            AttributeValue::S(b) => b.replace("\"level\":\"L1\"", "\"level\":\"L9\""),
            _ => unreachable!(),
        };
        item.insert("body".into(), AttributeValue::S(body));
        let err = decode_alert(&item).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("ALERT#m:1/STATE"), "{text}");
        assert!(text.contains("body.level"), "{text}");
    }

    #[test]
    fn a_missing_or_mistyped_version_is_an_error_not_a_panic() {
        let mut item = stored();
        item.insert("version".into(), AttributeValue::S("three".into()));
        assert!(
            decode_alert(&item)
                .unwrap_err()
                .to_string()
                .contains("`version`")
        );
        item.remove("version");
        assert!(
            decode_alert(&item)
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        item.remove("body");
        assert!(
            decode_alert(&item)
                .unwrap_err()
                .to_string()
                .contains("`body`")
        );
    }
}
