//! `POST /slack/interactions`: the alert message's buttons (Acknowledge, Mark false
//! positive, Silence 1 h) as signals through the lifecycle; Silence 1 h makes a silence of
//! the alert itself (its monitor on its group; its next cycles too when it is keyed by its
//! monitor and group, as Datadog's and the evaluator's alerts are).
//!
//! The answer is an empty 200 as soon as the signal is stored, well within Slack's 3 s. A
//! click that changed nothing (a button of another cycle, an alert already acknowledged
//! or recovered) or failed is explained to the clicker alone, through the click's
//! `response_url`: otherwise it looks lost. A table slow past 2 s is still waited for (a
//! click dropped half-way could lose an acknowledgement), and the clicker told so first.
//!
//! The message is not replaced from here: the committed signal owes an action, and the
//! escalator delivers it from the table's stream — `chat.update` of the alert message
//! ("acknowledged by dana", buttons trimmed) and a thread reply saying who did what. One
//! writer of the message means a click can never show a state that was not stored, and
//! a click racing a recovery cannot leave the message behind the alert.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modelwatch::domain::{Alert, AlertKey, InvalidValue, Signal, SignalKind, Silence, Timestamp};
use modelwatch::lifecycle::{Outcome, Transition};
use modelwatch::page::{
    ACTION_ACKNOWLEDGE, ACTION_FALSE_POSITIVE, ACTION_SILENCE_1H, ButtonValue, escape,
};
use modelwatch::signals::{Origin, people};
use modelwatch::silencing;
use modelwatch::slack::{ResponseUrl, Told};
use serde::Deserialize;

use super::{ROUTE_INTERACTIONS as ROUTE, form_field};
use crate::Intake;
use crate::apply;
use crate::error::IntakeError;
use crate::extract::{SinceArrival, SlackSigned};

const SILENCE_SECS: u64 = 3600;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InteractionError {
    #[error("the interaction payload is not JSON Slack sends: {message}")]
    Shape { message: String },
    #[error(
        "button {action_id} carries value {received:?}: expected {{\"key\": alert key, \"cycle\": number}}"
    )]
    BadValue { action_id: String, received: String },
    #[error("action_ts {received:?} is not epoch seconds such as 1548426417.840180")]
    BadTime { received: String },
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    user: User,
    #[serde(default)]
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawAction {
    action_id: String,
    #[serde(default)]
    value: Option<String>,
    action_ts: String,
}

/// `1548426417.840180` (seconds with microseconds) as a timestamp.
fn action_time(text: &str) -> Option<Timestamp> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, "0"));
    let secs: i64 = secs.parse().ok()?;
    let millis: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    Some(Timestamp::from_millis(
        secs.checked_mul(1000)?.checked_add(millis)?,
    ))
}

/// The signals one interaction payload asks for; buttons that are not ours are skipped.
pub fn signals(payload: &str, arrived: Timestamp) -> Result<Vec<Signal>, InteractionError> {
    let p: Payload = serde_json::from_str(payload).map_err(|e| InteractionError::Shape {
        message: e.to_string(),
    })?;
    if p.kind != "block_actions" {
        return Ok(Vec::new());
    }
    let by = p
        .user
        .username
        .or(p.user.name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| p.user.id.clone());
    let mut out = Vec::new();
    for a in p.actions {
        let ours = [ACTION_ACKNOWLEDGE, ACTION_FALSE_POSITIVE, ACTION_SILENCE_1H];
        if !ours.contains(&a.action_id.as_str()) {
            continue;
        }
        let raw = a.value.unwrap_or_default();
        let value: ButtonValue =
            serde_json::from_str(&raw).map_err(|_| InteractionError::BadValue {
                action_id: a.action_id.clone(),
                received: raw.chars().take(120).collect(),
            })?;
        let claimed = action_time(&a.action_ts).ok_or_else(|| InteractionError::BadTime {
            received: a.action_ts.chars().take(40).collect(),
        })?;
        let at = Timestamp::claimed(Some(claimed), arrived);
        let cycle = Some(value.cycle);
        let origin = Origin::slack(format!("{}:{}:{}", a.action_ts, p.user.id, a.action_id));
        let key = AlertKey::new(&value.key)?;
        out.push(match a.action_id.as_str() {
            ACTION_ACKNOWLEDGE => people::acknowledged(&origin, &key, at, &by, cycle)?,
            ACTION_FALSE_POSITIVE => people::false_positive(&origin, &key, at, &by, cycle)?,
            _ => people::silenced(&origin, &key, at, &by, at.plus_secs(SILENCE_SECS))?,
        });
    }
    Ok(out)
}

/// How long a click's work may take before the clicker is told it is still going,
/// counted from when API Gateway took the click in (`SinceArrival`: a cold start's init
/// comes first): Slack shows its own error after 3 s, and the telling
/// (`Responder::WITHIN`) comes first.
const ANSWER_WITHIN: Duration = Duration::from_millis(2_000);

/// How long a click's work may take in all: the intake's Timeout (10 s in
/// infra/template.yaml) less the time to tell the clicker and answer.
const TAKE_WITHIN: Duration = Duration::from_millis(8_500);

const NOT_TAKEN_IN_TIME: &str = "modelwatch's table did not answer in time, so this click may not have been taken, or only in part: click again (a click taken twice counts once).";

const STILL_GOING: &str = "modelwatch's table is slow to answer, so this click is still being taken: the alert message changes once it is, and you are told here if it is not. Slack may show an error meanwhile.";

/// The click's `response_url`, as Slack sent it.
fn response_url(payload: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Answerable {
        response_url: Option<String>,
    }
    serde_json::from_str::<Answerable>(payload)
        .ok()?
        .response_url
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    since_arrival: SinceArrival,
    SlackSigned(bytes): SlackSigned,
) -> Result<Response, IntakeError> {
    let payload = form_field(&bytes, "payload").ok_or_else(|| {
        IntakeError::bad_request("no payload field: expected Slack's form-encoded payload=<JSON>")
    })?;
    let now = intake.clock.now();
    let signals = signals(&payload, now).map_err(IntakeError::bad_request)?;
    // A slow table is waited for as long as the function may run: a click dropped
    // half-way could leave a silence made and its alerts not muted, or an acknowledgement
    // lost while pages go on.
    let started = std::time::Instant::now();
    let mut taking = std::pin::pin!(take(&intake, &signals, now));
    let answer_within = since_arrival.left_of(ANSWER_WITHIN);
    let taken = match tokio::time::timeout(answer_within, &mut taking).await {
        Ok(taken) => Some(taken),
        Err(_) => {
            tracing::warn!(
                route = ROUTE,
                waited_ms = answer_within.as_millis() as u64,
                "click still being taken past Slack's wait"
            );
            let rest = TAKE_WITHIN.saturating_sub(started.elapsed());
            let (_, taken) = tokio::join!(
                tell(&intake, &payload, STILL_GOING),
                tokio::time::timeout(rest, taking)
            );
            taken.ok()
        }
    };
    match taken {
        Some(Ok(unchanged)) if unchanged.is_empty() => Ok(StatusCode::OK.into_response()),
        Some(Ok(unchanged)) => {
            tell(&intake, &payload, &unchanged.join("\n")).await;
            Ok(StatusCode::OK.into_response())
        }
        // Told, the clicker needs no error from Slack besides; the table's failure is still
        // logged as one, for the store-failed alarm (told nowhere, the error answer logs it).
        Some(Err(e)) => match tell(&intake, &payload, &not_taken(&e)).await {
            Told::Sent => {
                if let IntakeError::Store(failure) = &e {
                    tracing::error!(route = ROUTE, error = %failure, retryable = failure.is_retryable(), "store failed");
                }
                Ok(StatusCode::OK.into_response())
            }
            Told::Failed(_) => Err(e),
        },
        // Before Lambda stops the function: what was stored stays, and a click again
        // finishes it (a signal counts once; Silence 1 h mutes what a first click did not).
        None => {
            tracing::error!(
                route = ROUTE,
                waited_ms = started.elapsed().as_millis() as u64,
                "store failed"
            );
            tell(&intake, &payload, NOT_TAKEN_IN_TIME).await;
            Ok(StatusCode::OK.into_response())
        }
    }
}

/// Why a click was not taken, in the clicker's words.
fn not_taken(e: &IntakeError) -> String {
    match e {
        IntakeError::Store(s) if s.is_retryable() => {
            "modelwatch's table did not answer in time, so this click may not have been taken: click again (a click taken twice counts once).".to_owned()
        }
        IntakeError::Store(_) => {
            "modelwatch's table refused this click, so it was not taken; the operator is alerted through the logs.".to_owned()
        }
        other => format!("This click was not taken: {}", escape(&other.to_string())),
    }
}

/// Tells the clicker alone, through the click's `response_url`; a failure is logged and
/// changes nothing else.
async fn tell(intake: &Intake, payload: &str, text: &str) -> Told {
    let Some(raw) = response_url(payload) else {
        tracing::info!(route = ROUTE, "no response_url to tell the clicker through");
        return Told::Failed("no response_url".into());
    };
    let Some(url) = ResponseUrl::new(&raw, intake.inbound.slack_url.as_deref()) else {
        // Not logged whole: for half an hour the URL lets anyone post to the clicker.
        tracing::warn!(
            route = ROUTE,
            "response_url is not on Slack's hooks hosts: the clicker is not told"
        );
        return Told::Failed("response_url not Slack's".into());
    };
    let told = intake.inbound.responder.tell(&url, text).await;
    match &told {
        Told::Sent => tracing::info!(route = ROUTE, "clicker told"),
        Told::Failed(error) => tracing::warn!(route = ROUTE, error, "clicker not told"),
    }
    told
}

/// Takes each signal of one click; what changed nothing comes back in the clicker's
/// words.
async fn take(
    intake: &Intake,
    signals: &[Signal],
    now: Timestamp,
) -> Result<Vec<String>, IntakeError> {
    let mut unchanged = Vec::new();
    for signal in signals {
        let Some(alert) = apply::existing(intake, signal).await? else {
            tracing::info!(route = ROUTE, alert_key = %signal.key, "button of an alert the table does not hold");
            unchanged.push(format!(
                "*{}* changed nothing: modelwatch no longer holds this alert.",
                button(&signal.kind)
            ));
            continue;
        };
        match &signal.kind {
            // "Silence 1 h" makes a silence of this alert (this monitor on this group),
            // so its next cycles are muted too until the hour is over.
            SignalKind::Silenced { by, until } => {
                let matchers = silencing::matchers_for(&alert);
                match Silence::new(
                    matchers,
                    signal.at.min(now),
                    *until,
                    by,
                    "Silence 1 h, from Slack",
                    now,
                )
                .map(|s| s.only_for(&alert.key))
                {
                    Ok(silence) => {
                        let made =
                            silencing::make(&intake.store, &intake.config, silence, now).await?;
                        tracing::info!(route = ROUTE, alert_key = %signal.key, silence = %made.silence.id, "silence made");
                    }
                    // The clicker sees that it failed (a click more than an hour old:
                    // the silence would be over) instead of believing the alert silenced.
                    Err(e) => {
                        tracing::warn!(route = ROUTE, alert_key = %signal.key, error = %e, "silence not made");
                        return Err(IntakeError::bad_request(format!(
                            "Silence 1 h of {}: {e}",
                            signal.key
                        )));
                    }
                }
            }
            _ => {
                let applied = apply::apply(intake, ROUTE, signal, now).await?;
                if let Some(why) = unchanged_because(signal, &applied.transition) {
                    unchanged.push(format!(
                        "*{}* changed nothing for {}: {why}.",
                        button(&signal.kind),
                        about(&applied.transition.alert)
                    ));
                }
            }
        }
    }
    Ok(unchanged)
}

/// Why `signal`'s click changed nothing, in the clicker's words; `None` when it changed
/// something, or when it was a repeat of a click already taken.
fn unchanged_because(signal: &Signal, transition: &Transition) -> Option<String> {
    let alert = &transition.alert;
    let why = match transition.outcome {
        Outcome::Applied | Outcome::Duplicate => return None,
        Outcome::Stale => "the alert has changed since",
        Outcome::Ignored(why) => why,
    };
    let clicked_cycle = match &signal.kind {
        SignalKind::Acknowledged { cycle, .. } | SignalKind::FalsePositive { cycle, .. } => *cycle,
        _ => None,
    };
    Some(match (why, clicked_cycle) {
        // A recovered cycle's message keeps this button until the alert opens again.
        ("marks another cycle", Some(clicked)) if clicked < alert.cycle => format!(
            "its cycle {clicked} is over and the alert has opened again since (cycle {}): only the cycle of its newest message can be marked",
            alert.cycle
        ),
        ("acknowledges another cycle" | "marks another cycle", Some(clicked)) => format!(
            "the button is of its cycle {clicked}, and it is on cycle {} now",
            alert.cycle
        ),
        ("already acknowledged", _) => match (&alert.acknowledged, &signal.kind) {
            (Some(mark), SignalKind::Acknowledged { by, .. }) if &mark.by == by => {
                "you had already acknowledged it".to_owned()
            }
            (Some(mark), _) => format!("it was already acknowledged by {}", escape(&mark.by)),
            (None, _) => "it was already acknowledged".to_owned(),
        },
        ("not open" | "never opened", _) => {
            "it is not open (it has recovered or been resolved)".to_owned()
        }
        (other, _) => other.to_owned(),
    })
}

/// The button a signal came from, as the alert message labels it.
fn button(kind: &SignalKind) -> &'static str {
    match kind {
        SignalKind::FalsePositive { .. } => "Mark false positive",
        SignalKind::Silenced { .. } => "Silence 1 h",
        _ => "Acknowledge",
    }
}

/// The alert as its message names it.
fn about(alert: &Alert) -> String {
    match alert.context.title.trim() {
        "" => format!("`{}`", escape(alert.key.as_str())),
        title => format!("\"{}\"", escape(title)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelwatch::domain::Source;
    use serde_json::json;

    fn payload(action_id: &str, value: &str) -> String {
        json!({
            "type": "block_actions",
            "user": {"id": "U0DANA", "username": "dana", "name": "dana", "team_id": "T0"},
            "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": "1795730500.000100", "channel_id": "C0CHAT"},
            "response_url": "https://hooks.slack.com/actions/T0/1/abc",
            "actions": [{
                "action_id": action_id, "block_id": "b", "type": "button",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": value, "action_ts": "1795730520.123456"
            }]
        })
        .to_string()
    }

    const VALUE: &str = r#"{"key":"datadog:cycle:74","cycle":2}"#;
    /// A second after the click.
    const ARRIVED: Timestamp = Timestamp::from_millis(1_795_730_521_000);

    #[test]
    fn a_click_time_far_from_arrival_gives_way_to_the_arrival() {
        for ts in ["-9223372036854775", "9223372036854775", "9999999999.000000"] {
            let far = payload(ACTION_ACKNOWLEDGE, VALUE).replace("1795730520.123456", ts);
            let signal = &signals(&far, ARRIVED).unwrap()[0];
            assert_eq!(signal.at, ARRIVED, "{ts}");
        }
    }

    #[test]
    fn each_button_becomes_its_signal_for_the_buttons_cycle() {
        let at = Timestamp::from_millis(1_795_730_520_123);
        let ack = &signals(&payload(ACTION_ACKNOWLEDGE, VALUE), ARRIVED).unwrap()[0];
        assert_eq!(
            ack.kind,
            SignalKind::Acknowledged {
                by: "dana".into(),
                cycle: Some(2),
                answered_elsewhere: false,
            }
        );
        assert_eq!(ack.key.as_str(), "datadog:cycle:74");
        assert_eq!(ack.at, at);
        assert_eq!(ack.source, Source::Slack);
        let fp = &signals(&payload(ACTION_FALSE_POSITIVE, VALUE), ARRIVED).unwrap()[0];
        assert_eq!(
            fp.kind,
            SignalKind::FalsePositive {
                by: "dana".into(),
                cycle: Some(2)
            }
        );
        let silence = &signals(&payload(ACTION_SILENCE_1H, VALUE), ARRIVED).unwrap()[0];
        assert_eq!(
            silence.kind,
            SignalKind::Silenced {
                by: "dana".into(),
                until: at.plus_secs(3600)
            }
        );
        assert_ne!(ack.id, fp.id);
    }

    #[test]
    fn other_buttons_and_other_interaction_types_ask_for_nothing() {
        assert!(
            signals(&payload("someone_elses_button", "x"), ARRIVED)
                .unwrap()
                .is_empty()
        );
        let view = json!({"type": "view_submission", "user": {"id": "U1"}}).to_string();
        assert!(signals(&view, ARRIVED).unwrap().is_empty());
    }

    #[test]
    fn a_bad_value_or_time_is_named() {
        let err = signals(&payload(ACTION_ACKNOWLEDGE, "ack"), ARRIVED)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("modelwatch_acknowledge") && err.contains("\"ack\""),
            "{err}"
        );
        let bad_time = payload(ACTION_ACKNOWLEDGE, VALUE).replace("1795730520.123456", "soon");
        assert!(
            signals(&bad_time, ARRIVED)
                .unwrap_err()
                .to_string()
                .contains("soon")
        );
        assert_eq!(
            action_time("1548426417.8"),
            Some(Timestamp::from_millis(1_548_426_417_800))
        );
        assert_eq!(
            action_time("1548426417"),
            Some(Timestamp::from_secs(1_548_426_417))
        );
    }
}
