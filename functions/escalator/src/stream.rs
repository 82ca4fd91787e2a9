//! A DynamoDB stream batch: the alert items that owe deliveries (the template's own stream
//! filter, applied again here so a batch means the same locally and in AWS), each
//! delivered from its current state in the table (not the record's image, which may
//! already be stale).

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use modelwatch::domain::{AlertKey, Timestamp};
use modelwatch::store::stream::{StreamFilterError, delivery_filter, owing_alert};
use serde_json::Value;

use crate::{Escalator, SharedReads, deliver_owed};

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

/// The alert key and sequence number of every record that owes deliveries, in batch order.
pub fn owing_records(records: &[Value]) -> Result<Vec<(AlertKey, String)>, StreamError> {
    let filter = delivery_filter()?;
    let mut out = Vec::new();
    for (index, raw) in records.iter().enumerate() {
        let bad = |message: String| StreamError::BadRecord { index, message };
        let record: EventRecord =
            serde_json::from_value(raw.clone()).map_err(|e| bad(e.to_string()))?;
        let seq = record
            .change
            .sequence_number
            .ok_or_else(|| bad("no dynamodb.SequenceNumber".into()))?;
        match owing_alert(filter, raw) {
            Ok(Some(key)) => out.push((key, seq)),
            Ok(None) => {}
            Err(e) => tracing::error!(sequence = %seq, error = %e, "stream record skipped"),
        }
    }
    Ok(out)
}

pub async fn handle_stream(
    escalator: &Escalator,
    records: &[Value],
    now: Timestamp,
) -> Result<StreamReport, StreamError> {
    let mut report = StreamReport::default();
    let mut seen: Vec<AlertKey> = Vec::new();
    let reads = SharedReads::default();
    for (key, seq) in owing_records(records)? {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        report.alerts += 1;
        match deliver_owed(escalator, &key, now, &reads).await {
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
