//! One evaluator run over a fleet: every group of every monitor of a configuration, from
//! Datadog's answers (bodies in Datadog's shape, read by the client's own parser) to
//! evaluations and signals, read and evaluated the way `Evaluator::run` does (`reads`:
//! monitors of one window together while their points fit; each monitor's points dropped
//! once evaluated). Prints one JSON line: wall time per phase, peak memory (VmHWM), and
//! the Datadog requests a run takes.
//!
//! `MODELWATCH_BENCH_GROUPS=10000 cargo bench --workspace --bench fleet`
//! (`MODELWATCH_BENCH_CONFIG`: the configuration, default bench/fleet.yaml.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use evaluator::{CATCH_UP, Pass, Read, Span, reads, signals};
use modelwatch::config::Config;
use modelwatch::datadog::metrics::parse_timeseries;
use modelwatch::domain::Timestamp;
use modelwatch::rules::{Group, Monitor, Point};

fn requests(reads: &[Read]) -> usize {
    reads.iter().map(Read::requests).sum()
}

/// A typical level for a metric: under every threshold of the fleet's monitors.
fn level(metric: &str) -> f64 {
    match metric {
        "llm.requests.error_rate" | "llm.requests.timeout_rate" => 0.005,
        "gpu.memory.used_fraction" | "gpu.utilization" | "app.conversion_rate" => 0.5,
        "llm.tokens.total" => 20_000.0,
        _ => 1.0,
    }
}

/// Datadog's timeseries answer for `monitors` over `span`: every group, one point per
/// interval, noise around the metric's level; every 1,000th group steps up 5x in the
/// last 10 minutes (so that some evaluations change and make signals).
fn body(span: &Span, monitors: &[&Monitor], groups: usize) -> Vec<u8> {
    let step = i64::try_from(span.interval_secs).unwrap_or(60) * 1000;
    let times: Vec<i64> = (1..)
        .map(|k| span.from_ms + k * step)
        .take_while(|t| *t <= span.to_ms)
        .collect();
    let mut out = String::with_capacity(monitors.len() * groups * (times.len() * 9 + 90));
    out.push_str(r#"{"data":{"type":"timeseries_response","attributes":{"times":["#);
    for (i, t) in times.iter().enumerate() {
        let _ = write!(out, "{}{t}", if i > 0 { "," } else { "" });
    }
    out.push_str(r#"],"series":["#);
    for q in 0..monitors.len() {
        for g in 0..groups {
            let _ = write!(
                out,
                r#"{}{{"group_tags":["model:model-{}","model_version:v{}","env:prod"],"query_index":{q},"unit":null}}"#,
                if q + g > 0 { "," } else { "" },
                g / 10,
                g % 10
            );
        }
    }
    out.push_str(r#"],"values":["#);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for (q, m) in monitors.iter().enumerate() {
        let base = level(m.metric.as_deref().unwrap_or(""));
        for g in 0..groups {
            out.push_str(if q + g > 0 { ",[" } else { "[" });
            for (i, t) in times.iter().enumerate() {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let noise = (state >> 33) as f64 / f64::from(1u32 << 31) - 0.5;
                let stepped = g % 1000 == 0 && span.to_ms - t < 10 * 60_000;
                let v = base * (1.0 + 0.1 * noise) * if stepped { 5.0 } else { 1.0 };
                let _ = write!(out, "{}{v:.5}", if i > 0 { "," } else { "" });
            }
            out.push(']');
        }
    }
    out.push_str("]}}}");
    out.into_bytes()
}

fn group_of(tags: &BTreeMap<String, String>) -> Group {
    Group {
        model: tags.get("model").cloned(),
        version: tags.get("model_version").cloned(),
        environment: tags.get("env").cloned(),
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn load(path: &str) -> Config {
    Config::load(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let path = std::env::var("MODELWATCH_BENCH_CONFIG")
        .unwrap_or_else(|_| format!("{root}/bench/fleet.yaml"));
    let groups: usize = std::env::var("MODELWATCH_BENCH_GROUPS")
        .ok()
        .and_then(|g| g.parse().ok())
        .unwrap_or(10_000);
    let config = load(&path);
    let at = Timestamp::from_secs(1_790_000_000 / 60 * 60);
    // The groups each monitor had last run: every one of them.
    let fleet = reads(&config, at, |_| groups);
    let example = load(&format!("{root}/infra/modelwatch.example.yaml"));
    // The cost section's fleet and the example configuration: 50 groups a monitor.
    let example_requests = requests(&reads(&example, at, |_| 50));
    let requests_50_groups = requests(&reads(&config, at, |_| 50));

    let started = Instant::now();
    let (mut generate_ms, mut parse_ms, mut evaluate_ms) = (0.0, 0.0, 0.0);
    let (mut largest_answer, mut points) = (0usize, 0usize);
    let mut pass = Pass::new(&config, at);
    for read in &fleet {
        let mut data: BTreeMap<String, BTreeMap<Group, Vec<Point>>> = BTreeMap::new();
        for span in read.spans.iter().rev() {
            let t = Instant::now();
            let answer = body(span, &read.monitors, groups);
            generate_ms += t.elapsed().as_secs_f64() * 1000.0;
            largest_answer = largest_answer.max(answer.len());
            let t = Instant::now();
            let series =
                parse_timeseries(&answer, read.monitors.len()).unwrap_or_else(|e| panic!("{e}"));
            drop(answer);
            for (m, series) in read.monitors.iter().zip(series) {
                let by_group = data.entry(m.id.clone()).or_default();
                for s in series {
                    points += s.points.len();
                    by_group
                        .entry(group_of(&s.group))
                        .or_default()
                        .extend(s.points.iter().map(|(t, v)| Point::new(*t, *v)));
                }
            }
            parse_ms += t.elapsed().as_secs_f64() * 1000.0;
        }
        let t = Instant::now();
        for m in &read.monitors {
            let groups = data.remove(&m.id).unwrap_or_default();
            pass.add(m, &groups);
        }
        evaluate_ms += t.elapsed().as_secs_f64() * 1000.0;
    }
    let t = Instant::now();
    let run = pass.finish();
    evaluate_ms += t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let changes = signals(&config, &run.changes).len();
    let signals_ms = t.elapsed().as_secs_f64() * 1000.0;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0 - generate_ms;
    println!(
        "{}",
        serde_json::json!({
            "config": path,
            "groups": groups,
            "monitors": config.monitors.len(),
            "points": points,
            "evaluations": run.groups() * CATCH_UP as usize,
            "signals": changes,
            "datadog_requests": requests(&fleet),
            "datadog_requests_50_groups": requests_50_groups,
            "example_config_monitors": example.monitors.len(),
            "example_config_datadog_requests": example_requests,
            "largest_answer_mb": largest_answer as f64 / 1e6,
            "parse_ms": parse_ms,
            "evaluate_ms": evaluate_ms,
            "signals_ms": signals_ms,
            "wall_ms_without_generating": wall_ms,
            "generate_ms": generate_ms,
            "peak_rss_kib": peak_rss_kib(),
        })
    );
}
