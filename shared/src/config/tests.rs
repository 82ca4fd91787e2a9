//! Tests of loading and checking the configuration.

use super::*;
use crate::rules::{NoDataPolicy, Rule};

const EXAMPLE: &str = include_str!("../../../infra/modelwatch.example.yaml");

fn errors(text: &str) -> String {
    Config::parse("modelwatch.yaml", text)
        .unwrap_err()
        .to_string()
}

const MINIMAL: &str = "\
metrics:
  - name: llm.latency
models:
  - name: chat-large
    versions: [v3]
    team: chat
    slack_channel: \"#chat\"
monitors:
  - id: latency
    metric: llm.latency
    rule:
      threshold: { critical: 3 }
";

/// Every configuration the project ships or runs (the example, the demo's, NAB's, the
/// benchmarks') passes validation: `make demo` and `make bench` read them.
#[test]
fn every_configuration_in_the_project_is_valid() {
    for (name, text) in [
        ("infra/modelwatch.example.yaml", EXAMPLE),
        (
            "tests/fixtures/demo/modelwatch.yaml",
            include_str!("../../../tests/fixtures/demo/modelwatch.yaml"),
        ),
        (
            "tests/fixtures/nab/modelwatch.yaml",
            include_str!("../../../tests/fixtures/nab/modelwatch.yaml"),
        ),
        (
            "bench/fleet.yaml",
            include_str!("../../../bench/fleet.yaml"),
        ),
        (
            "bench/one-model.yaml",
            include_str!("../../../bench/one-model.yaml"),
        ),
    ] {
        if let Err(e) = Config::parse(name, text) {
            panic!("{e}");
        }
    }
}

#[test]
fn the_annotated_example_is_valid_and_uses_every_rule_kind_and_template() {
    let config =
        Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = config.monitors.iter().map(|m| m.rule.kind()).collect();
    for kind in [
        "threshold",
        "schedule",
        "baseline",
        "version_compare",
        "composite",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // The anomaly template has its own example (shared/docs/backtest-nab.md).
    for template in templates::ALL.into_iter().filter(|t| *t != "anomaly") {
        assert!(
            EXAMPLE.contains(&format!("template: {template}")),
            "{template}"
        );
    }
    assert_eq!(config.models.len(), 3);
}

#[test]
fn a_minimal_file_loads_with_defaults() {
    let config = Config::parse("m.yaml", MINIMAL).unwrap();
    let m = config.monitor("latency").unwrap();
    assert_eq!(m.every_secs, 60);
    assert_eq!(m.window_secs, 300);
    assert!(matches!(m.rule, Rule::Threshold(_)));
}

#[test]
fn unknown_metric_is_reported_at_its_position_with_the_known_ones() {
    let text = MINIMAL.replace("metric: llm.latency", "metric: llm.latncy");
    assert_eq!(
        errors(&text),
        "modelwatch.yaml:10:13: monitor \"latency\" refers to unknown metric \"llm.latncy\": expected one of llm.latency"
    );
}

/// What a run records as evaluated changes with whatever decides a monitor's verdicts:
/// its own settings, a composite's monitors, a version comparison's stable version taken
/// from its model; not with its name.
#[test]
fn judged_as_changes_with_what_decides_a_verdict() {
    let config = Config::parse("example.yaml", EXAMPLE).unwrap();
    let judged = |c: &Config, id: &str| c.judged_as(c.monitor(id).unwrap());
    let mut renamed = config.clone();
    renamed.monitors.iter_mut().for_each(|m| m.name.push('!'));
    for m in &config.monitors {
        assert_eq!(judged(&config, &m.id), judged(&renamed, &m.id), "{}", m.id);
        assert!(judged(&config, &m.id).starts_with(&format!("{}#", m.id)));
    }
    let mut tightened = config.clone();
    let latency = tightened
        .monitors
        .iter_mut()
        .find(|m| m.id == "chat-latency")
        .unwrap();
    latency.window_secs += 60;
    for id in ["chat-latency", "chat-slow-and-failing"] {
        assert_ne!(judged(&config, id), judged(&tightened, id), "{id}");
    }
    assert_eq!(
        judged(&config, "error-rate"),
        judged(&tightened, "error-rate")
    );

    // A comparison without a stable version of its own reads its model's.
    let own = EXAMPLE.replace("        stable_version: v3\n", "");
    assert_ne!(own, EXAMPLE);
    let from_model = Config::parse("example.yaml", &own).unwrap();
    let moved = Config::parse(
        "example.yaml",
        &own.replace(
            "    stable_version: v3               #",
            "    stable_version: v4               #",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        judged(&from_model, "chat-v4-canary"),
        judged(&moved, "chat-v4-canary")
    );
}

#[test]
fn a_query_grouped_by_more_than_model_version_and_env_is_refused() {
    let text = MINIMAL.replace(
        "    metric: llm.latency\n",
        "    metric: llm.latency\n    query: \"sum:llm.latency{*} by {model,model_version,env,region}\"\n",
    );
    let got = errors(&text);
    assert!(
        got.contains("monitor \"latency\" reads a query also grouped by region"),
        "{got}"
    );
    let fine = MINIMAL.replace(
        "    metric: llm.latency\n",
        "    metric: llm.latency\n    query: \"sum:llm.latency{*} by {model,model_version,env}\"\n",
    );
    Config::parse("modelwatch.yaml", &fine).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_model_or_version_datadog_would_not_keep_as_written_is_refused() {
    let text = MINIMAL
        .replace("name: chat-large", "name: Chat-Large")
        .replace("versions: [v3]", "versions: [v3, V4, \"v5 beta\"]");
    let got = errors(&text);
    for (place, written, tagged) in [
        ("4:11", "Chat-Large", "chat-large"),
        ("5:20", "V4", "v4"),
        ("5:24", "v5 beta", "v5_beta"),
    ] {
        assert!(
            got.contains(&format!(
                "modelwatch.yaml:{place}: {written:?} would never match its series' tags"
            )),
            "{place}: {got}"
        );
        assert!(got.contains(&format!("expected {tagged:?}")), "{got}");
    }
    assert!(!got.contains("\"v3\""), "{got}");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let text = format!(
        "time_zone: Europe/Berlinn\n{}    window: 5 minutes\n    models: [chat-small]\n  - id: both\n    rule:\n      composite: \"latency && nope\"\n",
        MINIMAL
    );
    let text = errors(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("modelwatch.yaml:1:12: invalid time zone \"Europe/Berlinn\""),
        "{text}"
    );
    assert!(
        lines[1].contains("invalid window \"5 minutes\": expected a duration such as 30s"),
        "{text}"
    );
    assert!(
        lines[2].contains("unknown model \"chat-small\": expected one of chat-large"),
        "{text}"
    );
    assert!(
        lines[3].contains("composite monitor \"both\" refers to unknown monitor \"nope\""),
        "{text}"
    );
}

#[test]
fn yaml_shape_errors_name_the_line() {
    let text = MINIMAL.replace(
        "    metric: llm.latency",
        "    metric: llm.latency\n    colour: red",
    );
    let err = errors(&text);
    assert!(err.starts_with("modelwatch.yaml:11:"), "{err}");
    assert!(err.contains("colour"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn composite_cycles_and_missing_rules_fail_validation() {
    let text = format!(
        "{MINIMAL}  - id: a\n    rule: {{ composite: \"b\" }}\n  - id: b\n    rule: {{ composite: \"a && latency\" }}\n  - id: lonely\n    metric: llm.latency\n"
    );
    let err = errors(&text);
    assert!(
        err.contains("composite monitor \"a\" depends on itself"),
        "{err}"
    );
    assert!(
        err.contains("composite monitor \"b\" depends on itself"),
        "{err}"
    );
    assert!(err.contains("monitor \"lonely\" has no rule"), "{err}");
}

#[test]
fn a_composite_and_the_monitors_it_combines_share_their_cadence() {
    let text = format!(
        "{MINIMAL}  - id: slow\n    metric: llm.latency\n    every: 5m\n    rule: {{ threshold: {{ critical: 9 }} }}\n  - id: both\n    rule: {{ composite: \"latency && slow\" }}\n"
    );
    let err = errors(&text);
    assert!(
        err.contains("composite monitor \"both\" is evaluated every 60s but combines \"slow\", evaluated every 300s: expected the same `every`"),
        "{err}"
    );
    assert!(!err.contains("combines \"latency\""), "{err}");
    let same = text
        .replace("composite: \"latency && slow\"", "composite: \"slow\"")
        .replace("  - id: both\n", "  - id: both\n    every: 5m\n");
    Config::parse("modelwatch.yaml", &same).unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn threshold_levels_must_be_in_order() {
    let text = MINIMAL.replace("{ critical: 3 }", "{ warning: 4, critical: 3 }");
    let err = errors(&text);
    assert!(
        err.contains("critical level 3 is not above the warning level 4"),
        "{err}"
    );
}

#[test]
fn unknown_pagerduty_key_name_is_an_error() {
    let text = format!(
        "{MINIMAL}routing:\n  default_slack_channel: \"#mw\"\n  L2: {{ pagerduty: on-call }}\n"
    );
    let err = errors(&text);
    assert!(
        err.contains("L2 refers to unknown PagerDuty key \"on-call\""),
        "{err}"
    );
}

#[test]
fn night_policy_keeps_l1_issues_out_of_pagerduty_across_dst() {
    let config = Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap();
    let at = |s: &str| Timestamp::parse(s).unwrap();
    // Thursday 2026-03-26, 23:30 in Berlin (UTC+1): night.
    let night = config.escalation_policy("chat-latency", Level::L1, at("2026-03-26T22:30:00Z"));
    assert_eq!(night.max_level, Level::L1);
    // Thursday 2026-04-02 at 22:30 UTC is 00:30 in Berlin (UTC+2 after the change): night.
    let after = config.escalation_policy("chat-latency", Level::L1, at("2026-04-02T22:30:00Z"));
    assert_eq!(after.max_level, Level::L1);
    // The same instant a week earlier was 21:30 in Berlin: not yet night.
    let evening = config.escalation_policy("chat-latency", Level::L1, at("2026-03-26T20:30:00Z"));
    assert_eq!(evening.max_level, Level::L3);
    assert_eq!(evening.l1_timeout_secs, Some(1800));
    assert_eq!(evening.l2_timeout_secs, Some(900));
    // An L2 issue at night still pages; a monitor's own cap holds.
    assert_eq!(
        config
            .escalation_policy("chat-latency", Level::L2, at("2026-03-26T22:30:00Z"))
            .max_level,
        Level::L3
    );
    assert_eq!(
        config
            .escalation_policy("token-spike", Level::L1, at("2026-03-26T20:30:00Z"))
            .max_level,
        Level::L2
    );
}

#[test]
fn a_night_policy_judges_an_alert_by_the_level_its_breaches_asked_for() {
    let config = Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap();
    let night = Timestamp::parse("2026-03-26T22:30:00Z").unwrap();
    // A warning escalated unanswered to L2 before the night is still a warning at night:
    // it stays at L2 instead of going on to L3.
    let escalated = config.alert_policy("chat-latency", Level::L1, Level::L2, night);
    assert_eq!(escalated.max_level, Level::L2);
    // A critical breach of an alert that opened as a warning is not capped.
    let worse = config.alert_policy("chat-latency", Level::L3, Level::L1, night);
    assert_eq!(worse.max_level, Level::L3);
    // The renotify interval is the alert's level's.
    let l2 = config.escalation_policy("chat-latency", Level::L2, night);
    assert_eq!(escalated.renotify_secs, l2.renotify_secs);
    // A policy for L2 holds a warning escalated to L2 there too.
    let mut routing = config.routing.clone();
    for p in &mut routing.time_policies {
        p.levels = vec![Level::L2];
        p.max_level = Level::L2;
    }
    let held = routing.escalation_policy(Level::L1, Level::L2, None, night);
    assert_eq!(held.max_level, Level::L2);
    let before = routing.escalation_policy(Level::L1, Level::L1, None, night);
    assert_eq!(
        before.max_level,
        Level::L3,
        "a warning at L1 is not held by it"
    );
}

#[test]
fn unknown_models_follow_the_default_route() {
    let config = Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap();
    assert_eq!(
        config.route(Level::L1, Some("chat-large")).slack_channels,
        ["#chat-large-alerts", "#ml-platform-l1"]
    );
    assert_eq!(
        config.route(Level::L1, Some("mystery")).slack_channels,
        ["#modelwatch", "#ml-platform-l1"]
    );
    assert_eq!(
        config.route(Level::L2, Some("mystery")).pagerduty,
        Some("ml-oncall")
    );
    assert_eq!(
        config.routing.pagerduty_keys["ml-senior"],
        "pagerduty_routing_key_senior"
    );
}

#[test]
fn links_fill_the_url_templates_for_the_group() {
    let config = Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap();
    let group = crate::rules::Group::new("chat-large", Some("v4"), Some("prod"));
    let links = config.links("chat-latency", &group).to_links();
    assert_eq!(
        links[0].url,
        "https://runbooks.example.com/models/chat-large/chat-latency"
    );
    assert!(
        links[1]
            .url
            .contains("tpl_var_model_version=v4&tpl_var_env=prod"),
        "{}",
        links[1].url
    );
}

#[test]
fn load_names_the_file_it_cannot_read() {
    let err = Config::load("/nonexistent/modelwatch.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/nonexistent/modelwatch.yaml:1:1: cannot read"),
        "{err}"
    );
}

#[test]
fn time_zones_come_from_the_bundled_database() {
    assert!(tz("Europe/Berlin").is_some());
    assert!(tz("Asia/Kolkata").is_some());
    assert!(tz("Mars/Olympus").is_none());
}

#[test]
fn the_anomaly_rule_takes_its_settings_and_names_a_bad_one_by_position() {
    let ok = MINIMAL.replace(
        "threshold: { critical: 3 }",
        "anomaly: { direction: above, false_alert_every: 90d, quiet: 2h }",
    );
    let config = Config::parse("m.yaml", &ok).unwrap_or_else(|e| panic!("{e}"));
    let Rule::Anomaly(a) = &config.monitor("latency").unwrap().rule else {
        panic!("not an anomaly rule");
    };
    assert_eq!(
        (
            a.direction,
            a.false_alert_secs,
            a.quiet_secs,
            a.history_secs
        ),
        (
            crate::rules::Direction::Above,
            90 * 86_400,
            7200,
            22 * 86_400
        )
    );

    let bad = MINIMAL.replace(
        "threshold: { critical: 3 }",
        "anomaly: { direction: up, false_alert_every: 2h }",
    );
    let err = errors(&bad);
    assert!(
        err.contains(
            "modelwatch.yaml:12:29: invalid direction \"up\": expected above, below or both"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "modelwatch.yaml:12:52: anomaly false_alert_every \"2h\" is too short: expected at least 1d"
        ),
        "{err}"
    );
}

#[test]
fn the_anomaly_template_uses_the_streaming_rule() {
    let text = MINIMAL.replace(
        "    rule:\n      threshold: { critical: 3 }\n",
        "    template: anomaly\n",
    );
    let config = Config::parse("m.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let m = config.monitor("latency").unwrap();
    assert!(matches!(m.rule, Rule::Anomaly(_)), "{:?}", m.rule);
    assert_eq!(m.lookback_secs() / 86_400, 22);
}

const FAMILIES: &str = "\
metrics:
  - name: llm.latency
models:
  - name: chat-large
    team: chat
    family: chat
    slack_channel: \"#chat\"
  - name: chat-small
    team: chat
    family: chat
    slack_channel: \"#chat\"
  - name: embed
    team: search
    slack_channel: \"#search\"
routing:
  default_slack_channel: \"#modelwatch\"
  pagerduty_keys:
    - { name: shared-oncall, secret: pd_shared }
    - { name: chat-oncall, secret: pd_chat }
    - { name: senior, secret: pd_senior }
  L1: { slack: [\"#ml-l1\"] }
  L2: { pagerduty: shared-oncall }
  L3: { pagerduty: senior, slack: [\"#incidents\"] }
  routes:
    - match: { model: chat-small }
      L2: { slack: [\"#chat-small-incidents\"] }
    - match: { family: chat }
      L2: { pagerduty: chat-oncall, slack: [\"#chat-incidents\"] }
monitors:
  - id: latency
    metric: llm.latency
    rule:
      threshold: { critical: 3 }
";

#[test]
fn routes_send_a_family_to_its_own_service_and_fall_back_to_the_shared_ones() {
    let config = Config::parse("modelwatch.yaml", FAMILIES).unwrap_or_else(|e| panic!("{e}"));
    // The chat family's L2 goes to its own on-call service and channel.
    let chat = config.route(Level::L2, Some("chat-large"));
    assert_eq!(chat.pagerduty, Some("chat-oncall"));
    assert_eq!(chat.slack_channels, ["#chat-incidents"]);
    // A model's own route comes first for what it names; the family's fills the rest.
    let small = config.route(Level::L2, Some("chat-small"));
    assert_eq!(small.slack_channels, ["#chat-small-incidents"]);
    assert_eq!(small.pagerduty, Some("chat-oncall"));
    // Levels a route leaves out, other models and unknown models keep the shared routes.
    assert_eq!(
        config.route(Level::L3, Some("chat-large")).pagerduty,
        Some("senior")
    );
    assert_eq!(
        config.route(Level::L2, Some("embed")).pagerduty,
        Some("shared-oncall")
    );
    assert_eq!(
        config.route(Level::L2, Some("nobody")).pagerduty,
        Some("shared-oncall")
    );
    assert_eq!(
        config.route(Level::L1, Some("chat-large")).slack_channels,
        ["#chat", "#ml-l1"]
    );
}

#[test]
fn routes_must_name_known_models_families_and_keys() {
    let text = FAMILIES
        .replace(
            "match: { model: chat-small }",
            "match: { model: chat-smal }",
        )
        .replace("match: { family: chat }", "match: { family: chatt }")
        .replace("pagerduty: chat-oncall", "pagerduty: chat-on-call");
    let err = errors(&text);
    assert!(
        err.contains(
            "route for unknown model \"chat-smal\": expected one of chat-large, chat-small, embed"
        ),
        "{err}"
    );
    assert!(
        err.contains("route for unknown family \"chatt\": expected one of chat"),
        "{err}"
    );
    assert!(
        err.contains("unknown PagerDuty key \"chat-on-call\""),
        "{err}"
    );
    assert!(
        err.contains("modelwatch.yaml:25:23: route for unknown model"),
        "positions are given: {err}"
    );
    let both = FAMILIES.replace(
        "match: { model: chat-small }",
        "match: { model: chat-small, family: chat }",
    );
    assert!(errors(&both).contains("either `model: NAME` or `family: NAME`"));
}

#[test]
fn a_level_paging_the_routing_key_a_lower_level_pages_is_an_error() {
    // The shared L3 on the shared L2's key: PagerDuty would fold the escalation into the
    // open incident.
    let shared = FAMILIES.replace(
        "L3: { pagerduty: senior,",
        "L3: { pagerduty: shared-oncall,",
    );
    let err = errors(&shared);
    assert!(
        err.contains(
            "L3 pages PagerDuty key \"shared-oncall\", which L2 already pages (for models no route names)"
        ),
        "{err}"
    );
    assert!(err.contains("expected a key of L3's own"), "{err}");
    // Only for the family whose route sends L2 to the key L3 pages, at the route's key.
    let family = FAMILIES.replace("pagerduty: chat-oncall,", "pagerduty: senior,");
    let err = errors(&family);
    assert!(
        err.contains(
            "modelwatch.yaml:28:24: L3 pages PagerDuty key \"senior\", which L2 already pages (for model \"chat-large\")"
        ),
        "{err}"
    );
    assert!(
        err.contains("expected another key for L2 on this route"),
        "{err}"
    );
    assert_eq!(
        err.matches("already pages").count(),
        1,
        "reported once: {err}"
    );
    // A routing that never goes past L2 never pages L3's key.
    let capped = shared.replace(
        "L3: { pagerduty: shared-oncall,",
        "max_level: L2\n  L3: { pagerduty: shared-oncall,",
    );
    Config::parse("modelwatch.yaml", &capped).unwrap_or_else(|e| panic!("{e}"));
    // Two names for one secret entry are one routing key.
    let aliased = FAMILIES.replace(
        "{ name: senior, secret: pd_senior }",
        "{ name: senior, secret: pd_shared }",
    );
    let err = errors(&aliased);
    assert!(
        err.contains(
            "L3 pages PagerDuty key \"senior\", which reads the secret entry \"pd_shared\" as L2's key \"shared-oncall\" does"
        ),
        "{err}"
    );
    // A route that moves L3 elsewhere for the family is not an error for it, nor is the
    // key L3 pages for the rest, unless L2 pages it there too.
    let moved = FAMILIES
        .replace("pagerduty: chat-oncall,", "pagerduty: senior,")
        .replace(
            "      L2: { pagerduty: senior,",
            "      L3: { pagerduty: chat-oncall }\n      L2: { pagerduty: senior,",
        );
    Config::parse("modelwatch.yaml", &moved).unwrap_or_else(|e| panic!("{e}"));
    // And the example's own routing passes.
    Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn availability_templates_page_on_no_data_and_others_take_the_defaults() {
    let text = r##"
metrics:
  - name: m
defaults:
  no_data: warn
monitors:
  - id: errors
    template: error_rate
    metric: m
  - id: timeouts
    template: timeout_rate
    metric: m
    no_data: ignore
  - id: latency
    template: latency_rise
    metric: m
"##;
    let config = Config::parse("m.yaml", text).unwrap_or_else(|e| panic!("{e}"));
    let policy = |id: &str| config.monitor(id).unwrap().no_data;
    assert_eq!(policy("errors"), NoDataPolicy::Alert);
    assert_eq!(
        policy("timeouts"),
        NoDataPolicy::Ignore,
        "the monitor's own word wins"
    );
    assert_eq!(
        policy("latency"),
        NoDataPolicy::Warn,
        "the defaults section applies"
    );
}

const AUDIENCES: &str = "\
metrics:
  - name: llm.quality.score
  - name: llm.generation.latency
  - name: llm.custom.thing
  - name: app.csat
    unit: fraction
    kind: business
    better: higher
    description: user satisfaction
  - name: app.revenue
    unit: USD
    kind: business
models:
  - name: chat-large
    versions: [v3]
    team: chat
    slack_channel: \"#chat\"
  - name: embed-small
    versions: [v1]
    team: search
    slack_channel: \"#search\"
reports:
  audiences:
    chat-team:
      channel: \"#chat-reports\"
      models: [chat-large]
      metrics: [llm.generation.latency]
      business_metrics: [app.csat]
    executives:
      depth: summary
      business_metrics: [app.revenue, app.csat]
";

#[test]
fn each_audience_has_its_depth_models_metrics_and_business_metrics() {
    use crate::report::{Better, Depth, MetricKind, Unit};
    let config = Config::parse("modelwatch.yaml", AUDIENCES).unwrap_or_else(|e| panic!("{e}"));
    let chat = config.reports.audience("CHAT_TEAM").unwrap();
    assert_eq!(chat.channel.as_deref(), Some("#chat-reports"));
    assert_eq!(chat.content.depth, Depth::Detailed);
    assert!(chat.content.covers("chat-large") && !chat.content.covers("embed-small"));
    // One Datadog metric, the two latency figures read from it.
    assert_eq!(
        chat.content.metrics,
        vec![MetricKind::LatencyP50, MetricKind::LatencyP95]
    );
    let csat = &chat.content.business[0];
    assert_eq!(
        (csat.label.as_str(), csat.unit, csat.better),
        ("user satisfaction", Unit::Percent, Better::Up)
    );
    let exec = &config.reports.audience("executives").unwrap().content;
    assert_eq!(exec.depth, Depth::Summary);
    assert!(exec.covers("embed-small"));
    assert_eq!(exec.metrics, MetricKind::ALL.to_vec());
    let names: Vec<&str> = exec.business.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["app.revenue", "app.csat"]);
    assert_eq!(exec.business[0].label, "app.revenue (USD)");
    assert_eq!(config.metrics["app.csat"].class, MetricClass::Business);
    assert_eq!(
        config.metrics["llm.quality.score"].class,
        MetricClass::Technical
    );
}

#[test]
fn the_example_gives_the_team_detail_and_executives_a_summary_with_business_metrics() {
    use crate::report::Depth;
    let config = Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap();
    let team = config.reports.audience("ml-team").unwrap();
    let exec = config.reports.audience("executives").unwrap();
    assert_eq!(team.content.depth, Depth::Detailed);
    assert_eq!(exec.content.depth, Depth::Summary);
    assert_eq!(exec.channel.as_deref(), Some("#leadership"));
    let labels: Vec<&str> = exec
        .content
        .business
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(labels, ["user satisfaction", "conversion"]);
}

#[test]
fn audiences_name_only_declared_models_and_metrics_each_in_its_place() {
    let text = AUDIENCES
        .replace(
            "kind: business\n    better: higher",
            "kind: businesss\n    better: up",
        )
        .replace("models: [chat-large]", "models: [chat-largest]")
        .replace(
            "metrics: [llm.generation.latency]",
            "metrics: [llm.custom.thing, app.revenue, llm.nope]",
        )
        .replace(
            "business_metrics: [app.csat]",
            "business_metrics: [llm.quality.score, app.gone]",
        )
        .replace("channel: \"#chat-reports\"", "channel: \"chat reports\"")
        .replace(
            "depth: summary",
            "depth: summary\n      metrics: [llm.quality.score]",
        )
        .replace("    executives:", "    Executives:");
    let e = errors(&text);
    for expected in [
        "7:11: invalid metric kind \"businesss\": expected technical or business",
        "8:13: invalid `better` \"up\": expected higher or lower",
        "invalid Slack channel \"chat reports\"",
        "audience \"chat-team\" refers to unknown model \"chat-largest\": expected one of chat-large, embed-small",
        "reports do not read metric \"llm.custom.thing\" per model",
        "audience \"chat-team\" lists business metric \"app.revenue\" under `metrics:`",
        "audience \"chat-team\" refers to unknown metric \"llm.nope\"",
        "audience \"chat-team\" lists \"llm.quality.score\" as a business metric, but it is not declared `kind: business`",
        "audience \"chat-team\" refers to unknown business metric \"app.gone\"",
        "invalid audience name \"Executives\"",
        "audience \"Executives\" has depth summary, which shows no per-model metrics",
    ] {
        assert!(e.contains(expected), "{expected:?} missing from:\n{e}");
    }
}

#[test]
fn latency_templates_read_the_distributions_p95_and_say_so() {
    let config =
        Config::parse("infra/modelwatch.example.yaml", EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let latency = config.monitor("chat-latency").unwrap();
    assert_eq!(
        latency.query.as_deref(),
        Some("p95:llm.generation.latency{*} by {model,model_version,env}")
    );
    assert_eq!(latency.measure(), "p95 llm.generation.latency");
    let rollout = config.monitor("rollout-latency").unwrap();
    assert!(rollout.query.as_deref().unwrap().starts_with("p95:"));
    // A monitor's own query wins; others read the average, and say how the window combines.
    let p99 = config.monitor("embed-latency-threshold").unwrap();
    assert_eq!(p99.measure(), "max of p99 llm.generation.latency");
    let tokens = config.monitor("token-spike").unwrap();
    assert_eq!(tokens.query, None);
    assert_eq!(tokens.measure(), "avg llm.tokens.total");
}

#[test]
fn a_baseline_of_a_windows_sum_is_refused() {
    let text = MINIMAL.replace(
        "    rule:\n      threshold: { critical: 3 }\n",
        "    aggregation: sum\n    rule:\n      baseline: { sigmas: 3 }\n",
    );
    let err = errors(&text);
    assert!(
        err.contains("compares the window's sum with a baseline of single points"),
        "{err}"
    );
}

#[test]
fn a_query_must_group_by_what_its_alerts_are_about() {
    let with_query = |query: &str| {
        MINIMAL.replace(
            "    metric: llm.latency\n",
            &format!("    metric: llm.latency\n    query: \"{query}\"\n"),
        )
    };
    for grouped in [
        "p99:llm.latency{env:prod} by {model,model_version,env}",
        "avg:llm.latency{*}by{model,model_version}",
        "avg:llm.latency{*} by  { model , model_version }.rollup(avg, 60)",
        "exclude_null(avg:llm.latency{*} by {model,model_version})",
    ] {
        let ok = with_query(grouped);
        assert!(Config::parse("m.yaml", &ok).is_ok(), "{grouped}");
    }
    // chat-large lists its versions: each is expected, so the query must tell them apart.
    let err = errors(&with_query("avg:llm.latency{*} by {model}"));
    assert!(err.contains("modelwatch.yaml:11:"), "{err}");
    assert!(err.contains("not grouped by model_version"), "{err}");
    let err = errors(&with_query("avg:llm.latency{env:prod}"));
    assert!(
        err.contains("not grouped by model and model_version"),
        "{err}"
    );
    // A model that does not list versions needs no version grouping.
    let unversioned =
        with_query("avg:llm.latency{*} by {model, env}").replace("    versions: [v3]\n", "");
    assert!(Config::parse("m.yaml", &unversioned).is_ok());
}

#[test]
fn the_datadog_section_is_opt_in_and_checked_at_its_positions() {
    assert_eq!(
        Config::parse("m.yaml", MINIMAL).unwrap().datadog,
        DatadogObjects::default()
    );
    let example = Config::parse("example", EXAMPLE).unwrap();
    assert_eq!(example.datadog.environments, vec!["staging", "production"]);
    assert!(
        example
            .datadog
            .native_monitors
            .contains(&"chat-slow-and-failing".to_owned())
    );

    let text = format!(
        "{MINIMAL}  - id: both\n    rule:\n      composite: \"latency && latency\"\ndatadog:\n  webhook_url: http://plain.example/w\n  environments: [Prod, staging, staging]\n  native_monitors: [nope, both]\n"
    );
    let err = errors(&text);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "{err}");
    assert!(lines[0].contains(":17:16: invalid webhook URL"), "{err}");
    assert!(lines[1].contains("invalid environment \"Prod\""), "{err}");
    assert!(
        lines[2].contains("environment \"staging\" is listed twice"),
        "{err}"
    );
    assert!(
        lines[3].contains(
            "native monitor \"nope\" is not a monitor of this file: expected one of latency, both"
        ),
        "{err}"
    );
    assert!(
        lines[4].contains("combines \"latency\", which is not native"),
        "{err}"
    );
}

/// Datadog keeps tags in lowercase, so two native monitors whose ids differ only by case
/// would share one key there: refused.
#[test]
fn native_monitors_differing_only_by_case_are_refused() {
    let text = format!(
        "{MINIMAL}  - id: Latency\n    metric: llm.latency\n    rule:\n      threshold: {{ critical: 4 }}\ndatadog:\n  environments: [staging]\n  native_monitors: [latency, Latency]\n"
    );
    let err = errors(&text);
    assert!(
        err.contains("native monitor \"Latency\" is listed twice (as \"latency\""),
        "{err}"
    );
}

/// A warning recovery level needs the warning level it recovers from (Datadog refuses a
/// monitor with one and not the other, and the rule would ignore it).
#[test]
fn a_warning_recovery_without_a_warning_level_is_refused() {
    let text = MINIMAL.replace(
        "threshold: { critical: 3 }",
        "threshold: { critical: 3, warning_recovery: 1 }",
    );
    let err = errors(&text);
    assert!(
        err.contains("warning_recovery 1 is set without a warning level"),
        "{err}"
    );
    let fine = MINIMAL.replace(
        "threshold: { critical: 3 }",
        "threshold: { critical: 3, warning: 2, warning_recovery: 1 }",
    );
    assert!(Config::parse("m.yaml", &fine).is_ok());
}

/// A native copy is built from the monitor's metric: a `query:` whose aggregation,
/// filters, functions, arithmetic or grouping the copy would drop is refused for
/// native_monitors, saying what survives.
#[test]
fn a_native_monitor_whose_query_the_copy_would_drop_is_refused() {
    let native = |query: &str| {
        MINIMAL.replace(
            "    metric: llm.latency\n",
            &format!("    metric: llm.latency\n    query: \"{query}\"\n"),
        ) + "datadog:\n  environments: [production]\n  native_monitors: [latency]\n"
    };
    for fine in [
        "p99:llm.latency{*} by {model,model_version,env}",
        "avg:llm.latency{env:production} by {model, model_version, env}",
        "avg:llm.latency{env:production} by {model,model_version}",
    ] {
        assert!(Config::parse("m.yaml", &native(fine)).is_ok(), "{fine}");
    }
    for (lost, why) in [
        (
            "avg:llm.latency{region:eu} by {model,model_version,env}",
            "filters on more than",
        ),
        (
            "avg:llm.latency{env:prod OR region:eu} by {model,model_version,env}",
            "filters on more than",
        ),
        (
            "avg:llm.latency{env:prod} by {model,model_version,env}",
            "reads env [\"prod\"]",
        ),
        (
            "sum:llm.latency{*} by {model,model_version,env}",
            "aggregates by \"sum\"",
        ),
        (
            "100*avg:llm.latency{*} by {model,model_version,env}",
            "aggregates by",
        ),
        (
            "avg:llm.latency{*} by {model,model_version,env}.as_count()",
            "goes on past its filter",
        ),
        ("avg:llm.latency{*} by {model,env}", "is not grouped by"),
        (
            "avg:llm.latency{*} by {model,model_version}",
            "mixes every environment",
        ),
        (
            "avg:llm.latency{env:production AND env:staging} by {model,model_version,env}",
            "reads env",
        ),
        (
            "avg:llm.other{*} by {model,model_version,env}",
            "does not read the monitor's metric",
        ),
    ] {
        let err = errors(&native(lost));
        assert!(
            err.contains("native monitor \"latency\"") && err.contains(why),
            "{lost}: {err}"
        );
    }
}

/// Datadog's monitor queries aggregate a window by avg, sum, min or max over at most a
/// week: a native monitor asking for `last`, or a longer window, is refused by name
/// instead of failing `datadog apply` at Datadog.
#[test]
fn a_native_monitor_datadogs_queries_cannot_express_is_refused() {
    let native = |settings: &str| {
        MINIMAL.replace(
            "    metric: llm.latency\n",
            &format!("    metric: llm.latency\n{settings}"),
        ) + "datadog:\n  environments: [production]\n  native_monitors: [latency]\n"
    };
    for (settings, why) in [
        ("    aggregation: last\n", "aggregated by `last`"),
        ("    window: 8d\n", "longer than a week"),
    ] {
        let err = errors(&native(settings));
        assert!(
            err.contains("native monitor \"latency\"") && err.contains(why),
            "{settings}: {err}"
        );
    }
    for fine in ["    window: 7d\n", "    window: 2d\n    aggregation: max\n"] {
        assert!(Config::parse("m.yaml", &native(fine)).is_ok(), "{fine}");
    }
    // The anomaly template aggregates by `last`; its native copy is `anomalies()` over an
    // average, which Datadog takes.
    let anomaly = MINIMAL.replace(
        "    rule:\n      threshold: { critical: 3 }\n",
        "    template: anomaly\n",
    ) + "datadog:\n  environments: [production]\n  native_monitors: [latency]\n";
    assert!(anomaly.contains("template: anomaly"));
    if let Err(e) = Config::parse("m.yaml", &anomaly) {
        panic!("{e}");
    }
}

/// A native copy turns a percentile window aggregation into its space aggregation, so a
/// monitor aggregating its window by a percentile keeps no `query:` in its copy.
#[test]
fn a_native_monitor_with_a_percentile_window_and_its_own_query_is_refused() {
    let text = MINIMAL.replace(
        "    metric: llm.latency\n",
        "    metric: llm.latency\n    aggregation: p95\n    query: \"avg:llm.latency{*} by {model,model_version,env}\"\n",
    ) + "datadog:\n  environments: [production]\n  native_monitors: [latency]\n";
    let err = errors(&text);
    assert!(
        err.contains("is aggregated over the window by p95"),
        "{err}"
    );
}
