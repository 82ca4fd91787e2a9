//! The Web API client: a bot token, an injectable base URL, and the delivery policy.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::channels::Directory;
use super::ids::MessageTs;
use super::limits::Violation;
use super::message::Message;
use super::response::read_answer;
use crate::domain::Timestamp;
use crate::http::{
    Attempt, BaseUrl, ClientError, DeliveryError, RetryPolicy, Timeouts, build_client, deliver,
    transport_failure,
};
use crate::secret::Secret;

pub(super) const API: &str = "Slack";

#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    /// The message breaks Block Kit limits; it was not sent, and a retry cannot help.
    #[error(
        "the Slack message breaks Block Kit limits and was not sent: {}",
        list(violations)
    )]
    InvalidMessage { violations: Vec<Violation> },
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// A channel configured by name that the bot cannot list; a retry cannot help.
    #[error(
        "no Slack channel named #{name} that the bot can list (public, or private with the bot in it; \
         not archived): check the name, invite the bot, grant the channels:read and groups:read \
         scopes, or configure the channel ID (C…) instead"
    )]
    UnknownChannel { name: String },
    /// Slack said ok but its answer lacks what the method returns.
    #[error("{method} answered ok without a valid {field}: {message}")]
    UnexpectedAnswer {
        method: &'static str,
        field: &'static str,
        message: String,
    },
}

impl SlackError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SlackError::Delivery(e) if e.is_retryable())
    }

    /// Whether Slack refused the bot token itself (`CREDENTIAL_ERRORS`: revoked, invalid),
    /// not the message: sent again once the secret holds a working token, it goes.
    pub fn is_refused_token(&self) -> bool {
        matches!(
            self,
            SlackError::Delivery(DeliveryError::Rejected { reason, .. })
                if super::response::CREDENTIAL_ERRORS
                    .iter()
                    .any(|code| reason.ends_with(&format!("error {code}")))
        )
    }

    /// Whether Slack refused the message's blocks (`invalid_blocks`): for a message that
    /// passes our own check of Block Kit's limits, an image Slack cannot show (an uploaded
    /// file it has not finished processing, a URL it cannot download).
    pub fn is_invalid_blocks(&self) -> bool {
        matches!(
            self,
            SlackError::Delivery(DeliveryError::Rejected { reason, .. })
                if reason.ends_with("error invalid_blocks")
        )
    }

    /// Whether Slack refused the message because it could not download one of its images
    /// (`invalid_blocks`, "downloading image failed"): the same message without its
    /// images would be taken.
    pub fn is_image_not_downloaded(&self) -> bool {
        matches!(
            self,
            SlackError::Delivery(DeliveryError::Rejected { reason, details, .. })
                if reason.ends_with("error invalid_blocks")
                    && details.iter().any(|d| d.contains("downloading image failed"))
        )
    }
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where a message landed: its channel (as an ID) and its `ts`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Posted {
    pub channel: String,
    pub ts: MessageTs,
}

/// The request body of one Web API call.
pub(super) enum Body<'a> {
    Json(&'a Value),
    Form(&'a [(&'a str, String)]),
}

#[derive(Debug, Clone)]
pub struct SlackClient {
    pub(super) http: reqwest::Client,
    base: BaseUrl,
    token: Secret,
    pub(super) retry: RetryPolicy,
    /// Channel names to IDs, read once per container (clones share it).
    pub(super) directory: Directory,
}

impl SlackClient {
    pub const DEFAULT_BASE_URL: &str = "https://slack.com/api";

    /// `base` is `https://slack.com/api` or the emulator's `http://127.0.0.1:PORT/api`.
    pub fn new(base: BaseUrl, token: Secret, timeouts: Timeouts) -> Result<Self, ClientError> {
        Ok(Self {
            http: build_client(timeouts)?,
            base,
            token,
            retry: RetryPolicy::default(),
            directory: Directory::default(),
        })
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// `chat.postMessage`: posts (in a thread when `thread_ts` is set) and returns its `ts`.
    ///
    /// A message with metadata that may have been posted without its answer reaching us
    /// (a timeout, a connection lost after sending, or an error answer Slack says may come
    /// after part of the work was done: `internal_error`, `fatal_error`, a 5xx) is looked
    /// for by that metadata before it is sent again (`find_posted`), so a retry does not
    /// post it twice. Only a spent rate limit is known to have posted nothing. A look-up
    /// that fails for now is retried, never taken for "not posted"; one Slack refuses (no
    /// `channels:history`, the bot not in the channel) posts again: a second message
    /// rather than none.
    pub async fn post_message(&self, message: &Message) -> Result<Posted, SlackError> {
        const METHOD: &str = "chat.postMessage";
        refuse_invalid(message)?;
        let body = to_json(message)?;
        let Some(metadata) = &message.metadata else {
            let value = self.call(METHOD, Body::Json(&body)).await?;
            return posted(METHOD, value);
        };
        let since = Timestamp::now();
        let url = self.base.join(&format!("/{METHOD}"));
        let unanswered = AtomicBool::new(false);
        // Each look-up is one attempt of this call's own: nested retries would multiply
        // the requests (and the wait) while Slack is failing.
        let look_once = SlackClient {
            retry: RetryPolicy {
                max_attempts: 1,
                ..self.retry
            },
            ..self.clone()
        };
        let value = deliver(API, &self.retry, || async {
            if unanswered.swap(false, Ordering::Relaxed) {
                let thread = message.thread_ts.as_ref();
                match look_once.find_posted(&message.channel, thread, since, metadata).await {
                    Ok(Some(found)) => {
                        tracing::info!(ts = %found.ts.as_str(), "found the post whose answer was lost; not posting again");
                        return Attempt::Delivered(
                            json!({"channel": found.channel, "ts": found.ts.as_str()}),
                        );
                    }
                    Ok(None) => {}
                    Err(e) if e.is_retryable() => {
                        unanswered.store(true, Ordering::Relaxed);
                        let (after, limited) = match &e {
                            SlackError::Delivery(DeliveryError::GaveUp {
                                retry_after,
                                limited,
                                ..
                            }) => (*retry_after, *limited),
                            _ => (None, false),
                        };
                        return Attempt::Retry {
                            reason: format!("could not look for a post that may have gone out: {e}"),
                            after,
                            limited,
                        };
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for a post that may have gone out; posting again (it may show twice)");
                    }
                }
            }
            let (outcome, lost) = self.attempt(METHOD, &url, &Body::Json(&body)).await;
            let maybe_posted = lost || matches!(outcome, Attempt::Retry { limited: false, .. });
            unanswered.store(maybe_posted, Ordering::Relaxed);
            outcome.map(|(value, _)| value)
        })
        .await?;
        posted(METHOD, value)
    }

    /// `chat.update`: replaces the text and blocks of the message at `ts` (in the channel
    /// by its ID, which `chat.update` requires: a name is resolved first).
    pub async fn update_message(
        &self,
        ts: &MessageTs,
        message: &Message,
    ) -> Result<Posted, SlackError> {
        refuse_invalid(message)?;
        let channel = self.channel_id(&message.channel).await?;
        let mut body = to_json(message)?;
        if let Value::Object(map) = &mut body {
            map.remove("thread_ts");
            map.insert("channel".into(), Value::String(channel.as_str().to_owned()));
            map.insert("ts".into(), Value::String(ts.as_str().to_owned()));
        }
        let value = self.call("chat.update", Body::Json(&body)).await?;
        posted("chat.update", value)
    }

    /// `chat.postEphemeral`: a message only `user` sees (answers to slash commands).
    pub async fn post_ephemeral(&self, message: &Message, user: &str) -> Result<(), SlackError> {
        refuse_invalid(message)?;
        let mut body = to_json(message)?;
        if let Value::Object(map) = &mut body {
            map.insert("user".into(), Value::String(user.to_owned()));
        }
        self.call("chat.postEphemeral", Body::Json(&body)).await?;
        Ok(())
    }

    /// One Web API method under the delivery policy; the answer's JSON when `ok`.
    pub(super) async fn call(
        &self,
        method: &'static str,
        body: Body<'_>,
    ) -> Result<Value, SlackError> {
        Ok(self.call_with_scopes(method, body).await?.0)
    }

    /// As `call`, with the token's scopes Slack lists in the `x-oauth-scopes` header.
    pub(super) async fn call_with_scopes(
        &self,
        method: &'static str,
        body: Body<'_>,
    ) -> Result<(Value, Option<String>), SlackError> {
        let url = self.base.join(&format!("/{method}"));
        let value = deliver(API, &self.retry, || async {
            self.attempt(method, &url, &body).await.0
        })
        .await?;
        Ok(value)
    }

    /// One request, and whether it may have been done without our hearing of it: sent
    /// (or being sent) when the connection failed or timed out.
    async fn attempt(
        &self,
        method: &'static str,
        url: &str,
        body: &Body<'_>,
    ) -> (Attempt<(Value, Option<String>)>, bool) {
        let request = self.http.post(url).bearer_auth(self.token.expose());
        let request = match body {
            Body::Json(json) => request.json(json),
            Body::Form(form) => request.form(form),
        };
        let lost = |err: reqwest::Error| {
            let unanswered = !err.is_connect();
            (transport_failure(err), unanswered)
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let scopes = headers
                    .get("x-oauth-scopes")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                match response.bytes().await {
                    Ok(bytes) => (
                        read_answer(method, status, &headers, &bytes).map(|v| (v, scopes)),
                        false,
                    ),
                    Err(err) => lost(err),
                }
            }
            Err(err) => lost(err),
        }
    }
}

fn refuse_invalid(message: &Message) -> Result<(), SlackError> {
    let violations = message.violations();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(SlackError::InvalidMessage { violations })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, SlackError> {
    serde_json::to_value(value).map_err(|e| {
        SlackError::Delivery(DeliveryError::Rejected {
            api: API,
            status: None,
            reason: format!("the request does not serialise: {e}"),
            details: Vec::new(),
        })
    })
}

pub(super) fn field<T: DeserializeOwned>(
    method: &'static str,
    value: &Value,
    name: &'static str,
) -> Result<T, SlackError> {
    let raw = value.get(name).cloned().unwrap_or(Value::Null);
    serde_json::from_value(raw).map_err(|e| SlackError::UnexpectedAnswer {
        method,
        field: name,
        message: e.to_string(),
    })
}

fn posted(method: &'static str, value: Value) -> Result<Posted, SlackError> {
    Ok(Posted {
        channel: field(method, &value, "channel")?,
        ts: field(method, &value, "ts")?,
    })
}
