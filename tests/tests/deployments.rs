//! `POST /deployments` end to end on the emulator: recorded, forwarded to PagerDuty as a
//! change event, and shown on the page of an alert that opens within 24 hours.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use modelwatch::domain::Timestamp;
use modelwatch_tests::pipeline::{CHANGE_EVENTS_KEY, Stack};
use modelwatch_tests::stream::TestStream;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "deploy-test-token";
/// `date` of the triggered fixture as sent (`sent_fixture`): the alert's onset.
fn onset_ms() -> i64 {
    modelwatch_tests::recent(1_795_730_400_000)
}

async fn stack(test: &str) -> Stack {
    Stack::for_test(test, TOKEN).await
}

async fn post(s: &Stack, path: &str, body: Vec<u8>, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::post(path).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("x-modelwatch-token", t);
    }
    let res = s
        .intake
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

async fn deploy(s: &Stack, model: &str, version: &str, at_ms: i64) -> (StatusCode, Value) {
    let body = json!({
        "model": model, "version": version, "environment": "prod",
        "time": at_ms, "link": format!("https://ci.example.com/{model}/{version}"),
        "description": format!("{model} {version} rollout"),
    });
    post(
        s,
        "/deployments",
        serde_json::to_vec(&body).unwrap(),
        Some(TOKEN),
    )
    .await
}

const HOUR_MS: i64 = 3600 * 1000;

#[tokio::test]
async fn a_deployment_is_recorded_forwarded_as_a_change_event_and_read_back_by_time() {
    let s = stack("deploy-record").await;
    let (status, body) = deploy(&s, "chat-large", "v8", onset_ms() - 2 * HOUR_MS).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["change_event"], "sent");
    let changes = s.pagerduty.changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].summary, "Deployed chat-large@v8 to prod");
    assert_eq!(changes[0].service, &CHANGE_EVENTS_KEY[..6]);

    deploy(&s, "chat-large", "v7", onset_ms() - 25 * HOUR_MS).await;
    deploy(&s, "chat-large", "v9", onset_ms() + HOUR_MS).await;
    deploy(&s, "embed-small", "v3", onset_ms() - HOUR_MS).await;
    let onset = Timestamp::from_millis(onset_ms());
    let found = s
        .store
        .deployments(
            "chat-large",
            Timestamp::from_millis(onset_ms() - 24 * HOUR_MS),
            onset,
        )
        .await
        .unwrap();
    let versions: Vec<_> = found.iter().map(|d| d.model.to_string()).collect();
    assert_eq!(versions, ["chat-large@v8"]);
    let all = s
        .store
        .deployments(
            "chat-large",
            Timestamp::from_millis(0),
            onset.plus_secs(7200),
        )
        .await
        .unwrap();
    let versions: Vec<_> = all.iter().map(|d| d.model.to_string()).collect();
    assert_eq!(
        versions,
        ["chat-large@v9", "chat-large@v8", "chat-large@v7"],
        "newest first"
    );
}

/// PagerDuty stalls on the change event for 7 s: the request is cut short well within the
/// intake's own timeout (10 s in the template, with the table's work), instead of waiting
/// out the client's default 10 s and leaving the pipeline a 5xx whose retry finds the
/// deployment recorded. The deployment is recorded and the answer says the event failed;
/// it is not sent again (no dedup key: PagerDuty may have taken it).
#[tokio::test]
async fn a_stalled_change_event_is_cut_short_within_the_intakes_timeout() {
    let s = stack("deploy-stalled-change").await;
    s.pagerduty
        .faults()
        .push(modelwatch_tests::fakes::Fault::Slow { delay_ms: 7_000 }, 1);
    let (status, body) = deploy(&s, "chat-large", "v8", onset_ms() - 2 * HOUR_MS).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["change_event"], "failed", "{body}");
    // Cut before the fake took it, and not sent again.
    assert!(
        s.pagerduty.changes().is_empty(),
        "{:?}",
        s.pagerduty.changes()
    );
}

/// The pipeline retries a post whose answer it lost: nothing is recorded twice, and
/// PagerDuty gets one change event (change events have no dedup key). With a time, the
/// same deployment at that time; without one, the same model, version and environment
/// within minutes. A later rollout of the same version is a deployment of its own.
#[tokio::test]
async fn a_retried_deployment_is_recorded_and_forwarded_once() {
    let s = stack("deploy-retried").await;
    let at = onset_ms() - 2 * HOUR_MS;
    assert_eq!(
        deploy(&s, "chat-large", "v8", at).await.0,
        StatusCode::CREATED
    );
    let (status, body) = deploy(&s, "chat-large", "v8", at).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "already recorded");
    assert_eq!(s.pagerduty.changes().len(), 1);

    let untimed = |version: &str| {
        serde_json::to_vec(
            &json!({"model": "chat-large", "version": version, "environment": "prod"}),
        )
        .unwrap()
    };
    let (status, body) = post(&s, "/deployments", untimed("v9"), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post(&s, "/deployments", untimed("v9"), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "already recorded");
    // Another version is another deployment; and going back to v9 after it (a rollback)
    // is one too.
    let (status, _) = post(&s, "/deployments", untimed("v10"), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, body) = post(&s, "/deployments", untimed("v9"), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(s.pagerduty.changes().len(), 4);
    let all = s
        .store
        .deployments(
            "chat-large",
            Timestamp::from_millis(0),
            Timestamp::now().plus_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 4, "{all:?}");
}

/// One version rolled out to staging and prod by one pipeline step, in the same
/// millisecond: two deployments, each on the pages of its own environment's alerts.
#[tokio::test]
async fn one_version_deployed_to_two_environments_at_once_is_kept_twice() {
    let s = stack("deploy-two-envs").await;
    let at = onset_ms() - HOUR_MS;
    for env in ["staging", "prod"] {
        let body = json!({"model": "chat-large", "version": "v8", "environment": env, "time": at});
        let (status, answer) = post(
            &s,
            "/deployments",
            serde_json::to_vec(&body).unwrap(),
            Some(TOKEN),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{env}: {answer}");
    }
    let found = s
        .store
        .deployments(
            "chat-large",
            Timestamp::from_millis(at),
            Timestamp::from_millis(at),
        )
        .await
        .unwrap();
    let mut envs: Vec<_> = found.iter().map(|d| d.environment.clone()).collect();
    envs.sort();
    assert_eq!(envs, [Some("prod".to_owned()), Some("staging".to_owned())]);
    assert_eq!(s.pagerduty.changes().len(), 2);
}

#[tokio::test]
async fn deployments_need_the_webhook_token_and_a_valid_body() {
    let s = stack("deploy-refused").await;
    let body = serde_json::to_vec(&json!({"model": "chat-large", "version": "v8"})).unwrap();
    let (status, _) = post(&s, "/deployments", body, Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = post(
        &s,
        "/deployments",
        br#"{"model": "chat large"}"#.to_vec(),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("model name"),
        "{answer}"
    );
    assert!(s.pagerduty.changes().is_empty());
}

#[tokio::test]
async fn the_page_shows_the_models_deployments_of_the_24_hours_before_onset() {
    let s = stack("deploy-page").await;
    deploy(&s, "chat-large", "v8", onset_ms() - 2 * HOUR_MS).await;
    deploy(&s, "chat-large", "v6", onset_ms() - 30 * HOUR_MS).await;
    let trigger = modelwatch_tests::sent_fixture("datadog/10_recommended_triggered.json");
    let (status, body) = post(&s, "/webhooks/datadog", trigger, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let batch = TestStream::for_store(&s.store).await.next().await;
    escalator::handle(&s.escalator, batch).await.unwrap();
    let open = s.pagerduty.open_alerts();
    assert_eq!(open.len(), 1, "{open:?}");
    let recent = &open[0].custom_details.as_ref().unwrap()["recent_deployments"];
    let models: Vec<&str> = recent
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["chat-large@v8"], "{recent}");
}
