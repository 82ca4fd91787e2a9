//! `POST /deployments`: a deploy pipeline says a model version went out; the deployment is
//! recorded (pages show the model's deployments of the 24 h before onset) and, when
//! configured, forwarded to PagerDuty as a change event.
//!
//! Body: `{"model", "version", "environment", "time" (RFC 3339 or epoch seconds or
//! milliseconds; default now), "link", "description"}`, authenticated like the Datadog
//! route.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use modelwatch::domain::Deployment;
use modelwatch::domain::{InvalidValue, ModelRef, Timestamp};
use modelwatch::pagerduty::ChangeBuilder;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::Intake;
use crate::error::{IntakeError, json_answer};
use crate::extract::{Payload, TokenCaller};

const ROUTE: &str = "deployments";
const DEPLOYMENT_PAST_SECS: u64 = 90 * 24 * 3600;
const DEPLOYMENT_FUTURE_SECS: u64 = 3600;
/// A deployment without a time of its own is dated on arrival: the same model, version
/// and environment posted again this soon, with no other version deployed there in
/// between, is the pipeline's retry, not a second rollout.
const RETRY_SECS: u64 = 600;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeploymentError {
    #[error(
        "the body is not a deployment: {message}; expected JSON {{\"model\", \"version\", \"environment\", \"time\", \"link\", \"description\"}}"
    )]
    Shape { message: String },
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    time: Option<Value>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn text(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Reads a deployment, and whether it named its time; `now` stands in for a missing one.
pub fn parse(body: &[u8], now: Timestamp) -> Result<(Deployment, bool), DeploymentError> {
    let raw: Raw = serde_json::from_slice(body).map_err(|e| DeploymentError::Shape {
        message: e.to_string(),
    })?;
    let version = text(raw.version);
    let model = ModelRef::new(raw.model.trim(), version.as_deref())?;
    let timed = !matches!(raw.time, None | Some(Value::Null));
    let at = match &raw.time {
        None | Some(Value::Null) => now,
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| Timestamp::parse(&n.to_string()))
            .ok_or_else(|| bad_time(&n.to_string()))?,
        Some(Value::String(s)) => Timestamp::parse(s).ok_or_else(|| bad_time(s))?,
        Some(other) => return Err(bad_time(&other.to_string()).into()),
    };
    // A deployment is recorded when it happens, or backfilled from recent history.
    if at < now.minus_secs(DEPLOYMENT_PAST_SECS) || at > now.plus_secs(DEPLOYMENT_FUTURE_SECS) {
        return Err(InvalidValue::new(
            "deployment time",
            &at.to_string(),
            "a time within the last 90 days and at most an hour ahead",
        )
        .into());
    }
    let link = text(raw.link);
    if let Some(l) = link
        .as_deref()
        .filter(|l| modelwatch::domain::url::web_url(l).is_none())
    {
        return Err(InvalidValue::new(
            "deployment link",
            l,
            "an http(s) URL with a plain host name and no spaces",
        )
        .into());
    }
    let deployment = Deployment {
        model,
        environment: text(raw.environment),
        at,
        link,
        description: text(raw.description).map(|d| d.chars().take(1000).collect()),
    };
    Ok((deployment, timed))
}

fn bad_time(received: &str) -> InvalidValue {
    InvalidValue::new(
        "deployment time",
        received,
        "RFC 3339 (2026-11-28T04:00:00Z) or epoch seconds or milliseconds",
    )
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
    Payload(bytes): Payload,
) -> Result<Response, IntakeError> {
    let now = intake.clock.now();
    let (deployment, timed) = parse(&bytes, now).map_err(IntakeError::bad_request)?;
    // A retry of a post already recorded (its answer lost) records nothing again and
    // sends PagerDuty no second change event, which has no dedup key.
    let (from, to) = if timed {
        (deployment.at, deployment.at)
    } else {
        (now.minus_secs(RETRY_SECS), now)
    };
    // The latest in its environment (newest first), if it is this one: another version
    // since (a rollback, then this version again) makes this post a deployment of its own.
    let recorded = intake
        .store
        .deployments(deployment.model.name(), from, to)
        .await?
        .into_iter()
        .find(|d| d.environment == deployment.environment)
        .filter(|d| d.model == deployment.model);
    if let Some(earlier) = recorded {
        tracing::info!(route = ROUTE, model = %earlier.model, at = %earlier.at, "deployment already recorded");
        return Ok(json_answer(
            StatusCode::OK,
            json!({
                "status": "already recorded",
                "model": earlier.model.name(),
                "version": earlier.model.version(),
                "at": earlier.at.to_string(),
            }),
        ));
    }
    intake.store.record_deployment(&deployment).await?;
    let change_event = forward(&intake, &deployment).await;
    tracing::info!(route = ROUTE, model = %deployment.model, at = %deployment.at, change_event, "deployment recorded");
    Ok(json_answer(
        StatusCode::CREATED,
        json!({
            "status": "recorded",
            "model": deployment.model.name(),
            "version": deployment.model.version(),
            "at": deployment.at.to_string(),
            "change_event": change_event,
        }),
    ))
}

/// Sends the change event when configured: `sent`, `failed` (logged; the deployment is
/// recorded either way, so the pipeline is not asked to retry) or `off`.
async fn forward(intake: &Intake, d: &Deployment) -> &'static str {
    let Some(changes) = &intake.inbound.change_events else {
        return "off";
    };
    let mut summary = format!("Deployed {}", d.model);
    if let Some(env) = &d.environment {
        summary.push_str(&format!(" to {env}"));
    }
    let mut details = Map::new();
    details.insert("model".into(), Value::from(d.model.name()));
    if let Some(v) = d.model.version() {
        details.insert("version".into(), Value::from(v));
    }
    if let Some(env) = &d.environment {
        details.insert("environment".into(), Value::from(env.as_str()));
    }
    if let Some(desc) = &d.description {
        details.insert("description".into(), Value::from(desc.as_str()));
    }
    let mut builder = ChangeBuilder::new(summary)
        .source("modelwatch")
        .timestamp(d.at)
        .custom_details(details);
    if let Some(link) = &d.link {
        builder = builder.link(link.as_str(), "Deployment");
    }
    let sent = match builder.build() {
        Ok(event) => changes
            .client
            .send_change(&changes.routing_key, &event)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match sent {
        Ok(()) => "sent",
        Err(message) => {
            tracing::warn!(route = ROUTE, model = %d.model, error = %message, "change event not sent");
            "failed"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_795_730_400_000);

    #[test]
    fn a_full_deployment_parses_with_any_time_form() {
        let body = br#"{"model": "chat-large", "version": "v8", "environment": "prod",
            "time": "2026-11-26T20:00:00Z", "link": "https://ci.example.com/builds/2",
            "description": "new sampler"}"#;
        let (d, timed) = parse(body, NOW).unwrap();
        assert!(timed);
        assert_eq!(d.model.to_string(), "chat-large@v8");
        assert_eq!(d.at, Timestamp::parse("2026-11-26T20:00:00Z").unwrap());
        assert_eq!(d.link.as_deref(), Some("https://ci.example.com/builds/2"));
        for time in ["1795723200", "1795723200000", "\"1795723200\""] {
            let body = format!(r#"{{"model": "chat-large", "time": {time}}}"#);
            assert_eq!(
                parse(body.as_bytes(), NOW).unwrap().0.at,
                Timestamp::from_secs(1_795_723_200)
            );
        }
        assert_eq!(
            parse(br#"{"model": "chat-large"}"#, NOW).unwrap(),
            parse(br#"{"model": "chat-large", "time": null}"#, NOW).unwrap()
        );
        let (d, timed) = parse(br#"{"model": "chat-large"}"#, NOW).unwrap();
        assert_eq!((d.at, timed), (NOW, false));
    }

    #[test]
    fn bad_fields_are_named_with_what_was_expected() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"version": "v8"}"#, "missing field `model`"),
            (br#"{"model": "chat large"}"#, "model name"),
            (br#"{"model": "m", "time": "soon"}"#, "deployment time"),
            (
                br#"{"model": "m", "link": "javascript:alert(1)"}"#,
                "http(s) URL",
            ),
            (br#"{"model": "m", "modle": "x"}"#, "unknown field"),
        ];
        for time in [
            "-9223372036854775808",
            "9223372036854775807",
            "\"2286-11-20T17:46:40Z\"",
        ] {
            let body = format!(r#"{{"model": "m", "time": {time}}}"#);
            let err = parse(body.as_bytes(), NOW).unwrap_err().to_string();
            assert!(err.contains("within the last 90 days"), "{time}: {err}");
        }
        for (body, says) in cases {
            let err = parse(body, NOW).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
