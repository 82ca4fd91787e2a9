//! `POST /slack/commands`: `/modelwatch subscribe|unsubscribe|list|silence|status`,
//! answered ephemerally (only the person who typed it sees the answer) in the same
//! request, well within Slack's 3 s.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use modelwatch::domain::{Alert, Timestamp};
use modelwatch::domain::{SilenceRecord, Subscription};
use modelwatch::signals::{Origin, people};
use modelwatch::store::StoreError;
use serde::Deserialize;
use serde_json::json;

use super::ROUTE_COMMANDS as ROUTE;
use super::command::{self, Command, USAGE};
use super::reply;
use crate::error::{IntakeError, json_answer};
use crate::extract::SlackSigned;
use crate::{Intake, apply};

/// The form fields of a slash command that the answers use.
#[derive(Debug, Deserialize)]
struct Form {
    #[serde(default)]
    text: String,
    user_id: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    channel_id: String,
    #[serde(default)]
    trigger_id: String,
}

fn ephemeral(text: impl Into<String>) -> Response {
    json_answer(
        StatusCode::OK,
        json!({"response_type": "ephemeral", "text": text.into()}),
    )
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    SlackSigned(bytes): SlackSigned,
) -> Result<Response, IntakeError> {
    let form: Form = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| IntakeError::bad_request(format!("not a slash command's form: {e}")))?;
    let command = match command::parse(&form.text) {
        Ok(c) => c,
        Err(mistake) => return Ok(ephemeral(format!("{mistake}\n\n{USAGE}"))),
    };
    let now = intake.clock.now();
    Ok(match run(&intake, &form, &command, now).await {
        Ok(text) => ephemeral(text),
        Err(e) => {
            // Slack shows a 5xx as a failed command; a sentence says more.
            tracing::error!(route = ROUTE, error = %e, retryable = e.is_retryable(), "store failed");
            ephemeral(
                "modelwatch could not reach its table just now, so nothing changed. Please try again in a minute.",
            )
        }
    })
}

async fn run(
    intake: &Intake,
    form: &Form,
    command: &Command,
    now: Timestamp,
) -> Result<String, StoreError> {
    let store = &intake.store;
    let text = match command {
        Command::Help => USAGE.to_owned(),
        Command::Subscribe { topic, model } => {
            let sub = Subscription {
                topic: *topic,
                subscriber: form.user_id.clone(),
                name: form.user_name.clone(),
                channel: form.channel_id.clone(),
                model: model.clone(),
                created_at: now,
            };
            let what = format!(
                "{} {}",
                reply::topic_words(*topic),
                reply::scope(model.as_deref())
            );
            tracing::info!(
                route = ROUTE,
                topic = topic.as_str(),
                model = model.as_deref(),
                "subscribe"
            );
            if store.subscribe(&sub).await? {
                format!("You're subscribed to {what}.")
            } else {
                format!("You were already subscribed to {what}.")
            }
        }
        Command::Unsubscribe { topic, model } => {
            let what = format!(
                "{} {}",
                reply::topic_words(*topic),
                reply::scope(model.as_deref())
            );
            tracing::info!(
                route = ROUTE,
                topic = topic.as_str(),
                model = model.as_deref(),
                "unsubscribe"
            );
            if store
                .unsubscribe(*topic, &form.user_id, model.as_deref())
                .await?
            {
                format!("You're no longer subscribed to {what}.")
            } else {
                format!("You weren't subscribed to {what}, so nothing changed.")
            }
        }
        Command::List => {
            let subs = store.subscriptions_of(&form.user_id).await?;
            let silences = store.silences(now).await?;
            reply::list(&subs, &silences)
        }
        Command::Status { model } => {
            let open: Vec<Alert> = store
                .open_alerts()
                .await?
                .into_iter()
                .filter(|a| model.as_deref().is_none_or(|m| model_of(a) == Some(m)))
                .collect();
            reply::status(&open, model.as_deref(), now)
        }
        Command::Silence {
            model,
            monitor,
            secs,
        } => silence(intake, form, model, monitor, *secs, now).await?,
    };
    Ok(text)
}

fn model_of(alert: &Alert) -> Option<&str> {
    alert.context.model.as_ref().map(|m| m.name())
}

/// Records the silence, and silences the open alerts of that monitor on that model
/// through the lifecycle (so escalation stops and their threads say so).
async fn silence(
    intake: &Intake,
    form: &Form,
    model: &str,
    monitor: &str,
    secs: u64,
    now: Timestamp,
) -> Result<String, StoreError> {
    let by = if form.user_name.is_empty() {
        form.user_id.clone()
    } else {
        form.user_name.clone()
    };
    let until = now.plus_secs(secs);
    intake
        .store
        .put_silence(&SilenceRecord {
            model: model.to_owned(),
            monitor: monitor.to_owned(),
            until,
            by: by.clone(),
            set_at: now,
        })
        .await?;
    let matching: Vec<Alert> = intake
        .store
        .open_alerts()
        .await?
        .into_iter()
        .filter(|a| {
            let m = &a.context.monitor;
            model_of(a) == Some(model) && (m.id == monitor || m.name.as_deref() == Some(monitor))
        })
        .collect();
    let delivery = if form.trigger_id.is_empty() {
        format!("{}:{}", form.user_id, now.millis())
    } else {
        form.trigger_id.clone()
    };
    let mut silenced = 0;
    for alert in &matching {
        let origin = Origin::slack(format!("silence:{delivery}"));
        let Ok(signal) = people::silenced(&origin, &alert.key, now, &by, until) else {
            continue;
        };
        if apply::apply(intake, ROUTE, &signal, now).await?.written {
            silenced += 1;
        }
    }
    let open = match (matching.len(), silenced) {
        (0, _) => "No alert of it is open right now.".to_owned(),
        (n, s) => format!("{s} of its {n} open alert(s) silenced."),
    };
    Ok(format!(
        "Silenced `{}` on `{}` until {} ({}). {open}",
        modelwatch::page::escape(monitor),
        modelwatch::page::escape(model),
        reply::when(until),
        crate::slack::command::describe_secs(secs),
    ))
}
