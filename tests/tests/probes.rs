//! The probes end to end: cases from a configuration run against the fake model endpoint
//! as it degrades (slow, wrong, invalid JSON, 5xx), their metrics into the Datadog fake's
//! intake (checked against Datadog's contract), and the prober's signals through the
//! lifecycle into the store on the emulator (a failing case opens, recovery resolves).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use modelwatch::config::Config;
use modelwatch::domain::{Status, Timestamp};
use modelwatch::http::BaseUrl;
use modelwatch::probe::{CaseOutcome, CheckName, Runner};
use modelwatch::runtime::FromSecrets;
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;
use modelwatch::store::Store;
use modelwatch_tests::fakes::{
    DatadogFake, DatadogFakeConfig, Fault, ModelFake, ModelFakeConfig, ModelMode,
};
use modelwatch_tests::fresh_store;

const TOKEN: &str = "sk-probe-test-token-0123456789";

/// Every kind of check on the fake, through its two APIs.
fn config(model_url: &str) -> String {
    format!(
        r##"
models:
  - name: chat-large
    versions: [v7]
    team: chat
    slack_channel: "#chat"
    runbook: https://runbooks.example.com/{{model}}
routing:
  default_slack_channel: "#modelwatch"
probes:
  budget: 20s
  timeout: 2s
  endpoints:
    - {{ name: chat, kind: openai, url: "{model_url}", secret: chat_token }}
    - {{ name: classifier, kind: http, url: "{model_url}/predict", secret: chat_token }}
  cases:
    - id: capital
      model: chat-large
      version: v7
      environment: prod
      endpoint: chat
      prompt: What is the capital of France?
      expect:
        latency: 1500ms
        contains: [Paris]
        not_contains: [London]
        matches: "^The capital"
        tokens: {{ completion: 20, total: 60 }}
        judge: {{ endpoint: chat, criteria: names Paris, min_score: 0.5 }}
    - id: city-json
      model: chat-large
      endpoint: chat
      prompt: Give the capital of France as JSON.
      expect:
        json_schema:
          type: object
          required: [city]
          properties:
            city: {{ const: Paris }}
    - id: sentiment
      model: chat-large
      endpoint: classifier
      body: {{ inputs: "sentiment of: I love it" }}
      answer: /output/text
      expect:
        equals: positive
        json_schema: {{ type: string, enum: [positive, negative] }}
"##
    )
}

fn secrets(token: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert("chat_token", Secret::new(token));
    s.insert("datadog_api_key", Secret::new("dd-api"));
    s
}

/// Datadog's intake for the prober's points.
async fn datadog() -> DatadogFake {
    DatadogFake::start(DatadogFakeConfig::new("dd-api", "dd-app"), 0)
        .await
        .unwrap()
}

async fn model() -> ModelFake {
    ModelFake::start(ModelFakeConfig::new(TOKEN), 0)
        .await
        .unwrap()
}

async fn run_all(config: &Config, token: &str) -> BTreeMap<String, CaseOutcome> {
    let runner = Runner::new(&config.probes, &secrets(token)).unwrap();
    let cases: Vec<_> = config.probes.cases.iter().collect();
    runner
        .run(&config.probes, &cases)
        .await
        .into_iter()
        .map(|o| (o.case.clone(), o))
        .collect()
}

/// `Runner::run_again` over every case of `config`, by case.
async fn run_again_all(config: &Config) -> BTreeMap<String, CaseOutcome> {
    let runner = Runner::new(&config.probes, &secrets(TOKEN)).unwrap();
    let cases: Vec<_> = config.probes.cases.iter().collect();
    runner
        .run_again(&config.probes, &cases)
        .await
        .into_iter()
        .map(|o| (o.case.clone(), o))
        .collect()
}

/// A model endpoint that never answers within a probe's timeout.
async fn stuck_model() -> ModelFake {
    let stuck = model().await;
    stuck.set_mode(ModelMode::Slow { delay_ms: 30_000 });
    stuck
}

/// One model, chat-large, and `probes` (the section's lines, indented as under it).
fn one_model_probes(probes: &str) -> Config {
    let yaml = format!(
        "models:\n  - {{ name: chat-large, team: chat, slack_channel: \"#chat\" }}\nprobes:\n{probes}"
    );
    Config::parse("t.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn failed(o: &CaseOutcome) -> Vec<CheckName> {
    let mut names: Vec<CheckName> = o.failures().map(|v| v.check).collect();
    names.dedup();
    names
}

#[tokio::test]
async fn a_healthy_model_passes_every_check() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap_or_else(|e| panic!("{e}"));
    let out = run_all(&config, TOKEN).await;
    for o in out.values() {
        assert!(o.passed(), "{o:#?}");
    }
    assert_eq!(out["capital"].judge_score, Some(0.9));
    assert!(out["capital"].usage.unwrap().completion.is_some());
    // The token went as a bearer token, to both APIs.
    let paths: Vec<String> = fake.received().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths.contains(&"/predict".to_owned())
            && paths.contains(&"/v1/chat/completions".to_owned())
    );
}

#[tokio::test]
async fn wrong_answers_fail_the_content_checks_and_the_judge() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    fake.set_mode(ModelMode::Wrong);
    let out = run_all(&config, TOKEN).await;
    assert_eq!(
        failed(&out["capital"]),
        [
            CheckName::Contains,
            CheckName::NotContains,
            CheckName::Matches,
            CheckName::Judge
        ]
    );
    assert_eq!(failed(&out["city-json"]), [CheckName::JsonSchema]);
    // A label outside the schema's enum: a string all the same, read as one.
    assert_eq!(
        failed(&out["sentiment"]),
        [CheckName::Equals, CheckName::JsonSchema]
    );
    assert_eq!(
        out["capital"].answer.as_deref(),
        Some("I am not sure. Perhaps London?")
    );
}

/// A model stuck repeating its answer until the server's token limit: the answer holds
/// the expected text, and the cut-off still fails the case.
#[tokio::test]
async fn an_answer_cut_off_at_the_token_limit_fails_though_it_holds_the_text() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    fake.set_mode(ModelMode::Looping);
    let out = run_all(&config, TOKEN).await;
    let capital = &out["capital"];
    assert_eq!(
        failed(capital),
        [CheckName::Finished, CheckName::Tokens],
        "{capital:#?}"
    );
    let cut = capital
        .verdicts
        .iter()
        .find(|v| v.check == CheckName::Finished)
        .unwrap();
    assert!(cut.detail.contains("finish_reason \"length\""), "{cut:?}");
    assert_eq!(
        failed(&out["city-json"]),
        [CheckName::Finished, CheckName::JsonSchema]
    );
    assert!(
        failed(&out["sentiment"]).is_empty(),
        "an HTTP endpoint says no finish reason"
    );

    fake.set_mode(ModelMode::Healthy);
    let out = run_all(&config, TOKEN).await;
    assert!(
        out["capital"]
            .verdicts
            .iter()
            .any(|v| v.check == CheckName::Finished && v.passed),
        "a finished answer passes: {:#?}",
        out["capital"]
    );
}

#[tokio::test]
async fn invalid_json_fails_the_answer_check_and_a_5xx_the_status() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    fake.set_mode(ModelMode::InvalidJson);
    let out = run_all(&config, TOKEN).await;
    for o in out.values() {
        assert_eq!(failed(o), [CheckName::Answer], "{o:#?}");
    }
    fake.set_mode(ModelMode::ServerError { status: 503 });
    let out = run_all(&config, TOKEN).await;
    for o in out.values() {
        assert_eq!(failed(o), [CheckName::Status], "{o:#?}");
        assert_eq!(o.status, Some(503));
    }
}

#[tokio::test]
async fn a_slow_model_fails_the_latency_limit_then_the_timeout() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    fake.set_mode(ModelMode::Slow { delay_ms: 1_600 });
    let out = run_all(&config, TOKEN).await;
    // The judge's request is slow too: it has what is left of the case's 2 s.
    assert!(
        failed(&out["capital"]).contains(&CheckName::Latency),
        "{:#?}",
        out["capital"]
    );
    fake.set_mode(ModelMode::Slow { delay_ms: 3_000 });
    let out = run_all(&config, TOKEN).await;
    let capital = &out["capital"];
    assert_eq!(failed(capital), [CheckName::Request]);
    assert_eq!(capital.verdicts[0].detail, "no answer within 2000 ms");
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_never_shows_in_the_outcome() {
    let fake = model().await;
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    let out = run_all(&config, "sk-not-the-right-one-9999").await;
    for o in out.values() {
        assert_eq!(failed(o), [CheckName::Status]);
        assert_eq!(o.status, Some(401));
        let shown = serde_json::to_string(o).unwrap();
        assert!(!shown.contains("sk-not-the-right-one-9999"), "{shown}");
    }
}

#[tokio::test]
async fn a_slow_endpoint_holds_up_only_its_own_cases() {
    let healthy = model().await;
    let stuck = model().await;
    stuck.set_mode(ModelMode::Slow { delay_ms: 30_000 });
    let mut yaml = format!(
        r##"
models:
  - {{ name: chat-large, team: chat, slack_channel: "#chat" }}
probes:
  budget: 10s
  timeout: 1s
  concurrency: 16
  endpoints:
    - {{ name: healthy, kind: openai, url: "{}", secret: chat_token }}
    - {{ name: stuck, kind: openai, url: "{}", secret: chat_token }}
  cases:
"##,
        healthy.url(),
        stuck.url()
    );
    for i in 0..50 {
        let endpoint = if i % 10 == 0 { "stuck" } else { "healthy" };
        yaml.push_str(&format!(
            "    - {{ id: c{i}, model: chat-large, endpoint: {endpoint}, prompt: capital of France, expect: {{ contains: [Paris] }} }}\n"
        ));
    }
    let config = Config::parse("t.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let out = run_all(&config, TOKEN).await;
    // Five stuck cases, each given up after its 1 s timeout, in parallel with the rest.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let (stuck_cases, others): (Vec<_>, Vec<_>) = out.values().partition(|o| o.endpoint == "stuck");
    assert_eq!(stuck_cases.len(), 5);
    assert!(
        stuck_cases
            .iter()
            .all(|o| failed(o) == [CheckName::Request])
    );
    assert!(others.iter().all(|o| o.passed()));
}

async fn prober(test: &str, fake: &ModelFake, datadog: &DatadogFake) -> (prober::Prober, Store) {
    let config = Config::parse("t.yaml", &config(&fake.url())).unwrap();
    prober_with(test, config, datadog).await
}

async fn prober_with(test: &str, config: Config, datadog: &DatadogFake) -> (prober::Prober, Store) {
    let store = fresh_store(test).await;
    let built = prober::Setup {
        store: store.clone(),
        config: Arc::new(config),
        settings: prober::Settings {
            datadog: BaseUrl::new(&datadog.url()).unwrap(),
        },
    }
    .build(&secrets(TOKEN))
    .unwrap();
    (built, store)
}

#[tokio::test]
async fn results_reach_datadogs_intake_tagged_by_model_version_environment_and_case() {
    let fake = model().await;
    let datadog = datadog().await;
    let (prober, _) = prober("probe-metrics", &fake, &datadog).await;
    let at = Timestamp::from_secs(1_795_730_400);
    let report = prober.run(at).await.unwrap();
    assert_eq!((report.cases, report.passed, report.batches), (3, 3, 1));
    assert_eq!(report.metrics_error, None);
    let pass = datadog.series_of("modelwatch.probe.pass");
    let capital = pass.iter().find(|s| s.tags["case"] == "capital").unwrap();
    assert_eq!(capital.tags["model"], "chat-large");
    assert_eq!(capital.tags["model_version"], "v7");
    assert_eq!(capital.tags["env"], "prod");
    assert_eq!(capital.points, [(at.millis(), 1.0)]);
    assert_eq!(datadog.series_of("modelwatch.probe.latency_ms").len(), 3);
    assert_eq!(datadog.series_of("modelwatch.probe.judge_score").len(), 1);
    assert!(datadog.contract_violations().is_empty());
}

#[tokio::test]
async fn a_failing_case_opens_its_alert_with_the_answer_and_recovery_resolves_it() {
    let fake = model().await;
    let datadog = datadog().await;
    let (prober, store) = prober("probe-signals", &fake, &datadog).await;
    let key = modelwatch::signals::probe::alert_key("capital").unwrap();
    let t0 = Timestamp::from_secs(1_795_730_400);

    let report = prober.run(t0).await.unwrap();
    assert_eq!(report.signals, 0, "passing cases send nothing");
    assert!(store.load(&key).await.unwrap().is_none());

    fake.set_mode(ModelMode::Wrong);
    let report = prober.run(t0.plus_secs(60)).await.unwrap();
    assert_eq!((report.failed, report.signals, report.written), (3, 3, 3));
    assert_eq!(
        report.retried, 3,
        "each failure was tried again before it counted"
    );
    let alert = store.load(&key).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
    let reason = alert.context.reason.clone().unwrap();
    assert!(
        reason.starts_with("contains failed: does not contain \"Paris\""),
        "{reason}"
    );
    assert!(
        reason.contains("Request (chat): What is the capital of France?"),
        "{reason}"
    );
    assert!(
        reason.contains("Answer: I am not sure. Perhaps London?"),
        "{reason}"
    );
    assert!(alert.context.tags.contains(&"check:contains".to_owned()));
    assert!(!serde_json::to_string(&alert).unwrap().contains(TOKEN));

    // Still failing: nothing more to say, and no retry while the alerts are open.
    let report = prober.run(t0.plus_secs(120)).await.unwrap();
    assert_eq!((report.failed, report.signals, report.retried), (3, 0, 0));

    fake.set_mode(ModelMode::Healthy);
    let report = prober.run(t0.plus_secs(180)).await.unwrap();
    assert_eq!((report.passed, report.signals), (3, 3));
    let alert = store.load(&key).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    // A retried run of the same minute: the alerts fire no more, so nothing is sent.
    let again = prober.run(t0.plus_secs(180)).await.unwrap();
    assert_eq!(again.signals, 0);
}

/// One request failing (a 502 from a deploy, say) is tried again in the same run, which
/// passes: no alert; with `retries: 0` the same blip opens one.
#[tokio::test]
async fn a_blip_that_passes_when_tried_again_opens_nothing() {
    let fake = model().await;
    let datadog = datadog().await;
    let t0 = Timestamp::from_secs(1_795_730_400);
    let (prober, store) = prober("probe-blip", &fake, &datadog).await;
    fake.faults().fail_next(1, 502);
    let report = prober.run(t0).await.unwrap();
    assert_eq!(
        (report.passed, report.failed, report.retried, report.signals),
        (3, 0, 1, 0)
    );
    for case in ["capital", "city-json", "sentiment"] {
        let key = modelwatch::signals::probe::alert_key(case).unwrap();
        assert!(store.load(&key).await.unwrap().is_none(), "{case}");
    }
    let received = fake.received();
    let failed: Vec<_> = received.iter().filter(|r| r.status == 502).collect();
    assert_eq!(failed.len(), 1, "the blip was one request");
    let retry = received
        .iter()
        .find(|r| r.status == 200 && r.body == failed[0].body && r.at_ms > failed[0].at_ms)
        .expect("the failed case was tried again");
    assert!(
        retry.at_ms - failed[0].at_ms >= 300,
        "tried again after the retry interval (300 ms by default): {} ms",
        retry.at_ms - failed[0].at_ms
    );
    let retried = datadog.series_of("modelwatch.probe.retried");
    assert_eq!(retried.len(), 1, "the blip shows in Datadog: {retried:?}");
    assert!(
        retried[0].tags.contains_key("check"),
        "{:?}",
        retried[0].tags
    );
    assert_eq!(retried[0].tags["retry_result"], "passed");
    assert_eq!(retried[0].points, [(t0.millis(), 1.0)]);

    let text = config(&fake.url()).replace("probes:\n", "probes:\n  retries: 0\n");
    let config = Config::parse("t.yaml", &text).unwrap();
    let (prober, _) = prober_with("probe-blip-no-retry", config, &datadog).await;
    fake.faults().fail_next(1, 502);
    let report = prober.run(t0).await.unwrap();
    assert_eq!(
        (report.passed, report.failed, report.retried, report.signals),
        (2, 1, 0, 1)
    );
}

/// A hang is tried again only with its whole timeout left in the budget, so the run stays
/// within it; without that time the first try's failure stands and pages.
#[tokio::test]
async fn a_hang_is_tried_again_only_with_its_whole_timeout_left() {
    let datadog = datadog().await;
    // Two waits of 1.5 s and the retry interval between them fit in 5 s; in 3.4 s only
    // the waits do (with the 250 ms margin the runner keeps), and a retry cut short would
    // have been sent all the same.
    for (budget, tries) in [(5_000, 2), (3_400, 1)] {
        // The model takes every request and never answers in time; the fake keeps each
        // held request as it arrives, so the tries are counted, not timed.
        let hung = model().await;
        hung.faults()
            .push(Fault::HoldAnswer { delay_ms: 30_000 }, 10);
        let config = one_model_probes(&format!(
            r##"  budget: {budget}ms
  endpoints:
    - {{ name: hung, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: hung, model: chat-large, endpoint: hung, prompt: capital of France, timeout: 1500ms }}
"##,
            hung.url()
        ));
        let test = format!("probe-hang-{budget}");
        let (prober, store) = prober_with(&test, config, &datadog).await;
        let started = std::time::Instant::now();
        let report = prober
            .run(Timestamp::from_secs(1_795_730_400))
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(
            hung.faults().held_requests().len(),
            tries,
            "budget {budget} ms"
        );
        assert_eq!(
            (
                report.failed,
                report.skipped,
                report.retried,
                report.signals
            ),
            (1, 0, tries as u32 - 1, 1),
            "budget {budget} ms"
        );
        assert!(
            took < Duration::from_millis(budget + 1_000),
            "budget {budget} ms: the run took {took:?}"
        );
        let key = modelwatch::signals::probe::alert_key("hung").unwrap();
        let alert = store.load(&key).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Open);
        let reason = alert.context.reason.unwrap_or_default();
        assert!(
            reason.contains("no answer within 1500 ms"),
            "a whole wait ran out: {reason}"
        );
    }
}

/// Cases whose alert is already open are not retried, and take no room from those that
/// are: with one case at a time and two open-alert failures before it, a blip still gets
/// its retry.
#[tokio::test]
async fn open_alerts_take_no_room_from_a_blips_retry() {
    let fake = model().await;
    let datadog = datadog().await;
    let config = one_model_probes(&format!(
        r##"  budget: 3s
  timeout: 1s
  concurrency: 1
  endpoints:
    - {{ name: chat, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: down-1, model: chat-large, endpoint: chat, prompt: capital of France, expect: {{ contains: [Berlin] }} }}
    - {{ id: down-2, model: chat-large, endpoint: chat, prompt: capital of France, expect: {{ contains: [Berlin] }} }}
    - {{ id: blip, model: chat-large, endpoint: chat, prompt: capital of France, expect: {{ contains: [Paris] }} }}
"##,
        fake.url()
    ));
    let (prober, store) = prober_with("probe-open-no-room", config, &datadog).await;
    let t0 = Timestamp::from_secs(1_795_730_400);
    let first = prober.run(t0).await.unwrap();
    assert_eq!((first.failed, first.signals), (2, 2), "{first:?}");
    // The two failing cases' requests go through; the blip's is refused once.
    fake.faults().push(Fault::Slow { delay_ms: 0 }, 2);
    fake.faults().fail_next(1, 502);
    let second = prober.run(t0.plus_secs(60)).await.unwrap();
    assert_eq!(
        (second.passed, second.failed, second.retried, second.signals),
        (1, 2, 1, 0),
        "{second:?}"
    );
    let blip = modelwatch::signals::probe::alert_key("blip").unwrap();
    assert!(store.load(&blip).await.unwrap().is_none());
}

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A model that echoes its token back, a wrong token, failures and recoveries: no
/// endpoint token or Datadog key in any log line (debug level), stored alert or metric.
#[tokio::test]
async fn no_token_reaches_a_log_line_an_alert_or_a_metric() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let echoed = format!("Sure, my key is {TOKEN}.");
    let fake = ModelFake::start(
        ModelFakeConfig::new(TOKEN).answer("capital of France", &echoed),
        0,
    )
    .await
    .unwrap();
    let datadog = datadog().await;
    let (prober, store) = prober("probe-secrets", &fake, &datadog).await;
    let t0 = Timestamp::from_secs(1_795_730_400);
    prober.run(t0).await.unwrap();
    fake.set_mode(ModelMode::ServerError { status: 500 });
    prober.run(t0.plus_secs(60)).await.unwrap();
    fake.set_mode(ModelMode::Healthy);
    prober.run(t0.plus_secs(120)).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("probe case"), "the runs were logged: {logs}");
    let alerts = serde_json::to_string(&store.all_alerts().await.unwrap()).unwrap();
    assert!(
        alerts.contains("[redacted]"),
        "the echoed token was replaced: {alerts}"
    );
    let metrics = serde_json::to_string(&datadog.received()).unwrap();
    // The judge (here the model itself; it may be another service) is given the answer
    // without the token it echoed; request bodies only (the header carries the token).
    let bodies: Vec<String> = fake.received().iter().map(|r| r.body.to_string()).collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("Sure, my key is [redacted]")),
        "the judge was asked about the redacted answer: {bodies:?}"
    );
    let judged = bodies.join("\n");
    for (what, text) in [
        ("logs", &logs),
        ("alerts", &alerts),
        ("metrics", &metrics),
        ("judge's requests", &judged),
    ] {
        assert!(!text.contains(TOKEN), "the endpoint token in the {what}");
        assert!(
            !text.contains("dd-api\""),
            "the Datadog API key in the {what}"
        );
    }
}

/// Running cases again (a rotated token's rerun) with no time left in the budget leaves
/// their outcomes as they were: a failure stays a failure, not skipped (which pages nobody).
#[tokio::test]
async fn a_rerun_with_no_time_left_keeps_the_outcomes_it_had() {
    let fake = model().await;
    let datadog = datadog().await;
    let (prober, _store) = prober("probe-rerun-no-time", &fake, &datadog).await;
    fake.set_mode(ModelMode::Wrong);
    let mut outcomes = prober.probe().await;
    let before: Vec<Vec<CheckName>> = outcomes.iter().map(failed).collect();
    assert!(before.iter().any(|f| !f.is_empty()), "{before:?}");
    prober
        .probe_again(&mut outcomes, |_| true, std::time::Duration::ZERO)
        .await;
    assert!(outcomes.iter().all(|o| o.ran()));
    assert_eq!(outcomes.iter().map(failed).collect::<Vec<_>>(), before);
}

/// A case removed from the configuration while its alert is open: nothing probes it any
/// more, so the next run resolves its alert, saying why; the other cases' alerts and
/// every other alert stay as they are. Put back while still failing, it opens again.
#[tokio::test]
async fn a_removed_cases_open_alert_is_resolved_by_the_next_run() {
    let fake = model().await;
    let datadog = datadog().await;
    let (mut prober, store) = prober("probe-removed", &fake, &datadog).await;
    let t0 = Timestamp::from_secs(1_795_730_400);
    fake.set_mode(ModelMode::Wrong);
    prober.run(t0).await.unwrap();
    let other = modelwatch_tests::signals::trigger(
        "eval:latency|model:chat-large",
        "e-1",
        t0.secs(),
        modelwatch::domain::Level::L2,
    );
    store.apply_signal(&other, t0).await.unwrap();
    let open = |store: Store| async move {
        let mut keys: Vec<String> = store
            .open_alerts()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.key.to_string())
            .collect();
        keys.sort();
        keys
    };
    let before = open(store.clone()).await;
    assert!(before.contains(&"probe:capital".to_owned()), "{before:?}");

    let fresh_cases = prober.config.probes.cases.clone();
    let mut config = (*prober.config).clone();
    config.probes.cases.retain(|c| c.id != "capital");
    prober.config = Arc::new(config);
    let report = prober.run(t0.plus_secs(60)).await.unwrap();
    assert_eq!(report.removed, 1, "{report:?}");
    let capital = modelwatch::signals::probe::alert_key("capital").unwrap();
    let alert = store.load(&capital).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    let after = open(store.clone()).await;
    let expected: Vec<String> = before
        .into_iter()
        .filter(|k| k != "probe:capital")
        .collect();
    assert_eq!(after, expected);
    assert!(after.contains(&"eval:latency|model:chat-large".to_owned()));

    // The next run has nothing more to resolve.
    assert_eq!(prober.run(t0.plus_secs(120)).await.unwrap().removed, 0);

    // The case back while its endpoint still fails: its resolved alert opens again (a
    // resolved alert keeps the state it was resolved in, which is no reason to stay quiet).
    let mut config = (*prober.config).clone();
    config.probes.cases = fresh_cases;
    prober.config = Arc::new(config);
    prober.run(t0.plus_secs(180)).await.unwrap();
    let alert = store.load(&capital).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 2));
}

/// A case that starts late in the run gets only the budget's time left: when that is less
/// than half its own timeout and runs out first, the case is skipped, not failed, so a
/// prober short of time pages nobody; a case that ran out of its own timeout still fails.
/// (One whose wait the budget cut by its margin alone still fails: below.)
#[tokio::test]
async fn a_case_cut_short_by_the_budget_is_skipped_not_failed() {
    let stuck = stuck_model().await;
    let mut config = one_model_probes(&format!(
        r##"  timeout: 1s
  concurrency: 1
  endpoints:
    - {{ name: stuck, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: first, model: chat-large, endpoint: stuck, prompt: capital of France, expect: {{ contains: [Paris] }} }}
    - {{ id: second, model: chat-large, endpoint: stuck, prompt: capital of France, expect: {{ contains: [Paris] }} }}
"##,
        stuck.url()
    ));
    // Room for the first case's whole second, and a third of the next one's.
    config.probes.budget = Duration::from_millis(1_600);
    let out = run_all(&config, TOKEN).await;
    assert_eq!(failed(&out["first"]), [CheckName::Request]);
    let second = &out["second"];
    assert!(!second.ran(), "{second:?}");
    assert!(failed(second).is_empty(), "{second:?}");
}

/// Budget and timeout alike (validate allows it): every case's wait is cut by the run's
/// margin, and a hung endpoint must still fail its cases, or it would never page.
#[tokio::test]
async fn a_wait_cut_only_by_the_budgets_margin_still_fails() {
    let stuck = stuck_model().await;
    let config = one_model_probes(&format!(
        r##"  budget: 1s
  timeout: 1s
  endpoints:
    - {{ name: stuck, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: hung, model: chat-large, endpoint: stuck, prompt: capital of France, expect: {{ contains: [Paris] }} }}
"##,
        stuck.url()
    ));
    // Run a second time in what is left of a budget (after a token was re-read), a wait
    // cut at all is skipped: the next run tries the case in full.
    let again = run_again_all(&config).await;
    assert!(!again["hung"].ran(), "{:?}", again["hung"]);
    let out = run_all(&config, TOKEN).await;
    assert_eq!(
        failed(&out["hung"]),
        [CheckName::Request],
        "{:?}",
        out["hung"]
    );
}

/// Run again in what is left of a budget, a case whose answer came but whose judge the cut
/// wait left without time is skipped too, not failed: its judge had no fair chance.
#[tokio::test]
async fn a_judge_cut_short_in_a_second_run_is_skipped_not_failed() {
    let healthy = model().await;
    let slow_judge = stuck_model().await;
    let config = one_model_probes(&format!(
        r##"  budget: 1s
  timeout: 1s
  endpoints:
    - {{ name: chat, kind: openai, url: "{}", secret: chat_token }}
    - {{ name: judge, kind: openai, url: "{}", secret: chat_token }}
  cases:
    - {{ id: judged, model: chat-large, endpoint: chat, prompt: What is the capital of France?, expect: {{ contains: [Paris], judge: {{ endpoint: judge, criteria: names Paris, min_score: 0.5 }} }} }}
"##,
        healthy.url(),
        slow_judge.url()
    ));
    let again = run_again_all(&config).await;
    assert!(!again["judged"].ran(), "{:?}", again["judged"]);
    // In a first run the same wait is its own (cut by the margin alone): the judge fails.
    let out = run_all(&config, TOKEN).await;
    assert_eq!(
        failed(&out["judged"]),
        [CheckName::Judge],
        "{:?}",
        out["judged"]
    );
}
