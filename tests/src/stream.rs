//! The alerts table's stream on the emulator, read the way Lambda's event source mapping
//! reads it in AWS: records in Lambda's event shape (typed images, numbers as strings),
//! passed through the template's own filter, handed to the escalator in the template's
//! batches (`lanes`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use modelwatch::event_filter::FilterPattern;
use modelwatch::store::stream::Batching;
use serde_json::{Map, Value, json};

/// Reads every shard of one table's stream from where it began.
pub struct StreamPoller {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    region: String,
    shards: Vec<Shard>,
    filter: FilterPattern,
    /// Records read and filtered out, for tests that check what the filter dropped.
    pub dropped: Vec<Value>,
}

pub type StreamError = String;

/// One shard's reading position.
struct Shard {
    id: String,
    iterator: String,
    /// The last record read: where a re-opened iterator starts after.
    last_sequence: Option<String>,
}

impl StreamPoller {
    /// Opens the stream of `table` (which must have one) at its beginning.
    pub async fn open(
        dynamodb: &aws_sdk_dynamodb::Client,
        config: &aws_config::SdkConfig,
        table: &str,
    ) -> Result<Self, StreamError> {
        let filter = modelwatch::store::stream::delivery_filter()
            .map_err(|e| e.to_string())?
            .clone();
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
        // The emulator serves the stream API on DynamoDB's own endpoint (`config`'s own,
        // when it names one).
        let mut streams = aws_sdk_dynamodbstreams::config::Builder::from(config);
        if config.endpoint_url().is_none()
            && std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").is_err()
            && let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        {
            streams = streams.endpoint_url(endpoint);
        }
        let client = aws_sdk_dynamodbstreams::Client::from_conf(streams.build());
        let stream = client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .map_err(|e| format!("describing stream {arn}: {e}"))?;
        let mut shards = Vec::new();
        for shard in stream
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            let iterator = iterator(&client, &arn, id, None).await?;
            shards.push(Shard {
                id: id.to_owned(),
                iterator,
                last_sequence: None,
            });
        }
        let region = config
            .region()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        Ok(Self {
            client,
            arn,
            region,
            shards,
            filter,
            dropped: Vec::new(),
        })
    }

    /// The stream of a store's table on the emulator.
    pub async fn for_store(store: &modelwatch::store::Store) -> Result<Self, StreamError> {
        let config = aws_config::load_from_env().await;
        Self::open(store.client(), &config, store.table()).await
    }

    /// The next batch of records the template's filter lets through, as the event the
    /// escalator Lambda receives; `None` when nothing new passed.
    pub async fn next_batch(&mut self) -> Result<Option<Value>, StreamError> {
        let mut records = Vec::new();
        for shard in &mut self.shards {
            let mut out = self
                .client
                .get_records()
                .shard_iterator(shard.iterator.as_str())
                .send()
                .await
                .map_err(|e| format!("reading the stream: {e}"))?;
            if out.records().is_empty() {
                // The emulator restores a copy of the table when a transaction fails, and
                // an iterator on the old copy never sees another record: read again from
                // a fresh iterator after the last record seen (in AWS, the same records).
                shard.iterator = iterator(
                    &self.client,
                    &self.arn,
                    &shard.id,
                    shard.last_sequence.as_deref(),
                )
                .await?;
                out = self
                    .client
                    .get_records()
                    .shard_iterator(shard.iterator.as_str())
                    .send()
                    .await
                    .map_err(|e| format!("reading the stream: {e}"))?;
            }
            if let Some(last) = out
                .records()
                .last()
                .and_then(|r| r.dynamodb())
                .and_then(|d| d.sequence_number())
            {
                shard.last_sequence = Some(last.to_owned());
            }
            for r in out.records() {
                let record = lambda_record(r, &self.arn, &self.region);
                if self.filter.matches(&record) {
                    records.push(record);
                } else {
                    self.dropped.push(record);
                }
            }
            if let Some(next) = out.next_shard_iterator() {
                shard.iterator = next.to_owned();
            }
        }
        Ok((!records.is_empty()).then(|| json!({ "Records": records })))
    }
}

/// An iterator on shard `id`: after `after` (a sequence number), or from the beginning.
async fn iterator(
    client: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    id: &str,
    after: Option<&str>,
) -> Result<String, StreamError> {
    let request = client.get_shard_iterator().stream_arn(arn).shard_id(id);
    let request = match after {
        Some(seq) => request
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(seq),
        None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    let out = request
        .send()
        .await
        .map_err(|e| format!("opening shard {id}: {e}"))?;
    out.shard_iterator()
        .map(str::to_owned)
        .ok_or_else(|| format!("shard {id} gave no iterator"))
}

/// The records of one read as Lambda hands them to the escalator with `batching`: each
/// item's records in one lane and in order (a lane per `ParallelizationFactor`, chosen by
/// the item's keys), a lane's records in batches of at most `BatchSize`. Lanes run at once;
/// a lane's batches one after another.
pub fn lanes(records: Vec<Value>, batching: Batching) -> Vec<Vec<Vec<Value>>> {
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); batching.parallelization.max(1)];
    for record in records {
        let mut hasher = std::hash::DefaultHasher::new();
        record["dynamodb"]["Keys"].to_string().hash(&mut hasher);
        let lane = (hasher.finish() % lanes.len() as u64) as usize;
        lanes[lane].push(record);
    }
    lanes
        .into_iter()
        .filter(|lane| !lane.is_empty())
        .map(|lane| {
            lane.chunks(batching.batch_size.max(1))
                .map(<[Value]>::to_vec)
                .collect()
        })
        .collect()
}

/// What is left of `batch` for Lambda to hand over again after the escalator's partial
/// batch response: the records from the first reported failure on (none if none failed).
pub fn retry_from(batch: &Value, answer: &Value) -> Option<Value> {
    let failed = answer["batchItemFailures"][0]["itemIdentifier"].as_str()?;
    let records = batch["Records"].as_array()?;
    let from = records
        .iter()
        .position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(failed))?;
    Some(json!({"Records": records[from..].to_vec()}))
}

/// One stream record as Lambda's DynamoDB event carries it.
fn lambda_record(r: &Record, stream_arn: &str, region: &str) -> Value {
    let mut change = Map::new();
    if let Some(d) = r.dynamodb() {
        if let Some(t) = d.approximate_creation_date_time() {
            change.insert("ApproximateCreationDateTime".into(), json!(t.secs()));
        }
        for (name, image) in [
            ("Keys", d.keys()),
            ("NewImage", d.new_image()),
            ("OldImage", d.old_image()),
        ] {
            if let Some(image) = image {
                change.insert(name.into(), item_json(image));
            }
        }
        change.insert("SequenceNumber".into(), json!(d.sequence_number()));
        change.insert("SizeBytes".into(), json!(d.size_bytes()));
        if let Some(view) = d.stream_view_type() {
            change.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    json!({
        "eventID": r.event_id(),
        "eventName": r.event_name().map(|n| n.as_str()),
        "eventVersion": r.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
        "dynamodb": change,
    })
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attribute_json(v)))
            .collect(),
    )
}

/// DynamoDB JSON: every value typed, numbers as strings, binary as base64.
fn attribute_json(v: &AttributeValue) -> Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match v {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": b64(b.as_ref())}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(_) => json!({"NULL": true}),
        AttributeValue::Ss(v) => json!({"SS": v}),
        AttributeValue::Ns(v) => json!({"NS": v}),
        AttributeValue::Bs(v) => {
            json!({"BS": v.iter().map(|b| b64(b.as_ref())).collect::<Vec<_>>()})
        }
        AttributeValue::L(items) => {
            json!({"L": items.iter().map(attribute_json).collect::<Vec<_>>()})
        }
        AttributeValue::M(m) => json!({"M": item_json(m)}),
        _ => Value::Null,
    }
}

/// A stream as a test hands it to the escalator: the rest of a failed batch first (Lambda
/// holds the shard until it succeeds), else the new records, else the last batch again
/// (a redelivery).
pub struct TestStream {
    poller: StreamPoller,
    pending: Option<Value>,
    last: Option<Value>,
}

impl TestStream {
    pub async fn for_store(store: &modelwatch::store::Store) -> Self {
        let poller = StreamPoller::for_store(store)
            .await
            .unwrap_or_else(|e| panic!("opening the stream: {e}"));
        Self {
            poller,
            pending: None,
            last: None,
        }
    }

    /// The batch to hand over next; panics if the stream never held one.
    pub async fn next(&mut self) -> Value {
        if let Some(batch) = self.pending.take() {
            return batch;
        }
        let fresh = self
            .poller
            .next_batch()
            .await
            .unwrap_or_else(|e| panic!("reading the stream: {e}"));
        if let Some(batch) = fresh {
            self.last = Some(batch);
        }
        self.last
            .clone()
            .expect("the stream has passed no record yet")
    }

    /// Keeps what Lambda would retry after `answer` to `batch`.
    pub fn answered(&mut self, batch: &Value, answer: &Value) {
        self.pending = retry_from(batch, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(alert: usize, seq: usize) -> Value {
        json!({"dynamodb": {
            "Keys": {"pk": {"S": format!("ALERT#a{alert}")}, "sk": {"S": "STATE"}},
            "SequenceNumber": seq.to_string()
        }})
    }

    #[test]
    fn an_alerts_records_stay_in_one_lane_in_order_in_batches_of_the_batch_size() {
        // 40 alerts, each changed three times, interleaved as the stream holds them.
        let records: Vec<Value> = (0..120).map(|seq| record(seq % 40, seq)).collect();
        let batching = Batching {
            batch_size: 10,
            parallelization: 10,
        };
        let lanes = lanes(records.clone(), batching);
        assert!(
            lanes.len() > 1 && lanes.len() <= 10,
            "{} lanes",
            lanes.len()
        );
        let mut seen = Vec::new();
        for lane in &lanes {
            assert!(
                lane.iter()
                    .all(|batch| !batch.is_empty() && batch.len() <= 10)
            );
            let in_lane: Vec<&Value> = lane.iter().flatten().collect();
            for alert in 0..40 {
                let mine: Vec<&str> = in_lane
                    .iter()
                    .filter(|r| r["dynamodb"]["Keys"] == record(alert, 0)["dynamodb"]["Keys"])
                    .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap_or(""))
                    .collect();
                let expected: Vec<String> = [alert, alert + 40, alert + 80]
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                assert!(
                    mine.is_empty() || mine == expected,
                    "alert {alert}: {mine:?}"
                );
            }
            seen.extend(in_lane.into_iter().cloned());
        }
        assert_eq!(seen.len(), records.len(), "every record handed over once");
    }

    #[test]
    fn one_lane_is_the_stream_in_order() {
        let records: Vec<Value> = (0..25).map(|seq| record(seq % 7, seq)).collect();
        let lanes = lanes(
            records.clone(),
            Batching {
                batch_size: 10,
                parallelization: 1,
            },
        );
        assert_eq!(lanes.len(), 1);
        let sizes: Vec<usize> = lanes[0].iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 5]);
        assert_eq!(lanes[0].concat(), records);
    }
}
