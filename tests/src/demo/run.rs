//! Replaying the scenario minute by minute: the metrics go into the Datadog fake, then for
//! every simulated minute the clock moves, the happenings of that minute reach the intake,
//! the evaluator runs (and, every few minutes, the prober), the escalation clock ticks,
//! and the escalator drains the stream.

use axum::body::Body;
use axum::http::Request;
use modelwatch::domain::Timestamp;
use modelwatch::page::{ACTION_ACKNOWLEDGE, ACTION_FALSE_POSITIVE, ButtonValue};
use serde_json::json;

use super::probes::{DemoProber, EVERY_MINUTES};
use super::scenario::{Happening, START_SECS, Scenario};
use crate::pipeline::Stack;

/// Counts of what the run did, for the progress lines and the summary.
#[derive(Debug, Default, Clone)]
pub struct RunStats {
    pub evaluations: u64,
    pub signals_written: u64,
    pub probe_runs: u64,
    pub probe_signals_written: u64,
    pub webhooks: Vec<(Timestamp, String, u16)>,
    pub people: Vec<(Timestamp, String)>,
    pub stream_batches: u64,
    pub failed_batches: u64,
}

/// Loads the scenario's metrics into the Datadog fake.
pub fn load_metrics(scenario: &Scenario, stack: &Stack) {
    for s in &scenario.series {
        let points: Vec<(i64, f64)> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(m, v)| v.map(|v| (scenario.at(m as u32).millis(), v)))
            .collect();
        let tags = [
            ("model", s.model),
            ("model_version", s.version),
            ("env", "prod"),
        ];
        stack.datadog.add(s.metric, &tags, points);
    }
}

pub async fn run(
    scenario: &Scenario,
    stack: &mut Stack,
    probe: &DemoProber,
    mut progress: impl FnMut(Timestamp, &RunStats),
) -> Result<RunStats, String> {
    load_metrics(scenario, stack);
    let mut stats = RunStats::default();
    for minute in 0..=scenario.minutes {
        let now = scenario.at(minute);
        stack.clock.set(now);
        let mut changed = false;
        for (_, happening) in scenario.happenings.iter().filter(|(m, _)| *m == minute) {
            if let Happening::Model { mode, what } = happening {
                probe.model.set_mode(mode.clone());
                stats.people.push((now, (*what).to_owned()));
                continue;
            }
            changed |= happen(stack, happening, now, &mut stats).await?;
        }
        if minute % EVERY_MINUTES == 0 {
            let report = probe.prober.run(now).await.map_err(|e| e.to_string())?;
            stats.probe_runs += 1;
            stats.probe_signals_written += u64::from(report.written);
            changed |= report.written > 0;
        }
        let report = stack.evaluate(now).await?;
        stats.evaluations += u64::from(report.groups);
        stats.signals_written += u64::from(report.written);
        let tick = stack.tick(now).await?;
        if changed || report.written > 0 || tick.ticked > 0 || tick.retried > 0 {
            let round = stack.deliver().await?;
            stats.stream_batches += u64::from(round.batches);
            stats.failed_batches += u64::from(round.failed);
        }
        if minute % 360 == 0 {
            progress(now, &stats);
        }
    }
    // Let the clock retry anything left owing, as the next minutes would.
    for extra in 1..=3 {
        let now = scenario.at(scenario.minutes + extra * 2);
        stack.clock.set(now);
        stack.tick(now).await?;
        stack.deliver().await?;
    }
    Ok(stats)
}

async fn happen(
    stack: &Stack,
    happening: &Happening,
    now: Timestamp,
    stats: &mut RunStats,
) -> Result<bool, String> {
    match happening {
        Happening::Webhook { name, body } => {
            let req = Request::post("/webhooks/datadog")
                .header("x-modelwatch-token", stack.token.as_str())
                .header("content-type", "application/json; charset=utf-8")
                .body(Body::from(body.to_string()))
                .map_err(|e| e.to_string())?;
            let status = stack.status_of(req).await?;
            stats.webhooks.push((now, (*name).to_owned(), status));
            Ok(true)
        }
        Happening::Slack {
            monitor,
            model,
            by,
            false_positive,
        } => {
            let alerts = stack.store.all_alerts().await.map_err(|e| e.to_string())?;
            let found = alerts.iter().rev().find(|a| {
                let same_model = a.context.model.as_ref().is_some_and(|m| m.name() == *model);
                let same_monitor = if *monitor == "datadog" {
                    a.key.as_str().starts_with("datadog:")
                } else {
                    a.context.monitor.id == *monitor
                };
                same_model && same_monitor && a.status.is_open()
            });
            let Some(alert) = found else {
                stats.people.push((
                    now,
                    format!("{by} found no open {monitor} alert on {model}"),
                ));
                return Ok(false);
            };
            let (action, verb) = if *false_positive {
                (ACTION_FALSE_POSITIVE, "pressed Mark false positive on")
            } else {
                (ACTION_ACKNOWLEDGE, "pressed Acknowledge on")
            };
            let value = serde_json::to_string(&ButtonValue {
                key: alert.key.to_string(),
                cycle: alert.cycle,
            })
            .map_err(|e| e.to_string())?;
            let payload = json!({
                "type": "block_actions",
                "user": {"id": format!("U0{}", by.to_uppercase()), "username": by},
                "actions": [{"action_id": action, "value": value, "action_ts": format!("{}.000000", now.secs())}],
            });
            let status = stack
                .post_slack("/slack/interactions", &payload.to_string())
                .await?;
            stats.people.push((
                now,
                format!(
                    "{by} {verb} \"{}\" in Slack → HTTP {status}",
                    alert.context.title
                ),
            ));
            Ok(true)
        }
        Happening::Deployment { model, version } => {
            let body = json!({
                "model": model,
                "version": version,
                "environment": "prod",
                "time": now.to_string(),
                "link": format!("https://github.com/acme/models/releases/{model}-{version}"),
            });
            let status = post_json(stack, "/deployments", &body).await?;
            stats.people.push((
                now,
                format!("CI recorded the deployment of {model} {version} → HTTP {status}"),
            ));
            Ok(false)
        }
        Happening::Silence {
            matchers,
            from_minute,
            to_minute,
            comment,
        } => {
            let start = Timestamp::from_secs(START_SECS + i64::from(*from_minute) * 60);
            let body = json!({
                "matchers": matchers,
                "starts_at": start.to_string(),
                "duration": format!("{}m", to_minute - from_minute),
                "created_by": "CI",
                "comment": comment,
            });
            let status = post_json(stack, "/silences", &body).await?;
            stats.people.push((
                now,
                format!(
                    "CI planned a silence of {matchers} from {start} for {} min ({comment}) → HTTP {status}",
                    to_minute - from_minute
                ),
            ));
            Ok(true)
        }
        // Applied by `run` itself (the fake endpoint is not part of the stack).
        Happening::Model { .. } => Ok(false),
    }
}

/// Posts `body` as JSON to an intake route with the webhook token; the status.
async fn post_json(stack: &Stack, path: &str, body: &serde_json::Value) -> Result<u16, String> {
    let req = Request::post(path)
        .header("x-modelwatch-token", stack.token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| e.to_string())?;
    stack.status_of(req).await
}
