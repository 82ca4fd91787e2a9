//! Silences as rules, end to end on the emulator: made over the authenticated HTTP route
//! (as a deploy pipeline would), a Datadog webhook in, the escalator fed from the table's
//! stream, the PagerDuty and Slack fakes out. A silence mutes alerts that open after it
//! was made and new cycles of the same monitor; a planned one mutes nothing before its
//! start; what it held back is paged when it ends, early or on time, if still firing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use modelwatch::clock::Clock;
use modelwatch::domain::{AlertKey, Level, Status, Timestamp};
use modelwatch_tests::fakes::AlertStatus;
use modelwatch_tests::pipeline::{Ports, Stack};
use modelwatch_tests::signals;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "silence-test-token";
/// `date` of the triggered fixture.
const ONSET: Timestamp = Timestamp::from_millis(1_795_730_400_000);
const ALERT: &str = "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7";

async fn stack(test: &str) -> Stack {
    let table = modelwatch_tests::unique_table_name(test);
    Stack::start(
        &table,
        modelwatch_tests::example_config(),
        Clock::manual(ONSET),
        TOKEN,
        Ports::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("starting the stack: {e}"))
}

async fn call(
    s: &Stack,
    method: &str,
    path: &str,
    body: Value,
    token: &str,
) -> (StatusCode, Value) {
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(serde_json::to_vec(&body).unwrap())
    };
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-modelwatch-token", token)
        .body(body)
        .unwrap();
    let res = s.intake.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The triggered fixture at `at`, in cycle `cycle` of the monitor.
async fn trigger(s: &Stack, at: Timestamp, cycle: &str) {
    let mut body = modelwatch_tests::json_fixture("datadog/10_recommended_triggered.json");
    body["date"] = json!(at.millis().to_string());
    body["last_updated"] = body["date"].clone();
    body["alert_cycle_key"] = json!(cycle);
    body["id"] = json!(format!("{cycle}{}", at.millis()));
    let (status, answer) = call(s, "POST", "/webhooks/datadog", body, TOKEN).await;
    assert!(status.is_success(), "{status} {answer}");
}

async fn recover(s: &Stack, at: Timestamp, cycle: &str) {
    let mut body = modelwatch_tests::json_fixture("datadog/11_recommended_recovered.json");
    body["date"] = json!(at.millis().to_string());
    body["last_updated"] = body["date"].clone();
    body["alert_cycle_key"] = json!(cycle);
    body["id"] = json!(format!("r{cycle}{}", at.millis()));
    let (status, answer) = call(s, "POST", "/webhooks/datadog", body, TOKEN).await;
    assert!(status.is_success(), "{status} {answer}");
}

async fn silence(s: &Stack, body: Value) -> Value {
    let (status, answer) = call(s, "POST", "/silences", body, TOKEN).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

/// The stream, then the clock's minute `at`, then the stream again (what the clock wrote).
async fn settle(s: &mut Stack, at: Timestamp) {
    s.clock.set(at);
    s.deliver().await.unwrap();
    s.tick(at).await.unwrap();
    s.deliver().await.unwrap();
}

fn minutes(m: u64) -> Timestamp {
    ONSET.plus_secs(m * 60)
}

async fn alert(s: &Stack) -> modelwatch::domain::Alert {
    s.store
        .load(&AlertKey::new(ALERT).unwrap())
        .await
        .unwrap()
        .expect("the alert")
}

#[tokio::test]
async fn a_silence_mutes_alerts_that_open_after_it_and_new_cycles_until_it_is_expired() {
    let mut s = stack("silence-rollout").await;
    let made = silence(
        &s,
        json!({"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
               "created_by": "deploy pipeline", "comment": "v8 rollout"}),
    )
    .await;
    assert_eq!(made["state"], "active");
    assert_eq!(made["muted_now"], 0);
    let id = made["id"].as_str().unwrap().to_owned();

    // The alert opens after the silence was made: recorded, muted, nobody paged.
    trigger(&s, minutes(1), "cycle-1").await;
    settle(&mut s, minutes(1)).await;
    let muted = alert(&s).await;
    assert_eq!(muted.status, Status::Open);
    assert!(
        muted.silence.as_ref().is_some_and(|m| m.by.contains(&id)),
        "{:?}",
        muted.silence
    );
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
    assert!(
        s.store
            .open_alerts()
            .await
            .unwrap()
            .iter()
            .any(|a| a.key.as_str() == ALERT),
        "a muted alert is listed with the open ones"
    );

    // The monitor recovers and fires again in a new cycle: still muted.
    recover(&s, minutes(10), "cycle-1").await;
    settle(&mut s, minutes(10)).await;
    trigger(&s, minutes(20), "cycle-2").await;
    settle(&mut s, minutes(20)).await;
    let again = alert(&s).await;
    assert_eq!(again.status, Status::Open);
    assert!(again.silence.is_some(), "the new cycle is muted too");
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );

    // GET lists it; DELETE ends it early and the still-firing alert is paged once.
    let (status, list) = call(&s, "GET", "/silences", Value::Null, TOKEN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["silences"][0]["id"], id.as_str(), "{list}");
    assert_eq!(
        list["silences"][0]["matchers"],
        json!({"env": "prod", "model": "chat-large"})
    );
    s.clock.set(minutes(30));
    let (status, ended) = call(&s, "DELETE", &format!("/silences/{id}"), Value::Null, TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["released_now"], 1, "{ended}");
    settle(&mut s, minutes(30)).await;
    let paged = s.pagerduty.alerts();
    assert_eq!(paged.len(), 1, "{paged:?}");
    assert_eq!(paged[0].status, AlertStatus::Triggered);
    assert_eq!(paged[0].triggers, 1);

    let (status, again) = call(&s, "DELETE", &format!("/silences/{id}"), Value::Null, TOKEN).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "expiring twice changes nothing: {again}"
    );
    let (status, unknown) = call(&s, "DELETE", "/silences/sil-1-0000", Value::Null, TOKEN).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
}

#[tokio::test]
async fn a_planned_silence_mutes_nothing_before_its_start_and_pages_what_still_fires_at_its_end() {
    let mut s = stack("silence-planned").await;
    let made = silence(
        &s,
        json!({"matchers": {"monitor": "98765432"}, "duration": "1h",
               "starts_at": minutes(60).to_string(), "comment": "planned maintenance"}),
    )
    .await;
    assert_eq!(made["state"], "pending", "{made}");

    // Before the window: paged as usual.
    trigger(&s, minutes(5), "cycle-1").await;
    settle(&mut s, minutes(5)).await;
    assert_eq!(s.pagerduty.open_alerts().len(), 1);
    recover(&s, minutes(20), "cycle-1").await;
    settle(&mut s, minutes(20)).await;
    assert!(s.pagerduty.open_alerts().is_empty());

    // In the window: a new cycle is muted.
    trigger(&s, minutes(70), "cycle-2").await;
    settle(&mut s, minutes(70)).await;
    assert!(alert(&s).await.silence.is_some());
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );

    // The window ends with the monitor still firing: the clock pages it.
    settle(&mut s, minutes(121)).await;
    let open = s.pagerduty.open_alerts();
    assert_eq!(open.len(), 1, "{:?}", s.pagerduty.alerts());
    assert_eq!(alert(&s).await.status, Status::Open);
}

/// Two silences match the alert, which the one ending later mutes; ending that one early
/// leaves it muted by the other, and the answer says so instead of counting it released.
#[tokio::test]
async fn ending_one_of_two_silences_over_an_alert_leaves_it_muted_and_says_so() {
    let mut s = stack("silence-two").await;
    silence(
        &s,
        json!({"matchers": {"model": "chat-large"}, "duration": "1h",
               "created_by": "ana", "comment": "v8 rollout"}),
    )
    .await;
    let long = silence(
        &s,
        json!({"matchers": {"env": "prod"}, "duration": "3h",
               "created_by": "ben", "comment": "maintenance"}),
    )
    .await;
    trigger(&s, minutes(1), "cycle-1").await;
    settle(&mut s, minutes(1)).await;
    assert!(alert(&s).await.silence.is_some());
    s.clock.set(minutes(5));
    let id = long["id"].as_str().unwrap();
    let (status, ended) = call(&s, "DELETE", &format!("/silences/{id}"), Value::Null, TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(
        (
            ended["released_now"].as_u64(),
            ended["still_muted"].as_u64()
        ),
        (Some(0), Some(1)),
        "{ended}"
    );
    settle(&mut s, minutes(5)).await;
    assert!(alert(&s).await.silence.is_some());
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
}

/// A deploy pipeline's request timed out after the silence was stored, and it sent the
/// request again: the retry gets the silence already made, not a second one, so ending
/// the silence by the id the retry got back ends the only one and the alert is paged.
#[tokio::test]
async fn a_retried_silence_request_makes_one_silence_that_its_id_ends() {
    let mut s = stack("silence-retried").await;
    let body = json!({"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
                      "created_by": "deploy pipeline", "comment": "v8 rollout"});
    let first = silence(&s, body.clone()).await;
    s.clock.set(ONSET.plus_secs(30));
    let (status, retry) = call(&s, "POST", "/silences", body.clone(), TOKEN).await;
    assert_eq!(status, StatusCode::OK, "{retry}");
    assert_eq!(retry["repeated"], true, "{retry}");
    assert_eq!(retry["id"], first["id"], "{retry}");
    let (_, list) = call(&s, "GET", "/silences", Value::Null, TOKEN).await;
    assert_eq!(list["silences"].as_array().map(Vec::len), Some(1), "{list}");

    trigger(&s, minutes(1), "cycle-1").await;
    settle(&mut s, minutes(1)).await;
    assert!(alert(&s).await.silence.is_some());
    assert!(s.pagerduty.alerts().is_empty());
    s.clock.set(minutes(5));
    let id = retry["id"].as_str().unwrap();
    let (status, ended) = call(&s, "DELETE", &format!("/silences/{id}"), Value::Null, TOKEN).await;
    assert_eq!(
        (status, ended["released_now"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{ended}"
    );
    settle(&mut s, minutes(5)).await;
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "{:?}",
        s.pagerduty.alerts()
    );

    // Past the window, or with anything changed, the same body is a new silence.
    s.clock.set(minutes(10));
    let later = silence(&s, body.clone()).await;
    assert_ne!(later["id"], first["id"]);
    let mut other = body.clone();
    other["comment"] = json!("v9 rollout");
    let different = silence(&s, other).await;
    assert_ne!(different["id"], later["id"]);
}

/// A pipeline whose first request was slow retried while it was still being answered:
/// the requests read the silences before any of them stored one. One silence is stored,
/// and every answer names it.
#[tokio::test]
async fn the_same_silence_request_sent_at_once_makes_one_silence() {
    let s = stack("silence-at-once").await;
    let body = json!({"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
                      "created_by": "deploy pipeline", "comment": "v8 rollout"});
    let answers = futures_util::future::join_all(
        (0..6).map(|_| call(&s, "POST", "/silences", body.clone(), TOKEN)),
    )
    .await;
    for (status, answer) in &answers {
        assert!(status.is_success(), "{status} {answer}");
        assert_eq!(answer["id"], answers[0].1["id"], "{answers:?}");
    }
    let made = answers
        .iter()
        .filter(|(_, a)| a["repeated"] != true)
        .count();
    assert_eq!(made, 1, "{answers:?}");
    let (_, list) = call(&s, "GET", "/silences", Value::Null, TOKEN).await;
    assert_eq!(list["silences"].as_array().map(Vec::len), Some(1), "{list}");

    // The same text for another time is a silence of its own.
    let mut planned = body.clone();
    planned["starts_at"] = json!(ONSET.plus_secs(6 * 3600).to_string());
    let (status, answer) = call(&s, "POST", "/silences", planned, TOKEN).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_ne!(answer["id"], answers[0].1["id"]);
}

#[tokio::test]
async fn the_silence_routes_need_the_token_and_say_what_was_wrong() {
    let s = stack("silence-refused").await;
    let body = json!({"matchers": {"model": "chat-large"}, "duration": "2h"});
    let (status, _) = call(&s, "POST", "/silences", body.clone(), "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&s, "GET", "/silences", Value::Null, "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&s, "DELETE", "/silences/sil-1-0000", Value::Null, "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let cases = [
        (
            json!({"matchers": {}, "duration": "2h"}),
            "at least one matcher",
        ),
        (
            json!({"matchers": {"host": "a"}, "duration": "2h"}),
            "field=value",
        ),
        (json!({"matchers": {"model": "m"}}), "how long"),
        (
            json!({"matchers": {"model": "m"}, "duration": "200d"}),
            "at most 90 days",
        ),
        (
            json!({"matchers": {"model": "m"}, "ends_at": "2020-01-01T00:00:00Z"}),
            "in the past",
        ),
        // A silence that could mute nothing: a level that is none, two versions at once.
        (
            json!({"matchers": {"level": "warning"}, "duration": "2h"}),
            "level=L1, L2 or L3",
        ),
        (
            json!({"matchers": {"model": "m@v7", "version": "v8"}, "duration": "2h"}),
            "both version=v7 and version=v8",
        ),
    ];
    for (body, says) in cases {
        let (status, answer) = call(&s, "POST", "/silences", body.clone(), TOKEN).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{body}: {error}");
    }
    let (status, answer) = call(&s, "DELETE", "/silences/..%2Fetc", Value::Null, TOKEN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        s.store.silences(ONSET).await.unwrap().is_empty(),
        "nothing was recorded"
    );
}

/// `"model": "chat-large@v7"`, as modelwatch writes a model and as Slack's command takes
/// it, is the model and its version: the silence mutes that version's alerts.
#[tokio::test]
async fn a_model_at_its_version_silences_that_version() {
    let s = stack("silence-model-at-version").await;
    let answer = silence(
        &s,
        json!({"matchers": {"model": "chat-large@v7"}, "duration": "2h"}),
    )
    .await;
    let listed = call(&s, "GET", "/silences", Value::Null, TOKEN).await.1;
    assert_eq!(
        listed["silences"][0]["matchers"],
        json!({"model": "chat-large", "version": "v7"}),
        "{answer} {listed}"
    );
}

/// More open alerts than are written at once: every one is muted, and every one released.
#[tokio::test]
async fn a_silence_over_many_open_alerts_mutes_every_one_and_ending_it_releases_every_one() {
    use modelwatch::domain::Silence;
    use modelwatch::silencing;
    let store = modelwatch_tests::fresh_store("silence-many").await;
    let config = modelwatch_tests::example_config();
    // Forty alerts of chat-large (`signals::trigger`'s model), each its own key.
    for i in 0..40 {
        let key = format!("eval:m-many|model:chat-large,model_version:v{i},env:prod");
        let opened = signals::trigger(&key, &format!("many-{i}"), ONSET.secs(), Level::L2);
        store.apply_signal(&opened, ONSET).await.unwrap();
    }
    let matchers = vec!["model=chat-large".parse().unwrap()];
    let until = ONSET.plus_secs(3600);
    let silence = Silence::new(matchers, ONSET, until, "ana", "", ONSET).unwrap();
    let made = silencing::make(&store, &config, silence, ONSET)
        .await
        .unwrap();
    assert_eq!(made.muted.len(), 40);
    let open = store.open_alerts().await.unwrap();
    assert_eq!(open.len(), 40);
    assert!(open.iter().all(|a| a.is_silenced(ONSET)));

    let later = ONSET.plus_secs(60);
    let expired = silencing::expire(&store, &config, &made.silence.id, later)
        .await
        .unwrap();
    assert_eq!(expired.released, 40);
    let open = store.open_alerts().await.unwrap();
    assert!(open.iter().all(|a| !a.is_silenced(later)));
}

/// A fleet's alert ("no model reports", `absence::fleet`) is muted while each of its models
/// is: a silence of one model changes nothing and counts nothing, the second mutes it until
/// the first of the two ends, and ending that one releases it.
#[tokio::test]
async fn a_fleets_alert_is_muted_once_each_of_its_models_is_and_released_when_one_ends() {
    use modelwatch::absence::FleetSilence;
    use modelwatch::domain::Silence;
    use modelwatch::silencing;
    let store = modelwatch_tests::fresh_store("silence-fleet").await;
    let config = modelwatch_tests::example_config();
    let monitor = config
        .monitor("error-rate")
        .expect("the example's error-rate monitor");
    let quiet = FleetSilence {
        since: ONSET.minus_secs(3600),
        first: ONSET.minus_secs(3600),
        models: vec!["chat-large".into(), "embed-small".into()],
        environment: Some("prod".into()),
    };
    let opened = modelwatch::signals::absence::fleet_silent(&config, monitor, &quiet, ONSET)
        .unwrap()
        .expect("a silent fleet under no_data: alert pages");
    store.apply_signal(&opened, ONSET).await.unwrap();

    let make = |model: &str, minutes: u64| {
        let matchers = vec![format!("model={model}").parse().unwrap()];
        Silence::new(
            matchers,
            ONSET,
            ONSET.plus_secs(minutes * 60),
            "ana",
            "",
            ONSET,
        )
        .unwrap()
    };
    let fleet = |open: Vec<modelwatch::domain::Alert>| {
        open.into_iter()
            .find(|a| a.key == opened.key)
            .expect("the fleet's alert is open")
    };
    for unrelated in ["summarizer", "chat-large"] {
        let made = silencing::make(&store, &config, make(unrelated, 120), ONSET)
            .await
            .unwrap();
        assert!(made.muted.is_empty(), "{unrelated}: {:?}", made.muted);
        assert!(!fleet(store.open_alerts().await.unwrap()).is_silenced(ONSET));
    }
    let embed = silencing::make(&store, &config, make("embed-small", 60), ONSET)
        .await
        .unwrap();
    assert_eq!(embed.muted.len(), 1);
    let muted = fleet(store.open_alerts().await.unwrap());
    assert!(muted.is_silenced(ONSET));
    assert_eq!(
        muted.silence.as_ref().map(|m| m.until),
        Some(ONSET.plus_secs(3600)),
        "until the first of the two ends"
    );

    let later = ONSET.plus_secs(60);
    let expired = silencing::expire(&store, &config, &embed.silence.id, later)
        .await
        .unwrap();
    assert_eq!(expired.released, 1);
    assert!(!fleet(store.open_alerts().await.unwrap()).is_silenced(later));
}
