//! Which records of the table's stream owe deliveries: the filter the SAM template gives
//! the escalator's event source mapping, read from the template itself so the escalator,
//! the local stream poller and the tests apply exactly what Lambda applies in AWS.

use std::sync::OnceLock;

use serde_json::Value;

use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use super::item::{ALERT_PREFIX, ALERT_SK, decode_alert};
use crate::domain::{Alert, AlertKey};
use crate::event_filter::{FilterError, FilterPattern};

/// The deployment template, compiled in for its stream filter.
pub const TEMPLATE: &str = include_str!("../../../infra/template.yaml");

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum StreamFilterError {
    #[error(
        "infra/template.yaml: expected exactly one `- Pattern: '…'` line (the escalator's stream filter), found {0}"
    )]
    NotFound(usize),
    #[error("infra/template.yaml line {line}: the stream filter is not a single-quoted string")]
    NotQuoted { line: usize },
    #[error("infra/template.yaml line {line}: {source}")]
    Pattern { line: usize, source: FilterError },
}

/// The escalator's stream filter, parsed from the compiled-in template.
pub fn delivery_filter() -> Result<&'static FilterPattern, StreamFilterError> {
    static FILTER: OnceLock<Result<FilterPattern, StreamFilterError>> = OnceLock::new();
    FILTER
        .get_or_init(|| filter_in_template(TEMPLATE))
        .as_ref()
        .map_err(Clone::clone)
}

/// Finds the one `Pattern:` of the template's `FilterCriteria` (a single-quoted YAML
/// scalar on one line) and parses it.
pub fn filter_in_template(template: &str) -> Result<FilterPattern, StreamFilterError> {
    let found = lines_starting(template, "- Pattern:");
    let [(line, scalar)] = found[..] else {
        return Err(StreamFilterError::NotFound(found.len()));
    };
    let text = scalar
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .ok_or(StreamFilterError::NotQuoted { line })?
        .replace("''", "'");
    FilterPattern::parse(&text).map_err(|source| StreamFilterError::Pattern { line, source })
}

/// Each line of `template` that starts with `prefix` after its indentation: the line's
/// number and the rest of it, trimmed.
fn lines_starting<'t>(template: &'t str, prefix: &str) -> Vec<(usize, &'t str)> {
    template
        .lines()
        .enumerate()
        .filter_map(|(i, line)| Some((i + 1, line.trim_start().strip_prefix(prefix)?.trim())))
        .collect()
}

/// How Lambda hands the stream to the escalator: the event source mapping's `BatchSize`
/// (records a batch) and `ParallelizationFactor` (batches of one shard at once, one
/// item's records always in order), read from the template like the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    pub batch_size: usize,
    pub parallelization: usize,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum BatchingError {
    #[error(
        "infra/template.yaml: expected exactly one `{setting}:` line (the escalator's stream mapping), found {found}"
    )]
    Count { setting: &'static str, found: usize },
    #[error(
        "infra/template.yaml line {line}: `{setting}: {value}`: expected a whole number from 1 to {max}"
    )]
    Value {
        line: usize,
        setting: &'static str,
        value: String,
        max: usize,
    },
}

/// The escalator's batching, parsed from the compiled-in template.
pub fn batching() -> Result<Batching, BatchingError> {
    static BATCHING: OnceLock<Result<Batching, BatchingError>> = OnceLock::new();
    BATCHING
        .get_or_init(|| batching_in_template(TEMPLATE))
        .clone()
}

/// Reads `BatchSize` (required) and `ParallelizationFactor` (Lambda's default 1 when
/// absent), each within the limits Lambda accepts for DynamoDB streams.
pub fn batching_in_template(template: &str) -> Result<Batching, BatchingError> {
    let setting = |setting: &'static str, max: usize, default: Option<usize>| {
        let found = lines_starting(template, &format!("{setting}:"));
        match (&found[..], default) {
            ([], Some(default)) => Ok(default),
            ([(line, value)], _) => value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| BatchingError::Value {
                    line: *line,
                    setting,
                    value: (*value).to_owned(),
                    max,
                }),
            _ => Err(BatchingError::Count {
                setting,
                found: found.len(),
            }),
        }
    };
    Ok(Batching {
        batch_size: setting("BatchSize", 10_000, None)?,
        parallelization: setting("ParallelizationFactor", 10, Some(1))?,
    })
}

/// The alert a stream record (as Lambda delivers it) owes deliveries for: `None` for
/// records the filter drops (receipts, history, writes that leave nothing owed).
pub fn owing_alert(
    filter: &FilterPattern,
    record: &Value,
) -> Result<Option<AlertKey>, OwingRecordError> {
    if !filter.matches(record) {
        return Ok(None);
    }
    let keys = &record["dynamodb"]["Keys"];
    let (Some(pk), Some(ALERT_SK)) = (keys["pk"]["S"].as_str(), keys["sk"]["S"].as_str()) else {
        return Err(OwingRecordError::NotAnAlert(keys.to_string()));
    };
    let key = pk
        .strip_prefix(ALERT_PREFIX)
        .ok_or_else(|| OwingRecordError::NotAnAlert(keys.to_string()))?;
    AlertKey::new(key)
        .map(Some)
        .map_err(|e| OwingRecordError::BadKey(e.to_string()))
}

/// The alert as the record's write left it (its `NewImage`), or `None` when the record
/// carries no image of the alert's body (a stream view without new images). A delivery
/// may start from it instead of reading the table: its claim is conditioned on the
/// version the image shows, so a stale image is refused, never taken for the alert.
pub fn image_alert(record: &Value) -> Option<Result<Alert, StoreError>> {
    let image = &record["dynamodb"]["NewImage"];
    let body = image["body"]["S"].as_str()?;
    let text = |name: &str, kind: &str| image[name][kind].as_str().unwrap_or_default().to_owned();
    let item = [
        ("pk", AttributeValue::S(text("pk", "S"))),
        ("sk", AttributeValue::S(text("sk", "S"))),
        ("body", AttributeValue::S(body.to_owned())),
        ("version", AttributeValue::N(text("version", "N"))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Some(decode_alert(&item))
}

#[derive(Debug, thiserror::Error)]
pub enum OwingRecordError {
    #[error(
        "the stream filter let through a record that is not an alert item (keys {0}): expected pk ALERT#… and sk STATE"
    )]
    NotAnAlert(String),
    #[error("stream record with an invalid alert key: {0}")]
    BadKey(String),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn alert_record(owed: &str) -> Value {
        json!({
            "eventID": "e1", "eventName": "MODIFY", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"pk": {"S": "ALERT#chat-latency#model:chat"}, "sk": {"S": "STATE"}},
                "NewImage": {
                    "pk": {"S": "ALERT#chat-latency#model:chat"}, "sk": {"S": "STATE"},
                    "owed_count": {"N": owed}, "version": {"N": "3"}
                },
                "SequenceNumber": "100", "SizeBytes": 120, "StreamViewType": "NEW_AND_OLD_IMAGES"
            }
        })
    }

    /// A DynamoDB attribute value as a stream record writes it in Lambda's event.
    fn as_event_json(value: &AttributeValue) -> Value {
        match value {
            AttributeValue::S(s) => json!({ "S": s }),
            AttributeValue::N(n) => json!({ "N": n }),
            AttributeValue::Bool(b) => json!({ "BOOL": b }),
            other => panic!("unexpected attribute {other:?}"),
        }
    }

    #[test]
    fn the_image_of_an_alert_write_is_the_alert_written_and_a_record_without_one_has_none() {
        let mut alert = Alert::blank(AlertKey::new("chat-latency#model:chat").expect("key"));
        alert.version = 7;
        let item = super::super::item::encode_alert(&alert).expect("encode");
        let image: serde_json::Map<String, Value> = item
            .iter()
            .map(|(k, v)| (k.clone(), as_event_json(v)))
            .collect();
        let record = json!({"dynamodb": {"NewImage": image}});
        let decoded = image_alert(&record).expect("an image").expect("an alert");
        assert_eq!(decoded, alert);

        let keys_only =
            json!({"dynamodb": {"Keys": {"pk": {"S": "ALERT#x"}, "sk": {"S": "STATE"}}}});
        assert!(image_alert(&keys_only).is_none());
        let mut bad = record.clone();
        bad["dynamodb"]["NewImage"]["body"]["S"] = json!("{\"key\": 3}");
        let error = image_alert(&bad)
            .expect("an image")
            .expect_err("not an alert")
            .to_string();
        assert!(error.contains("body"), "{error}");
    }

    #[test]
    fn the_template_filter_parses() {
        delivery_filter().expect("the template's stream filter");
    }

    #[test]
    fn an_alert_owing_deliveries_passes_and_one_owing_nothing_does_not() {
        let filter = delivery_filter().expect("filter");
        let key = owing_alert(filter, &alert_record("2")).expect("alert record");
        assert_eq!(
            key.map(|k| k.to_string()).as_deref(),
            Some("chat-latency#model:chat")
        );
        assert_eq!(owing_alert(filter, &alert_record("0")).expect("ok"), None);
    }

    #[test]
    fn receipts_history_and_removals_do_not_pass() {
        let filter = delivery_filter().expect("filter");
        let receipt = json!({"eventName": "INSERT", "dynamodb": {
            "Keys": {"pk": {"S": "SIGNAL#a#b"}, "sk": {"S": "SIGNAL"}},
            "NewImage": {"owed_count": {"N": "1"}}}});
        assert!(!filter.matches(&receipt));
        let removed = json!({"eventName": "REMOVE", "dynamodb": {
            "Keys": {"pk": {"S": "ALERT#a"}, "sk": {"S": "STATE"}},
            "OldImage": {"owed_count": {"N": "1"}}}});
        assert!(!filter.matches(&removed));
    }

    #[test]
    fn a_numeric_filter_like_the_first_template_would_have_dropped_every_record() {
        let old = FilterPattern::parse(
            r#"{"dynamodb": {"Keys": {"sk": {"S": ["STATE"]}}, "NewImage": {"owed_count": {"N": [{"numeric": [">", 0]}]}}}}"#,
        )
        .expect("valid");
        assert!(!old.matches(&alert_record("2")));
    }

    #[test]
    fn the_template_batches_ten_alerts_ten_batches_at_once() {
        let b = batching().expect("the template's batching");
        assert_eq!((b.batch_size, b.parallelization), (10, 10));
    }

    #[test]
    fn batching_is_read_within_lambdas_limits() {
        let read = batching_in_template;
        assert_eq!(
            read("  BatchSize: 25\n"),
            Ok(Batching {
                batch_size: 25,
                parallelization: 1
            })
        );
        assert_eq!(
            read("Resources: {}"),
            Err(BatchingError::Count {
                setting: "BatchSize",
                found: 0
            })
        );
        assert!(matches!(
            read("BatchSize: 10\nParallelizationFactor: 11\n"),
            Err(BatchingError::Value {
                line: 2,
                setting: "ParallelizationFactor",
                max: 10,
                ..
            })
        ));
        assert!(matches!(
            read("BatchSize: ten\n"),
            Err(BatchingError::Value { line: 1, .. })
        ));
        assert!(matches!(
            read("BatchSize: 1\nBatchSize: 2\n"),
            Err(BatchingError::Count { found: 2, .. })
        ));
    }

    #[test]
    fn a_setting_is_found_only_where_a_line_starts_with_it() {
        let text = "a: 1\r\n  BatchSize: 7\r\n# BatchSize: 8\nx BatchSize: 9\nBatchSize:10";
        assert_eq!(
            lines_starting(text, "BatchSize:"),
            vec![(2, "7"), (5, "10")]
        );
    }

    #[test]
    fn the_template_must_hold_exactly_one_quoted_pattern() {
        assert_eq!(
            filter_in_template("Resources: {}").unwrap_err(),
            StreamFilterError::NotFound(0)
        );
        let two = "- Pattern: '{\"a\": [\"b\"]}'\n- Pattern: '{\"a\": [\"c\"]}'\n";
        assert_eq!(
            filter_in_template(two).unwrap_err(),
            StreamFilterError::NotFound(2)
        );
        assert!(matches!(
            filter_in_template("  - Pattern: {\"a\": 1}\n").unwrap_err(),
            StreamFilterError::NotQuoted { line: 1 }
        ));
        let quoted = "  - Pattern: '{\"a\": [\"it''s\"]}'\n";
        let p = filter_in_template(quoted).expect("valid");
        assert!(p.matches(&json!({"a": "it's"})));
    }
}
