//! The template's stream filter against real stream records: the store writes alerts,
//! receipts and history on the emulator, the stream hands them over in Lambda's shape, and
//! the filter AWS applies (read from `infra/template.yaml`) passes exactly the alert writes
//! that owe deliveries.

use modelwatch::domain::{Level, Timestamp};
use modelwatch::event_filter::FilterPattern;
use modelwatch::store::stream::{delivery_filter, owing_alert};
use modelwatch_tests::fresh_store;
use modelwatch_tests::signals::{key, trigger};
use modelwatch_tests::stream::StreamPoller;
use serde_json::Value;

const ALERT: &str = "stream-filter:chat-large";

fn sort_keys(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["sk"]["S"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_template_filter_passes_owing_alert_writes_and_nothing_else() {
    let store = fresh_store("stream-filter").await;
    let mut stream = StreamPoller::for_store(&store).await.unwrap();
    let now = Timestamp::now();

    // A trigger: the alert owes its Slack message; a receipt and a history entry beside it.
    let applied = store
        .apply_signal(&trigger(ALERT, "t1", now.secs(), Level::L1), now)
        .await
        .unwrap();
    assert!(!applied.transition.alert.owed.is_empty());
    let batch = stream
        .next_batch()
        .await
        .unwrap()
        .expect("the owing write passes");
    let records = batch["Records"].as_array().unwrap();
    assert_eq!(sort_keys(records), ["STATE"], "{batch:#}");
    let record = &records[0];
    assert_eq!(record["dynamodb"]["NewImage"]["owed_count"]["N"], "1");
    assert_eq!(record["eventSource"], "aws:dynamodb");
    let passed = owing_alert(delivery_filter().unwrap(), record).unwrap();
    assert_eq!(passed, Some(key(ALERT)));
    let mut dropped: Vec<&str> = stream
        .dropped
        .iter()
        .filter_map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str())
        .map(|pk| pk.split('#').next().unwrap_or(pk))
        .collect();
    dropped.sort();
    assert_eq!(
        dropped,
        ["HIST", "SIGNAL"],
        "the history entry and the receipt"
    );

    // The escalator's bookkeeping once everything is delivered: nothing owed, no invocation.
    store
        .record(&key(ALERT), |a| {
            a.owed.clear();
            true
        })
        .await
        .unwrap();
    assert_eq!(stream.next_batch().await.unwrap(), None);
    let last = stream.dropped.last().unwrap();
    assert_eq!(last["dynamodb"]["NewImage"]["owed_count"]["N"], "0");
    assert_eq!(last["dynamodb"]["Keys"]["sk"]["S"], "STATE");
}

#[tokio::test]
async fn the_first_templates_numeric_filter_would_have_passed_no_real_record() {
    let store = fresh_store("stream-filter-numeric").await;
    let mut stream = StreamPoller::for_store(&store).await.unwrap();
    let now = Timestamp::now();
    store
        .apply_signal(&trigger(ALERT, "t1", now.secs(), Level::L2), now)
        .await
        .unwrap();
    let batch = stream.next_batch().await.unwrap().expect("an owing write");
    let numeric = FilterPattern::parse(
        r#"{"dynamodb": {"Keys": {"sk": {"S": ["STATE"]}}, "NewImage": {"owed_count": {"N": [{"numeric": [">", 0]}]}}}}"#,
    )
    .unwrap();
    let records = batch["Records"].as_array().unwrap();
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| !numeric.matches(r)));
}

/// The emulator restores a copy of the table when a transaction fails (a lost race on an
/// alert does it); the local stream must keep handing over new writes afterwards, as the
/// real stream does, or local pages wait for the minute clock.
#[tokio::test]
async fn the_stream_keeps_flowing_after_a_failed_transaction() {
    use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};
    let store = fresh_store("stream-after-conflict").await;
    let mut stream = StreamPoller::for_store(&store).await.unwrap();
    let now = Timestamp::now();
    store
        .apply_signal(&trigger("conflict:a", "t1", now.secs(), Level::L1), now)
        .await
        .unwrap();
    assert!(stream.next_batch().await.unwrap().is_some());

    // A transaction whose condition fails, as the loser of a race sees it.
    let check = ConditionCheck::builder()
        .table_name(store.table())
        .key("pk", AttributeValue::S("no-such-item".into()))
        .key("sk", AttributeValue::S("no-such-item".into()))
        .condition_expression("attribute_exists(pk)")
        .build()
        .unwrap();
    let failed = store
        .client()
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await;
    assert!(failed.is_err(), "the condition fails");

    store
        .apply_signal(&trigger("conflict:b", "t2", now.secs(), Level::L1), now)
        .await
        .unwrap();
    let batch = stream
        .next_batch()
        .await
        .unwrap()
        .expect("the write after the failed transaction is handed over");
    let keys: Vec<&str> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str())
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].contains("conflict:b"), "{keys:?}");
}
