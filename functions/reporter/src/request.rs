//! What a schedule asks for: `{"report": "daily"|"weekly", "audience": "ml-team"}`, and
//! optionally the `time` it stands for (else now).

use modelwatch::domain::Timestamp;
use modelwatch::report::ReportKind;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub report: ReportKind,
    pub audience: String,
    pub time: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("unknown report {received:?}: expected \"daily\" or \"weekly\"")]
    UnknownReport { received: String },
    #[error(
        "the event has no `report`: expected {{\"report\": \"daily\"|\"weekly\", \"audience\": \"...\"}}"
    )]
    NoReport,
    #[error("`time` {received:?} is not a time: expected RFC 3339 or epoch seconds")]
    BadTime { received: String },
    #[error(
        "unknown audience {received:?}: expected one of the configuration's reports.audiences ({expected})"
    )]
    UnknownAudience { received: String, expected: String },
}

impl ReportRequest {
    pub fn from_event(event: &Value) -> Result<Self, RequestError> {
        let report = match event.get("report").and_then(Value::as_str) {
            Some("daily") => ReportKind::Daily,
            Some("weekly") => ReportKind::Weekly,
            Some(other) => {
                return Err(RequestError::UnknownReport {
                    received: other.chars().take(40).collect(),
                });
            }
            None => return Err(RequestError::NoReport),
        };
        let time = match event.get("time").and_then(Value::as_str) {
            Some(t) => Some(Timestamp::parse(t).ok_or_else(|| RequestError::BadTime {
                received: t.chars().take(40).collect(),
            })?),
            None => None,
        };
        Ok(Self {
            report,
            audience: event
                .get("audience")
                .and_then(Value::as_str)
                .unwrap_or("everyone")
                .to_owned(),
            time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules_events_are_read_and_mistakes_named() {
        let r = ReportRequest::from_event(&json!({"report": "weekly", "audience": "executives"}))
            .unwrap();
        assert_eq!(r.report, ReportKind::Weekly);
        assert_eq!(r.audience, "executives");
        let err = ReportRequest::from_event(&json!({"report": "monthly"})).unwrap_err();
        assert!(err.to_string().contains("\"monthly\""));
        assert_eq!(
            ReportRequest::from_event(&json!({})).unwrap_err(),
            RequestError::NoReport
        );
        assert!(ReportRequest::from_event(&json!({"report": "daily", "time": "soon"})).is_err());
    }
}
