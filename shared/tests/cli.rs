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

    let out = modelwatch(&table, &["alerts", "list", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["key"], "monitor:7|model:chat");
    assert_eq!(list[0]["status"], "open");
    let out = modelwatch(&table, &["alerts", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("monitor:7|model:chat  open  L2  opened "),
        "one line per alert: {text}"
    );

    let out = modelwatch(
        &table,
        &["alerts", "show", "--format", "json", "monitor:7|model:chat"],
    );
    assert!(out.status.success());
    let alert: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(alert["level"], "L2");
    assert_eq!(alert["owed"][0]["action"]["type"], "page");

    let out = modelwatch(&table, &["alerts", "show", "monitor:404"]);
    assert_eq!(out.status.code(), Some(1), "not found");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: no alert with key \"monitor:404\""),
        "{err}"
    );
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

    let out = modelwatch(&table, &["silence", "list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["created_by"], "ana");
    assert_eq!(list[0]["comment"], "v8 rollout");
    let out = modelwatch(
        &table,
        &["--format", "json", "alerts", "show", "monitor:7|model:chat"],
    );
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
    assert!(
        text.contains("1 alert(s) released, 0 still muted by another silence"),
        "{text}"
    );
    let out = modelwatch(&table, &["silence", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no silences in force or planned"
    );

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
    assert_eq!(refused.status.code(), Some(4), "unavailable");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("nothing answers at http://127.0.0.1:1") && err.contains("make local"),
        "{err}"
    );
    assert!(
        err.starts_with("error: ") && err.trim_end().lines().count() == 1,
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
    assert_eq!(anonymous.status.code(), Some(4), "unavailable");
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
    assert!(out_dir.join("trend-all-app.user_satisfaction.png").exists());

    let out = preview("marketing");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown audience \"marketing\"") && err.contains("executives, ml-team"),
        "{err}"
    );
    std::fs::remove_dir_all(&out_dir).ok();
}

/// Conventions every command follows (issue #16): exit codes, `--format`, one error
/// prefix, a quiet closed pipe.
fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .current_dir(dir)
        .env_remove("MODELWATCH_TABLE")
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("modelwatch-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../infra/modelwatch.example.yaml"
);

#[test]
fn exit_codes_tell_usage_invalid_input_and_not_found_apart() {
    let dir = scratch("exit-codes");
    std::fs::write(dir.join("bad.yaml"), "models:\n  - name: a\n").unwrap();

    let usage = run_in(&dir, &["validate"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).starts_with("error: "));

    let invalid = run_in(&dir, &["validate", "bad.yaml"]);
    assert_eq!(invalid.status.code(), Some(3));
    let err = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        err.starts_with("error: invalid configuration (2 problem(s)):\nbad.yaml:2:5: missing models[0].team: expected text\n"),
        "{err}"
    );
    let missing = run_in(&dir, &["validate", "nope.yaml"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("nope.yaml:1:1: cannot read the configuration")
    );

    let no_monitor = run_in(
        &dir,
        &[
            "backtest",
            "--config",
            EXAMPLE,
            "--monitor",
            "nope",
            "--series",
            "x.csv",
        ],
    );
    assert_eq!(no_monitor.status.code(), Some(1));

    let help = run_in(&dir, &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("4  unavailable"),
        "{help}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn format_json_prints_results_and_errors_as_json() {
    let dir = scratch("format-json");
    let ok = run_in(&dir, &["validate", EXAMPLE, "--format", "json"]);
    assert!(ok.status.success());
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        (v["valid"].clone(), v["models"].clone()),
        (true.into(), 3.into())
    );

    let reference = run_in(&dir, &["reference", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&reference.stdout).unwrap();
    assert_eq!(v["keys"][0]["key"], "time_zone");
    assert_eq!(v["templates"][7]["template"], "gpu_utilization");

    std::fs::write(
        dir.join("bad.yaml"),
        "monitors:\n  - id: a\n    every: often\n",
    )
    .unwrap();
    let bad = run_in(&dir, &["--format", "json", "validate", "bad.yaml"]);
    assert_eq!(bad.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&bad.stderr).unwrap();
    assert_eq!(v["error"]["kind"], "invalid_input");
    assert_eq!(v["error"]["exit_code"], 3);
    let problems = v["error"]["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["line"] == 3 && p["column"] == 12),
        "{problems:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .arg("reference")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the first line, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no Broken pipe message"
    );
}

#[test]
fn backtest_refuses_a_series_without_points_and_names_csv_errors_by_line_and_column() {
    let dir = scratch("backtest-empty");
    let config = dir.join("m.yaml");
    std::fs::write(
        &config,
        "metrics:\n  - name: m\nmonitors:\n  - id: hot\n    metric: m\n    every: 1m\n    window: 1m\n    rule: { threshold: { critical: 10 } }\nrouting:\n  default_slack_channel: \"#x\"\n  L2: { escalate_after: 5m }\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    for (name, text) in [("empty.csv", ""), ("header.csv", "timestamp,value\n")] {
        std::fs::write(dir.join(name), text).unwrap();
        let out = run_in(
            &dir,
            &[
                "backtest",
                "--config",
                config,
                "--monitor",
                "hot",
                "--series",
                name,
            ],
        );
        assert_eq!(out.status.code(), Some(3), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "error: {name}:1:1: no data points: expected rows of timestamp,value"
            )),
            "{err}"
        );
    }
    std::fs::write(
        dir.join("bad.csv"),
        "timestamp,value\n2026-01-01T00:00:00Z,1\nsoon,2\n",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "backtest",
            "--config",
            config,
            "--monitor",
            "hot",
            "--series",
            "bad.csv",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: bad.csv:3:1: invalid timestamp \"soon\""),
        "{err}"
    );

    // Hot for half an hour: nobody acknowledges in a replay, so it escalates, and says so.
    let mut csv = String::from("timestamp,value\n");
    for minute in 0..30 {
        csv.push_str(&format!("2026-01-01T00:{minute:02}:00Z,50\n"));
    }
    std::fs::write(dir.join("hot.csv"), csv).unwrap();
    let out = run_in(
        &dir,
        &[
            "backtest",
            "--config",
            config,
            "--monitor",
            "hot",
            "--series",
            "hot.csv",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("30 points through monitor hot: 1 alert(s) opened\n"),
        "{text}"
    );
    assert!(
        text.contains("escalated from L2 to L3: nobody acknowledges in a backtest"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn preview_report_marks_demo_data_in_every_file_it_writes() {
    let dir = scratch("preview-source");
    let out = run_in(
        &dir,
        &[
            "preview",
            "report",
            "daily",
            "--config",
            EXAMPLE,
            "--from",
            "2026-11-16",
            "--out",
            "out",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("alert history from the built-in demo: invented incidents, people and times (MODELWATCH_TABLE is not set)"),
        "{text}"
    );
    let messages: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/messages.json")).unwrap())
            .unwrap();
    assert!(
        messages["preview"]["data"]["alert_history"]
            .as_str()
            .unwrap()
            .starts_with("the built-in demo"),
        "{messages}"
    );
    let mut charts = 0;
    for entry in std::fs::read_dir(dir.join("out")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            let png = std::fs::read(&path).unwrap();
            let png = String::from_utf8_lossy(&png);
            assert!(
                png.contains(
                    "tEXtComment\0modelwatch preview. Alert history from the built-in demo"
                ),
                "{path:?}"
            );
            charts += 1;
        }
    }
    assert!(charts > 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn preview_alert_without_a_model_picks_one_and_summarises_before_the_json() {
    let dir = scratch("preview-alert");
    let out = run_in(
        &dir,
        &[
            "preview",
            "alert",
            "--config",
            EXAMPLE,
            "--monitor",
            "chat-latency",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("# alert preview:chat-latency|chat-large from monitor chat-latency on chat-large (no --model: the configuration's first model) opens at"),
        "{first}"
    );
    assert!(!text.contains(" on *"), "{text}");
    let json_starts = text.find('{').unwrap();
    assert!(
        text[..json_starts].contains("#   opens at"),
        "the summary comes first"
    );

    let out = run_in(
        &dir,
        &[
            "preview",
            "alert",
            "--config",
            EXAMPLE,
            "--monitor",
            "chat-latency",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["summary"].as_str().unwrap().contains("opens at"));
    assert!(!v["moments"][0]["requests"].as_array().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).ok();
}
