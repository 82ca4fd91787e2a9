//! A scheduled report's claim: one delivery of a report posts it at a time. EventBridge
//! Scheduler and Lambda's event queue deliver at least once, so two deliveries of one
//! schedule can run together; each looks for the report in its channel before posting,
//! but two at once both find nothing there and both post. The claim makes the second
//! wait until the first has finished (it then leaves the report to the first, as does any
//! delivery that comes after: a finished claim is never taken) or its claim has run out or
//! been given back (the first crashed or failed: the second takes over, posting what the
//! channel does not show yet).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::item::number;
use super::{Store, StoreError, error};
use crate::domain::Timestamp;

const PK_PREFIX: &str = "REPORT#";
const SK: &str = "CLAIM";
/// Kept a week after it runs out, to read what happened, then TTL removes it.
const KEPT_SECS: u64 = 7 * 24 * 3600;

fn key(report: &str) -> (AttributeValue, AttributeValue) {
    (
        AttributeValue::S(format!("{PK_PREFIX}{report}")),
        AttributeValue::S(SK.into()),
    )
}

/// A report's claim as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportClaim {
    /// Which delivery holds it.
    pub holder: String,
    /// When it runs out if not finished: the holder's longest life.
    pub until: Timestamp,
    /// The holder posted the report.
    pub finished: bool,
}

/// What `claim_report` came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// This delivery holds the claim, as `holder`.
    Held { holder: String },
    /// Another delivery posted the report: its claim is finished.
    Finished,
    /// Another delivery holds it, unfinished, until `until`.
    Busy { until: Timestamp },
}

fn decode(report: &str, item: &HashMap<String, AttributeValue>) -> Result<ReportClaim, StoreError> {
    let bad = |field: &str| StoreError::BadItem {
        key: format!("{PK_PREFIX}{report}/{SK}"),
        field: field.into(),
        message: "missing, or not of its type".into(),
    };
    let holder = match item.get("holder") {
        Some(AttributeValue::S(h)) => h.clone(),
        _ => return Err(bad("holder")),
    };
    let until = match item.get("until") {
        Some(AttributeValue::N(n)) => n
            .parse()
            .map(Timestamp::from_millis)
            .map_err(|_| bad("until"))?,
        _ => return Err(bad("until")),
    };
    let finished = match item.get("finished") {
        Some(AttributeValue::Bool(b)) => *b,
        _ => return Err(bad("finished")),
    };
    Ok(ReportClaim {
        holder,
        until,
        finished,
    })
}

fn conditional_failed<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    e: &aws_sdk_dynamodb::error::SdkError<E>,
) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

impl Store {
    /// Claims `report` until `until`, unless another delivery finished it (posted the
    /// report; taken all the same when `again`), or holds it unfinished still at `now`.
    /// One request: a claim refused comes back with the refusal
    /// (`ReturnValuesOnConditionCheckFailure`).
    pub async fn claim_report(
        &self,
        report: &str,
        (now, until): (Timestamp, Timestamp),
        again: bool,
    ) -> Result<Claimed, StoreError> {
        let condition = if again {
            "attribute_not_exists(pk) OR #until < :now OR #finished = :posted"
        } else {
            "attribute_not_exists(pk) OR (#until < :now AND #finished <> :posted)"
        };
        let holder = format!("{}-{:016x}", now.millis(), fastrand::u64(..));
        let (pk, sk) = key(report);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk)
            .item("sk", sk)
            .item("holder", AttributeValue::S(holder.clone()))
            .item("until", number(until.millis()))
            .item("finished", AttributeValue::Bool(false))
            .item("ttl", number(until.plus_secs(KEPT_SECS).secs()))
            .condition_expression(condition)
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#finished", "finished")
            .expression_attribute_values(":now", number(now.millis()))
            .expression_attribute_values(":posted", AttributeValue::Bool(true))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match put.send().await {
            Ok(_) => Ok(Claimed::Held { holder }),
            Err(e) => {
                let refused = e.as_service_error().and_then(|s| match s {
                    PutItemError::ConditionalCheckFailedException(c) => Some(c.item()),
                    _ => None,
                });
                match refused {
                    Some(Some(item)) => {
                        let claim = decode(report, item)?;
                        Ok(if claim.finished {
                            Claimed::Finished
                        } else {
                            Claimed::Busy { until: claim.until }
                        })
                    }
                    // Refused without the claim that refused it (DynamoDB sends it): the
                    // next try sees it.
                    Some(None) => Ok(Claimed::Busy { until: now }),
                    None => Err(error::classify("PutItem", e)),
                }
            }
        }
    }

    /// `report`'s claim, if one is stored (strongly consistent).
    pub async fn report_claim(&self, report: &str) -> Result<Option<ReportClaim>, StoreError> {
        let (pk, sk) = key(report);
        let item = self.get(pk, sk, true).await?;
        item.map(|i| decode(report, &i)).transpose()
    }

    /// Marks `holder`'s claim on `report` finished: the report is posted. A claim another
    /// delivery took over (this one outlived its own) is left to it.
    pub async fn finish_report(&self, report: &str, holder: &str) -> Result<(), StoreError> {
        self.set_if_holder(report, holder, "finished", AttributeValue::Bool(true))
            .await
    }

    /// Gives up `holder`'s claim on `report` (the report could not be posted now), so a
    /// retry need not wait for it to run out: it runs out at once. (Kept, not deleted: the
    /// reporter writes claims and nothing else, and needs no DeleteItem.)
    pub async fn release_report(&self, report: &str, holder: &str) -> Result<(), StoreError> {
        self.set_if_holder(report, holder, "until", number(0)).await
    }

    /// Sets `field` of `report`'s claim to `value` while `holder` holds it; a claim held
    /// by another (or gone) is left as it is.
    async fn set_if_holder(
        &self,
        report: &str,
        holder: &str,
        field: &str,
        value: AttributeValue,
    ) -> Result<(), StoreError> {
        let (pk, sk) = key(report);
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET #field = :value")
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#field", field)
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":value", value)
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()));
        match update.send().await {
            Ok(_) => Ok(()),
            Err(e) if conditional_failed(&e) => Ok(()),
            Err(e) => Err(error::classify("UpdateItem", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_item_missing_a_field_is_named() {
        let (pk, sk) = key("daily|ml-team|#alerts|2026-12-06T08:00:00Z");
        let item = HashMap::from([("pk".to_string(), pk), ("sk".to_string(), sk)]);
        let err = decode("daily|ml-team", &item).unwrap_err().to_string();
        assert!(
            err.contains("REPORT#daily|ml-team/CLAIM") && err.contains("holder"),
            "{err}"
        );
    }
}
