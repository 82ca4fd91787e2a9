//! The PagerDuty client against the PagerDuty fake: delivery, retries, rejections, and
//! the fake's own validation.

use std::time::{Duration, Instant};

use modelwatch::http::{BaseUrl, DeliveryError, RetryPolicy};
use modelwatch::pagerduty::{
    ChangeBuilder, DedupKey, Event, PagerDutyClient, RoutingKey, Severity, TriggerBuilder,
};
use modelwatch::secret::Secret;
use modelwatch_tests::fakes::{AlertStatus, Fault, PagerDutyFake};
use serde_json::{Value, json};

const KEY: &str = "e93facc04764012d7bfb002500d5d1a6";

fn routing_key() -> RoutingKey {
    RoutingKey::new(Secret::new(KEY)).expect("32 characters")
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        deadline: Duration::from_secs(10),
    }
}

fn client(fake: &PagerDutyFake) -> PagerDutyClient {
    let timeouts = modelwatch_tests::quick_timeouts();
    PagerDutyClient::new(BaseUrl::new(&fake.url()).unwrap(), timeouts)
        .unwrap()
        .with_retry_policy(fast())
}

fn trigger(key: &str) -> Event {
    TriggerBuilder::new(
        "p95 generation latency 2.8 s above 2.0 s on chat-large v7",
        "modelwatch",
        Severity::Error,
    )
    .component("chat-large")
    .group("prod")
    .class("latency")
    .link("https://app.datadoghq.com/monitors/42", "Monitor")
    .build(DedupKey::new(key).unwrap())
    .unwrap()
}

fn assert_no_secret(err: &DeliveryError) {
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "the routing key leaked: {shown}");
}

#[tokio::test]
async fn trigger_is_delivered_and_held_by_its_dedup_key() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let accepted = client(&fake)
        .send(&routing_key(), &trigger("alert-1"))
        .await
        .unwrap();
    assert_eq!(accepted.dedup_key, "alert-1");
    assert_eq!(accepted.message, "Event processed");
    let alerts = fake.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].status, AlertStatus::Triggered);
    assert_eq!(alerts[0].severity, "error");
}

#[tokio::test]
async fn same_key_updates_then_acknowledge_resolve_and_a_new_alert_after_resolve() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let pd = client(&fake);
    let key = DedupKey::new("alert-2").unwrap();
    pd.send(&routing_key(), &trigger("alert-2")).await.unwrap();
    pd.send(&routing_key(), &trigger("alert-2")).await.unwrap();
    assert_eq!(fake.alerts().len(), 1);
    assert_eq!(fake.alerts()[0].triggers, 2);

    pd.send(&routing_key(), &Event::acknowledge(key.clone()))
        .await
        .unwrap();
    assert_eq!(fake.alerts()[0].status, AlertStatus::Acknowledged);
    pd.send(&routing_key(), &Event::resolve(key)).await.unwrap();
    assert_eq!(fake.alerts()[0].status, AlertStatus::Resolved);
    assert!(fake.open_alerts().is_empty());

    pd.send(&routing_key(), &trigger("alert-2")).await.unwrap();
    let alerts = fake.alerts();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[1].status, AlertStatus::Triggered);
}

#[tokio::test]
async fn three_server_errors_then_success_is_delivered_once() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().fail_next(3, 500);
    client(&fake)
        .send(&routing_key(), &trigger("alert-3"))
        .await
        .unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 4);
    assert_eq!(
        received.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 500, 202]
    );
    assert_eq!(fake.open_alerts().len(), 1);
    assert_eq!(fake.alerts()[0].triggers, 1);
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().push(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let started = Instant::now();
    client(&fake)
        .send(&routing_key(), &trigger("alert-4"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.received().len(), 2);
    assert_eq!(fake.open_alerts().len(), 1);
}

#[tokio::test]
async fn a_400_is_rejected_with_pagerdutys_errors_and_never_retried() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().fail_next(1, 400);
    let err = client(&fake)
        .send(&routing_key(), &trigger("alert-5"))
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    match &err {
        DeliveryError::Rejected {
            status, details, ..
        } => {
            assert_eq!(*status, Some(400));
            assert_eq!(details, &vec!["injected 400".to_string()]);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(fake.received().len(), 1);
    assert_no_secret(&err);
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().push(Fault::Slow { delay_ms: 1500 }, 1);
    client(&fake)
        .send(&routing_key(), &trigger("alert-6"))
        .await
        .unwrap();
    assert_eq!(fake.open_alerts().len(), 1);
}

#[tokio::test]
async fn persistent_outage_gives_up_retryable_without_the_key_in_the_error() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().fail_next(10, 503);
    let err = client(&fake)
        .send(&routing_key(), &trigger("alert-7"))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().contains("5 attempt(s)"), "{err}");
    assert_eq!(fake.received().len(), 5);
    assert_no_secret(&err);
}

#[tokio::test]
async fn timeouts_that_never_end_give_up_without_the_key_in_the_error() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    fake.faults().push(Fault::Slow { delay_ms: 2000 }, 10);
    let pd = client(&fake).with_retry_policy(RetryPolicy {
        max_attempts: 2,
        ..fast()
    });
    let err = pd
        .send(&routing_key(), &trigger("alert-8"))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_no_secret(&err);
}

#[tokio::test]
async fn change_events_are_accepted() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let change = ChangeBuilder::new("Deployed chat-large v8 to prod")
        .source("deploy-pipeline")
        .link("https://ci.example.com/builds/2", "Build")
        .build()
        .unwrap();
    client(&fake)
        .send_change(&routing_key(), &change)
        .await
        .unwrap();
    let changes = fake.changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].summary, "Deployed chat-large v8 to prod");
}

async fn post_raw(fake: &PagerDutyFake, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v2/enqueue", fake.url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn raw_trigger() -> Value {
    json!({
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "raw-1",
        "payload": {"summary": "x", "source": "modelwatch", "severity": "error"}
    })
}

#[tokio::test]
async fn fake_refuses_an_oversized_summary_like_pagerduty() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut event = raw_trigger();
    event["payload"]["summary"] = json!("s".repeat(1025));
    let (status, body) = post_raw(&fake, &event).await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "invalid event");
    assert_eq!(body["message"], "Event object is invalid");
    let errors = body["errors"].to_string();
    assert!(errors.contains("'payload.summary' is too long"), "{errors}");
    assert!(fake.alerts().is_empty());
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].operation, "/v2/enqueue");
    assert_eq!(
        violations[0].breaches,
        ["/payload/summary: must be less than 1025 characters"]
    );
}

#[tokio::test]
async fn an_event_without_routing_key_is_refused_and_recorded_as_a_contract_violation() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut event = raw_trigger();
    event.as_object_mut().unwrap().remove("routing_key");
    let (status, body) = post_raw(&fake, &event).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"], json!(["'routing_key' is missing or blank"]));
    let received = fake.received();
    assert_eq!(received[0].violations.len(), 1);
    assert_eq!(fake.contract_violations().len(), 1);
    fake.take_contract_violations();
}

#[tokio::test]
#[should_panic(expected = "break the vendor's contract")]
async fn a_violation_no_test_took_fails_the_test_when_the_fake_stops() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut event = raw_trigger();
    event["payload"]["summary"] = json!("s".repeat(1025));
    post_raw(&fake, &event).await;
}

#[tokio::test]
async fn pagerdutys_own_example_events_keep_the_contract() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let change = json!({
        "routing_key": KEY,
        "payload": {"summary": "Build Success", "timestamp": "2015-07-17T08:42:58.315+0000",
                    "source": "prod-build-agent", "custom_details": {"build_state": "passed"}},
        "links": [{"href": "https://buildpipeline.com/builds/220", "text": "View"}]
    });
    let accepted = reqwest::Client::new()
        .post(format!("{}/v2/change/enqueue", fake.url()))
        .json(&change)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(accepted, 202);
    let mut event = raw_trigger();
    event["payload"]["timestamp"] = json!("2015-07-17T08:42:58.315+0000");
    let (status, _) = post_raw(&fake, &event).await;
    assert_eq!(status, 202);
    assert!(fake.contract_violations().is_empty());
}

#[tokio::test]
async fn fake_refuses_bad_keys_severities_and_missing_fields() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut event = raw_trigger();
    event["routing_key"] = json!("short");
    event["payload"]["severity"] = json!("fatal");
    event["payload"]["source"] = json!("");
    let (status, body) = post_raw(&fake, &event).await;
    assert_eq!(status, 400);
    let errors: Vec<String> = serde_json::from_value(body["errors"].clone()).unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Length of 'routing_key' is incorrect")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("'payload.severity' is invalid"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e == "'payload.source' is missing or blank")
    );

    let resolve = json!({"routing_key": KEY, "event_action": "resolve"});
    let (status, body) = post_raw(&fake, &resolve).await;
    assert_eq!(status, 400);
    assert!(
        body["errors"]
            .to_string()
            .contains("'dedup_key' is missing")
    );
    assert_eq!(fake.take_contract_violations().len(), 2);
}

#[tokio::test]
async fn fake_refuses_an_event_over_512_kb() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut event = raw_trigger();
    event["payload"]["custom_details"] = json!({"log": "x".repeat(600 * 1024)});
    let (status, body) = post_raw(&fake, &event).await;
    assert_eq!(status, 400);
    assert!(body["errors"].to_string().contains("too large"));
    assert_eq!(fake.take_contract_violations().len(), 1);
}

#[tokio::test]
async fn the_client_keeps_an_oversized_event_under_the_limit_so_the_fake_takes_it() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let mut details = serde_json::Map::new();
    details.insert("log".into(), json!("x".repeat(600 * 1024)));
    let event = TriggerBuilder::new("big", "modelwatch", Severity::Warning)
        .custom_details(details)
        .build(DedupKey::new("big-1").unwrap())
        .unwrap();
    client(&fake).send(&routing_key(), &event).await.unwrap();
    let held = &fake.alerts()[0];
    let note = held.custom_details.as_ref().unwrap()["note"]
        .as_str()
        .unwrap();
    assert!(note.contains("custom_details dropped"));
}

#[tokio::test]
async fn received_requests_and_faults_are_listed_over_http() {
    let fake = PagerDutyFake::start(0).await.unwrap();
    let http = reqwest::Client::new();
    let plan = json!({"kind": "status", "status": 502, "count": 1});
    let status = http
        .post(format!("{}/_faults", fake.url()))
        .json(&plan)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    client(&fake)
        .send(&routing_key(), &trigger("alert-9"))
        .await
        .unwrap();
    let received: Value = http
        .get(format!("{}/_received", fake.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(received[0]["status"], 502);
    assert_eq!(received[0]["fault"]["kind"], "status");
    assert_eq!(received[1]["status"], 202);
    assert_eq!(received[1]["body"]["dedup_key"], "alert-9");
    let alerts: Value = http
        .get(format!("{}/_alerts", fake.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(alerts[0]["status"], "triggered");
}
