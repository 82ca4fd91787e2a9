//! `modelwatch doctor` against the fakes: a deployment set up right passes every check; each
//! thing a new deployment gets wrong fails its own check, naming the problem and the fix.

use modelwatch::config::Config;
use modelwatch::doctor::{self, Check, Inputs, Outcome, Targets};
use modelwatch::http::{BaseUrl, Timeouts};
use modelwatch::provision::{self, DatadogApi};
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;
use modelwatch::store::Store;
use modelwatch_tests::fakes::{
    DatadogConfigFake, DatadogFake, DatadogFakeConfig, PagerDutyFake, SlackFake, SlackFakeConfig,
};
use modelwatch_tests::fresh_store;

const CONFIG: &str = r##"
metrics:
  - name: llm.generation.latency
  - name: llm.quality.score
models:
  - { name: chat-large, versions: [v1], team: chat, slack_channel: "#chat-alerts" }
routing:
  default_slack_channel: "#modelwatch"
  pagerduty_keys:
    - { name: ml-oncall, secret: pagerduty_routing_key_oncall }
  L1: { slack: ["#ml-l1"], escalate_after: 30m }
  L2: { pagerduty: ml-oncall, escalate_after: 15m }
  L3: {}
monitors:
  - id: latency
    metric: llm.generation.latency
    rule:
      threshold: { critical: 3 }
"##;

const API_KEY: &str = "dd-api";
const APP_KEY: &str = "dd-app";
const TOKEN: &str = "xoxb-doctor";
const ROUTING_KEY: &str = "R0123456789abcdef0123456789abcde";

struct World {
    datadog: DatadogFake,
    datadog_config: DatadogConfigFake,
    slack: SlackFake,
    pagerduty: PagerDutyFake,
    store: Store,
    config: Config,
    secrets: Secrets,
}

async fn world(test: &str, slack: SlackFakeConfig) -> World {
    let datadog = DatadogFake::start(DatadogFakeConfig::new(API_KEY, APP_KEY), 0)
        .await
        .unwrap();
    let now = modelwatch::domain::Timestamp::now().millis();
    let tags = [
        ("model", "chat-large"),
        ("model_version", "v1"),
        ("env", "prod"),
    ];
    let recent: Vec<(i64, f64)> = (1..10).map(|i| (now - i * 60_000, 1.2)).collect();
    datadog.add("llm.generation.latency", &tags, recent);
    let mut secrets = Secrets::default();
    for (name, value) in [
        ("datadog_api_key", API_KEY),
        ("datadog_app_key", APP_KEY),
        ("slack_bot_token", TOKEN),
        ("pagerduty_routing_key_oncall", ROUTING_KEY),
        ("pagerduty_webhook_secret", "whsec"),
        ("webhook_token", "hook-token"),
    ] {
        secrets.insert(name, Secret::new(value));
    }
    World {
        datadog,
        datadog_config: DatadogConfigFake::start(API_KEY, APP_KEY, 0).await.unwrap(),
        slack: SlackFake::start(slack, 0).await.unwrap(),
        pagerduty: PagerDutyFake::start(0).await.unwrap(),
        store: fresh_store(test).await,
        config: Config::parse("doctor.yaml", CONFIG).unwrap_or_else(|e| panic!("{e}")),
        secrets,
    }
}

fn slack_with_every_channel() -> SlackFakeConfig {
    SlackFakeConfig::new(TOKEN)
        .channel("C00000001", "modelwatch")
        .channel("C00000002", "chat-alerts")
        .channel("C00000003", "ml-l1")
}

impl World {
    /// What `modelwatch datadog apply` leaves in Datadog: the webhook and its variable.
    async fn apply_datadog(&self) {
        let api = DatadogApi::new(
            BaseUrl::new(&self.datadog_config.url()).unwrap(),
            modelwatch::datadog::metrics::DatadogKeys {
                api_key: Secret::new(API_KEY),
                app_key: Secret::new(APP_KEY),
            },
            Timeouts::default(),
        )
        .unwrap();
        let token = Secret::new("hook-token");
        let desired = provision::desired(provision::Inputs {
            config: &self.config,
            webhook_url: "https://intake.example/webhooks/datadog",
            token: &token,
        })
        .unwrap();
        let (plan, ids) = provision::survey(&api, desired, false).await.unwrap();
        provision::apply(&api, &plan, ids, false, |_| {})
            .await
            .unwrap();
    }

    async fn examine(&self, send_test_events: bool) -> Vec<Check> {
        let inputs = Inputs {
            config: &self.config,
            secrets: &self.secrets,
            targets: Targets {
                datadog: BaseUrl::new(&self.datadog.url()).unwrap(),
                datadog_config: BaseUrl::new(&self.datadog_config.url()).unwrap(),
                slack: BaseUrl::new(&self.slack.url()).unwrap(),
                pagerduty: BaseUrl::new(&self.pagerduty.url()).unwrap(),
            },
            send_test_events,
        };
        doctor::examine(&inputs, Ok(&self.store)).await
    }
}

fn find<'a>(checks: &'a [Check], service: &str, check: &str) -> &'a Outcome {
    &checks
        .iter()
        .find(|c| c.service == service && c.check == check)
        .unwrap_or_else(|| panic!("no {service} check {check:?} in {checks:#?}"))
        .outcome
}

fn fails_with(outcome: &Outcome, problem: &str, fix: &str) {
    match outcome {
        Outcome::Fail { problem: p, fix: f } => {
            assert!(p.contains(problem), "problem {p:?} should say {problem:?}");
            assert!(f.contains(fix), "fix {f:?} should say {fix:?}");
        }
        other => panic!("expected a failure saying {problem:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deployment_set_up_right_passes_every_check() {
    let w = world("doctor-ok", slack_with_every_channel()).await;
    w.apply_datadog().await;
    let checks = w.examine(true).await;
    let failed: Vec<&Check> = checks.iter().filter(|c| c.failed()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(matches!(
        find(&checks, "DynamoDB", "alerts table"),
        Outcome::Pass { .. }
    ));
    assert!(matches!(
        find(&checks, "Datadog", "webhook"),
        Outcome::Pass { .. }
    ));
    assert!(matches!(
        find(&checks, "Slack", "scopes"),
        Outcome::Pass { .. }
    ));
    assert!(matches!(
        find(&checks, "Slack", "channel #chat-alerts"),
        Outcome::Pass { .. }
    ));
    match find(&checks, "Datadog", "metric llm.generation.latency") {
        Outcome::Pass { found } => assert!(found.contains("1 model group"), "{found}"),
        other => panic!("{other:?}"),
    }
    // A metric nobody sends yet is a warning: monitors of it will see no data.
    assert!(matches!(
        find(&checks, "Datadog", "metric llm.quality.score"),
        Outcome::Warn { .. }
    ));
    // The test event opened and closed one incident.
    let alerts = w.pagerduty.alerts();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        matches!(find(&checks, "PagerDuty", "routing key ml-oncall"), Outcome::Pass { found } if found.contains("accepted"))
    );
}

/// Datadog answers the doctor's metrics query only in part: the metrics it answered are
/// checked as usual, and a warning says the rest may show no data for that reason.
#[tokio::test]
async fn a_metrics_query_answered_only_in_part_is_a_warning_not_unreachable() {
    let w = world("doctor-in-part", slack_with_every_channel()).await;
    w.apply_datadog().await;
    w.datadog.answer_in_part("llm.quality.score", true);
    let checks = w.examine(false).await;
    match find(&checks, "Datadog", "metrics query") {
        Outcome::Warn { .. } => {}
        other => panic!("expected a warning, got {other:?}"),
    }
    assert!(matches!(
        find(&checks, "Datadog", "metric llm.generation.latency"),
        Outcome::Pass { .. }
    ));
    // The metric left unanswered is not said to be missing.
    match find(&checks, "Datadog", "metric llm.quality.score") {
        Outcome::Warn { problem, fix } => {
            assert!(problem.contains("partial answer"), "{problem}");
            assert!(fix.starts_with("run the doctor again"), "{fix}");
        }
        other => panic!("expected a warning, got {other:?}"),
    }
}

/// Two secret entries holding one routing key at L2 and L3: the escalation would fold into
/// the on-call incident. The configuration check cannot see the values; the doctor can.
#[tokio::test]
async fn l3_on_the_routing_key_l2_pages_fails_its_check() {
    let mut w = world("doctor-one-key", slack_with_every_channel()).await;
    w.config = Config::parse(
        "doctor.yaml",
        &CONFIG
            .replace(
                "    - { name: ml-oncall, secret: pagerduty_routing_key_oncall }\n",
                "    - { name: ml-oncall, secret: pagerduty_routing_key_oncall }\n    - { name: ml-senior, secret: pagerduty_routing_key_senior }\n",
            )
            .replace("  L3: {}", "  L3: { pagerduty: ml-senior }"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    w.secrets
        .insert("pagerduty_routing_key_senior", Secret::new(ROUTING_KEY));
    let checks = w.examine(false).await;
    fails_with(
        find(&checks, "PagerDuty", "L3 routing key"),
        "`pagerduty_routing_key_senior` (L3) and `pagerduty_routing_key_oncall` (L2) hold the same routing key",
        "put the integration key of the service L3 should page in `pagerduty_routing_key_senior`",
    );
    assert_eq!(
        checks
            .iter()
            .filter(|c| c.check == "L3 routing key")
            .count(),
        1
    );
    // A routing capped at L2 never pages L3's key.
    w.config.routing.max_level = modelwatch::domain::Level::L2;
    let checks = w.examine(false).await;
    assert!(
        !checks.iter().any(|c| c.check == "L3 routing key"),
        "{checks:#?}"
    );
    w.config.routing.max_level = modelwatch::domain::Level::L3;
    // A key of its own passes, and the check is not there at all.
    w.secrets.insert(
        "pagerduty_routing_key_senior",
        Secret::new("S0123456789abcdef0123456789abcde"),
    );
    let checks = w.examine(false).await;
    assert!(
        !checks.iter().any(|c| c.check == "L3 routing key"),
        "{checks:#?}"
    );
    assert!(matches!(
        find(&checks, "PagerDuty", "routing key ml-senior"),
        Outcome::Pass { .. }
    ));
}

#[tokio::test]
async fn each_mistake_fails_its_own_check_with_the_fix() {
    let slack = SlackFakeConfig::new(TOKEN)
        .channel("C00000001", "modelwatch")
        .channel_without_bot("C00000002", "chat-alerts")
        .scopes(&[
            "chat:write",
            "commands",
            "files:write",
            "channels:read",
            "groups:read",
        ]);
    let mut w = world("doctor-mistakes", slack).await;
    w.secrets
        .insert("pagerduty_routing_key_oncall", Secret::new("not-a-key"));
    let checks = w.examine(false).await;

    fails_with(
        find(&checks, "Datadog", "webhook"),
        "no webhook named modelwatch",
        "modelwatch datadog apply",
    );
    fails_with(
        find(&checks, "Slack", "scopes"),
        "chat:write.public",
        "reinstall",
    );
    assert!(matches!(
        find(&checks, "Slack", "channel #chat-alerts"),
        Outcome::Warn { fix, .. } if fix.contains("/invite @modelwatch")
    ));
    fails_with(
        find(&checks, "Slack", "channel #ml-l1"),
        "no such channel",
        "fix the name",
    );
    fails_with(
        find(&checks, "PagerDuty", "routing key ml-oncall"),
        "pagerduty_routing_key_oncall",
        "32 characters",
    );

    // An application key Datadog refuses: the key is valid, the query is not allowed.
    w.secrets
        .insert("datadog_app_key", Secret::new("wrong-app"));
    let checks = w.examine(false).await;
    assert!(matches!(
        find(&checks, "Datadog", "API key"),
        Outcome::Pass { .. }
    ));
    fails_with(
        find(&checks, "Datadog", "application key"),
        "refused the metrics query (403)",
        "timeseries_query",
    );
    w.secrets.insert("datadog_app_key", Secret::new(APP_KEY));

    // Keys Datadog refuses stop its checks at the first; a bad Slack token likewise.
    w.secrets.insert("datadog_api_key", Secret::new("wrong"));
    w.secrets
        .insert("slack_bot_token", Secret::new("xoxb-wrong"));
    let checks = w.examine(false).await;
    fails_with(
        find(&checks, "Datadog", "API key"),
        "refused the API key",
        "API Keys",
    );
    assert!(checks.iter().all(|c| c.check != "webhook"), "{checks:#?}");
    fails_with(
        find(&checks, "Slack", "bot token"),
        "invalid_auth",
        "reinstall the app",
    );

    // Secrets left empty say which entry to fill.
    let mut empty = Secrets::default();
    empty.insert("webhook_token", Secret::new("t"));
    w.secrets = empty;
    let checks = w.examine(false).await;
    fails_with(
        find(&checks, "Datadog", "keys"),
        "datadog_api_key",
        "Fill in the secret",
    );
    fails_with(
        find(&checks, "Slack", "bot token"),
        "slack_bot_token is empty",
        "xoxb-",
    );
    assert!(matches!(
        find(&checks, "PagerDuty", "webhook secret"),
        Outcome::Warn { .. }
    ));
}

#[tokio::test]
async fn an_unreachable_table_fails_with_the_next_step() {
    let w = world("doctor-table", slack_with_every_channel()).await;
    let missing = Store::new(w.store.client().clone(), "no-such-table");
    let inputs = Inputs {
        config: &w.config,
        secrets: &w.secrets,
        targets: Targets {
            datadog: BaseUrl::new(&w.datadog.url()).unwrap(),
            datadog_config: BaseUrl::new(&w.datadog_config.url()).unwrap(),
            slack: BaseUrl::new(&w.slack.url()).unwrap(),
            pagerduty: BaseUrl::new(&w.pagerduty.url()).unwrap(),
        },
        send_test_events: false,
    };
    let checks = doctor::examine(&inputs, Ok(&missing)).await;
    fails_with(
        find(&checks, "DynamoDB", "alerts table"),
        "no-such-table",
        "MODELWATCH_TABLE",
    );
}
