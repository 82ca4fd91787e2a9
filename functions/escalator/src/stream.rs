//! A DynamoDB stream batch: the alert items that changed, each delivered from its current
//! state in the table (not the record's image, which may already be stale).

use modelwatch::domain::{AlertKey, Timestamp};
use serde_json::{Value, json};

use crate::{Escalator, deliver_owed};

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
    pub fn response(&self) -> Value {
        let failures: Vec<Value> = self
            .retry_from
            .iter()
            .map(|seq| json!({"itemIdentifier": seq}))
            .collect();
        json!({"batchItemFailures": failures})
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(
        "stream record {index} has no {field}: expected a DynamoDB stream record with Keys.pk.S and SequenceNumber"
    )]
    BadRecord { index: usize, field: &'static str },
}

/// The alert key and sequence number of every alert record, in batch order.
pub fn alert_records(event: &Value) -> Result<Vec<(AlertKey, String)>, StreamError> {
    let records = event["Records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (index, r) in records.iter().enumerate() {
        let d = &r["dynamodb"];
        let seq = d["SequenceNumber"].as_str().ok_or(StreamError::BadRecord {
            index,
            field: "dynamodb.SequenceNumber",
        })?;
        let pk = d["Keys"]["pk"]["S"]
            .as_str()
            .ok_or(StreamError::BadRecord {
                index,
                field: "dynamodb.Keys.pk.S",
            })?;
        // Receipts and history never owe anything.
        let Some(key) = pk.strip_prefix("ALERT#") else {
            continue;
        };
        match AlertKey::new(key) {
            Ok(k) => out.push((k, seq.to_owned())),
            Err(e) => {
                tracing::error!(pk, error = %e, "stream record with an invalid alert key skipped")
            }
        }
    }
    Ok(out)
}

pub async fn handle_stream(
    escalator: &Escalator,
    event: &Value,
    now: Timestamp,
) -> Result<StreamReport, StreamError> {
    let mut report = StreamReport::default();
    let mut seen: Vec<AlertKey> = Vec::new();
    for (key, seq) in alert_records(event)? {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        report.alerts += 1;
        match deliver_owed(escalator, &key, now).await {
            Ok(d) => {
                report.actions += d.actions;
                report.steps += d.steps;
            }
            Err(e) => {
                tracing::warn!(alert_key = %key, error = %e, retryable = e.is_retryable(), "retrying the batch from this record");
                // Everything from here on comes again; what was delivered is recorded and
                // will not be sent twice.
                report.retry_from = Some(seq);
                break;
            }
        }
    }
    Ok(report)
}
