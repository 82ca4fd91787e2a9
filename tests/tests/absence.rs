//! A model that goes silent, end to end on the emulator: Datadog's series stop (the fake
//! then leaves the group out, as Datadog does), the evaluator pages through the table's
//! stream into the PagerDuty and Slack fakes, and the page resolves when the model reports
//! clean again or when the configuration stops expecting it, with a note.

use std::sync::Arc;

use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::domain::{AlertKey, Level, MonitorState, Status, Timestamp};
use modelwatch::http::BaseUrl;
use modelwatch::runtime::FromSecrets;
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;
use modelwatch_tests::fakes::AlertStatus;
use modelwatch_tests::pipeline::{self, Ports, Stack};

const TOKEN: &str = "absence-test-token";

const CONFIG: &str = r##"
time_zone: UTC
metrics:
  - name: llm.requests.error_rate
models:
  - name: chat-large
    versions: [v3, v4]
    team: chat
    slack_channel: "#chat-large-alerts"
routing:
  default_slack_channel: "#modelwatch"
  pagerduty_keys:
    - name: ml-oncall
      secret: pagerduty_routing_key_oncall
  L1: { slack: ["#ml-l1"] }
  L2: { pagerduty: ml-oncall, slack: ["#ml-l2"] }
  L3: {}
monitors:
  - id: errors
    name: Error rate
    template: error_rate
    metric: llm.requests.error_rate
"##;

const V3: &str = "eval:errors|model:chat-large,model_version:v3,env:prod";
const V4: &str = "eval:errors|model:chat-large,model_version:v4";

/// Minute 0 of each test.
fn t(minute: u32) -> Timestamp {
    Timestamp::from_secs(1_795_730_400 + i64::from(minute) * 60)
}

async fn stack(test: &str, config: &str) -> Stack {
    let config = Config::parse("absence.yaml", config).unwrap_or_else(|e| panic!("{e}"));
    let table = modelwatch_tests::unique_table_name(test);
    Stack::start(&table, config, Clock::manual(t(0)), TOKEN, Ports::default())
        .await
        .unwrap_or_else(|e| panic!("starting the stack: {e}"))
}

/// An error rate of 0.4 % per minute for `minutes`, chat-large tagged as `version` in prod.
fn report(s: &Stack, version: &str, minutes: std::ops::Range<u32>) {
    report_model(s, "chat-large", version, minutes);
}

/// The evaluator, the escalation clock and the escalator, every minute of `minutes`.
async fn run(s: &mut Stack, minutes: std::ops::RangeInclusive<u32>) {
    for m in minutes {
        s.clock.set(t(m));
        s.evaluate(t(m))
            .await
            .unwrap_or_else(|e| panic!("minute {m}: {e}"));
        s.tick(t(m)).await.unwrap();
        s.deliver().await.unwrap();
    }
}

async fn alert(s: &Stack, key: &str) -> modelwatch::domain::Alert {
    s.store
        .load(&AlertKey::new(key).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no alert {key}"))
}

fn page(s: &Stack, key: &str) -> modelwatch_tests::fakes::HeldAlert {
    let alerts = s.pagerduty.alerts();
    alerts
        .iter()
        .find(|a| a.dedup_key.starts_with(&format!("modelwatch:{key}#")))
        .cloned()
        .unwrap_or_else(|| panic!("no page for {key}: {alerts:?}"))
}

#[tokio::test]
async fn a_model_that_stops_reporting_pages_on_call_and_recovers_when_it_reports_again() {
    let mut s = stack("absence-silent", CONFIG).await;
    // v3 reports for two hours, stops for three, then reports again; v4 throughout.
    report(&s, "v3", 0..120);
    report(&s, "v3", 300..420);
    report(&s, "v4", 0..420);

    run(&mut s, 60..=125).await;
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );

    // The last point is at minute 119: without data from 126 (5 min window + 2 min of
    // Datadog's delay), and the template's 3-of-5 trigger pages at 128.
    run(&mut s, 126..=130).await;
    let silent = alert(&s, V3).await;
    assert_eq!(silent.status, Status::Open);
    assert_eq!(silent.state, MonitorState::NoData);
    assert_eq!(
        silent.level,
        Level::L2,
        "no_data: alert pages at the alert level"
    );
    assert_eq!(silent.opened_at, Some(t(128)));
    assert_eq!(silent.first_breach_at, Some(t(126)));
    let paged = page(&s, V3);
    assert_eq!(paged.service, s.routing_key("ml-oncall")[..6]);
    assert_eq!(paged.status, AlertStatus::Triggered);
    assert!(paged.summary.contains("Error rate"), "{}", paged.summary);

    // Past the replay (minute 186) Datadog no longer returns v3 at all: the alert stays
    // a no-data alert, paged once, and the monitor's item remembers v3's last point.
    run(&mut s, 180..=200).await;
    let still = alert(&s, V3).await;
    assert_eq!(
        (still.status, still.state),
        (Status::Open, MonitorState::NoData)
    );
    assert_eq!(s.pagerduty.alerts().len(), 1, "{:?}", s.pagerduty.alerts());
    assert_eq!(page(&s, V3).triggers, 1);
    let seen = s.store.seen_groups("errors").await.unwrap();
    let v3 = seen
        .groups
        .iter()
        .find(|(g, _)| g.version.as_deref() == Some("v3"))
        .map(|(_, s)| *s)
        .unwrap();
    assert_eq!(v3.last_seen, t(119));
    assert_eq!(v3.absent_since, Some(t(119)));

    // Back at 300 and clean: resolved everywhere after the 5 clean evaluations.
    run(&mut s, 300..=310).await;
    let back = alert(&s, V3).await;
    assert_eq!(back.status, Status::Resolved, "{back:?}");
    assert_eq!(page(&s, V3).status, AlertStatus::Resolved);
    let seen = s.store.seen_groups("errors").await.unwrap();
    assert!(
        seen.groups.values().all(|s| s.absent_since.is_none()),
        "{seen:?}"
    );
    let v4 = "modelwatch:eval:errors|model:chat-large,model_version:v4,env:prod#";
    assert!(
        !s.pagerduty
            .alerts()
            .iter()
            .any(|a| a.dedup_key.starts_with(v4)),
        "v4 reported throughout and never paged: {:?}",
        s.pagerduty.alerts()
    );
}

/// A group whose alert key would be over the 400 characters an alert key takes (Datadog's
/// tags allow longer: a long model name and an image reference for a version) stops
/// reporting: it has no alert to look at, and the other groups' absence still pages.
#[tokio::test]
async fn a_group_too_long_for_an_alert_key_going_quiet_stops_no_other_page() {
    let mut s = stack("absence-long-key", CONFIG).await;
    let model = format!("m{}", "x".repeat(190));
    let version = format!("registry.example.com/{}", "v".repeat(160));
    report_model(&s, &model, &version, 0..60);
    v3_goes_quiet_and_pages(&mut s).await;
}

/// v3 reports until minute 120, v4 throughout; by minute 130 v3's no-data alert is open
/// and paged once.
async fn v3_goes_quiet_and_pages(s: &mut Stack) {
    report(s, "v3", 0..120);
    report(s, "v4", 0..420);
    run(s, 60..=130).await;
    let silent = alert(s, V3).await;
    assert_eq!(
        (silent.status, silent.state),
        (Status::Open, MonitorState::NoData)
    );
    assert_eq!(page(s, V3).triggers, 1);
}

/// The monitor's seen-groups item is one this version cannot read (another version's
/// format, after a rollback): the monitor starts its memory afresh, its next write
/// replaces the item, and the runs, and the silent model's page, go on.
#[tokio::test]
async fn a_seen_groups_item_this_version_cannot_read_costs_no_run() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut s = stack("absence-unreadable-seen", CONFIG).await;
    modelwatch_tests::put_raw_item(
        &s.store,
        [
            ("pk", AttributeValue::S("SEEN#errors".into())),
            ("sk", AttributeValue::S("GROUPS".into())),
            ("body_v9", AttributeValue::S("{}".into())),
        ],
    )
    .await;
    v3_goes_quiet_and_pages(&mut s).await;
    let seen = s.store.seen_groups("errors").await.unwrap();
    assert!(!seen.groups.is_empty(), "rewritten in this version's form");
}

#[tokio::test]
async fn a_listed_version_that_never_reports_pages_and_resolves_with_a_note_once_unlisted() {
    let mut s = stack("absence-never", CONFIG).await;
    report(&s, "v3", 0..200);

    // v4 is listed and never reports: expected from the first run, absent 67 min later.
    run(&mut s, 0..=66).await;
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
    run(&mut s, 67..=68).await;
    let missing = alert(&s, V4).await;
    assert_eq!(
        (missing.status, missing.state),
        (Status::Open, MonitorState::NoData)
    );
    assert!(
        missing
            .context
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("which `models:` lists")),
        "{:?}",
        missing.context.reason
    );
    assert_eq!(page(&s, V4).status, AlertStatus::Triggered);

    // v4 is retired from the configuration: the evaluator built from the new file
    // resolves the page, and says why in the alert's Slack thread.
    let unlisted = CONFIG.replace("versions: [v3, v4]", "versions: [v3]");
    let config = Arc::new(Config::parse("absence.yaml", &unlisted).unwrap());
    let mut secrets = Secrets::default();
    secrets.insert("datadog_api_key", Secret::new(pipeline::DATADOG_API_KEY));
    secrets.insert("datadog_app_key", Secret::new(pipeline::DATADOG_APP_KEY));
    s.evaluator = evaluator::Setup {
        store: s.store.clone(),
        config,
        settings: evaluator::Settings {
            datadog: BaseUrl::new(&s.datadog.url()).unwrap(),
        },
    }
    .build(&secrets)
    .unwrap();
    run(&mut s, 90..=91).await;
    let resolved = alert(&s, V4).await;
    assert_eq!(resolved.status, Status::Resolved);
    let note = resolved.resolved_by.unwrap_or_default();
    assert!(note.contains("no longer lists it"), "{note}");
    assert_eq!(page(&s, V4).status, AlertStatus::Resolved);
    let channel = s.channel_id("#ml-l2");
    let first = s
        .slack
        .messages()
        .into_iter()
        .find(|m| m.channel == channel && m.thread_ts.is_none())
        .expect("the L2 message");
    let thread: Vec<String> = s
        .slack
        .thread(&first.ts)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert!(
        thread.iter().any(|t| t.contains("no longer expected")),
        "{thread:?}"
    );
    assert!(
        !s.store
            .seen_groups("errors")
            .await
            .unwrap()
            .groups
            .keys()
            .any(|g| g.version.as_deref() == Some("v4"))
    );
}

/// Two models, one monitor: what a fleet is made of (`CONFIG` with embed-small beside
/// chat-large, which lists v3 only).
fn fleet_config() -> String {
    let chat =
        "    versions: [v3, v4]\n    team: chat\n    slack_channel: \"#chat-large-alerts\"\n";
    assert!(CONFIG.contains(chat));
    CONFIG.replace(
        chat,
        "    versions: [v3]\n    team: chat\n    slack_channel: \"#chat-large-alerts\"\n  \
         - name: embed-small\n    versions: [e1]\n    team: search\n    \
         slack_channel: \"#embed-small-alerts\"\n",
    )
}

const FLEET_KEY: &str = "eval:errors|every model";
const EMBED: &str = "eval:errors|model:embed-small,model_version:e1,env:prod";

/// An error rate of 0.4 % per minute for `minutes` from `model`@`version` in prod.
fn report_model(s: &Stack, model: &str, version: &str, minutes: std::ops::Range<u32>) {
    let points = minutes.map(|m| (t(m).millis(), 0.004)).collect();
    let tags = [
        ("model", model),
        ("model_version", version),
        ("env", "prod"),
    ];
    s.datadog.add("llm.requests.error_rate", &tags, points);
}

fn paged_keys(s: &Stack) -> Vec<String> {
    s.pagerduty
        .alerts()
        .into_iter()
        .map(|a| a.dedup_key)
        .collect()
}

/// Datadog's intake runs late for everyone (its query API answers, with no recent points):
/// one page says no model reports, none per model; when the late points arrive the page
/// resolves, and no model was ever paged as silent.
#[tokio::test]
async fn every_model_quiet_at_once_pages_once_and_resolves_when_the_late_points_arrive() {
    let mut s = stack("absence-fleet-late", &fleet_config()).await;
    report_model(&s, "chat-large", "v3", 0..110);
    report_model(&s, "embed-small", "e1", 0..110);
    run(&mut s, 60..=117).await;
    assert!(paged_keys(&s).is_empty(), "{:?}", paged_keys(&s));

    // Both last points at 109: without data from 116, and the 3-of-5 trigger at 118.
    run(&mut s, 118..=150).await;
    let fleet = alert(&s, FLEET_KEY).await;
    assert_eq!(
        (fleet.status, fleet.state, fleet.level),
        (Status::Open, MonitorState::NoData, Level::L2)
    );
    assert_eq!(fleet.opened_at, Some(t(118)));
    assert_eq!(fleet.first_breach_at, Some(t(116)));
    let reason = fleet.context.reason.clone().unwrap_or_default();
    assert!(reason.contains("chat-large and embed-small"), "{reason}");
    assert_eq!(page(&s, FLEET_KEY).status, AlertStatus::Triggered);
    assert_eq!(paged_keys(&s).len(), 1, "one page: {:?}", paged_keys(&s));
    for key in [V3, EMBED] {
        assert!(
            s.store
                .load(&AlertKey::new(key).unwrap())
                .await
                .unwrap()
                .is_none(),
            "{key} was not judged while no model reported"
        );
    }
    // What the monitor saw is kept while it is held: each model's last point, exactly (the
    // table had 104, written when it last lagged by a quarter hour), so the silence is dated
    // alike once Datadog's answer no longer reaches it.
    let seen = s.store.seen_groups("errors").await.unwrap();
    let last: Vec<_> = seen.groups.values().map(|g| g.last_seen).collect();
    assert_eq!(last, [t(109), t(109)], "{seen:?}");

    // Datadog catches up: the gap is filled, and the models report on.
    report_model(&s, "chat-large", "v3", 110..300);
    report_model(&s, "embed-small", "e1", 110..300);
    run(&mut s, 151..=160).await;
    let fleet = alert(&s, FLEET_KEY).await;
    assert_eq!(fleet.status, Status::Resolved);
    assert_eq!(page(&s, FLEET_KEY).status, AlertStatus::Resolved);
    assert_eq!(paged_keys(&s).len(), 1, "{:?}", paged_keys(&s));
    for key in [V3, EMBED] {
        assert!(
            s.store
                .load(&AlertKey::new(key).unwrap())
                .await
                .unwrap()
                .is_none(),
            "{key}: the late points show it reporting throughout"
        );
    }
}

/// The fleet's silence ends when one model reports again; a model still silent then is
/// paged on its own, as any silent model is, and the one back is not paged for the quiet
/// the fleet's alert covered: whether the silence fits in the evaluator's look-back
/// (replayed) or not (brought to what the run sees).
#[tokio::test]
async fn a_model_still_quiet_when_the_fleet_comes_back_is_paged_on_its_own() {
    for back in [140, 175] {
        let test = format!("absence-fleet-partial-{back}");
        let mut s = stack(&test, &fleet_config()).await;
        report_model(&s, "chat-large", "v3", 0..120);
        report_model(&s, "embed-small", "e1", 0..120);
        report_model(&s, "embed-small", "e1", back..400);
        run(&mut s, 60..=back - 1).await;
        assert_eq!(alert(&s, FLEET_KEY).await.status, Status::Open, "{back}");
        assert_eq!(paged_keys(&s).len(), 1, "{back}: {:?}", paged_keys(&s));

        run(&mut s, back..=back + 15).await;
        assert_eq!(
            alert(&s, FLEET_KEY).await.status,
            Status::Resolved,
            "{back}"
        );
        assert_eq!(page(&s, FLEET_KEY).status, AlertStatus::Resolved, "{back}");
        let chat = alert(&s, V3).await;
        assert_eq!(
            (chat.status, chat.state),
            (Status::Open, MonitorState::NoData),
            "{back}: chat-large is still silent"
        );
        assert_eq!(page(&s, V3).status, AlertStatus::Triggered, "{back}");
        let keys = paged_keys(&s);
        assert_eq!(
            keys.len(),
            2,
            "{back}: the fleet and chat-large only: {keys:?}"
        );
        assert!(
            !keys.iter().any(|k| k.contains("embed-small")),
            "{back}: embed-small reports: {keys:?}"
        );
    }
}
