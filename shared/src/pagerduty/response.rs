//! PagerDuty's answers: 202 with the dedup key, 400 with a list of what is wrong.

use reqwest::StatusCode;
use serde::Deserialize;

/// The JSON PagerDuty answers with, success or not. Every field is optional so that an
/// unexpected body still yields what it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EventResponse {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub dedup_key: Option<String>,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// Reads a body into an `EventResponse`; a body that is not JSON becomes its first line.
pub fn parse_response(status: StatusCode, body: &[u8]) -> EventResponse {
    serde_json::from_slice(body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(body);
        let line: String = text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        EventResponse {
            message: Some(if line.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                line
            }),
            ..EventResponse::default()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_202_answer() {
        let body = br#"{"status":"success","message":"Event processed","dedup_key":"srv01/HTTP"}"#;
        let parsed = parse_response(StatusCode::ACCEPTED, body);
        assert_eq!(parsed.dedup_key.as_deref(), Some("srv01/HTTP"));
        assert_eq!(parsed.status.as_deref(), Some("success"));
    }

    #[test]
    fn keeps_the_error_list_of_a_400() {
        let body = br#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#;
        let parsed = parse_response(StatusCode::BAD_REQUEST, body);
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].contains("routing_key"));
    }

    #[test]
    fn a_body_that_is_not_json_is_kept_as_a_message() {
        let parsed = parse_response(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>\n...");
        assert_eq!(parsed.message.as_deref(), Some("<html>bad gateway</html>"));
    }
}
