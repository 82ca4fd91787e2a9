//! `POST /webhooks/pagerduty`: PagerDuty v3 webhooks. A signed `incident.acknowledged`,
//! `incident.unacknowledged` or `incident.resolved` becomes an Acknowledged, Unacknowledged
//! or Resolved signal for the alert cycle its incident was opened for, so an
//! acknowledgement in PagerDuty stops escalation and gives MTTA, and an acknowledgement
//! that timed out there lets escalation go on (to L3, if nobody acknowledges again). An
//! acknowledged incident reassigned, escalated or delegated there is triggered again for
//! its new assignees: Unacknowledged too. `incident.reopened` is a Reopened signal: while
//! the monitor still fires, the alert a person resolved is open again, so the monitor's
//! recovery resolves the reopened incident. An incident resolved by a merge into another
//! is Acknowledged by whoever merged it: its alert is open in the other incident, and
//! someone is on it.
//!
//! Limits, by design (nothing is fetched from PagerDuty's REST API): the incident is
//! matched through its `incident_key`, which is the dedup key of the trigger that opened
//! it; an alert key too long for a dedup key is hashed there, and found through the
//! table, told by the escalator before the trigger went out. Alerts that PagerDuty's
//! alert grouping merged into an incident another trigger opened are not reached through
//! it; that is answered 200 and logged as ignored.

mod envelope;
mod signal;

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use modelwatch::domain::Timestamp;
use modelwatch::secret::Secret;

use crate::Intake;
use crate::apply;
use crate::error::IntakeError;
use crate::extract::PagerDutySigned;
use crate::signature::signed_any;

pub use envelope::{EnvelopeError, EventKind, WebhookEvent, parse};
pub use signal::{Decision, decide, hashed_digest};

const ROUTE: &str = "pagerduty";
pub const SIGNATURE_HEADER: &str = "x-pagerduty-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "this deployment has no pagerduty_webhook_secret, so PagerDuty webhooks cannot be verified: set it in the secret"
    )]
    NotConfigured,
    #[error("missing X-PagerDuty-Signature header: expected v1=<hex HMAC-SHA256 of the body>")]
    Missing,
    #[error("no signature in X-PagerDuty-Signature matches the body under the webhook secret")]
    Wrong,
}

/// Checks `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]` (several while a secret is
/// rotated); any one matching passes. The secret may hold several subscriptions' secrets,
/// separated by commas or spaces (each v3 subscription signs with its own: one per
/// service, when the L2 and L3 services are subscribed apart); any one signing passes.
pub fn verify(
    secret: Option<&Secret>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), SignatureError> {
    let secret = secret.ok_or(SignatureError::NotConfigured)?;
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(SignatureError::Missing)?;
    let candidates = || {
        header
            .split(',')
            .filter_map(|candidate| candidate.trim().strip_prefix("v1="))
    };
    let signed = secret
        .expose()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|one| !one.is_empty())
        .any(|one| signed_any(&Secret::new(one), &[body], candidates()));
    if signed {
        Ok(())
    } else {
        Err(SignatureError::Wrong)
    }
}

pub async fn receive(
    State(intake): State<Arc<Intake>>,
    PagerDutySigned(bytes): PagerDutySigned,
) -> Result<Response, IntakeError> {
    let mut event = parse(&bytes).map_err(IntakeError::bad_request)?;
    event.occurred_at = Timestamp::claimed(Some(event.occurred_at), intake.clock.now());
    let looked_up = match hashed_digest(&event) {
        Some(digest) => intake.store.hashed_alert_key(&digest).await?,
        None => None,
    };
    let decision = decide(&event, looked_up.as_ref()).map_err(IntakeError::bad_request)?;
    let (signal, cycle) = match decision {
        Decision::Apply { signal, cycle } => (*signal, cycle),
        Decision::Ignore(reason) => return Ok(apply::ignored(ROUTE, &reason)),
    };
    let Some(alert) = apply::existing(&intake, &signal).await? else {
        return Ok(apply::ignored(ROUTE, &format!("no alert {}", signal.key)));
    };
    if alert.cycle != cycle {
        return Ok(apply::ignored(
            ROUTE,
            &format!(
                "the incident is for cycle {cycle} of {}, which is at cycle {}",
                signal.key, alert.cycle
            ),
        ));
    }
    tracing::info!(route = ROUTE, event_id = %event.id, incident = event.incident_id.as_deref().unwrap_or("?"), "incident event");
    let now = intake.clock.now();
    let applied = apply::apply(&intake, ROUTE, &signal, now).await?;
    Ok(apply::webhook_answer(&signal, &applied))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(secret: &str, body: &[u8], header: impl Fn(String) -> String) -> HeaderMap {
        let mac = hex::encode(crate::signature::hmac_sha256(&Secret::new(secret), &[body]));
        let mut h = HeaderMap::new();
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(&header(mac)).unwrap(),
        );
        h
    }

    #[test]
    fn any_listed_v1_signature_that_matches_passes() {
        let secret = Secret::new("whsec-pd-0123");
        let body = br#"{"event":{}}"#;
        let one = signed("whsec-pd-0123", body, |m| format!("v1={m}"));
        assert_eq!(verify(Some(&secret), &one, body), Ok(()));
        let rotated = signed("whsec-pd-0123", body, |m| format!("v1=00ff, v1={m}"));
        assert_eq!(verify(Some(&secret), &rotated, body), Ok(()));
    }

    /// The L2 and L3 services subscribed apart: each subscription signs with its own
    /// secret, and both are kept in the one secret entry.
    #[test]
    fn each_of_several_subscriptions_secrets_passes_and_no_other() {
        let secret = Secret::new("whsec-l2-0123, whsec-l3-4567");
        let body = br#"{"event":{}}"#;
        for one in ["whsec-l2-0123", "whsec-l3-4567"] {
            let headers = signed(one, body, |m| format!("v1={m}"));
            assert_eq!(verify(Some(&secret), &headers, body), Ok(()), "{one}");
        }
        let other = signed("whsec-l4-89ab", body, |m| format!("v1={m}"));
        assert_eq!(
            verify(Some(&secret), &other, body),
            Err(SignatureError::Wrong)
        );
        let whole = signed("whsec-l2-0123, whsec-l3-4567", body, |m| format!("v1={m}"));
        assert_eq!(
            verify(Some(&secret), &whole, body),
            Err(SignatureError::Wrong),
            "the list is no secret of its own"
        );
    }

    #[test]
    fn wrong_missing_or_unconfigured_signatures_are_refused_without_the_secret() {
        let secret = Secret::new("whsec-pd-0123");
        let body = br#"{"event":{}}"#;
        let cases = [
            (
                signed("another-secret", body, |m| format!("v1={m}")),
                SignatureError::Wrong,
            ),
            (
                signed("whsec-pd-0123", body, |m| format!("v0={m}")),
                SignatureError::Wrong,
            ),
            (
                signed("whsec-pd-0123", b"other body", |m| format!("v1={m}")),
                SignatureError::Wrong,
            ),
            (HeaderMap::new(), SignatureError::Missing),
        ];
        for (headers, want) in cases {
            let err = verify(Some(&secret), &headers, body).unwrap_err();
            assert_eq!(err, want);
            assert!(!format!("{err} {err:?}").contains("whsec"));
        }
        let good = signed("whsec-pd-0123", body, |m| format!("v1={m}"));
        assert_eq!(
            verify(None, &good, body),
            Err(SignatureError::NotConfigured)
        );
    }
}
