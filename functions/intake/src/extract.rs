//! What every route checks before its own work, written once as extractors: who is
//! calling (the webhook token, or Slack's or PagerDuty's signature over the body), how the
//! body is encoded, and that it is within the size limit. A handler that takes one of
//! these never runs for a request that fails it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use lambda_http::request::RequestContext;
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

/// How long ago API Gateway took the request in (its `timeEpoch`): an answer due within
/// Slack's 3 s of the click or command counts a cold start's init, which runs before the
/// handler. Zero for a request that came another way (the local server); at most
/// `MOST_COUNTED`, so a clock that disagrees cannot take the whole wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinceArrival(pub Duration);

/// The most of an answer's wait that the time before the handler may take.
const MOST_COUNTED: Duration = Duration::from_millis(1_500);

impl SinceArrival {
    /// From API Gateway's request context, at `now_ms` (milliseconds since the epoch).
    pub fn of(context: Option<&RequestContext>, now_ms: i64) -> Self {
        let arrived_ms = match context {
            Some(RequestContext::ApiGatewayV2(c)) => c.time_epoch,
            Some(RequestContext::ApiGatewayV1(c)) => c.request_time_epoch,
            _ => return Self::default(),
        };
        // Left out of the event (a console test event): read as 0, it is no time at all.
        if arrived_ms <= 0 {
            return Self::default();
        }
        let waited = u64::try_from(now_ms.saturating_sub(arrived_ms)).unwrap_or(0);
        Self(Duration::from_millis(waited).min(MOST_COUNTED))
    }

    /// What is left of `wait` after the time before the handler.
    pub fn left_of(self, wait: Duration) -> Duration {
        wait.saturating_sub(self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SinceArrival {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let now_ms = Timestamp::now().millis();
        Ok(Self::of(parts.extensions.get::<RequestContext>(), now_ms))
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

    /// API Gateway's event as lambda_http reads it, taken in at `time_epoch`.
    fn through_api_gateway(version: &str, time_epoch: i64) -> lambda_http::Request {
        let event = match version {
            "2.0" => serde_json::json!({
                "version": "2.0", "routeKey": "POST /slack/commands", "rawPath": "/slack/commands",
                "rawQueryString": "", "headers": {}, "isBase64Encoded": false,
                "requestContext": {
                    "http": {"method": "POST", "path": "/slack/commands", "protocol": "HTTP/1.1",
                             "sourceIp": "192.0.2.10", "userAgent": "Slackbot 1.0"},
                    "timeEpoch": time_epoch,
                },
            }),
            _ => serde_json::json!({
                "resource": "/slack/commands", "path": "/slack/commands", "httpMethod": "POST",
                "headers": {}, "multiValueHeaders": {}, "isBase64Encoded": false,
                "requestContext": {"httpMethod": "POST", "requestTimeEpoch": time_epoch},
            }),
        };
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[test]
    fn the_wait_before_the_handler_is_read_from_api_gateway_and_bounded() {
        let now = 1_795_424_400_000;
        let since = |version: &str, ago: i64| {
            let request = through_api_gateway(version, now - ago);
            SinceArrival::of(request.extensions().get::<RequestContext>(), now).0
        };
        assert_eq!(since("2.0", 700), Duration::from_millis(700));
        assert_eq!(since("1.0", 700), Duration::from_millis(700));
        // A clock behind API Gateway's, or one far off: nothing, or at most 1.5 s counted.
        assert_eq!(since("2.0", -300), Duration::ZERO);
        assert_eq!(since("2.0", 3_600_000), MOST_COUNTED);
        // Not through API Gateway (the local server), or no time given: nothing counted.
        assert_eq!(SinceArrival::of(None, now).0, Duration::ZERO);
        let untimed = through_api_gateway("2.0", 0);
        assert_eq!(
            SinceArrival::of(untimed.extensions().get::<RequestContext>(), now).0,
            Duration::ZERO
        );
        let waited = SinceArrival(Duration::from_millis(700));
        assert_eq!(
            waited.left_of(Duration::from_millis(2_000)),
            Duration::from_millis(1_300)
        );
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
