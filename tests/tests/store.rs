//! The store against the real DynamoDB emulator process: conditional writes, races,
//! duplicates, TTLs and the open-alerts index.

use aws_sdk_dynamodb::types::AttributeValue;
use modelwatch::domain::{ActionName, Alert, Level, SignalName, Status, Timestamp};
use modelwatch::lifecycle::{self, Outcome};
use modelwatch::store::{Commit, HISTORY_TTL_SECS, RECEIPT_TTL_SECS, StoreError};
use modelwatch_tests::fresh_store;
use modelwatch_tests::signals::{ack, key, recovered, trigger};

fn now() -> Timestamp {
    Timestamp::from_secs(1_795_000_000)
}

/// The UTC day of `now()`, the history partition its entries land in.
fn today() -> String {
    jiff::Timestamp::from_second(now().secs())
        .unwrap()
        .strftime("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn first_signal_creates_the_alert_with_its_owed_page() {
    let store = fresh_store("creates").await;
    let applied = store
        .apply_signal(&trigger("m:1|g", "dd-1", 100, Level::L2), now())
        .await
        .unwrap();
    assert!(applied.written);
    assert_eq!(applied.attempts, 1);
    let alert = store.load(&key("m:1|g")).await.unwrap().unwrap();
    assert_eq!(alert.version, 1);
    assert_eq!(alert.status, Status::Open);
    assert_eq!(alert.owed.len(), 1);
}

#[tokio::test]
async fn duplicate_delivery_is_ignored_and_writes_nothing() {
    let store = fresh_store("duplicate").await;
    let s = trigger("m:1|g", "dd-1", 100, Level::L2);
    store.apply_signal(&s, now()).await.unwrap();
    let again = store.apply_signal(&s, now()).await.unwrap();
    assert!(!again.written);
    assert_eq!(again.transition.outcome, Outcome::Duplicate);
    let alert = store.load(&key("m:1|g")).await.unwrap().unwrap();
    assert_eq!(alert.version, 1);
    assert_eq!(store.history(&today()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_lost_race_is_detected_by_the_version_and_the_receipt() {
    let store = fresh_store("lost-race").await;
    let first = trigger("m:1|g", "dd-1", 100, Level::L2);
    store.apply_signal(&first, now()).await.unwrap();

    // Writer A reads version 1 and prepares an acknowledgement...
    let stale: Alert = store.load(&key("m:1|g")).await.unwrap().unwrap();
    let a = ack("m:1|g", "slack-a", 150, "ana");
    let mut prepared = lifecycle::apply(&stale, &a, now());
    prepared.alert.version = stale.version + 1;

    // ...writer B commits a recovery first.
    let b = recovered("m:1|g", "dd-2", 160);
    assert!(store.apply_signal(&b, now()).await.unwrap().written);

    // A's write must fail on the version, not overwrite B's recovery.
    let outcome = store.commit(&stale, &prepared, &a, now()).await.unwrap();
    assert_eq!(outcome, Commit::Conflict);
    let alert = store.load(&key("m:1|g")).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);

    // Once A's delivery has been applied, replaying its old write hits the receipt.
    store.apply_signal(&a, now()).await.unwrap();
    let replay = store.commit(&stale, &prepared, &a, now()).await.unwrap();
    assert_eq!(replay, Commit::AlreadyReceived);
}

#[tokio::test]
async fn concurrent_writers_on_one_alert_all_end_applied() {
    let store = fresh_store("concurrent").await;
    store
        .apply_signal(&trigger("m:1|g", "dd-1", 100, Level::L2), now())
        .await
        .unwrap();

    // Twelve people press Acknowledge at once: one acknowledges, every press is recorded.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let s = ack(
                    "m:1|g",
                    &format!("slack-{i}"),
                    200 + i,
                    &format!("person-{i}"),
                );
                store.apply_signal(&s, now()).await
            })
        })
        .collect();
    let mut attempts = 0;
    for t in tasks {
        let applied = t.await.unwrap().unwrap();
        assert!(applied.written);
        attempts += applied.attempts;
    }
    assert!(
        attempts > 12,
        "no writer ever lost a race: {attempts} attempts"
    );

    let alert = store.load(&key("m:1|g")).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.version, 13, "one write per signal");
    assert_eq!(alert.seen.len(), 12);
    let acknowledges = alert
        .owed
        .iter()
        .filter(|o| o.action.name() == "acknowledge")
        .count();
    assert_eq!(acknowledges, 1);
}

/// Each history entry carries the alert's version after it, read from its sort key: the
/// order the writes were made in, which the times callers date them with may not be.
#[tokio::test]
async fn history_entries_carry_the_alerts_version_in_commit_order() {
    let store = fresh_store("history-version").await;
    store
        .apply_signal(&trigger("m:1|g", "dd-1", 100, Level::L1), now())
        .await
        .unwrap();
    store
        .apply_signal(&recovered("m:1|g", "dd-2", 200), now())
        .await
        .unwrap();
    let mut history = store.history(&today()).await.unwrap();
    history.sort_by_key(|e| e.version);
    let order: Vec<(u64, SignalName)> = history.iter().map(|e| (e.version, e.signal)).collect();
    assert_eq!(
        order,
        [(1, SignalName::Triggered), (2, SignalName::Recovered)]
    );
}

#[tokio::test]
async fn history_and_receipts_carry_their_ttl() {
    let store = fresh_store("ttl").await;
    let s = trigger("m:1|g", "dd-1", 100, Level::L1);
    store.apply_signal(&s, now()).await.unwrap();

    let history = store.history(&today()).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].signal, SignalName::Triggered);
    assert_eq!(history[0].actions, vec![ActionName::Page]);
    assert_eq!(history[0].ttl, now().secs() + HISTORY_TTL_SECS as i64);

    let receipt = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S("SIGNAL#m:1|g#dd-1".into()))
        .key("sk", AttributeValue::S("SIGNAL".into()))
        .send()
        .await
        .unwrap();
    let ttl = receipt.item().and_then(|i| i.get("ttl")).cloned();
    assert_eq!(
        ttl,
        Some(AttributeValue::N(
            (now().secs() + RECEIPT_TTL_SECS as i64).to_string()
        ))
    );
}

#[tokio::test]
async fn open_alerts_come_from_the_index_oldest_first() {
    let store = fresh_store("open-index").await;
    for (k, at) in [("b", 300), ("a", 100), ("c", 200)] {
        store
            .apply_signal(&trigger(k, &format!("{k}-1"), at, Level::L1), now())
            .await
            .unwrap();
    }
    store
        .apply_signal(&recovered("c", "c-2", 400), now())
        .await
        .unwrap();
    let open: Vec<String> = store
        .open_alerts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key.to_string())
        .collect();
    assert_eq!(open, vec!["a", "b"]);
    assert_eq!(store.all_alerts().await.unwrap().len(), 3);
}

/// An open alert whose item this version cannot read (a newer version's after a
/// rollback, or edited by hand) is skipped with an error logged: the others are read, so
/// one item stops neither the escalation clock nor any other reader of the open alerts.
#[tokio::test]
async fn an_open_alert_that_does_not_decode_is_skipped_and_the_others_read() {
    let store = fresh_store("open-undecodable").await;
    for (k, at) in [("a", 100), ("c", 300)] {
        store
            .apply_signal(&trigger(k, &format!("{k}-1"), at, Level::L1), now())
            .await
            .unwrap();
    }
    for (partition, key) in [("OPEN", "broken"), ("OWING", "broken-owing")] {
        let index = [
            ("gsi1pk", AttributeValue::S(partition.into())),
            ("gsi1sk", AttributeValue::S(format!("0000000000200#{key}"))),
        ];
        modelwatch_tests::put_undecodable_alert(&store, key, &index).await;
    }
    let keys = |alerts: Vec<modelwatch::domain::Alert>| -> Vec<String> {
        alerts.into_iter().map(|a| a.key.to_string()).collect()
    };
    assert_eq!(keys(store.open_alerts().await.unwrap()), vec!["a", "c"]);
    assert!(store.owing_alerts().await.unwrap().is_empty());
    // Read by its key, it is still an error naming it.
    assert!(matches!(
        store.load(&key("broken")).await,
        Err(StoreError::BadItem { .. })
    ));
}

#[tokio::test]
async fn an_item_that_does_not_decode_is_an_error_naming_key_and_field() {
    let store = fresh_store("bad-item").await;
    modelwatch_tests::put_undecodable_alert(&store, "broken", &[]).await;
    let err = store.load(&key("broken")).await.unwrap_err();
    assert!(matches!(err, StoreError::BadItem { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("ALERT#broken/STATE"), "{text}");
    assert!(text.contains("body.cycle"), "{text}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_missing_table_is_rejected_not_retried() {
    let client = modelwatch_tests::client().await;
    let store = modelwatch::store::Store::new(client, "no-such-table");
    let err = store.load(&key("x")).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

/// `record_from` writes from the caller's copy when it is current, and when another writer
/// came in between, applies the change to the fresh alert instead: nothing is lost.
#[tokio::test]
async fn recording_from_a_stale_copy_applies_to_the_fresh_alert() {
    let store = fresh_store("record-from").await;
    let k = key("m:1|g");
    store
        .apply_signal(&trigger("m:1|g", "dd-1", 100, Level::L2), now())
        .await
        .unwrap();
    let copy = store.load(&k).await.unwrap().unwrap();

    let written = store
        .record_from(&k, Some(copy.clone()), |a| {
            a.deliveries.cycle = 7;
            true
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(written.version, copy.version + 1, "one write from the copy");

    // `copy` is now stale: another writer's change must survive ours.
    let ours = store
        .record_from(&k, Some(copy.clone()), |a| {
            a.deliveries.slack.clear();
            a.held += 1;
            true
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ours.version, copy.version + 2);
    let stored = store.load(&k).await.unwrap().unwrap();
    assert_eq!(
        stored.deliveries.cycle, 7,
        "the other writer's change is kept"
    );
    assert_eq!(stored.held, copy.held + 1);
}

#[tokio::test]
async fn the_last_good_run_only_moves_forward() {
    let store = fresh_store("last-run").await;
    assert_eq!(store.last_run().await.unwrap(), None);
    let run = |secs: i64, monitors: &[&str]| modelwatch::domain::LastRun {
        at: Timestamp::from_secs(secs),
        monitors: monitors.iter().map(|m| m.to_string()).collect(),
    };
    let later = run(1_795_000_120, &["latency", "errors"]);
    assert!(
        store
            .put_last_run(&run(1_795_000_060, &["latency"]))
            .await
            .unwrap()
    );
    assert!(store.put_last_run(&later).await.unwrap());
    // A retried invocation of an earlier minute finishing late leaves the newer one.
    assert!(
        !store
            .put_last_run(&run(1_795_000_060, &["latency"]))
            .await
            .unwrap()
    );
    assert!(!store.put_last_run(&later).await.unwrap());
    assert_eq!(store.last_run().await.unwrap(), Some(later));
}

#[tokio::test]
async fn the_table_check_passes_on_the_alerts_table_and_names_any_other() {
    let store = fresh_store("table-check").await;
    store.check_table().await.unwrap_or_else(|e| panic!("{e}"));

    let client = modelwatch_tests::client().await;
    let missing = modelwatch::store::Store::new(client.clone(), "no-such-table".to_owned());
    let err = missing.check_table().await.unwrap_err().to_string();
    assert!(
        err.contains("`no-such-table`") && err.contains("ResourceNotFound"),
        "{err}"
    );

    // A table with another key (a name typed wrong for another table of the account).
    let other = table_with_another_key(&client, "table-check-other-key").await;
    let err = modelwatch::store::Store::new(client, other.clone())
        .check_table()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("`{other}`")) && err.contains("Validation"),
        "{err}"
    );
}

/// The escalator's cold start reads the silences in force in place of the table check:
/// that read fails on a missing table and on one with another key as the check does,
/// and names the table.
#[tokio::test]
async fn the_silences_read_checks_the_table_as_the_table_check_does() {
    let now = Timestamp::now();
    let read = |store: modelwatch::store::Store| async move {
        store
            .silences(now)
            .await
            .map_err(|e| store.naming_table(e).to_string())
    };
    let store = fresh_store("silences-check").await;
    assert_eq!(read(store).await, Ok(Vec::new()));

    let client = modelwatch_tests::client().await;
    let missing = modelwatch::store::Store::new(client.clone(), "no-such-table".to_owned());
    let err = read(missing).await.unwrap_err();
    assert!(
        err.contains("`no-such-table`") && err.contains("ResourceNotFound"),
        "{err}"
    );
    let other = table_with_another_key(&client, "silences-check-other-key").await;
    let err = read(modelwatch::store::Store::new(client, other.clone()))
        .await
        .unwrap_err();
    assert!(
        err.contains(&format!("`{other}`")) && err.contains("Validation"),
        "{err}"
    );
}

/// A new table keyed by `id` alone: another table of the account, typed by mistake.
async fn table_with_another_key(client: &aws_sdk_dynamodb::Client, test: &str) -> String {
    let other = modelwatch_tests::unique_table_name(test);
    client
        .create_table()
        .table_name(&other)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    other
}

/// The alert a hashed PagerDuty dedup key stands for: kept with a year's TTL, read back
/// by its digest, nothing for a digest never remembered, and an item whose key does not
/// hash to its digest refused by name.
#[tokio::test]
async fn a_hashed_pagerduty_key_reads_back_to_its_alert() {
    use modelwatch::page::HashedAlertKey;
    let store = fresh_store("hashed-keys").await;
    let hashed = HashedAlertKey::of(&key(&format!("eval:latency|{}", "m".repeat(300))));
    store.remember_hashed_key(&hashed, now()).await.unwrap();
    assert_eq!(
        store.hashed_alert_key(&hashed.digest).await.unwrap(),
        Some(hashed.key.clone())
    );
    let other = HashedAlertKey::of(&key("eval:latency|another"));
    assert_eq!(store.hashed_alert_key(&other.digest).await.unwrap(), None);

    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .key(
            "pk",
            AttributeValue::S(format!("PAGERDUTY_KEY#sha256:{}", hashed.digest)),
        )
        .key("sk", AttributeValue::S("ALERT".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let ttl: u64 = match &item["ttl"] {
        AttributeValue::N(n) => n.parse().unwrap(),
        other => panic!("ttl {other:?}"),
    };
    assert_eq!(
        ttl,
        now()
            .plus_secs(modelwatch::store::HASHED_KEY_TTL_SECS)
            .secs() as u64
    );

    // Another alert's key under this digest is not taken for it.
    let mut tampered = item.clone();
    tampered.insert(
        "alert_key".into(),
        AttributeValue::S(other.key.as_str().into()),
    );
    modelwatch_tests::put_raw_item(&store, tampered).await;
    let err = store.hashed_alert_key(&hashed.digest).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::BadItem { field, .. } if field == "alert_key"),
        "{err}"
    );
}

/// A subscription row that does not decode (written by hand, or by a newer version) is
/// skipped: the others are still read, so one entry keeps no report or page from anyone.
#[tokio::test]
async fn an_undecodable_subscription_is_skipped_and_the_others_read() {
    use modelwatch::domain::{Subscription, Topic};
    let store = fresh_store("bad-subscription").await;
    let good = Subscription {
        topic: Topic::Daily,
        subscriber: "U0GOOD".into(),
        name: "good".into(),
        channel: "C0REPORTS".into(),
        model: None,
        created_at: now(),
    };
    store.subscribe(&good).await.unwrap();
    modelwatch_tests::put_raw_item(
        &store,
        [
            ("pk", AttributeValue::S("SUB#daily".into())),
            ("sk", AttributeValue::S("U0BAD#*".into())),
            ("body", AttributeValue::S("{\"topic\": 7}".into())),
        ],
    )
    .await;
    let read = store.subscriptions(Topic::Daily).await.unwrap();
    assert_eq!(read, vec![good]);
}

/// A silence a newer version stored, with a matcher field this one does not know, mutes
/// nothing here and leaves the others readable: one such item must not fail every delivery
/// that checks the silences (a rollback after the newer version made one).
#[tokio::test]
async fn a_silence_this_version_cannot_read_is_skipped_not_an_error() {
    use modelwatch::domain::{Matcher, Silence};
    let store = fresh_store("silence-unreadable").await;
    let at = now();
    let good = Silence::new(
        vec!["model=chat-large".parse::<Matcher>().unwrap()],
        at,
        at.plus_secs(3600),
        "dana",
        "",
        at,
    )
    .unwrap();
    store.put_silence_once(&good, at, None).await.unwrap();
    // The same silence as stored, but for a field this version does not know.
    let mut newer = serde_json::to_value(&good).unwrap();
    newer["id"] = serde_json::json!("sil-1-0001");
    newer["matchers"][0]["field"] = serde_json::json!("region");
    modelwatch_tests::put_raw_item(
        &store,
        [
            ("pk", AttributeValue::S("SILENCES".into())),
            ("sk", AttributeValue::S("sil-1-0001".into())),
            ("body", AttributeValue::S(newer.to_string())),
        ],
    )
    .await;
    let read = store.silences(at).await.unwrap();
    assert_eq!(read, vec![good]);
}

/// A report's claim: one delivery at a time; another waits while it is held unfinished,
/// and takes it once it is given back or run out (its holder crashed); once finished (the
/// report posted), no delivery takes it, however late. A holder that outlived its claim
/// neither finishes nor gives back the one who took over.
#[tokio::test]
async fn a_report_claim_lets_one_delivery_post_at_a_time() {
    use modelwatch::store::Claimed;
    let store = fresh_store("report-claim").await;
    let report = "daily|ml-team|#modelwatch|2026-11-23T09:00:00Z";
    let t0 = now();
    let claim_of = |report: &'static str, at: u64| {
        let store = store.clone();
        async move {
            store
                .claim_report(report, (t0.plus_secs(at), t0.plus_secs(at + 120)), false)
                .await
                .unwrap()
        }
    };
    let claim = |at: u64| async move {
        match claim_of(report, at).await {
            Claimed::Held { holder } => holder,
            other => panic!("expected the claim at {at} s, got {other:?}"),
        }
    };
    let first = claim(0).await;
    assert_eq!(
        claim_of(report, 10).await,
        Claimed::Busy {
            until: t0.plus_secs(120)
        }
    );
    // Another report is claimed on its own.
    store
        .claim_report(
            "weekly|executives|#leadership|x",
            (t0, t0.plus_secs(120)),
            false,
        )
        .await
        .unwrap();
    assert!(
        store
            .report_claim("weekly|executives|#leadership|x")
            .await
            .unwrap()
            .is_some()
    );

    // The first ran out (crashed): the next delivery takes over.
    let second = claim(121).await;
    assert_ne!(first, second);
    store.finish_report(report, &first).await.unwrap();
    store.release_report(report, &first).await.unwrap();
    let held = store.report_claim(report).await.unwrap().unwrap();
    assert_eq!(
        (held.holder.as_str(), held.finished, held.until),
        (second.as_str(), false, t0.plus_secs(241))
    );
    assert!(matches!(claim_of(report, 122).await, Claimed::Busy { .. }));

    // Finished: every later delivery is told so and takes nothing, even after its time.
    store.finish_report(report, &second).await.unwrap();
    assert!(store.report_claim(report).await.unwrap().unwrap().finished);
    assert_eq!(claim_of(report, 123).await, Claimed::Finished);
    assert_eq!(claim_of(report, 3_600).await, Claimed::Finished);
    let held = store.report_claim(report).await.unwrap().unwrap();
    assert_eq!(held.holder, second, "a finished claim was taken");
    // Asked to post it again (an operator's re-run): taken.
    let again = store
        .claim_report(report, (t0.plus_secs(3_600), t0.plus_secs(3_720)), true)
        .await
        .unwrap();
    assert!(matches!(again, Claimed::Held { .. }), "{again:?}");

    // Given back (it could not post): the next takes it at once.
    let other = "daily|ml-team|#modelwatch|2026-11-24T09:00:00Z";
    let Claimed::Held { holder } = claim_of(other, 0).await else {
        panic!("a new report's claim is held");
    };
    assert!(matches!(claim_of(other, 1).await, Claimed::Busy { .. }));
    // A re-run (`again`) takes a finished claim, never one held.
    let held = store
        .claim_report(other, (t0.plus_secs(1), t0.plus_secs(121)), true)
        .await
        .unwrap();
    assert!(matches!(held, Claimed::Busy { .. }), "{held:?}");
    store.release_report(other, &holder).await.unwrap();
    assert!(matches!(claim_of(other, 2).await, Claimed::Held { .. }));
}
