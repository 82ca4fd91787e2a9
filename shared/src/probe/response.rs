//! What came back from an endpoint, read: the answer's text (and JSON, when it is JSON)
//! and the token counts it reports. Pure: bytes in, values out.

use std::time::Duration;

use serde_json::Value;

use super::case::EndpointKind;

/// How one request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Exchange {
    /// The endpoint answered (any status) after `latency`.
    Answered {
        status: u16,
        latency: Duration,
        body: Vec<u8>,
    },
    /// No answer: refused, reset, or not within the case's timeout.
    Failed { error: String },
}

/// The answer a model gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// As text: the chat content, or the HTTP answer (a JSON string's content, else the
    /// JSON as written).
    pub text: String,
    /// As JSON, when the text is JSON.
    pub json: Option<Value>,
    /// Why the model stopped, as a chat completion says (`stop`, `length`,
    /// `content_filter`…); none from HTTP endpoints.
    pub finish_reason: Option<String>,
}

/// The token counts an answer reports (`usage`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub prompt: Option<u64>,
    pub completion: Option<u64>,
    pub total: Option<u64>,
}

impl Usage {
    fn read(body: &Value) -> Option<Self> {
        let usage = body.get("usage")?;
        let n = |k: &str| usage.get(k).and_then(Value::as_u64);
        let prompt = n("prompt_tokens");
        let completion = n("completion_tokens");
        let total = n("total_tokens").or_else(|| prompt.zip(completion).map(|(p, c)| p + c));
        Some(Self {
            prompt,
            completion,
            total,
        })
    }
}

/// The answer in `body` from an endpoint of `kind`; for HTTP endpoints at JSON pointer
/// `pointer` (the whole body when unset). The error says what is missing.
pub fn read(
    kind: EndpointKind,
    pointer: Option<&str>,
    body: &[u8],
) -> Result<(Answer, Option<Usage>), String> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the answer is not JSON ({e}): {:?}",
            super::outcome::clip(&String::from_utf8_lossy(body), 120)
        )
    })?;
    let usage = Usage::read(&json);
    let answer = match kind {
        EndpointKind::OpenAi => {
            let finish_reason = json
                .pointer("/choices/0/finish_reason")
                .and_then(Value::as_str)
                .map(str::to_owned);
            // A filter that withheld the whole answer leaves its content null.
            let content = json
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str)
                .ok_or_else(|| match &finish_reason {
                    Some(reason) => format!(
                        "the answer has no choices[0].message.content (finish_reason {reason:?})"
                    ),
                    None => "the answer has no choices[0].message.content".to_owned(),
                })?;
            Answer {
                text: content.to_owned(),
                json: serde_json::from_str(content).ok(),
                finish_reason,
            }
        }
        EndpointKind::Http => {
            let value = match pointer {
                Some(p) => json
                    .pointer(p)
                    .ok_or_else(|| format!("the answer has nothing at {p}"))?,
                None => &json,
            };
            // A string holding a JSON object or array (`"{\"label\": …}"`, as many model
            // servers wrap their output) is that JSON to `json_schema`; any other string is
            // a string (`"positive"`, and `"42"` no number).
            let json = match value {
                Value::String(s) => serde_json::from_str::<Value>(s)
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
                    .unwrap_or_else(|| value.clone()),
                other => other.clone(),
            };
            Answer {
                text: match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                json: Some(json),
                finish_reason: None,
            }
        }
    };
    Ok((answer, usage))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_chat_completion_gives_its_content_and_usage() {
        let body = json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"city\":\"Paris\"}"}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
        });
        let (answer, usage) =
            read(EndpointKind::OpenAi, None, body.to_string().as_bytes()).unwrap();
        assert_eq!(answer.text, r#"{"city":"Paris"}"#);
        assert_eq!(answer.json, Some(json!({"city": "Paris"})));
        assert_eq!(answer.finish_reason, None, "not given");
        assert_eq!(
            usage,
            Some(Usage {
                prompt: Some(12),
                completion: Some(5),
                total: Some(17)
            })
        );
    }

    #[test]
    fn a_chat_completions_finish_reason_is_read() {
        let body = json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris Paris"},
                         "finish_reason": "length"}]
        });
        let (answer, _) = read(EndpointKind::OpenAi, None, body.to_string().as_bytes()).unwrap();
        assert_eq!(answer.finish_reason.as_deref(), Some("length"));
        let withheld = json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": null},
                         "finish_reason": "content_filter"}]
        });
        let err = read(EndpointKind::OpenAi, None, withheld.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "the answer has no choices[0].message.content (finish_reason \"content_filter\")"
        );
        let body = br#"{"finish_reason": "length", "text": "Paris"}"#;
        let (answer, _) = read(EndpointKind::Http, Some("/text"), body).unwrap();
        assert_eq!(
            answer.finish_reason, None,
            "an HTTP endpoint's fields are its own"
        );
    }

    #[test]
    fn an_http_answer_is_read_at_its_pointer() {
        let body = br#"{"output": {"label": "positive", "score": 0.93}}"#;
        let (answer, usage) = read(EndpointKind::Http, Some("/output/label"), body).unwrap();
        assert_eq!(answer.text, "positive");
        assert_eq!(
            answer.json,
            Some(json!("positive")),
            "a string, for json_schema"
        );
        assert_eq!(usage, None);
        let digits = br#"{"label": "42"}"#;
        let (answer, _) = read(EndpointKind::Http, Some("/label"), digits).unwrap();
        assert_eq!(answer.json, Some(json!("42")), "the string, not a number");
        let wrapped = br#"{"generated_text": "{\"label\": \"positive\"}"}"#;
        let (answer, _) = read(EndpointKind::Http, Some("/generated_text"), wrapped).unwrap();
        assert_eq!(
            answer.json,
            Some(json!({"label": "positive"})),
            "JSON inside a string"
        );
        let (whole, _) = read(EndpointKind::Http, None, body).unwrap();
        assert_eq!(whole.json.unwrap()["output"]["score"], 0.93);
        let err = read(EndpointKind::Http, Some("/result"), body).unwrap_err();
        assert_eq!(err, "the answer has nothing at /result");
    }

    #[test]
    fn invalid_json_or_a_missing_content_is_said_plainly() {
        let err = read(EndpointKind::OpenAi, None, b"<html>502 Bad Gateway").unwrap_err();
        assert!(err.starts_with("the answer is not JSON"), "{err}");
        assert!(err.contains("502 Bad Gateway"), "{err}");
        let err = read(EndpointKind::OpenAi, None, br#"{"choices": []}"#).unwrap_err();
        assert_eq!(err, "the answer has no choices[0].message.content");
    }
}
