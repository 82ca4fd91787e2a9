//! The evaluator end to end: scenario data in the Datadog fake, monitors from a
//! configuration, signals into the store on the emulator.

use evaluator::Evaluator;
use modelwatch::domain::{AlertKey, Level, Status, Timestamp};
use modelwatch_tests::fakes::{DatadogFake, DatadogFakeConfig};

const CONFIG: &str = r##"
time_zone: UTC
metrics:
  - name: llm.generation.latency
    unit: s
models:
  - name: embed-small
    versions: [v1]
    team: search
    slack_channel: "#search-alerts"
routing:
  default_slack_channel: "#modelwatch"
  L1: { slack: ["#ml-l1"], escalate_after: 30m }
  L2: { escalate_after: 15m }
  L3: {}
monitors:
  - id: embed-latency
    name: Embedding latency
    metric: llm.generation.latency
    window: 3m
    aggregation: max
    rule:
      threshold: { direction: above, warning: 0.25, critical: 0.5, warning_recovery: 0.2, critical_recovery: 0.4 }
    trigger: { breaches: 2, of: 3 }
    recovery: { clean: 3 }
    levels: { warn: L1, alert: L2 }
"##;

const KEY: &str = "eval:embed-latency|model:embed-small,model_version:v1,env:prod";

/// The tags of the one group the scenarios' series have.
const EMBED_TAGS: [(&str, &str); 3] = [
    ("model", "embed-small"),
    ("model_version", "v1"),
    ("env", "prod"),
];

/// The tags of embed-small's `version` in prod.
fn embed_small(version: &str) -> [(&'static str, &str); 3] {
    [
        ("model", "embed-small"),
        ("model_version", version),
        ("env", "prod"),
    ]
}

/// `CONFIG` deciding on each minute alone: a one-minute window, one breach opens, one
/// clean minute recovers.
fn minute_by_minute() -> String {
    let config = CONFIG
        .replace("window: 3m", "window: 1m")
        .replace(
            "trigger: { breaches: 2, of: 3 }",
            "trigger: { breaches: 1, of: 1 }",
        )
        .replace("recovery: { clean: 3 }", "recovery: { clean: 1 }");
    assert!(config.contains("window: 1m") && config.contains("clean: 1 }"));
    config
}

async fn evaluator(test: &str, datadog: &DatadogFake) -> Evaluator {
    modelwatch_tests::evaluator_on(test, CONFIG, &datadog.url()).await
}

/// The Datadog fake answering embed-small v1's latency per minute (`values[i]` at minute i
/// from the returned start), and the evaluator on a fresh table reading it.
async fn embed_latency(test: &str, values: &[f64]) -> (DatadogFake, Evaluator, Timestamp) {
    embed_latency_under(test, CONFIG, values).await
}

/// `embed_latency` with the monitors of `config`.
async fn embed_latency_under(
    test: &str,
    config: &str,
    values: &[f64],
) -> (DatadogFake, Evaluator, Timestamp) {
    let (datadog, ev, start) = datadog_and_evaluator(test, config).await;
    datadog.add(
        "llm.generation.latency",
        &EMBED_TAGS,
        minutes(start, values),
    );
    (datadog, ev, start)
}

/// The Datadog fake without series, the evaluator of `config` on a fresh table reading it,
/// and the scenarios' minute 0.
async fn datadog_and_evaluator(test: &str, config: &str) -> (DatadogFake, Evaluator, Timestamp) {
    let datadog = DatadogFake::start(DatadogFakeConfig::new("dd-api", "dd-app"), 0)
        .await
        .unwrap();
    let ev = modelwatch_tests::evaluator_on(test, config, &datadog.url()).await;
    (datadog, ev, Timestamp::from_secs(1_795_730_400))
}

/// Latency per minute from `start`: `values[i]` at minute i; a NaN is a minute without a
/// point.
fn minutes(start: Timestamp, values: &[f64]) -> Vec<(i64, f64)> {
    (0..)
        .zip(values)
        .filter(|(_, v)| v.is_finite())
        .map(|(i, v)| (start.millis() + i * 60_000, *v))
        .collect()
}

/// Embed-small v1's latency as Datadog answers it from now on: late points arrived, so a
/// minute read while it was still filling reads whole.
fn rewrite_latency(datadog: &DatadogFake, start: Timestamp, values: &[f64]) {
    datadog.replace(
        "llm.generation.latency",
        &EMBED_TAGS,
        minutes(start, values),
    );
}

/// Runs `ev` at `minute` from `start`; `key`'s alert then, as (status, cycle).
async fn status_after(
    ev: &Evaluator,
    start: Timestamp,
    minute: u64,
    key: &AlertKey,
) -> Option<(Status, u32)> {
    ev.run(start.plus_secs(minute * 60)).await.unwrap();
    let alert = ev.store.load(key).await.unwrap();
    alert.map(|a| (a.status, a.cycle))
}

#[tokio::test]
async fn a_breaching_group_opens_an_alert_once_and_recovers() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 5]);
    values.extend([0.1; 15]);
    let (_datadog, ev, start) = embed_latency("eval-open", &values).await;

    // Minute 21: the second breaching minute of three → alert.
    let at = start.plus_secs(21 * 60);
    let report = ev.run(at).await.unwrap();
    assert_eq!(report.groups, 1);
    assert_eq!(report.written, 1, "{report:?}");
    let alert = ev
        .store
        .load(&AlertKey::new(KEY).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, Status::Open);
    assert_eq!(alert.level, Level::L2);
    assert!(
        alert
            .context
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("0.9"),
        "{:?}",
        alert.context.reason
    );
    assert_eq!(
        alert.first_breach_at,
        Some(start.plus_secs(20 * 60)),
        "MTTD starts at the first breaching point"
    );

    // The same minute again (a retried invocation): nothing new.
    let again = ev.run(at).await.unwrap();
    assert_eq!(again.written, 0);

    // After three clean minutes it recovers (the instant at 29), signalled once that
    // minute is complete: Datadog may deliver its points until two minutes after it ends
    // (the run at 32, not 31). A run that looks at a minute later than that (the
    // invocation of that minute was lost) still signals it.
    let report = ev.run(start.plus_secs(31 * 60)).await.unwrap();
    assert_eq!(report.written, 0, "{report:?}");
    let report = ev.run(start.plus_secs(33 * 60)).await.unwrap();
    assert_eq!(report.written, 1, "{report:?}");
    let alert = ev
        .store
        .load(&AlertKey::new(KEY).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, Status::Resolved);
}

#[tokio::test]
async fn a_spell_back_at_an_earlier_state_shows_it_and_its_value() {
    // Warn, alert, then warn again within one spell: the second warn is a change of its
    // own, not the first warn's signal again.
    let mut values = vec![0.1; 20];
    values.extend([0.3; 3]);
    values.extend([0.6; 3]);
    values.extend([0.3; 10]);
    let (_datadog, ev, start) =
        embed_latency_under("eval-back-to-warn", &minute_by_minute(), &values).await;
    let key = AlertKey::new(KEY).unwrap();
    let mut seen = Vec::new();
    for minute in 21..=36 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        if let Some(a) = ev.store.load(&key).await.unwrap()
            && seen.last() != Some(&a.state)
        {
            seen.push(a.state);
        }
    }
    use modelwatch::domain::MonitorState::{Alert, Warn};
    assert_eq!(seen, [Warn, Alert, Warn]);
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
    assert_eq!(alert.context.value, Some(0.3));
    assert_eq!(alert.level, Level::L2, "a level paged stays paged");
}

/// A second monitor read in the same request as `embed-latency`, with a query Datadog
/// cannot run (a percentile it does not have).
const REFUSED_MONITOR: &str = r##"
  - id: embed-latency-p98
    name: Embedding latency p98
    metric: llm.generation.latency
    query: "p98:llm.generation.latency{*} by {model,model_version,env}"
    window: 3m
    aggregation: max
    rule:
      threshold: { direction: above, critical: 0.5 }
    levels: { alert: L2 }
"##;

#[tokio::test]
async fn a_query_datadog_refuses_leaves_only_its_own_monitor_unread() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 5]);
    let config = format!("{CONFIG}{REFUSED_MONITOR}");
    let (datadog, ev, start) = embed_latency_under("eval-refused", &config, &values).await;
    let queries = || {
        datadog
            .received()
            .iter()
            .filter(|r| r.path.contains("/query/timeseries"))
            .count()
    };

    // Minute 21: embed-latency opens its alert; the other monitor is named, not run. The
    // read of both was refused, then each was read alone.
    let report = ev.run(start.plus_secs(21 * 60)).await.unwrap();
    assert_eq!(queries(), 3);
    assert_eq!(report.datadog_requests, 3, "{report:?}");
    assert_eq!(
        report.refused,
        vec!["embed-latency-p98".to_owned()],
        "{report:?}"
    );
    assert_eq!(report.written, 1, "{report:?}");
    let alert = ev
        .store
        .load(&AlertKey::new(KEY).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, Status::Open);
    // Its groups are not taken for absent (no no-data alert), and nothing else opened.
    let later = ev.run(start.plus_secs(40 * 60)).await.unwrap();
    assert_eq!(later.refused, vec!["embed-latency-p98".to_owned()]);
    // Known refused, it is read alone from the start: no refused read of both first.
    assert_eq!(queries(), 3 + 2, "{later:?}");
    assert_eq!(later.datadog_requests, 2, "{later:?}");
    let alerts = ev.store.all_alerts().await.unwrap();
    assert!(
        alerts
            .iter()
            .all(|a| !a.key.as_str().contains("embed-latency-p98")),
        "{:?}",
        alerts.iter().map(|a| a.key.as_str()).collect::<Vec<_>>()
    );
}

/// A second monitor, on another metric, read in the same request as `embed-latency`; it
/// would page for a group without data.
const TOKENS_MONITOR: &str = r##"
  - id: embed-tokens
    name: Embedding tokens
    metric: llm.tokens.total
    window: 3m
    rule:
      threshold: { direction: above, critical: 1000000 }
    no_data: alert
    levels: { alert: L2 }
"##;

/// Datadog answers a request with `errors` beside its data when part of it fails: the
/// failed query's series are missing. Only that monitor is left out of the run; its
/// groups are not taken for groups without data, and once Datadog answers it whole it
/// is evaluated again.
#[tokio::test]
async fn a_query_datadog_answers_only_in_part_leaves_only_its_own_monitor_unread() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 26]);
    let config = format!("{CONFIG}{TOKENS_MONITOR}").replace(
        "    unit: s\n",
        "    unit: s\n  - name: llm.tokens.total\n    unit: tokens\n",
    );
    let (datadog, ev, start) = embed_latency_under("eval-in-part", &config, &values).await;
    datadog.add(
        "llm.tokens.total",
        &EMBED_TAGS,
        minutes(start, &[500.0; 46]),
    );
    ev.run(start.plus_secs(19 * 60)).await.unwrap();

    datadog.answer_in_part("llm.tokens.total", true);
    let report = ev.run(start.plus_secs(21 * 60)).await.unwrap();
    assert_eq!(
        report.refused,
        vec!["embed-tokens".to_owned()],
        "{report:?}"
    );
    let alert = ev
        .store
        .load(&AlertKey::new(KEY).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.status, Status::Open);
    // Long enough for a group unseen since minute 18 to count as absent.
    let later = ev.run(start.plus_secs(44 * 60)).await.unwrap();
    assert_eq!(later.refused, vec!["embed-tokens".to_owned()], "{later:?}");
    let tokens_alerts = || async {
        let all = ev.store.all_alerts().await.unwrap();
        all.into_iter()
            .filter(|a| a.key.as_str().contains("embed-tokens"))
            .count()
    };
    assert_eq!(
        tokens_alerts().await,
        0,
        "no alert for data it was not given"
    );

    datadog.answer_in_part("llm.tokens.total", false);
    let whole = ev.run(start.plus_secs(45 * 60)).await.unwrap();
    assert!(whole.refused.is_empty(), "{whole:?}");
    assert_eq!(tokens_alerts().await, 0);
}

/// A composite of a monitor Datadog answers only in part for twenty minutes: once the
/// monitor is read again, the composite, not evaluated meanwhile, is brought to what it
/// sees as its monitor is: its alert opens, though its monitors breached together long
/// before the instants a run looks back over.
#[tokio::test]
async fn a_composite_of_a_monitor_left_unread_for_long_opens_once_it_is_read_again() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 30]);
    let config = format!(
        "{CONFIG}{TOKENS_MONITOR}  - id: both\n    name: Slow and busy\n    rule:\n      composite: \"embed-latency && embed-tokens\"\n    levels: {{ alert: L2 }}\n"
    )
    .replace(
        "    unit: s\n",
        "    unit: s\n  - name: llm.tokens.total\n    unit: tokens\n",
    );
    let (datadog, ev, start) = embed_latency_under("eval-composite-unread", &config, &values).await;
    let mut tokens = vec![500.0; 20];
    tokens.extend([2_000_000.0; 30]);
    datadog.add("llm.tokens.total", &EMBED_TAGS, minutes(start, &tokens));
    ev.run(start.plus_secs(19 * 60)).await.unwrap();

    datadog.answer_in_part("llm.tokens.total", true);
    for minute in 20..=40 {
        let report = ev.run(start.plus_secs(minute * 60)).await.unwrap();
        assert_eq!(
            report.refused,
            vec!["embed-tokens".to_owned()],
            "{report:?}"
        );
    }
    let composite = AlertKey::new("eval:both|model:embed-small,model_version:v1,env:prod").unwrap();
    assert!(
        ev.store
            .load(&composite)
            .await
            .unwrap()
            .is_none_or(|a| a.status != Status::Open)
    );

    datadog.answer_in_part("llm.tokens.total", false);
    for minute in 41..=43 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&composite).await.unwrap();
    assert_eq!(alert.map(|a| a.status), Some(Status::Open));
}

#[tokio::test]
async fn wrong_datadog_keys_fail_the_run_without_storing_anything() {
    let datadog = DatadogFake::start(DatadogFakeConfig::new("other", "keys"), 0)
        .await
        .unwrap();
    let ev = evaluator("eval-forbidden", &datadog).await;
    let err = ev
        .run(Timestamp::from_secs(1_795_730_400))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Datadog"), "{err}");
    assert!(ev.store.all_alerts().await.unwrap().is_empty());
}

#[test]
fn the_instant_is_the_schedules_own_minute() {
    let event = serde_json::json!({"time": "2026-11-28T05:31:07Z", "source": "aws.events"});
    assert_eq!(
        evaluator::instant(&event),
        Timestamp::parse("2026-11-28T05:31:00Z").unwrap()
    );
}

/// Datadog's metrics API failing (5xx, 429, answers past the timeout) for the minutes an
/// incident begins: those runs fail and store nothing, and the first run that reads the
/// metrics again opens the alert once, from the first breaching point.
#[tokio::test]
async fn datadog_failing_while_an_incident_begins_delays_the_alert_but_never_loses_or_doubles_it() {
    use modelwatch_tests::fakes::Fault;
    let mut values = vec![0.1; 20];
    values.extend([0.9; 10]);
    values.extend([0.1; 15]);
    let (datadog, ev, start) = embed_latency("eval-datadog-faults", &values).await;

    // Minutes 21-23: every request fails (the client's retries included).
    datadog.faults().fail_next(200, 503);
    for m in 21..=22 {
        assert!(ev.run(start.plus_secs(m * 60)).await.is_err(), "minute {m}");
    }
    datadog.faults().clear();
    datadog.faults().push(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        200,
    );
    assert!(ev.run(start.plus_secs(23 * 60)).await.is_err());
    datadog.faults().clear();
    let key = AlertKey::new(KEY).unwrap();
    assert!(
        ev.store.load(&key).await.unwrap().is_none(),
        "nothing stored"
    );

    // Minute 24: Datadog answers; the alert opens once, dated from the first breach.
    datadog.faults().push(Fault::Slow { delay_ms: 200 }, 1);
    let report = ev.run(start.plus_secs(24 * 60)).await.unwrap();
    assert_eq!(report.written, 1, "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    assert_eq!(alert.first_breach_at, Some(start.plus_secs(20 * 60)));
    assert_eq!(ev.run(start.plus_secs(25 * 60)).await.unwrap().written, 0);

    // It recovers once the latency is back (the instant at 34, complete at the run at
    // 37), even if the run then failed.
    datadog.faults().fail_next(200, 500);
    assert!(ev.run(start.plus_secs(37 * 60)).await.is_err());
    datadog.faults().clear();
    ev.run(start.plus_secs(38 * 60)).await.unwrap();
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
}

#[tokio::test]
async fn datadog_down_a_quarter_hour_across_an_onset_and_a_recovery_loses_neither() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 10]);
    values.extend([0.1; 40]);
    let (datadog, ev, start) = embed_latency("eval-datadog-outage", &values).await;
    let key = AlertKey::new(KEY).unwrap();
    let outage = async |minutes: std::ops::RangeInclusive<u64>| {
        datadog.faults().fail_next(10_000, 503);
        for m in minutes {
            assert!(ev.run(start.plus_secs(m * 60)).await.is_err(), "minute {m}");
        }
        datadog.faults().clear();
    };

    // Down from minute 19 to 32: the breach began at 20 and fired at 21, 12 minutes before
    // the first run that reads.
    ev.run(start.plus_secs(18 * 60)).await.unwrap();
    outage(19..=32).await;
    assert!(ev.store.load(&key).await.unwrap().is_none());
    ev.run(start.plus_secs(33 * 60)).await.unwrap();
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    assert_eq!(alert.first_breach_at, Some(start.plus_secs(20 * 60)));

    // Down again from minute 34 to 47: it recovers at 34 (the third clean 3-minute window
    // after the breach ended at 29), and the run at 48 resolves it; nothing opens twice.
    outage(34..=47).await;
    let report = ev.run(start.plus_secs(48 * 60)).await.unwrap();
    assert_eq!(report.written, 1, "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
}

#[tokio::test]
async fn a_group_already_breaching_at_the_first_run_opens_its_alert_once() {
    let (_datadog, ev, start) = embed_latency("eval-first-run", &[0.9; 45]).await;
    let key = AlertKey::new(KEY).unwrap();

    // Deployed while the group has been breaching for 40 minutes: no change inside the
    // look-back, and yet the alert opens, its spell starting where the replay sees it.
    let report = ev.run(start.plus_secs(40 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 1), "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    assert_eq!(alert.first_breach_at, Some(start));

    // The next runs build on it: nothing more.
    for minute in 41..=43 {
        let report = ev.run(start.plus_secs(minute * 60)).await.unwrap();
        assert_eq!((report.reconciled, report.written), (0, 0), "{report:?}");
    }
}

/// The newest minute is read while Datadog is still filling it. Here the minute's first
/// requests were slow and the rest, fast, arrive late: the run at 21 reads 0.9 and opens
/// the alert (its change at the instant at 20); read whole, the minute is 0.15. No change
/// inside the next run's look-back would resolve the alert, and yet it resolves, once:
/// dated at the newest complete instant (so that a breach a minute still filling shows once
/// whole is not older than the resolve), which the run at 23 has at 20, the instant of the
/// alert's own change, read whole; the run at 22 only has 19, before the change, and its
/// resolve is dropped as stale.
#[tokio::test]
async fn an_alert_opened_on_a_minute_still_filling_resolves_when_the_minute_reads_whole() {
    let config = minute_by_minute();
    let mut values = vec![0.1; 20];
    values.push(0.9);
    let (datadog, ev, start) = embed_latency_under("eval-filling", &config, &values).await;
    let key = AlertKey::new(KEY).unwrap();
    for minute in 18..=21 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));

    values[20] = 0.15;
    values.push(0.1);
    rewrite_latency(&datadog, start, &values);
    values.extend([0.1; 3]);
    rewrite_latency(&datadog, start, &values);
    let report = ev.run(start.plus_secs(22 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 0), "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    let report = ev.run(start.plus_secs(23 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 1), "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
    let report = ev.run(start.plus_secs(24 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (0, 0), "{report:?}");
}

/// The same, and then the next minute, read while filling, is clean (it resolves nothing
/// yet), and whole it breaches: the alert stays open, once. Dated at the run's instant, the
/// resolve would have made that breach's change older than it, dropped as stale, with the
/// model breaching and nobody paged.
#[tokio::test]
async fn a_breach_a_filling_minute_hid_is_not_older_than_the_resolve() {
    let config = minute_by_minute();
    let mut values = vec![0.1; 20];
    values.push(0.9);
    let (datadog, ev, start) = embed_latency_under("eval-filling-hid", &config, &values).await;
    let key = AlertKey::new(KEY).unwrap();
    for minute in 18..=21 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    values[20] = 0.15;
    values.push(0.1);
    rewrite_latency(&datadog, start, &values);
    ev.run(start.plus_secs(22 * 60)).await.unwrap();
    values[21] = 0.9;
    values.extend([0.9; 5]);
    rewrite_latency(&datadog, start, &values);
    for minute in 23..=26 {
        let open = status_after(&ev, start, minute, &key).await;
        assert_eq!(open, Some((Status::Open, 1)), "minute {minute}");
    }
}

/// The other way round: the minute read while Datadog is still filling it reads clean
/// (0.15), and whole it breaches (0.9). A recovery decided on it would resolve the page
/// while the model still breaches, and no change inside the next runs' look-back would
/// open it again: nobody paged. A recovery waits until its minute is complete (Datadog's
/// reporting delay, two minutes), so the alert stays open, once; a recovery the whole
/// minutes confirm resolves it three runs later.
#[tokio::test]
async fn a_recovery_on_a_minute_still_filling_waits_until_the_minute_reads_whole() {
    let config = minute_by_minute();
    let mut values = vec![0.1; 20];
    values.extend([0.9; 5]);
    values.push(0.15);
    let (datadog, ev, start) = embed_latency_under("eval-filling-clean", &config, &values).await;
    let key = AlertKey::new(KEY).unwrap();
    for minute in 18..=26 {
        let expected = (minute >= 21).then_some((Status::Open, 1));
        let open = status_after(&ev, start, minute, &key).await;
        assert_eq!(open, expected, "minute {minute}");
    }

    values[25] = 0.9;
    values.push(0.9);
    values.extend([0.1; 10]);
    rewrite_latency(&datadog, start, &values);
    // Clean from the instant at 27 on: complete at the run at 30, which resolves.
    for minute in 27..=29 {
        let open = status_after(&ev, start, minute, &key).await;
        assert_eq!(open, Some((Status::Open, 1)), "minute {minute}");
    }
    ev.run(start.plus_secs(30 * 60)).await.unwrap();
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
}

/// An alert held open as flapping shows its monitor ok while it is held: every run agrees
/// with it, and none touches it until it stops flapping.
#[tokio::test]
async fn an_alert_held_open_as_flapping_is_left_alone_by_the_runs_that_see_its_group_ok() {
    let config = minute_by_minute().replace(
        "  L3: {}\n",
        "  L3: {}\n  flapping: { changes: 3, window: 30m }\n",
    );
    assert!(config.contains("flapping:"));
    let mut values = vec![0.1; 20];
    values.extend([0.9, 0.1, 0.9, 0.1]);
    values.extend([0.1; 25]);
    let (_datadog, ev, start) = embed_latency_under("eval-flapping", &config, &values).await;
    let key = AlertKey::new(KEY).unwrap();
    for minute in 18..=26 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let held = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!(held.status, Status::Open);
    assert!(held.is_flapping(), "{held:?}");
    assert!(!held.state.is_firing(), "{held:?}");
    // On past the look-back of its last change (at 24).
    for minute in 27..=45 {
        let report = ev.run(start.plus_secs(minute * 60)).await.unwrap();
        assert_eq!((report.reconciled, report.written), (0, 0), "{report:?}");
    }
    assert_eq!(ev.store.load(&key).await.unwrap().unwrap(), held);
}

/// A model stops reporting while its alert fires (the default `no_data: ignore`). Once the
/// replay no longer reaches the last breaching point it reads the group as ok; that is no
/// recovery, and the runs leave the alert to the absence rule, which keeps it open as a
/// no-data alert.
#[tokio::test]
async fn a_firing_group_that_stops_reporting_is_not_resolved_as_recovered() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 11]);
    let (_datadog, ev, start) = embed_latency("eval-goes-silent", &values).await;
    let key = AlertKey::new(KEY).unwrap();
    for minute in (21..=131).step_by(10) {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        let alert = ev.store.load(&key).await.unwrap().unwrap();
        assert_eq!(
            (alert.status, alert.cycle),
            (Status::Open, 1),
            "minute {minute}: {alert:?}"
        );
    }
}

/// The other way round: deployed while a group that breached has gone quiet for a few
/// minutes (Datadog behind, or the model stopped). Its replay still fires, and the first
/// run opens its alert: only a resolve waits for the group to report.
#[tokio::test]
async fn a_breaching_group_gone_quiet_before_the_first_run_still_opens_its_alert() {
    let (_datadog, ev, start) = embed_latency("eval-quiet-first-run", &[0.9; 30]).await;
    let report = ev.run(start.plus_secs(40 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 1), "{report:?}");
    let alert = ev
        .store
        .load(&AlertKey::new(KEY).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
}

#[tokio::test]
async fn an_outage_longer_than_the_look_back_still_opens_and_resolves_the_alert() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 41]);
    values.extend([0.1; 60]);
    let (datadog, ev, start) = embed_latency("eval-long-outage", &values).await;
    let key = AlertKey::new(KEY).unwrap();

    // Good runs until minute 18; then no good run until 45 (Datadog answering 503 for a
    // while, the rest of the time the evaluator not running at all). The breach began at
    // 20 and fired at 21: 24 minutes before the next good run, beyond its look-back.
    for minute in 16..=18 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    datadog.faults().fail_next(10_000, 503);
    for minute in 19..=21 {
        assert!(ev.run(start.plus_secs(minute * 60)).await.is_err());
    }
    datadog.faults().clear();
    let report = ev.run(start.plus_secs(45 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 1), "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1));
    assert_eq!(alert.first_breach_at, Some(start.plus_secs(20 * 60)));

    // Down again from 46 to 90: it recovered at 63, and the run at 91 resolves it.
    let report = ev.run(start.plus_secs(91 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (1, 1), "{report:?}");
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
    let report = ev.run(start.plus_secs(92 * 60)).await.unwrap();
    assert_eq!((report.reconciled, report.written), (0, 0), "{report:?}");
}

#[tokio::test]
async fn the_last_good_run_is_written_every_five_minutes_and_a_cold_container_builds_on_it() {
    let (datadog, ev, start) = embed_latency("eval-last-run", &[0.1; 30]).await;
    let stored = async || ev.store.last_run().await.unwrap().map(|r| r.at);

    // The first good run is written; the next four are only remembered; the fifth after
    // it is written again.
    ev.run(start.plus_secs(60)).await.unwrap();
    assert_eq!(stored().await, Some(start.plus_secs(60)));
    for minute in 2..=5 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    assert_eq!(stored().await, Some(start.plus_secs(60)));
    ev.run(start.plus_secs(6 * 60)).await.unwrap();
    assert_eq!(stored().await, Some(start.plus_secs(6 * 60)));
    ev.run(start.plus_secs(7 * 60)).await.unwrap();

    // A warm container measures its look-back from its own newest run (7), a cold one
    // from the stored one (6), at most five minutes older. A run knows every change up to
    // its newest complete instant, three minutes before it (it holds back recoveries on
    // minutes Datadog may still be filling). At 19 the cold one finds the look-back (5 to
    // 19) short of what its stored run knew (up to 3) and reconciles alerts that already
    // agree, which signals nothing; the warm one (up to 4) finds no gap.
    let cold = modelwatch_tests::evaluator_with(ev.store.clone(), CONFIG, &datadog.url());
    let report = cold.run(start.plus_secs(19 * 60)).await.unwrap();
    assert_eq!(
        (report.beyond_look_back, report.reconciled, report.written),
        (1, 0, 0),
        "{report:?}"
    );
    assert_eq!(stored().await, Some(start.plus_secs(19 * 60)));
    let report = ev.run(start.plus_secs(19 * 60)).await.unwrap();
    assert_eq!(report.beyond_look_back, 0, "{report:?}");
}

/// Datadog answers a series without a grouped-by tag as `N/A` for it. One without a model
/// tag is no model's: it is left out, as Datadog's own monitors leave N/A groups out,
/// instead of paging for a model called "N/A". One without a version tag is the version
/// Datadog calls `N/A`.
#[tokio::test]
async fn a_series_without_a_model_tag_pages_nobody() {
    let config = CONFIG.replace("    versions: [v1]\n", "");
    let mut values = vec![0.1; 20];
    values.extend([0.9; 5]);
    let (datadog, ev, start) = embed_latency_under("eval-untagged", &config, &values).await;
    datadog.add(
        "llm.generation.latency",
        &[("env", "prod")],
        minutes(start, &values),
    );
    datadog.add(
        "llm.generation.latency",
        &[("model", "embed-small"), ("env", "staging")],
        minutes(start, &values),
    );
    let report = ev.run(start.plus_secs(24 * 60)).await.unwrap();
    assert_eq!(report.groups, 2, "{report:?}");
    let mut open: Vec<String> = ev
        .store
        .open_alerts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.key.to_string())
        .collect();
    open.sort();
    assert_eq!(
        open,
        [
            "eval:embed-latency|model:embed-small,model_version:N/A,env:staging",
            KEY
        ]
    );
}

const CANARY: &str = r##"
time_zone: UTC
metrics:
  - name: llm.generation.latency
    unit: s
models:
  - name: embed-small
    versions: [v1, v2]
    stable_version: v1
    team: search
    slack_channel: "#search-alerts"
routing:
  default_slack_channel: "#modelwatch"
  L1: {}
  L2: {}
  L3: {}
monitors:
  - id: embed-canary
    name: Embedding v2 latency against v1
    metric: llm.generation.latency
    window: 1m
    rule:
      version_compare:
        change: { direction: above, warning: 0.2, critical: 0.5 }
    trigger: { breaches: 1, of: 1 }
    recovery: { clean: 1 }
    levels: { warn: L1, alert: L2 }
"##;

/// A rollout's canary pages against its stable version, and then the stable version goes
/// quiet (drained, or its metrics gone) while the canary stays as slow. Nothing says the
/// canary recovered: its alert stays open, as Datadog keeps a monitor's state through data
/// it ignores. Once the stable version reports again and the canary is within the limit
/// of it, the alert resolves. (The replay used to read ok once it no longer reached the
/// breach, an hour on, and resolved the page as recovered.)
#[tokio::test]
async fn a_canary_whose_stable_version_goes_quiet_is_not_resolved_as_recovered() {
    let (datadog, ev, start) = datadog_and_evaluator("eval-canary-quiet", CANARY).await;
    let stable = embed_small("v1");
    let canary = embed_small("v2");
    let mut reference = vec![0.1; 25];
    reference.extend([f64::NAN; 95]);
    reference.extend([0.8; 20]);
    datadog.add(
        "llm.generation.latency",
        &stable,
        minutes(start, &reference),
    );
    let mut values = vec![0.1; 20];
    values.extend([0.9; 120]);
    datadog.add("llm.generation.latency", &canary, minutes(start, &values));
    let key =
        AlertKey::new("eval:embed-canary|model:embed-small,model_version:v2,env:prod").unwrap();
    for minute in 18..=121 {
        let expected = (minute >= 21).then_some((Status::Open, 1));
        let open = status_after(&ev, start, minute, &key).await;
        assert_eq!(open, expected, "minute {minute}");
    }
    for minute in 122..=125 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Resolved, 1));
}

const COMBINED: &str = r##"
time_zone: UTC
metrics:
  - name: llm.generation.latency
    unit: s
models:
  - name: embed-small
    versions: [v1, v2]
    team: search
    slack_channel: "#search-alerts"
routing:
  default_slack_channel: "#modelwatch"
  L1: {}
  L2: {}
  L3: {}
monitors:
  - id: slow
    name: Slow
    metric: llm.generation.latency
    window: 1m
    rule:
      threshold: { direction: above, critical: 0.5 }
    trigger: { breaches: 1, of: 1 }
  - id: very-slow
    name: Very slow
    metric: llm.generation.latency
    window: 1m
    rule:
      threshold: { direction: above, critical: 0.7 }
    trigger: { breaches: 1, of: 1 }
  - id: both
    name: Slow and very slow
    rule:
      composite: "slow && very-slow"
"##;

/// A composite is evaluated on the groups its monitors share. A version retired from
/// `models:`, another serving in its place, is no longer expected by them once silent,
/// and their alerts resolve with a note; the composite's alert for it could never
/// recover, and resolves with them.
#[tokio::test]
async fn a_composite_alert_of_a_retired_version_resolves_with_its_monitors_alerts() {
    let (datadog, ev, start) = datadog_and_evaluator("eval-composite-retired", COMBINED).await;
    let v2 = embed_small("v2");
    let mut values = vec![0.1; 20];
    values.extend([0.9; 10]);
    datadog.add("llm.generation.latency", &v2, minutes(start, &values));
    datadog.add(
        "llm.generation.latency",
        &embed_small("v1"),
        minutes(start, &[0.1; 121]),
    );
    let group = "model:embed-small,model_version:v2,env:prod";
    let keys =
        ["slow", "very-slow", "both"].map(|m| AlertKey::new(format!("eval:{m}|{group}")).unwrap());
    for minute in 18..=25 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    for key in &keys {
        let alert = ev.store.load(key).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Open, "{key}");
    }

    // Retired while it still reports (its last point is minute 29): watched as before.
    let retired = COMBINED.replace("versions: [v1, v2]", "versions: [v1]");
    let ev = modelwatch_tests::evaluator_with(ev.store.clone(), &retired, &datadog.url());
    ev.run(start.plus_secs(26 * 60)).await.unwrap();
    for key in &keys {
        let alert = ev.store.load(key).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Open, "{key}");
    }
    // Absent (past an hour's replay and the window): no longer expected.
    ev.run(start.plus_secs(120 * 60)).await.unwrap();
    for key in &keys {
        let alert = ev.store.load(key).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Resolved, "{key}");
        let note = alert.resolved_by.unwrap_or_default();
        assert!(note.contains("no longer expected"), "{key}: {note}");
    }
}

/// A sum over a window is judged only once the window's minutes are complete: at the
/// run's newest instants Datadog has not delivered (or not yet filled) the last minutes,
/// so the sum reads low, and a `below` monitor of a steady 100 a minute would open at
/// every run and never resolve.
#[tokio::test]
async fn a_sum_below_is_not_judged_on_minutes_still_arriving() {
    let config = CONFIG
        .replace("window: 3m", "window: 5m")
        .replace("aggregation: max", "aggregation: sum")
        .replace(
            "threshold: { direction: above, warning: 0.25, critical: 0.5, warning_recovery: 0.2, critical_recovery: 0.4 }",
            "threshold: { direction: below, critical: 450 }",
        )
        .replace(
            "trigger: { breaches: 2, of: 3 }",
            "trigger: { breaches: 1, of: 1 }",
        );
    assert!(config.contains("direction: below, critical: 450"));
    let mut values = vec![100.0; 40];
    // A real drop, from minute 32: 50 a minute, complete by minute 40.
    for v in &mut values[32..] {
        *v = 50.0;
    }
    let (_datadog, ev, start) = embed_latency_under("eval-sum-below", &config, &values).await;
    for minute in 20..=33 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        let opened = ev.store.load(&AlertKey::new(KEY).unwrap()).await.unwrap();
        assert!(
            opened.as_ref().is_none_or(|a| a.cycle == 0),
            "minute {minute}: opened on a steady 100 a minute: {:?}",
            opened.map(|a| (a.status, a.context.reason))
        );
    }
    for minute in 34..=40 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&AlertKey::new(KEY).unwrap()).await.unwrap();
    assert_eq!(
        alert.map(|a| a.status),
        Some(Status::Open),
        "the real drop pages"
    );
}

/// A threshold tightened while a group sits between the old and the new level: the group
/// was already past the new level at every instant the run looks back over, so no change
/// shows there; the changed monitor is a new one to the run, whose first run opens an
/// alert for every group already breaching.
#[tokio::test]
async fn a_tightened_threshold_pages_a_group_already_past_it() {
    let cut = COMBINED.find("  - id: very-slow").unwrap();
    let slow = &COMBINED[..cut];
    let (datadog, ev, start) = datadog_and_evaluator("eval-tightened", slow).await;
    let v1 = embed_small("v1");
    datadog.add("llm.generation.latency", &v1, minutes(start, &[0.4; 40]));
    let key = AlertKey::new("eval:slow|model:embed-small,model_version:v1,env:prod").unwrap();
    for minute in 18..=25 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    assert!(
        ev.store
            .load(&key)
            .await
            .unwrap()
            .is_none_or(|a| a.cycle == 0)
    );

    let tightened = slow.replace("critical: 0.5", "critical: 0.3");
    assert_ne!(tightened, slow);
    let ev = modelwatch_tests::evaluator_with(ev.store.clone(), &tightened, &datadog.url());
    let report = ev.run(start.plus_secs(26 * 60)).await.unwrap();
    assert_eq!(report.beyond_look_back, 1);
    let alert = ev.store.load(&key).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
}

/// A monitor removed from the configuration (or renamed) evaluates nothing any more: its
/// open alerts resolve with a note, at the next run, instead of staying open and escalating
/// for ever; the other monitors' alerts are untouched.
#[tokio::test]
async fn the_alerts_of_a_removed_monitor_resolve_at_the_next_run() {
    let (datadog, ev, start) = datadog_and_evaluator("eval-removed-monitor", COMBINED).await;
    let v1 = embed_small("v1");
    let mut values = vec![0.1; 20];
    values.extend([0.9; 20]);
    datadog.add("llm.generation.latency", &v1, minutes(start, &values));
    let group = "model:embed-small,model_version:v1,env:prod";
    let key = |m: &str| AlertKey::new(format!("eval:{m}|{group}")).unwrap();
    for minute in 18..=25 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    for m in ["slow", "very-slow", "both"] {
        let alert = ev.store.load(&key(m)).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Open, "{m}");
    }

    let cut = COMBINED.find("  - id: very-slow").unwrap();
    let fewer = &COMBINED[..cut];
    let ev = modelwatch_tests::evaluator_with(ev.store.clone(), fewer, &datadog.url());
    let report = ev.run(start.plus_secs(26 * 60)).await.unwrap();
    assert_eq!(report.removed, 2);
    for m in ["very-slow", "both"] {
        let alert = ev.store.load(&key(m)).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Resolved, "{m}");
        let note = alert.resolved_by.unwrap_or_default();
        assert!(
            note.contains(&format!("monitor {m:?} is no longer in the configuration")),
            "{m}: {note}"
        );
    }
    let kept = ev.store.load(&key("slow")).await.unwrap().unwrap();
    assert_eq!(kept.status, Status::Open);
    // Nothing left to resolve: the next run finds no alert of a removed monitor.
    let report = ev.run(start.plus_secs(27 * 60)).await.unwrap();
    assert_eq!(report.removed, 0);
}

/// A version its model does not list yet (a rollout ahead of the configuration) is
/// watched while it reports: its breach stays open, run after run, instead of being
/// resolved as no longer expected in the run that opened it.
#[tokio::test]
async fn a_reporting_version_the_configuration_does_not_list_keeps_its_alert() {
    let unlisted = COMBINED.replace("versions: [v1, v2]", "versions: [v1]");
    let (datadog, ev, start) = datadog_and_evaluator("eval-unlisted-version", &unlisted).await;
    let v2 = embed_small("v2");
    let mut values = vec![0.1; 20];
    values.extend([0.9; 20]);
    datadog.add("llm.generation.latency", &v2, minutes(start, &values));
    let key = AlertKey::new("eval:slow|model:embed-small,model_version:v2,env:prod").unwrap();
    for minute in 18..=30 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        if minute >= 21 {
            let alert = ev.store.load(&key).await.unwrap().unwrap();
            assert_eq!(
                alert.status,
                Status::Open,
                "minute {minute}: {:?}",
                alert.resolved_by
            );
        }
    }
}

/// A canary its model does not list, rolled back (its series stops while the listed
/// version serves) under a monitor that pages no data: no no-data page. Had no other
/// version of the model reported, its silence would be the model's, and page.
#[tokio::test]
async fn a_rolled_back_unlisted_version_pages_no_data_to_nobody() {
    for other_serves in [true, false] {
        let paged = unlisted_version_stops(other_serves).await;
        assert_eq!(
            paged, !other_serves,
            "another version serving: {other_serves}"
        );
    }
}

/// Whether `eval:slow|…v2…` opened, when the unlisted v2 stops at minute 20 and v1 keeps
/// reporting or not.
async fn unlisted_version_stops(other_serves: bool) -> bool {
    let unlisted = COMBINED
        .replace("versions: [v1, v2]", "versions: [v1]")
        .replace(
            "      threshold: { direction: above, critical: 0.5 }\n    trigger: { breaches: 1, of: 1 }\n  - id: very-slow",
            "      threshold: { direction: above, critical: 0.5 }\n    trigger: { breaches: 1, of: 1 }\n    no_data: alert\n  - id: very-slow",
        );
    assert!(unlisted.contains("no_data: alert"));
    let test = format!("eval-unlisted-rolled-back-{other_serves}");
    let (datadog, ev, start) = datadog_and_evaluator(&test, &unlisted).await;
    datadog.add(
        "llm.generation.latency",
        &embed_small("v2"),
        minutes(start, &[0.1; 20]),
    );
    if other_serves {
        datadog.add(
            "llm.generation.latency",
            &embed_small("v1"),
            minutes(start, &[0.1; 41]),
        );
    }
    let key = AlertKey::new("eval:slow|model:embed-small,model_version:v2,env:prod").unwrap();
    let mut paged = false;
    for minute in 18..=40 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        let alert = ev.store.load(&key).await.unwrap();
        paged |= alert.is_some_and(|a| a.cycle > 0);
    }
    paged
}

const HELD: &str = r##"
time_zone: UTC
metrics:
  - name: llm.generation.latency
    unit: s
models:
  - name: embed-small
    versions: [v1]
    team: search
    slack_channel: "#search-alerts"
routing:
  default_slack_channel: "#modelwatch"
  L1: {}
  L2: {}
  L3: {}
monitors:
  - id: hot
    name: Hot
    metric: llm.generation.latency
    window: 1m
    replay: 5
    rule:
      threshold: { direction: above, critical: 0.5, critical_recovery: 0.3 }
    trigger: { breaches: 1, of: 1 }
    recovery: { clean: 1 }
    no_data: alert
  - id: busy
    name: Busy
    metric: llm.generation.latency
    window: 1m
    replay: 5
    rule:
      threshold: { direction: above, critical: 0.35 }
    trigger: { breaches: 1, of: 1 }
    recovery: { clean: 1 }
  - id: both
    name: Hot and busy
    rule:
      composite: "hot && busy"
"##;

fn held_key(monitor: &str) -> AlertKey {
    AlertKey::new(format!(
        "eval:{monitor}|model:embed-small,model_version:v1,env:prod"
    ))
    .unwrap()
}

/// A value between a level and its recovery level holds a breach (0.4 against `hot`'s 0.5
/// and 0.3) for longer than the replay reaches: `hot`'s alert stays open, and so does the
/// composite's, whose other monitor still breaches: its ok, as far as the replay reaches,
/// rests on `hot`'s ok, which is not known.
#[tokio::test]
async fn a_composite_is_not_resolved_on_a_member_ok_only_as_far_as_its_replay_reaches() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 5]);
    values.extend([0.4; 30]);
    let (_datadog, ev, start) = embed_latency_under("eval-held-composite", HELD, &values).await;
    for minute in 18..=50 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        if minute >= 21 {
            for monitor in ["hot", "busy", "both"] {
                let alert = ev.store.load(&held_key(monitor)).await.unwrap().unwrap();
                assert_eq!(alert.status, Status::Open, "{monitor} at minute {minute}");
            }
        }
    }
}

/// A model silent long enough for a no-data alert (`no_data: alert`) comes back with a
/// value between `hot`'s level and its recovery level: a no-data spell has no recovery
/// level to wait for, and the value reads as it is (as a Datadog monitor out of No Data
/// does): the alert resolves, once the minutes are complete.
#[tokio::test]
async fn a_no_data_alert_resolves_when_the_model_is_back_below_its_level() {
    let (datadog, ev, start) = embed_latency_under("eval-held-no-data", HELD, &[0.1; 20]).await;
    for minute in 18..=25 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
    assert_eq!(
        (alert.status, alert.state),
        (Status::Open, modelwatch::domain::MonitorState::NoData)
    );
    let mut values = vec![0.1; 20];
    values.extend([f64::NAN; 6]);
    values.extend([0.4; 20]);
    rewrite_latency(&datadog, start, &values);
    for minute in 26..=32 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved, "{alert:?}");
}

/// The other way round: `hot` pages on a value past its level, and a gap in the data turns
/// its spell into no data; back at a value between the level and its recovery level, it has
/// not recovered, and its alert stays open (it would page again at the next rise). As far
/// as its replay reaches (60 instants here): past it, a replay that starts in the gap sees
/// a spell of no data alone.
#[tokio::test]
async fn a_gap_in_the_data_does_not_resolve_a_page_whose_value_never_recovered() {
    let mut values = vec![0.1; 20];
    values.extend([0.9; 3]);
    values.extend([f64::NAN; 5]);
    values.extend([0.4; 15]);
    let config = HELD.replacen("replay: 5", "replay: 60", 1);
    let (_datadog, ev, start) = embed_latency_under("eval-held-gap", &config, &values).await;
    let mut went_no_data = false;
    for minute in 18..=42 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
        if minute >= 21 {
            let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
            assert_eq!(
                (alert.status, alert.cycle),
                (Status::Open, 1),
                "minute {minute}"
            );
            went_no_data |= alert.state == modelwatch::domain::MonitorState::NoData;
        }
    }
    assert!(went_no_data, "the gap made it a no-data alert");
}

/// A model silent long enough for the absence rule comes back, and its first minute, read
/// while Datadog is still filling it, is clean (0.1). Nothing resolves on it: the run's
/// own minute has no point yet (its check holds, so the absence rule looks again), and the
/// change out of no data waits until the minute is complete. Whole, that minute breaches
/// (0.9): the alert, open all along, turns from no data to the breach, in the same cycle.
#[tokio::test]
async fn a_model_back_from_silence_is_not_resolved_on_its_first_minute_still_filling() {
    let (datadog, ev, start) = embed_latency_under("eval-back-hid", HELD, &[0.1; 20]).await;
    let mut values = vec![0.1; 20];
    values.extend([f64::NAN; 16]);
    values.push(0.1);
    for minute in 18..=36 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
    assert_eq!(
        (alert.status, alert.state),
        (Status::Open, modelwatch::domain::MonitorState::NoData)
    );
    rewrite_latency(&datadog, start, &values);
    ev.run(start.plus_secs(37 * 60)).await.unwrap();
    let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
    assert_eq!((alert.status, alert.cycle), (Status::Open, 1), "{alert:?}");

    values[36] = 0.9;
    values.extend([0.9; 4]);
    rewrite_latency(&datadog, start, &values);
    for minute in 38..=40 {
        ev.run(start.plus_secs(minute * 60)).await.unwrap();
    }
    let alert = ev.store.load(&held_key("hot")).await.unwrap().unwrap();
    assert_eq!(
        (alert.status, alert.cycle, alert.state),
        (Status::Open, 1, modelwatch::domain::MonitorState::Alert),
        "{alert:?}"
    );
}
