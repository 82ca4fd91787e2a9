//! Report content on a fixed, hand-built alert history: every figure worked out by hand.

use std::collections::BTreeMap;

use super::chart::render;
use super::demo::{DemoSize, demo};
use super::slack::{SlackUser, render as render_slack, section_key};
use super::*;
use crate::domain::{Alert, AlertKey, Level, Mark, ModelRef, Status, Timestamp};
use crate::domain::{CycleSnapshot, HistoryEntry, HistoryOutcome, SignalName, Source};
use crate::slack::{ChannelId, SlackFile};

/// Monday 17 Nov 2025 00:00 UTC: the week reported on starts here.
fn week_start() -> Timestamp {
    Timestamp::parse("2025-11-17T00:00:00Z").unwrap()
}

/// Tuesday of that week, plus `m` minutes.
fn tue(m: i64) -> Timestamp {
    Timestamp::from_millis(week_start().millis() + (24 * 60 + m) * 60_000)
}

fn week() -> Period {
    Period::new(week_start(), week_start().plus_secs(WEEK_SECS)).unwrap()
}

fn snap(model: &str, monitor: &str, level: Level) -> CycleSnapshot {
    CycleSnapshot {
        model: Some(ModelRef::new(model, None).unwrap()),
        monitor_id: monitor.into(),
        title: format!("monitor {monitor}"),
        environment: None,
        level,
        first_breach_at: None,
        opened_at: None,
        detected_at: None,
        acknowledged: None,
        resolved_at: None,
        false_positive: None,
        flapping: false,
    }
}

fn mark(at: Timestamp) -> Option<Mark> {
    Some(Mark {
        by: "ana".into(),
        at,
    })
}

fn entry(key: &str, cycle: u32, at: Timestamp, snapshot: &CycleSnapshot) -> HistoryEntry {
    HistoryEntry {
        alert_key: AlertKey::new(key).unwrap(),
        at,
        // Written in the order of their times, unless a test says otherwise.
        version: at.millis().unsigned_abs(),
        signal: SignalName::Triggered,
        source: Source::Datadog,
        outcome: HistoryOutcome::Applied,
        status: Status::Open,
        level: snapshot.level,
        cycle,
        actions: Vec::new(),
        ttl: 0,
        snapshot: snapshot.clone(),
    }
}

/// Five cycles in the week (A to E), one the week before (F) and a stray cycle-0 entry.
///
/// | cycle | level | first breach | opened | detected | acked | resolved | note |
/// |---|---|---|---|---|---|---|---|
/// | A chat m1 #1 | L2 | +0 | +3 | +4 | +13 | +63 | |
/// | B chat m2 #1 | L1 | +100 | +102 | +102 | — | +132 | never acknowledged |
/// | C embed m1 #1 | L3 | +200 | +210 | +211 | +215 | — | still open |
/// | D chat m2 #2 | L1 | +300 | +301 | +301 | +303 | +306 | false positive |
/// | E chat m1 #2 | L2 | — | +400 | +400.5 | +420 | +520 | no first breach |
///
/// (minutes after Tuesday 00:00 UTC)
fn history() -> Vec<HistoryEntry> {
    let mut h = Vec::new();
    // A: three entries, the facts growing as the cycle goes on.
    let mut a = snap("chat", "m1", Level::L2);
    a.first_breach_at = Some(tue(0));
    a.opened_at = Some(tue(3));
    a.detected_at = Some(tue(4));
    h.push(entry("m1|chat", 1, tue(4), &a));
    a.acknowledged = mark(tue(13));
    h.push(entry("m1|chat", 1, tue(13), &a));
    a.resolved_at = Some(tue(63));
    h.push(entry("m1|chat", 1, tue(63), &a));
    // B: opened and recovered, nobody acknowledged.
    let mut b = snap("chat", "m2", Level::L1);
    b.first_breach_at = Some(tue(100));
    b.opened_at = Some(tue(102));
    b.detected_at = Some(tue(102));
    h.push(entry("m2|chat", 1, tue(102), &b));
    b.resolved_at = Some(tue(132));
    h.push(entry("m2|chat", 1, tue(132), &b));
    // C: acknowledged, still open.
    let mut c = snap("embed", "m1", Level::L3);
    c.first_breach_at = Some(tue(200));
    c.opened_at = Some(tue(210));
    c.detected_at = Some(tue(211));
    h.push(entry("m1|embed", 1, tue(211), &c));
    c.acknowledged = mark(tue(215));
    h.push(entry("m1|embed", 1, tue(215), &c));
    // D: marked false positive, then resolved.
    let mut d = snap("chat", "m2", Level::L1);
    d.first_breach_at = Some(tue(300));
    d.opened_at = Some(tue(301));
    d.detected_at = Some(tue(301));
    d.acknowledged = mark(tue(303));
    d.false_positive = mark(tue(305));
    d.resolved_at = Some(tue(306));
    h.push(entry("m2|chat", 2, tue(306), &d));
    // E: the source did not say when it first breached.
    let mut e = snap("chat", "m1", Level::L2);
    e.opened_at = Some(tue(400));
    e.detected_at = Some(Timestamp::from_millis(tue(400).millis() + 30_000));
    e.acknowledged = mark(tue(420));
    h.push(entry("m1|chat", 2, tue(420), &e));
    e.resolved_at = Some(tue(520));
    h.push(entry("m1|chat", 2, tue(520), &e));
    // F: the week before, acknowledged after 5 minutes.
    let mut f = snap("chat", "m3", Level::L1);
    f.opened_at = Some(tue(-7 * 24 * 60));
    f.acknowledged = mark(tue(-7 * 24 * 60 + 5));
    h.push(entry("m3|chat", 1, tue(-7 * 24 * 60 + 5), &f));
    // G: the week before too, marked false positive: no incident of that week either.
    let mut g = snap("chat", "m4", Level::L1);
    g.opened_at = Some(tue(-7 * 24 * 60 + 60));
    g.false_positive = mark(tue(-7 * 24 * 60 + 65));
    h.push(entry("m4|chat", 1, tue(-7 * 24 * 60 + 65), &g));
    // A recovery for an alert that never opened: cycle 0, ignored.
    h.push(entry("m9|chat", 0, tue(50), &snap("chat", "m9", Level::L1)));
    h
}

/// The zone the tests' reports are titled in.
static UTC: jiff::tz::TimeZone = jiff::tz::TimeZone::UTC;

fn input(history: &[HistoryEntry]) -> ReportInput<'_> {
    ReportInput {
        period: week(),
        metrics: &[],
        business: &[],
        open_alerts: &[],
        history,
        quiet: &[],
        zone: &UTC,
    }
}

fn figures(history: &[HistoryEntry]) -> WeeklyFigures {
    weekly_figures(&input(history), &Thresholds::default())
}

fn team() -> Audience {
    Audience::everything("ml-team")
}

#[test]
fn cycles_take_the_last_snapshot_and_skip_cycle_zero() {
    let all = cycles(&history());
    // A, B, C, D, E, F, G; the cycle-0 entry is left out.
    assert_eq!(all.len(), 7);
    let a = all
        .iter()
        .find(|c| c.alert_key == "m1|chat" && c.cycle == 1)
        .unwrap();
    assert_eq!(a.signals, 3);
    assert_eq!(a.facts.resolved_at, Some(tue(63)));
    assert_eq!(counted_in(&all, week()).len(), 5);
}

#[test]
fn a_cycle_detected_after_a_report_ran_counts_in_the_next_report() {
    // Breached at the end of the week, detected two minutes into the next: this week's
    // report (run at the end) had no history of it; next week's counts it.
    let end = week().end();
    let mut s = snap("chat", "m1", Level::L2);
    s.opened_at = Some(end.minus_secs(60));
    s.detected_at = Some(end.plus_secs(120));
    let h = vec![entry("m1|chat", 1, end.plus_secs(120), &s)];
    let all = cycles(&h);
    assert!(counted_in(&all, week()).is_empty());
    let next = Period::week_ending(end.plus_secs(7 * 24 * 3600));
    assert_eq!(counted_in(&all, next).len(), 1);
    // Without a detection time, its opening decides.
    s.detected_at = None;
    let all = cycles(&[entry("m1|chat", 1, end.plus_secs(120), &s)]);
    assert_eq!(counted_in(&all, week()).len(), 1);
}

/// The evaluator dates its writes at the minute it evaluated; the clock and the intake at
/// the moment they write. A resolve dated 12:05:00 but written after a tick dated
/// 12:05:02 is the cycle's last word: the cycle is resolved, not "still open".
#[test]
fn a_cycle_ends_with_its_last_written_entry_not_its_latest_dated_one() {
    let mut open = snap("chat", "m1", Level::L2);
    open.opened_at = Some(tue(0));
    let mut resolved = open.clone();
    resolved.resolved_at = Some(tue(5));
    let mut tick = entry("m1|chat", 1, tue(5).plus_secs(2), &open);
    tick.version = 2;
    let mut resolve = entry("m1|chat", 1, tue(5), &resolved);
    resolve.version = 3;
    let all = cycles(&[resolve, tick]);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].facts.resolved_at, Some(tue(5)));
}

#[test]
fn time_to_acknowledge_runs_to_the_first_acknowledgement_though_it_ran_out() {
    // Acknowledged 5 minutes after opening, the acknowledgement ran out (PagerDuty's
    // unacknowledge) at 35, acknowledged again at 50, resolved at 60.
    let mut s = snap("chat", "m1", Level::L2);
    s.opened_at = Some(tue(0));
    let mut h = vec![entry("m1|chat", 1, tue(0), &s)];
    s.acknowledged = mark(tue(5));
    h.push(entry("m1|chat", 1, tue(5), &s));
    s.acknowledged = None;
    h.push(entry("m1|chat", 1, tue(35), &s));
    s.acknowledged = mark(tue(50));
    h.push(entry("m1|chat", 1, tue(50), &s));
    s.resolved_at = Some(tue(60));
    h.push(entry("m1|chat", 1, tue(60), &s));
    let all = cycles(&h);
    assert_eq!(all[0].facts.acknowledged, mark(tue(5)));
    // Ran out and never acknowledged again: still acknowledged at 5 minutes.
    h.truncate(3);
    assert_eq!(cycles(&h)[0].facts.acknowledged, mark(tue(5)));
}

#[test]
fn mttd_mtta_mttr_match_the_hand_computed_figures() {
    let f = figures(&history());
    let r = &f.response;
    // D is a false positive: left out. Real cycles: A, B, C, E.
    assert_eq!(r.false_positives_left_out, 1);

    // MTTD (first breach → detected): A 4 - 0 = 4 min = 240 s, B 102 - 100 = 2 min = 120 s,
    // C 211 - 200 = 11 min = 660 s; E has no first breach. Sorted 120, 240, 660: median 240.
    assert_eq!(r.detect.median_secs, Some(240));
    assert_eq!(r.detect.measured, 3);
    assert_eq!(r.detect.unmeasured, 1);
    let slow = r.detect.slowest.as_ref().unwrap();
    assert_eq!((slow.secs, slow.alert_key.as_str()), (660, "m1|embed"));

    // MTTA (opened → acknowledged): A 13 - 3 = 10 min = 600 s, C 215 - 210 = 5 min = 300 s,
    // E 420 - 400 = 20 min = 1200 s; B never acknowledged. Sorted 300, 600, 1200: median 600.
    assert_eq!(r.acknowledge.median_secs, Some(600));
    assert_eq!(r.acknowledge.unmeasured, 1);
    assert_eq!(r.acknowledge.slowest.as_ref().unwrap().secs, 1200);

    // MTTR (opened → resolved): A 63 - 3 = 60 min = 3600 s, B 132 - 102 = 30 min = 1800 s,
    // E 520 - 400 = 120 min = 7200 s; C still open. Sorted 1800, 3600, 7200: median 3600.
    assert_eq!(r.resolve.median_secs, Some(3600));
    assert_eq!(r.resolve.unmeasured, 1);
    assert_eq!(r.resolve.slowest.as_ref().unwrap().secs, 7200);
}

#[test]
fn accuracy_counts_false_positives_over_every_cycle_of_the_week() {
    let f = figures(&history());
    // 5 cycles opened this week (A to E), 1 false positive (D): 4 / 5 = 0.8.
    assert_eq!(f.accuracy.cycles, 5);
    assert_eq!(f.accuracy.false_positives, 1);
    assert_eq!(f.accuracy.share(), Some(0.8));
}

#[test]
fn incidents_per_day_go_by_the_utc_day_they_opened_on() {
    // A week of a schedule at 08:00 New York (13:00 UTC in winter): the incident opened
    // Tuesday at 02:00 UTC is Tuesday's on the chart, not Monday's.
    let end = Timestamp::parse("2025-11-24T13:00:00Z").unwrap();
    let mut s = snap("chat", "m1", Level::L2);
    s.opened_at = Timestamp::parse("2025-11-18T02:00:00Z");
    let history = [entry("m1|chat", 1, s.opened_at.unwrap(), &s)];
    let input = ReportInput {
        period: Period::week_ending(end),
        ..input(&history)
    };
    let figures = weekly_figures(&input, &Thresholds::default());
    // The response chart's newest week is the period the headline measures.
    let newest = figures.response_by_week.last().unwrap().week;
    assert_eq!(newest, Period::week_ending(end));
    let days = figures.incidents.per_day;
    assert_eq!(
        days.len(),
        8,
        "Monday from 13:00, six whole days, Monday to 13:00"
    );
    let opened: Vec<String> = days
        .iter()
        .filter(|d| d.by_level.iter().sum::<usize>() > 0)
        .map(|d| d.day.start().to_string())
        .collect();
    assert_eq!(opened, ["2025-11-18T00:00:00Z"]);
}

#[test]
fn incidents_count_by_level_model_and_day() {
    let f = figures(&history());
    let i = &f.incidents;
    // L1: B; L2: A, E; L3: C. D, marked a false positive, is no incident.
    assert_eq!((i.total, i.false_positives), (4, 1));
    assert_eq!(i.by_level, [1, 2, 1]);
    assert_eq!(
        i.by_model,
        vec![
            ("chat".to_owned(), [1, 2, 0]),
            ("embed".to_owned(), [0, 0, 1])
        ]
    );
    // All on Tuesday, the second day of the week.
    assert_eq!(i.per_day.len(), 7);
    assert_eq!(i.per_day[1].by_level, [1, 2, 1]);
    assert_eq!(i.per_day[0].by_level, [0, 0, 0]);
}

#[test]
fn noisiest_monitors_rank_by_cycles_then_false_positives() {
    let f = figures(&history());
    // m1: A, C, E (3 cycles, 2 models); m2: B, D (2 cycles, 1 false positive).
    let ids: Vec<&str> = f.noisy.iter().map(|m| m.monitor_id.as_str()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(f.noisy[0].models, ["chat", "embed"]);
    assert_eq!(f.noisy[1].why(), "2 alerts, 1 false positive");
}

#[test]
fn response_times_per_week_put_the_week_before_first() {
    let f = figures(&history());
    assert_eq!(f.response_by_week.len(), 4);
    let this = f.response_by_week.last().unwrap();
    assert_eq!(this.week, week());
    assert_eq!(this.times, f.response);
    // F, the week before: acknowledged 5 min = 300 s after opening.
    let before = &f.response_by_week[2];
    assert_eq!(before.times.acknowledge.median_secs, Some(300));
}

#[test]
fn the_response_chart_has_calendar_weeks_whatever_the_period() {
    // Two days, as the demo reports: the chart's bars are still weeks, each labelled by its days.
    let two_days = Period::new(week_start().plus_secs(5 * DAY_SECS), week().end()).unwrap();
    let f = weekly_figures(
        &ReportInput {
            period: two_days,
            ..input(&history())
        },
        &Thresholds::default(),
    );
    let weeks: Vec<Period> = f.response_by_week.iter().map(|w| w.week).collect();
    assert_eq!(weeks.len(), 4);
    assert_eq!(weeks[3], week());
    assert!(weeks.iter().all(|w| w.secs() == WEEK_SECS));
    assert_eq!(weeks[2], week().previous());
    // The axis reads weeks: "17–23 Nov", not the day each week starts.
    let labels: Vec<String> = weeks.iter().map(|w| format::day_range(*w)).collect();
    assert_eq!(
        labels,
        ["27 Oct – 2 Nov", "3–9 Nov", "10–16 Nov", "17–23 Nov"]
    );
}

#[test]
fn an_even_number_of_cycles_takes_the_mean_of_the_middle_two() {
    // Only A and B resolved in the first two hours: MTTR 3600 and 1800, median (1800 + 3600) / 2 = 2700.
    let h: Vec<HistoryEntry> = history()
        .into_iter()
        .filter(|e| ["m2|chat", "m1|chat"].contains(&e.alert_key.as_str()) && e.cycle == 1)
        .collect();
    assert_eq!(figures(&h).response.resolve.median_secs, Some(2700));
}

#[test]
fn a_week_without_incidents_says_so_and_has_no_figures() {
    let f = figures(&[]);
    assert_eq!(f.incidents.total, 0);
    assert_eq!(f.response.resolve.median_secs, None);
    assert_eq!(f.accuracy.share(), None);
    assert!(f.noisy.is_empty());
    let report = weekly_report(&f, &[], &team(), &Thresholds::default(), &UTC);
    let lines: Vec<&str> = report
        .sections
        .iter()
        .flat_map(|s| s.lines.iter().map(|l| l.text.as_str()))
        .collect();
    assert!(
        lines.contains(&"No incidents opened this week."),
        "{lines:?}"
    );
    assert_eq!(report.summary, "0 incidents this week.");
    let slack = render_slack(&report, &channel(), &BTreeMap::new(), &Mentions::default());
    assert!(slack.messages().all(|m| m.violations().is_empty()));
}

/// A metric at zero all last week and up this week has no relative change to measure:
/// the weekly trends still name it as worse, as the daily check does, not "steady".
#[test]
fn a_rise_from_zero_is_a_weekly_trend_not_steady() {
    use super::metrics::{MetricKind, PeriodSeries};
    use super::trend::Trend;
    let points = |v: f64| vec![(week_start(), v)];
    let series = PeriodSeries {
        current: points(0.05),
        previous: points(0.0),
    };
    let rise = Trend::of(MetricKind::ErrorRate, &series, 0.05).expect("a trend");
    let flat = PeriodSeries {
        current: points(0.0),
        previous: points(0.0),
    };
    let flat = Trend::of(MetricKind::ErrorRate, &flat, 0.05).expect("a trend");
    let mut f = figures(&[]);
    f.trends = vec![
        ("chat".into(), vec![rise]),
        ("embed".into(), vec![flat]),
        ("classify".into(), Vec::new()),
    ];
    let report = weekly_report(&f, &[], &team(), &Thresholds::default(), &UTC);
    let trends = report
        .sections
        .iter()
        .find(|s| s.heading.starts_with("Performance trends"))
        .expect("trends");
    let line = |model: &str| {
        trends
            .lines
            .iter()
            .find(|l| l.lead.as_deref() == Some(model))
            .map(|l| (l.tone, l.text.clone()))
            .expect("a line")
    };
    let (tone, text) = line("chat");
    assert_eq!(tone, Tone::Watch, "{text}");
    assert!(text.contains("↑ from 0, worse"), "{text}");
    assert_eq!(line("embed"), (Tone::Good, "steady".to_owned()));
    // Its metrics all stopped: not steady.
    assert_eq!(
        line("classify"),
        (Tone::Watch, "no metrics this week".to_owned())
    );
}

/// An open alert people marked a false positive is no active incident: it neither counts
/// nor makes its model critical.
#[test]
fn an_open_false_positive_is_no_active_incident() {
    let period = Period::day_ending(Timestamp::parse("2025-11-24T08:00:00Z").unwrap());
    let opened = period.start().plus_secs(3600);
    let real = open_alert("m1|chat", "chat", Level::L3, opened);
    let mut marked = open_alert("m2|embed", "embed", Level::L3, opened);
    marked.false_positive = Some(Mark {
        by: "dana".into(),
        at: opened.plus_secs(60),
    });
    let th = Thresholds::default();
    let health = daily_health(period, &[], &[], &[real, marked], &th);
    let models: Vec<(&str, usize)> = health
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.incidents.len()))
        .collect();
    assert_eq!(models, [("chat", 1)]);
}

fn channel() -> ChannelId {
    ChannelId::new("C0123ABCD").unwrap()
}

fn open_alert(key: &str, model: &str, level: Level, opened: Timestamp) -> Alert {
    let mut a = Alert::blank(AlertKey::new(key).unwrap());
    a.cycle = 1;
    a.status = Status::Open;
    a.level = level;
    a.context.model = Some(ModelRef::new(model, None).unwrap());
    a.context.title = format!("{key} firing");
    a.opened_at = Some(opened);
    a
}

fn flat(
    metric: MetricKind,
    period: Period,
    current: f64,
    previous: f64,
) -> (MetricKind, PeriodSeries) {
    let points = |p: Period, v: f64| {
        (0..24)
            .map(|h| (p.start().plus_secs(h * 3600), v))
            .collect()
    };
    (
        metric,
        PeriodSeries {
            current: points(period, current),
            previous: points(period.previous(), previous),
        },
    )
}

#[test]
fn daily_verdicts_follow_incidents_trends_and_capacity() {
    let day = Period::day_ending(tue(24 * 60));
    let metrics = vec![
        ModelMetrics {
            model: "chat".into(),
            // p95 1300 against 1000 ms: +30%, worse.
            series: [flat(MetricKind::LatencyP95, day, 1300.0, 1000.0)].into(),
        },
        ModelMetrics {
            model: "embed".into(),
            series: [flat(MetricKind::GpuMemory, day, 90.0, 88.0)].into(),
        },
        ModelMetrics {
            model: "rerank".into(),
            series: [flat(MetricKind::ErrorRate, day, 1.0, 1.0)].into(),
        },
        // Configured, and silent all day: nothing known, not healthy.
        ModelMetrics {
            model: "classify".into(),
            series: Default::default(),
        },
    ];
    let alerts = vec![
        open_alert(
            "m1|summarise",
            "summarise",
            Level::L3,
            day.end().plus_secs(0),
        ),
        open_alert("m2|summarise", "summarise", Level::L1, day.start()),
    ];
    let health = daily_health(day, &metrics, &[], &alerts, &Thresholds::default());
    let verdicts: Vec<(&str, Verdict)> = health
        .models
        .iter()
        .map(|m| (m.model.as_str(), m.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("summarise", Verdict::Critical),
            ("chat", Verdict::Watch),
            ("embed", Verdict::Watch),
            ("classify", Verdict::NoData),
            ("rerank", Verdict::Healthy),
        ]
    );
    assert_eq!(health.models[3].reason(0.1), "no metrics this period");
    assert_eq!(Verdict::NoData.tone(), Tone::Watch);
    let summarise = &health.models[0];
    // Highest level first; the L1 has been open the whole 24 h.
    assert_eq!(summarise.incidents[0].level, Level::L3);
    assert_eq!(summarise.incidents[1].age_secs, Some(DAY_SECS));
    assert!(
        summarise.incidents[1]
            .sentence()
            .contains("open 1 d 0 h, not acknowledged")
    );
    let chat = &health.models[1];
    assert!(
        chat.reason(0.1)
            .contains("p95 latency 1.3 s, up 30% from 1.0 s (worse)"),
        "{}",
        chat.reason(0.1)
    );
    assert_eq!(health.models[2].capacity.len(), 1);
    assert_eq!(health.models[2].capacity[0].hour_mean, 90.0);
    let report = daily_report(&health, &metrics, &team(), &Thresholds::default(), &UTC);
    assert_eq!(report.charts().count(), 1, "one chart: chat's p95 latency");
    assert_eq!(
        report.summary,
        "5 models: 1 critical, 0 degraded, 2 worth watching, 1 healthy, 1 without data; 2 active incidents."
    );
}

/// User satisfaction, 78% today against 90% the day before.
fn satisfaction(period: Period) -> DeclaredSeries {
    let (_, series) = flat(MetricKind::ErrorRate, period, 78.0, 90.0);
    DeclaredSeries {
        metric: DeclaredMetric {
            name: "app.user_satisfaction".into(),
            label: "user satisfaction".into(),
            unit: Unit::Percent,
            scale: 100.0,
            better: Better::Up,
        },
        series,
    }
}

fn headings(report: &Report) -> Vec<&str> {
    report.sections.iter().map(|s| s.heading.as_str()).collect()
}

/// Every word of a report: title, summary, headings, lines, fields, chart titles.
fn words(report: &Report) -> String {
    let mut out = format!("{}\n{}\n", report.title, report.summary);
    for s in &report.sections {
        out.push_str(&s.heading);
        for l in &s.lines {
            out.push_str(&format!("\n{} {}", l.lead.as_deref().unwrap_or(""), l.text));
        }
        for f in &s.fields {
            out.push_str(&format!("\n{}: {}", f.label, f.value));
        }
        for c in &s.charts {
            out.push_str(&format!("\n[{}]", c.title));
        }
        out.push('\n');
    }
    out
}

#[test]
fn each_audience_gets_its_own_models_metrics_and_depth_of_the_same_day() {
    let day = Period::day_ending(tue(24 * 60));
    let metrics = vec![
        ModelMetrics {
            model: "chat".into(),
            series: [
                // p95 up 30%; error rate steady.
                flat(MetricKind::LatencyP95, day, 1300.0, 1000.0),
                flat(MetricKind::ErrorRate, day, 1.0, 1.0),
            ]
            .into(),
        },
        ModelMetrics {
            model: "embed".into(),
            series: [flat(MetricKind::GpuMemory, day, 60.0, 58.0)].into(),
        },
    ];
    let alerts = vec![open_alert("m1|embed", "embed", Level::L2, day.start())];
    let business = [satisfaction(day)];
    let input = ReportInput {
        period: day,
        metrics: &metrics,
        business: &business,
        open_alerts: &alerts,
        history: &[],
        quiet: &[],
        zone: &UTC,
    };
    let th = Thresholds::default();
    let chat_team = Audience {
        name: "chat-team".into(),
        depth: Depth::Detailed,
        models: vec!["chat".into()],
        metrics: vec![MetricKind::LatencyP95],
        business: vec![business[0].metric.clone()],
    };
    let team = compose(ReportKind::Daily, &chat_team, &input, &th);
    assert_eq!(
        headings(&team),
        ["At a glance", "Business metrics", "chat — worth watching"]
    );
    let text = words(&team);
    assert!(!text.contains("embed"), "another model's alert:\n{text}");
    let chat = &team.sections[2];
    assert_eq!(chat.model.as_deref(), Some("chat"));
    let labels: Vec<&str> = chat.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, ["p95 latency"], "only the audience's metrics");
    assert_eq!(chat.charts.len(), 1);
    assert_eq!(
        team.sections[1].lines[0].text, "78% (↓ 13%, worse)",
        "{text}"
    );

    let executives = Audience {
        name: "executives".into(),
        depth: Depth::Summary,
        ..Audience::everything("executives")
    };
    let executives = Audience {
        business: vec![business[0].metric.clone()],
        ..executives
    };
    let summary = compose(ReportKind::Daily, &executives, &input, &th);
    assert_eq!(headings(&summary), ["Models", "Business metrics"]);
    assert!(summary.title.starts_with("Daily model summary"));
    assert_eq!(
        summary.summary,
        "2 models: 0 critical, 1 degraded, 1 worth watching, 0 healthy; 1 active incident. User satisfaction 78% (↓ 13%, worse)."
    );
    // A line a model, no per-model figures; the business metric's course is charted.
    let lines: Vec<Option<&str>> = summary.sections[0]
        .lines
        .iter()
        .map(|l| l.model.as_deref())
        .collect();
    assert_eq!(lines, [Some("embed"), Some("chat")]);
    assert!(summary.sections.iter().all(|s| s.fields.is_empty()));
    let charts: Vec<&str> = summary.charts().map(|c| c.id.as_str()).collect();
    assert_eq!(charts, ["trend-all-app.user_satisfaction"]);
}

#[test]
fn the_weekly_summary_counts_incidents_against_the_week_before_in_a_few_sections() {
    let th = Thresholds::default();
    let history = history();
    let exec = Audience {
        depth: Depth::Summary,
        ..Audience::everything("executives")
    };
    let summary = compose(ReportKind::Weekly, &exec, &input(&history), &th);
    assert_eq!(
        headings(&summary),
        ["Models", "Incidents", "Response and accuracy"]
    );
    // A to E this week, D a false positive, F the week before; MTTR median 1 h; 4 of 5
    // not false positives.
    assert!(
        summary
            .summary
            .starts_with("4 incidents (1 at L3) this week, 3 more than the week before; median time to resolve 1 h"),
        "{}",
        summary.summary
    );
    // Each figure says what it stands on: the median of three resolved, one open left
    // out (the false positive is no incident to resolve); unmarked alerts taken as real.
    assert!(
        summary.summary.contains(
            "; median time to resolve 1 h 00 min (3 resolved, 1 still open); \
             alert accuracy 80% (1 of 5 marked false positive)."
        ),
        "{}",
        summary.summary
    );
    let charts: Vec<&str> = summary.charts().map(|c| c.id.as_str()).collect();
    assert_eq!(charts, ["response-times-per-week"]);

    // The team's weekly report of the same week goes deeper.
    let team = compose(ReportKind::Weekly, &team(), &input(&history), &th);
    for deeper in [
        "Alert accuracy",
        "Performance trends (this week against last)",
        "Coming up: maintenance and silences",
    ] {
        assert!(headings(&team).contains(&deeper), "{:?}", headings(&team));
        assert!(!headings(&summary).contains(&deeper));
    }
    assert!(words(&team).contains("Noisiest monitors"));
    // The false positive is told, not counted.
    assert!(
        words(&team).contains("Not counted: 1 alert marked a false positive."),
        "{}",
        words(&team)
    );
    assert!(words(&summary).contains("False positives, not counted"));

    // An audience of one model counts that model's incidents only: A, B and E (D a false
    // positive), F the week before.
    let chat = Audience {
        models: vec!["chat".into()],
        ..exec
    };
    let chat = compose(ReportKind::Weekly, &chat, &input(&history), &th);
    assert!(
        chat.summary
            .starts_with("3 incidents this week, 2 more than the week before"),
        "{}",
        chat.summary
    );
}

/// The silences coming up that a report lists are its audience's: one limited to another
/// model is left out, one of every model stays.
#[test]
fn an_audience_hears_of_silences_of_its_models_and_of_every_model_only() {
    let quiet = |scope: &str, model: Option<&str>| QuietWindow {
        kind: QuietKind::Silence,
        scope: scope.into(),
        models: model.map(str::to_owned).into_iter().collect(),
        starts: week_start().plus_secs(WEEK_SECS),
        ends: week_start().plus_secs(WEEK_SECS + 3600),
        by: Some("dana".into()),
        reason: None,
    };
    let windows = [
        quiet("model=chat", Some("chat")),
        quiet("model=embed", Some("embed")),
        quiet("env=staging", None),
    ];
    let history = history();
    let report_for = |models: Vec<String>| {
        let audience = Audience { models, ..team() };
        let mut input = input(&history);
        input.quiet = &windows;
        words(&compose(
            ReportKind::Weekly,
            &audience,
            &input,
            &Thresholds::default(),
        ))
    };
    let chat = report_for(vec!["chat".into()]);
    assert!(
        chat.contains("model=chat") && chat.contains("env=staging"),
        "{chat}"
    );
    assert!(!chat.contains("model=embed"), "{chat}");
    let everyone = report_for(Vec::new());
    assert!(everyone.contains("model=embed"), "{everyone}");
}

fn demo_reports(size: DemoSize) -> (Report, Report) {
    let end = Timestamp::parse("2025-11-24T08:00:00Z").unwrap();
    let d = demo(end, size, 7).unwrap();
    let th = Thresholds::default();
    let health = daily_health(
        Period::day_ending(end),
        &d.daily_metrics,
        &[],
        &d.open_alerts,
        &th,
    );
    let daily = daily_report(&health, &d.daily_metrics, &team(), &th, &UTC);
    let input = ReportInput {
        period: Period::week_ending(end),
        metrics: &d.weekly_metrics,
        business: &[],
        open_alerts: &d.open_alerts,
        history: &d.history,
        quiet: &d.quiet,
        zone: &UTC,
    };
    let weekly = weekly_report(
        &weekly_figures(&input, &th),
        &d.weekly_metrics,
        &team(),
        &th,
        &UTC,
    );
    (daily, weekly)
}

#[test]
fn the_largest_weekly_report_splits_into_messages_within_every_slack_limit() {
    // A fleet whose sections carry more text than Slack takes in one message.
    let (daily, weekly) = demo_reports(DemoSize {
        models: 120,
        incidents: 600,
    });
    let users: Vec<SlackUser> = (0..30)
        .map(|i| SlackUser::new(format!("U{i:08}")).unwrap())
        .collect();
    for report in [&weekly, &daily] {
        let images: BTreeMap<String, SlackFile> = report
            .charts()
            .map(|c| {
                (
                    c.id.clone(),
                    SlackFile {
                        id: Some(format!("F{}", c.id.len())),
                        url: None,
                    },
                )
            })
            .collect();
        let slack = render_slack(
            report,
            &channel(),
            &images,
            &Mentions::everyone(users.clone()),
        );
        let messages: Vec<_> = slack.messages().collect();
        for (i, m) in messages.iter().enumerate() {
            assert!(
                m.violations().is_empty(),
                "message {i}: {:?}",
                m.violations()
            );
            assert!(m.blocks.len() <= 50);
            let text = crate::slack::blocks_text_chars(&m.blocks);
            assert!(
                text <= crate::slack::BLOCKS_TEXT_BUDGET,
                "message {i}: {text} characters of text"
            );
        }
        assert!(
            messages.len() > 2,
            "split by text: {} messages",
            messages.len()
        );
        // Nothing was cut: every line of the report is in some message.
        let all = serde_json::to_string(&messages).unwrap();
        for line in report.sections.iter().flat_map(|s| &s.lines) {
            let text = line
                .text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(
                all.contains(
                    &serde_json::to_string(&text)
                        .unwrap()
                        .trim_matches('"')
                        .to_owned()
                ),
                "missing {text}"
            );
        }
        let first = serde_json::to_string(&slack.first).unwrap();
        assert!(
            first.contains("<@U00000029>"),
            "mentions go in the first message"
        );
        eprintln!(
            "{} report: {} messages, {} blocks",
            report.kind.name(),
            messages.len(),
            messages.iter().map(|m| m.blocks.len()).sum::<usize>()
        );
        if report.kind == ReportKind::Daily {
            assert!(
                !slack.replies.is_empty(),
                "20 models' health needs a thread"
            );
        }
        // Each section is ended by exactly one message, in the report's order.
        assert_eq!(slack.sections.len(), messages.len());
        let ended: Vec<&String> = slack.sections.iter().flatten().collect();
        let keys: Vec<String> = report.sections.iter().map(section_key).collect();
        assert_eq!(ended, keys.iter().collect::<Vec<_>>());
    }
}

#[test]
fn demo_charts_render_as_png_at_slack_preview_size() {
    let (daily, weekly) = demo_reports(DemoSize::default());
    let dir = std::env::temp_dir().join("modelwatch-report-charts");
    std::fs::create_dir_all(&dir).unwrap();
    let charts: Vec<&Chart> = daily.charts().chain(weekly.charts()).collect();
    assert!(charts.len() >= 4, "{}", charts.len());
    for chart in charts {
        let png = render(chart).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(!chart.alt_text.is_empty() && chart.alt_text.len() <= 2000);
        std::fs::write(dir.join(format!("{}.png", chart.id)), &png).unwrap();
    }
    eprintln!("charts in {}", dir.display());
}
