//! The alerts table's stream on the emulator, read the way Lambda's event source mapping
//! reads it in AWS, and handed to the escalator in the same event shape.

use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use serde_json::{Value, json};

/// Reads every shard of one table's stream from where it began.
pub struct StreamPoller {
    client: aws_sdk_dynamodbstreams::Client,
    iterators: Vec<String>,
}

pub type StreamError = String;

impl StreamPoller {
    /// Opens the stream of `table` (which must have one) at its beginning.
    pub async fn open(
        dynamodb: &aws_sdk_dynamodb::Client,
        config: &aws_config::SdkConfig,
        table: &str,
    ) -> Result<Self, StreamError> {
        let described = dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| format!("describing {table}: {e}"))?;
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| format!("table {table} has no stream"))?
            .to_owned();
        // The emulator serves the stream API on DynamoDB's own endpoint.
        let mut streams = aws_sdk_dynamodbstreams::config::Builder::from(config);
        if std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").is_err() {
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
                streams = streams.endpoint_url(endpoint);
            }
        }
        let client = aws_sdk_dynamodbstreams::Client::from_conf(streams.build());
        let stream = client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .map_err(|e| format!("describing stream {arn}: {e}"))?;
        let mut iterators = Vec::new();
        for shard in stream
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            let it = client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(id)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .map_err(|e| format!("opening shard {id}: {e}"))?;
            if let Some(it) = it.shard_iterator() {
                iterators.push(it.to_owned());
            }
        }
        Ok(Self { client, iterators })
    }

    /// The next batch of alert-item records (what the template's filter lets through), as
    /// the event the escalator Lambda receives; `None` when nothing new arrived.
    pub async fn next_batch(&mut self) -> Result<Option<Value>, StreamError> {
        let mut records = Vec::new();
        for iterator in &mut self.iterators {
            let out = self
                .client
                .get_records()
                .shard_iterator(iterator.as_str())
                .send()
                .await
                .map_err(|e| format!("reading the stream: {e}"))?;
            for r in out.records() {
                let Some(d) = r.dynamodb() else { continue };
                let key = |name: &str| {
                    d.keys()
                        .and_then(|k| k.get(name))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                if key("sk") != "STATE" {
                    continue;
                }
                records.push(json!({
                    "eventName": r.event_name().map(|n| n.as_str().to_owned()),
                    "dynamodb": {
                        "Keys": {"pk": {"S": key("pk")}, "sk": {"S": "STATE"}},
                        "SequenceNumber": d.sequence_number().unwrap_or_default(),
                    }
                }));
            }
            if let Some(next) = out.next_shard_iterator() {
                *iterator = next.to_owned();
            }
        }
        Ok((!records.is_empty()).then(|| json!({ "Records": records })))
    }
}
