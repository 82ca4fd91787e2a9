//! Parsing real and hand-written Datadog payloads, and refusing malformed ones clearly.

use serde_json::json;

use super::*;
use crate::config::LevelMap;
use crate::domain::{BreachState, EscalationPolicy, Level, SignalKind};
use crate::signals::datadog::to_signal;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/datadog/", $name))
    };
}

fn signal(body: &[u8]) -> crate::domain::Signal {
    let n = parse_json(body).unwrap();
    let level = n.level(&LevelMap::default());
    to_signal(
        &n,
        body,
        level,
        EscalationPolicy::default(),
        arrival(&n),
        Default::default(),
    )
    .unwrap()
}

/// When a notification arrives: half a minute after its date, as from Datadog.
fn arrival(n: &crate::datadog::webhook::Notification) -> Timestamp {
    n.at.unwrap_or(Timestamp::from_secs(1_795_730_400))
        .plus_secs(30)
}

fn with(changes: serde_json::Value) -> Vec<u8> {
    let mut base: serde_json::Value =
        serde_json::from_slice(fixture!("10_recommended_triggered.json")).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::to_vec(&base).unwrap()
}

#[test]
fn default_template_test_notification_is_a_test_of_its_monitor() {
    let body = fixture!("01_default_template_test_notification.json");
    let n = parse_json(body).unwrap();
    assert!(n.test);
    assert_eq!(n.transition, Transition::Triggered);
    assert_eq!(n.monitor_id.as_deref(), Some("18692904"));
    assert_eq!(n.title, "[TEST] Host Cluster Alert");
    assert_eq!(n.org_id.as_deref(), Some("415600"));
    assert_eq!(n.at, Some(Timestamp::from_millis(1_591_216_985_000)));
    let s = signal(body);
    assert_eq!(s.key.as_str(), "datadog:monitor:18692904|*");
    assert_eq!(s.id.as_str(), "datadog:5485379890863845239");
}

#[test]
fn payload_with_transition_aggregate_and_priority_reads_all_three() {
    let body = fixture!("05_query_alert_with_transition_priority.json");
    let n = parse_json(body).unwrap();
    assert_eq!(n.transition, Transition::Triggered);
    assert_eq!(n.priority, Priority::new(1));
    assert_eq!(
        n.aggregation_key.as_deref(),
        Some("06ade3da0286048d242ea8e46f521c93")
    );
    assert_eq!(n.monitor_id.as_deref(), Some("221164084"));
    assert!(n.snapshot.as_deref().unwrap().ends_with(".png"));
    match signal(body).kind {
        SignalKind::Breach { breach, repeat } => {
            assert_eq!(breach.level, Level::L3, "P1 pages the senior service");
            assert!(!repeat);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn recommended_template_gives_model_version_scope_and_context() {
    let s = signal(fixture!("10_recommended_triggered.json"));
    assert_eq!(
        s.key.as_str(),
        "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7"
    );
    let SignalKind::Breach { breach, .. } = s.kind else {
        panic!()
    };
    assert_eq!(breach.level, Level::L2);
    assert_eq!(breach.state, BreachState::Alert);
    let c = breach.context;
    assert_eq!(
        c.model.as_ref().map(|m| m.to_string()).as_deref(),
        Some("chat-large@v7")
    );
    assert_eq!(c.environment.as_deref(), Some("prod"));
    assert_eq!(c.metric.as_deref(), Some("llm.generation.latency.p95"));
    assert_eq!(c.title, "p95 generation latency above 2 s");
    assert!(c.snapshot_url.is_some());
    assert!(
        c.links
            .iter()
            .any(|l| l.url.ends_with("/monitors/98765432"))
    );
}

#[test]
fn triggered_and_recovered_with_different_ids_resolve_the_same_alert() {
    let t = signal(fixture!("10_recommended_triggered.json"));
    let r = signal(fixture!("11_recommended_recovered.json"));
    assert_ne!(t.id, r.id);
    assert_eq!(t.key, r.key);
    assert!(matches!(r.kind, SignalKind::Recovered { .. }));
    assert!(r.at > t.at);
}

#[test]
fn without_a_cycle_key_monitor_and_group_correlate() {
    let t = signal(&with(json!({"alert_cycle_key": "$ALERT_CYCLE_KEY"})));
    assert_eq!(
        t.key.as_str(),
        "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7"
    );
    let r = signal(fixture!("12_default_template_recovered_on_group.json"));
    assert_eq!(
        r.key.as_str(),
        "datadog:monitor:55501|env:prod,model:chat-large"
    );
}

#[test]
fn links_in_the_message_do_not_stand_for_the_monitor_or_its_group() {
    // The default template (no alert id, no group in the title): the message a person
    // wrote links another monitor and a logs search, before Datadog's own links.
    let recovered: serde_json::Value =
        serde_json::from_slice(fixture!("12_default_template_recovered_on_group.json")).unwrap();
    let mut triggered = recovered.clone();
    triggered["title"] = json!("[Triggered] Quality score dropped");
    triggered["id"] = json!("7405829345121350001");
    triggered["body"] = json!(recovered["body"].as_str().unwrap().replace(
        "Quality score for chat-large is back above 0.8.",
        "Quality score dropped. Runbook: see https://app.datadoghq.com/monitors/555 and \
         [logs](https://app.datadoghq.com/logs?query=x&tpl_var_group=status&group=status) \
         and (https://app.datadoghq.com/monitors/556?group=host%3Aother)"
    ));
    let t = signal(&serde_json::to_vec(&triggered).unwrap());
    let r = signal(&serde_json::to_vec(&recovered).unwrap());
    assert_eq!(
        t.key.as_str(),
        "datadog:monitor:55501|env:prod,model:chat-large"
    );
    assert_eq!(t.key, r.key);
}

/// One incident of monitor 98765432 on one group, as every kind of template reports it.
fn one_incident_in_every_template() -> Vec<(&'static str, Vec<u8>)> {
    let default_template = |transition: &str, id: &str| {
        serde_json::to_vec(&json!({
            "body": format!("%%%\n@webhook-modelwatch\n\n[[Monitor Status](https://app.datadoghq.com/monitors/98765432?group=model%3Achat-large%2Cmodel_version%3Av7%2Cenv%3Aprod&link_source=monitor_notif)] · [[Edit Monitor](https://app.datadoghq.com/monitors/98765432/edit?link_source=monitor_notif)]\n%%%"),
            "last_updated": "1795730460000",
            "event_type": "query_alert_monitor",
            "title": format!("[{transition} on {{env:prod,model:chat-large,model_version:v7}}] p95 generation latency above 2 s"),
            "date": "1795730460000",
            "org": {"id": "123456", "name": "Acme ML"},
            "id": id
        }))
        .unwrap()
    };
    let legacy = serde_json::to_vec(&json!({
        "id": "legacy-1",
        "monitor_id": "98765432",
        "cycle_key": "",
        "transition": "Re-Triggered",
        "priority": "P2",
        "title": "p95 generation latency above 2 s",
        "scope": "model_version:v7, model:chat-large, env:prod",
        "date": "1795730500000"
    }))
    .unwrap();
    vec![
        (
            "recommended",
            fixture!("10_recommended_triggered.json").to_vec(),
        ),
        (
            "recommended, recovery",
            fixture!("11_recommended_recovered.json").to_vec(),
        ),
        (
            "cycle key unresolved",
            with(json!({"alert_cycle_key": "$ALERT_CYCLE_KEY", "id": "a"})),
        ),
        (
            "cycle key empty",
            with(json!({"alert_cycle_key": "", "id": "b"})),
        ),
        (
            "cycle key of another notification",
            with(json!({"alert_cycle_key": "7405829345129999999", "id": "c"})),
        ),
        (
            "scope in another order",
            with(json!({"alert_scope": "env:prod,model_version:v7,model:chat-large", "id": "d"})),
        ),
        ("default template", default_template("Re-Triggered", "e")),
        (
            "default template, recovery",
            default_template("Recovered", "f"),
        ),
        ("hand-written, legacy names", legacy),
    ]
}

#[test]
fn every_template_variant_of_one_incident_joins_one_alert() {
    let variants = one_incident_in_every_template();
    let keys: Vec<(&str, String)> = variants
        .iter()
        .map(|(name, body)| (*name, signal(body).key.to_string()))
        .collect();
    for (name, key) in &keys {
        assert_eq!(
            key, &keys[0].1,
            "{name} opens another alert than the recommended template"
        );
    }
}

#[test]
fn without_a_monitor_the_cycle_key_then_the_aggregation_key_correlate() {
    let no_monitor = |changes: serde_json::Value| {
        let mut body: serde_json::Value = serde_json::from_slice(&with(changes)).unwrap();
        let o = body.as_object_mut().unwrap();
        o.remove("alert_id");
        o.remove("link");
        serde_json::to_vec(&body).unwrap()
    };
    assert_eq!(
        signal(&no_monitor(json!({}))).key.as_str(),
        "datadog:cycle:7405829345121344999"
    );
    assert_eq!(
        signal(&no_monitor(json!({"alert_cycle_key": "$ALERT_CYCLE_KEY"})))
            .key
            .as_str(),
        "datadog:aggregate:a4c1e8f0b7d2"
    );
}

#[test]
fn every_transition_of_the_recommended_template_maps() {
    let cases = [
        ("Triggered", "triggered"),
        ("Re-Triggered", "re-triggered"),
        ("Warn", "warn"),
        ("Re-Warn", "re-warn"),
        ("No Data", "no-data"),
        ("Re-No Data", "re-no-data"),
        ("Recovered", "recovered"),
        ("Renotify", "re-triggered"),
    ];
    for (transition, kind) in cases {
        let s = signal(&with(json!({"alert_transition": transition})));
        assert_eq!(s.kind.name(), kind, "{transition}");
    }
}

#[test]
fn a_renotification_repeats_the_state_its_title_names() {
    let cases = [
        ("[Re-No Data on {model:chat}] Latency", "re-no-data"),
        ("[No Data] Latency", "re-no-data"),
        ("[Warn] Latency", "re-warn"),
        ("[Triggered] Latency", "re-triggered"),
        ("[Renotify] Latency", "re-triggered"),
        ("Latency", "re-triggered"),
    ];
    for (title, kind) in cases {
        let body = with(json!({"alert_transition": "Renotify", "alert_title": title}));
        let s = signal(&body);
        assert_eq!(s.kind.name(), kind, "{title}");
        // A renotified No Data opens at the warning level, as the first one did.
        if kind == "re-no-data" {
            assert!(parse_json(&body).unwrap().is_warning(), "{title}");
        }
    }
}

#[test]
fn warn_and_no_data_start_at_l1_and_priorities_map_by_default() {
    let level = |changes| match signal(&with(changes)).kind {
        SignalKind::Breach { breach, .. } => breach.level,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        level(json!({"alert_transition": "Warn", "alert_priority": "P1"})),
        Level::L1
    );
    assert_eq!(level(json!({"alert_transition": "No Data"})), Level::L1);
    assert_eq!(level(json!({"alert_priority": "P1"})), Level::L3);
    assert_eq!(level(json!({"alert_priority": "P3"})), Level::L1);
    assert_eq!(
        level(json!({"alert_priority": "$ALERT_PRIORITY", "alert_title": "x"})),
        Level::L2
    );
    assert_eq!(
        level(json!({"tags": "severity:critical", "alert_priority": "P4"})),
        Level::L3
    );
}

#[test]
fn hand_written_spellings_are_understood() {
    let body = fixture!("13_handwritten_spellings.json");
    let n = parse_json(body).unwrap();
    assert_eq!(n.transition, Transition::ReWarn);
    assert_eq!(n.monitor_id.as_deref(), Some("31337"));
    assert_eq!(n.group, None, "scope * means no group");
    assert_eq!(n.model.as_deref(), Some("summarizer"));
    assert_eq!(n.environment.as_deref(), Some("staging"));
    assert_eq!(n.priority, Priority::new(4));
    let s = signal(body);
    assert_eq!(s.id.as_str(), "datadog:dd-evt-42");
    assert_eq!(s.at, Timestamp::parse("2026-11-27T10:00:00Z").unwrap());
}

#[test]
fn form_encoded_option_reads_like_json() {
    let body = b"alert_transition=Recovered&alert_id=42&alert_scope=model%3Achat&title=%5BRecovered%5D+Latency&date=1795731780000";
    let n = parse_form(body).unwrap();
    assert_eq!(n.transition, Transition::Recovered);
    assert_eq!(n.monitor_id.as_deref(), Some("42"));
    assert_eq!(n.group.as_deref(), Some("model:chat"));
    assert_eq!(n.model.as_deref(), Some("chat"));
    assert_eq!(n.title, "Latency");
}

#[test]
fn without_an_event_id_the_body_hash_identifies_the_delivery() {
    let body = with(json!({"id": "$ID"}));
    let a = signal(&body);
    let b = signal(&body);
    assert_eq!(a.id, b.id);
    assert!(a.id.as_str().starts_with("datadog:sha256:"));
    assert_ne!(
        a.id,
        signal(&with(json!({"id": "$ID", "date": "1795730400001"}))).id
    );
}

#[test]
fn alert_type_stands_in_for_a_missing_transition() {
    let n = parse_value(&json!({"alert_id": "1", "alert_type": "success", "title": "x"})).unwrap();
    assert_eq!(n.transition, Transition::Recovered);
}

#[test]
fn a_bad_model_tag_travels_without_a_model_rather_than_losing_the_alert() {
    let s = signal(&with(json!({"model": "chat large"})));
    let SignalKind::Breach { breach, .. } = s.kind else {
        panic!()
    };
    assert_eq!(breach.context.model, None);
}

#[test]
fn malformed_bodies_are_refused_with_what_was_wrong() {
    let err = parse_json(b"{not json").unwrap_err().error;
    assert!(err.to_string().starts_with("body is not JSON"), "{err}");
    assert!(matches!(
        parse_json(b"[1,2]").unwrap_err().error,
        WebhookError::NotAnObject { found: "an array" }
    ));
    assert!(matches!(
        parse_json(b"\"x\"").unwrap_err().error,
        WebhookError::NotAnObject { .. }
    ));
    assert!(matches!(
        parse_json(b"null").unwrap_err().error,
        WebhookError::NotAnObject { .. }
    ));
    assert!(matches!(
        parse_json(b"").unwrap_err().error,
        WebhookError::NotJson { .. }
    ));

    let rejected = parse_value(&json!({"alert_id": "1", "title": "Latency"})).unwrap_err();
    assert_eq!(rejected.received, vec!["alert_id", "title"]);
    let err = rejected.error;
    assert_eq!(err.field(), Some("alert_transition"));
    assert!(err.to_string().contains("Triggered, Re-Triggered"), "{err}");

    let err = parse_value(&json!({"alert_id": "1", "alert_transition": "Exploded"}))
        .unwrap_err()
        .error;
    assert!(
        err.to_string().contains("unknown transition \"Exploded\""),
        "{err}"
    );
    // A transition of a name not known here, told by the title or the alert type instead:
    // taken, not refused (Datadog would not send it again).
    let told = |extra: serde_json::Value| {
        let mut body = json!({"alert_id": "1", "alert_transition": "Exploded"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        parse_value(&body).map(|n| n.transition)
    };
    assert_eq!(
        told(json!({"title": "[Triggered] Latency"})),
        Ok(Transition::Triggered)
    );
    assert_eq!(
        told(json!({"alert_type": "success"})),
        Ok(Transition::Recovered)
    );

    let err = parse_value(
        &json!({"alert_transition": "Triggered", "alert_cycle_key": "$ALERT_CYCLE_KEY"}),
    )
    .unwrap_err()
    .error;
    assert_eq!(err, WebhookError::NoIdentity);
    assert!(err.to_string().contains("alert_cycle_key"));
}

#[test]
fn odd_values_never_panic() {
    for v in [
        json!({"alert_id": {"nested": true}, "alert_transition": "Triggered", "aggreg_key": "x"}),
        json!({"alert_id": "1", "alert_transition": "Triggered", "tags": [1, null, {"a": 1}]}),
        json!({"alert_id": "1", "alert_transition": "Triggered", "date": "not a date", "alert_priority": "P9"}),
        json!({"alert_id": "1", "alert_transition": "Triggered", "alert_title": "[[[[", "body": "/monitors/"}),
        json!({"alert_id": "1".repeat(5000), "alert_transition": "Triggered", "alert_scope": "a".repeat(5000)}),
        json!({"alert_cycle_key": "é".repeat(3000), "alert_transition": "Triggered"}),
    ] {
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(n) = parse_json(&body) {
            let _ = to_signal(
                &n,
                &body,
                n.level(&LevelMap::default()),
                EscalationPolicy::default(),
                Timestamp::from_secs(1),
                Default::default(),
            );
        }
    }
}

#[test]
fn tags_are_bounded_in_count_and_length_and_kept_once() {
    let many: Vec<String> = (0..60_000).map(|i| format!("t{}:{i}", i % 2)).collect();
    let long = "x".repeat(300);
    let body = json!({
        "alert_id": "1", "alert_transition": "Triggered",
        "tags": format!("model:chat,model:chat,{long},{}", many.join(",")),
    });
    let n = parse_json(body.to_string().as_bytes()).unwrap();
    assert_eq!(n.tags.len(), super::fields::MAX_TAGS);
    assert_eq!(n.tags[0], "model:chat");
    assert_eq!(n.tags.iter().filter(|t| *t == "model:chat").count(), 1);
    assert!(!n.tags.contains(&long), "longer than Datadog allows");
    assert_eq!(n.model.as_deref(), Some("chat"));
}

#[test]
fn the_monitor_link_follows_the_notifications_site_else_the_configured_one() {
    use crate::datadog::site::DatadogSite;
    let monitor_link = |body: serde_json::Value, site: DatadogSite| {
        let body = serde_json::to_vec(&body).unwrap();
        let n = parse_json(&body).unwrap();
        let s = to_signal(
            &n,
            &body,
            Level::L2,
            EscalationPolicy::default(),
            arrival(&n),
            site,
        )
        .unwrap();
        let SignalKind::Breach { breach, .. } = s.kind else {
            panic!("a trigger is a breach")
        };
        breach
            .context
            .links
            .into_iter()
            .find(|l| l.text == "Datadog monitor")
            .map(|l| l.url)
    };
    let base = json!({
        "alert_id": "42",
        "alert_transition": "Triggered",
        "alert_scope": "model:chat",
        "date": "1795730460000",
    });
    let mut eu = base.clone();
    eu["link"] = "https://app.datadoghq.eu/event/event?id=1".into();
    assert_eq!(
        monitor_link(eu, DatadogSite::Us1).as_deref(),
        Some("https://app.datadoghq.eu/monitors/42")
    );
    // A snapshot host serves images, not pages: the configured site's app instead.
    let mut snapshot = base.clone();
    snapshot["link"] = "https://p.datadoghq.com/snapshot/x.png".into();
    assert_eq!(
        monitor_link(snapshot, DatadogSite::Us5).as_deref(),
        Some("https://us5.datadoghq.com/monitors/42")
    );
    assert_eq!(
        monitor_link(base, DatadogSite::Gov).as_deref(),
        Some("https://app.ddog-gov.com/monitors/42")
    );
}
