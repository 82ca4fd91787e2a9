//! Functions and the deployment's secret on the emulator's Secrets Manager: a secret as the
//! template first creates it (only the generated token) leaves the functions "not
//! configured" instead of failing; filling it in takes effect in a warm container; a value
//! that cannot be used keeps the clients that worked.

use std::sync::Arc;
use std::time::Duration;

use modelwatch::http::BaseUrl;
use modelwatch::runtime::{Live, NotConfigured};
use modelwatch::secrets::SecretSource;
use modelwatch_tests::{emulator_endpoint, example_config, fresh_store, unique_table_name};
use serde_json::json;

const ONCALL_KEY: &str = "R0NCALL0123456789ABCDEFGHIJKLMNO";
const SENIOR_KEY: &str = "RSENIOR0123456789ABCDEFGHIJKLMNO";

async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    let config = aws_config::load_from_env().await;
    let conf = aws_sdk_secretsmanager::config::Builder::from(&config)
        .endpoint_url(emulator_endpoint())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// The secret as the template's GenerateSecretString creates it: every entry empty but
/// the generated webhook token.
fn first_deployed() -> serde_json::Value {
    json!({
        "datadog_api_key": "", "datadog_app_key": "",
        "pagerduty_routing_key_oncall": "", "pagerduty_routing_key_senior": "",
        "pagerduty_webhook_secret": "", "slack_bot_token": "", "slack_signing_secret": "",
        "webhook_token": "Gx7TQ2a9bK4mZ8pW3rN6vY1cH5jL0sDfE2gU9iO4kA7qR3tB"
    })
}

async fn create_secret(
    client: &aws_sdk_secretsmanager::Client,
    value: &serde_json::Value,
) -> String {
    let name = unique_table_name("secret");
    client
        .create_secret()
        .name(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
    name
}

/// A new secret holding `value`, and the source that reads it.
async fn managed_secret(
    client: &aws_sdk_secretsmanager::Client,
    value: &serde_json::Value,
) -> (String, SecretSource) {
    let id = create_secret(client, value).await;
    let source = SecretSource::Manager {
        client: client.clone(),
        secret_id: id.clone(),
    };
    (id, source)
}

async fn put(client: &aws_sdk_secretsmanager::Client, id: &str, value: &serde_json::Value) {
    client
        .put_secret_value()
        .secret_id(id)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
}

async fn escalator_live(test: &str, source: SecretSource) -> Live<escalator::Setup> {
    let setup = escalator::Setup {
        store: fresh_store(test).await,
        config: Arc::new(example_config()),
        settings: escalator::Settings {
            slack: BaseUrl::new("http://127.0.0.1:9").unwrap(),
            pagerduty: BaseUrl::new("http://127.0.0.1:9").unwrap(),
        },
        cold_start: Default::default(),
    };
    Live::start(source, setup)
        .await
        .unwrap()
        .with_intervals(Duration::ZERO, Duration::ZERO)
}

#[tokio::test]
async fn a_first_deployed_secret_is_not_configured_and_filling_it_takes_effect_warm() {
    let client = secrets_manager().await;
    let (id, source) = managed_secret(&client, &first_deployed()).await;
    let live = escalator_live("live-fill", source).await;
    let not = live.current().await.map(|_| ()).unwrap_err();
    assert_eq!(
        not,
        NotConfigured::new(vec![
            "slack_bot_token".into(),
            "pagerduty_routing_key_oncall".into(),
            "pagerduty_routing_key_senior".into(),
        ])
    );

    let mut filled = first_deployed();
    filled["slack_bot_token"] = json!("xoxb-filled-later");
    filled["pagerduty_routing_key_oncall"] = json!(ONCALL_KEY);
    filled["pagerduty_routing_key_senior"] = json!(SENIOR_KEY);
    put(&client, &id, &filled).await;
    let escalator = live
        .current()
        .await
        .expect("configured once the secret is filled");
    assert_eq!(escalator.routing_keys.len(), 2);
}

#[tokio::test]
async fn an_unusable_new_value_keeps_the_clients_that_worked() {
    let client = secrets_manager().await;
    let mut good = first_deployed();
    good["slack_bot_token"] = json!("xoxb-good");
    good["pagerduty_routing_key_oncall"] = json!(ONCALL_KEY);
    good["pagerduty_routing_key_senior"] = json!(SENIOR_KEY);
    let (id, source) = managed_secret(&client, &good).await;
    let live = escalator_live("live-bad-value", source).await;
    let before = live.current().await.expect("configured");

    let mut bad = good.clone();
    bad["pagerduty_routing_key_oncall"] = json!("not a routing key");
    put(&client, &id, &bad).await;
    let after = live.current().await.expect("still configured");
    assert!(Arc::ptr_eq(&before, &after), "the working clients are kept");

    // Emptying an entry the function needs is "not configured" again, not an error.
    let mut emptied = good.clone();
    emptied["slack_bot_token"] = json!("");
    put(&client, &id, &emptied).await;
    let not = live.current().await.map(|_| ()).unwrap_err();
    assert_eq!(not.missing, ["slack_bot_token"]);
}

#[tokio::test]
async fn an_unreadable_secret_fails_the_cold_start_by_name() {
    let client = secrets_manager().await;
    let source = SecretSource::Manager {
        client,
        secret_id: "modelwatch/does-not-exist".into(),
    };
    let setup = escalator::Setup {
        store: fresh_store("live-missing-secret").await,
        config: Arc::new(example_config()),
        settings: escalator::Settings {
            slack: BaseUrl::new("http://127.0.0.1:9").unwrap(),
            pagerduty: BaseUrl::new("http://127.0.0.1:9").unwrap(),
        },
        cold_start: Default::default(),
    };
    let err = Live::start(source, setup).await.map(|_| ()).unwrap_err();
    assert!(
        err.to_string().contains("modelwatch/does-not-exist"),
        "{err}"
    );
}

async fn intake_live(test: &str, source: SecretSource) -> Live<intake::Setup> {
    let setup = intake::Setup {
        store: fresh_store(test).await,
        config: Arc::new(example_config()),
        settings: intake::Settings::default(),
    };
    // Refreshed only after an hour: what is read sooner is read because of a refusal.
    Live::start(source, setup)
        .await
        .unwrap()
        .with_intervals(Duration::from_secs(3600), Duration::ZERO)
}

async fn webhook(live: &Live<intake::Setup>, token: &str) -> axum::http::StatusCode {
    let body = include_bytes!("../fixtures/datadog/10_recommended_triggered.json");
    let request = axum::http::Request::post("/webhooks/datadog")
        .header("content-type", "application/json")
        .header("x-modelwatch-token", token)
        .body(axum::body::Body::from(body.to_vec()))
        .unwrap();
    // Bodies that can be served twice, as lambda_http's are.
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let request = axum::http::Request::from_parts(parts, http_body_util::Full::new(bytes));
    intake::serve(live, request).await.status()
}

/// Rotating the webhook token as README says: the old one moves to
/// `webhook_token_previous` and is accepted beside the new one, so the webhooks Datadog
/// sends before `datadog apply --rotate-token` still get in; a warm container that has
/// not re-read the secret yet re-reads it when the new token is refused, instead of
/// answering 401 (which Datadog never retries) until its next refresh.
#[tokio::test]
async fn a_rotated_webhook_token_is_accepted_at_once_and_the_previous_one_meanwhile() {
    let client = secrets_manager().await;
    let old = first_deployed();
    let (id, source) = managed_secret(&client, &old).await;
    let live = intake_live("live-rotate", source).await;
    let old_token = old["webhook_token"].as_str().unwrap().to_owned();
    assert!(webhook(&live, &old_token).await.is_success());

    let mut rotated = first_deployed();
    rotated["webhook_token"] = json!("N3wT0kenN3wT0kenN3wT0kenN3wT0kenN3wT0kenN3wT0ken");
    rotated["webhook_token_previous"] = json!(old_token);
    put(&client, &id, &rotated).await;
    let status = webhook(&live, "N3wT0kenN3wT0kenN3wT0kenN3wT0kenN3wT0kenN3wT0ken").await;
    assert!(
        status.is_success(),
        "the new token, before the refresh: {status}"
    );
    assert!(
        webhook(&live, &old_token).await.is_success(),
        "the previous token"
    );
    assert_eq!(
        webhook(&live, "guessed").await,
        axum::http::StatusCode::UNAUTHORIZED
    );
}

/// The secret rotated just after the container read it (its cold start, or a periodic
/// refresh): the new token's first webhook still makes it read the secret again. Only
/// reads for refusals are spaced by the retry interval; a read for another reason moments
/// before would have answered Datadog 401, which it never retries.
#[tokio::test]
async fn a_token_rotated_just_after_a_read_of_the_secret_is_taken_at_once() {
    let client = secrets_manager().await;
    let old = first_deployed();
    let (id, source) = managed_secret(&client, &old).await;
    // Started (the secret read) just now; refusals re-read at most once a minute.
    let live = intake_live("live-rotate-after-read", source)
        .await
        .with_intervals(Duration::from_secs(3600), Duration::from_secs(60));
    let mut rotated = first_deployed();
    rotated["webhook_token"] = json!("R0tat3dR0tat3dR0tat3dR0tat3dR0tat3dR0tat3dR0tat3d");
    rotated["webhook_token_previous"] = old["webhook_token"].clone();
    put(&client, &id, &rotated).await;
    let new_token = rotated["webhook_token"].as_str().unwrap();
    assert!(
        webhook(&live, new_token).await.is_success(),
        "the new token"
    );
    // That refusal's read spaces the next: a token rotated again at once waits for it.
    let mut again = rotated.clone();
    again["webhook_token"] = json!("Ag41nT0kAg41nT0kAg41nT0kAg41nT0kAg41nT0kAg41nT0k");
    put(&client, &id, &again).await;
    assert_eq!(
        webhook(&live, again["webhook_token"].as_str().unwrap()).await,
        axum::http::StatusCode::UNAUTHORIZED
    );
}

/// Refused requests re-read the secret at most once a retry interval, also while the
/// secret cannot be read (a failed read sets the refresh clock back to look again sooner,
/// which must not let every refused request, a guesser's included, read the secret).
#[tokio::test]
async fn refused_requests_reread_the_secret_at_most_once_an_interval_even_after_a_failed_read() {
    let client = secrets_manager().await;
    let (id, source) = managed_secret(&client, &first_deployed()).await;
    let live = intake_live("live-reread-limit", source)
        .await
        .with_intervals(Duration::from_secs(3600), Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    client
        .delete_secret()
        .secret_id(&id)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        webhook(&live, "guessed").await,
        axum::http::StatusCode::UNAUTHORIZED
    );
    // The secret is back with a new token at once: not read again within the interval.
    let mut back = first_deployed();
    back["webhook_token"] = json!("B4ckT0kenB4ckT0kenB4ckT0kenB4ckT0kenB4ckT0kenB4ck");
    client
        .create_secret()
        .name(&id)
        .secret_string(back.to_string())
        .send()
        .await
        .unwrap();
    let token = back["webhook_token"].as_str().unwrap();
    assert_eq!(
        webhook(&live, token).await,
        axum::http::StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(
        webhook(&live, token).await.is_success(),
        "after the interval"
    );
}

/// A model endpoint's token rotated in the secret: the warm prober still holds the old
/// one, and the endpoint refuses it (401). The run reads the secret again at once and
/// runs those cases with the new token, so the rotation opens no alert.
#[tokio::test]
async fn a_rotated_endpoint_token_is_read_again_at_once_and_pages_nobody() {
    use modelwatch_tests::fakes::{DatadogFake, DatadogFakeConfig, ModelFake, ModelFakeConfig};
    const NEW: &str = "model-token-new-0123456789";
    let model = ModelFake::start(ModelFakeConfig::new(NEW), 0)
        .await
        .unwrap();
    let datadog = DatadogFake::start(DatadogFakeConfig::new("dd-api", "dd-app"), 0)
        .await
        .unwrap();
    let yaml = format!(
        r##"
models:
  - {{ name: chat-large, team: chat, slack_channel: "#chat" }}
probes:
  timeout: 2s
  endpoints:
    - {{ name: chat, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: capital, model: chat-large, endpoint: chat, prompt: What is the capital of France?, expect: {{ contains: [Paris] }} }}
"##,
        model.url()
    );
    let config = modelwatch::config::Config::parse("t.yaml", &yaml).unwrap();
    let client = secrets_manager().await;
    let old = json!({"datadog_api_key": "dd-api", "chat_token": "model-token-old-0123456789"});
    let id = create_secret(&client, &old).await;
    let store = fresh_store("live-prober-rotation").await;
    let setup = prober::Setup {
        store: store.clone(),
        config: Arc::new(config),
        settings: prober::Settings {
            datadog: BaseUrl::new(&datadog.url()).unwrap(),
        },
    };
    let source = SecretSource::Manager {
        client: client.clone(),
        secret_id: id.clone(),
    };
    let live = Live::start(source, setup)
        .await
        .unwrap()
        .with_intervals(Duration::from_secs(3600), Duration::ZERO);

    put(
        &client,
        &id,
        &json!({"datadog_api_key": "dd-api", "chat_token": NEW}),
    )
    .await;
    let at = modelwatch::domain::Timestamp::from_secs(1_795_730_400);
    let report = prober::invoke(&live, at).await.unwrap();
    assert_eq!((report.passed, report.failed), (1, 0), "{report:?}");
    assert_eq!(
        report.retried, 0,
        "the new token passed, not a retry: {report:?}"
    );
    assert!(store.open_alerts().await.unwrap().is_empty());
}
