//! `POST /slack/commands`: `/modelwatch subscribe|unsubscribe|list|silence|status`,
//! answered ephemerally (only the person who typed it sees the answer) in the same
//! request, within Slack's 3 s even when the table is slow (`ANSWER_WITHIN`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use modelwatch::domain::{Alert, Timestamp};
use modelwatch::domain::{Subscription, Topic};
use modelwatch::silencing::{self, SilenceRequest};
use modelwatch::store::StoreError;
use serde::Deserialize;
use serde_json::json;

use super::ROUTE_COMMANDS as ROUTE;
use super::command::{self, Command, USAGE};
use super::reply;
use crate::Intake;
use crate::error::{IntakeError, json_answer};
use crate::extract::{SinceArrival, SlashCommand};

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
}

/// Slack shows its user an error for an answer later than 3 s (and never retries a
/// command), so past this, counted from when API Gateway took the command in
/// (`SinceArrival`: a cold start's init comes first), the command answers that it may not
/// have finished. The table's own deadlines (8 s a call) are for senders that wait.
const ANSWER_WITHIN: Duration = Duration::from_millis(2_500);

const NOT_FINISHED: &str = "modelwatch could not reach its table just now, so this may not have finished. `/modelwatch list` shows what stands (a silence already stored reaches its alerts within a minute); try again in a minute if it is not there.";

fn ephemeral(text: impl Into<String>) -> Response {
    json_answer(
        StatusCode::OK,
        json!({"response_type": "ephemeral", "text": text.into()}),
    )
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    since_arrival: SinceArrival,
    request: SlashCommand,
) -> Result<Response, IntakeError> {
    let bytes = match request {
        SlashCommand::CertificateCheck => {
            tracing::info!(route = ROUTE, "Slack's certificate check answered");
            return Ok(StatusCode::OK.into_response());
        }
        SlashCommand::Signed(bytes) => bytes,
    };
    let form: Form = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| IntakeError::bad_request(format!("not a slash command's form: {e}")))?;
    // The mistake quotes what was typed: escaped again for the reply's mrkdwn.
    let command = match command::parse(&command::as_typed(&form.text)) {
        Ok(c) => c,
        Err(mistake) => {
            let mistake = modelwatch::page::escape(&mistake);
            return Ok(ephemeral(format!("{mistake}\n\n{USAGE}")));
        }
    };
    let now = intake.clock.now();
    // Slack shows a 5xx as a failed command; a sentence says more. A write may have been
    // made before the failure (a silence stored, not yet applied), so it says "may".
    let within = since_arrival.left_of(ANSWER_WITHIN);
    Ok(
        match tokio::time::timeout(within, run(&intake, &form, &command, now)).await {
            Ok(Ok(text)) => ephemeral(text),
            Ok(Err(e)) => {
                tracing::error!(route = ROUTE, error = %e, retryable = e.is_retryable(), "store failed");
                ephemeral(NOT_FINISHED)
            }
            Err(_) => {
                tracing::error!(
                    route = ROUTE,
                    waited_ms = within.as_millis() as u64,
                    "store failed"
                );
                ephemeral(NOT_FINISHED)
            }
        },
    )
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
            // Reports cover the configured models only: a subscription to another would
            // never be named. Alerts may come from any model Datadog monitors.
            if let Some(m) = model
                && *topic != Topic::Alerts
                && !intake.config.models.contains_key(m)
            {
                return Ok(format!(
                    "No model `{}` is in {}: the models it covers are {}.",
                    modelwatch::page::escape(m),
                    reply::topic_words(*topic),
                    model_names(intake.config.models.keys())
                ));
            }
            // A configured model that no audience's reports cover is named in none either.
            let audiences = &intake.config.reports.audiences;
            if let Some(m) = model
                && *topic != Topic::Alerts
                && !audiences.is_empty()
                && !audiences.values().any(|a| a.content.covers(m))
            {
                let covered: Vec<String> = audiences
                    .iter()
                    .map(|(name, a)| format!("{name}: {}", model_names(&a.content.models)))
                    .collect();
                return Ok(format!(
                    "No report covers `{}`: each audience's reports cover only its models ({}). Ask for `{}` to be added to an audience's `models:` in the configuration.",
                    modelwatch::page::escape(m),
                    covered.join("; "),
                    modelwatch::page::escape(m),
                ));
            }
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
            let removed = store
                .unsubscribe(*topic, &form.user_id, model.as_deref())
                .await?;
            let mut text = if removed {
                format!("You're no longer subscribed to {what}.")
            } else {
                format!("You weren't subscribed to {what}, so nothing changed.")
            };
            // Each model's subscription is its own: say which still stand.
            if model.is_none() {
                let still: Vec<String> = store
                    .subscriptions_to(*topic, &form.user_id)
                    .await?
                    .into_iter()
                    .filter_map(|s| s.model)
                    .map(|m| format!("`{}`", modelwatch::page::escape(&m)))
                    .collect();
                if !still.is_empty() {
                    text.push_str(&format!(
                        " You're still subscribed to it for {}: `/modelwatch unsubscribe {} MODEL` ends each.",
                        still.join(", "),
                        topic.as_str()
                    ));
                }
            }
            text
        }
        Command::List => {
            let subs = store.subscriptions_of(&form.user_id).await?;
            let silences = store.silences(now).await?;
            reply::list(&subs, &silences, now)
        }
        Command::Status { model } => {
            let open: Vec<Alert> = store
                .open_alerts()
                .await?
                .into_iter()
                .filter(|a| model.as_deref().is_none_or(|m| is_of_model(a, m)))
                .collect();
            reply::status(&open, model.as_deref(), now)
        }
        Command::Silence(request) => silence(intake, form, request.clone(), now).await?,
        Command::Unsilence(id) => {
            let expired = silencing::expire(store, &intake.config, id, now).await?;
            match expired.silence {
                None => format!("There is no silence `{id}`; `/modelwatch list` shows them."),
                Some(s) => format!(
                    "Silence `{id}` ({}) has ended. {} alert(s) it muted are released (what it held back is paged now); {} stay muted by another silence.",
                    modelwatch::page::escape(&s.describe()),
                    expired.released,
                    expired.still_muted
                ),
            }
        }
    };
    Ok(text)
}

/// Whether `alert` is of `model`, written as a name or as `/modelwatch status` prints it,
/// `name@version` (then of that version only).
fn is_of_model(alert: &Alert, model: &str) -> bool {
    let Some(of) = &alert.context.model else {
        return false;
    };
    match model.split_once('@') {
        Some((name, version)) => of.name() == name && of.version() == Some(version),
        None => of.name() == model,
    }
}

/// Records the silence and mutes the open alerts it matches at once; the answer says what
/// it matches, when, and how many open alerts it muted.
async fn silence(
    intake: &Intake,
    form: &Form,
    request: SilenceRequest,
    now: Timestamp,
) -> Result<String, StoreError> {
    let by = if form.user_name.is_empty() {
        form.user_id.clone()
    } else {
        form.user_name.clone()
    };
    let silence = match request.into_silence(&by, now) {
        Ok(s) => s,
        Err(e) => return Ok(format!("{e}.\n\n{USAGE}")),
    };
    let made = silencing::make(&intake.store, &intake.config, silence, now).await?;
    let s = &made.silence;
    tracing::info!(route = ROUTE, silence = %s.id, matchers = %s.describe(), muted = made.muted.len(), repeated = made.repeated, "silence made");
    let when = if s.is_active(now) {
        format!("until {}", reply::when(s.ends_at))
    } else {
        format!(
            "from {} until {}",
            reply::when(s.starts_at),
            reply::when(s.ends_at)
        )
    };
    let again = if made.repeated {
        " (made a moment ago by the same command; no second one)"
    } else {
        ""
    };
    Ok(format!(
        "Silence `{}`{again}: alerts matching {} are muted {when}. {} open alert(s) muted now. `/modelwatch unsilence {}` ends it.",
        s.id,
        modelwatch::page::escape(&s.describe()),
        made.muted.len(),
        s.id,
    ))
}
/// "`chat-large`, `embed-small`": model names as a reply shows them.
fn model_names<'a>(models: impl IntoIterator<Item = &'a String>) -> String {
    models
        .into_iter()
        .map(|m| format!("`{}`", modelwatch::page::escape(m)))
        .collect::<Vec<_>>()
        .join(", ")
}
