//! Hostile values from authenticated senders, end to end on the emulator: a Datadog
//! webhook whose `date` is at the ends of the 64-bit range or centuries ahead is taken at
//! its arrival time (`Timestamp::claimed`), so the escalator pages it without overflow and
//! the genuine recovery closes it everywhere.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use modelwatch::domain::Timestamp;
use modelwatch_tests::fakes::AlertStatus;
use modelwatch_tests::pipeline::Stack;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "hostile-test-token";

async fn webhook(s: &Stack, body: &Value) -> StatusCode {
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    s.intake.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn extreme_webhook_dates_are_taken_at_arrival_and_the_genuine_recovery_closes_the_page() {
    let dates = [
        i64::MIN.to_string(),
        i64::MAX.to_string(),
        "-9223372036854775".to_owned(),
        "2286-11-20T17:46:40Z".to_owned(),
    ];
    for (i, date) in dates.iter().enumerate() {
        let mut s = Stack::for_test(&format!("hostile-date-{i}"), TOKEN).await;
        let mut trigger = modelwatch_tests::json_fixture("datadog/10_recommended_triggered.json");
        trigger["date"] = json!(date);
        trigger["last_updated"] = json!(date);
        assert_eq!(webhook(&s, &trigger).await, StatusCode::ACCEPTED, "{date}");
        s.deliver().await.unwrap_or_else(|e| panic!("{date}: {e}"));
        let paged = s.pagerduty.alerts();
        assert_eq!(paged.len(), 1, "{date}: {paged:?}");
        assert_eq!(paged[0].status, AlertStatus::Triggered);

        let mut recovery = modelwatch_tests::json_fixture("datadog/11_recommended_recovered.json");
        let now = Timestamp::now().millis().to_string();
        recovery["date"] = json!(now);
        recovery["last_updated"] = json!(now);
        assert_eq!(webhook(&s, &recovery).await, StatusCode::ACCEPTED, "{date}");
        s.deliver().await.unwrap();
        assert_eq!(
            s.pagerduty.alerts()[0].status,
            AlertStatus::Resolved,
            "{date}: the genuine recovery is not stale"
        );
    }
}
