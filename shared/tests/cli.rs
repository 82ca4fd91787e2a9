//! `modelwatch alerts list|show` and `modelwatch silence add|list|expire` against a table
//! on the DynamoDB emulator.

use std::process::Command;

use modelwatch::domain::{
    AlertContext, AlertKey, Breach, BreachState, EscalationPolicy, Level, ModelRef, Signal,
    SignalId, SignalKind, Source, Timestamp,
};
use modelwatch::store::{Store, create_table};

async fn store_with_one_alert(table: &str) -> Store {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("run through `make test` (emulator)");
    let config = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    create_table(&client, table).await.unwrap();
    let store = Store::new(client, table);
    let signal = Signal {
        id: SignalId::new("dd-1").unwrap(),
        key: AlertKey::new("monitor:7|model:chat").unwrap(),
        at: Timestamp::from_secs(1_795_000_000),
        source: Source::Datadog,
        kind: SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level: Level::L2,
                first_breach_at: None,
                context: AlertContext {
                    model: Some(ModelRef::new("chat-large", Some("v7")).unwrap()),
                    ..AlertContext::default()
                },
                policy: EscalationPolicy::default(),
            },
            repeat: false,
        },
    };
    store.apply_signal(&signal, Timestamp::now()).await.unwrap();
    store
}

fn modelwatch(table: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(args)
        .env("MODELWATCH_TABLE", table)
        .output()
        .unwrap()
}

#[tokio::test]
async fn alerts_list_and_show_print_json_from_the_table() {
    let table = format!("cli-{}", std::process::id());
    store_with_one_alert(&table).await;

    let out = modelwatch(&table, &["alerts", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["key"], "monitor:7|model:chat");
    assert_eq!(list[0]["status"], "open");

    let out = modelwatch(&table, &["alerts", "show", "monitor:7|model:chat"]);
    assert!(out.status.success());
    let alert: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(alert["level"], "L2");
    assert_eq!(alert["owed"][0]["action"]["type"], "page");

    let out = modelwatch(&table, &["alerts", "show", "monitor:404"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no alert with key \"monitor:404\""), "{err}");
}

#[tokio::test]
async fn silences_are_made_listed_and_expired_from_the_terminal() {
    let table = format!("cli-silence-{}", std::process::id());
    store_with_one_alert(&table).await;
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/modelwatch.example.yaml"
    );

    let out = modelwatch(
        &table,
        &[
            "silence",
            "add",
            "--config",
            config,
            "--by",
            "ana",
            "model=chat-large",
            "2h",
            "--",
            "v8",
            "rollout",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("mutes model=chat-large"), "{text}");
    assert!(text.contains("1 open alert(s) muted now"), "{text}");
    let id = text.split(':').next().unwrap().to_owned();

    let out = modelwatch(&table, &["silence", "list"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["created_by"], "ana");
    assert_eq!(list[0]["comment"], "v8 rollout");
    let out = modelwatch(&table, &["alerts", "show", "monitor:7|model:chat"]);
    let alert: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        alert["silence"]["by"].as_str().unwrap().contains(&id),
        "a muted alert says by what: {alert}"
    );

    let out = modelwatch(&table, &["silence", "expire", "--config", config, &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 held-back alert(s) released"), "{text}");
    let out = modelwatch(&table, &["silence", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");

    let out = modelwatch(
        &table,
        &["silence", "expire", "--config", config, "sil-1-0000"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no silence sil-1-0000"));
    let out = modelwatch(
        &table,
        &["silence", "add", "--config", config, "model=chat-large"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("say how long"), "{err}");
}

#[test]
fn a_missing_table_variable_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["alerts", "list"])
        .env_remove("MODELWATCH_TABLE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MODELWATCH_TABLE is not set"));
}

#[test]
fn preview_alert_prints_the_pages_and_messages_an_alert_would_send() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .current_dir(root)
        .args([
            "preview",
            "alert",
            "--config",
            "infra/modelwatch.example.yaml",
            "--webhook",
            "tests/fixtures/datadog/10_recommended_triggered.json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "opens at L2",
        "slack-post:#chat-large-alerts: Slack chat.postMessage",
        "pagerduty-trigger:ml-oncall:L2",
        "\"routing_key\": \"<secret pagerduty_routing_key_oncall>\"",
        "escalation to L3",
        "\"severity\": \"critical\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    let out = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .current_dir(root)
        .args([
            "preview",
            "alert",
            "--config",
            "infra/modelwatch.example.yaml",
            "--monitor",
            "nope",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown monitor \"nope\": expected one of")
    );
}

#[test]
fn an_unreachable_table_or_missing_credentials_are_said_plainly() {
    let refused = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["alerts", "list"])
        .env("MODELWATCH_TABLE", "t")
        .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("nothing answers at http://127.0.0.1:1") && err.contains("make local"),
        "{err}"
    );
    assert!(err.len() < 400, "short, not the SDK's chain: {err}");
    assert!(!err.contains("retry later"), "{err}");

    let anonymous = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .args(["alerts", "list"])
        .env("MODELWATCH_TABLE", "t")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(!anonymous.status.success());
    let err = String::from_utf8_lossy(&anonymous.stderr);
    assert!(err.contains("no AWS credentials were found"), "{err}");
    assert!(err.len() < 400, "{err}");
}

#[test]
fn preview_report_writes_an_audiences_report_with_its_channel_and_mentions() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out_dir = std::env::temp_dir().join(format!(
        "modelwatch-preview-audience-{}",
        std::process::id()
    ));
    let preview = |audience: &str| {
        Command::new(env!("CARGO_BIN_EXE_modelwatch"))
            .current_dir(root)
            .env_remove("MODELWATCH_TABLE")
            .args([
                "preview",
                "report",
                "daily",
                "--config",
                "infra/modelwatch.example.yaml",
                "--from",
                "2026-11-16",
                "--audience",
                audience,
                "--mention",
                "U0ALL",
                "--mention",
                "U0CHAT=chat-large",
                "--out",
            ])
            .arg(&out_dir)
            .output()
            .unwrap()
    };
    let out = preview("executives");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("for executives (summary)"));
    let json = std::fs::read_to_string(out_dir.join("messages.json")).unwrap();
    for needle in [
        "\"channel\": \"#leadership\"",
        "Daily model summary",
        "*Business metrics*",
        "*user satisfaction*",
        "*conversion*",
        "For <@U0ALL>",
    ] {
        assert!(json.contains(needle), "missing {needle:?} in:\n{json}");
    }
    // The subscriber of chat-large at chat-large's line, not at the top.
    let line = json
        .split("\\n")
        .find(|l| l.contains("U0CHAT"))
        .unwrap_or_else(|| panic!("U0CHAT not mentioned:\n{json}"));
    assert!(line.contains("*chat-large*"), "{line}");
    assert!(out_dir.join("trend-all-app-user_satisfaction.png").exists());

    let out = preview("marketing");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown audience \"marketing\"") && err.contains("executives, ml-team"),
        "{err}"
    );
    std::fs::remove_dir_all(&out_dir).ok();
}
