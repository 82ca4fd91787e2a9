//! `subscribe alerts [model]` end to end on the emulator: a Datadog webhook in, the
//! escalator fed from the table's stream, and the Slack fake's alert message mentions the
//! people subscribed to that model's alerts or to every model's, and nobody else.

use axum::body::Body;
use axum::http::Request;
use modelwatch::domain::{Subscription, Timestamp, Topic};
use modelwatch_tests::pipeline::Stack;
use tower::ServiceExt;

const TOKEN: &str = "subscriptions-test-token";

fn subscription(user: &str, model: Option<&str>) -> Subscription {
    Subscription {
        topic: Topic::Alerts,
        subscriber: user.to_owned(),
        name: user.to_lowercase(),
        channel: "C0CHAT".to_owned(),
        model: model.map(str::to_owned),
        created_at: Timestamp::from_secs(1_795_000_000),
    }
}

#[tokio::test]
async fn alert_messages_mention_the_models_subscribers_only() {
    let mut s = Stack::for_test("alert-subscribers", TOKEN).await;
    for sub in [
        subscription("U0DANA", Some("chat-large")),
        subscription("U0EVE", None),
        subscription("U0SAM", Some("embed-small")),
    ] {
        assert!(s.store.subscribe(&sub).await.unwrap());
    }
    // A daily-report subscriber is not an alert subscriber.
    let daily = Subscription {
        topic: Topic::Daily,
        ..subscription("U0RAJ", None)
    };
    s.store.subscribe(&daily).await.unwrap();

    let body = modelwatch_tests::sent_fixture("datadog/10_recommended_triggered.json");
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = s.intake.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    s.deliver().await.unwrap();

    let firsts: Vec<_> = s
        .slack
        .messages()
        .into_iter()
        .filter(|m| m.thread_ts.is_none())
        .collect();
    assert!(!firsts.is_empty(), "the alert was posted");
    for m in &firsts {
        let blocks = m.blocks.to_string();
        assert!(blocks.contains("<@U0DANA>"), "{} {blocks}", m.channel);
        assert!(blocks.contains("<@U0EVE>"), "{} {blocks}", m.channel);
        assert!(
            !blocks.contains("U0SAM"),
            "another model's subscriber: {blocks}"
        );
        assert!(!blocks.contains("U0RAJ"), "a report subscriber: {blocks}");
    }
}
