//! Shared helpers for the integration tests: a fresh table per test on the local emulator.

use modelwatch::store::{Store, create_table};

pub mod demo;
pub mod emulator;
pub mod fakes;
pub mod pipeline;
pub mod proxy;
pub mod request_log;
pub mod serve;
pub mod stream;

/// The emulator's endpoint, set by `tests/emulator/with-dynamodb` (run through `make test`).
/// A file under `tests/fixtures/` (`datadog/10_recommended_triggered.json`), whole.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

/// A JSON fixture under `tests/fixtures/`, parsed.
pub fn json_fixture(path: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(path)).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// `X-PagerDuty-Signature` for `body` signed with `secret`, as PagerDuty writes it
/// (`v1=` and the hex HMAC-SHA256), computed here apart from the intake's check.
pub fn pagerduty_signature(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The moment the fixtures' scenario stands at (2026-11-28T05:00:00Z): every sender time
/// in `tests/fixtures/` lies before it.
const FIXTURES_AS_OF_MS: i64 = 1_795_842_000_000;

/// `ms`, a time of the fixtures' scenario, moved to as long before now as it was before
/// the scenario's moment (by whole minutes, the same for every call in a process). The
/// intake believes a sender's time only within seven days before its arrival
/// (`Timestamp::claimed`), so fixtures sent with the times they were captured with would
/// change meaning a week later.
pub fn recent(ms: i64) -> i64 {
    static SHIFT_MS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    ms + *SHIFT_MS.get_or_init(|| {
        let since = modelwatch::domain::Timestamp::now().millis() - FIXTURES_AS_OF_MS;
        since - since.rem_euclid(60_000)
    })
}

/// A webhook fixture under `tests/fixtures/` (`datadog/10_recommended_triggered.json`,
/// `pagerduty/incident_resolved.json`) with its sender times moved by `recent`: Datadog's
/// `date` and `last_updated` (epoch milliseconds), PagerDuty's `occurred_at` (RFC 3339).
pub fn sent_fixture(path: &str) -> Vec<u8> {
    let mut body = json_fixture(path);
    for field in ["date", "last_updated"] {
        if let Some(ms) = body[field].as_str().and_then(|t| t.parse::<i64>().ok()) {
            body[field] = serde_json::Value::String(recent(ms).to_string());
        }
    }
    if let Some(at) = body["event"]["occurred_at"].as_str() {
        let at = modelwatch::domain::Timestamp::parse(at)
            .unwrap_or_else(|| panic!("{path}: occurred_at {at:?} is not a time"));
        let moved = modelwatch::domain::Timestamp::from_millis(recent(at.millis()));
        body["event"]["occurred_at"] = serde_json::Value::String(moved.to_string());
    }
    serde_json::to_vec(&body).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT_URL_DYNAMODB is not set: run these tests through `make test` \
             (or tests/emulator/with-dynamodb cargo test), which starts the DynamoDB emulator"
        )
    })
}

/// A client for the emulator (the endpoint variable is read by the standard AWS config).
pub async fn client() -> aws_sdk_dynamodb::Client {
    emulator_endpoint();
    let config = aws_config::load_from_env().await;
    aws_sdk_dynamodb::Client::new(&config)
}

/// The annotated example configuration, `infra/modelwatch.example.yaml`.
pub const EXAMPLE_CONFIG: &str = include_str!("../../infra/modelwatch.example.yaml");

/// Timeouts for a vendor client talking to a fake on loopback: short, so a test that holds
/// an answer back trips them within a second.
pub fn quick_timeouts() -> modelwatch::http::Timeouts {
    modelwatch::http::Timeouts {
        connect: std::time::Duration::from_secs(1),
        request: std::time::Duration::from_millis(500),
    }
}

/// The example configuration parsed (whatever a developer's own deployment file holds).
pub fn example_config() -> modelwatch::config::Config {
    modelwatch::config::Config::parse("infra/modelwatch.example.yaml", EXAMPLE_CONFIG)
        .unwrap_or_else(|e| panic!("the example configuration is invalid:\n{e}"))
}

/// The intake's routes over `store` and the example configuration, built as the Lambda
/// builds them (`intake::Setup::build`) from a secret holding `entries`.
pub fn intake_router(store: Store, entries: &[(&str, &str)]) -> axum::Router {
    intake_router_with(
        store,
        entries,
        intake::Settings::default(),
        example_config(),
    )
}

/// `intake_router` with `settings` (a fake Slack's URL, say) and `config` in place of the
/// defaults and the example.
pub fn intake_router_with(
    store: Store,
    entries: &[(&str, &str)],
    settings: intake::Settings,
    config: modelwatch::config::Config,
) -> axum::Router {
    use modelwatch::runtime::FromSecrets;
    let mut secrets = modelwatch::secrets::Secrets::default();
    for (name, value) in entries {
        secrets.insert(name, modelwatch::secret::Secret::new(*value));
    }
    let intake = intake::Setup {
        store,
        config: std::sync::Arc::new(config),
        settings,
    }
    .build(&secrets)
    .unwrap_or_else(|e| panic!("building the intake: {e}"));
    intake::router(std::sync::Arc::new(intake))
}

/// The evaluator Lambda as `Setup::build` makes it, on a fresh table, reading `config`
/// and Datadog's metrics at `datadog_url` with the keys `dd-api` / `dd-app`.
pub async fn evaluator_on(test: &str, config: &str, datadog_url: &str) -> evaluator::Evaluator {
    evaluator_with(fresh_store(test).await, config, datadog_url)
}

/// The same on `store`: a cold container of an evaluator that already ran.
pub fn evaluator_with(store: Store, config: &str, datadog_url: &str) -> evaluator::Evaluator {
    use modelwatch::runtime::FromSecrets;
    let config =
        modelwatch::config::Config::parse("test.yaml", config).unwrap_or_else(|e| panic!("{e}"));
    let mut secrets = modelwatch::secrets::Secrets::default();
    secrets.insert("datadog_api_key", modelwatch::secret::Secret::new("dd-api"));
    secrets.insert("datadog_app_key", modelwatch::secret::Secret::new("dd-app"));
    evaluator::Setup {
        store,
        config: std::sync::Arc::new(config),
        settings: evaluator::Settings {
            datadog: modelwatch::http::BaseUrl::new(datadog_url).unwrap_or_else(|e| panic!("{e}")),
        },
    }
    .build(&secrets)
    .unwrap_or_else(|e| panic!("building the evaluator: {e}"))
}

/// A new, empty alerts table with a name of its own, so tests run in parallel.
pub async fn fresh_store(test: &str) -> Store {
    let client = client().await;
    let name = unique_table_name(test);
    create_table(&client, &name)
        .await
        .unwrap_or_else(|e| panic!("creating table {name}: {e}"));
    Store::new(client, name)
}

/// A store whose table endpoint accepts connections and never answers (a paused or
/// black-holed DynamoDB), with the deployed clients' deadlines; and the endpoint's
/// address. The endpoint lives as long as the test's runtime.
pub async fn store_that_never_answers() -> (Store, std::net::SocketAddr) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let config = aws_config::from_env()
        .endpoint_url(format!("http://{addr}"))
        .timeout_config(modelwatch::aws::timeouts())
        .load()
        .await;
    let store = Store::new(modelwatch::store::Client::new(&config), "never-answers");
    (store, addr)
}

pub fn unique_table_name(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let safe: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect();
    // Tests of one binary run on threads at once, and the clock may read the same for two.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("t-{safe}-{nanos}-{}-{n}", std::process::id())
}

/// Signal builders for tests.
pub mod signals {
    use modelwatch::domain::{
        AlertContext, AlertKey, Breach, BreachState, EscalationPolicy, Level, ModelRef, Signal,
        SignalId, SignalKind, Source, Timestamp,
    };

    pub fn key(k: &str) -> AlertKey {
        AlertKey::new(k).expect("test alert key")
    }

    pub fn signal(key_: &str, id: &str, at_secs: i64, source: Source, kind: SignalKind) -> Signal {
        Signal {
            id: SignalId::new(id).expect("test signal id"),
            key: key(key_),
            at: Timestamp::from_secs(at_secs),
            source,
            kind,
        }
    }

    pub fn trigger(key_: &str, id: &str, at_secs: i64, level: Level) -> Signal {
        let context = AlertContext {
            title: "p95 generation latency above 2 s".into(),
            model: Some(ModelRef::new("chat-large", Some("v7")).expect("model")),
            ..AlertContext::default()
        };
        signal(
            key_,
            id,
            at_secs,
            Source::Datadog,
            SignalKind::Breach {
                breach: Breach {
                    state: BreachState::Alert,
                    level,
                    first_breach_at: None,
                    context,
                    policy: EscalationPolicy::default(),
                },
                repeat: false,
            },
        )
    }

    pub fn recovered(key_: &str, id: &str, at_secs: i64) -> Signal {
        signal(
            key_,
            id,
            at_secs,
            Source::Datadog,
            SignalKind::Recovered {
                context: AlertContext::default(),
            },
        )
    }

    pub fn ack(key_: &str, id: &str, at_secs: i64, by: &str) -> Signal {
        signal(
            key_,
            id,
            at_secs,
            Source::Slack,
            SignalKind::Acknowledged {
                by: by.into(),
                cycle: None,
                answered_elsewhere: false,
            },
        )
    }
}

/// A fresh random token for local use (32 hex characters from the OS's randomness).
pub fn random_token() -> String {
    use sha2::{Digest, Sha256};
    let mut seed = Vec::new();
    if let Ok(bytes) = std::fs::read("/proc/sys/kernel/random/uuid") {
        seed.extend(bytes);
    }
    seed.extend(format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).into_bytes());
    hex::encode(&Sha256::digest(&seed)[..16])
}

/// Puts the item of alert `key` as this version cannot read it (its cycle a word: a newer
/// version's item after a rollback, or one edited by hand), with `extra` attributes (the
/// open-alerts index keys, `owed_count` for the stream filter).
pub async fn put_undecodable_alert(
    store: &Store,
    key: &str,
    extra: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut item = std::collections::HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("ALERT#{key}"))),
        ("sk".to_owned(), AttributeValue::S("STATE".into())),
        ("version".to_owned(), AttributeValue::N("2".into())),
        (
            "body".to_owned(),
            AttributeValue::S(format!(r#"{{"key":"{key}","cycle":"one"}}"#)),
        ),
    ]);
    item.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    put_raw_item(store, item).await;
}

/// Puts `item` into the table as given, past the store's encoding: an item written by hand,
/// or by another version.
pub async fn put_raw_item(
    store: &Store,
    item: impl IntoIterator<Item = (impl Into<String>, aws_sdk_dynamodb::types::AttributeValue)>,
) {
    let item = item.into_iter().map(|(k, v)| (k.into(), v)).collect();
    store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}
