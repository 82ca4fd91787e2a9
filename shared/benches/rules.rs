//! Benchmarks of monitor evaluation: points evaluated per second for the baseline rules,
//! the anomaly detector alone and a whole backtest of a year of minute data through the
//! default anomaly monitor, and one evaluator-like run over 1,000 groups × 1 day of minute
//! data (wall time, and peak memory from /proc/self/status VmHWM).
//!
//! `cargo bench -p modelwatch --bench rules` (`make bench` runs it on the series file that
//! bench/rolling.py reads too: `MODELWATCH_BENCH_SERIES`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use jiff::tz::TimeZone;
use modelwatch::backtest::backtest;
use modelwatch::config::Config;
use modelwatch::domain::Timestamp;
use modelwatch::rules::{
    Aggregation, Baseline, Data, Detector, Direction, Evaluator, Group, Method, Monitor,
    MonitorLevels, NoDataPolicy, Point, Rule, Seasonality, Trigger, evaluate, mean_sd_by,
    median_mad,
};

const MINUTE: i64 = 60;
const START: i64 = 1_790_000_000;

fn series(points: usize, seed: u64) -> Vec<Point> {
    // A daily wave plus deterministic noise (an LCG): no allocation in the hot loop.
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..points)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 33) as f64 / f64::from(1u32 << 31) - 0.5;
            let hour = (i as f64 / 60.0) % 24.0;
            let wave = 1.0 + 0.5 * (hour / 24.0 * std::f64::consts::TAU).sin();
            Point::new(
                Timestamp::from_secs(START + i as i64 * MINUTE),
                wave + 0.1 * noise,
            )
        })
        .collect()
}

fn monitor(method: Method, seasonality: Seasonality, history_secs: u64) -> Monitor {
    Monitor {
        id: "bench".into(),
        name: "bench".into(),
        metric: Some("llm.latency".into()),
        query: None,
        rule: Rule::Baseline(Baseline {
            method,
            seasonality,
            history_secs,
            sigmas: 3.0,
            warn_sigmas: Some(2.0),
            immediate_sigmas: Some(6.0),
            direction: Direction::Both,
            min_points: 24,
            min_spread: 0.0,
        }),
        window_secs: 5 * 60,
        aggregation: Aggregation::P95,
        every_secs: 60,
        trigger: Trigger { breaches: 3, of: 5 },
        recovery_clean: 5,
        no_data: NoDataPolicy::Ignore,
        replay: 60,
        time_zone: TimeZone::UTC,
        levels: MonitorLevels::default(),
        models: Vec::new(),
        runbook_steps: Vec::new(),
        tags: Vec::new(),
    }
}

/// The series `MODELWATCH_BENCH_SERIES` names (`epoch_secs,value` lines, as `make bench`
/// writes it for numpy/pandas to read too), else a week of generated minute data.
fn week() -> Vec<Point> {
    let Ok(path) = std::env::var("MODELWATCH_BENCH_SERIES") else {
        return series(7 * 1440, 7);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|line| {
            let (t, v) = line.split_once(',')?;
            Some(Point::new(
                Timestamp::from_secs(t.trim().parse().ok()?),
                v.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// The baseline rule's statistics alone, over the 60-point window ending at every point
/// (shorter at the start): what numpy/pandas' rolling mean/σ and median/MAD compute.
fn rolling_statistics(c: &mut Criterion) {
    let values: Vec<f64> = week().iter().map(|p| p.value).collect();
    let windows = || (1..=values.len()).map(|end| &values[end.saturating_sub(60)..end]);
    let mut group = c.benchmark_group("rolling_statistics");
    group.sample_size(10);
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("mean_sd_60", |b| {
        b.iter(|| {
            windows()
                .map(|w| {
                    let (mean, sd) = mean_sd_by(w, |v| *v);
                    mean + sd
                })
                .sum::<f64>()
        })
    });
    let mut scratch = Vec::with_capacity(60);
    group.bench_function("median_mad_60", |b| {
        b.iter(|| {
            windows()
                .map(|w| {
                    scratch.clear();
                    scratch.extend_from_slice(w);
                    let (median, mad) = median_mad(&mut scratch);
                    median + mad
                })
                .sum::<f64>()
        })
    });
    group.finish();
}

/// Points per second of a backtest-style pass: one evaluation at every point.
fn points_per_second(c: &mut Criterion) {
    let week = week();
    let cases = [
        ("mean_1h", monitor(Method::Mean, Seasonality::None, 3600)),
        (
            "robust_1h",
            monitor(Method::Robust, Seasonality::None, 3600),
        ),
        (
            "robust_daily_7d",
            monitor(Method::Robust, Seasonality::Daily, 7 * 86_400),
        ),
    ];
    // A pass over the week evaluating at every point; `firing` asks one instant.
    let pass = |m: &Monitor, firing: fn(&mut Evaluator<'_>, Timestamp) -> bool| {
        let g = Group::default();
        let mut ev = Evaluator::new(m, &g, Data::new(&week));
        black_box(week.iter().filter(|p| firing(&mut ev, p.at)).count())
    };
    // What a backtest asks at every point: the states and the score, no words.
    let mut group = c.benchmark_group("baseline_points");
    group.sample_size(10);
    group.throughput(Throughput::Elements(week.len() as u64));
    for (name, m) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| pass(m, |ev, at| ev.states(at).1.is_firing()))
        });
    }
    group.finish();
    // A whole evaluation, reason in words included, at every point: what the evaluator
    // Lambda builds for each group and instant it evaluates.
    let mut group = c.benchmark_group("baseline_evaluations");
    group.sample_size(10);
    group.throughput(Throughput::Elements(week.len() as u64));
    let (name, m) = &cases[0];
    group.bench_function(*name, |b| {
        b.iter(|| pass(m, |ev, at| ev.at(at).state.is_firing()))
    });
    group.finish();
}

/// One evaluator run: 1,000 groups, each with a day of minute data, evaluated at `now`.
fn evaluator_run(c: &mut Criterion) {
    let groups: Vec<(Group, Vec<Point>)> = (0..1000)
        .map(|i| {
            let g = Group::new(
                &format!("model-{}", i / 10),
                Some(&format!("v{}", i % 10)),
                Some("prod"),
            );
            (g, series(1440, i as u64))
        })
        .collect();
    let m = monitor(Method::Robust, Seasonality::None, 6 * 3600);
    let now = Timestamp::from_secs(START + 1439 * MINUTE);
    let run = || {
        groups
            .iter()
            .filter(|(g, points)| evaluate(&m, g, Data::new(points), now).changed())
            .count()
    };
    let started = Instant::now();
    let changed = run();
    println!(
        "evaluator run, 1000 groups x 1440 points, robust 6 h baseline, 60-instant replay: {:.1} ms wall, {changed} changes",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut group = c.benchmark_group("evaluator_run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(groups.len() as u64));
    group.bench_function("1000_groups_1_day_minutes", |b| b.iter(|| black_box(run())));
    group.finish();
}

/// The default anomaly monitor (`template: anomaly`) as the NAB fixture configures it.
fn anomaly_config() -> Config {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/nab/modelwatch.yaml"
    );
    Config::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The anomaly detector alone, and a whole backtest (detector, episodes, evaluations,
/// signals, lifecycle) of a year of minute data: goal, under a second on one core.
fn anomaly(c: &mut Criterion) {
    let year = series(365 * 1440, 11);
    let config = anomaly_config();
    let m = config
        .monitor("default")
        .unwrap_or_else(|| panic!("no default monitor"));
    let started = Instant::now();
    let result = backtest(&config, m, &year).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "backtest of a year of minute data ({} points) through the default anomaly monitor: {:.0} ms wall, {} alerts",
        year.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        result.alerts.len()
    );
    let mut group = c.benchmark_group("anomaly");
    group.sample_size(10);
    group.throughput(Throughput::Elements(year.len() as u64));
    group.bench_function("detector_year_of_minutes", |b| {
        b.iter(|| {
            let mut d = Detector::default();
            let mut rare = 0usize;
            for p in &year {
                rare += d
                    .update(p.at.millis(), p.value)
                    .map_or(0, |r| usize::from(r.p_above.min(r.p_below) < 1e-5));
            }
            black_box(rare)
        })
    });
    group.bench_function("backtest_year_of_minutes", |b| {
        b.iter(|| black_box(backtest(&config, m, &year).map(|r| r.alerts.len())))
    });
    group.finish();

    let groups: Vec<(Group, Vec<Point>)> = (0..1000)
        .map(|i| {
            (
                Group::new(&format!("model-{i}"), None, Some("prod")),
                series(1440, i),
            )
        })
        .collect();
    let now = Timestamp::from_secs(START + 1439 * MINUTE);
    let run = || {
        groups
            .iter()
            .filter(|(g, points)| evaluate(m, g, Data::new(points), now).changed())
            .count()
    };
    let mut group = c.benchmark_group("evaluator_run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(groups.len() as u64));
    group.bench_function("anomaly_1000_groups_1_day_minutes", |b| {
        b.iter(|| black_box(run()))
    });

    // What the live evaluator fetches for the default monitor's 22 days (evaluator's
    // `fetch::spans`): 1,500 points of 21-minute history, then 1,500 minutes. Its cost
    // per run is this, whatever the history's length.
    let fetched: Vec<(Group, Vec<Point>)> = (0..1000)
        .map(|i| {
            let minutes = series(1500 * 21 + 1500, i);
            let (history, recent) = minutes.split_at(1500 * 21);
            let mut points: Vec<Point> = history.iter().step_by(21).cloned().collect();
            points.extend_from_slice(recent);
            (
                Group::new(&format!("model-{i}"), None, Some("prod")),
                points,
            )
        })
        .collect();
    let fetched_now = fetched[0].1.last().map_or(now, |p| p.at);
    group.bench_function("anomaly_1000_groups_22_days_as_fetched", |b| {
        b.iter(|| {
            black_box(
                fetched
                    .iter()
                    .filter(|(g, points)| evaluate(m, g, Data::new(points), fetched_now).changed())
                    .count(),
            )
        })
    });
    group.finish();
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "VmHWM: unavailable".to_owned())
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    rolling_statistics(&mut c);
    points_per_second(&mut c);
    evaluator_run(&mut c);
    anomaly(&mut c);
    c.final_summary();
    println!(
        "peak memory of the benchmark process: {}",
        peak_rss()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
