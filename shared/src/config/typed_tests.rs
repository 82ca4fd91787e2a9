//! The typed parse from the tree gives what serde_saphyr's own typed parse of the text gave
//! (the parse before the YAML was read once): the same values, at the same places.

use super::raw::RawConfig;
use super::{tree, typed};

/// The typed configuration both ways, as text with the places (line and column) kept and
/// serde_saphyr's spans (offsets, which the tree does not carry) left out, and the place a
/// value given by an alias is defined: the tree keeps where it is used, which is what the
/// checks point at (`referenced`); nothing reads `defined`. The audiences, a hash map, in
/// file order.
fn both(text: &str) -> (String, String) {
    let from_text: RawConfig =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("from the text: {e}"));
    let tree = tree::read(text).unwrap();
    let from_tree: RawConfig =
        typed::from_tree(text, &tree).unwrap_or_else(|e| panic!("from the tree: {e:?}"));
    (normal(from_text), normal(from_tree))
}

fn normal(mut raw: RawConfig) -> String {
    let places = regex_lite::Regex::new(
        r"(?s)(span: Span \{.*?\},\s*source_id: \d+,)|(defined: Location \{.*?\},)",
    )
    .unwrap();
    let mut audiences: Vec<_> = raw
        .reports
        .as_mut()
        .map(|r| std::mem::take(&mut r.audiences).into_iter().collect())
        .unwrap_or_default();
    audiences.sort_by_key(|(name, _)| (name.referenced.line(), name.referenced.column()));
    let text = format!("{raw:#?}\naudiences: {audiences:#?}");
    places.replace_all(&text, "").into_owned()
}

fn same(text: &str) {
    let (from_text, from_tree) = both(text);
    assert!(from_text.contains("line: "), "the places are compared");
    if from_text != from_tree {
        let first = from_text
            .lines()
            .zip(from_tree.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(8))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "from the text:\n{}\n\nfrom the tree:\n{}",
            show(&from_text),
            show(&from_tree)
        );
    }
}

#[test]
fn every_configuration_in_the_project_reads_alike() {
    for text in [
        include_str!("../../../infra/modelwatch.example.yaml"),
        include_str!("../../../tests/fixtures/demo/modelwatch.yaml"),
        include_str!("../../../tests/fixtures/nab/modelwatch.yaml"),
        include_str!("../../../bench/fleet.yaml"),
        include_str!("../../../bench/one-model.yaml"),
    ] {
        same(text);
    }
}

/// Plain scalars in text fields (as written, not as numbers), anchors, aliases and a merge
/// key, every rule kind, keys that read as numbers, probes with JSON bodies and schemas.
const ODD: &str = r##"
time_zone: Europe/Paris
metrics:
  - { name: llm.latency, unit: s, kind: latency, better: lower }
  - name: 1.10
    description: &zeros 007
  - { name: gpu.utilization, description: *zeros, unit: 0.5 }
models:
  - &chat
    name: chat-large
    versions: [1.10, 2, v3, true, 1e3, -0, 0x1F, +4, .5]
    stable_version: 1.10
    team: 42
    family: chat
    slack_channel: "#chat"
  - <<: *chat
    name: summarizer
    runbook: https://runbooks.example.com/summarizer
monitors:
  - id: latency
    metric: llm.latency
    models: [chat-large]
    rule: { threshold: { critical: 3, warning: 2.5, critical_recovery: 2 } }
    trigger: { breaches: 2, of: 3 }
    recovery: { clean: 4 }
    replay: 30
    tags: [team:chat, 12, yes, ~x]
  - id: drift
    metric: llm.latency
    rule:
      baseline: { sigmas: 2, warn_sigmas: 1.5, min_spread: 0.01 }
    levels: { warn: L1, alert: L3 }
  - id: both
    rule: { composite: latency && drift }
reports:
  audiences:
    2024:
      channel: "#numbers"
    ml-team:
      channel: "#ml"
      depth: detailed
probes:
  endpoints:
    - { name: chat, kind: openai, url: "https://models.example.com/", secret: chat_token }
    - { name: clf, kind: http, url: https://clf.example.com/predict }
  cases:
    - id: capital
      model: chat-large
      version: 1.10
      endpoint: chat
      prompt: Capital of France?
      expect: { contains: [Paris], latency: 800ms, json_schema: { type: object, maximum: 1.5, required: [a], x: null } }
    - id: label
      model: chat-large
      endpoint: clf
      level: L1
      timeout: 5s
      body: { inputs: [1, -2, 2.5, 18446744073709551615, "3"], options: { wait: true, none: ~ } }
      answer: /label
"##;

#[test]
fn plain_scalars_aliases_merges_enums_and_json_read_alike() {
    same(ODD);
}

#[test]
fn a_text_field_takes_a_plain_scalar_as_written() {
    let (_, from_tree) = both(ODD);
    for written in [
        r#""1.10""#,
        r#""0x1F""#,
        r#""1e3""#,
        r#""-0""#,
        r#""+4""#,
        r#""007""#,
        r#""2024""#,
    ] {
        assert!(from_tree.contains(written), "{written} in\n{from_tree}");
    }
}

#[test]
fn a_number_too_large_for_its_field_is_refused_at_its_place() {
    // The shape check lets any whole number through where it bounds none: here the typed
    // parse is the one that refuses.
    let text = "probes:\n  cases:\n    - id: a\n      expect: { tokens: { total: 99999999999999999999999 } }\n";
    let tree = tree::read(text).unwrap();
    let e = typed::from_tree::<RawConfig>(text, &tree).unwrap_err();
    let from_text = serde_saphyr::from_str::<RawConfig>(text).unwrap_err();
    let place = from_text
        .location()
        .map(|l| (l.line() as u32, l.column() as u32));
    assert_eq!(
        (e.at, place),
        (Some((4, 34)), Some((4, 34))),
        "{e:?} {from_text}"
    );
    assert!(e.message.contains("expected u64"), "{}", e.message);
}

#[test]
fn a_key_twice_is_refused_even_inside_a_json_body() {
    // serde_saphyr's typed parse refused it; the tree passes repeated keys to the shape
    // check, which reports them, in a JSON value as elsewhere.
    let text = "\
models:
  - { name: m, versions: [v1], team: t, slack_channel: \"#c\" }
probes:
  endpoints:
    - { name: clf, kind: http, url: https://clf.example.com/predict }
  cases:
    - id: label
      model: m
      endpoint: clf
      body: { inputs: [{ a: 1, a: 2 }], options: {} }
";
    let e = super::Config::parse("m.yaml", text)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "m.yaml:10:32: probes.cases[0].body.inputs[0].a is given twice (first at line 10): expected each key once"
    );
}
