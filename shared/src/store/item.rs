//! Encoding alerts, receipts and history as DynamoDB items, and decoding them back.

use std::collections::HashMap;

use super::StoreError;
use crate::domain::{
    Alert, AlertKey, CycleSnapshot, HistoryEntry, HistoryOutcome, Signal, Timestamp,
};
use crate::lifecycle::{Outcome, Transition};
use aws_sdk_dynamodb::types::AttributeValue;

/// `pk` of an alert item is this prefix and the alert key.
pub(super) const ALERT_PREFIX: &str = "ALERT#";
pub(super) const ALERT_SK: &str = "STATE";
/// `pk` and `sk` of the cold start's table check, which no item has.
pub(super) const TABLE_CHECK: &str = "TABLE-CHECK";
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

/// The receipt of `signal`, applied into `cycle` of its alert (the cycle the alert is in
/// after it). An id made from the body (`SignalId::is_of_body`) names its cycle too: the
/// same bytes are a retry within one cycle, and the next cycle's own notification after.
pub(super) fn encode_receipt(
    signal: &Signal,
    outcome: Outcome,
    cycle: u32,
    now: Timestamp,
) -> Item {
    let pk = if signal.id.is_of_body() {
        format!("SIGNAL#{}#{}#c{cycle}", signal.key, signal.id)
    } else {
        format!("SIGNAL#{}#{}", signal.key, signal.id)
    };
    Item::from([
        ("pk".into(), s(pk)),
        ("sk".into(), s("SIGNAL")),
        ("outcome".into(), s(outcome.as_str())),
        ("received_at".into(), number(now.millis())),
        ("ttl".into(), ttl(now, super::RECEIPT_TTL_SECS)),
    ])
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
        ("source".into(), s(signal.source.as_str())),
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
    // The enums as they were stored (`as_str`, the same words serde reads).
    fn typed<T: serde::de::DeserializeOwned>(text: String) -> Result<T, String> {
        serde_json::from_value(serde_json::Value::String(text)).map_err(|e| e.to_string())
    }
    let actions = match item.get("actions") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::S(s) => typed(s.clone()).map_err(|e| bad("actions", &e)),
                _ => Err(bad("actions", "expected a list of strings")),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
        Some(_) => return Err(bad("actions", "expected a list")),
    };
    let snapshot =
        serde_json::from_str(&text("snapshot")?).map_err(|e| bad("snapshot", &e.to_string()))?;
    let alert_key = text("alert_key")?;
    // The sort key ends in the alert's version (`{ms}#{alert key}#{version}`).
    let version = text("sk")?
        .rsplit_once('#')
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .ok_or_else(|| bad("sk", "expected {ms}#{alert key}#{version}"))?;
    Ok(HistoryEntry {
        snapshot,
        alert_key: AlertKey::new(&alert_key).map_err(|e| bad("alert_key", &e.to_string()))?,
        at: Timestamp::from_millis(int("at")?),
        version,
        signal: typed(text("signal")?).map_err(|e| bad("signal", &e))?,
        source: typed(text("source")?).map_err(|e| bad("source", &e))?,
        outcome: HistoryOutcome::parse(&text("outcome")?),
        status: typed(text("status")?).map_err(|e| bad("status", &e))?,
        level: typed(text("level")?).map_err(|e| bad("level", &e))?,
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
