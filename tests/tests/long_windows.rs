//! Monitors whose window Datadog cannot return at their cadence: the fake caps a series at
//! 1,500 points and coarsens past it, as Datadog does. The evaluator asks for no more than
//! that (recent points at the cadence, history coarser) and still judges the group right.

use evaluator::Evaluator;
use modelwatch::domain::{AlertKey, Status, Timestamp};
use modelwatch::rules::{Data, Group, Point, evaluate};
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

/// When the tests' runs are.
const AT: Timestamp = Timestamp::from_millis(1_795_730_400_000);

/// The Datadog fake, capping a series at `MAX_POINTS` and coarsening past it, as Datadog.
async fn capped_datadog() -> DatadogFake {
    DatadogFake::start(
        DatadogFakeConfig::new("dd-api", "dd-app").max_points(MAX_POINTS),
        0,
    )
    .await
    .unwrap()
}

/// A model's tags: version v1, in prod.
fn tags(model: &'static str) -> [(&'static str, &'static str); 3] {
    [("model", model), ("model_version", "v1"), ("env", "prod")]
}

#[tokio::test]
async fn a_three_week_window_is_read_within_datadogs_point_cap_and_judged_right() {
    let datadog = capped_datadog().await;
    let ev = evaluator("long-windows", &datadog).await;
    let (at, end) = (AT, AT.millis());
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

const BASELINES: &str = r##"
time_zone: UTC
metrics:
  - name: llm.requests.error_rate
models:
  - { name: steady, versions: [v1], team: ml, slack_channel: "#ml" }
  - { name: nudged, versions: [v1], team: ml, slack_channel: "#ml" }
  - { name: failing, versions: [v1], team: ml, slack_channel: "#ml" }
  - { name: swinging, versions: [v1], team: ml, slack_channel: "#ml" }
  - { name: swinging-failing, versions: [v1], team: ml, slack_channel: "#ml" }
routing:
  default_slack_channel: "#modelwatch"
  L1: { slack: ["#ml-l1"], escalate_after: 30m }
  L2: { escalate_after: 15m }
  L3: {}
monitors:
  # The example configuration's weekly baseline: four weeks of history.
  - id: errors-weekly
    metric: llm.requests.error_rate
    window: 10m
    rule:
      baseline: { method: mean, seasonality: weekly, history: 28d, sigmas: 3, direction: above, min_points: 30, min_spread: 0.0001 }
  - id: errors-week
    metric: llm.requests.error_rate
    window: 10m
    rule:
      baseline: { method: mean, history: 7d, sigmas: 3, direction: above, min_spread: 0.0001 }
  - id: errors-week-robust
    metric: llm.requests.error_rate
    window: 10m
    rule:
      baseline: { method: robust, seasonality: daily, history: 7d, sigmas: 3, direction: above, min_spread: 0.0001 }
"##;

/// An error rate minute by minute over 29 days before `end`: 2 %, a daily swing of
/// `swing` either way, and noise of spread 0.1 %; its last `shifted` minutes raised by
/// `shift`.
fn error_rate(end: i64, seed: u64, swing: f64, (shifted, shift): (usize, f64)) -> Vec<(i64, f64)> {
    let mut points: Vec<(i64, f64)> = tokens(end, 29, seed)
        .into_iter()
        // `tokens`' noise without its daily swing: (value - 1000 - swing) / 20 is the noise.
        .map(|(at, v)| {
            let phase = (at.rem_euclid(DAY_MS)) as f64 / DAY_MS as f64 * std::f64::consts::TAU;
            let noise = 0.001 / 0.58 * (v - 1000.0 - 300.0 * phase.sin()) / 20.0;
            (at, 0.02 + swing * phase.sin() + noise)
        })
        .collect();
    for point in points.iter_mut().rev().take(shifted) {
        point.1 += shift;
    }
    points
}

/// A baseline over weeks reads its history from Datadog rolled up (a point per 27
/// minutes for four weeks): those points count as the minutes they average, and the
/// spread is taken at a minute's scale. So the weekly baseline has its 30 points and
/// pages on a failing model, and a shift a minute-by-minute history holds within 3σ
/// (what a backtest of the same series says) pages nobody.
#[tokio::test]
async fn baselines_over_weeks_judge_rolled_up_history_as_the_minutes_it_averages() {
    let datadog = capped_datadog().await;
    let ev = modelwatch_tests::evaluator_on("long-baselines", BASELINES, &datadog.url()).await;
    let (at, end) = (AT, AT.millis());
    let series = [
        ("steady", error_rate(end, 7, 0.0, (0, 0.0))),
        // 2σ of a minute over the whole window: within 3σ.
        ("nudged", error_rate(end, 11, 0.0, (12, 0.002))),
        // 5 % more errors for the last six minutes.
        ("failing", error_rate(end, 13, 0.0, (6, 0.05))),
        // A daily swing three times the noise, which the averages keep whole (so the
        // spread is not theirs scaled up as if it were noise), and a burst about 6σ of a
        // minute over the window.
        ("swinging", error_rate(end, 17, 0.003, (0, 0.0))),
        ("swinging-failing", error_rate(end, 19, 0.003, (6, 0.026))),
    ];
    for (model, points) in &series {
        datadog.add("llm.requests.error_rate", &tags(model), points.clone());
    }
    ev.run(at).await.unwrap();

    // What the same monitors say reading every minute, as a backtest does.
    let mut wrong = Vec::new();
    let config = modelwatch::config::Config::parse("baselines", BASELINES).unwrap();
    for (model, points) in &series {
        let points: Vec<Point> = points
            .iter()
            .map(|(t, v)| Point::new(Timestamp::from_millis(*t), *v))
            .collect();
        let group = Group {
            model: Some((*model).into()),
            version: Some("v1".into()),
            environment: Some("prod".into()),
        };
        for monitor in ["errors-weekly", "errors-week", "errors-week-robust"] {
            let m = config.monitor(monitor).unwrap();
            let minutes = evaluate(m, &group, Data::new(&points), at);
            let key = format!("eval:{monitor}|model:{model},model_version:v1,env:prod");
            let alert = ev.store.load(&AlertKey::new(&key).unwrap()).await.unwrap();
            let fires = model.ends_with("failing");
            if minutes.state.is_firing() != fires {
                wrong.push(format!(
                    "{monitor} {model} minute by minute: {}",
                    minutes.reason
                ));
            }
            if alert.as_ref().map(|a| a.status) != fires.then_some(Status::Open) {
                let reason = alert.map(|a| a.context.reason);
                wrong.push(format!("{monitor} {model} from Datadog: {reason:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
