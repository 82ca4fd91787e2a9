use super::*;

const CONFIG: &str = include_str!("../../../../infra/modelwatch.example.yaml");

fn config() -> Config {
    let mut config = Config::parse("example", CONFIG).unwrap();
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

fn objects() -> Vec<Object> {
    let token = Secret::new("tok-very-secret");
    desired(Inputs {
        config: &config(),
        webhook_url: "https://intake.example/webhooks/datadog",
        token: &token,
    })
    .unwrap()
}

fn by_key<'a>(objects: &'a [Object], key: &str) -> &'a Object {
    objects.iter().find(|o| o.key == key).unwrap()
}

#[test]
fn the_token_is_sent_but_never_in_the_view() {
    let objects = objects();
    let variable = by_key(&objects, "custom-variable/MODELWATCH_WEBHOOK_TOKEN");
    assert_eq!(variable.body["value"], "tok-very-secret");
    assert_eq!(variable.body["is_secret"], true);
    for o in &objects {
        assert!(!o.view.to_string().contains("very-secret"), "{}", o.key);
        assert!(!o.title.contains("very-secret"));
    }
}

#[test]
fn the_webhook_sends_the_token_header_from_the_variable_and_the_recommended_payload() {
    let objects = objects();
    let webhook = by_key(&objects, "webhook/modelwatch");
    let headers: Value =
        serde_json::from_str(webhook.body["custom_headers"].as_str().unwrap()).unwrap();
    assert_eq!(headers["X-Modelwatch-Token"], "$MODELWATCH_WEBHOOK_TOKEN");
    let payload: Value = serde_json::from_str(webhook.body["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["alert_cycle_key"], "$ALERT_CYCLE_KEY");
    assert_eq!(payload["model_version"], "$TAGS[model_version]");
    assert_eq!(webhook.view["payload"], payload);
    assert_eq!(webhook.body["encode_as"], "json");
}

#[test]
fn the_webhook_template_is_the_one_the_intake_parses() {
    let readme = include_str!("../../../../README.md");
    let payload: serde_json::Map<String, Value> = PAYLOAD_TEMPLATE
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    for (field, variable) in PAYLOAD_TEMPLATE {
        assert!(
            readme.contains(&format!("\"{field}\": \"{variable}\"")),
            "README's template lacks {field}"
        );
    }
    assert_eq!(payload.len(), PAYLOAD_TEMPLATE.len());
}

#[test]
fn threshold_monitors_keep_their_recovery_levels_and_notify_the_webhook() {
    let objects = objects();
    let m = by_key(&objects, "monitor/embed-latency-threshold/production");
    assert_eq!(m.body["type"], "query alert");
    assert_eq!(
        m.body["query"],
        "max(last_5m):p99:llm.generation.latency{env:production AND model IN (embed-small)} by {model,model_version} > 0.5"
    );
    let t = &m.body["options"]["thresholds"];
    assert_eq!(
        (t["critical"].as_f64(), t["warning"].as_f64()),
        (Some(0.5), Some(0.25))
    );
    assert_eq!(t["critical_recovery"].as_f64(), Some(0.4));
    assert_eq!(t["warning_recovery"].as_f64(), Some(0.2));
    let message = m.body["message"].as_str().unwrap();
    assert!(message.contains("@webhook-modelwatch"), "{message}");
    assert!(message.contains("{{model.name}}") && message.contains("{{model_version.name}}"));
    let tags: Vec<&str> = m.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for tag in [
        "managed-by:modelwatch",
        "modelwatch-key:monitor/embed-latency-threshold/production",
        "modelwatch-monitor:embed-latency-threshold",
        "env:production",
    ] {
        assert!(tags.contains(&tag), "{tags:?}");
    }
    let mut sorted = tags.clone();
    sorted.sort_unstable();
    assert_eq!(tags, sorted);
}

#[test]
fn baselines_and_anomaly_templates_become_datadog_anomaly_monitors() {
    let objects = objects();
    let baseline = by_key(&objects, "monitor/chat-errors-baseline/staging");
    let query = baseline.body["query"].as_str().unwrap();
    assert!(query.starts_with("avg(last_4h):anomalies(avg:llm.requests.error_rate{env:staging AND model IN (chat-large)} by {model,model_version}, 'agile', 3, direction='above', alert_window='last_10m'"), "{query}");
    assert!(query.ends_with("seasonality='weekly') >= 1"), "{query}");
    assert_eq!(
        baseline.body["options"]["threshold_windows"]["trigger_window"],
        "last_10m"
    );
    assert_eq!(baseline.body["options"]["thresholds"]["critical"], 1.0);
}

#[test]
fn composites_name_their_monitors_by_key_until_ids_are_known() {
    let objects = objects();
    let c = by_key(&objects, "monitor/chat-slow-and-failing/production");
    assert_eq!(c.body["type"], "composite");
    assert_eq!(
        c.body["query"],
        "([[monitor/chat-latency/production]] && ([[monitor/error-rate/production]] || [[monitor/timeout-rate/production]]))"
    );
    assert_eq!(c.refs.len(), 3);
    let position = |key: &str| objects.iter().position(|o| o.key == key).unwrap();
    assert!(
        position("monitor/timeout-rate/staging")
            < position("monitor/chat-slow-and-failing/production")
    );
    // It pages at L3 like modelwatch's own alert: P1 opens at L3 under the defaults.
    assert_eq!(c.body["priority"], 1);
}

#[test]
fn one_dashboard_per_environment_with_every_technical_metric_and_the_runbooks() {
    let objects = objects();
    let dashboards: Vec<&Object> = objects
        .iter()
        .filter(|o| o.kind == Kind::Dashboard)
        .collect();
    assert_eq!(dashboards.len(), 2);
    let d = by_key(&objects, "dashboard/production");
    let text = d.body.to_string();
    for metric in [
        "llm.quality.score",
        "p95:llm.generation.latency{env:production,$model,$model_version} by {model,model_version}",
        "llm.tokens.total",
        "llm.requests.error_rate",
        "llm.requests.timeout_rate",
        "gpu.memory.used_fraction",
        "gpu.utilization",
    ] {
        assert!(text.contains(metric), "{metric}");
    }
    assert!(
        !text.contains("app.conversion_rate"),
        "business metrics are the reports' business"
    );
    let note = d.body["widgets"][0]["definition"]["content"]
        .as_str()
        .unwrap();
    assert!(
        note.contains("https://runbooks.example.com/models/chat-large/chat-quality"),
        "{note}"
    );
    assert!(
        d.body["description"]
            .as_str()
            .unwrap()
            .ends_with("managed-by:modelwatch modelwatch-key:dashboard/production")
    );
}

#[test]
fn without_a_datadog_section_only_the_webhook_and_its_variable_are_kept() {
    let mut config = Config::parse("example", CONFIG).unwrap();
    config.datadog = Default::default();
    let token = Secret::new("t");
    let objects = desired(Inputs {
        config: &config,
        webhook_url: "https://x.example/w",
        token: &token,
    })
    .unwrap();
    let kinds: Vec<Kind> = objects.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, vec![Kind::CustomVariable, Kind::Webhook]);
}

#[test]
fn schedules_cannot_be_native() {
    let mut config = config();
    config.datadog.native_monitors = vec!["summarizer-latency-hours".into()];
    let token = Secret::new("t");
    let err = desired(Inputs {
        config: &config,
        webhook_url: "https://x.example/w",
        token: &token,
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            DesiredError::NotNative {
                kind: "schedule",
                ..
            }
        ),
        "{err}"
    );
}

/// modelwatch's own tags name a monitor in lowercase (Datadog may keep tags so), so its
/// copy is found again by its key whatever case the id is written in; the user's tags go
/// as written.
#[test]
fn keys_and_tags_are_written_in_the_lowercase_datadog_keeps() {
    let mut config = config();
    let monitor = config
        .monitors
        .iter_mut()
        .find(|m| m.id == "error-rate")
        .unwrap();
    monitor.id = "Error-Rate".into();
    monitor.tags.push("Team:ML-Platform".into());
    for native in &mut config.datadog.native_monitors {
        if native == "error-rate" {
            *native = "Error-Rate".into();
        }
    }
    let token = Secret::new("tok-very-secret");
    let objects = desired(Inputs {
        config: &config,
        webhook_url: "https://intake.example/webhooks/datadog",
        token: &token,
    })
    .unwrap();
    let m = by_key(&objects, "monitor/error-rate/production");
    let tags: Vec<&str> = m.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for tag in [
        "modelwatch-key:monitor/error-rate/production",
        "modelwatch-monitor:error-rate",
        "Team:ML-Platform",
    ] {
        assert!(tags.contains(&tag), "{tags:?}");
    }
}

/// Datadog's monitor queries take `last_#m` (up to 10080), `last_#h` (up to 168),
/// `last_1d` or `last_1w`, and no other day count.
#[test]
fn windows_are_written_as_datadogs_monitor_queries_take_them() {
    for (secs, written) in [
        (300, "last_5m"),
        (90, "last_2m"),
        (3600, "last_1h"),
        (86_400, "last_1d"),
        (2 * 86_400, "last_48h"),
        (7 * 86_400, "last_1w"),
        (5400, "last_90m"),
    ] {
        assert_eq!(window(secs), written, "{secs}");
    }
}
