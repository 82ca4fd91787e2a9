//! The `probes:` section: its keys (for the shape check and the reference), and its
//! validation into [`crate::probe::Probes`], every problem at its place in the file.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::duration::parse_secs;
use super::model::Model;
use super::raw::{RawCase, RawEndpoint, RawExpect, RawProbes, S};
use super::schema::{COUNT, Key, LEVELS, Shape, TEXT, TEXTS, key};
use super::validate::{Problems, one_of};
use crate::domain::Level;
use crate::http::BaseUrl;
use crate::probe::case::{DEFAULT_TIMEOUT, MAX_RETRIES, MAX_RETRY_INTERVAL};
use crate::probe::run::worst_run;
use crate::probe::{
    Case, Checks, Endpoint, EndpointKind, Input, JsonSchema, Judge, Pattern, Probes, TokenLimits,
};

const ID: &str = "letters, digits, '_', '-' or '.'";
const MILLIS: &str = "a duration such as 800ms, 2s or 1m";
const SECRET_ENTRY: &str = "lowercase letters, digits and '_' (MODELWATCH_<ENTRY> locally)";
/// The longest run: the prober runs every minute with a 58 s timeout (infra/template.yaml),
/// and needs some seconds after the cases for the metrics and signals.
const MAX_BUDGET: Duration = Duration::from_secs(45);
const BUDGET_EXPECTED: &str = "a duration from 1s to 45s (the prober runs every minute)";
const RETRIES_EXPECTED: &str = "0 to 3";
const RETRY_INTERVAL_EXPECTED: &str = "a duration from 0ms to 5s, such as 300ms";

pub(super) const PROBES: &[Key] = &[
    key("budget", TEXT, "How long one run may take in all; cases not started by then are skipped (and reported as such).")
        .default("45s")
        .allowed(BUDGET_EXPECTED),
    key("concurrency", COUNT, "How many cases run at once.")
        .default("32")
        .allowed("1 to 256"),
    key("retries", COUNT, "How many times a failing case is tried again in the same run, once the run's cases have all been tried and at least `retry_interval` after it failed, before its failure opens an alert (Datadog Synthetics' retries): a blip passing on a retry pages nobody. A retry needs the interval and the case's whole timeout left in the budget; without them the failure stands. A case whose alert is open, or whose token was refused, is not retried; `modelwatch probe` never retries.")
        .default("1")
        .allowed(RETRIES_EXPECTED),
    key("retry_interval", TEXT, "How long to wait before trying failed cases again (Datadog Synthetics' retry interval): an endpoint restarting under a deploy gets a moment.")
        .default("300ms")
        .allowed(RETRY_INTERVAL_EXPECTED),
    key("timeout", TEXT, "Each case's timeout, unless it sets its own.")
        .default("20s")
        .allowed(MILLIS),
    key("level", TEXT, "The level a failing case opens at, unless it sets its own.")
        .default("L2")
        .allowed(LEVELS),
    key("endpoints", Shape::List(&Shape::Map(ENDPOINT)), "The model endpoints the cases call."),
    key("cases", Shape::List(&Shape::Map(CASE)), "The test cases; each failing case is an alert `probe:<id>`."),
];

const ENDPOINT: &[Key] = &[
    key("name", TEXT, "The name cases use.").required().allowed(ID),
    key("kind", TEXT, "openai: chat completions at {url}/v1/chat/completions; http: the case's JSON body is posted to url.")
        .required()
        .allowed(EndpointKind::NAMES),
    key("url", TEXT, "The endpoint's base URL (openai) or full URL (http).")
        .required()
        .allowed("an http(s) URL"),
    key("secret", TEXT, "The entry of the modelwatch secret holding its bearer token; no token is ever written in this file.")
        .allowed(SECRET_ENTRY),
];

const CASE: &[Key] = &[
    key(
        "id",
        TEXT,
        "Unique id: the alert, the metrics' `case` tag, `modelwatch probe --case`.",
    )
    .required()
    .allowed(ID),
    key("model", TEXT, "The model it checks (alerts route by it).")
        .required()
        .allowed("a name under `models:`"),
    key(
        "version",
        TEXT,
        "The model version it checks (tag model_version).",
    )
    .allowed("a version the model lists"),
    key("environment", TEXT, "The environment it checks (tag env)."),
    key("endpoint", TEXT, "The endpoint it calls.")
        .required()
        .allowed("a name under probes.endpoints"),
    key("prompt", TEXT, "The user message (openai endpoints)."),
    key(
        "system",
        TEXT,
        "A system message before the prompt (openai endpoints).",
    ),
    key(
        "api_model",
        TEXT,
        "The `model` sent in the request (openai endpoints).",
    )
    .default("the case's model"),
    key(
        "body",
        Shape::Json,
        "The JSON body posted (http endpoints).",
    ),
    key(
        "answer",
        TEXT,
        "Where the answer is in an http endpoint's JSON.",
    )
    .default("the whole body")
    .allowed("a JSON pointer such as /output/text"),
    key(
        "timeout",
        TEXT,
        "No answer within this long fails the case.",
    )
    .default("probes.timeout")
    .allowed(MILLIS),
    key("level", TEXT, "The level its failure opens at.")
        .default("probes.level")
        .allowed(LEVELS),
    key(
        "expect",
        Shape::Map(EXPECT),
        "The checks its answer must pass.",
    )
    .default("status 200"),
];

const EXPECT: &[Key] = &[
    key("status", COUNT, "The HTTP status.").default("200").allowed("100 to 599"),
    key("latency", TEXT, "The longest time to answer.").allowed(MILLIS),
    key("contains", TEXTS, "Text the answer must contain (each)."),
    key("not_contains", TEXTS, "Text the answer must not contain (each)."),
    key("matches", TEXT, "A regular expression the answer must match.")
        .allowed("regex-lite syntax (no Unicode classes)"),
    key("equals", TEXT, "The whole answer, surrounding whitespace aside."),
    key("json_schema", Shape::Json, "A JSON Schema the answer must be valid against: an http endpoint's value at `answer` (a string holding a JSON object or array read as that JSON), an OpenAI-compatible answer's content parsed as JSON.")
        .allowed("type, properties, required, additionalProperties, items, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems, pattern"),
    key("tokens", Shape::Map(TOKENS), "Most tokens the endpoint may report using (`usage`)."),
    key("finish_reasons", TEXTS, "Every `finish_reason` the answer may end with (openai endpoints), in place of the default: [stop, length] for a server whose default token limit is shorter than its answers. An answer that gives none passes.")
        .default("any reason but length (cut off at the token limit, as a looping model is) and content_filter")
        .allowed("stop, length, content_filter or a server's own"),
    key("judge", Shape::Map(JUDGE), "A judge model scores the answer from 0 to 1."),
];

const TOKENS: &[Key] = &[
    key("prompt", COUNT, "Prompt tokens at most."),
    key("completion", COUNT, "Completion tokens at most."),
    key("total", COUNT, "Total tokens at most."),
];

const JUDGE: &[Key] = &[
    key("endpoint", TEXT, "The judge's endpoint.")
        .required()
        .allowed("an openai endpoint under probes.endpoints"),
    key("api_model", TEXT, "The `model` sent to the judge.").default("the endpoint's name"),
    key("criteria", TEXT, "What a good answer does, in words.").required(),
    key("min_score", Shape::Number, "The lowest passing score.")
        .required()
        .allowed("0 to 1"),
];

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

fn is_secret_entry(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A duration in milliseconds (`800ms`) or as any configuration duration (`2s`, `1m`).
pub fn parse_duration_ms(text: &str) -> Option<Duration> {
    let text = text.trim();
    match text.strip_suffix("ms") {
        Some(ms) => ms
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Duration::from_millis),
        None => parse_secs(text).map(Duration::from_secs),
    }
}

/// A wait that may be none: `0ms` (or `0s`) as well as any [`parse_duration_ms`].
fn parse_interval(text: &str) -> Option<Duration> {
    match text.trim() {
        "0" | "0s" | "0ms" => Some(Duration::ZERO),
        text => parse_duration_ms(text),
    }
}

impl Problems {
    fn millis(&mut self, s: &S<String>, what: &str) -> Option<Duration> {
        self.parse(s, what, MILLIS, parse_duration_ms)
    }
}

pub(super) fn probes(p: &mut Problems, raw: RawProbes, models: &BTreeMap<String, Model>) -> Probes {
    let mut out = Probes::default();
    if let Some(b) = &raw.budget
        && let Some(budget) = p.millis(b, "probe budget")
    {
        if budget < Duration::from_secs(1) || budget > MAX_BUDGET {
            p.at(
                b,
                format!(
                    "invalid probe budget {:?}: expected {BUDGET_EXPECTED}",
                    b.value
                ),
            );
        }
        out.budget = budget;
    }
    if let Some(c) = &raw.concurrency {
        if !(1..=256).contains(&c.value) {
            p.at(
                c,
                format!("invalid probe concurrency {}: expected 1 to 256", c.value),
            );
        }
        out.concurrency = c.value.clamp(1, 256) as usize;
    }
    if let Some(r) = &raw.retries {
        if r.value > MAX_RETRIES {
            p.at(
                r,
                format!(
                    "invalid probe retries {}: expected {RETRIES_EXPECTED}",
                    r.value
                ),
            );
        }
        out.retries = r.value.min(MAX_RETRIES);
    }
    if let Some(i) = &raw.retry_interval
        && let Some(interval) = p.parse(
            i,
            "probe retry interval",
            RETRY_INTERVAL_EXPECTED,
            parse_interval,
        )
    {
        if interval > MAX_RETRY_INTERVAL {
            p.at(
                i,
                format!(
                    "invalid probe retry interval {:?}: expected {RETRY_INTERVAL_EXPECTED}",
                    i.value
                ),
            );
        }
        out.retry_interval = interval.min(MAX_RETRY_INTERVAL);
    }
    let timeout = raw
        .timeout
        .as_ref()
        .and_then(|t| p.millis(t, "probe timeout"))
        .unwrap_or(DEFAULT_TIMEOUT.min(out.budget));
    let level = raw
        .level
        .as_ref()
        .and_then(|l| p.parse(l, "level", "L1, L2 or L3", |v| v.parse().ok()))
        .unwrap_or(Level::L2);
    for e in &raw.endpoints {
        if let Some(endpoint) = endpoint(p, e) {
            if out.endpoints.contains_key(&endpoint.name) {
                p.at(
                    &e.name,
                    format!(
                        "endpoint {:?} is declared twice: expected unique endpoint names",
                        endpoint.name
                    ),
                );
            }
            out.endpoints.insert(endpoint.name.clone(), endpoint);
        }
    }
    // Endpoints declared but invalid are reported once, not again by every case naming them.
    let declared: BTreeSet<&str> = raw
        .endpoints
        .iter()
        .map(|e| e.name.value.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    for c in &raw.cases {
        if !seen.insert(c.id.value.clone()) {
            p.at(
                &c.id,
                format!(
                    "probe case {:?} is declared twice: expected unique case ids",
                    c.id.value
                ),
            );
        }
        let cx = CaseContext {
            models,
            endpoints: &out.endpoints,
            declared: &declared,
            timeout,
            budget: out.budget,
            level,
        };
        if let Some(case) = case(p, c, &cx) {
            out.cases.push(case);
        }
    }
    if let Some(at) = raw.cases.first().map(|c| &c.id) {
        let worst = worst_run(&out.cases, out.concurrency);
        if worst > out.budget {
            p.at(
                at,
                format!(
                    "{} probe cases, {} at a time, take up to {} s when every endpoint hangs until its timeout: more than the budget of {} s, so hanging endpoints would leave other cases unrun; expected a higher probes.concurrency, shorter timeouts or a longer budget",
                    out.cases.len(),
                    out.concurrency,
                    worst.as_secs(),
                    out.budget.as_secs()
                ),
            );
        }
    }
    out
}

fn endpoint(p: &mut Problems, e: &RawEndpoint) -> Option<Endpoint> {
    if !is_id(&e.name.value) {
        p.at(
            &e.name,
            format!("invalid endpoint name {:?}: expected {ID}", e.name.value),
        );
    }
    let kind = p.parse(
        &e.kind,
        "endpoint kind",
        EndpointKind::NAMES,
        EndpointKind::parse,
    );
    let url = p.parse(
        &e.url,
        "endpoint URL",
        "an absolute http(s) URL such as https://models.example.com",
        |u| BaseUrl::new(u).ok(),
    );
    if let Some(s) = &e.secret
        && !is_secret_entry(&s.value)
    {
        p.at(
            s,
            format!(
                "invalid secret entry {:?}: expected {SECRET_ENTRY}",
                s.value
            ),
        );
    }
    Some(Endpoint {
        name: e.name.value.clone(),
        kind: kind?,
        url: url?,
        secret: e.secret.as_ref().map(|s| s.value.clone()),
    })
}

struct CaseContext<'a> {
    models: &'a BTreeMap<String, Model>,
    endpoints: &'a BTreeMap<String, Endpoint>,
    declared: &'a BTreeSet<&'a str>,
    timeout: Duration,
    budget: Duration,
    level: Level,
}

fn case(p: &mut Problems, c: &RawCase, cx: &CaseContext<'_>) -> Option<Case> {
    if !is_id(&c.id.value) {
        p.at(
            &c.id,
            format!("invalid probe case id {:?}: expected {ID}", c.id.value),
        );
    }
    let model = cx.models.get(&c.model.value);
    if model.is_none() {
        p.at(
            &c.model,
            format!(
                "unknown model {:?}: expected {}",
                c.model.value,
                one_of(cx.models.keys())
            ),
        );
    }
    if let (Some(v), Some(m)) = (&c.version, model)
        && !m.versions.is_empty()
        && !m.versions.contains(&v.value)
    {
        p.at(
            v,
            format!(
                "unknown version {:?} of model {}: expected {}",
                v.value,
                m.name,
                one_of(m.versions.iter())
            ),
        );
    }
    let endpoint = cx.endpoints.get(&c.endpoint.value);
    if endpoint.is_none() && !cx.declared.contains(c.endpoint.value.as_str()) {
        p.at(
            &c.endpoint,
            format!(
                "unknown endpoint {:?}: expected {}",
                c.endpoint.value,
                one_of(cx.endpoints.keys())
            ),
        );
    }
    let input = endpoint.and_then(|e| input(p, c, e.kind));
    if let Some(a) = &c.answer {
        if !a.value.starts_with('/') {
            p.at(
                a,
                format!(
                    "invalid answer pointer {:?}: expected a JSON pointer such as /output/text",
                    a.value
                ),
            );
        } else if endpoint.is_some_and(|e| e.kind == EndpointKind::OpenAi) {
            p.at(
                a,
                "answer is for http endpoints: an openai answer is choices[0].message.content"
                    .to_owned(),
            );
        }
    }
    let timeout = match &c.timeout {
        Some(t) => p.millis(t, "probe timeout"),
        None => Some(cx.timeout),
    };
    if let (Some(t), Some(raw)) = (timeout, &c.timeout)
        && t > cx.budget
    {
        p.at(raw, format!("probe timeout {:?} is longer than the run's budget ({} s): expected at most the budget", raw.value, cx.budget.as_secs()));
    }
    let level = match &c.level {
        Some(l) => p.parse(l, "level", "L1, L2 or L3", |v| v.parse().ok()),
        None => Some(cx.level),
    };
    let checks = match &c.expect {
        Some(e) => checks(p, e, cx.endpoints),
        None => Some(Checks::default()),
    };
    Some(Case {
        id: c.id.value.clone(),
        model: c.model.value.clone(),
        version: c.version.as_ref().map(|v| v.value.clone()),
        environment: c.environment.as_ref().map(|v| v.value.clone()),
        endpoint: c.endpoint.value.clone(),
        input: input?,
        answer: c.answer.as_ref().map(|a| a.value.clone()),
        timeout: timeout?.min(cx.budget),
        level: level?,
        checks: checks?,
    })
}

fn input(p: &mut Problems, c: &RawCase, kind: EndpointKind) -> Option<Input> {
    match kind {
        EndpointKind::OpenAi => {
            if let Some(b) = &c.body {
                p.at(
                    b,
                    "body is for http endpoints: an openai case sends `prompt`".to_owned(),
                );
            }
            match &c.prompt {
                Some(prompt) if !prompt.value.trim().is_empty() => Some(Input::Prompt {
                    text: prompt.value.clone(),
                    system: c.system.clone(),
                    api_model: c
                        .api_model
                        .as_ref()
                        .map_or_else(|| c.model.value.clone(), |m| m.value.clone()),
                }),
                _ => {
                    p.at(&c.id, format!("probe case {:?} has no prompt: expected prompt: for an openai endpoint", c.id.value));
                    None
                }
            }
        }
        EndpointKind::Http => {
            let finish_reasons = c
                .expect
                .as_ref()
                .is_some_and(|e| e.finish_reasons.is_some());
            for (what, present) in [
                ("prompt", c.prompt.is_some()),
                ("api_model", c.api_model.is_some()),
                ("system", c.system.is_some()),
                ("expect.finish_reasons", finish_reasons),
            ] {
                if present {
                    p.at(&c.id, format!("probe case {:?}: {what} is for openai endpoints: an http case posts `body`", c.id.value));
                }
            }
            match &c.body {
                Some(b) => Some(Input::Body(b.value.clone())),
                None => {
                    p.at(
                        &c.id,
                        format!(
                            "probe case {:?} has no body: expected body: for an http endpoint",
                            c.id.value
                        ),
                    );
                    None
                }
            }
        }
    }
}

fn checks(
    p: &mut Problems,
    e: &RawExpect,
    endpoints: &BTreeMap<String, Endpoint>,
) -> Option<Checks> {
    let mut ok = true;
    let mut out = Checks {
        contains: e.contains.clone(),
        not_contains: e.not_contains.clone(),
        equals: e.equals.clone(),
        finish_reasons: e
            .finish_reasons
            .as_ref()
            .map(|f| f.value.iter().map(|r| r.trim().to_owned()).collect()),
        ..Checks::default()
    };
    if let Some(f) = &e.finish_reasons {
        let problem = if f.value.is_empty() {
            Some("expected one reason or more, such as [stop, length]")
        } else if f.value.iter().any(|r| r.trim().is_empty()) {
            Some("a reason is empty: expected reasons such as stop or length")
        } else {
            None
        };
        if let Some(problem) = problem {
            p.at(
                f,
                format!("invalid finish_reasons {:?}: {problem}", f.value),
            );
            ok = false;
        }
    }
    if let Some(s) = &e.status {
        if (100..=599).contains(&s.value) {
            out.status = s.value as u16;
        } else {
            p.at(
                s,
                format!("invalid status {}: expected 100 to 599", s.value),
            );
            ok = false;
        }
    }
    if let Some(l) = &e.latency {
        out.latency = p.millis(l, "latency limit");
        ok &= out.latency.is_some();
    }
    if let Some(m) = &e.matches {
        match Pattern::new(&m.value) {
            Ok(pattern) => out.matches = Some(pattern),
            Err(why) => {
                p.at(
                    m,
                    format!("invalid regular expression {:?}: {why}", m.value),
                );
                ok = false;
            }
        }
    }
    if let Some(s) = &e.json_schema {
        match JsonSchema::compile(&s.value) {
            Ok(schema) => out.json_schema = Some(schema),
            Err(problems) => {
                for problem in problems {
                    p.at(s, format!("invalid json_schema: {problem}"));
                }
                ok = false;
            }
        }
    }
    if let Some(t) = &e.tokens {
        out.tokens = TokenLimits {
            prompt: t.prompt,
            completion: t.completion,
            total: t.total,
        };
    }
    if let Some(j) = &e.judge {
        match endpoints.get(&j.endpoint.value) {
            Some(endpoint) if endpoint.kind == EndpointKind::OpenAi => {}
            Some(_) => {
                p.at(
                    &j.endpoint,
                    format!(
                        "judge endpoint {:?} is an http endpoint: expected an openai endpoint",
                        j.endpoint.value
                    ),
                );
                ok = false;
            }
            None => {
                p.at(
                    &j.endpoint,
                    format!(
                        "unknown judge endpoint {:?}: expected {}",
                        j.endpoint.value,
                        one_of(endpoints.keys())
                    ),
                );
                ok = false;
            }
        }
        if !(0.0..=1.0).contains(&j.min_score.value) {
            p.at(
                &j.min_score,
                format!("invalid min_score {}: expected 0 to 1", j.min_score.value),
            );
            ok = false;
        }
        out.judge = Some(Judge {
            endpoint: j.endpoint.value.clone(),
            api_model: j
                .api_model
                .clone()
                .unwrap_or_else(|| j.endpoint.value.clone()),
            criteria: j.criteria.clone(),
            min_score: j.min_score.value,
        });
    }
    ok.then_some(out)
}
