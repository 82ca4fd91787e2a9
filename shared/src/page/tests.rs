//! Page content: PagerDuty events and Slack messages built from an alert.

use super::*;
use crate::domain::{
    AlertContext, AlertKey, Breach, BreachState, Deployment, EscalationPolicy, Level, Link,
    ModelRef, Signal, SignalId, SignalKind, Source, Timestamp,
};
use crate::lifecycle::apply;
use crate::slack::ChannelId;

fn open_alert() -> crate::domain::Alert {
    let context = AlertContext {
        title: "p95 generation latency above 2 s".into(),
        model: Some(ModelRef::new("chat-large", Some("v7")).unwrap()),
        environment: Some("prod".into()),
        metric: Some("llm.generation.latency.p95".into()),
        value: Some(2.8),
        threshold: Some(2.0),
        reason: Some("p95 latency 2.8 s is 3.4σ above its baseline 1.1 s ± 0.5 s".into()),
        links: vec![Link {
            text: "Datadog monitor".into(),
            url: "https://app.datadoghq.com/monitors/1".into(),
        }],
        snapshot_url: Some("https://p.datadoghq.com/snapshot/x.png".into()),
        ..AlertContext::default()
    };
    let s = Signal {
        id: SignalId::new("dd-1").unwrap(),
        key: AlertKey::new("datadog:cycle:1").unwrap(),
        at: Timestamp::from_secs(1_795_730_400),
        source: Source::Datadog,
        kind: SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level: Level::L2,
                first_breach_at: None,
                context,
                policy: EscalationPolicy::default(),
            },
            repeat: false,
        },
    };
    apply(&crate::domain::Alert::blank(s.key.clone()), &s, s.at).alert
}

fn ctx() -> PageContext {
    PageContext {
        runbook_url: Some("https://runbooks.example.com/latency".into()),
        steps: vec![
            "Check GPU saturation on the serving pool".into(),
            "Roll back to v6 if v7 is new".into(),
        ],
        dashboard_url: Some("https://app.datadoghq.com/dashboard/abc".into()),
        team: Some("ml-platform".into()),
        deployments: vec![Deployment {
            model: ModelRef::new("chat-large", Some("v7")).unwrap(),
            environment: Some("prod".into()),
            at: Timestamp::from_secs(1_795_728_000),
            link: Some("https://github.com/acme/models/releases/v7".into()),
            description: None,
        }],
        mentions: Vec::new(),
    }
}

#[test]
fn trigger_carries_model_values_reason_steps_deployments_and_links() {
    let alert = open_alert();
    let event = trigger_event(&alert, 1, Level::L2, &ctx()).unwrap();
    let body = serde_json::to_value(event.to_body(&routing_key())).unwrap();
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["dedup_key"], "modelwatch:datadog:cycle:1#1");
    assert_eq!(body["payload"]["severity"], "error");
    assert_eq!(body["payload"]["component"], "chat-large");
    assert_eq!(body["payload"]["group"], "prod");
    assert_eq!(body["payload"]["class"], "llm.generation.latency.p95");
    assert_eq!(
        body["payload"]["summary"],
        "[L2] chat-large@v7 (prod): p95 generation latency above 2 s — 2.8 (threshold 2)"
    );
    let d = &body["payload"]["custom_details"];
    assert_eq!(d["model_version"], "v7");
    assert_eq!(d["value"], 2.8);
    assert_eq!(d["suggested_steps"][1], "Roll back to v6 if v7 is new");
    assert_eq!(d["recent_deployments"][0]["model"], "chat-large@v7");
    let links: Vec<&str> = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert_eq!(links, vec!["Datadog monitor", "Dashboard", "Runbook"]);
    assert_eq!(
        body["images"][0]["src"],
        "https://p.datadoghq.com/snapshot/x.png"
    );
}

/// A title of any length (the intake takes bodies up to 256 KiB) still makes a message
/// Slack takes: the fallback text is cut at Slack's 40,000 characters, as the header is at
/// 150, instead of the page being refused.
#[test]
fn a_very_long_title_still_makes_a_message_slack_takes() {
    let mut alert = open_alert();
    alert.context.title = "&".repeat(8_000);
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx());
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    assert_eq!(msg.text.chars().count(), 40_000);
    assert!(msg.text.ends_with('…'));
}

#[test]
fn l3_pages_are_critical_and_l1_warnings() {
    let alert = open_alert();
    let sev = |l| {
        serde_json::to_value(
            trigger_event(&alert, 1, l, &ctx())
                .unwrap()
                .to_body(&routing_key()),
        )
        .unwrap()["payload"]["severity"]
            .clone()
    };
    assert_eq!(sev(Level::L3), "critical");
    assert_eq!(sev(Level::L1), "warning");
}

/// Every part of a page at its longest (a long status line and reason, a long runbook,
/// five deployments with long links, 300 subscribers) is more text than Slack takes in one
/// message: the page leaves out its least needed parts (the subscribers first) and is
/// still posted, with its facts and buttons.
#[test]
fn a_page_with_every_part_at_its_longest_stays_within_slacks_total() {
    let mut alert = open_alert();
    alert.context.reason = Some("r".repeat(5_000));
    alert.context.metric = Some("m".repeat(3_000));
    let mut big = ctx();
    big.steps = (0..40)
        .map(|i| format!("step {i} {}", "s".repeat(100)))
        .collect();
    big.deployments = (0..5)
        .map(|i| Deployment {
            model: ModelRef::new("chat-large", Some(&format!("v{i}"))).unwrap(),
            environment: Some("prod".into()),
            at: Timestamp::from_secs(1_795_728_000 + i),
            link: Some(format!("https://ci.example.com/{}", "d".repeat(1_900))),
            description: None,
        })
        .collect();
    big.mentions = (0..300).map(|i| format!("U{i:08}")).collect();
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &big);
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    assert!(crate::slack::blocks_text_chars(&msg.blocks) <= crate::slack::BLOCKS_TEXT_BUDGET);
    let json = serde_json::to_string(&msg.blocks).unwrap();
    assert!(!json.contains("Subscribed:"), "the subscribers go first");
    assert!(json.contains("*Why*"), "the reason stays");
    assert!(json.contains("modelwatch_acknowledge"), "the buttons stay");
    // An ordinary page keeps everything.
    let mut small = ctx();
    small.mentions = vec!["U00000001".into()];
    let msg = alert_message(&open_alert(), ChannelId::new("C0123ABC").unwrap(), &small);
    let json = serde_json::to_string(&msg.blocks).unwrap();
    for part in [
        "Subscribed:",
        "Try first",
        "Deployed",
        "Runbook",
        "Metric graph",
    ] {
        assert!(json.contains(part), "{part}: {json}");
    }
}

#[test]
fn a_very_long_key_still_makes_a_valid_dedup_key() {
    let key = dedup_key(&AlertKey::new("k".repeat(400)).unwrap(), 1).unwrap();
    assert!(key.as_str().len() <= 255);
    assert!(key.as_str().ends_with("#1"));
}

#[test]
fn dedup_keys_read_back_to_the_alert_or_the_digest_standing_for_it() {
    let key = AlertKey::new("datadog:cycle:74#05|scope:host#a").unwrap();
    let dedup = dedup_key(&key, 3).unwrap();
    assert_eq!(hashed(&key, 3), None);
    assert_eq!(
        read_incident_key(dedup.as_str()),
        Ok(IncidentKey::Alert { key, cycle: 3 })
    );

    // 255 bytes written out is the longest kept as it is; one more is hashed.
    let longest = AlertKey::new("k".repeat(255 - "modelwatch:#12".len())).unwrap();
    assert_eq!(hashed(&longest, 12), None);
    assert_eq!(dedup_key(&longest, 12).unwrap().as_str().len(), 255);
    let long = AlertKey::new("k".repeat(256 - "modelwatch:#12".len())).unwrap();
    let h = hashed(&long, 12).expect("hashed");
    assert_eq!(h, HashedAlertKey::of(&long));
    // The digest is SHA-256 of the key as written, in lowercase hex (sha256sum's).
    let short = AlertKey::new("abc").unwrap();
    assert_eq!(
        HashedAlertKey::of(&short).digest,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let dedup = dedup_key(&long, 12).unwrap();
    assert_eq!(dedup.as_str(), format!("modelwatch:sha256:{}#12", h.digest));
    assert_eq!(
        read_incident_key(dedup.as_str()),
        Ok(IncidentKey::Hashed {
            digest: h.digest,
            cycle: 12
        })
    );
}

#[test]
fn foreign_and_malformed_incident_keys_are_not_read() {
    let not_ours = read_incident_key("baf7cf21b1da41b4b0221008339ff357").unwrap_err();
    assert!(not_ours.contains("not opened by modelwatch"), "{not_ours}");
    for bad in [
        "modelwatch:key-without-cycle",
        "modelwatch:k#-1",
        "modelwatch:#1",
        "modelwatch:sha256:abc#1",
        "modelwatch:sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD#1",
    ] {
        let why = read_incident_key(bad).unwrap_err();
        assert!(why.contains("is not modelwatch:"), "{bad}: {why}");
    }
}

#[test]
fn slack_message_has_fields_buttons_and_passes_slacks_limits() {
    let alert = open_alert();
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx());
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    let json = serde_json::to_string(&msg).unwrap();
    for needle in [
        "chat-large",
        "v7",
        "2.8 (threshold 2)",
        "Try first",
        ACTION_ACKNOWLEDGE,
        ACTION_SILENCE_1H,
        "Runbook",
    ] {
        assert!(json.contains(needle), "missing {needle}: {json}");
    }
    assert!(msg.text.starts_with("[L2] chat-large@v7"));
}

#[test]
fn subscribers_are_mentioned_and_nothing_else_becomes_a_mention() {
    let alert = open_alert();
    let mut ctx = ctx();
    ctx.mentions = vec![
        "U0DANA".into(),
        "W0BEN".into(),
        "!channel".into(),
        "U0<x>".into(),
    ];
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx);
    let json = serde_json::to_string(&msg).unwrap();
    assert!(json.contains("Subscribed: <@U0DANA> <@W0BEN>"), "{json}");
    assert!(
        !json.contains("<!channel>") && !json.contains("<@!channel>"),
        "{json}"
    );
    assert!(!json.contains("U0<x>"), "{json}");
    let quiet = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &self::ctx());
    assert!(
        !serde_json::to_string(&quiet)
            .unwrap()
            .contains("Subscribed")
    );
}

/// The action ids of a message's buttons, in order.
fn button_ids(msg: &crate::slack::Message) -> Vec<String> {
    let json = serde_json::to_value(msg).unwrap();
    json["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap().clone())
        .map(|e| e["action_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Once over, a cycle can still be marked a false positive (most false alarms recover
/// before anyone looks), and nothing else; once marked, or replaced by a later cycle,
/// it has no buttons.
#[test]
fn resolved_message_keeps_only_mark_false_positive_and_says_how_long() {
    let channel = || ChannelId::new("C0123ABC").unwrap();
    let open = open_alert();
    assert_eq!(
        button_ids(&alert_message(&open, channel(), &ctx())),
        [ACTION_ACKNOWLEDGE, ACTION_FALSE_POSITIVE, ACTION_SILENCE_1H]
    );
    let mut alert = open_alert();
    alert.status = crate::domain::Status::Resolved;
    alert.resolved_at = alert.opened_at.map(|t| t.plus_secs(23 * 60));
    let msg = alert_message(&alert, channel(), &ctx());
    assert_eq!(button_ids(&msg), [ACTION_FALSE_POSITIVE]);
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    let json = serde_json::to_string(&msg).unwrap();
    assert!(json.contains("recovered after 23 min"), "{json}");
    let value = serde_json::to_value(&msg).unwrap()["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap()["elements"][0]["value"]
        .clone();
    let value: ButtonValue = serde_json::from_str(value.as_str().unwrap()).unwrap();
    assert_eq!(
        value,
        ButtonValue {
            key: alert.key.to_string(),
            cycle: alert.cycle
        },
        "the button names the alert and its cycle"
    );

    let ended = ended_cycle_message(&alert, channel(), &ctx());
    assert!(button_ids(&ended).is_empty(), "{ended:?}");

    alert.false_positive = Some(crate::domain::Mark {
        by: "dana".into(),
        at: alert.resolved_at.unwrap(),
    });
    let marked = alert_message(&alert, channel(), &ctx());
    assert!(button_ids(&marked).is_empty(), "{marked:?}");
    let json = serde_json::to_string(&marked).unwrap();
    assert!(json.contains("false positive (dana)"), "{json}");
}

#[test]
fn huge_context_is_cut_to_slacks_limits_not_rejected() {
    let mut alert = open_alert();
    alert.context.title = "t".repeat(500);
    alert.context.reason = Some("<r>&".repeat(2000));
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx());
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
}

/// Whether mrkdwn `text` has every entity whole and every link or mention closed: Slack
/// shows a broken one as raw text, and the link does not work.
fn whole_markup(text: &str) -> bool {
    let entities_whole = text.match_indices('&').all(|(i, _)| {
        ["&amp;", "&lt;", "&gt;"]
            .iter()
            .any(|e| text[i..].starts_with(e))
    });
    let mut open = false;
    let links_closed = text.chars().all(|c| match c {
        '<' if open => false,
        '<' => {
            open = true;
            true
        }
        '>' => std::mem::replace(&mut open, false),
        _ => true,
    });
    entities_whole && links_closed && !open
}

/// Text cut to a block's limit ends before an entity, link or mention it would break; a
/// deployment link too long for its element is left as text; subscribers past the room
/// are counted, not cut in the middle of one.
#[test]
fn cut_text_never_breaks_an_entity_a_link_or_a_mention() {
    let mut alert = open_alert();
    alert.context.reason = Some("<r>&".repeat(2000));
    let mut ctx = ctx();
    ctx.steps = vec!["R&D ".repeat(1000)];
    ctx.deployments[0].link = Some(format!("https://ci.example.com/{}", "d".repeat(2_100)));
    ctx.mentions = (0..200).map(|i| format!("U{i:08}")).collect();
    let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx);
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    let texts: Vec<String> = msg
        .blocks
        .iter()
        .flat_map(|b| {
            let v = serde_json::to_value(b).unwrap();
            let mut found = Vec::new();
            collect_texts(&v, &mut found);
            found
        })
        .collect();
    let why = texts.iter().find(|t| t.starts_with("*Why*")).expect("why");
    assert!(why.ends_with('…') && why.chars().count() <= 3000, "{why}");
    let steps = texts
        .iter()
        .find(|t| t.starts_with("*Try first*"))
        .expect("steps");
    assert!(steps.ends_with('…'), "{steps}");
    let deployed = texts
        .iter()
        .find(|t| t.starts_with("Deployed"))
        .expect("deployment");
    assert!(!deployed.contains("https://"), "{deployed}");
    let subscribed = texts
        .iter()
        .find(|t| t.starts_with("Subscribed:"))
        .expect("mentions");
    assert!(subscribed.ends_with(" more"), "{subscribed}");
    for text in &texts {
        assert!(whole_markup(text), "{text}");
    }
}

/// A link too long for its element is shown as its text alone; the others stay links.
#[test]
fn a_link_too_long_for_its_element_is_its_text() {
    let mut ctx = ctx();
    // Within a URL's 2,000 characters, not with its text around it.
    ctx.runbook_url = Some(format!(
        "https://runbooks.example.com/{}",
        "r".repeat(1_970)
    ));
    let msg = alert_message(&open_alert(), ChannelId::new("C0123ABC").unwrap(), &ctx);
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    let json = serde_json::to_string(&msg.blocks).unwrap();
    assert!(!json.contains("runbooks.example.com"), "{json}");
    assert!(json.contains("Runbook"), "{json}");
    assert!(
        json.contains("<https://app.datadoghq.com/dashboard/abc|"),
        "{json}"
    );
    // One that fits alone stays a link, whatever came before it.
    ctx.runbook_url = Some(format!(
        "https://runbooks.example.com/{}",
        "r".repeat(1_900)
    ));
    let msg = alert_message(&open_alert(), ChannelId::new("C0123ABC").unwrap(), &ctx);
    assert!(msg.violations().is_empty(), "{:?}", msg.violations());
    let json = serde_json::to_string(&msg.blocks).unwrap();
    assert!(json.contains("<https://runbooks.example.com/rrr"), "{json}");
    assert!(
        json.contains("<https://app.datadoghq.com/dashboard/abc|"),
        "{json}"
    );
}

/// Every `text` string in a block's JSON.
fn collect_texts(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) if k == "text" => out.push(s.clone()),
                    _ => collect_texts(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_texts(v, out)),
        _ => {}
    }
}

#[test]
fn follow_ups_say_what_happened_in_words() {
    let alert = open_alert();
    let text = follow_up_text(
        &alert,
        &crate::domain::Action::Resolve {
            by: None,
            open_secs: 23 * 60,
        },
    );
    assert_eq!(text, "✅ Recovered after 23 min.");
    let text = follow_up_text(
        &alert,
        &crate::domain::Action::Page {
            level: Level::L3,
            reason: crate::domain::PageReason::Unanswered,
        },
    );
    assert!(text.contains("senior escalation service"), "{text}");
}

fn routing_key() -> crate::pagerduty::RoutingKey {
    crate::pagerduty::RoutingKey::new(crate::secret::Secret::new(
        "R0123456789ABCDEFGHIJKLMNOPQRSTU",
    ))
    .unwrap()
}

#[test]
fn a_dashboard_link_the_alert_already_carries_is_listed_once() {
    let mut alert = open_alert();
    alert.context.links.push(Link {
        text: "Dashboard".into(),
        url: "https://app.datadoghq.com/dashboard/abc".into(),
    });
    let links = ctx().links(&alert);
    let dashboards = links.iter().filter(|l| l.text == "Dashboard").count();
    assert_eq!(dashboards, 1, "{links:?}");
    assert_eq!(links.len(), 3, "monitor, dashboard, runbook: {links:?}");
}

/// An alert opened by a Datadog notification (`fixture` under tests/fixtures/datadog).
fn from_webhook(body: &[u8]) -> crate::domain::Alert {
    let n = crate::datadog::webhook::parse_json(body).unwrap();
    let s = crate::signals::datadog::to_signal(
        &n,
        body,
        Level::L2,
        EscalationPolicy::default(),
        n.at.unwrap_or(Timestamp::from_secs(1)).plus_secs(30),
        Default::default(),
    )
    .unwrap();
    apply(&crate::domain::Alert::blank(s.key.clone()), &s, s.at).alert
}

#[test]
fn a_datadog_alert_says_what_is_wrong_like_the_evaluators_own() {
    let cases: [(&[u8], &[&str]); 2] = [
        (
            include_bytes!("../../../tests/fixtures/datadog/10_recommended_triggered.json"),
            &[
                "*Metric*\n`llm.generation.latency.p95`",
                "*Threshold*\n2",
                // Slack mrkdwn escapes `>`.
                "*Why*\nllm.generation.latency.p95 over model:chat-large,model_version:v7,env:prod was &gt; 2.0 on average during the last 5m.",
            ],
        ),
        (
            include_bytes!(
                "../../../tests/fixtures/datadog/05_query_alert_with_transition_priority.json"
            ),
            &[
                "*Metric*\n`datadog.event.tracking.intakev2.audit.bytes`",
                "*Threshold*\n100",
                "was &gt; 100.0 on average during the last 5m.",
            ],
        ),
    ];
    for (body, says) in cases {
        let alert = from_webhook(body);
        let msg = alert_message(
            &alert,
            ChannelId::new("C0123ABC").unwrap(),
            &PageContext::default(),
        );
        assert!(msg.violations().is_empty(), "{:?}", msg.violations());
        let blocks = serde_json::to_value(&msg.blocks).unwrap().to_string();
        for needle in says {
            let escaped = serde_json::to_string(needle).unwrap();
            let needle_in_json = &escaped[1..escaped.len() - 1];
            assert!(
                blocks.contains(needle_in_json),
                "missing {needle:?} in {blocks}"
            );
        }
        let event = trigger_event(&alert, alert.cycle, Level::L2, &PageContext::default()).unwrap();
        let details = serde_json::to_value(&event).unwrap();
        assert_eq!(
            details["payload"]["custom_details"]["threshold"].as_f64(),
            alert.context.threshold
        );
        assert!(
            details["payload"]["summary"]
                .as_str()
                .unwrap()
                .contains("threshold")
        );
    }
}

#[test]
fn a_title_with_slack_markup_is_shown_as_written_in_the_notification_text() {
    let mut body: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../../tests/fixtures/datadog/10_recommended_triggered.json"
    ))
    .unwrap();
    body["alert_title"] = "latency < 2s & <!channel> <https://evil.example|docs>".into();
    let alert = from_webhook(body.to_string().as_bytes());
    let msg = alert_message(
        &alert,
        ChannelId::new("C0123ABC").unwrap(),
        &PageContext::default(),
    );
    for bad in ["<!channel>", "<https://", " & ", "< 2s"] {
        assert!(!msg.text.contains(bad), "{bad} in {:?}", msg.text);
    }
    assert!(
        msg.text.contains("latency &lt; 2s &amp; &lt;!channel&gt;"),
        "{:?}",
        msg.text
    );
}

#[test]
fn hostile_links_and_ids_from_a_webhook_never_reach_a_page_as_links() {
    let mut body: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../../tests/fixtures/datadog/10_recommended_triggered.json"
    ))
    .unwrap();
    let cases = [
        ("javascript:alert(1)", "1234"),
        ("https://evil.example/x|Click me> <!channel>", "../../admin"),
        ("https://app.datadoghq.com@evil.example/", "12 34"),
        ("https://app.datadoghq.com/x|<!channel>", "1/2"),
    ];
    for (link, monitor_id) in cases {
        body["link"] = link.into();
        body["alert_id"] = monitor_id.into();
        body["snapshot"] = "javascript:alert(2)".into();
        let alert = from_webhook(body.to_string().as_bytes());
        let ctx = PageContext {
            runbook_url: Some("https://runbooks.example.com/a|b><!here>".into()),
            ..PageContext::default()
        };
        let msg = alert_message(&alert, ChannelId::new("C0123ABC").unwrap(), &ctx);
        let text = serde_json::to_value(&msg.blocks).unwrap().to_string();
        for bad in [
            "javascript:",
            "evil.example",
            "<!channel>",
            "<!here>",
            "monitors/..",
            "|Click me",
        ] {
            assert!(
                !text.contains(bad),
                "{link} / {monitor_id}: {bad} in {text}"
            );
        }
        let event = trigger_event(&alert, 1, Level::L2, &ctx).unwrap();
        let page = serde_json::to_value(event.to_body(&routing_key())).unwrap();
        for l in page["links"].as_array().into_iter().flatten() {
            let href = l["href"].as_str().unwrap();
            assert!(
                href.starts_with("https://app.datadoghq.com/")
                    || href.starts_with("https://runbooks.example.com/"),
                "{href}"
            );
        }
        assert!(
            page["images"].as_array().is_none_or(|i| i.is_empty()),
            "{page}"
        );
    }
    // A Datadog link with `|` or `>` stays one link: the characters are encoded.
    body["link"] = "https://app.datadoghq.com/event?id=1|x>y".into();
    let alert = from_webhook(body.to_string().as_bytes());
    let msg = alert_message(
        &alert,
        ChannelId::new("C0123ABC").unwrap(),
        &PageContext::default(),
    );
    let text = serde_json::to_value(&msg.blocks).unwrap().to_string();
    assert!(
        text.contains("<https://app.datadoghq.com/event?id=1%7Cx%3Ey|Datadog event>"),
        "{text}"
    );
}
