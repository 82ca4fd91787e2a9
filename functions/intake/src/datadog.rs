//! `POST /webhooks/datadog`: a monitor notification in, one signal applied, answered
//! only after the write committed.
//!
//! A native copy of a modelwatch monitor (`modelwatch datadog apply`, tagged
//! `modelwatch-monitor:<id>`) watches the groups the evaluator pages itself, under another
//! alert: taken as well, one incident would page twice. So while the evaluator runs that
//! monitor (its last good run, in the last ten minutes, evaluated it) the copy's
//! notifications are answered 200 and ignored; otherwise they page as Datadog's own
//! alerts, and their recoveries always resolve what they opened.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use modelwatch::datadog::webhook::{self, Rejection, Transition};
use modelwatch::signals;
use serde_json::json;

use crate::Intake;
use crate::apply;
use crate::error::IntakeError;
use crate::extract::{Encoding, Payload, TokenCaller};

const ROUTE: &str = "datadog";

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    _: TokenCaller,
    encoding: Encoding,
    Payload(bytes): Payload,
) -> Result<Response, IntakeError> {
    let parsed = match encoding {
        Encoding::Json => webhook::parse_json(&bytes),
        Encoding::Form => webhook::parse_form(&bytes),
    };
    let notification = parsed.map_err(bad_request)?;
    if notification.test {
        // A 2xx, so the button shows the webhook works; no alert, as no recovery follows.
        return Ok(apply::ignored(
            ROUTE,
            "a Datadog test notification: the webhook and its token work; nothing is paged",
        ));
    }
    let now = intake.clock.now();
    if let Some(monitor) = notification.native_copy_of()
        && notification.transition != Transition::Recovered
        && let Some(ours) = evaluated(&intake, monitor)
        && evaluator_runs(&intake, ours, now).await?
    {
        return Ok(apply::ignored(
            ROUTE,
            &format!(
                "a native Datadog copy of monitor {ours:?}: the evaluator runs it and pages its groups itself (eval:{ours}|…)"
            ),
        ));
    }
    let signal = signals::datadog::from_webhook(
        &intake.config,
        intake.datadog_site,
        &notification,
        &bytes,
        now,
    )
    .map_err(IntakeError::bad_request)?;
    let applied = apply::apply(&intake, ROUTE, &signal, now).await?;
    Ok(apply::webhook_answer(&signal, &applied))
}

/// How recent the evaluator's last good run must be for the evaluator to count as running:
/// it records one at most every five minutes.
const EVALUATOR_RUNNING_SECS: u64 = 10 * 60;

/// The id of the configured monitor `tagged` names.
fn evaluated<'a>(intake: &'a Intake, tagged: &str) -> Option<&'a str> {
    intake.config.copied_monitor(tagged).map(|m| m.id.as_str())
}

/// Whether the evaluator's last good run, in the last `EVALUATOR_RUNNING_SECS`, evaluated
/// `monitor` whole (one whose query Datadog refused is not among them: its copy pages).
async fn evaluator_runs(
    intake: &Intake,
    monitor: &str,
    now: modelwatch::domain::Timestamp,
) -> Result<bool, IntakeError> {
    let last = intake.store.last_run().await?;
    Ok(last.is_some_and(|run| {
        run.at.plus_secs(EVALUATOR_RUNNING_SECS) >= now
            && evaluated_whole(&intake.config, &run, monitor, 0)
    }))
}

/// Whether `run` evaluated `monitor`, and, for a composite, every member (with one
/// unread it evaluates no group at all, though it is recorded).
fn evaluated_whole(
    config: &modelwatch::config::Config,
    run: &modelwatch::domain::LastRun,
    monitor: &str,
    depth: usize,
) -> bool {
    if !run.evaluated(monitor) {
        return false;
    }
    match config.monitor(monitor).map(|m| &m.rule) {
        // `validate` refuses a composite that names itself; the depth only bounds it.
        Some(modelwatch::rules::Rule::Composite(expr)) if depth < 8 => expr
            .monitors()
            .into_iter()
            .all(|member| evaluated_whole(config, run, member, depth + 1)),
        _ => true,
    }
}

fn bad_request(rejection: Rejection) -> IntakeError {
    IntakeError::BadRequest {
        message: rejection.error.to_string(),
        details: json!({
            "field": rejection.error.field(),
            "received_fields": rejection.received,
        }),
    }
}
