//! The Datadog metrics client against the Datadog fake: batched group queries, key
//! checks, rate limits and retries.

use std::time::{Duration, Instant};

use modelwatch::datadog::metrics::{DatadogKeys, MetricsClient, TimeseriesQuery};
use modelwatch::domain::Timestamp;
use modelwatch::http::{BaseUrl, DeliveryError, RetryPolicy};
use modelwatch::secret::Secret;
use modelwatch_tests::fakes::{DatadogFake, DatadogFakeConfig, Fault};

const API_KEY: &str = "dd-api-key-abcdef";
const APP_KEY: &str = "dd-app-key-123456";
const T0: i64 = 1_764_302_400_000;
const MINUTE: i64 = 60_000;

async fn fake_with(config: DatadogFakeConfig) -> DatadogFake {
    let fake = DatadogFake::start(config, 0).await.unwrap();
    let minutes = |values: &[f64]| -> Vec<(i64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (T0 + i as i64 * MINUTE, *v))
            .collect()
    };
    let latency = "llm.latency.p95";
    fake.add(
        latency,
        &[
            ("env", "prod"),
            ("model", "chat-large"),
            ("model_version", "v7"),
        ],
        minutes(&[1.0, 1.2, 2.8]),
    );
    fake.add(
        latency,
        &[
            ("env", "prod"),
            ("model", "chat-large"),
            ("model_version", "v8"),
        ],
        minutes(&[3.0, 3.0, 3.0]),
    );
    // A gap at minute 1: a missing point, not a zero.
    fake.add(
        latency,
        &[
            ("env", "prod"),
            ("model", "chat-small"),
            ("model_version", "v2"),
        ],
        vec![(T0, 0.5), (T0 + 2 * MINUTE, 0.7)],
    );
    fake.add(
        latency,
        &[
            ("env", "staging"),
            ("model", "chat-large"),
            ("model_version", "v9"),
        ],
        minutes(&[9.0, 9.0, 9.0]),
    );
    fake.add(
        "llm.tokens.total",
        &[
            ("env", "prod"),
            ("model", "chat-large"),
            ("model_version", "v7"),
        ],
        minutes(&[100.0, 200.0, 300.0]),
    );
    fake.add(
        "llm.tokens.total",
        &[
            ("env", "prod"),
            ("model", "chat-large"),
            ("model_version", "v8"),
        ],
        minutes(&[10.0, 20.0, 30.0]),
    );
    fake
}

async fn fake() -> DatadogFake {
    fake_with(DatadogFakeConfig::new(API_KEY, APP_KEY)).await
}

fn client_with(fake: &DatadogFake, api_key: &str) -> MetricsClient {
    let keys = DatadogKeys {
        api_key: Secret::new(api_key),
        app_key: Secret::new(APP_KEY),
    };
    let timeouts = modelwatch_tests::quick_timeouts();
    MetricsClient::new(BaseUrl::new(&fake.url()).unwrap(), keys, timeouts)
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            deadline: Duration::from_secs(10),
        })
}

fn client(fake: &DatadogFake) -> MetricsClient {
    client_with(fake, API_KEY)
}

fn window(queries: &[&str]) -> TimeseriesQuery {
    TimeseriesQuery {
        from: Timestamp::from_millis(T0),
        to: Timestamp::from_millis(T0 + 3 * MINUTE),
        interval: Some(Duration::from_secs(60)),
        queries: queries.iter().map(|q| q.to_string()).collect(),
    }
}

#[tokio::test]
async fn many_groups_come_back_from_one_query_with_gaps_left_out() {
    let fake = fake().await;
    let answer = client(&fake)
        .query(&window(&[
            "avg:llm.latency.p95{env:prod} by {model,model_version}",
            "sum:llm.tokens.total{env:prod} by {model}",
        ]))
        .await
        .unwrap();
    assert_eq!(fake.received().len(), 1);

    let latency = &answer[0];
    assert_eq!(latency.len(), 3, "staging is filtered out");
    let v7 = latency
        .iter()
        .find(|s| s.group["model_version"] == "v7")
        .unwrap();
    assert_eq!(v7.group["model"], "chat-large");
    let values: Vec<f64> = v7.points.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [1.0, 1.2, 2.8]);
    assert_eq!(v7.points[2].0, Timestamp::from_millis(T0 + 2 * MINUTE));
    let small = latency
        .iter()
        .find(|s| s.group["model"] == "chat-small")
        .unwrap();
    assert_eq!(small.points.len(), 2);

    let tokens = &answer[1];
    assert_eq!(tokens.len(), 1);
    let summed: Vec<f64> = tokens[0].points.iter().map(|(_, v)| *v).collect();
    assert_eq!(summed, [110.0, 220.0, 330.0]);
}

#[tokio::test]
async fn max_over_all_groups_without_grouping() {
    let fake = fake().await;
    let series = client(&fake)
        .query_one(
            "max:llm.latency.p95{*}",
            Timestamp::from_millis(T0),
            Timestamp::from_millis(T0 + 3 * MINUTE),
            Some(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(series.len(), 1);
    assert!(series[0].group.is_empty());
    assert!(series[0].points.iter().all(|(_, v)| *v == 9.0));
}

#[tokio::test]
async fn a_bad_key_is_forbidden_never_retried_nor_shown() {
    let fake = fake().await;
    let err = client_with(&fake, "dd-wrong-secret-key")
        .query(&window(&["avg:llm.latency.p95{*}"]))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("dd-wrong-secret-key"), "{shown}");
    assert!(!shown.contains(APP_KEY), "{shown}");
    assert!(!err.is_retryable());
    match err {
        modelwatch::datadog::metrics::MetricsError::Delivery(DeliveryError::Rejected {
            status,
            details,
            ..
        }) => {
            assert_eq!(status, Some(403));
            assert_eq!(details, ["Forbidden"]);
        }
        other => panic!("expected 403, got {other:?}"),
    }
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn a_429_waits_for_the_servers_delay() {
    let fake = fake().await;
    fake.faults().push(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let started = Instant::now();
    client(&fake)
        .query(&window(&["avg:llm.latency.p95{*}"]))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn a_spent_budget_is_waited_out_instead_of_hitting_a_429() {
    let fake = fake_with(DatadogFakeConfig::new(API_KEY, APP_KEY).rate_limit(2, 1)).await;
    let metrics = client(&fake);
    for _ in 0..3 {
        metrics
            .query(&window(&["avg:llm.latency.p95{*}"]))
            .await
            .unwrap();
    }
    let statuses: Vec<u16> = fake.received().iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried() {
    let fake = fake().await;
    fake.faults().fail_next(2, 503);
    fake.faults().push(Fault::Slow { delay_ms: 1500 }, 1);
    let answer = client(&fake)
        .query(&window(&["avg:llm.latency.p95{env:prod} by {model}"]))
        .await
        .unwrap();
    assert_eq!(answer[0].len(), 2);
}

#[tokio::test]
async fn a_query_the_fake_cannot_parse_is_a_400() {
    let fake = fake().await;
    let err = client(&fake)
        .query(&window(&["p98:llm.latency.p95{*}"]))
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("400"), "{err}");
}

async fn post_raw(fake: &DatadogFake, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2/query/timeseries", fake.url()))
        .header("dd-api-key", API_KEY)
        .header("dd-application-key", APP_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_clients_requests_and_the_fakes_answers_keep_datadogs_documented_model() {
    let fake = fake().await;
    client(&fake)
        .query(&window(&[
            "avg:llm.latency.p95{env:prod} by {model,model_version}",
        ]))
        .await
        .unwrap();
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].violations.is_empty(),
        "{:?}",
        received[0].violations
    );
    assert!(fake.contract_violations().is_empty());
}

#[tokio::test]
async fn a_request_off_datadogs_model_is_a_400_and_a_recorded_violation() {
    let fake = fake().await;
    let (status, body) = post_raw(
        &fake,
        serde_json::json!({"data": {"type": "timeseries", "attributes": {
            "from": T0, "to": "later",
            "queries": [{"data_source": "metrics", "name": "a"}]}}}),
    )
    .await;
    assert_eq!(status, 400);
    let errors = body["errors"].to_string();
    for pointer in [
        "/data/type",
        "/data/attributes/to",
        "/data/attributes/queries/0",
    ] {
        assert!(errors.contains(pointer), "{pointer} in {errors}");
    }
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].api, "Datadog");
    assert_eq!(violations[0].operation, "/api/v2/query/timeseries");
}
