//! The groups each monitor has seen (`domain::SeenGroups`): one item per monitor, which the
//! evaluator reads and writes at most once per run, never per point. Past a few thousand
//! groups the JSON would outgrow DynamoDB's 400 KB item: it is kept deflated then
//! (`body_deflate`, about a tenth of the size), so a monitor of 10,000 groups still fits.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, StoreError, error};
use crate::domain::SeenGroups;

/// `pk` of a monitor's item is this prefix and the monitor's id.
const SEEN_PREFIX: &str = "SEEN#";
const SEEN_SK: &str = "GROUPS";

/// The largest body kept as plain JSON, and the largest deflated one: under DynamoDB's
/// 400 KB item with room for the keys.
const BODY_LIMIT: usize = 350_000;
/// The most a deflated body may grow to when read back (it is the evaluator's own writing).
const INFLATED_LIMIT: usize = 64 << 20;

fn key(monitor: &str) -> (AttributeValue, AttributeValue) {
    (
        AttributeValue::S(format!("{SEEN_PREFIX}{monitor}")),
        AttributeValue::S(SEEN_SK.into()),
    )
}

fn encode(seen: &SeenGroups) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let bad = |field: &str, message: String| StoreError::BadItem {
        key: format!("{SEEN_PREFIX}{}/{SEEN_SK}", seen.monitor),
        field: field.into(),
        message,
    };
    let body = serde_json::to_string(seen).map_err(|e| bad("body", e.to_string()))?;
    let (pk, sk) = key(&seen.monitor);
    let mut item = HashMap::from([("pk".into(), pk), ("sk".into(), sk)]);
    if body.len() <= BODY_LIMIT {
        item.insert("body".into(), AttributeValue::S(body));
        return Ok(item);
    }
    let deflated = miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 6);
    if deflated.len() > BODY_LIMIT {
        return Err(bad(
            "body_deflate",
            format!(
                "{} groups take {} bytes deflated, more than a DynamoDB item holds (400 KB): \
                 expected a monitor's query to return fewer groups (narrow its `by {{…}}` or its models)",
                seen.groups.len(),
                deflated.len()
            ),
        ));
    }
    item.insert(
        "body_deflate".into(),
        AttributeValue::B(Blob::new(deflated)),
    );
    Ok(item)
}

fn decode(monitor: &str, item: &HashMap<String, AttributeValue>) -> Result<SeenGroups, StoreError> {
    let bad = |field: &str, message: String| StoreError::BadItem {
        key: format!("{SEEN_PREFIX}{monitor}/{SEEN_SK}"),
        field: field.into(),
        message,
    };
    let seen: SeenGroups = match (item.get("body"), item.get("body_deflate")) {
        (Some(AttributeValue::S(body)), _) => {
            serde_json::from_str(body).map_err(|e| bad("body", e.to_string()))?
        }
        (None, Some(AttributeValue::B(deflated))) => {
            let body = miniz_oxide::inflate::decompress_to_vec_with_limit(
                deflated.as_ref(),
                INFLATED_LIMIT,
            )
            .map_err(|e| bad("body_deflate", format!("does not inflate: {e}")))?;
            serde_json::from_slice(&body).map_err(|e| bad("body_deflate", e.to_string()))?
        }
        _ => {
            return Err(bad(
                "body",
                "missing, or not a string (nor `body_deflate` binary)".into(),
            ));
        }
    };
    if seen.monitor != monitor {
        return Err(bad(
            "body",
            format!(
                "holds the groups of monitor {:?}: expected {monitor:?}",
                seen.monitor
            ),
        ));
    }
    Ok(seen)
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

    /// 10,000 groups (the fleet benchmark's) are over 1 MB of JSON: kept deflated, under
    /// DynamoDB's 400 KB item, and read back whole.
    #[test]
    fn ten_thousand_groups_fit_one_item() {
        let mut seen = SeenGroups::new("error-rate");
        for i in 0..10_000 {
            seen.groups.insert(
                Group::new(
                    &format!("model-{}", i / 20),
                    Some(&format!("v{}", i % 20)),
                    Some("production"),
                ),
                Seen {
                    last_seen: Timestamp::from_secs(1_800_000_000 + i),
                    reported: true,
                    absent_since: None,
                },
            );
        }
        let item = encode(&seen).unwrap();
        assert!(!item.contains_key("body"));
        let size: usize = match &item["body_deflate"] {
            AttributeValue::B(b) => b.as_ref().len(),
            other => panic!("{other:?}"),
        };
        assert!(size < BODY_LIMIT, "{size} bytes");
        assert!(serde_json::to_string(&seen).unwrap().len() > 1_000_000);
        assert_eq!(decode("error-rate", &item).unwrap(), seen);
    }
}
