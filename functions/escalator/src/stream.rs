//! A DynamoDB stream batch: the alert items that owe deliveries (the template's own stream
//! filter, applied again here so a batch means the same locally and in AWS), each
//! delivered starting from its newest image in the batch. The image may already be stale;
//! the delivery's first write (its claim) is conditioned on the image's version, so a
//! stale one is refused and the delivery starts over from a read, and an image whose
//! action another delivery holds costs nothing (the escalator's own claims and records
//! come back through the stream so).

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use modelwatch::domain::{Alert, AlertKey, Timestamp};
use modelwatch::store::StoreError;
use modelwatch::store::stream::{StreamFilterError, delivery_filter, image_alert, owing_alert};
use serde::Deserialize;
use serde_json::Value;

use crate::{DeliverError, Escalator, deliver_owed};

#[derive(Debug, Default, serde::Serialize)]
pub struct StreamReport {
    pub alerts: u32,
    pub actions: u32,
    pub steps: u32,
    /// The sequence number Lambda retries the batch from (partial batch response).
    pub retry_from: Option<String>,
}

impl StreamReport {
    /// The partial-batch answer Lambda's `ReportBatchItemFailures` reads.
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        response.batch_item_failures = self
            .retry_from
            .iter()
            .map(|seq| {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(seq.clone());
                failure
            })
            .collect();
        response
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("stream record {index} is not a DynamoDB stream record as Lambda sends it: {message}")]
    BadRecord { index: usize, message: String },
    #[error(transparent)]
    Filter(#[from] StreamFilterError),
}

/// An alert a batch owes deliveries for.
#[derive(Debug, Clone, PartialEq)]
pub struct Owing {
    pub key: AlertKey,
    /// The sequence number of its first record in the batch: where Lambda retries from.
    pub seq: String,
    /// The alert as its newest record in the batch shows it, when that record carries a
    /// readable image (otherwise the delivery reads the table).
    pub image: Option<Alert>,
}

/// Every alert the batch's records owe deliveries for, once each, in the order of its
/// first record.
pub fn owing_records(records: &[Value]) -> Result<Vec<Owing>, StreamError> {
    let filter = delivery_filter()?;
    // Each alert with its first record's sequence number and its newest record, whose
    // image alone is decoded (a batch holds an alert's claim and step records too).
    let mut found: Vec<(AlertKey, String, &Value, String)> = Vec::new();
    for (index, raw) in records.iter().enumerate() {
        let bad = |message: String| StreamError::BadRecord { index, message };
        let record = EventRecord::deserialize(raw).map_err(|e| bad(e.to_string()))?;
        let seq = record
            .change
            .sequence_number
            .ok_or_else(|| bad("no dynamodb.SequenceNumber".into()))?;
        let key = match owing_alert(filter, raw) {
            Ok(Some(key)) => key,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(sequence = %seq, error = %e, "stream record skipped");
                continue;
            }
        };
        match found.iter_mut().find(|(k, ..)| *k == key) {
            Some(earlier) => (earlier.2, earlier.3) = (raw, seq),
            None => found.push((key, seq.clone(), raw, seq)),
        }
    }
    Ok(found
        .into_iter()
        .map(|(key, seq, newest, newest_seq)| {
            let image = match image_alert(newest) {
                Some(Ok(alert)) if alert.key == key => Some(alert),
                Some(Ok(alert)) => {
                    tracing::warn!(sequence = %newest_seq, alert_key = %key, image_key = %alert.key, "stream image of another alert; reading the table");
                    None
                }
                Some(Err(e)) => {
                    tracing::warn!(sequence = %newest_seq, alert_key = %key, error = %e, "stream image unreadable; reading the table");
                    None
                }
                None => None,
            };
            Owing { key, seq, image }
        })
        .collect())
}

pub async fn handle_stream(
    escalator: &Escalator,
    records: &[Value],
    now: Timestamp,
) -> Result<StreamReport, StreamError> {
    let mut report = StreamReport::default();
    let reads = escalator.cold_start.take(now);
    for Owing { key, seq, image } in owing_records(records)? {
        report.alerts += 1;
        match deliver_owed(escalator, &key, image, now, &reads).await {
            Ok(d) => {
                report.actions += d.actions;
                report.steps += d.steps;
            }
            // A vendor down: the other alerts still get their steps to the vendor that is
            // up (`SharedReads::is_down` spares them its timeouts). Everything from the
            // first such alert comes again; what was delivered is recorded and will not
            // be sent twice.
            Err(e @ DeliverError::Retry { .. }) => {
                tracing::warn!(alert_key = %key, error = %e, "to be retried from this record");
                report.retry_from.get_or_insert(seq);
            }
            // This alert's own item does not decode (a newer version's after a rollback,
            // or edited by hand): no retry by this version can deliver it, and retrying
            // the batch would hold every alert behind it through Lambda's retries. The
            // item still owes it: a version that can read it delivers it from the clock.
            Err(DeliverError::Store(e @ StoreError::BadItem { .. })) => {
                tracing::error!(alert_key = %key, error = %e, "delivery rejected");
            }
            // The table: every other alert would wait out the same deadlines.
            Err(e) => {
                tracing::warn!(alert_key = %key, error = %e, retryable = e.is_retryable(), "retrying the batch from this record");
                report.retry_from.get_or_insert(seq);
                break;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A stream record of alert `key`'s item at version `version`, owing one page.
    fn record(key: &str, seq: &str, version: u64) -> Value {
        let mut alert = Alert::blank(AlertKey::new(key).expect("key"));
        alert.version = version;
        let body = serde_json::to_string(&alert).expect("alert as JSON");
        let pk = format!("ALERT#{key}");
        json!({
            "eventID": format!("e{seq}"), "eventName": "MODIFY", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": pk}, "sk": {"S": "STATE"}},
                "NewImage": {
                    "pk": {"S": pk}, "sk": {"S": "STATE"}, "owed_count": {"N": "1"},
                    "version": {"N": version.to_string()}, "body": {"S": body}
                },
                "SequenceNumber": seq, "SizeBytes": 120, "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        })
    }

    /// Each alert once, in the order of its first record, retried from its first record
    /// (so a failure on it hands back every record after that, other alerts' included),
    /// and started from its newest image.
    #[test]
    fn an_alert_is_delivered_once_from_its_newest_image_and_retried_from_its_first_record() {
        let batch = [
            record("a", "10", 1),
            record("b", "20", 1),
            record("a", "30", 2),
        ];
        let owing = owing_records(&batch).expect("owing");
        let found: Vec<(&str, &str, Option<u64>)> = owing
            .iter()
            .map(|o| {
                (
                    o.key.as_str(),
                    o.seq.as_str(),
                    o.image.as_ref().map(|a| a.version),
                )
            })
            .collect();
        assert_eq!(found, [("a", "10", Some(2)), ("b", "20", Some(1))]);
    }

    /// A record whose image cannot be read is still delivered, from a read.
    #[test]
    fn an_unreadable_image_leaves_the_delivery_to_read_the_table() {
        let mut bad = record("a", "10", 1);
        bad["dynamodb"]["NewImage"]["body"]["S"] = json!("not an alert");
        let owing = owing_records(&[bad]).expect("owing");
        assert_eq!(owing.len(), 1);
        assert!(owing[0].image.is_none());
    }
}
