//! `/silences`: a deploy pipeline (or anyone holding the webhook token) silences a rollout,
//! lists the silences, and ends one early. `modelwatch::silencing` decides and records;
//! this only reads the request and words the answer.
//!
//! - `POST /silences` with `{"matchers": {"model": "chat-large", "env": "prod"},
//!   "duration": "2h" | "ends_at": TIME, "starts_at": TIME (default now), "created_by",
//!   "comment"}` → 201 with the silence and how many open alerts it muted now; the same
//!   request again within two minutes (a retry) → 200 with that silence and
//!   `"repeated": true`, and no second silence;
//! - `GET /silences` → the silences in force or planned;
//! - `DELETE /silences/{id}` → 200 with how many alerts it muted are released now and how
//!   many another silence still mutes, 404
//!   for an unknown id.
//!
//! Times are RFC 3339 or epoch seconds or milliseconds.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use modelwatch::config::DURATION_EXPECTED;
use modelwatch::domain::{Matcher, Silence, SilenceId, Timestamp};
use modelwatch::silencing::{self, SilenceRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Intake;
use crate::error::{IntakeError, json_answer};
use crate::extract::{Payload, TokenCaller};

const ROUTE: &str = "silences";

const EXPECTED: &str = "expected JSON {\"matchers\": {\"model\": \"chat-large\", \"env\": \"prod\"}, \"duration\": \"2h\" or \"ends_at\": TIME, \"starts_at\": TIME, \"created_by\": \"…\", \"comment\": \"…\"}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    matchers: BTreeMap<String, String>,
    #[serde(default)]
    duration: Option<String>,
    #[serde(default)]
    starts_at: Option<Value>,
    #[serde(default)]
    ends_at: Option<Value>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// Reads a silence request; the error says which field was wrong and what was expected.
pub fn parse(body: &[u8]) -> Result<(SilenceRequest, String), String> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not a silence: {e}; {EXPECTED}"))?;
    // `"model": "chat-large@v7"` as Slack's command reads it: the model and its version.
    let matchers = raw
        .matchers
        .iter()
        .flat_map(|(field, value)| silencing::model_version(&format!("{field}={value}")))
        .map(|m| m.parse::<Matcher>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let duration_secs = match raw.duration.as_deref() {
        None => None,
        Some(text) => Some(modelwatch::config::parse_duration(text).ok_or_else(|| {
            format!("duration {text:?} is not understood: expected {DURATION_EXPECTED}")
        })?),
    };
    let request = SilenceRequest {
        matchers,
        starts_at: time("starts_at", raw.starts_at.as_ref())?,
        duration_secs,
        ends_at: time("ends_at", raw.ends_at.as_ref())?,
        comment: raw.comment.unwrap_or_default().trim().to_owned(),
    };
    let by = raw
        .created_by
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "deploy pipeline".to_owned());
    Ok((request, by))
}

fn time(field: &str, value: Option<&Value>) -> Result<Option<Timestamp>, String> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    };
    Timestamp::parse(&text).map(Some).ok_or_else(|| {
        format!(
            "{field} {text:?} is not a time: expected RFC 3339 (2026-12-03T01:00:00Z) or epoch seconds or milliseconds"
        )
    })
}

/// A silence as the routes answer it.
pub fn view(s: &Silence, now: Timestamp) -> Value {
    let state = if s.ends_at <= now {
        "expired"
    } else if s.is_active(now) {
        "active"
    } else {
        "pending"
    };
    let mut matchers: serde_json::Map<String, Value> = s
        .matchers
        .iter()
        .map(|m| (m.field.as_str().to_owned(), Value::from(m.value.as_str())))
        .collect();
    if let Some(key) = &s.alert {
        matchers.insert("alert".to_owned(), Value::from(key.as_str()));
    }
    json!({
        "id": s.id.as_str(),
        "state": state,
        "matchers": matchers,
        "starts_at": s.starts_at.to_string(),
        "ends_at": s.ends_at.to_string(),
        "created_by": s.created_by,
        "created_at": s.created_at.to_string(),
        "comment": s.comment,
    })
}

pub async fn create(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
    Payload(bytes): Payload,
) -> Result<Response, IntakeError> {
    let now = intake.clock.now();
    let (request, by) = parse(&bytes).map_err(IntakeError::bad_request)?;
    let silence = request
        .into_silence(&by, now)
        .map_err(IntakeError::bad_request)?;
    let made = silencing::make(&intake.store, &intake.config, silence, now).await?;
    tracing::info!(route = ROUTE, silence = %made.silence.id, matchers = %made.silence.describe(), muted = made.muted.len(), repeated = made.repeated, "silence made");
    let mut answer = view(&made.silence, now);
    answer["muted_now"] = Value::from(made.muted.len());
    // A repeat answers with the silence the first request made, as that one was answered.
    let status = if made.repeated {
        answer["repeated"] = Value::Bool(true);
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json_answer(status, answer))
}

pub async fn list(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
) -> Result<Response, IntakeError> {
    let now = intake.clock.now();
    let silences = intake.store.silences(now).await?;
    let views: Vec<Value> = silences.iter().map(|s| view(s, now)).collect();
    Ok(json_answer(StatusCode::OK, json!({ "silences": views })))
}

pub async fn expire(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
    Path(id): Path<String>,
) -> Result<Response, IntakeError> {
    let now = intake.clock.now();
    let id = SilenceId::new(&id).map_err(IntakeError::bad_request)?;
    let expired = silencing::expire(&intake.store, &intake.config, &id, now).await?;
    let Some(silence) = expired.silence else {
        return Ok(json_answer(
            StatusCode::NOT_FOUND,
            json!({"error": format!("there is no silence {id}: GET /silences lists them")}),
        ));
    };
    tracing::info!(route = ROUTE, silence = %id, released = expired.released, "silence expired");
    let mut answer = view(&silence, now);
    answer["released_now"] = Value::from(expired.released);
    answer["still_muted"] = Value::from(expired.still_muted);
    Ok(json_answer(StatusCode::OK, answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::domain::MatchField;

    #[test]
    fn a_pipeline_request_reads_matchers_length_and_times() {
        let (r, by) = parse(
            br#"{"matchers": {"model": "chat-large", "environment": "prod"},
                 "duration": "2h", "starts_at": "2026-12-03T01:00:00Z",
                 "created_by": "ci", "comment": "v8 rollout"}"#,
        )
        .unwrap();
        let fields: Vec<MatchField> = r.matchers.iter().map(|m| m.field).collect();
        assert_eq!(fields, [MatchField::Environment, MatchField::Model]);
        assert_eq!(r.duration_secs, Some(7200));
        assert_eq!(r.starts_at, Timestamp::parse("2026-12-03T01:00:00Z"));
        assert_eq!((by.as_str(), r.comment.as_str()), ("ci", "v8 rollout"));
        let (r, by) =
            parse(br#"{"matchers": {"monitor": "errors"}, "ends_at": 1795730400}"#).unwrap();
        assert_eq!(r.ends_at, Some(Timestamp::from_secs(1_795_730_400)));
        assert_eq!(by, "deploy pipeline");
    }

    #[test]
    fn mistakes_name_the_field_and_what_was_expected() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"duration": "2h"}"#, "missing field `matchers`"),
            (
                br#"{"matchers": {"host": "a"}, "duration": "2h"}"#,
                "field=value",
            ),
            (
                br#"{"matchers": {"model": "m"}, "duration": "soon"}"#,
                "duration \"soon\"",
            ),
            (
                br#"{"matchers": {"model": "m"}, "ends_at": "later"}"#,
                "ends_at \"later\"",
            ),
            (
                br#"{"matchers": {"model": "m"}, "until": "x"}"#,
                "unknown field",
            ),
        ];
        for (body, says) in cases {
            let err = parse(body).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }
}
