//! The evaluator's last good run (`domain::LastRun`): one item, read and written once per
//! run, so a run knows whether its look-back reaches back to it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, StoreError, error};
use crate::domain::LastRun;

const PK: &str = "EVALUATOR";
const SK: &str = "LAST_RUN";

fn key() -> (AttributeValue, AttributeValue) {
    (AttributeValue::S(PK.into()), AttributeValue::S(SK.into()))
}

fn bad(message: String) -> StoreError {
    StoreError::BadItem {
        key: format!("{PK}/{SK}"),
        field: "body".into(),
        message,
    }
}

fn encode(run: &LastRun) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let body = serde_json::to_string(run).map_err(|e| bad(e.to_string()))?;
    let (pk, sk) = key();
    Ok(HashMap::from([
        ("pk".into(), pk),
        ("sk".into(), sk),
        ("at".into(), AttributeValue::N(run.at.millis().to_string())),
        ("body".into(), AttributeValue::S(body)),
    ]))
}

fn decode(item: &HashMap<String, AttributeValue>) -> Result<LastRun, StoreError> {
    match item.get("body") {
        Some(AttributeValue::S(body)) => serde_json::from_str(body).map_err(|e| bad(e.to_string())),
        _ => Err(bad("missing, or not a string".into())),
    }
}

impl Store {
    /// The evaluator's last good run; none before its first. Strongly consistent: the
    /// previous minute's write decides whether this run looks back far enough.
    pub async fn last_run(&self) -> Result<Option<LastRun>, StoreError> {
        let (pk, sk) = key();
        let item = self.get(pk, sk, true).await?;
        item.as_ref().map(decode).transpose()
    }

    /// Records `run` as the last good run unless a newer one is recorded (a retried or late
    /// invocation of an earlier instant must not move it back). True when written.
    pub async fn put_last_run(&self, run: &LastRun) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(run)?))
            .condition_expression("attribute_not_exists(pk) OR #at < :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", AttributeValue::N(run.at.millis().to_string()));
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(error::classify("PutItem", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::Timestamp;

    #[test]
    fn a_last_run_round_trips_through_its_item() {
        let run = LastRun {
            at: Timestamp::from_secs(1_800_000_000),
            monitors: BTreeSet::from(["latency".to_string(), "errors".to_string()]),
        };
        let item = encode(&run).unwrap();
        assert_eq!(item["at"], AttributeValue::N("1800000000000".into()));
        assert_eq!(decode(&item).unwrap(), run);
    }

    #[test]
    fn an_item_without_a_body_says_what_is_wrong() {
        let (pk, sk) = key();
        let item = HashMap::from([("pk".to_string(), pk), ("sk".to_string(), sk)]);
        let err = decode(&item).unwrap_err().to_string();
        assert!(
            err.contains("EVALUATOR/LAST_RUN") && err.contains("body"),
            "{err}"
        );
    }
}
