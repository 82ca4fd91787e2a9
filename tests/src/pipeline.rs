//! The whole pipeline on loopback — the fakes of Datadog, PagerDuty and Slack, the intake,
//! the escalator fed from the table's stream, the escalation clock and the evaluator —
//! as `make local` and `make demo` run it. The handlers are the Lambdas' own.

use std::sync::Arc;

use axum::Router;
use escalator::Escalator;
use evaluator::Evaluator;
use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::domain::Timestamp;
use modelwatch::http::BaseUrl;
use modelwatch::runtime::FromSecrets;
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;
use modelwatch::store::stream::Batching;
use modelwatch::store::{Store, create_table};
use serde_json::Value;

use crate::fakes::{
    ContractViolation, DatadogFake, DatadogFakeConfig, PagerDutyFake, SlackFake, SlackFakeConfig,
};
use crate::stream::StreamPoller;

pub const SLACK_TOKEN: &str = "xoxb-modelwatch-local";
pub const DATADOG_API_KEY: &str = "local-datadog-api-key";
pub const DATADOG_APP_KEY: &str = "local-datadog-app-key";
pub const SLACK_SIGNING_SECRET: &str = "local-slack-signing-secret";
pub const PAGERDUTY_WEBHOOK_SECRET: &str = "local-pagerduty-webhook-secret";
/// Deployments are forwarded to PagerDuty as change events with this routing key.
pub const CHANGE_EVENTS_KEY: &str = "RCHANGE0LOCALKEY0123456789ABCDEF";
const CHANGE_EVENTS_ENTRY: &str = "pagerduty_routing_key_changes";

/// Ports to listen on (0: any free one).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub pagerduty: u16,
    pub slack: u16,
    pub datadog: u16,
}

pub struct Stack {
    pub table: String,
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub token: String,
    pub routing_keys: Vec<(String, String)>,
    pub intake: Router,
    pub escalator: Escalator,
    pub evaluator: Evaluator,
    pub pagerduty: PagerDutyFake,
    pub slack: SlackFake,
    pub datadog: DatadogFake,
    poller: StreamPoller,
    batching: Batching,
    /// Each lane's records handed over and not answered yet, or asked for again (a
    /// delivery failed): Lambda hands them over again first.
    pending: std::sync::Mutex<Vec<Vec<Value>>>,
}

fn lock(pending: &std::sync::Mutex<Vec<Vec<Value>>>) -> std::sync::MutexGuard<'_, Vec<Vec<Value>>> {
    pending
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn records_of(batch: Value) -> Vec<Value> {
    match batch {
        Value::Object(mut event) => match event.remove("Records") {
            Some(Value::Array(records)) => records,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Where the stack reaches DynamoDB (`None`: `AWS_ENDPOINT_URL_DYNAMODB`, the emulator
/// `with-dynamodb` started).
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// The emulator: the table is created there and its stream read from there (as
    /// Lambda's own stream poller would, whatever happens in front of the functions).
    pub emulator: Option<String>,
    /// What the handlers call (a proxy a test cuts or stalls, or a test's own emulator),
    /// with the Lambdas' deadlines (`modelwatch::aws::timeouts`); `None`: the emulator,
    /// without deadlines.
    pub functions: Option<String>,
}

/// What one round of stream delivery did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Round {
    pub batches: u32,
    pub failed: u32,
}

impl Stack {
    /// Creates `table` on the emulator (`AWS_ENDPOINT_URL_DYNAMODB`), starts the fakes
    /// with a channel for every channel `config` names, and builds the handlers.
    pub async fn start(
        table: &str,
        config: Config,
        clock: Clock,
        token: &str,
        ports: Ports,
    ) -> Result<Self, String> {
        Self::start_at(&Endpoints::default(), table, config, clock, token, ports).await
    }

    /// As `start`, with DynamoDB where `endpoints` say.
    pub async fn start_at(
        endpoints: &Endpoints,
        table: &str,
        config: Config,
        clock: Clock,
        token: &str,
        ports: Ports,
    ) -> Result<Self, String> {
        let aws = match &endpoints.emulator {
            Some(url) => aws_config::from_env().endpoint_url(url).load().await,
            None => aws_config::load_from_env().await,
        };
        let client = dynamodb(&aws, endpoints.emulator.as_deref());
        create_table(&client, table)
            .await
            .map_err(|e| e.to_string())?;
        let store = match &endpoints.functions {
            Some(url) => {
                let functions = aws_config::from_env()
                    .timeout_config(modelwatch::aws::timeouts())
                    .load()
                    .await;
                Store::new(dynamodb(&functions, Some(url)), table)
            }
            None => Store::new(client.clone(), table),
        };
        let config = Arc::new(config);

        let mut slack_config = SlackFakeConfig::new(SLACK_TOKEN);
        for (i, name) in channels(&config).iter().enumerate() {
            slack_config = slack_config.channel(channel_id(i), name.trim_start_matches('#'));
        }
        let io = |what: &str, e: std::io::Error| format!("{what} fake: {e}");
        let pagerduty = PagerDutyFake::start(ports.pagerduty)
            .await
            .map_err(|e| io("PagerDuty", e))?;
        let slack = SlackFake::start(slack_config, ports.slack)
            .await
            .map_err(|e| io("Slack", e))?;
        let datadog = DatadogFake::start(
            DatadogFakeConfig::new(DATADOG_API_KEY, DATADOG_APP_KEY).rate_limit(1_000_000, 60),
            ports.datadog,
        )
        .await
        .map_err(|e| io("Datadog", e))?;

        let mut secrets = Secrets::default();
        secrets.insert("slack_bot_token", Secret::new(SLACK_TOKEN));
        secrets.insert("datadog_api_key", Secret::new(DATADOG_API_KEY));
        secrets.insert("datadog_app_key", Secret::new(DATADOG_APP_KEY));
        let mut routing_keys = Vec::new();
        for (i, (name, entry)) in config.routing.pagerduty_keys.iter().enumerate() {
            // 32 letters and digits, distinct per service from the first characters on
            // (the fake names a service by its key's start), like a real integration key.
            let name_part: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
            let key: String = format!(
                "{}{i}LOCALKEY0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                name_part.to_ascii_uppercase()
            )
            .chars()
            .take(32)
            .collect();
            secrets.insert(entry, Secret::new(key.clone()));
            routing_keys.push((name.clone(), key));
        }

        secrets.insert("webhook_token", Secret::new(token));
        secrets.insert(
            "pagerduty_webhook_secret",
            Secret::new(PAGERDUTY_WEBHOOK_SECRET),
        );
        secrets.insert("slack_signing_secret", Secret::new(SLACK_SIGNING_SECRET));
        secrets.insert(CHANGE_EVENTS_ENTRY, Secret::new(CHANGE_EVENTS_KEY));
        // Each handler as its Lambda builds it (`Setup::build` from the secret), pointed
        // at the fakes, on the stack's clock.
        let url = |u: String| BaseUrl::new(&u).map_err(|e| e.to_string());
        let built = |e: modelwatch::runtime::InitError| e.to_string();
        let mut escalator = escalator::Setup {
            store: store.clone(),
            config: config.clone(),
            settings: escalator::Settings {
                slack: url(slack.url())?,
                pagerduty: url(pagerduty.url())?,
            },
            cold_start: Default::default(),
        }
        .build(&secrets)
        .map_err(built)?;
        escalator.clock = clock.clone();
        let evaluator = evaluator::Setup {
            store: store.clone(),
            config: config.clone(),
            settings: evaluator::Settings {
                datadog: url(datadog.url())?,
            },
        }
        .build(&secrets)
        .map_err(built)?;
        let mut intake = intake::Setup {
            store: store.clone(),
            config: config.clone(),
            settings: intake::Settings {
                change_events_key: Some(CHANGE_EVENTS_ENTRY.into()),
                pagerduty_url: pagerduty.url(),
                // A click's `response_url` may name the fake Slack, as locally deployed.
                slack_url: Some(slack.url()),
                ..intake::Settings::default()
            },
        }
        .build(&secrets)
        .map_err(built)?;
        intake.clock = clock.clone();
        let intake = intake::router(Arc::new(intake));
        let poller = StreamPoller::open(&client, &aws, table).await?;
        Ok(Self {
            table: table.to_owned(),
            store,
            config,
            clock,
            token: token.to_owned(),
            routing_keys,
            intake,
            escalator,
            evaluator,
            pagerduty,
            slack,
            datadog,
            poller,
            batching: modelwatch::store::stream::batching().map_err(|e| e.to_string())?,
            pending: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// A stack for one test: its own table, the example configuration, the system clock.
    pub async fn for_test(test: &str, token: &str) -> Self {
        let table = crate::unique_table_name(test);
        Self::start(
            &table,
            crate::example_config(),
            Clock::system(),
            token,
            Ports::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("starting the stack for {test}: {e}"))
    }

    /// The Slack fake's ID of channel `name` (with or without `#`).
    /// Every request (or fake answer) that broke a vendor's contract, taken from the three
    /// fakes: they no longer fail the test for them.
    pub fn take_contract_violations(&self) -> Vec<ContractViolation> {
        let mut all = self.pagerduty.take_contract_violations();
        all.extend(self.slack.take_contract_violations());
        all.extend(self.datadog.take_contract_violations());
        all
    }

    pub fn channel_id(&self, name: &str) -> String {
        let name = name.trim_start_matches('#');
        channels(&self.config)
            .iter()
            .position(|c| c.trim_start_matches('#') == name)
            .map(channel_id)
            .unwrap_or_else(|| panic!("the configuration names no channel {name}"))
    }

    /// The routing key the stack put in the secret for `routing.pagerduty_keys` name `name`.
    pub fn routing_key(&self, name: &str) -> &str {
        self.routing_keys
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, key)| key.as_str())
            .unwrap_or_else(|| panic!("the configuration names no routing key {name}"))
    }

    /// Hands the escalator everything the stream holds, as Lambda would with the
    /// template's batching: up to `ParallelizationFactor` batches at once, one item's
    /// records in order. After a partial batch failure or an error, a lane's records from
    /// the failed one on come again first next time; so do the unanswered ones of a round
    /// cut short (the future dropped: a crash, a timeout).
    pub async fn deliver(&mut self) -> Result<Round, String> {
        let mut round = Round::default();
        loop {
            let left: Vec<Value> = std::mem::take(&mut *lock(&self.pending))
                .into_iter()
                .flatten()
                .collect();
            let records = if left.is_empty() {
                match self.poller.next_batch().await? {
                    Some(batch) => records_of(batch),
                    None => return Ok(round),
                }
            } else {
                left
            };
            let lanes = crate::stream::lanes(records, self.batching);
            *lock(&self.pending) = lanes.iter().map(|lane| lane.concat()).collect();
            let (escalator, pending) = (&self.escalator, &self.pending);
            let rounds = futures_util::future::join_all(lanes.into_iter().enumerate().map(
                |(lane, batches)| async move {
                    let mut done = Round::default();
                    for batch in batches {
                        done.batches += 1;
                        let event = serde_json::json!({ "Records": batch });
                        let answer = escalator::handle(escalator, event.clone())
                            .await
                            .map_err(|e| e.to_string())?;
                        let retry = crate::stream::retry_from(&event, &answer)
                            .map_or(0, |rest| records_of(rest).len());
                        lock(pending)[lane].drain(..batch.len() - retry);
                        if retry > 0 {
                            done.failed += 1;
                            break;
                        }
                    }
                    Ok::<Round, String>(done)
                },
            ))
            .await;
            for lane in rounds {
                let lane = lane?;
                round.batches += lane.batches;
                round.failed += lane.failed;
            }
            if round.failed > 0 {
                return Ok(round);
            }
        }
    }

    /// The escalation clock's minute.
    pub async fn tick(&self, now: Timestamp) -> Result<escalator::TickReport, String> {
        escalator::tick(&self.escalator, now)
            .await
            .map_err(|e| e.to_string())
    }

    /// The evaluator's minute.
    pub async fn evaluate(&self, at: Timestamp) -> Result<evaluator::RunReport, String> {
        self.evaluator.run(at).await.map_err(|e| e.to_string())
    }

    /// Posts Slack's form `payload=<payload>` to the intake's `path`, signed as Slack signs
    /// (with the wall clock, whatever time a scenario is at); the answer's status.
    pub async fn post_slack(&self, path: &str, payload: &str) -> Result<u16, String> {
        use hmac::{Hmac, Mac};
        let body =
            serde_urlencoded::to_string([("payload", payload)]).map_err(|e| e.to_string())?;
        let ts = Timestamp::now().secs().to_string();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SLACK_SIGNING_SECRET.as_bytes())
            .map_err(|e| e.to_string())?;
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        let req = axum::http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(axum::body::Body::from(body))
            .map_err(|e| e.to_string())?;
        self.status_of(req).await
    }

    /// Hands `req` to the intake; the answer's status.
    pub async fn status_of(
        &self,
        req: axum::http::Request<axum::body::Body>,
    ) -> Result<u16, String> {
        use tower::ServiceExt;
        let res = self
            .intake
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| e.to_string())?;
        Ok(res.status().as_u16())
    }
}

/// A DynamoDB client from `aws`, at `endpoint` if given (set on the client: an endpoint
/// in the shared configuration yields to `AWS_ENDPOINT_URL_DYNAMODB`).
fn dynamodb(aws: &aws_config::SdkConfig, endpoint: Option<&str>) -> modelwatch::store::Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(aws);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    modelwatch::store::Client::from_conf(config.build())
}

/// The Slack fake's ID of the `i`th channel the configuration names.
fn channel_id(i: usize) -> String {
    format!("C{:08}", i + 1)
}

/// Every Slack channel the configuration names.
pub fn channels(config: &Config) -> Vec<String> {
    let mut all: Vec<String> = vec![config.routing.default_slack_channel.clone()];
    all.extend(config.models.values().map(|m| m.slack_channel.clone()));
    for level in &config.routing.levels {
        all.extend(level.slack_channels.iter().cloned());
    }
    for route in &config.routing.routes {
        for level in &route.levels {
            all.extend(level.slack_channels.iter().flatten().cloned());
        }
    }
    let mut unique = Vec::new();
    for c in all {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    unique
}
