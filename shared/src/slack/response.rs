//! Reading Slack's answers: HTTP 200 with `"ok": false` is the usual failure, and only
//! rate limits and Slack's own outages are worth a retry.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::Timestamp;
use crate::http::{Attempt, Verdict, classify, server_delay};

/// `error` codes that a later retry can cure; every other one cannot.
pub const RETRYABLE_ERRORS: &[&str] = &[
    "ratelimited",
    "rate_limited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// `error` codes refusing the bot token itself (revoked, invalid, its workspace account
/// gone): no retry with the same token can help, but every call works once the secret
/// holds a good one, so a message is kept for then rather than dropped.
pub const CREDENTIAL_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
];

/// The envelope every Web API method answers with.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SlackAnswer {
    #[serde(default)]
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub response_metadata: Option<ResponseMetadata>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseMetadata {
    #[serde(default)]
    pub messages: Vec<String>,
}

/// Turns one HTTP answer of `method` into an attempt outcome holding the JSON body.
pub(super) fn read_answer(
    method: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Attempt<Value> {
    let now = Timestamp::now();
    match classify(status, headers, now) {
        Verdict::Retry { after } => {
            return Attempt::Retry {
                reason: format!("{method} answered {status}"),
                after,
                limited: status == StatusCode::TOO_MANY_REQUESTS,
            };
        }
        Verdict::Rejected => {
            return Attempt::Rejected {
                status: Some(status.as_u16()),
                reason: format!("{method} answered {status}"),
                details: Vec::new(),
            };
        }
        Verdict::Delivered => {}
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Attempt::Retry {
            reason: format!("{method} answered {status} with a body that is not JSON"),
            after: None,
            limited: false,
        };
    };
    let answer = SlackAnswer::deserialize(&value).unwrap_or_default();
    if answer.ok {
        return Attempt::Delivered(value);
    }
    let error = answer.error.unwrap_or_else(|| "unknown_error".into());
    let details = answer
        .response_metadata
        .map(|m| m.messages)
        .unwrap_or_default();
    if RETRYABLE_ERRORS.contains(&error.as_str()) {
        Attempt::Retry {
            reason: format!("{method} answered error {error}"),
            after: server_delay(headers, now),
            limited: matches!(error.as_str(), "ratelimited" | "rate_limited"),
        }
    } else {
        Attempt::Rejected {
            status: Some(status.as_u16()),
            reason: format!("{method} answered error {error}"),
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::Duration;

    fn read(status: u16, headers: HeaderMap, body: &str) -> Attempt<Value> {
        read_answer(
            "chat.postMessage",
            StatusCode::from_u16(status).unwrap(),
            &headers,
            body.as_bytes(),
        )
    }

    #[test]
    fn ok_true_is_delivered() {
        let got = read(200, HeaderMap::new(), r#"{"ok":true,"ts":"1.2"}"#);
        assert!(matches!(got, Attempt::Delivered(v) if v["ts"] == "1.2"));
    }

    #[test]
    fn ok_false_is_rejected_with_slacks_messages() {
        let body = r#"{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]}}"#;
        match read(200, HeaderMap::new(), body) {
            Attempt::Rejected {
                reason, details, ..
            } => {
                assert!(reason.contains("invalid_blocks"));
                assert!(details[0].contains("/blocks/0/text/text"));
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        for error in ["channel_not_found", "not_authed", "invalid_auth"] {
            let body = format!(r#"{{"ok":false,"error":"{error}"}}"#);
            assert!(matches!(
                read(200, HeaderMap::new(), &body),
                Attempt::Rejected { .. }
            ));
        }
    }

    /// A refused token is told from a refused message: the escalator keeps the message for
    /// when the secret holds a working token, and drops one Slack will never take.
    #[test]
    fn a_refused_token_is_told_from_a_refused_message() {
        let refused = |error: &str| {
            let body = format!(r#"{{"ok":false,"error":"{error}"}}"#);
            let Attempt::Rejected {
                status,
                reason,
                details,
            } = read(200, HeaderMap::new(), &body)
            else {
                panic!("{error}: expected a rejection");
            };
            crate::slack::SlackError::Delivery(crate::http::DeliveryError::Rejected {
                api: "Slack",
                status,
                reason,
                details,
            })
        };
        for error in CREDENTIAL_ERRORS {
            assert!(refused(error).is_refused_token(), "{error}");
        }
        for error in ["channel_not_found", "invalid_blocks", "msg_too_long"] {
            assert!(!refused(error).is_refused_token(), "{error}");
        }
    }

    #[test]
    fn rate_limits_retry_after_the_servers_delay() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        let body = r#"{"ok":false,"error":"ratelimited"}"#;
        for status in [429, 200] {
            match read(status, headers.clone(), body) {
                Attempt::Retry { after, limited, .. } => {
                    assert_eq!(after, Some(Duration::from_secs(3)));
                    assert!(limited, "a spent rate limit is the route's");
                }
                other => panic!("expected a retry, got {other:?}"),
            }
        }
    }

    #[test]
    fn server_errors_retry() {
        // A 503 asking to wait is Slack's trouble, not a spent rate limit.
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("30"));
        assert!(matches!(
            read(503, headers, ""),
            Attempt::Retry { limited: false, .. }
        ));
        assert!(matches!(
            read(
                200,
                HeaderMap::new(),
                r#"{"ok":false,"error":"internal_error"}"#
            ),
            Attempt::Retry { .. }
        ));
    }
}
