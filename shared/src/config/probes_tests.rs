//! The `probes:` section: defaults, and every problem reported at its place.

use std::time::Duration;

use serde_json::json;

use super::Config;
use crate::domain::Level;
use crate::probe::{EndpointKind, Input};

const MODELS: &str = "\
models:
  - name: chat-large
    versions: [v3]
    team: chat
    slack_channel: \"#chat\"
";

#[test]
fn a_probes_section_reads_with_its_defaults() {
    let text = format!(
        "{MODELS}probes:
  endpoints:
    - {{ name: chat, kind: openai, url: https://models.example.com/, secret: chat_token }}
    - {{ name: clf, kind: http, url: https://clf.example.com/predict }}
  cases:
    - id: capital
      model: chat-large
      version: v3
      endpoint: chat
      prompt: Capital of France?
      expect: {{ contains: [Paris], latency: 800ms, json_schema: {{ type: object }} }}
    - id: label
      model: chat-large
      endpoint: clf
      level: L1
      timeout: 5s
      body: {{ inputs: [1, 2], options: {{ wait: true }} }}
      answer: /label
"
    );
    let config = Config::parse("m.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let p = &config.probes;
    assert_eq!(
        (p.budget, p.concurrency, p.retries, p.retry_interval),
        (Duration::from_secs(45), 32, 1, Duration::from_millis(300))
    );
    assert_eq!(p.secret_entries(), ["chat_token"]);
    assert_eq!(p.endpoints["chat"].kind, EndpointKind::OpenAi);
    assert_eq!(
        p.endpoints["chat"].request_url(),
        "https://models.example.com/v1/chat/completions"
    );
    assert_eq!(
        p.endpoints["clf"].request_url(),
        "https://clf.example.com/predict"
    );
    let capital = p.case("capital").unwrap();
    assert_eq!(capital.timeout, Duration::from_secs(20));
    assert_eq!(capital.level, Level::L2);
    assert_eq!(capital.checks.status, 200);
    assert_eq!(capital.checks.latency, Some(Duration::from_millis(800)));
    assert!(matches!(&capital.input, Input::Prompt { api_model, .. } if api_model == "chat-large"));
    let label = p.case("label").unwrap();
    assert_eq!(
        (label.level, label.timeout),
        (Level::L1, Duration::from_secs(5))
    );
    assert_eq!(
        label.input,
        Input::Body(json!({"inputs": [1, 2], "options": {"wait": true}}))
    );
    assert_eq!(label.answer.as_deref(), Some("/label"));
}

#[test]
fn every_probe_problem_is_reported_at_its_place() {
    let text = format!(
        "{MODELS}probes:
  budget: 10s
  endpoints:
    - {{ name: chat, kind: grpc, url: models.example.com }}
    - {{ name: ok, kind: openai, url: https://models.example.com, secret: Chat-Token }}
    - {{ name: clf, kind: http, url: https://clf.example.com/predict }}
  cases:
    - id: a
      model: chat-small
      version: v9
      endpoint: nowhere
      prompt: hi
    - id: b
      model: chat-large
      endpoint: chat
      prompt: hi
    - id: a
      model: chat-large
      version: v9
      endpoint: clf
      prompt: hi
      timeout: 1m
    - id: c
      model: chat-large
      endpoint: ok
      expect:
        status: 700
        matches: \"(unclosed\"
        json_schema: {{ type: object, format: email }}
        judge: {{ endpoint: clf, criteria: kind, min_score: 2 }}
"
    );
    let err = Config::parse("m.yaml", &text).unwrap_err().to_string();
    let expected = [
        ":9:27: invalid endpoint kind \"grpc\": expected openai or http",
        ":9:38: invalid endpoint URL \"models.example.com\"",
        ":10:74: invalid secret entry \"Chat-Token\"",
        ":14:14: unknown model \"chat-small\": expected one of chat-large",
        ":16:17: unknown endpoint \"nowhere\": expected one of clf, ok",
        ":22:11: probe case \"a\" is declared twice",
        ":22:11: probe case \"a\": prompt is for openai endpoints",
        ":22:11: probe case \"a\" has no body",
        ":24:16: unknown version \"v9\" of model chat-large: expected one of v3",
        ":27:16: probe timeout \"1m\" is longer than the run's budget (10 s)",
        ":28:11: probe case \"c\" has no prompt",
        ":32:17: invalid status 700: expected 100 to 599",
        ":33:18: invalid regular expression \"(unclosed\"",
        ":34:22: invalid json_schema: format: unsupported keyword",
        ":35:28: judge endpoint \"clf\" is an http endpoint: expected an openai endpoint",
        ":35:60: invalid min_score 2: expected 0 to 1",
    ];
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert_eq!(err.lines().count(), expected.len(), "{err}");
}

#[test]
fn finish_reasons_are_read_for_openai_cases_and_refused_empty_or_for_http_ones() {
    // A case on `endpoint` whose `expect` is `expect`.
    let text = |endpoint: &str, expect: &str| {
        let input = if endpoint == "clf" {
            "body: {}"
        } else {
            "prompt: hi"
        };
        format!(
            "{MODELS}probes:
  endpoints:
    - {{ name: chat, kind: openai, url: https://m.example.com }}
    - {{ name: clf, kind: http, url: https://clf.example.com/predict }}
  cases:
    - {{ id: a, model: chat-large, endpoint: {endpoint}, {input}, expect: {{ {expect} }} }}
"
        )
    };
    let read = |expect: &str| {
        let config =
            Config::parse("m.yaml", &text("chat", expect)).unwrap_or_else(|e| panic!("{e}"));
        config.probes.cases[0].checks.finish_reasons.clone()
    };
    let refused = |endpoint: &str, expect: &str| {
        Config::parse("m.yaml", &text(endpoint, expect))
            .unwrap_err()
            .to_string()
    };
    let reasons = |r: &[&str]| Some(r.iter().map(|r| r.to_string()).collect::<Vec<_>>());
    assert_eq!(
        read("finish_reasons: [stop, length]"),
        reasons(&["stop", "length"])
    );
    assert_eq!(
        read("finish_reasons: [\" stop \"]"),
        reasons(&["stop"]),
        "trimmed"
    );
    assert_eq!(read("contains: [Paris]"), None);
    for (endpoint, expect, message) in [
        (
            "chat",
            "finish_reasons: []",
            "invalid finish_reasons []: expected one reason or more, such as [stop, length]",
        ),
        (
            "chat",
            "finish_reasons: [stop, \" \"]",
            "invalid finish_reasons [\"stop\", \" \"]: a reason is empty: expected reasons such as stop or length",
        ),
        (
            "clf",
            "finish_reasons: [stop]",
            "probe case \"a\": expect.finish_reasons is for openai endpoints",
        ),
    ] {
        let err = refused(endpoint, expect);
        assert!(err.contains(message), "{expect}: {err}");
    }
}

#[test]
fn retries_are_read_and_more_than_three_refused() {
    let text = |retries: &str| {
        format!(
            "{MODELS}probes:\n  retries: {retries}\n  endpoints: [{{ name: chat, kind: openai, url: https://m.example.com }}]\n  cases: []\n"
        )
    };
    let none = Config::parse("m.yaml", &text("0")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(none.probes.retries, 0);
    let err = Config::parse("m.yaml", &text("4")).unwrap_err().to_string();
    assert!(
        err.contains(":7:12: invalid probe retries 4: expected 0 to 3"),
        "{err}"
    );
}

#[test]
fn a_retry_interval_is_read_from_none_to_five_seconds() {
    let text = |interval: &str| {
        format!(
            "{MODELS}probes:\n  retry_interval: {interval}\n  endpoints: [{{ name: chat, kind: openai, url: https://m.example.com }}]\n  cases: []\n"
        )
    };
    for (given, read) in [("0ms", 0), ("0s", 0), ("1500ms", 1_500), ("5s", 5_000)] {
        let config = Config::parse("m.yaml", &text(given)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.probes.retry_interval,
            Duration::from_millis(read),
            "{given}"
        );
    }
    for (given, expected) in [
        (
            "6s",
            ":7:19: invalid probe retry interval \"6s\": expected a duration from 0ms to 5s",
        ),
        (
            "soon",
            ":7:19: invalid probe retry interval \"soon\": expected a duration from 0ms to 5s",
        ),
        ("-1ms", ":7:19: invalid probe retry interval \"-1ms\""),
    ] {
        let err = Config::parse("m.yaml", &text(given))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{given}: {err}");
    }
}

#[test]
fn a_body_or_schema_of_any_shape_passes_the_shape_check_but_nothing_does_not() {
    let text = format!(
        "{MODELS}probes:
  endpoints: [{{ name: clf, kind: http, url: https://clf.example.com }}]
  cases:
    - {{ id: a, model: chat-large, endpoint: clf, body: }}
"
    );
    let err = Config::parse("m.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("has no body"), "{err}");
    let text = text.replace("body: }", "body: \"text is JSON too\" }");
    let config = Config::parse("m.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.probes.cases[0].input,
        Input::Body(json!("text is JSON too"))
    );
}

#[test]
fn the_examples_commented_probes_are_valid_once_uncommented() {
    let example = include_str!("../../../infra/modelwatch.example.yaml");
    let block: Vec<&str> = example
        .lines()
        .skip_while(|l| *l != "# probes:")
        .take_while(|l| !l.is_empty())
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    assert!(block.len() > 5, "the example shows a probes: section");
    let text = format!("{example}\n{}\n", block.join("\n"));
    let config = Config::parse("example", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.probes.cases[0].id, "chat-capital");
    assert_eq!(config.probes.secret_entries(), ["chat_api_token"]);
}

#[test]
fn cases_that_cannot_all_time_out_within_the_budget_are_refused() {
    let cases = |n: usize, timeout: &str| {
        (0..n)
            .map(|i| {
                format!(
                    "    - {{ id: c{i}, model: chat-large, endpoint: chat, prompt: hi{timeout} }}\n"
                )
            })
            .collect::<String>()
    };
    let head = |budget: &str, concurrency: &str| {
        format!(
            "{MODELS}probes:\n{budget}{concurrency}  endpoints: [{{ name: chat, kind: openai, url: https://m.example.com }}]\n  cases:\n"
        )
    };
    // Three waves of 10 s fit 30 s exactly; not 25 s.
    let fits = head("  budget: 30s\n", "  concurrency: 2\n") + &cases(5, ", timeout: 10s");
    assert!(Config::parse("m.yaml", &fits).is_ok());
    let over = fits.replace("budget: 30s", "budget: 25s");
    let err = Config::parse("m.yaml", &over).unwrap_err().to_string();
    assert!(
        err.contains("5 probe cases, 2 at a time, take up to 30 s when every endpoint hangs until its timeout: more than the budget of 25 s"),
        "{err}"
    );
    // The defaults: 50 models' cases, every endpoint hanging, within one run.
    let fifty = head("", "") + &cases(50, "");
    let config = Config::parse("m.yaml", &fifty).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        crate::probe::run::worst_run(&config.probes.cases, config.probes.concurrency),
        Duration::from_secs(40)
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let case = |body: &str| {
        format!(
            "{MODELS}probes:\n  endpoints: [{{ name: clf, kind: http, url: https://clf.example.com }}]\n  cases:\n    - {{ id: a, model: chat-large, endpoint: clf, body: {body} }}\n"
        )
    };
    let err = Config::parse("m.yaml", &case(&deep(30)))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(":9:56: probes.cases[0].body is nested more than 24 levels deep"),
        "{err}"
    );
    assert!(Config::parse("m.yaml", &case(&deep(20))).is_ok());
    // Past the file's own limit the parser refuses it (a fuzzed file once overflowed the
    // stack here).
    for text in [
        case(&deep(200)),
        format!("{MODELS}time_zone: {}\n", deep(200)),
    ] {
        let err = Config::parse("m.yaml", &text).unwrap_err().to_string();
        assert!(
            err.contains("invalid YAML") || err.contains("not closed"),
            "{err}"
        );
    }
}
