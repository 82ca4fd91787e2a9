//! No secret reaches a log line or an answer: every log line of a scenario (debug level,
//! the SDKs included) through the whole stack — webhooks, a forged one, Slack and
//! PagerDuty requests, deliveries that fail and are retried, the evaluator and the clock —
//! is captured and searched for every secret value the stack holds.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use modelwatch::domain::Timestamp;
use modelwatch_tests::pipeline::{self, Stack};
use sha2::Sha256;
use tower::ServiceExt;

const TOKEN: &str = "logs-test-webhook-token-7f3a9c";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Sends a request to the intake; its answer's body, which must not leak either.
async fn send(s: &Stack, req: Request<Body>) -> String {
    let res = s.intake.clone().oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn json_post(path: &str, token: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header("x-modelwatch-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn no_secret_appears_in_any_log_line_or_answer_of_a_scenario() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut s = Stack::for_test("secrets-in-logs", TOKEN).await;
    let mut answers = Vec::new();

    // A forged webhook, a genuine one, and its delivery through failures and retries.
    answers.push(
        send(
            &s,
            json_post("/webhooks/datadog", "wrong-token", b"{}".to_vec()),
        )
        .await,
    );
    let trigger = modelwatch_tests::fixture("datadog/10_recommended_triggered.json");
    answers.push(send(&s, json_post("/webhooks/datadog", TOKEN, trigger)).await);
    s.pagerduty.faults().fail_next(1, 500);
    s.slack.faults().fail_next(1, 503);
    for _ in 0..3 {
        let _ = s.deliver().await;
    }

    // Slack: a signed command and a badly signed one.
    let form = "command=%2Fmodelwatch&text=status&user_id=U0DANA&user_name=dana&channel_id=C0CHAT&team_id=T0";
    let stamp = Timestamp::now().secs().to_string();
    let signature = format!(
        "v0={}",
        hmac_hex(
            pipeline::SLACK_SIGNING_SECRET,
            format!("v0:{stamp}:{form}").as_bytes()
        )
    );
    for sig in [signature.as_str(), "v0=0123"] {
        let req = Request::post("/slack/commands")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", stamp.as_str())
            .header("x-slack-signature", sig)
            .body(Body::from(form))
            .unwrap();
        answers.push(send(&s, req).await);
    }

    // PagerDuty: a signed acknowledgement.
    let ack = modelwatch_tests::fixture("pagerduty/incident_acknowledged.json");
    let sig = format!("v1={}", hmac_hex(pipeline::PAGERDUTY_WEBHOOK_SECRET, &ack));
    let req = Request::post("/webhooks/pagerduty")
        .header("content-type", "application/json")
        .header("x-pagerduty-signature", sig)
        .body(Body::from(ack))
        .unwrap();
    answers.push(send(&s, req).await);

    // The evaluator (Datadog's keys), the clock, and the recovery.
    let now = Timestamp::now();
    s.datadog.faults().fail_next(1, 500);
    let _ = s.evaluate(now).await;
    let _ = s.evaluate(now).await;
    s.tick(now).await.unwrap();
    let recovery = modelwatch_tests::fixture("datadog/11_recommended_recovered.json");
    answers.push(send(&s, json_post("/webhooks/datadog", TOKEN, recovery)).await);
    let _ = s.deliver().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines().count() > 20 && logs.contains("delivered"),
        "the scenario was logged: {logs}"
    );
    let mut secrets: Vec<(String, String)> = vec![
        ("webhook token".into(), TOKEN.into()),
        ("Slack bot token".into(), pipeline::SLACK_TOKEN.into()),
        (
            "Slack signing secret".into(),
            pipeline::SLACK_SIGNING_SECRET.into(),
        ),
        (
            "PagerDuty webhook secret".into(),
            pipeline::PAGERDUTY_WEBHOOK_SECRET.into(),
        ),
        ("Datadog API key".into(), pipeline::DATADOG_API_KEY.into()),
        (
            "Datadog application key".into(),
            pipeline::DATADOG_APP_KEY.into(),
        ),
        (
            "change events key".into(),
            pipeline::CHANGE_EVENTS_KEY.into(),
        ),
    ];
    for (name, key) in &s.routing_keys {
        secrets.push((format!("routing key {name}"), key.clone()));
    }
    for (what, value) in &secrets {
        for (i, line) in logs.lines().enumerate() {
            assert!(
                !line.contains(value.as_str()),
                "{what} in log line {i}: {line}"
            );
        }
        for answer in &answers {
            assert!(
                !answer.contains(value.as_str()),
                "{what} in an answer: {answer}"
            );
        }
    }
}
