//! `POST /webhooks/pagerduty` end to end on the DynamoDB emulator: signed v3 incident
//! events acknowledge and resolve the alert cycle they were paged for; a wrong signature
//! is refused and changes nothing.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use modelwatch::domain::Status;
use modelwatch::store::Store;
use modelwatch_tests::fresh_store;
use modelwatch_tests::signals::key;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const TOKEN: &str = "test-webhook-token-0123456789";
const PD_SECRET: &str = "pd-webhook-secret-abcdef0123456789";
const ALERT: &str = "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7";

/// A webhook fixture, its times moved to the recent past (`sent_fixture`).
fn fixture(path: &str) -> Vec<u8> {
    modelwatch_tests::sent_fixture(path)
}

fn app(store: Store) -> Router {
    modelwatch_tests::intake_router(
        store,
        &[
            ("webhook_token", TOKEN),
            ("pagerduty_webhook_secret", PD_SECRET),
        ],
    )
}

/// HMAC-SHA256 as PagerDuty computes it (written out here, independent of the intake's).
fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..secret.len()].copy_from_slice(secret);
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(body)
        .finalize();
    let outer = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    hex::encode(outer)
}

async fn send(
    app: &Router,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut req = Request::post(path).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn pagerduty(app: &Router, body: Vec<u8>) -> (StatusCode, Value) {
    let signature = format!("v1={}", hmac_hex(PD_SECRET.as_bytes(), &body));
    send(
        app,
        "/webhooks/pagerduty",
        body,
        &[("x-pagerduty-signature", signature)],
    )
    .await
}

async fn open_alert(app: &Router) {
    let (status, body) = send(
        app,
        "/webhooks/datadog",
        fixture("datadog/10_recommended_triggered.json"),
        &[("x-modelwatch-token", TOKEN.to_owned())],
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// `name`'s fixture (as `fixture` writes it: compact JSON) with `from` replaced by `to`.
fn edited(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    assert!(
        text.contains(from),
        "{from} is not in {name} as written: {text}"
    );
    text.replace(from, to).into_bytes()
}

#[tokio::test]
async fn an_acknowledgement_in_pagerduty_acknowledges_the_alert_once() {
    let store = fresh_store("pd-webhook-ack").await;
    let app = app(store.clone());
    open_alert(&app).await;

    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_acknowledged.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], serde_json::json!(["acknowledge"]));
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.acknowledged.as_ref().unwrap().by, "Dana Engineer");
    let version = alert.version;

    // PagerDuty redelivers the same event (same event.id): nothing changes.
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_acknowledged.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "duplicate");
    assert_eq!(
        store.load(&key(ALERT)).await.unwrap().unwrap().version,
        version
    );
}

/// The service's acknowledgement timeout ran out: PagerDuty triggers the incident again
/// and says so; the alert is open again, and its escalation goes on.
#[tokio::test]
async fn an_acknowledgement_that_timed_out_in_pagerduty_opens_the_alert_again_once() {
    let store = fresh_store("pd-webhook-unack").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_acknowledged.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let unack = fixture("pagerduty/incident_unacknowledged.json");
    let (status, body) = pagerduty(&app, unack.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], serde_json::json!(["unacknowledge"]));
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
    assert!(alert.acknowledged.is_none());
    let (status, body) = pagerduty(&app, unack).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "duplicate");
}

#[tokio::test]
async fn a_resolve_in_pagerduty_resolves_the_alert_by_that_person() {
    let store = fresh_store("pd-webhook-resolve").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_resolved.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(alert.resolved_by.as_deref(), Some("Dana Engineer"));
}

/// `fixture(name)` with `edit` applied to its JSON.
fn with(name: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(&fixture(name)).unwrap();
    edit(&mut body);
    serde_json::to_vec(&body).unwrap()
}

/// Dana resolves the incident in PagerDuty while the monitor still fires, then reopens it
/// there: the alert is open again, so the monitor's recovery resolves the reopened
/// incident (before, the reopen was ignored and the incident stayed open for ever).
#[tokio::test]
async fn an_incident_reopened_in_pagerduty_is_resolved_by_the_monitors_recovery() {
    let store = fresh_store("pd-webhook-reopen").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_resolved.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let resolved_at = store
        .load(&key(ALERT))
        .await
        .unwrap()
        .unwrap()
        .resolved_at
        .unwrap();

    let reopen = with("pagerduty/incident_resolved.json", |e| {
        e["event"]["id"] = "01DFXF0REOPENED0000000000".into();
        e["event"]["event_type"] = "incident.reopened".into();
        e["event"]["occurred_at"] = resolved_at.plus_secs(120).to_string().into();
        e["event"]["data"]["status"] = "triggered".into();
    });
    let (status, body) = pagerduty(&app, reopen.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], serde_json::json!(["reopen"]));
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    assert!(alert.resolved_by.is_none());
    let (status, body) = pagerduty(&app, reopen).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "duplicate");

    let recovered_at = resolved_at.plus_secs(300).millis().to_string();
    let recovered = with("datadog/11_recommended_recovered.json", |d| {
        d["date"] = recovered_at.clone().into();
        d["last_updated"] = recovered_at.into();
    });
    let (status, body) = send(
        &app,
        "/webhooks/datadog",
        recovered,
        &[("x-modelwatch-token", TOKEN.to_owned())],
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], serde_json::json!(["resolve"]));
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert!(alert.resolved_by.is_none(), "resolved by the recovery");
}

/// An acknowledged incident escalated (or reassigned, or delegated) in PagerDuty goes back
/// to triggered for its new assignees, and PagerDuty sends no `incident.unacknowledged`:
/// the alert is open again, so its own escalation goes on if nobody acknowledges.
#[tokio::test]
async fn an_acknowledged_incident_escalated_in_pagerduty_is_no_longer_acknowledged() {
    let store = fresh_store("pd-webhook-escalated").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_acknowledged.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let escalated = with("pagerduty/incident_unacknowledged.json", |e| {
        e["event"]["event_type"] = "incident.escalated".into();
        e["event"]["agent"] = serde_json::json!({"summary": "Sam Lead", "type": "user_reference"});
    });
    let (status, body) = pagerduty(&app, escalated).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], serde_json::json!(["unacknowledge"]));
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
    let by = alert.owed.iter().find_map(|o| match &o.action {
        modelwatch::domain::Action::Unacknowledge { by } => Some(by.clone()),
        _ => None,
    });
    assert_eq!(by.as_deref(), Some("escalated in PagerDuty by Sam Lead"));
}

#[tokio::test]
async fn a_wrong_or_missing_signature_is_refused_with_401_and_changes_nothing() {
    let store = fresh_store("pd-webhook-forged").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let before = store.load(&key(ALERT)).await.unwrap().unwrap();
    let body = fixture("pagerduty/incident_resolved.json");

    let forged = format!("v1={}", hmac_hex(b"not-the-secret", &body));
    let tampered = {
        // Signed, then changed in transit.
        let sig = format!("v1={}", hmac_hex(PD_SECRET.as_bytes(), &body));
        (
            sig,
            edited(
                "pagerduty/incident_resolved.json",
                "Dana Engineer",
                "Mallory",
            ),
        )
    };
    let cases = vec![
        (body.clone(), vec![("x-pagerduty-signature", forged)]),
        (body.clone(), vec![]),
        (tampered.1, vec![("x-pagerduty-signature", tampered.0)]),
    ];
    for (payload, headers) in cases {
        let (status, answer) = send(&app, "/webhooks/pagerduty", payload, &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("Signature"),
            "{answer}"
        );
        assert!(!answer.to_string().contains(PD_SECRET));
    }
    let after = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn other_events_other_cycles_and_unknown_alerts_are_answered_200_and_ignored() {
    let store = fresh_store("pd-webhook-ignored").await;
    let app = app(store.clone());

    // No alert yet: an incident for it creates nothing.
    let (status, body) = pagerduty(&app, fixture("pagerduty/incident_acknowledged.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored");
    assert!(store.all_alerts().await.unwrap().is_empty());

    open_alert(&app).await;
    let version = store.load(&key(ALERT)).await.unwrap().unwrap().version;
    let cases = [
        edited(
            "pagerduty/incident_acknowledged.json",
            "incident.acknowledged",
            "incident.priority_updated",
        ),
        edited(
            "pagerduty/incident_resolved.json",
            "model_version:v7#1",
            "model_version:v7#7",
        ),
        edited(
            "pagerduty/incident_resolved.json",
            "modelwatch:datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7#1",
            "baf7cf21b1da41b4b0221008339ff357",
        ),
    ];
    for case in cases {
        let (status, body) = pagerduty(&app, case).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "ignored", "{body}");
    }
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.version, version);
    assert_eq!(alert.status, Status::Open);
}

/// Merged into another incident: PagerDuty resolves it and moves its alert, still open,
/// into the other one, where the person who merged it answers it. The alert is
/// acknowledged by them (it would otherwise escalate as unanswered), not resolved: its
/// monitor has not recovered. A redelivery changes nothing.
#[tokio::test]
async fn an_incident_merged_into_another_is_acknowledged_not_resolved() {
    let store = fresh_store("pd-webhook-merged").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let merged = edited(
        "pagerduty/incident_resolved.json",
        r#""resolve_reason":null"#,
        r#""resolve_reason":{"type":"merge_resolve_reason","incident":{"id":"PZ9XXQ1","type":"incident_reference","summary":"[#1207] chat-large latency","self":"https://api.pagerduty.com/incidents/PZ9XXQ1","html_url":"https://acme.pagerduty.com/incidents/PZ9XXQ1"}}"#,
    );
    let (status, body) = pagerduty(&app, merged.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body["actions"],
        serde_json::json!(["acknowledge"]),
        "{body}"
    );
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    let by = alert.acknowledged.as_ref().map(|m| m.by.as_str());
    assert_eq!(
        by,
        Some("Dana Engineer (merged into [#1207] chat-large latency in PagerDuty)")
    );
    let version = alert.version;
    let (_, body) = pagerduty(&app, merged).await;
    assert_eq!(body["outcome"], "duplicate", "{body}");
    assert_eq!(
        store.load(&key(ALERT)).await.unwrap().unwrap().version,
        version
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_v3_webhook_is_a_400() {
    let store = fresh_store("pd-webhook-bad").await;
    let app = app(store);
    let (status, body) = pagerduty(&app, br#"{"messages": []}"#.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("v3 webhook"),
        "{body}"
    );
}
