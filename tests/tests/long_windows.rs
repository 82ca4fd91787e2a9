//! Monitors whose window Datadog cannot return at their cadence: the fake caps a series at
//! 1,500 points and coarsens past it, as Datadog does. The evaluator asks for no more than
//! that (recent points at the cadence, history coarser) and still judges the group right.

use evaluator::Evaluator;
use modelwatch::domain::{AlertKey, Status, Timestamp};
use modelwatch_tests::fakes::{DatadogFake, DatadogFakeConfig};

const CONFIG: &str = r##"
time_zone: UTC
metrics:
  - name: llm.tokens.total
models:
  - { name: steady, versions: [v1], team: ml, slack_channel: "#ml" }
  - { name: spiking, versions: [v1], team: ml, slack_channel: "#ml" }
routing:
  default_slack_channel: "#modelwatch"
  L1: { slack: ["#ml-l1"], escalate_after: 30m }
  L2: { escalate_after: 15m }
  L3: {}
monitors:
  - id: tokens-anomaly
    metric: llm.tokens.total
    template: anomaly
  - id: tokens-spike
    metric: llm.tokens.total
    template: token_spike
"##;

const DAY_MS: i64 = 86_400_000;
const MAX_POINTS: i64 = 1500;

async fn evaluator(test: &str, datadog: &DatadogFake) -> Evaluator {
    modelwatch_tests::evaluator_on(test, CONFIG, &datadog.url()).await
}

/// Tokens per minute over `days` before `end`: a daily cycle and noise (a fixed
/// pseudo-random sequence, so the test is the same every run).
fn tokens(end: i64, days: i64, seed: u64) -> Vec<(i64, f64)> {
    let mut state = seed;
    let mut noise = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The sum of four uniforms: roughly normal, σ about 0.58.
        (0..4)
            .map(|i| ((state >> (16 * i)) & 0xffff) as f64 / 65_535.0 - 0.5)
            .sum::<f64>()
    };
    let start = end - days * DAY_MS;
    (0..days * 1440)
        .map(|i| {
            let at = start + i * 60_000;
            let phase = (at.rem_euclid(DAY_MS)) as f64 / DAY_MS as f64 * std::f64::consts::TAU;
            (at, 1000.0 + 300.0 * phase.sin() + 20.0 * noise())
        })
        .collect()
}

#[tokio::test]
async fn a_three_week_window_is_read_within_datadogs_point_cap_and_judged_right() {
    let datadog = DatadogFake::start(
        DatadogFakeConfig::new("dd-api", "dd-app").max_points(MAX_POINTS),
        0,
    )
    .await
    .unwrap();
    let ev = evaluator("long-windows", &datadog).await;
    let at = Timestamp::from_secs(1_795_730_400);
    let end = at.millis();
    let tags = |model: &'static str| [("model", model), ("model_version", "v1"), ("env", "prod")];
    datadog.add("llm.tokens.total", &tags("steady"), tokens(end, 23, 7));
    // The same, until a burst over the last three minutes (within the run's catch-up, so
    // this one run sees it begin): four times the day's swing.
    let mut spiking = tokens(end, 23, 11);
    for point in spiking.iter_mut().rev().take(3) {
        point.1 += 1200.0;
    }
    datadog.add("llm.tokens.total", &tags("spiking"), spiking);

    let report = ev.run(at).await.unwrap();
    assert_eq!(report.groups, 4, "two models, two monitors: {report:?}");

    // No request asked for more points than Datadog returns, so none was coarsened.
    let requests = datadog.received();
    assert!(!requests.is_empty());
    for r in &requests {
        let a = &r.body["data"]["attributes"];
        let (from, to, interval) = (
            a["from"].as_i64().unwrap(),
            a["to"].as_i64().unwrap(),
            a["interval"].as_i64().unwrap(),
        );
        assert!(
            (to - from) / interval <= MAX_POINTS,
            "{} points asked for: {a}",
            (to - from) / interval
        );
    }
    // The anomaly monitor's three weeks came as history plus a recent part at a minute.
    let intervals: Vec<i64> = requests
        .iter()
        .map(|r| r.body["data"]["attributes"]["interval"].as_i64().unwrap())
        .collect();
    assert!(intervals.contains(&60_000), "{intervals:?}");
    assert!(intervals.iter().any(|i| *i >= 20 * 60_000), "{intervals:?}");

    let alert = |monitor: &str, model: &str| {
        let key = format!("eval:{monitor}|model:{model},model_version:v1,env:prod");
        let store = ev.store.clone();
        async move { store.load(&AlertKey::new(&key).unwrap()).await.unwrap() }
    };
    for monitor in ["tokens-anomaly", "tokens-spike"] {
        assert!(
            alert(monitor, "steady").await.is_none(),
            "{monitor}: the steady model pages nobody"
        );
        let spiked = alert(monitor, "spiking").await;
        assert_eq!(
            spiked.as_ref().map(|a| a.status),
            Some(Status::Open),
            "{monitor}: the burst opens an alert; {:?}",
            spiked.map(|a| a.context.reason)
        );
    }
}
