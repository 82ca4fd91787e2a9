//! The intake's routes end to end on the DynamoDB emulator: authentication, parsing,
//! idempotency, ordering and every answer Datadog can get.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use modelwatch::domain::Status;
use modelwatch::store::Store;
use modelwatch_tests::fresh_store;
use modelwatch_tests::request_log::RequestLog;
use modelwatch_tests::signals::key;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "test-webhook-token-0123456789";

/// A Datadog fixture, its times moved to the recent past (`sent_fixture`).
fn fixture(name: &str) -> Vec<u8> {
    modelwatch_tests::sent_fixture(&format!("datadog/{name}"))
}

fn app(store: Store) -> Router {
    modelwatch_tests::intake_router(store, &[("webhook_token", TOKEN)])
}

async fn post(app: &Router, body: Vec<u8>, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = Request::post("/webhooks/datadog");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

async fn deliver(app: &Router, body: Vec<u8>) -> (StatusCode, Value) {
    post(
        app,
        body,
        &[
            ("x-modelwatch-token", TOKEN),
            ("content-type", "application/json; charset=utf-8"),
        ],
    )
    .await
}

fn edited(name: &str, changes: Value) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&fixture(name)).unwrap();
    for (k, x) in changes.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test]
async fn healthz_answers_without_credentials() {
    let app = app(fresh_store("intake-healthz").await);
    let res = app
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn trigger_then_recovery_with_other_ids_open_and_close_one_alert() {
    let store = fresh_store("intake-pair").await;
    let app = app(store.clone());
    let (status, body) = deliver(&app, fixture("10_recommended_triggered.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["actions"], json!(["page"]));
    let alert_key = key("datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7");
    assert_eq!(
        store.load(&alert_key).await.unwrap().unwrap().status,
        Status::Open
    );

    let (status, body) = deliver(&app, fixture("11_recommended_recovered.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        body["alert_key"],
        "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7"
    );
    let alert = store.load(&alert_key).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(alert.cycle, 1);
    assert_eq!(store.all_alerts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_delivery_twice_is_answered_200_and_changes_nothing() {
    let store = fresh_store("intake-dup").await;
    let app = app(store.clone());
    assert_eq!(
        deliver(&app, fixture("10_recommended_triggered.json"))
            .await
            .0,
        StatusCode::ACCEPTED
    );
    let (status, body) = deliver(&app, fixture("10_recommended_triggered.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["outcome"], "duplicate");
    let alert = store
        .load(&key(
            "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.version, 1);
}

/// A hand-written template without `$ID` or `$DATE` sends each cycle's trigger and
/// recovery as the same bytes: within a cycle a copy is Datadog's retry, but the next
/// cycle's trigger is a new page, and its recovery closes it.
#[tokio::test]
async fn a_template_without_id_or_date_pages_each_cycle_and_takes_a_retry_once() {
    let store = fresh_store("intake-no-id").await;
    let app = app(store.clone());
    let bare = |name: &str| -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let o = v.as_object_mut().unwrap();
        for field in ["id", "date", "last_updated"] {
            o.remove(field);
        }
        o.insert("alert_cycle_key".into(), json!("$ALERT_CYCLE_KEY"));
        serde_json::to_vec(&v).unwrap()
    };
    let (trigger, recovery) = (
        bare("10_recommended_triggered.json"),
        bare("11_recommended_recovered.json"),
    );
    let alert_key = key("datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7");
    for cycle in 1..=2 {
        let (status, body) = deliver(&app, trigger.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "cycle {cycle}: {body}");
        assert_eq!(body["actions"], json!(["page"]), "cycle {cycle}");
        let (status, body) = deliver(&app, trigger.clone()).await;
        assert_eq!(
            (status, &body["outcome"]),
            (StatusCode::OK, &json!("duplicate")),
            "cycle {cycle}: {body}"
        );
        let (status, body) = deliver(&app, recovery.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "cycle {cycle}: {body}");
        assert_eq!(body["actions"], json!(["resolve"]), "cycle {cycle}");
        let (status, body) = deliver(&app, recovery.clone()).await;
        assert_eq!(
            (status, &body["outcome"]),
            (StatusCode::OK, &json!("duplicate")),
            "cycle {cycle}: {body}"
        );
        let alert = store.load(&alert_key).await.unwrap().unwrap();
        assert_eq!((alert.cycle, alert.status), (cycle, Status::Resolved));
    }
}

#[tokio::test]
async fn a_recovery_older_than_the_open_trigger_does_nothing() {
    let store = fresh_store("intake-stale").await;
    let app = app(store.clone());
    let no_cycle = json!({"alert_cycle_key": "$ALERT_CYCLE_KEY"});
    let mut trigger = no_cycle.clone();
    trigger["date"] = json!(modelwatch_tests::recent(1_795_730_400_000).to_string());
    deliver(&app, edited("10_recommended_triggered.json", trigger)).await;
    let mut old_recovery = no_cycle;
    old_recovery["date"] = json!(modelwatch_tests::recent(1_795_730_000_000).to_string());
    let (status, body) = deliver(&app, edited("11_recommended_recovered.json", old_recovery)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "stale");
    let open = store.open_alerts().await.unwrap();
    assert_eq!(open.len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_copies_make_one_alert_owing_one_page() {
    let store = fresh_store("intake-fifty").await;
    let app = app(store.clone());
    let body = fixture("10_recommended_triggered.json");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = app.clone();
            let body = body.clone();
            tokio::spawn(async move { deliver(&app, body).await.0 })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(
            status == StatusCode::ACCEPTED || status == StatusCode::OK,
            "{status}"
        );
        accepted += usize::from(status == StatusCode::ACCEPTED);
    }
    assert_eq!(accepted, 1, "exactly one copy wrote");
    let alerts = store.all_alerts().await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].version, 1);
    assert_eq!(alerts[0].owed.len(), 1);
}

#[tokio::test]
async fn every_captured_payload_is_accepted() {
    let app = app(fresh_store("intake-fixtures").await);
    for name in [
        "01_default_template_test_notification.json",
        "05_query_alert_with_transition_priority.json",
        "10_recommended_triggered.json",
        "12_default_template_recovered_on_group.json",
        "13_handwritten_spellings.json",
    ] {
        let (status, body) = deliver(&app, fixture(name)).await;
        assert!(status.is_success(), "{name}: {status} {body}");
    }
}

/// Datadog's "Test Notifications" button: answered 2xx (the webhook works) and paged to
/// nobody, with no alert left open, whether the template is Datadog's default (the
/// captured one) or the recommended one (`$ALERT_TITLE` carries the `[TEST]` name).
#[tokio::test]
async fn a_datadog_test_notification_is_acknowledged_and_pages_nobody() {
    let store = fresh_store("intake-test-notification").await;
    let app = app(store.clone());
    let (status, body) = deliver(&app, fixture("01_default_template_test_notification.json")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("test notification"),
        "{body}"
    );

    let mut recommended: serde_json::Value =
        serde_json::from_slice(&fixture("10_recommended_triggered.json")).unwrap();
    let title = recommended["alert_title"].as_str().unwrap().to_owned();
    recommended["alert_title"] = title.replace("] p95", "] [TEST] p95").into();
    let (status, body) = deliver(&app, serde_json::to_vec(&recommended).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored");
    assert!(store.all_alerts().await.unwrap().is_empty());

    // With the provisioned template's `body` ($EVENT_MSG), the message's marker decides.
    recommended["body"] =
        "Test notification triggered by dana@example.com.\n\np95 latency above 2 s".into();
    recommended["id"] = "7000000000000000001".into();
    let (status, body) = deliver(&app, serde_json::to_vec(&recommended).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored");
    assert!(store.all_alerts().await.unwrap().is_empty());

    // A real alert of a monitor its team named "[TEST] …" pages like any other.
    recommended["body"] = "p95 latency above 2 s @webhook-modelwatch".into();
    recommended["id"] = "7000000000000000002".into();
    let (status, body) = deliver(&app, serde_json::to_vec(&recommended).unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(store.all_alerts().await.unwrap().len(), 1);

    // The same notification for real opens its alert.
    recommended["alert_title"] = title.into();
    recommended["id"] = "7000000000000000003".into();
    let (status, body) = deliver(&app, serde_json::to_vec(&recommended).unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(store.all_alerts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn form_encoded_webhooks_are_accepted() {
    let app = app(fresh_store("intake-form").await);
    let body = b"alert_transition=Triggered&alert_id=42&alert_scope=model%3Achat&alert_title=%5BTriggered%5D+Latency&id=9".to_vec();
    let (status, body) = post(
        &app,
        body,
        &[
            ("x-modelwatch-token", TOKEN),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["alert_key"], "datadog:monitor:42|model:chat");
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_and_store_nothing() {
    let store = fresh_store("intake-auth").await;
    let app = app(store.clone());
    let body = fixture("10_recommended_triggered.json");
    let (status, answer) = post(&app, body.clone(), &[("content-type", "application/json")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("X-Modelwatch-Token")
            || answer["error"]
                .as_str()
                .unwrap()
                .contains("x-modelwatch-token")
    );
    let (status, answer) = post(&app, body, &[("x-modelwatch-token", "guess")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!answer.to_string().contains(TOKEN));
    assert!(store.all_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_requests_get_a_clear_4xx_and_store_nothing() {
    let store = fresh_store("intake-malformed").await;
    let app = app(store.clone());

    let (status, body) = deliver(&app, b"{\"alert_id\": ".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("body is not JSON"),
        "{body}"
    );

    let (status, body) = deliver(&app, br#"{"alert_transition": "Triggered", "title": "x", "alert_cycle_key": "$ALERT_CYCLE_KEY"}"#.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "alert_cycle_key");
    assert_eq!(
        body["received_fields"],
        json!(["alert_transition", "title"])
    );

    let (status, body) = deliver(
        &app,
        br#"{"alert_id": "1", "alert_transition": "Exploded"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("Re-Triggered"),
        "{body}"
    );

    let (status, _) = deliver(&app, b"[]".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let big = format!(
        "{{\"alert_id\": \"1\", \"pad\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let (status, body) = deliver(&app, big.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    let (status, body) = post(
        &app,
        fixture("10_recommended_triggered.json"),
        &[
            ("x-modelwatch-token", TOKEN),
            ("content-type", "text/plain"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body["error"].as_str().unwrap().contains("application/json"));

    assert!(store.all_alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_store_answers_503_so_datadog_retries() {
    let config = aws_config::from_env()
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let store = Store::new(modelwatch::store::Client::new(&config), "unreachable");
    let (status, body) = deliver(&app(store), fixture("10_recommended_triggered.json")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["retry"], true);
}

#[tokio::test]
async fn unknown_routes_get_404_json() {
    let app = app(fresh_store("intake-404").await);
    let res = app
        .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_webhook_costs_one_read_and_one_write_and_a_duplicate_one_read() {
    let table = fresh_store("intake-requests").await.table().to_owned();
    let log = RequestLog::default();
    let app = app(log.store(&table).await);

    deliver(&app, fixture("10_recommended_triggered.json")).await;
    assert_eq!(log.take(), vec!["GetItem", "TransactWriteItems"]);
    deliver(&app, fixture("10_recommended_triggered.json")).await;
    assert_eq!(log.take(), vec!["GetItem"]);
}

/// A table endpoint that accepts connections and never answers: webhooks must still get
/// 503 (so Datadog retries) within Datadog's 15 s, and the answer must not leak the
/// endpoint or the SDK's output.
#[tokio::test]
async fn a_table_that_does_not_answer_gets_a_503_within_datadogs_timeout_and_no_internals() {
    let (store, addr) = modelwatch_tests::store_that_never_answers().await;
    let app = app(store);
    let started = std::time::Instant::now();
    let (status, body) = deliver(&app, fixture("10_recommended_triggered.json")).await;
    let waited = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["retry"], true, "{body}");
    assert!(
        waited < std::time::Duration::from_secs(15),
        "answered after {waited:?}, past Datadog's 15 s"
    );
    let text = body.to_string();
    for internal in [addr.to_string().as_str(), "dispatch", "DynamoDB", "Error {"] {
        assert!(!text.contains(internal), "{internal} in {text}");
    }
}

/// A native copy pages as the monitor it copies does, not as any Datadog monitor of its
/// priority: the monitor's warn level for a warning, its alert level and `max_level` for a
/// trigger (its priority aside), and the alert names the monitor, as the escalation clock
/// reads its policy by that name.
#[tokio::test]
async fn a_native_copy_opens_at_its_monitors_levels_and_escalates_by_its_policy() {
    use modelwatch::domain::Level;
    let store = fresh_store("intake-native-levels").await;
    let intake = app(store.clone());
    let copy = |id: &str, monitor: &str, transition: &str, scope: &str| {
        edited(
            "10_recommended_triggered.json",
            json!({
                "id": id,
                "alert_id": "55667788",
                "alert_transition": transition,
                "alert_priority": "P1",
                "alert_scope": scope,
                "tags": format!("env:prod,{scope},managed-by:modelwatch,modelwatch-monitor:{monitor}"),
            }),
        )
    };
    let opened = |scope: &'static str| {
        let store = store.clone();
        async move {
            store
                .open_alerts()
                .await
                .unwrap()
                .into_iter()
                .find(|a| a.key.as_str().contains(scope))
                .expect("an open alert of that group")
        }
    };
    // levels { warn: L2, alert: L3 }: its warning pages on-call, not the channel alone.
    let scope = "model:chat-large,model_version:v7,env:prod";
    let (status, body) =
        deliver(&intake, copy("c-1", "chat-slow-and-failing", "Warn", scope)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let alert = opened("chat-large").await;
    assert_eq!(alert.level, Level::L2);
    assert_eq!(alert.context.monitor.id, "chat-slow-and-failing");
    // levels { alert: L1 }, max_level L2: P1 does not make it L3, and it escalates no
    // further than L2.
    let scope = "model:embed-small,model_version:v1,env:prod";
    let (status, body) = deliver(&intake, copy("c-2", "token-spike", "Triggered", scope)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let alert = opened("embed-small").await;
    assert_eq!(alert.level, Level::L1);
    assert_eq!(alert.context.monitor.id, "token-spike");
    // The clock's policy, at a weekday noon (no time-of-day policy in force): the monitor's.
    let config = modelwatch_tests::example_config();
    let noon = modelwatch::domain::Timestamp::parse("2026-12-02T12:00:00Z").unwrap();
    let tick = modelwatch::signals::clock::tick(&config, &alert, noon).unwrap();
    match tick.kind {
        modelwatch::domain::SignalKind::Tick { policy: Some(p) } => {
            assert_eq!(p.max_level, Level::L2);
        }
        other => panic!("{other:?}"),
    }
    // A renotification says its state only by its alert type (a no-data one reads as an
    // alert): it opens at the monitor's lower level, never raising it on a guess.
    let scope = "model:summarizer,model_version:v2,env:prod";
    let mut renotify: Value =
        serde_json::from_slice(&copy("c-3", "gpu-memory", "Renotify", scope)).unwrap();
    renotify["alert_type"] = json!("error");
    renotify["alert_title"] = json!("GPU memory nearly full");
    let (status, body) = deliver(&intake, serde_json::to_vec(&renotify).unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(opened("summarizer").await.level, Level::L1);
}

/// A native Datadog copy of a modelwatch monitor (`modelwatch datadog apply` tags it
/// `modelwatch-monitor:<id>`) watches what the evaluator pages itself. While the
/// evaluator runs, the copy's notifications are answered 200 and page nobody (one incident,
/// one page); when it has not run for ten minutes, they page; their recoveries always
/// resolve what they opened. A monitor of Datadog's own is never held back.
#[tokio::test]
async fn a_native_copys_notifications_page_only_while_the_evaluator_does_not_run() {
    use modelwatch::domain::{LastRun, Timestamp};
    let store = fresh_store("intake-native-copy").await;
    let intake = app(store.clone());
    let native = |id: &str, transition: &str, scope: &str| {
        let name = match transition {
            "Recovered" => "11_recommended_recovered.json",
            _ => "10_recommended_triggered.json",
        };
        edited(
            name,
            json!({
                "id": id,
                "alert_id": "11223344",
                "alert_transition": transition,
                "alert_scope": scope,
                "tags": format!("env:prod,{scope},managed-by:modelwatch,modelwatch-monitor:chat-latency"),
            }),
        )
    };
    let chat = "model:chat-large,model_version:v7,env:prod";
    let embed = "model:embed-small,model_version:v1,env:prod";

    // No good run recorded: the evaluator is not running, and the copy pages.
    let (status, body) = deliver(&intake, native("n-1", "Triggered", chat)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(store.open_alerts().await.unwrap().len(), 1);

    // The evaluator runs, but not that monitor (Datadog refused its query): the copy pages.
    let run = LastRun {
        at: Timestamp::now().minus_secs(60),
        monitors: ["error-rate#0a1b2c3d4e5f".to_string()].into(),
    };
    store.put_last_run(&run).await.unwrap();
    let (status, body) = deliver(
        &intake,
        native(
            "n-1b",
            "Triggered",
            "model:summarizer,model_version:v2,env:prod",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(store.open_alerts().await.unwrap().len(), 2);

    // The evaluator runs that monitor: another group's trigger pages nobody.
    let run = LastRun {
        at: Timestamp::now(),
        monitors: ["chat-latency#0a1b2c3d4e5f".to_string()].into(),
    };
    store.put_last_run(&run).await.unwrap();
    let (status, body) = deliver(&intake, native("n-2", "Triggered", embed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored", "{body}");
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("native Datadog copy of monitor \"chat-latency\""),
        "{reason}"
    );
    assert_eq!(store.open_alerts().await.unwrap().len(), 2);

    // The copy's recovery resolves the alert it opened.
    let (status, body) = deliver(&intake, native("n-3", "Recovered", chat)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(store.open_alerts().await.unwrap().len(), 1);

    // A monitor of Datadog's own pages whatever the evaluator does.
    let (status, body) = deliver(&intake, fixture("10_recommended_triggered.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // Ten minutes without a good run: the copy pages again.
    let stale = LastRun {
        at: Timestamp::now().minus_secs(11 * 60),
        monitors: Default::default(),
    };
    let fresh = fresh_store("intake-native-copy-stale").await;
    fresh.put_last_run(&stale).await.unwrap();
    let (status, body) = deliver(&app(fresh.clone()), native("n-4", "Triggered", embed)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(fresh.open_alerts().await.unwrap().len(), 1);
}

/// A native copy of a composite is held back only while the evaluator's last good run
/// evaluated the composite and every member: with a member's query refused, the composite
/// evaluates no group, and its copy pages in its place.
#[tokio::test]
async fn a_native_composite_pages_while_a_member_goes_unread() {
    use modelwatch::domain::{LastRun, Timestamp};
    let store = fresh_store("intake-native-composite").await;
    let intake = app(store.clone());
    let trigger = |id: &str| {
        edited(
            "10_recommended_triggered.json",
            json!({
                "id": id,
                "alert_id": "55667788",
                "tags": "env:prod,model:chat-large,model_version:v7,managed-by:modelwatch,modelwatch-monitor:chat-slow-and-failing",
            }),
        )
    };
    let all = [
        "chat-slow-and-failing#0a",
        "chat-latency#0b",
        "error-rate#0c",
        "timeout-rate#0d",
    ];
    let run = |monitors: &[&str]| LastRun {
        at: Timestamp::now(),
        monitors: monitors.iter().map(|m| (*m).to_owned()).collect(),
    };
    store.put_last_run(&run(&all)).await.unwrap();
    let (status, body) = deliver(&intake, trigger("c-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ignored", "{body}");

    // timeout-rate's query refused: the composite evaluates nothing, and its copy pages.
    store.put_last_run(&run(&all[..3])).await.unwrap();
    let (status, body) = deliver(&intake, trigger("c-2")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}
