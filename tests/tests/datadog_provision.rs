//! `modelwatch datadog plan|apply` against the fake of Datadog's configuration API: a first
//! apply from an empty account, a second that changes nothing, drift put right, deletes
//! only when allowed, objects modelwatch did not make left alone, and an apply cut short
//! by a 429 or 5xx finished by the next one without duplicates.

use std::time::Duration;

use modelwatch::config::Config;
use modelwatch::datadog::metrics::DatadogKeys;
use modelwatch::http::{BaseUrl, RetryPolicy, Timeouts};
use modelwatch::provision::{self, Applied, Change, DatadogApi, Inputs, Kind, Object, Plan};
use modelwatch::secret::Secret;
use modelwatch_tests::fakes::{DatadogConfigFake, Fault};
use serde_json::{Value, json};

const API_KEY: &str = "dd-api-key-abcdef";
const APP_KEY: &str = "dd-app-key-123456";
const TOKEN: &str = "intake-token-0123456789abcdef";
const WEBHOOK_URL: &str = "https://intake.example.com/webhooks/datadog";

fn config() -> Config {
    let mut config = modelwatch_tests::example_config();
    config.datadog.environments = vec!["staging".into(), "production".into()];
    config.datadog.native_monitors = vec![
        "embed-latency-threshold".into(),
        "chat-errors-baseline".into(),
        "chat-latency".into(),
        "error-rate".into(),
        "timeout-rate".into(),
        "chat-slow-and-failing".into(),
    ];
    config
}

fn desired(config: &Config) -> Vec<Object> {
    let token = Secret::new(TOKEN);
    provision::desired(Inputs {
        config,
        webhook_url: WEBHOOK_URL,
        token: &token,
    })
    .unwrap()
}

fn api(fake: &DatadogConfigFake) -> DatadogApi {
    let keys = DatadogKeys {
        api_key: Secret::new(API_KEY),
        app_key: Secret::new(APP_KEY),
    };
    DatadogApi::new(
        BaseUrl::new(&fake.url()).unwrap(),
        keys,
        Timeouts::default(),
    )
    .unwrap()
    .with_retry_policy(RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        deadline: Duration::from_secs(5),
    })
}

async fn plan(api: &DatadogApi, config: &Config) -> Plan {
    provision::survey(api, desired(config), false)
        .await
        .unwrap()
        .0
}

async fn apply(api: &DatadogApi, config: &Config, allow_delete: bool) -> Applied {
    let (plan, ids) = provision::survey(api, desired(config), false)
        .await
        .unwrap();
    provision::apply(api, &plan, ids, allow_delete, |_| {})
        .await
        .unwrap()
}

fn writes(fake: &DatadogConfigFake) -> usize {
    fake.received().iter().filter(|r| r.method != "GET").count()
}

#[tokio::test]
async fn a_first_apply_creates_everything_and_a_second_changes_nothing() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let config = config();
    let first = plan(&api, &config).await;
    let objects = desired(&config).len();
    assert_eq!(first.changes.len(), objects);
    assert!(first.changes.iter().all(|c| matches!(c, Change::Create(_))));
    let text = provision::render(&first);
    assert!(
        text.contains("+ create webhook webhook/modelwatch"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the plan shows the token:\n{text}");
    assert_eq!(writes(&fake), 0, "plan changed something");

    let applied = apply(&api, &config, false).await;
    assert_eq!(applied.created, objects);
    // 2 environments × (5 monitors + 1 composite), one dashboard each.
    assert_eq!(fake.monitors().len(), 12);
    assert_eq!(fake.dashboards().len(), 2);
    let variable = &fake.variables()["MODELWATCH_WEBHOOK_TOKEN"];
    assert_eq!(
        (variable["value"].as_str(), variable["is_secret"].as_bool()),
        (Some(TOKEN), Some(true))
    );
    let webhook = &fake.webhooks()["modelwatch"];
    assert_eq!(webhook["url"], WEBHOOK_URL);
    let headers: Value = serde_json::from_str(webhook["custom_headers"].as_str().unwrap()).unwrap();
    assert_eq!(
        headers,
        json!({"X-Modelwatch-Token": "$MODELWATCH_WEBHOOK_TOKEN"})
    );
    // Composites name the Datadog ids of the monitors they combine.
    let composite = fake
        .monitors()
        .into_values()
        .find(|m| m["type"] == "composite" && m["tags"].to_string().contains("env:production"))
        .unwrap();
    let query = composite["query"].as_str().unwrap();
    assert!(!query.contains("[["), "{query}");

    let again = plan(&api, &config).await;
    assert!(again.is_empty(), "{}", provision::render(&again));
    assert_eq!(again.unchanged, objects);
    let before = writes(&fake);
    assert_eq!(apply(&api, &config, false).await, Applied::default());
    assert_eq!(writes(&fake), before, "a second apply wrote to Datadog");
}

#[tokio::test]
async fn a_field_edited_in_datadog_shows_as_an_update_and_apply_puts_it_back() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let config = config();
    apply(&api, &config, false).await;
    let (id, _) = fake
        .monitors()
        .into_iter()
        .find(|(_, m)| {
            m["name"] == "[modelwatch] Embedding latency (threshold with hysteresis) (production)"
        })
        .unwrap();
    fake.edit_monitor(id, |m| {
        m["options"]["thresholds"]["warning_recovery"] = json!(0.24)
    });
    let dashboard = fake.dashboards().into_keys().next().unwrap();
    fake.edit_dashboard(&dashboard, |d| {
        d["widgets"][1]["definition"]["title"] = json!("mine now")
    });

    let drift = plan(&api, &config).await;
    let text = provision::render(&drift);
    assert!(
        text.contains("~ update monitor monitor/embed-latency-threshold/production"),
        "{text}"
    );
    assert!(
        text.contains("/options/thresholds/warning_recovery: 0.24 → 0.2"),
        "{text}"
    );
    assert!(
        text.contains("/widgets/1/definition/title: \"mine now\" →"),
        "{text}"
    );
    assert_eq!(drift.changes.len(), 2, "{text}");

    let applied = apply(&api, &config, false).await;
    assert_eq!(applied.updated, 2);
    assert_eq!(
        fake.monitors()[&id]["options"]["thresholds"]["warning_recovery"],
        json!(0.2)
    );
    assert!(plan(&api, &config).await.is_empty());
}

#[tokio::test]
async fn deletes_wait_for_allow_delete_and_objects_modelwatch_did_not_make_are_never_touched() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let mine = fake.add_monitor(json!({
        "name": "someone's own", "type": "query alert",
        "query": "avg(last_5m):avg:llm.requests.error_rate{env:production} > 0.5",
        "tags": ["env:production", "team:search"],
        "options": {"thresholds": {"critical": 0.5}},
    }));
    let their_dashboard = fake.add_dashboard(json!({
        "title": "modelwatch — production", "layout_type": "ordered", "widgets": [],
        "description": "looks like ours but has no marker",
    }));
    let config = config();
    apply(&api, &config, false).await;

    let mut smaller = config.clone();
    smaller.datadog.environments = vec!["production".into()];
    let shrink = plan(&api, &smaller).await;
    // Staging's 6 monitors and its dashboard; composites first.
    assert_eq!(shrink.deletes(), 7, "{}", provision::render(&shrink));
    let Change::Delete { found, .. } = &shrink.changes[0] else {
        panic!("{shrink:?}");
    };
    assert_eq!(found.key, "monitor/chat-slow-and-failing/staging");

    let refused = apply(&api, &smaller, false).await;
    assert_eq!((refused.deleted, refused.refused_deletes), (0, 7));
    assert_eq!(fake.monitors().len(), 13);

    let allowed = apply(&api, &smaller, true).await;
    assert_eq!(allowed.deleted, 7);
    assert_eq!(fake.monitors().len(), 7);
    assert!(fake.monitors().contains_key(&mine));
    assert!(fake.dashboards().contains_key(&their_dashboard));
    assert_eq!(fake.monitors()[&mine]["name"], "someone's own");
    assert!(plan(&api, &smaller).await.is_empty());
}

async fn cut_short_then_finished(fault: Fault) {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let config = config();
    let (plan_, ids) = provision::survey(&api, desired(&config), false)
        .await
        .unwrap();
    let total = plan_.changes.len();
    let mut done = 0;
    // Halfway through, Datadog fails every attempt of the next request.
    let result = provision::apply(&api, &plan_, ids, false, |_| {
        done += 1;
        if done == total / 2 {
            fake.faults().push(fault.clone(), 2);
        }
    })
    .await;
    let err = result.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("run apply again"), "{err}");
    let held = fake.monitors().len() + fake.dashboards().len();
    assert!(held > 0 && held < total);

    let rest = plan(&api, &config).await;
    assert_eq!(
        rest.changes.len(),
        total - total / 2,
        "{}",
        provision::render(&rest)
    );
    assert!(rest.changes.iter().all(|c| matches!(c, Change::Create(_))));
    apply(&api, &config, false).await;
    assert_eq!(fake.monitors().len(), 12, "a monitor was made twice");
    assert_eq!(fake.dashboards().len(), 2);
    assert!(plan(&api, &config).await.is_empty());
}

#[tokio::test]
async fn an_apply_cut_short_by_a_5xx_is_finished_by_the_next_without_duplicates() {
    cut_short_then_finished(Fault::Status { status: 503 }).await;
}

#[tokio::test]
async fn an_apply_cut_short_by_a_429_is_finished_by_the_next_without_duplicates() {
    cut_short_then_finished(Fault::RateLimited {
        retry_after_secs: 0,
    })
    .await;
}

/// Datadog made the monitor, and its answer was a 5xx (a lost answer is the same): the
/// create is not sent again, as a second copy would page too. Apply stops; the next finds
/// the monitor by its key and makes the rest. Each object once.
#[tokio::test]
async fn a_create_whose_answer_failed_is_not_sent_again() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let config = config();
    let (plan_, ids) = provision::survey(&api, desired(&config), false)
        .await
        .unwrap();
    let total = plan_.changes.len();
    let mut done = 0;
    let result = provision::apply(&api, &plan_, ids, false, |_| {
        done += 1;
        if done == total / 2 {
            fake.faults()
                .push(Fault::HandledThenStatus { status: 503 }, 1);
        }
    })
    .await;
    let err = result.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("run apply again"), "{err}");
    apply(&api, &config, false).await;
    assert_eq!(fake.monitors().len(), 12, "a monitor was made twice");
    assert_eq!(fake.dashboards().len(), 2);
    assert!(plan(&api, &config).await.is_empty());
}

/// Datadog made the webhook (or its token variable), and its answer was a 5xx: made by
/// name, it is sent again, and Datadog answers the taken name 400 (its contract has no
/// 409). The object found by that name is the one made: apply finishes, each once.
#[tokio::test]
async fn a_webhook_whose_create_answer_failed_is_found_by_its_name() {
    for kind in [Kind::CustomVariable, Kind::Webhook] {
        let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
        let api = api(&fake);
        let config = config();
        let (plan_, ids) = provision::survey(&api, desired(&config), false)
            .await
            .unwrap();
        let before = plan_
            .changes
            .iter()
            .position(|c| matches!(c, Change::Create(o) if o.kind == kind))
            .unwrap();
        if before == 0 {
            fake.faults()
                .push(Fault::HandledThenStatus { status: 503 }, 1);
        }
        let mut done = 0;
        provision::apply(&api, &plan_, ids, false, |_| {
            done += 1;
            if done == before {
                fake.faults()
                    .push(Fault::HandledThenStatus { status: 503 }, 1);
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(fake.webhooks().len(), 1, "{kind:?}");
        assert!(plan(&api, &config).await.is_empty(), "{kind:?}");
    }
}

/// The fake refuses the monitor queries Datadog's monitor API refuses: a `last` time
/// aggregation, a window of days other than `last_1d`, an hour count past a week.
#[tokio::test]
async fn the_fake_refuses_a_monitor_query_datadog_cannot_run() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let monitor = desired(&config())
        .into_iter()
        .find(|o| o.kind == Kind::Monitor && o.body["type"] == "query alert")
        .unwrap();
    let query = monitor.body["query"].as_str().unwrap().to_owned();
    let (head, tail) = query.split_once("):").unwrap();
    assert!(
        api.create(Kind::Monitor, &monitor.body).await.is_ok(),
        "{query}"
    );
    for bad in [
        "last(last_5m",
        "avg(last_2d",
        "avg(last_169h",
        "avg(last_0m",
    ] {
        let mut body = monitor.body.clone();
        body["query"] = json!(format!("{bad}):{tail}"));
        body["name"] = json!(format!("{} {bad}", monitor.body["name"]));
        let err = api.create(Kind::Monitor, &body).await.unwrap_err();
        assert!(err.to_string().contains("invalid"), "{bad}: {err}");
    }
    assert!(head.contains("(last_"), "{query}");
}

/// Datadog lists dashboards a page at a time (`count`, 100 by default): in an
/// organisation with more, modelwatch's are still found again, not made anew.
#[tokio::test]
async fn managed_dashboards_past_the_first_page_are_found_again() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    for i in 0..150 {
        fake.add_dashboard(json!({
            "title": format!("team dashboard {i}"), "layout_type": "ordered", "widgets": [],
        }));
    }
    let api = api(&fake);
    let config = config();
    apply(&api, &config, false).await;
    assert_eq!(fake.dashboards().len(), 152);
    let again = plan(&api, &config).await;
    assert!(again.is_empty(), "{}", provision::render(&again));
}

#[tokio::test]
async fn a_rejected_key_names_the_api_and_never_the_key() {
    let fake = DatadogConfigFake::start(API_KEY, "another-app-key", 0)
        .await
        .unwrap();
    let api = api(&fake);
    let err = provision::survey(&api, desired(&config()), false)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("403"), "{text}");
    assert!(!text.contains(APP_KEY) && !text.contains(API_KEY), "{text}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn every_request_keeps_datadogs_documented_models() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    let config = config();
    apply(&api, &config, false).await;
    let mut smaller = config.clone();
    smaller.datadog.environments = vec!["staging".into()];
    apply(&api, &smaller, true).await;
    assert!(fake.received().iter().all(|r| r.violations.is_empty()));
    assert_eq!(fake.take_contract_violations(), vec![]);
    let kinds: Vec<Kind> = desired(&config).iter().map(|o| o.kind).collect();
    assert!(kinds.contains(&Kind::Dashboard) && kinds.contains(&Kind::Monitor));
}

#[tokio::test]
async fn the_fake_refuses_what_datadog_refuses() {
    let fake = DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap();
    let api = api(&fake);
    // A custom variable name with lower-case letters breaks the API reference.
    let err = api
        .create(
            Kind::CustomVariable,
            &json!({"name": "lower", "value": "x", "is_secret": true}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    // A threshold the query does not use.
    let err = api
        .create(
            Kind::Monitor,
            &json!({"type": "query alert", "query": "avg(last_5m):avg:m{*} > 1", "options": {"thresholds": {"critical": 2}}}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}
