//! The groups each monitor has seen (`domain::SeenGroups`): one item per monitor, which the
//! evaluator reads and writes at most once per run, never per point.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, StoreError, error};
use crate::domain::SeenGroups;

/// `pk` of a monitor's item is this prefix and the monitor's id.
const SEEN_PREFIX: &str = "SEEN#";
const SEEN_SK: &str = "GROUPS";

fn key(monitor: &str) -> (AttributeValue, AttributeValue) {
    (
        AttributeValue::S(format!("{SEEN_PREFIX}{monitor}")),
        AttributeValue::S(SEEN_SK.into()),
    )
}

fn encode(seen: &SeenGroups) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let body = serde_json::to_string(seen).map_err(|e| StoreError::BadItem {
        key: format!("{SEEN_PREFIX}{}/{SEEN_SK}", seen.monitor),
        field: "body".into(),
        message: e.to_string(),
    })?;
    let (pk, sk) = key(&seen.monitor);
    Ok(HashMap::from([
        ("pk".into(), pk),
        ("sk".into(), sk),
        ("body".into(), AttributeValue::S(body)),
    ]))
}

fn decode(monitor: &str, item: &HashMap<String, AttributeValue>) -> Result<SeenGroups, StoreError> {
    let bad = |message: String| StoreError::BadItem {
        key: format!("{SEEN_PREFIX}{monitor}/{SEEN_SK}"),
        field: "body".into(),
        message,
    };
    match item.get("body") {
        Some(AttributeValue::S(body)) => {
            let seen: SeenGroups = serde_json::from_str(body).map_err(|e| bad(e.to_string()))?;
            if seen.monitor != monitor {
                return Err(bad(format!(
                    "holds the groups of monitor {:?}: expected {monitor:?}",
                    seen.monitor
                )));
            }
            Ok(seen)
        }
        _ => Err(bad("missing, or not a string".into())),
    }
}

impl Store {
    /// The groups `monitor` has seen (none before its first write). Eventually consistent:
    /// a minute-old copy only makes the evaluator look at an alert once more.
    pub async fn seen_groups(&self, monitor: &str) -> Result<SeenGroups, StoreError> {
        let (pk, sk) = key(monitor);
        match self.get(pk, sk, false).await? {
            Some(item) => decode(monitor, &item),
            None => Ok(SeenGroups::new(monitor)),
        }
    }

    /// Replaces the monitor's item. Only the evaluator writes it, and what it holds is
    /// derived from Datadog's data, so the last writer may win.
    pub async fn put_seen_groups(&self, seen: &SeenGroups) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(seen)?))
            .send()
            .await
            .map_err(|e| error::classify("PutItem", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Group, Seen, Timestamp};

    #[test]
    fn an_item_round_trips_and_a_wrong_one_names_its_key() {
        let mut seen = SeenGroups::new("error-rate");
        seen.groups.insert(
            Group::new("chat-large", Some("v3"), Some("prod")),
            Seen {
                last_seen: Timestamp::from_secs(1_800_000_000),
                reported: true,
                absent_since: None,
            },
        );
        let item = encode(&seen).unwrap();
        assert_eq!(decode("error-rate", &item).unwrap(), seen);
        let err = decode("latency", &item).unwrap_err().to_string();
        assert!(err.contains("SEEN#latency/GROUPS"), "{err}");
        assert!(err.contains("\"error-rate\""), "{err}");
    }
}
