//! Unit tests of every rule kind, the trigger and recovery windows, and signals.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::*;
use crate::domain::{BreachState, EscalationPolicy, Level, SignalKind, Timestamp};
use crate::signals::evaluation::{level_of, to_signal};

const MIN: i64 = 60;

fn t(minute: i64) -> Timestamp {
    Timestamp::from_secs(1_790_000_000 - 1_790_000_000 % 86_400 + minute * MIN)
}

fn series(values: &[f64]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Point::new(t(i as i64), *v))
        .collect()
}

fn above(warning: Option<f64>, critical: f64) -> Threshold {
    Threshold {
        bound: Bound::Above,
        warning,
        critical,
        warning_recovery: None,
        critical_recovery: None,
    }
}

fn monitor(rule: Rule) -> Monitor {
    Monitor {
        id: "latency".into(),
        name: "Generation latency".into(),
        metric: Some("llm.latency".into()),
        query: None,
        rule,
        window_secs: 60,
        aggregation: Aggregation::Last,
        every_secs: 60,
        trigger: Trigger { breaches: 1, of: 1 },
        recovery_clean: 1,
        no_data: NoDataPolicy::Ignore,
        replay: 30,
        time_zone: TimeZone::UTC,
        levels: MonitorLevels::default(),
        models: Vec::new(),
        runbook_steps: Vec::new(),
        tags: vec!["team:chat".into()],
    }
}

fn group() -> Group {
    Group::new("chat-large", Some("v4"), Some("prod"))
}

/// The state at every minute of `points`.
fn states(m: &Monitor, points: &[Point]) -> Vec<State> {
    let g = group();
    let mut ev = Evaluator::new(m, &g, Data::new(points));
    points.iter().map(|p| ev.at(p.at).state).collect()
}

fn changes(states: &[State]) -> usize {
    states.windows(2).filter(|w| w[0] != w[1]).count()
}

#[test]
fn threshold_warns_then_alerts_and_stays_firing_until_past_the_recovery_level() {
    let rule = Threshold {
        warning_recovery: Some(1.5),
        ..above(Some(2.0), 3.0)
    };
    let m = monitor(Rule::Threshold(rule));
    let got = states(&m, &series(&[1.0, 2.5, 3.5, 1.8, 1.6, 1.4, 1.8]));
    use State::*;
    // Back under the critical level (no critical recovery level), the alert steps down to
    // warn until the value is back past the warning recovery level: 1.8 is a better value
    // than 2.5, which warns, and must not keep the alert's level.
    assert_eq!(got, [Ok, Warn, Alert, Warn, Warn, Ok, Ok]);
    let got = states(&m, &series(&[3.5, 2.5, 3.5, 1.8]));
    assert_eq!(got, [Alert, Warn, Alert, Warn]);
}

#[test]
fn the_trigger_window_guards_a_rise_to_alert_as_it_guards_the_opening() {
    let mut m = monitor(Rule::Threshold(above(Some(2.0), 3.0)));
    m.trigger = Trigger { breaches: 3, of: 5 };
    use State::*;
    // One critical minute in a warning spell warns; the third of five alerts.
    let values = series(&[2.5, 2.5, 2.5, 3.5, 2.5, 3.5, 3.5]);
    let got = states(&m, &values);
    assert_eq!(got, [Ok, Ok, Warn, Warn, Warn, Warn, Alert]);
    let held = evaluate(&m, &group(), Data::new(&values), t(3));
    assert!(
        held.reason
            .ends_with("; it alerts once 3 of the last 5 evaluations breach at that level"),
        "{}",
        held.reason
    );
    // Opened on two critical minutes of three: a warning until the third.
    let got = states(&m, &series(&[3.5, 3.5, 2.5, 3.5]));
    assert_eq!(got, [Ok, Ok, Warn, Alert]);
    // Without a warning level there is nothing to warn at: the opening alerts.
    let mut only_critical = monitor(Rule::Threshold(above(None, 3.0)));
    only_critical.trigger = m.trigger;
    assert_eq!(
        states(&only_critical, &series(&[3.5, 1.0, 3.5, 3.5])),
        [Ok, Ok, Ok, Alert]
    );
}

#[test]
fn an_alert_holds_until_past_the_critical_recovery_level_even_with_a_warning_level() {
    // The example configuration's embedding latency: between the critical recovery level
    // and the critical level a value alone would only warn, but an alert stays an alert
    // (Datadog's recovery thresholds) instead of flapping between alert and warn.
    let rule = Threshold {
        critical_recovery: Some(0.4),
        ..above(Some(0.25), 0.5)
    };
    let m = monitor(Rule::Threshold(rule));
    let points = series(&[0.3, 0.6, 0.45, 0.55, 0.45, 0.35, 0.45, 0.2]);
    use State::*;
    assert_eq!(
        states(&m, &points),
        [Warn, Alert, Alert, Alert, Alert, Warn, Warn, Ok]
    );
    let held = evaluate(&m, &group(), Data::new(&points), t(2));
    assert_eq!(held.threshold, Some(0.4));
    assert!(!held.clear);
    assert!(
        held.reason
            .contains("0.45 is not yet back past the critical recovery level 0.4"),
        "{}",
        held.reason
    );
}

/// Live, the run's newest instants sum minutes still arriving: a sum below a level is not
/// judged there (it reads low), while a sum already above one stands (counts only grow).
#[test]
fn a_sum_over_minutes_still_arriving_pages_above_a_level_and_waits_below_one() {
    let mut values = vec![100.0; 10];
    values.extend([0.0, 300.0]);
    let points = series(&values);
    let complete = Data {
        complete_through: Some(t(9)),
        ..Data::new(&points)
    };
    // The whole windows sum 500: clear of both levels.
    let monitor_of = |bound, level| {
        let mut m = monitor(Rule::Threshold(Threshold {
            bound,
            ..above(None, level)
        }));
        m.window_secs = 5 * 60;
        m.aggregation = Aggregation::Sum;
        m.query = Some("sum:llm.errors{*} by {model,model_version,env}".into());
        m
    };
    // Minute 10's window sums 400, minute 11's 600: both past the complete instant.
    let mut upper = monitor_of(Bound::Above, 550.0);
    let e = evaluate(&upper, &group(), complete, t(11));
    assert_eq!(e.state, State::Alert, "{}", e.reason);
    // Minutes averaged across series may still fall as the rest arrive: held.
    upper.query = None;
    let e = evaluate(&upper, &group(), complete, t(11));
    assert_eq!(e.state, State::Ok, "{}", e.reason);
    let lower = monitor_of(Bound::Below, 450.0);
    let e = evaluate(&lower, &group(), complete, t(10));
    assert_eq!(e.state, State::Ok, "{}", e.reason);
    assert!(e.reason.contains("still arriving"), "{}", e.reason);
    // The same sum, in a backtest (every point in), is judged.
    let backtest = evaluate(&lower, &group(), Data::new(&points), t(10));
    assert_eq!(backtest.state, State::Alert, "{}", backtest.reason);
}

/// A count's newest minute, still arriving, reads low whatever the window takes of it (its
/// last value, its least): a `below` level is judged once it is in, or a steady count
/// would page at every run on its newest minute and never resolve. An upper level it is
/// already past stands; minutes averaged across series are judged at once.
#[test]
fn a_counts_newest_minute_still_arriving_is_not_judged_below_a_level() {
    let mut values = vec![120.0; 10];
    values.push(60.0);
    let points = series(&values);
    let arriving = Data {
        complete_through: Some(t(9)),
        ..Data::new(&points)
    };
    let monitor_of = |aggregation, bound, level, query: Option<&str>| {
        let mut m = monitor(Rule::Threshold(Threshold {
            bound,
            ..above(None, level)
        }));
        m.window_secs = 60;
        m.aggregation = aggregation;
        m.query = query.map(str::to_owned);
        m
    };
    let count = Some("sum:llm.requests{*} by {model,model_version,env}.as_count()");
    for aggregation in [Aggregation::Last, Aggregation::Min, Aggregation::Avg] {
        let lower = monitor_of(aggregation, Bound::Below, 80.0, count);
        let e = evaluate(&lower, &group(), arriving, t(10));
        assert_eq!(e.state, State::Ok, "{aggregation:?}: {}", e.reason);
        assert!(e.reason.contains("still arriving"), "{}", e.reason);
        // Every point in (a backtest), the same minute is judged.
        let e = evaluate(&lower, &group(), Data::new(&points), t(10));
        assert_eq!(e.state, State::Alert, "{aggregation:?}: {}", e.reason);
    }
    let upper = monitor_of(Aggregation::Last, Bound::Above, 50.0, count);
    let e = evaluate(&upper, &group(), arriving, t(10));
    assert_eq!(e.state, State::Alert, "already past it: {}", e.reason);
    let averaged = monitor_of(Aggregation::Last, Bound::Below, 80.0, None);
    let e = evaluate(&averaged, &group(), arriving, t(10));
    assert_eq!(e.state, State::Alert, "{}", e.reason);
}

#[test]
fn threshold_below_fires_on_a_quality_drop() {
    let rule = Threshold {
        bound: Bound::Below,
        ..above(Some(0.8), 0.7)
    };
    let m = monitor(Rule::Threshold(rule));
    let got = states(&m, &series(&[0.9, 0.75, 0.6]));
    assert_eq!(got, [State::Ok, State::Warn, State::Alert]);
}

#[test]
fn the_threshold_sees_the_rolling_window_aggregate() {
    let mut m = monitor(Rule::Threshold(above(None, 5.0)));
    m.window_secs = 5 * 60;
    let points = series(&[1.0, 1.0, 1.0, 1.0, 9.0]);
    let at = t(4);
    for (aggregation, firing) in [
        (Aggregation::Avg, false),
        (Aggregation::Max, true),
        (Aggregation::Min, false),
        (Aggregation::Sum, true),
        (Aggregation::P50, false),
        (Aggregation::P95, true),
        (Aggregation::P99, true),
    ] {
        m.aggregation = aggregation;
        let e = evaluate(&m, &group(), Data::new(&points), at);
        assert_eq!(e.state.is_firing(), firing, "{aggregation:?}: {}", e.reason);
    }
}

fn baseline(method: Method, seasonality: Seasonality, history_secs: u64) -> Baseline {
    Baseline {
        method,
        seasonality,
        history_secs,
        sigmas: 2.0,
        warn_sigmas: None,
        immediate_sigmas: None,
        direction: Direction::Above,
        min_points: 10,
        min_spread: 0.0,
    }
}

#[test]
fn baseline_alerts_on_a_value_past_two_sigma_and_says_so_in_words() {
    let mut values: Vec<f64> = (0..60).map(|i| 1.0 + 0.1 * f64::from(i % 3)).collect();
    values.push(3.0);
    let points = series(&values);
    let m = monitor(Rule::Baseline(baseline(
        Method::Mean,
        Seasonality::None,
        3600,
    )));
    let e = evaluate(&m, &group(), Data::new(&points), t(60));
    assert_eq!(e.state, State::Alert);
    assert!(
        e.reason.contains("σ above its 1-hour baseline"),
        "{}",
        e.reason
    );
    assert!(e.score > 0.99, "{}", e.score);
}

#[test]
fn robust_baseline_is_not_widened_by_earlier_outliers() {
    let mut values: Vec<f64> = (0..60).map(|i| 10.0 + f64::from(i % 2)).collect();
    values[10] = 500.0;
    values[20] = -400.0;
    values.push(14.0);
    let points = series(&values);
    let mean = monitor(Rule::Baseline(baseline(
        Method::Mean,
        Seasonality::None,
        3600,
    )));
    let robust = monitor(Rule::Baseline(baseline(
        Method::Robust,
        Seasonality::None,
        3600,
    )));
    let at = t(60);
    assert_eq!(
        evaluate(&mean, &group(), Data::new(&points), at).state,
        State::Ok
    );
    assert_eq!(
        evaluate(&robust, &group(), Data::new(&points), at).state,
        State::Alert
    );
}

/// An error rate at 0 three minutes in five: the MAD of its history is 0, and read as
/// the spread every minute with an error would be infinitely far out. The robust baseline
/// takes its spread from the minutes away from the median, and still pages on a real rise.
#[test]
fn robust_baseline_of_a_history_mostly_at_one_value_pages_on_a_rise_not_on_every_error() {
    let usual = |i: i64| [0.0, 0.0, 0.0, 0.01, 0.02][(i % 5) as usize];
    let robust = monitor(Rule::Baseline(baseline(
        Method::Robust,
        Seasonality::None,
        3600,
    )));
    let with_last = |last: f64| {
        let mut values: Vec<f64> = (0..60).map(usual).collect();
        values.push(last);
        series(&values)
    };
    let at = t(60);
    let usual_minute = with_last(0.02);
    let e = evaluate(&robust, &group(), Data::new(&usual_minute), at);
    assert_eq!(e.state, State::Ok, "{}", e.reason);
    // 0.2 from the median 0, against 1.4826 × 0.015 (the errors' median distance) × √(24/59)
    // (their share of the history).
    let rise = with_last(0.2);
    let e = evaluate(&robust, &group(), Data::new(&rise), at);
    assert_eq!(e.state, State::Alert, "{}", e.reason);
    assert!(e.reason.contains("is 14.1σ above"), "{}", e.reason);
}

/// A flat series with two wild points in its history: they are few, and do not hide a new
/// one (nor does a wiggle of the flat value page).
#[test]
fn robust_baseline_of_a_flat_history_with_two_spikes_still_pages_on_a_third() {
    let robust = monitor(Rule::Baseline(baseline(
        Method::Robust,
        Seasonality::None,
        3600,
    )));
    let with_last = |last: f64| {
        let mut values = vec![10.0; 60];
        values[10] = 500.0;
        values[20] = -400.0;
        values.push(last);
        series(&values)
    };
    let at = t(60);
    let spike = with_last(1000.0);
    let e = evaluate(&robust, &group(), Data::new(&spike), at);
    assert_eq!(e.state, State::Alert, "{}", e.reason);
    let wiggle = with_last(11.0);
    let e = evaluate(&robust, &group(), Data::new(&wiggle), at);
    assert_eq!(e.state, State::Ok, "{}", e.reason);
}

#[test]
fn baseline_learning_its_history_raises_nothing() {
    let points = series(&[1.0, 1.0, 50.0]);
    let m = monitor(Rule::Baseline(baseline(
        Method::Mean,
        Seasonality::None,
        3600,
    )));
    let e = evaluate(&m, &group(), Data::new(&points), t(2));
    assert_eq!(e.state, State::Ok);
    assert!(e.reason.contains("learning"), "{}", e.reason);
}

#[test]
fn daily_seasonal_baseline_does_not_page_on_the_usual_evening_peak() {
    // Four days at 10-minute cadence: 1.0 all day, 5.0 from 18:00 to 20:00.
    let day = |i: i64| {
        if (i % 144) / 6 >= 18 && (i % 144) / 6 < 20 {
            5.0
        } else {
            1.0
        }
    };
    let values: Vec<f64> = (0..4 * 144)
        .map(|i| day(i) + 0.01 * ((i % 5) as f64))
        .collect();
    let points: Vec<Point> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Point::new(t(10 * i as i64), *v))
        .collect();
    let evening = t(10 * (3 * 144 + 18 * 6 + 3));
    let mut flat = monitor(Rule::Baseline(baseline(
        Method::Robust,
        Seasonality::None,
        2 * 86_400,
    )));
    flat.window_secs = 600;
    let mut seasonal = monitor(Rule::Baseline(Baseline {
        min_spread: 0.05,
        ..baseline(Method::Robust, Seasonality::Daily, 3 * 86_400)
    }));
    seasonal.window_secs = 600;
    seasonal.every_secs = 600;
    flat.every_secs = 600;
    let e = evaluate(&seasonal, &group(), Data::new(&points), evening);
    assert_eq!(e.state, State::Ok, "{}", e.reason);
    assert!(e.reason.contains("for this hour of day"), "{}", e.reason);
    assert_eq!(
        evaluate(&flat, &group(), Data::new(&points), evening).state,
        State::Alert
    );
}

/// A week's history, weekly seasonality, in a zone with DST: the week after the clocks go
/// back, "the same time last week" is 169 hours ago, past a history of 168. The
/// baseline still reads that slot (from the data the monitor's look-back asks for),
/// so the monitor keeps its verdicts instead of learning for a week.
#[test]
fn a_weekly_baseline_keeps_last_weeks_slot_across_the_autumn_clock_change() {
    // Tuesday 2025-10-28 12:00 in Berlin (CET); the clocks went back on Sunday the 26th.
    let at = Timestamp::from_secs(1_761_649_200);
    let mut m = monitor(Rule::Baseline(Baseline {
        min_points: 5,
        ..baseline(Method::Mean, Seasonality::Weekly, 7 * 86_400)
    }));
    m.time_zone = TimeZone::get("Europe/Berlin").unwrap();
    m.replay = 1;
    assert_eq!(m.lookback_secs(), 60 + 60 + 7 * 86_400 + 30 * 60 + 2 * 3600);
    // Minute points from as far back as the monitor reads, 1.0 with a little noise.
    let from = at.millis() / 1000 - i64::try_from(m.lookback_secs()).unwrap();
    let history = |last: f64| -> Vec<Point> {
        let mut points: Vec<Point> = (from..at.millis() / 1000)
            .step_by(60)
            .map(|s| Point::new(Timestamp::from_secs(s), 1.0 + 0.01 * ((s / 60) % 5) as f64))
            .collect();
        points.push(Point::new(at, last));
        points
    };
    let usual = evaluate(&m, &group(), Data::new(&history(1.02)), at);
    assert_eq!(usual.state, State::Ok, "{}", usual.reason);
    assert!(
        usual.reason.contains("for this hour of week"),
        "{}",
        usual.reason
    );
    let spike = evaluate(&m, &group(), Data::new(&history(3.0)), at);
    assert_eq!(spike.state, State::Alert, "{}", spike.reason);
}

/// A recovery of more clean evaluations than the replay holds: each run evaluates afresh,
/// and once the breach that fired falls out of a 5-instant replay nothing would show the
/// alert; the replay reaches back as far as the recovery needs.
#[test]
fn a_recovery_longer_than_the_replay_waits_for_all_its_clean_evaluations() {
    let mut m = monitor(Rule::Threshold(above(None, 10.0)));
    m.replay = 5;
    m.recovery_clean = 10;
    assert_eq!(m.replay_instants(), 10);
    assert_eq!(m.lookback_secs(), 10 * 60 + 60);
    let mut values = vec![1.0; 30];
    values[10] = 50.0;
    let points = series(&values);
    // Evaluated afresh at each minute, as each evaluator run does.
    let fresh: Vec<State> = (0..30)
        .map(|k| evaluate(&m, &group(), Data::new(&points[..=k]), t(k as i64)).state)
        .collect();
    let alert: Vec<usize> = (0..30).filter(|&k| fresh[k] == State::Alert).collect();
    // Fired at minute 10; nine clean minutes later still firing; the tenth recovers.
    assert_eq!(alert, (10..20).collect::<Vec<_>>(), "{fresh:?}");
}

#[test]
fn baseline_direction_below_ignores_a_rise() {
    let mut values: Vec<f64> = (0..60).map(|i| 1.0 + 0.1 * f64::from(i % 3)).collect();
    values.push(3.0);
    let points = series(&values);
    let m = monitor(Rule::Baseline(Baseline {
        direction: Direction::Below,
        ..baseline(Method::Mean, Seasonality::None, 3600)
    }));
    let e = evaluate(&m, &group(), Data::new(&points), t(60));
    assert_eq!(e.state, State::Ok);
    assert_eq!(e.score, 0.0);
    // The threshold it reports is the one it pages on: below the baseline.
    let threshold = e.threshold.unwrap();
    assert!(threshold < 1.1, "{threshold}");
}

fn business_hours() -> ScheduledThreshold {
    ScheduledThreshold {
        windows: vec![(
            TimeWindow {
                name: "business hours".into(),
                days: [true; 7],
                from_minute: 9 * 60,
                to_minute: 18 * 60,
            },
            above(None, 10.0),
        )],
        otherwise: above(None, 3.0),
    }
}

#[test]
fn time_of_day_schedule_follows_berlin_wall_clock_across_the_spring_dst_change() {
    let mut m = monitor(Rule::Schedule(business_hours()));
    m.time_zone = TimeZone::get("Europe/Berlin").unwrap();
    let at = |s: &str| Timestamp::parse(s).unwrap();
    let value_at = |ts: Timestamp| vec![Point::new(ts, 5.0)];
    // 2026-03-29 is the last Sunday of March: Berlin moves from UTC+1 to UTC+2.
    // 08:30 UTC is 09:30 in Berlin before and 10:30 after: business hours both days.
    // 07:30 UTC is 08:30 before (night thresholds) and 09:30 after (business hours).
    for (ts, firing) in [
        (at("2026-03-28T08:30:00Z"), false),
        (at("2026-03-30T08:30:00Z"), false),
        (at("2026-03-28T07:30:00Z"), true),
        (at("2026-03-30T07:30:00Z"), false),
    ] {
        let points = value_at(ts);
        let e = evaluate(&m, &group(), Data::new(&points), ts);
        assert_eq!(e.state.is_firing(), firing, "{ts}: {}", e.reason);
    }
}

#[test]
fn time_of_day_schedule_follows_berlin_wall_clock_across_the_autumn_dst_change() {
    let mut m = monitor(Rule::Schedule(business_hours()));
    m.time_zone = TimeZone::get("Europe/Berlin").unwrap();
    let at = |s: &str| Timestamp::parse(s).unwrap();
    // 2026-10-25, last Sunday of October: back to UTC+1. 17:30 UTC is 19:30 before
    // (night) and 18:30 after (night); 16:30 UTC is 18:30 before and 17:30 after.
    for (ts, firing) in [
        (at("2026-10-24T16:30:00Z"), true),
        (at("2026-10-26T16:30:00Z"), false),
        (at("2026-10-26T17:30:00Z"), true),
    ] {
        let points = vec![Point::new(ts, 5.0)];
        let e = evaluate(&m, &group(), Data::new(&points), ts);
        assert_eq!(e.state.is_firing(), firing, "{ts}: {}", e.reason);
        assert!(e.reason.contains("thresholds"), "{}", e.reason);
    }
}

#[test]
fn overnight_window_belongs_to_the_day_it_started() {
    let night = TimeWindow {
        name: "friday night".into(),
        days: [false, false, false, false, true, false, false],
        from_minute: 22 * 60,
        to_minute: 6 * 60,
    };
    use jiff::civil::Weekday::*;
    assert!(night.contains(Friday, 23 * 60));
    assert!(night.contains(Saturday, 60));
    assert!(!night.contains(Friday, 60));
    assert!(!night.contains(Saturday, 23 * 60));
}

#[test]
fn flapping_data_does_not_flap_the_alert() {
    let mut m = monitor(Rule::Threshold(above(None, 5.0)));
    m.trigger = Trigger { breaches: 3, of: 5 };
    m.recovery_clean = 4;
    // Alternating breach and clean for 20 minutes, then calm.
    let mut values: Vec<f64> = (0..20)
        .map(|i| if i % 2 == 0 { 9.0 } else { 1.0 })
        .collect();
    values.extend([1.0; 6]);
    let got = states(&m, &series(&values));
    assert_eq!(changes(&got), 2, "{got:?}");
    assert_eq!(got[4], State::Alert, "fires on the third breach of five");
    assert_eq!(
        got[21],
        State::Alert,
        "three clean evaluations are not enough"
    );
    assert_eq!(got[22], State::Ok, "recovers after four clean ones");

    let naive = states(
        &monitor(Rule::Threshold(above(None, 5.0))),
        &series(&values),
    );
    assert!(changes(&naive) >= 19, "without windows it flaps: {naive:?}");
}

#[test]
fn first_breach_is_the_earliest_breach_of_the_trigger_window() {
    let mut m = monitor(Rule::Threshold(above(None, 5.0)));
    m.trigger = Trigger { breaches: 2, of: 3 };
    let points = series(&[1.0, 9.0, 1.0, 9.0, 9.0]);
    let e = evaluate(&m, &group(), Data::new(&points), t(3));
    assert_eq!(e.state, State::Alert);
    assert_eq!(e.first_breach_at, Some(t(1)));
    assert!(e.changed());
}

#[test]
fn no_data_policies_ignore_warn_alert_and_resolve() {
    let points = series(&[9.0, 9.0]);
    let later = t(10);
    let mut m = monitor(Rule::Threshold(above(None, 5.0)));
    let expect = [
        (NoDataPolicy::Ignore, State::Alert),
        (NoDataPolicy::Warn, State::NoData),
        (NoDataPolicy::Alert, State::NoData),
        (NoDataPolicy::Resolve, State::Ok),
    ];
    for (policy, state) in expect {
        m.no_data = policy;
        let e = evaluate(&m, &group(), Data::new(&points), later);
        assert_eq!(e.state, state, "{policy:?}: {}", e.reason);
    }
    m.no_data = NoDataPolicy::Alert;
    assert_eq!(level_of(&m, State::NoData), Level::L2);
    m.no_data = NoDataPolicy::Warn;
    assert_eq!(level_of(&m, State::NoData), Level::L1);
}

/// A comparison of the model's stable version by `change` levels.
fn version_compare(change: Threshold) -> Rule {
    Rule::VersionCompare(VersionCompare {
        stable_version: None,
        change,
    })
}

#[test]
fn version_comparison_alerts_when_the_new_version_is_slower_than_stable() {
    let m = monitor(version_compare(above(Some(0.1), 0.25)));
    let stable = series(&[1.0, 1.0]);
    for (canary, state) in [(1.05, State::Ok), (1.15, State::Warn), (1.4, State::Alert)] {
        let new = series(&[canary, canary]);
        let e = evaluate(&m, &group(), Data::with_stable(&new, "v3", &stable), t(1));
        assert_eq!(e.state, state, "{}", e.reason);
        assert!(e.reason.contains("stable version v3"), "{}", e.reason);
    }
    let new = series(&[2.0, 2.0]);
    let e = evaluate(&m, &group(), Data::new(&new), t(1));
    assert_eq!(
        e.state,
        State::Ok,
        "no stable data is no data, ignored here"
    );
}

#[test]
fn a_version_comparison_in_alert_steps_down_to_warn_as_a_threshold_does() {
    let m = monitor(version_compare(Threshold {
        warning_recovery: Some(0.05),
        ..above(Some(0.1), 0.25)
    }));
    let stable = series(&[1.0; 4]);
    // 40 % worse, then 8 %: back under the warning level, not yet under its recovery.
    let new = series(&[1.4, 1.08, 1.08, 1.02]);
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::with_stable(&new, "v3", &stable));
    let got: Vec<State> = (0..4).map(|i| ev.at(t(i)).state).collect();
    use State::*;
    assert_eq!(got, [Alert, Warn, Warn, Ok]);
}

#[test]
fn a_version_comparison_in_alert_holds_until_past_its_critical_recovery_limit() {
    let m = monitor(version_compare(Threshold {
        critical_recovery: Some(0.2),
        ..above(Some(0.1), 0.25)
    }));
    let stable = series(&[1.0; 5]);
    // 40 % worse; 22 % (past the critical recovery limit, under the critical one) holds
    // the alert as a threshold's value does; 15 % warns; 2 % is clean.
    let new = series(&[1.4, 1.22, 1.22, 1.15, 1.02]);
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::with_stable(&new, "v3", &stable));
    let got: Vec<Evaluation> = (0..5).map(|i| ev.at(t(i))).collect();
    use State::*;
    let states: Vec<State> = got.iter().map(|e| e.state).collect();
    assert_eq!(states, [Alert, Alert, Alert, Warn, Ok]);
    let held = &got[1];
    assert!(
        held.reason
            .contains("not yet back within the critical recovery limit of +20%"),
        "{}",
        held.reason
    );
    let threshold = held.threshold.unwrap_or(f64::NAN);
    assert!((threshold - 1.2).abs() < 1e-9, "{threshold}");
}

#[test]
fn a_warning_spell_needs_the_trigger_window_to_alert_in_a_schedule_window_without_a_warning_level()
{
    // Warning and critical at night, only a critical level in business hours: a warning
    // spell that runs into business hours alerts on the window's third critical minute,
    // not on its first.
    let schedule = ScheduledThreshold {
        otherwise: above(Some(2.0), 10.0),
        ..business_hours()
    };
    let mut m = monitor(Rule::Schedule(schedule));
    m.trigger = Trigger { breaches: 3, of: 5 };
    let at = |minute: i64| t(9 * 60 - 3 + minute);
    let points: Vec<Point> = [5.0, 5.0, 5.0, 12.0, 12.0, 12.0]
        .iter()
        .enumerate()
        .map(|(i, v)| Point::new(at(i as i64), *v))
        .collect();
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::new(&points));
    let got: Vec<State> = (0..6).map(|i| ev.at(at(i)).state).collect();
    use State::*;
    assert_eq!(got, [Ok, Ok, Warn, Warn, Warn, Alert]);
    // A replay that begins inside the warning spell (as short as its trigger window) sees
    // it open on the critical minute, and warns there too.
    m.trigger = Trigger { breaches: 3, of: 3 };
    m.replay = 3;
    let e = evaluate(&m, &g, Data::new(&points), at(3));
    assert_eq!(e.state, Warn, "{}", e.reason);
    assert_eq!(evaluate(&m, &g, Data::new(&points), at(5)).state, Alert);
}

#[test]
fn composite_expression_parses_with_not_over_and_over_or() {
    let e = Expr::parse("a && !b || (c && d-1)").unwrap();
    assert_eq!(e.to_string(), "((a && !b) || (c && d-1))");
    assert_eq!(e.monitors(), ["a", "b", "c", "d-1"]);
    let err = Expr::parse("a && (b").unwrap_err();
    assert!(err.to_string().contains("missing )"), "{err}");
    assert!(Expr::parse("a &&").is_err());
}

#[test]
fn composite_follows_datadog_severity_order() {
    let e = Expr::parse("a && b").unwrap();
    let of = |a: State, b: State| move |n: &str| if n == "a" { a } else { b };
    assert_eq!(e.state(&of(State::Alert, State::Warn)), State::Warn);
    assert_eq!(e.state(&of(State::NoData, State::Alert)), State::NoData);
    let e = Expr::parse("a || b").unwrap();
    assert_eq!(e.state(&of(State::NoData, State::Warn)), State::Warn);
    let e = Expr::parse("!a").unwrap();
    assert_eq!(e.state(&of(State::Alert, State::Ok)), State::Ok);
    assert_eq!(e.state(&of(State::Ok, State::Ok)), State::Alert);
    assert_eq!(e.state(&of(State::Warn, State::Ok)), State::Warn);
}

#[test]
fn composite_over_two_groups_fires_only_where_both_monitors_fire() {
    let latency = monitor(Rule::Threshold(above(None, 5.0)));
    let errors = Monitor {
        id: "errors".into(),
        ..monitor(Rule::Threshold(above(None, 0.05)))
    };
    let v3 = Group::new("chat-large", Some("v3"), Some("prod"));
    let v4 = Group::new("chat-large", Some("v4"), Some("prod"));
    let only_latency = Group::new("embed-small", None, Some("prod"));
    let at = t(0);
    let run = |m: &Monitor, g: &Group, v: f64| {
        let p = vec![Point::new(at, v)];
        evaluate(m, g, Data::new(&p), at)
    };
    let mut children = BTreeMap::new();
    children.insert(
        "latency".to_owned(),
        BTreeMap::from([
            (v3.clone(), run(&latency, &v3, 9.0)),
            (v4.clone(), run(&latency, &v4, 9.0)),
            (only_latency.clone(), run(&latency, &only_latency, 9.0)),
        ]),
    );
    children.insert(
        "errors".to_owned(),
        BTreeMap::from([
            (v3.clone(), run(&errors, &v3, 0.2)),
            (v4.clone(), run(&errors, &v4, 0.01)),
        ]),
    );
    let expr = Expr::parse("latency && errors").unwrap();
    let got = evaluate_composite("slow-and-failing", &expr, &children, at);
    let by_group: BTreeMap<_, _> = got.iter().map(|e| (e.group.clone(), e.state)).collect();
    assert_eq!(by_group.len(), 2, "only the groups both monitors share");
    assert_eq!(by_group[&v3], State::Alert);
    assert_eq!(by_group[&v4], State::Ok);
    assert!(
        got[0].reason.contains("latency is alert"),
        "{}",
        got[0].reason
    );
}

/// A composite member's evaluation of `g` at `at`, its state unchanged.
fn member_of(g: &Group, at: Timestamp, id: &str, state: State) -> Evaluation {
    Evaluation {
        monitor: id.into(),
        group: g.clone(),
        at,
        state,
        previous: state,
        value: None,
        threshold: None,
        score: 0.0,
        reason: String::new(),
        first_breach_at: None,
        clear: false,
    }
}

#[test]
fn a_composite_fires_from_when_its_expression_began_to() {
    let g = Group::new("chat-large", Some("v3"), Some("prod"));
    let at = t(10_000);
    let member = |id: &str, state: State, since: Option<i64>| Evaluation {
        first_breach_at: since.map(t),
        ..member_of(&g, at, id, state)
    };
    let onset = |text: &str, members: &[Evaluation]| {
        let children = members
            .iter()
            .map(|e| (e.monitor.clone(), BTreeMap::from([(g.clone(), e.clone())])))
            .collect();
        let got = evaluate_composite("c", &Expr::parse(text).unwrap(), &children, at);
        got[0].first_breach_at
    };
    let firing = [
        member("a", State::Alert, Some(100)),
        member("b", State::Alert, Some(700)),
        member("c", State::Ok, None),
    ];
    // `&&` from when both fired; `||` from the first.
    assert_eq!(onset("a && b", &firing), Some(t(700)));
    assert_eq!(onset("a || b", &firing), Some(t(100)));
    assert_eq!(onset("(a || c) && b", &firing), Some(t(700)));
    assert_eq!(onset("c || b", &firing), Some(t(700)));
    // Not firing: no onset.
    assert_eq!(onset("a && c", &firing), None);
    // Under `!`, or from a member that does not say, unknown rather than a guess.
    assert_eq!(onset("a && !c", &firing), None);
    assert_eq!(onset("b || !c", &firing), None);
    let unsaid = [
        member("a", State::Alert, None),
        member("b", State::Alert, Some(700)),
    ];
    assert_eq!(onset("a || b", &unsaid), None);
    assert_eq!(onset("a && b", &unsaid), None);
}

#[test]
fn a_composite_ok_is_clear_only_whatever_its_held_members_are() {
    let g = Group::new("chat-large", Some("v3"), Some("prod"));
    let at = t(0);
    let member = |id: &str, state: State, clear: bool| Evaluation {
        clear,
        ..member_of(&g, at, id, state)
    };
    let clear_of = |text: &str, members: &[Evaluation]| {
        let children = members
            .iter()
            .map(|e| (e.monitor.clone(), BTreeMap::from([(g.clone(), e.clone())])))
            .collect();
        let expr = Expr::parse(text).unwrap();
        let got = evaluate_composite("c", &expr, &children, at);
        (got[0].state, got[0].clear)
    };
    let (a, b) = ("a", "b");
    // Both ok, both known: clear.
    let known = [member(a, State::Ok, true), member(b, State::Ok, true)];
    assert_eq!(clear_of("a && b", &known), (State::Ok, true));
    // `a` held at ok with `b` alerting: `a && b` could be alerting.
    let held = [member(a, State::Ok, false), member(b, State::Alert, false)];
    assert_eq!(clear_of("a && b", &held), (State::Ok, false));
    // With `b` known ok, `a && b` is ok whatever `a` is.
    let held = [member(a, State::Ok, false), member(b, State::Ok, true)];
    assert_eq!(clear_of("a && b", &held), (State::Ok, true));
    // Both held: `a && !b` is ok with both ok and both alerting, not with `a` alone.
    let held = [member(a, State::Ok, false), member(b, State::Ok, false)];
    assert_eq!(clear_of("a && !b", &held), (State::Ok, false));
    // `a` named twice: ok with `a` at ok or alert, firing with `a` at warn.
    let c = "c";
    let held = [
        member(a, State::Ok, false),
        member(b, State::Ok, true),
        member(c, State::Alert, false),
    ];
    assert_eq!(clear_of("(a || b) && !(a && c)", &held), (State::Ok, false));
}

#[test]
fn evaluation_is_a_pure_function_of_monitor_series_and_now() {
    let mut m = monitor(Rule::Baseline(baseline(
        Method::Robust,
        Seasonality::None,
        3600,
    )));
    m.trigger = Trigger { breaches: 2, of: 4 };
    m.recovery_clean = 3;
    let values: Vec<f64> = (0..90)
        .map(|i| {
            if (70..80).contains(&i) {
                9.0
            } else {
                1.0 + f64::from(i % 4) * 0.1
            }
        })
        .collect();
    let points = series(&values);
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::new(&points));
    for i in [60, 71, 75, 80, 82, 85] {
        let once = evaluate(&m, &g, Data::new(&points), t(i));
        assert_eq!(once, evaluate(&m, &g, Data::new(&points), t(i)));
        assert_eq!(
            once,
            ev.at(t(i)),
            "the backtest path answers like the live one"
        );
        // Points after `now` (a late invocation sees more data) change nothing.
        assert_eq!(
            once,
            evaluate(&m, &g, Data::new(&points[..=i as usize]), t(i))
        );
    }
}

#[test]
fn signal_ids_and_keys_come_from_the_evaluation_alone() {
    let mut m = monitor(Rule::Threshold(above(Some(3.0), 5.0)));
    m.trigger = Trigger { breaches: 2, of: 3 };
    let points = series(&[1.0, 9.0, 9.0, 9.0, 1.0]);
    let policy = EscalationPolicy::default();
    let g = group();
    let e = evaluate(&m, &g, Data::new(&points), t(2));
    let s = to_signal(&e, &m, &policy, Vec::new()).unwrap();
    assert_eq!(
        s.key.as_str(),
        "eval:latency|model:chat-large,model_version:v4,env:prod"
    );
    assert_eq!(
        s.id.as_str(),
        format!(
            "eval:latency:model:chat-large,model_version:v4,env:prod:alert:{}",
            t(1).millis()
        )
    );
    assert_eq!(s.at, t(2));
    let SignalKind::Breach { breach, .. } = &s.kind else {
        panic!("expected a breach, got {:?}", s.kind);
    };
    assert_eq!(breach.state, BreachState::Alert);
    assert_eq!(breach.level, Level::L2);
    assert_eq!(breach.first_breach_at, Some(t(1)));
    assert_eq!(
        breach.context.model.as_ref().unwrap().to_string(),
        "chat-large@v4"
    );
    assert!(breach.context.tags.contains(&"team:chat".to_owned()));
    assert_eq!(s, to_signal(&e, &m, &policy, Vec::new()).unwrap());

    let ok = evaluate(&m, &g, Data::new(&points), t(4));
    assert!(matches!(
        to_signal(&ok, &m, &policy, Vec::new()).unwrap().kind,
        SignalKind::Recovered { .. }
    ));
}

#[test]
fn the_anomaly_rule_answers_alike_live_and_in_a_backtest() {
    let mut m = monitor(Rule::Anomaly(Anomaly {
        direction: Direction::Both,
        false_alert_secs: 30 * 86_400,
        quiet_secs: 6 * 3600,
        history_secs: 22 * 86_400,
    }));
    m.window_secs = 300;
    // Two days of minute data with a small wave, then a jump that persists.
    let values: Vec<f64> = (0..3000)
        .map(|i| {
            let wave = f64::from(i % 7) * 0.1;
            if i >= 2900 { 50.0 + wave } else { 10.0 + wave }
        })
        .collect();
    let points = series(&values);
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::new(&points));
    let mut opened = 0;
    for i in [1000, 2899, 2900, 2901, 2950, 2999] {
        let once = evaluate(&m, &g, Data::new(&points), t(i));
        assert_eq!(
            once,
            ev.at(t(i)),
            "the backtest path answers like the live one"
        );
        assert_eq!(
            once,
            evaluate(&m, &g, Data::new(&points[..=i as usize]), t(i)),
            "points after now change nothing"
        );
        if once.changed() && once.state == State::Alert {
            opened += 1;
            assert!(
                once.reason.contains("is above its expected"),
                "{}",
                once.reason
            );
            assert_eq!(once.first_breach_at, Some(t(2900)));
        }
    }
    assert_eq!(opened, 1, "the jump opens one alert");
    // An hour after the jump the alert is still the same one, and the new level ordinary.
    let later = ev.at(t(2999));
    assert_eq!(later.state, State::Alert);
    assert!(later.score < 0.999, "{}", later.score);
}

#[test]
fn an_empty_window_within_datadogs_reporting_delay_is_late_not_without_data() {
    let mut m = monitor(Rule::Threshold(above(None, 5.0)));
    m.no_data = NoDataPolicy::Alert;
    let points = series(&[1.0, 1.0]);
    // The window is a minute; the newest point (minute 1) is two minutes old at minute 3.
    let late = evaluate(&m, &group(), Data::new(&points), t(3));
    assert_eq!(late.state, State::Ok, "{}", late.reason);
    assert!(
        late.reason.contains("may still be delivering"),
        "{}",
        late.reason
    );
    let silent = evaluate(&m, &group(), Data::new(&points), t(4));
    assert_eq!(silent.state, State::NoData, "{}", silent.reason);
    assert!(
        silent.reason.contains("in the last 3 min"),
        "{}",
        silent.reason
    );
}

#[test]
fn an_anomaly_monitors_steady_silence_is_one_change() {
    let mut m = monitor(Rule::Anomaly(Anomaly {
        direction: Direction::Both,
        false_alert_secs: 30 * 86_400,
        quiet_secs: 6 * 3600,
        history_secs: 22 * 86_400,
    }));
    m.window_secs = 300;
    m.no_data = NoDataPolicy::Alert;
    let values: Vec<f64> = (0..2000).map(|i| 10.0 + f64::from(i % 7) * 0.1).collect();
    let points = series(&values);
    let g = group();
    let mut ev = Evaluator::new(&m, &g, Data::new(&points));
    // The newest point is at minute 1999: without data from minute 2006 on (5 + 2 min).
    let states: Vec<(State, bool)> = (2000..2020)
        .map(|i| {
            let e = ev.at(t(i));
            (e.state, e.changed())
        })
        .collect();
    let changes: Vec<usize> = (0..states.len()).filter(|i| states[*i].1).collect();
    assert_eq!(changes, vec![6], "{states:?}");
    assert_eq!(states[6].0, State::NoData);
}

mod carried_replay {
    //! The evaluator carries its replay from instant to instant; whatever the data, the
    //! trigger and recovery windows and the order of the instants asked, each answer must
    //! be exactly the one a fresh evaluation gives.

    use proptest::prelude::*;

    use super::*;

    fn levels() -> impl Strategy<Value = Vec<f64>> {
        // Values around the levels below, so ok, warn, hold and alert all occur.
        prop::collection::vec(
            prop_oneof![Just(1.0), Just(4.0), Just(6.0), Just(8.5), Just(12.0)],
            1..160,
        )
    }

    fn hysteresis() -> Threshold {
        Threshold {
            warning: Some(5.0),
            warning_recovery: Some(3.0),
            critical_recovery: Some(8.0),
            ..above(Some(5.0), 10.0)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn sequential_answers_are_fresh_answers(
            values in levels(),
            of in 1u32..8,
            breaches_seed in 0u32..8,
            recovery_clean in 1u32..6,
            replay in 1u32..24,
            deviation in any::<bool>(),
            no_data in 0u8..3,
            asked in prop::collection::vec(0usize..200, 0..12),
        ) {
            let rule = if deviation {
                Rule::Baseline(Baseline {
                    warn_sigmas: Some(1.0),
                    immediate_sigmas: Some(4.0),
                    min_points: 3,
                    ..baseline(Method::Mean, Seasonality::None, 20 * 60)
                })
            } else {
                Rule::Threshold(hysteresis())
            };
            let mut m = monitor(rule);
            m.trigger = Trigger { breaches: breaches_seed % of + 1, of };
            m.recovery_clean = recovery_clean;
            m.replay = replay.max(of);
            // No-data spells too, and the values that hold after them.
            m.no_data = [NoDataPolicy::Ignore, NoDataPolicy::Warn, NoDataPolicy::Alert]
                [usize::from(no_data)];
            // A gap in the data, so no-data instants are replayed too.
            let points: Vec<Point> = series(&values)
                .into_iter()
                .filter(|p| !(40..47).contains(&((p.at.millis() - t(0).millis()) / 60_000)))
                .collect();
            let g = group();
            let mut ev = Evaluator::new(&m, &g, Data::new(&points));
            // Every minute in order, then instants in any order (gaps, repeats, going back).
            let minutes = (0..values.len()).chain(asked);
            for i in minutes {
                let now = t(i as i64);
                let fresh = evaluate(&m, &g, Data::new(&points), now);
                prop_assert_eq!(ev.at(now), fresh.clone(), "at minute {}", i);
                let mut again = Evaluator::new(&m, &g, Data::new(&points));
                again.at(t(i as i64 - 1));
                let (previous, state, score) = again.states(now);
                prop_assert_eq!((previous, state, score), (fresh.previous, fresh.state, fresh.score));
                prop_assert_eq!(again.clear_at(now), fresh.clear, "clear at minute {}", i);
            }
        }
    }
}
