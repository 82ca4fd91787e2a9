//! The default anomaly monitor against the naive "one point 2σ from the rolling mean"
//! rule on five labelled Numenta Anomaly Benchmark series, through the backtest.
//!
//! Print the table of shared/docs/backtest-nab.md with
//! `cargo test -p modelwatch --test nab -- --nocapture`.

use std::path::{Path, PathBuf};

use modelwatch::config::Config;
use modelwatch::domain::Timestamp;
use modelwatch::rules::{BacktestAlert, backtest, parse_series, parse_timestamp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/nab")
}

const SERIES: [&str; 5] = [
    "art_daily_small_noise",
    "art_daily_jumpsup",
    "ec2_request_latency_system_failure",
    "elb_request_count_8c0756",
    "rds_cpu_utilization_e47b3b",
];

/// How one monitor did on one series.
#[derive(Debug)]
struct Score {
    windows: usize,
    detected: usize,
    /// Minutes from each window's start to the first alert overlapping it.
    delays: Vec<Option<i64>>,
    false_alerts: usize,
}

fn labelled_windows(series: &str) -> Vec<(Timestamp, Timestamp)> {
    let text = std::fs::read_to_string(fixtures().join("windows.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[format!("{series}.csv")]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let at = |i: usize| parse_timestamp(w[i].as_str().unwrap()).unwrap();
            (at(0), at(1))
        })
        .collect()
}

fn score(alerts: &[BacktestAlert], windows: &[(Timestamp, Timestamp)]) -> Score {
    let span = |a: &BacktestAlert| (a.opened_at_ms, a.closed_at_ms.unwrap_or(i64::MAX));
    let overlaps = |a: &BacktestAlert, (start, end): (Timestamp, Timestamp)| {
        let (open, close) = span(a);
        open <= end.millis() && close >= start.millis()
    };
    let delays: Vec<Option<i64>> = windows
        .iter()
        .map(|w| {
            alerts
                .iter()
                .filter(|a| overlaps(a, *w))
                .map(|a| (a.opened_at_ms - w.0.millis()).max(0) / 60_000)
                .min()
        })
        .collect();
    Score {
        windows: windows.len(),
        detected: delays.iter().filter(|d| d.is_some()).count(),
        delays,
        false_alerts: alerts
            .iter()
            .filter(|a| !windows.iter().any(|w| overlaps(a, *w)))
            .count(),
    }
}

fn run(config: &Config, monitor: &str, series: &str) -> Score {
    let text = std::fs::read_to_string(fixtures().join(format!("{series}.csv"))).unwrap();
    let points = parse_series(&text).unwrap().points;
    let result = backtest(config, config.monitor(monitor).unwrap(), &points).unwrap();
    assert_eq!(result.scores.len(), points.len());
    assert!(result.scores.iter().all(|s| (0.0..=1.0).contains(&s.score)));
    score(&result.alerts, &labelled_windows(series))
}

fn delays(s: &Score) -> String {
    let d: Vec<String> = s
        .delays
        .iter()
        .map(|d| d.map_or("missed".to_owned(), |m| format!("{m} min")))
        .collect();
    if d.is_empty() {
        "–".to_owned()
    } else {
        d.join(", ")
    }
}

#[test]
fn default_monitor_beats_the_naive_rule_on_labelled_nab_series() {
    let config = Config::load(fixtures().join("modelwatch.yaml")).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "| series | windows | detected (default / naive) | delay from window start (default) | delay (naive) | false alerts (default / naive) |"
    );
    println!("|---|---|---|---|---|---|");
    for series in SERIES {
        let default = run(&config, "default", series);
        let naive = run(&config, "naive", series);
        println!(
            "| {series} | {} | {} / {} | {} | {} | {} / {} |",
            default.windows,
            default.detected,
            naive.detected,
            delays(&default),
            delays(&naive),
            default.false_alerts,
            naive.false_alerts
        );
        assert!(
            default.detected >= naive.detected,
            "{series}: default missed more windows: {default:?} vs {naive:?}"
        );
        assert!(
            default.false_alerts < naive.false_alerts,
            "{series}: default raised as many false alerts as naive: {default:?} vs {naive:?}"
        );
        if default.windows == 0 {
            assert_eq!(
                default.false_alerts, 0,
                "{series} is noise only: every alert is false"
            );
        }
    }
}

#[test]
fn backtest_command_writes_scores_and_alerts() {
    let dir = std::env::temp_dir().join(format!("modelwatch-nab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (scores, alerts) = (dir.join("scores.csv"), dir.join("alerts.json"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .arg("backtest")
        .arg("--config")
        .arg(fixtures().join("modelwatch.yaml"))
        .args(["--monitor", "default", "--series"])
        .arg(fixtures().join("art_daily_jumpsup.csv"))
        .arg("--scores")
        .arg(&scores)
        .arg("--alerts")
        .arg(&alerts)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&scores).unwrap();
    assert!(
        csv.starts_with("timestamp,value,anomaly_score\n2014-04-01T00:00:00Z,"),
        "{}",
        &csv[..80]
    );
    assert_eq!(csv.lines().count(), 4033);
    let alerts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&alerts).unwrap()).unwrap();
    let first = &alerts[0];
    for field in ["opened_at", "closed_at", "level", "reason"] {
        assert!(!first[field].is_null(), "{field} missing in {first}");
    }
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .contains("σ above its 7-day baseline for this hour of day"),
        "{first}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_csv_row_is_named_by_line() {
    let dir = std::env::temp_dir().join(format!("modelwatch-badcsv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let series = dir.join("bad.csv");
    std::fs::write(
        &series,
        "timestamp,value\n2014-04-10 00:00:00,1\n2014-04-10 00:05:00,n/a\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .arg("backtest")
        .arg("--config")
        .arg(fixtures().join("modelwatch.yaml"))
        .args(["--monitor", "default", "--series"])
        .arg(&series)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:line 3: invalid value \"n/a\": expected a finite number"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_reports_every_problem_and_exits_non_zero() {
    let dir = std::env::temp_dir().join(format!("modelwatch-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("modelwatch.yaml");
    std::fs::write(
        &file,
        "metrics:\n  - name: llm.latency\nmonitors:\n  - id: latency\n    metric: llm.latncy\n    window: 5 min\n    rule: { threshold: { critical: 3 } }\n  - id: both\n    rule: { composite: \"latency && missing\" }\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let name = file.display();
    assert!(err.contains(&format!("{name}:5:13: monitor \"latency\" refers to unknown metric \"llm.latncy\": expected one of llm.latency")), "{err}");
    assert!(
        err.contains(&format!("{name}:6:13: invalid window \"5 min\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{name}:9:24: composite monitor \"both\" refers to unknown monitor \"missing\""
        )),
        "{err}"
    );

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/modelwatch.example.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelwatch"))
        .arg("validate")
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid (3 models"));
    std::fs::remove_dir_all(&dir).unwrap();
}
