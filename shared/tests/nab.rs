//! The default anomaly monitor on five labelled Numenta Anomaly Benchmark series, through
//! the backtest, scored with NAB's rules in both of `make nab`'s modes: the anomaly score
//! with the best threshold, and alert openings as detections. The floors sit a little
//! under the measured figures (shared/docs/backtest-nab.md), so a change that makes the
//! detector worse fails here.
//!
//! Print the figures with `cargo test -p modelwatch --test nab -- --nocapture`.

mod nab_score;

use std::path::{Path, PathBuf};

use modelwatch::backtest::{Backtest, backtest};
use modelwatch::config::Config;
use modelwatch::domain::Timestamp;
use modelwatch::rules::{parse_series, parse_timestamp};
use nab_score::{File, LOW_FP, STANDARD, normalised};

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

/// One series backtested, as the two files NAB scores: the anomaly score per row, and 1 at
/// the first row at or after each alert opening.
fn run(config: &Config, series: &str) -> (File, File, Backtest) {
    let text = std::fs::read_to_string(fixtures().join(format!("{series}.csv"))).unwrap();
    let points = parse_series(&text).unwrap().points;
    let result = backtest(config, config.monitor("default").unwrap(), &points).unwrap();
    assert_eq!(result.scores.len(), points.len());
    assert!(result.scores.iter().all(|s| (0.0..=1.0).contains(&s.score)));
    let row = |t: Timestamp| points.partition_point(|p| p.at < t);
    let windows: Vec<(usize, usize)> = labelled_windows(series)
        .iter()
        .map(|&(a, b)| (row(a), row(b)))
        .collect();
    let mut opened = vec![0.0; points.len()];
    for a in &result.alerts {
        if let Some(x) = opened.get_mut(row(Timestamp::from_millis(a.opened_at_ms))) {
            *x = 1.0;
        }
    }
    let scores = File {
        scores: result.scores.iter().map(|s| s.score).collect(),
        windows: windows.clone(),
    };
    (
        scores,
        File {
            scores: opened,
            windows,
        },
        result,
    )
}

#[test]
fn default_monitor_keeps_its_nab_figures_on_five_labelled_series() {
    let config = Config::load(fixtures().join("modelwatch.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let (mut scored, mut alerted) = (Vec::new(), Vec::new());
    for series in SERIES {
        let (scores, alerts, result) = run(&config, series);
        println!(
            "{series}: {} alerts opened, {} windows",
            result.alerts.len(),
            scores.windows.len()
        );
        if scores.windows.is_empty() {
            assert!(
                result.alerts.is_empty(),
                "{series} is noise only: {:?}",
                result.alerts
            );
        }
        scored.push(scores);
        alerted.push(alerts);
    }
    let figures = [
        (
            "scores, standard",
            normalised(&scored, STANDARD, None),
            86.0,
        ),
        (
            "scores, reward low FP",
            normalised(&scored, LOW_FP, None),
            84.0,
        ),
        (
            "alerts, standard",
            normalised(&alerted, STANDARD, Some(1.0)),
            63.0,
        ),
        (
            "alerts, reward low FP",
            normalised(&alerted, LOW_FP, Some(1.0)),
            62.0,
        ),
    ];
    for (what, got, floor) in figures {
        println!("NAB {what}: {got:.1} (floor {floor})");
        assert!(got >= floor, "NAB {what} fell to {got:.1}, under {floor}");
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
            .contains("is above its expected"),
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
        err.contains("bad.csv:3:21: invalid value \"n/a\": expected a finite number"),
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
