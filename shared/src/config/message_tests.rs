//! The messages a newcomer meets first: type and syntax errors in plain words, every one
//! at once, and the gaps validation used to let through (issue #16).

use super::*;

fn errors(text: &str) -> Vec<String> {
    match Config::parse("m.yaml", text) {
        Ok(_) => panic!("valid:\n{text}"),
        Err(e) => e.to_string().lines().map(str::to_owned).collect(),
    }
}

fn has(errors: &[String], expected: &str) {
    assert!(
        errors.iter().any(|e| e == expected),
        "missing {expected:?} in:\n{}",
        errors.join("\n")
    );
}

const HEAD: &str = "\
metrics:
  - name: m
models:
  - name: chat-large
    versions: [v3]
    team: chat
    slack_channel: \"#chat\"
";

#[test]
fn type_errors_name_the_key_and_the_expected_type_in_plain_words_all_at_once() {
    let text = format!(
        "{HEAD}monitors:
  - id: a
    metric: m
    trigger: {{ breaches: three, of: 5 }}
    rule:
      baseline: {{ sigmas: three }}
  - id: b
    metric: m
    versions: [v3]
    rule: {{ threshold: {{ critical: high }} }}
"
    );
    let e = errors(&text);
    has(
        &e,
        "m.yaml:11:26: invalid monitors[0].trigger.breaches \"three\": expected a whole number",
    );
    has(
        &e,
        "m.yaml:13:27: invalid monitors[0].rule.baseline.sigmas \"three\": expected a number",
    );
    has(
        &e,
        "m.yaml:16:5: unknown key monitors[1].versions: expected one of id, name, metric, query, models, template, rule, window, aggregation, every, trigger, recovery, no_data, time_zone, levels, max_level, replay, runbook_steps, tags",
    );
    has(
        &e,
        "m.yaml:17:36: invalid monitors[1].rule.threshold.critical \"high\": expected a number",
    );
    assert_eq!(e.len(), 4, "{e:?}");
    for leaked in ["u32", "f64", "floating point", "deserialize"] {
        assert!(!e.join("\n").contains(leaked), "{leaked} in {e:?}");
    }
}

#[test]
fn a_scalar_where_a_list_belongs_shows_how_to_write_the_list() {
    let e = errors(
        "models:\n  - name: chat-large\n    versions: v3\n    team: chat\n    slack_channel: \"#c\"\n",
    );
    assert_eq!(
        e,
        [
            "m.yaml:3:15: invalid models[0].versions \"v3\": expected a list of text (a list of one is written [v3])"
        ]
    );
}

#[test]
fn an_unquoted_channel_is_read_as_a_comment_and_the_hint_says_to_quote_it() {
    let e = errors(
        "models:\n  - name: chat-large\n    team: chat\n    slack_channel: #chat-large-alerts\nrouting:\n  default_slack_channel: #modelwatch\n",
    );
    assert_eq!(
        e,
        [
            "m.yaml:4:5: models[0].slack_channel has no value: expected text (YAML reads everything after # as a comment: quote the value, slack_channel: \"#chat-large-alerts\")",
            "m.yaml:6:3: routing.default_slack_channel has no value: expected text (YAML reads everything after # as a comment: quote the value, default_slack_channel: \"#modelwatch\")",
        ]
    );
}

#[test]
fn missing_and_repeated_keys_are_named_with_where_the_first_one_was() {
    let e = errors(
        "models:\n  - name: a\n    name: b\n    slack_channel: \"#x\"\n    slack_channel: \"#y\"\n",
    );
    assert_eq!(
        e,
        [
            "m.yaml:2:5: missing models[0].team: expected text",
            "m.yaml:3:5: models[0].name is given twice (first at line 2): expected each key once",
            "m.yaml:5:5: models[0].slack_channel is given twice (first at line 4): expected each key once",
        ]
    );
}

#[test]
fn an_unclosed_bracket_is_reported_where_it_opens() {
    let e = errors(
        "models:\n  - name: a\n    versions: [v3, v4\n    team: chat\n    slack_channel: \"#x\"\n",
    );
    assert_eq!(
        e,
        ["m.yaml:3:15: this [ is not closed: expected ] before line 4"]
    );
    // A list over several lines is fine and not blamed for a later mistake.
    let e =
        errors("metrics: [\n  ]\nmodels:\n  - name: a\n    team: [x\n    slack_channel: \"#x\"\n");
    assert_eq!(
        e,
        ["m.yaml:5:11: this [ is not closed: expected ] before line 6"]
    );
}

#[test]
fn an_empty_configuration_is_refused() {
    for text in [
        "",
        "# only a comment\n",
        "models: []\nmonitors: []\n",
        "time_zone: UTC\n",
    ] {
        assert_eq!(
            errors(text),
            [
                "m.yaml:1:1: the configuration is empty: expected `models:` (to route Datadog's alerts) or `monitors:` (to evaluate metrics); `modelwatch reference` lists every key"
            ],
            "{text:?}"
        );
    }
}

#[test]
fn a_monitor_with_both_template_and_rule_is_refused() {
    let text = format!(
        "{HEAD}monitors:\n  - id: errors\n    metric: m\n    template: error_rate\n    rule: {{ threshold: {{ critical: 0.1 }} }}\n"
    );
    assert_eq!(
        errors(&text),
        [
            "m.yaml:12:11: monitor \"errors\" has both `template: error_rate` and `rule:`: expected one of them (to change a template's rule, write the rule out and drop `template:`)"
        ]
    );
}

#[test]
fn every_slack_channel_is_checked_not_only_the_models() {
    let text = format!(
        "{HEAD}routing:
  default_slack_channel: \"modelwatch channel\"
  L1: {{ slack: [\"ml-platform\"] }}
  L3: {{ slack: [\"ml-incidents\"] }}
reports:
  audiences:
    ml-team: {{ channel: \"ml team\" }}
"
    );
    let e = errors(&text);
    for (at, channel) in [
        ("9:26", "modelwatch channel"),
        ("10:17", "ml-platform"),
        ("11:17", "ml-incidents"),
        ("14:25", "ml team"),
    ] {
        has(
            &e,
            &format!(
                "m.yaml:{at}: invalid Slack channel {channel:?}: expected a #name or a channel id such as C0123456789 (no spaces)"
            ),
        );
    }
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn the_gpu_template_is_spelt_as_its_metric_and_the_old_spelling_still_reads() {
    for spelling in ["gpu_utilization", "gpu_utilisation"] {
        let text =
            format!("{HEAD}monitors:\n  - id: gpu\n    metric: m\n    template: {spelling}\n");
        let config = Config::parse("m.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.monitor("gpu").unwrap().window_secs, 15 * 60);
    }
}
