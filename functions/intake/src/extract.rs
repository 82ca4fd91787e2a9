//! What every route checks before its own work, written once as extractors: who is
//! calling (the webhook token, or Slack's or PagerDuty's signature over the body), how the
//! body is encoded, and that it is within the size limit. A handler that takes one of
//! these never runs for a request that fails it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use modelwatch::domain::Timestamp;

use crate::error::IntakeError;
use crate::{Intake, MAX_BODY_BYTES, pagerduty, slack};

/// A caller holding the webhook token (header or basic auth): Datadog, deploy pipelines.
#[derive(Debug, Clone, Copy)]
pub struct TokenCaller;

impl FromRequestParts<Arc<Intake>> for TokenCaller {
    type Rejection = IntakeError;

    async fn from_request_parts(
        parts: &mut Parts,
        intake: &Arc<Intake>,
    ) -> Result<Self, IntakeError> {
        intake
            .auth
            .check(&parts.headers)
            .map(|()| TokenCaller)
            .map_err(|e| IntakeError::Unauthorized(e.to_string()))
    }
}

/// How the body is encoded (Datadog's JSON default, or its form-encoded option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

impl Encoding {
    /// The encoding named by `Content-Type`; a missing header is read as JSON.
    pub fn of(headers: &HeaderMap) -> Result<Self, IntakeError> {
        let Some(value) = headers.get(header::CONTENT_TYPE) else {
            return Ok(Self::Json);
        };
        let text = value.to_str().unwrap_or("(not text)");
        let essence = text
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" | "text/json" => Ok(Self::Json),
            "application/x-www-form-urlencoded" => Ok(Self::Form),
            _ if essence.ends_with("+json") => Ok(Self::Json),
            _ => Err(IntakeError::UnsupportedMedia(text.to_owned())),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Encoding {
    type Rejection = IntakeError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, IntakeError> {
        Self::of(&parts.headers)
    }
}

/// The whole body, at most `MAX_BODY_BYTES`.
#[derive(Debug, Clone)]
pub struct Payload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Payload {
    type Rejection = IntakeError;

    async fn from_request(request: Request, _: &S) -> Result<Self, IntakeError> {
        read(request).await.map(|(_, body)| Payload(body))
    }
}

async fn read(request: Request) -> Result<(HeaderMap, Bytes), IntakeError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| IntakeError::TooLarge)?;
    Ok((parts.headers, bytes))
}

/// A body Slack signed with the app's signing secret, recently. The freshness window is
/// wall-clock time, whatever clock the handlers run on.
#[derive(Debug, Clone)]
pub struct SlackSigned(pub Bytes);

impl FromRequest<Arc<Intake>> for SlackSigned {
    type Rejection = IntakeError;

    async fn from_request(request: Request, intake: &Arc<Intake>) -> Result<Self, IntakeError> {
        let (headers, body) = read(request).await?;
        slack_verified(intake, &headers, body).map(Self)
    }
}

/// What Slack sends a slash command's URL: a command it signed, or its check of the URL's
/// certificate (a form with `ssl_check=1` and no command, sent when the command is saved
/// and now and then), which asks only for a 200. The check is answered before any
/// signature is read, as Slack's own SDKs answer it: it reads nothing and changes nothing,
/// and refusing it would show the command as broken in Slack's settings.
#[derive(Debug, Clone)]
pub enum SlashCommand {
    CertificateCheck,
    Signed(Bytes),
}

impl FromRequest<Arc<Intake>> for SlashCommand {
    type Rejection = IntakeError;

    async fn from_request(request: Request, intake: &Arc<Intake>) -> Result<Self, IntakeError> {
        let (headers, body) = read(request).await?;
        if slack::is_certificate_check(&body) {
            return Ok(Self::CertificateCheck);
        }
        slack_verified(intake, &headers, body).map(Self::Signed)
    }
}

fn slack_verified(intake: &Intake, headers: &HeaderMap, body: Bytes) -> Result<Bytes, IntakeError> {
    slack::verify(
        intake.inbound.slack_signing_secret.as_ref(),
        headers,
        &body,
        Timestamp::now(),
    )
    .map_err(|e| IntakeError::Unauthorized(e.to_string()))?;
    Ok(body)
}

/// A body PagerDuty signed with the webhook subscription's secret.
#[derive(Debug, Clone)]
pub struct PagerDutySigned(pub Bytes);

impl FromRequest<Arc<Intake>> for PagerDutySigned {
    type Rejection = IntakeError;

    async fn from_request(request: Request, intake: &Arc<Intake>) -> Result<Self, IntakeError> {
        let (headers, body) = read(request).await?;
        pagerduty::verify(
            intake.inbound.pagerduty_webhook_secret.as_ref(),
            &headers,
            &body,
        )
        .map_err(|e| IntakeError::Unauthorized(e.to_string()))?;
        Ok(Self(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn datadog_content_types_are_accepted_and_others_named() {
        assert_eq!(
            Encoding::of(&with_type("application/json; charset=utf-8")).unwrap(),
            Encoding::Json
        );
        assert_eq!(
            Encoding::of(&with_type("application/x-www-form-urlencoded")).unwrap(),
            Encoding::Form
        );
        assert_eq!(Encoding::of(&HeaderMap::new()).unwrap(), Encoding::Json);
        let err = Encoding::of(&with_type("text/plain")).unwrap_err();
        assert!(matches!(err, IntakeError::UnsupportedMedia(t) if t == "text/plain"));
    }
}
