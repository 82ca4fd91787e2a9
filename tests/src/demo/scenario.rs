//! The shipped scenario: metrics of three models, minute by minute over two days, with
//! the incidents a team meets — a latency spike at night, a quality regression after a
//! deployment, a token-usage spike, a flapping error rate, a model that stops serving, an
//! alert during planned maintenance — and what happens around them: Datadog webhooks, an
//! acknowledgement, a false positive, a silence made ahead by a deploy pipeline, recoveries.

use std::f64::consts::PI;

use modelwatch::domain::Timestamp;
use serde_json::{Value, json};

use crate::fakes::ModelMode;

/// 2026-11-23 00:00 UTC, a Monday.
pub const START_SECS: i64 = 1_795_392_000;
pub const MINUTES: u32 = 2 * 24 * 60;

/// One metric of one model version, a value per minute (`None`: no traffic).
pub struct MetricSeries {
    pub metric: &'static str,
    pub model: &'static str,
    pub version: &'static str,
    pub values: Vec<Option<f64>>,
}

/// What else happens at a given minute.
#[derive(Debug, Clone)]
pub enum Happening {
    /// A Datadog monitor notification, posted to the intake as Datadog would.
    Webhook { name: &'static str, body: Value },
    /// Someone presses Acknowledge (or Mark false positive) on the Slack message of the
    /// alert of `monitor` on `model`.
    Slack {
        monitor: &'static str,
        model: &'static str,
        by: &'static str,
        false_positive: bool,
    },
    /// A deployment of a model version (shown on later pages).
    Deployment {
        model: &'static str,
        version: &'static str,
    },
    /// The probed model endpoint changes behaviour (`what` says how).
    Model { mode: ModelMode, what: &'static str },
    /// A deploy pipeline plans maintenance: a silence over `POST /silences`.
    Silence {
        matchers: Value,
        from_minute: u32,
        to_minute: u32,
        comment: &'static str,
    },
}

/// An incident the scenario injects, and what modelwatch must make of it.
#[derive(Debug, Clone)]
pub struct Injected {
    pub what: &'static str,
    /// The evaluator's monitor, or `datadog` for a webhook-driven alert.
    pub monitor: &'static str,
    pub model: &'static str,
    pub from_minute: u32,
    pub to_minute: u32,
    /// Inside a silence: recorded, but nobody is paged or messaged.
    pub muted: bool,
}

pub struct Scenario {
    pub start: Timestamp,
    pub minutes: u32,
    pub series: Vec<MetricSeries>,
    pub happenings: Vec<(u32, Happening)>,
    pub injected: Vec<Injected>,
}

impl Scenario {
    pub fn at(&self, minute: u32) -> Timestamp {
        self.start.plus_secs(u64::from(minute) * 60)
    }
}

/// A small deterministic noise source, so every run of the demo is the same.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

const fn minute(day: u32, hour: u32, min: u32) -> u32 {
    day * 1440 + hour * 60 + min
}

/// Daily traffic shape: low at night, high in the afternoon (UTC).
fn daily(m: u32, amplitude: f64) -> f64 {
    let hour = f64::from(m % 1440) / 60.0;
    1.0 + amplitude * ((hour - 9.0) / 24.0 * 2.0 * PI).sin()
}

fn series(
    metric: &'static str,
    model: &'static str,
    version: &'static str,
    noise: &mut Noise,
    value: impl Fn(u32) -> Option<f64>,
    jitter: f64,
) -> MetricSeries {
    let values = (0..MINUTES)
        .map(|m| value(m).map(|v| (v * (1.0 + jitter * noise.next())).max(0.0)))
        .collect();
    MetricSeries {
        metric,
        model,
        version,
        values,
    }
}

pub fn demo() -> Scenario {
    let mut n = Noise(0x5EED_CAFE_F00D_1234);
    let within = |m: u32, from: u32, to: u32| m >= from && m < to;

    // Incidents, in scenario minutes.
    let chat_spike = (minute(0, 2, 10), minute(0, 2, 50));
    let token_spike = (minute(0, 14, 0), minute(0, 14, 40));
    let embed_spike = (minute(1, 3, 0), minute(1, 3, 55));
    let v8_deploy = minute(1, 8, 0);
    let v8_fixed = minute(1, 15, 0);
    let flapping = (minute(1, 10, 0), minute(1, 11, 0));
    let embed_down = (minute(1, 19, 0), minute(1, 19, 45));
    let maintenance = (minute(1, 0, 30), minute(1, 2, 0));
    let wrong_answers = (minute(0, 20, 0), minute(0, 21, 0));

    let mut all = Vec::new();
    // Generation latency (seconds).
    all.push(series(
        "llm.generation.latency",
        "chat-large",
        "v3",
        &mut n,
        |m| {
            let spike = if within(m, chat_spike.0, chat_spike.1) {
                3.6
            } else {
                1.0
            };
            Some(1.2 * daily(m, 0.2) * spike)
        },
        0.04,
    ));
    all.push(series(
        "llm.generation.latency",
        "chat-large",
        "v4",
        &mut n,
        |m| Some(1.25 * daily(m, 0.2)),
        0.04,
    ));
    all.push(series(
        "llm.generation.latency",
        "embed-small",
        "v1",
        &mut n,
        |m| {
            let spike = if within(m, embed_spike.0, embed_spike.1) {
                45.0
            } else {
                1.0
            };
            Some(0.08 * daily(m, 0.1) * spike)
        },
        0.05,
    ));
    all.push(series(
        "llm.generation.latency",
        "summarizer",
        "v7",
        &mut n,
        |m| Some(1.6 * daily(m, 0.15)),
        0.04,
    ));
    // Quality score: v8 drifts down after its deployment until the fix.
    all.push(series(
        "llm.quality.score",
        "summarizer",
        "v7",
        &mut n,
        |_| Some(0.86),
        0.006,
    ));
    all.push(series(
        "llm.quality.score",
        "summarizer",
        "v8",
        &mut n,
        |m| {
            if m < v8_deploy {
                return None;
            }
            let since = f64::from(m - v8_deploy);
            let drift = if m < v8_fixed {
                (since * 0.0004).min(0.14)
            } else {
                0.0
            };
            Some(0.86 - drift)
        },
        0.006,
    ));
    all.push(series(
        "llm.quality.score",
        "chat-large",
        "v3",
        &mut n,
        |_| Some(0.88),
        0.006,
    ));
    // Tokens per minute: embed-small's batch job goes wild for 40 minutes.
    all.push(series(
        "llm.tokens.total",
        "embed-small",
        "v1",
        &mut n,
        |m| {
            let spike = if within(m, token_spike.0, token_spike.1) {
                4.2
            } else {
                1.0
            };
            Some(200_000.0 * daily(m, 0.3) * spike)
        },
        0.05,
    ));
    all.push(series(
        "llm.tokens.total",
        "chat-large",
        "v3",
        &mut n,
        |m| Some(50_000.0 * daily(m, 0.4)),
        0.05,
    ));
    // Error rate: chat-large's flaps around its threshold for an hour.
    all.push(series(
        "llm.requests.error_rate",
        "chat-large",
        "v3",
        &mut n,
        |m| {
            if within(m, flapping.0, flapping.1) {
                Some(if ((m - flapping.0) / 3).is_multiple_of(2) {
                    0.07
                } else {
                    0.01
                })
            } else {
                Some(0.004)
            }
        },
        0.1,
    ));

    // Error rate: embed-small's pool stops serving for 45 minutes, so no points at all.
    all.push(series(
        "llm.requests.error_rate",
        "embed-small",
        "v1",
        &mut n,
        |m| (!within(m, embed_down.0, embed_down.1)).then_some(0.003),
        0.1,
    ));

    let happenings = vec![
        (
            wrong_answers.0,
            Happening::Model {
                mode: ModelMode::Wrong,
                what: "the summarizer's endpoint starts answering wrongly (a bad prompt template)",
            },
        ),
        (
            wrong_answers.1,
            Happening::Model {
                mode: ModelMode::Healthy,
                what: "the summarizer's prompt template is rolled back",
            },
        ),
        (
            minute(0, 17, 0),
            Happening::Silence {
                matchers: json!({"model": "summarizer", "env": "prod"}),
                from_minute: maintenance.0,
                to_minute: maintenance.1,
                comment: "summarizer GPU pool maintenance",
            },
        ),
        (
            minute(1, 1, 0),
            Happening::Webhook {
                name: "gpu-memory-triggered (in maintenance)",
                body: webhook(
                    "9051",
                    "cyc-gpu-mem-0",
                    "Triggered",
                    "error",
                    "P1",
                    "GPU memory above 95 %",
                    "summarizer",
                    "v7",
                    minute(1, 1, 0),
                ),
            },
        ),
        (
            minute(1, 1, 30),
            Happening::Webhook {
                name: "gpu-memory-recovered (in maintenance)",
                body: webhook(
                    "9052",
                    "cyc-gpu-mem-0",
                    "Recovered",
                    "success",
                    "P1",
                    "GPU memory above 95 %",
                    "summarizer",
                    "v7",
                    minute(1, 1, 30),
                ),
            },
        ),
        (
            chat_spike.0 + 15,
            Happening::Slack {
                monitor: "latency",
                model: "chat-large",
                by: "ana",
                false_positive: false,
            },
        ),
        (
            minute(0, 9, 0),
            Happening::Webhook {
                name: "gpu-utilisation-warn",
                body: webhook(
                    "9001",
                    "cyc-gpu-util-1",
                    "Warn",
                    "warning",
                    "P3",
                    "GPU utilisation above 90 %",
                    "chat-large",
                    "v3",
                    minute(0, 9, 0),
                ),
            },
        ),
        (
            minute(0, 9, 12),
            Happening::Slack {
                monitor: "datadog",
                model: "chat-large",
                by: "ben",
                false_positive: true,
            },
        ),
        (
            minute(0, 9, 30),
            Happening::Webhook {
                name: "gpu-utilisation-recovered",
                body: webhook(
                    "9002",
                    "cyc-gpu-util-1",
                    "Recovered",
                    "success",
                    "P3",
                    "GPU utilisation above 90 %",
                    "chat-large",
                    "v3",
                    minute(0, 9, 30),
                ),
            },
        ),
        (
            v8_deploy,
            Happening::Deployment {
                model: "summarizer",
                version: "v8",
            },
        ),
        (
            minute(1, 20, 0),
            Happening::Webhook {
                name: "gpu-memory-triggered",
                body: webhook(
                    "9101",
                    "cyc-gpu-mem-1",
                    "Triggered",
                    "error",
                    "P1",
                    "GPU memory above 95 %",
                    "summarizer",
                    "v7",
                    minute(1, 20, 0),
                ),
            },
        ),
        (
            minute(1, 20, 0),
            Happening::Webhook {
                name: "gpu-memory-triggered (Datadog retry)",
                body: webhook(
                    "9101",
                    "cyc-gpu-mem-1",
                    "Triggered",
                    "error",
                    "P1",
                    "GPU memory above 95 %",
                    "summarizer",
                    "v7",
                    minute(1, 20, 0),
                ),
            },
        ),
        (
            minute(1, 20, 25),
            Happening::Webhook {
                name: "gpu-memory-recovered",
                body: webhook(
                    "9102",
                    "cyc-gpu-mem-1",
                    "Recovered",
                    "success",
                    "P1",
                    "GPU memory above 95 %",
                    "summarizer",
                    "v7",
                    minute(1, 20, 25),
                ),
            },
        ),
    ];

    let injected = vec![
        Injected {
            what: "wrong answers, caught by the synthetic probe",
            monitor: "probe.summarizer-answers",
            model: "summarizer",
            from_minute: wrong_answers.0,
            to_minute: wrong_answers.1,
            muted: false,
        },
        Injected {
            what: "latency spike at night",
            monitor: "latency",
            model: "chat-large",
            from_minute: chat_spike.0,
            to_minute: chat_spike.1,
            muted: false,
        },
        Injected {
            what: "GPU utilisation warning (Datadog, a false positive)",
            monitor: "datadog",
            model: "chat-large",
            from_minute: minute(0, 9, 0),
            to_minute: minute(0, 9, 30),
            muted: false,
        },
        Injected {
            what: "token-usage spike",
            monitor: "token-spike",
            model: "embed-small",
            from_minute: token_spike.0,
            to_minute: token_spike.1,
            muted: false,
        },
        Injected {
            what: "latency spike at night, nobody answers",
            monitor: "latency",
            model: "embed-small",
            from_minute: embed_spike.0,
            to_minute: embed_spike.1,
            muted: false,
        },
        Injected {
            what: "quality drift after v8's deployment",
            monitor: "summarizer-rollout",
            model: "summarizer",
            from_minute: v8_deploy,
            to_minute: v8_fixed,
            muted: false,
        },
        Injected {
            what: "flapping error rate",
            monitor: "error-rate",
            model: "chat-large",
            from_minute: flapping.0,
            to_minute: flapping.1,
            muted: false,
        },
        Injected {
            what: "GPU memory nearly full (Datadog, P1)",
            monitor: "datadog",
            model: "summarizer",
            from_minute: minute(1, 20, 0),
            to_minute: minute(1, 20, 25),
            muted: false,
        },
        Injected {
            what: "GPU memory during planned maintenance (silenced)",
            monitor: "datadog",
            model: "summarizer",
            from_minute: minute(1, 1, 0),
            to_minute: minute(1, 1, 30),
            muted: true,
        },
        Injected {
            what: "embed-small stops serving (no data)",
            monitor: "serving",
            model: "embed-small",
            from_minute: embed_down.0,
            to_minute: embed_down.1,
            muted: false,
        },
    ];

    Scenario {
        start: Timestamp::from_secs(START_SECS),
        minutes: MINUTES,
        series: all,
        happenings,
        injected,
    }
}

/// A notification in the recommended template, as Datadog renders it.
#[allow(clippy::too_many_arguments)]
fn webhook(
    id: &str,
    cycle: &str,
    transition: &str,
    alert_type: &str,
    priority: &str,
    title: &str,
    model: &str,
    version: &str,
    at_minute: u32,
) -> Value {
    let date = (START_SECS + i64::from(at_minute) * 60) * 1000;
    let scope = format!("model:{model},model_version:{version},env:prod");
    json!({
        "id": id,
        "alert_id": "4242",
        "alert_cycle_key": cycle,
        "aggreg_key": format!("agg-{cycle}"),
        "alert_transition": transition,
        "alert_type": alert_type,
        "alert_priority": priority,
        "alert_title": format!("[{transition} on {{{scope}}}] {title}"),
        "alert_scope": scope,
        "alert_metric": "gpu.memory.used_fraction",
        "alert_status": format!("{title} on {model}"),
        "alert_query": "max(last_5m):max:gpu.memory.used_fraction{env:prod} by {model,model_version} > 0.95",
        "tags": format!("env:prod,model:{model},model_version:{version},team:ml-platform"),
        "model": model,
        "model_version": version,
        "link": format!("https://app.datadoghq.com/event/event?id={id}"),
        "snapshot": "$SNAPSHOT",
        "date": date.to_string(),
        "last_updated": date.to_string(),
        "event_type": "query_alert_monitor",
        "org_id": "123456",
    })
}
