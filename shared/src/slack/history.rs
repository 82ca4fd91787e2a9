//! Finding a message the bot posted again: `conversations.history` (`conversations.replies`
//! for a thread reply) with the messages' metadata. `chat.postMessage` has no idempotency key, so a poster that may have posted
//! already (it died, or lost the answer, between posting and recording) looks for its own
//! message by the metadata it posted with before posting again.

use serde_json::Value;

use super::client::{Body, Posted, SlackClient, SlackError, field};
use super::ids::{ChannelId, MessageTs};
use super::message::Metadata;
use crate::domain::Timestamp;

/// Messages asked for per page of a channel's history (Slack's default; its maximum is 999).
const PAGE: &str = "100";
/// Messages asked for per page of a thread: the most Slack gives ("under 1000"), as a
/// thread is read oldest first and the message looked for is among the newest.
const THREAD_PAGE: &str = "999";
/// Pages read at most: the search covers minutes, not the channel's whole history.
const PAGES: usize = 5;
/// Slack's clock stamps a message, ours says when to look from: read a little earlier.
const CLOCK_MARGIN_SECS: u64 = 300;

impl SlackClient {
    /// The message in `channel` (in the thread of `thread` when set: a reply is not among
    /// the channel's messages) posted since `since` (give or take five minutes of clock
    /// difference) that carries `metadata`, if any. Reads up to five pages: of 100 messages
    /// in the channel, newest first; of 999 in a thread, oldest first.
    /// Needs the `channels:history` scope (`groups:history` for a private channel) and
    /// the bot in the channel; without them Slack answers `missing_scope` or
    /// `not_in_channel`, returned as the error.
    pub async fn find_posted(
        &self,
        channel: &ChannelId,
        thread: Option<&MessageTs>,
        since: Timestamp,
        metadata: &Metadata,
    ) -> Result<Option<Posted>, SlackError> {
        let (method, page) = match thread {
            Some(_) => ("conversations.replies", THREAD_PAGE),
            None => ("conversations.history", PAGE),
        };
        let channel = self.channel_id(channel).await?;
        let oldest = slack_time(since.minus_secs(CLOCK_MARGIN_SECS));
        let mut cursor = String::new();
        for _ in 0..PAGES {
            let mut form = vec![
                ("channel", channel.as_str().to_owned()),
                ("oldest", oldest.clone()),
                ("inclusive", "true".to_owned()),
                ("limit", page.to_owned()),
                ("include_all_metadata", "true".to_owned()),
            ];
            if let Some(ts) = thread {
                form.push(("ts", ts.as_str().to_owned()));
            }
            if !cursor.is_empty() {
                form.push(("cursor", cursor.clone()));
            }
            let answer = self.call(method, Body::Form(&form)).await?;
            let messages: Vec<Value> = field(method, &answer, "messages")?;
            if let Some(ts) = messages.iter().find_map(|m| carrying(m, metadata)) {
                return Ok(Some(Posted {
                    channel: channel.as_str().to_owned(),
                    ts,
                }));
            }
            cursor = next_cursor(&answer);
            if cursor.is_empty() {
                return Ok(None);
            }
        }
        tracing::warn!(%method, pages = PAGES, "looked through as many pages as a search reads without finding the message: taken as not posted");
        Ok(None)
    }

    /// The metadata of `event_type` that the messages of the thread of `thread` in
    /// `channel` carry, the parent's first: what the bot posted there, for a poster that
    /// resumes its thread. Reads up to five pages of 999; scopes as `find_posted`.
    pub async fn thread_metadata(
        &self,
        channel: &ChannelId,
        thread: &MessageTs,
        event_type: &str,
    ) -> Result<Vec<Metadata>, SlackError> {
        const METHOD: &str = "conversations.replies";
        let channel = self.channel_id(channel).await?;
        let mut found = Vec::new();
        let mut cursor = String::new();
        for _ in 0..PAGES {
            let mut form = vec![
                ("channel", channel.as_str().to_owned()),
                ("ts", thread.as_str().to_owned()),
                ("limit", THREAD_PAGE.to_owned()),
                ("include_all_metadata", "true".to_owned()),
            ];
            if !cursor.is_empty() {
                form.push(("cursor", cursor.clone()));
            }
            let answer = self.call(METHOD, Body::Form(&form)).await?;
            let messages: Vec<Value> = field(METHOD, &answer, "messages")?;
            found.extend(
                messages
                    .iter()
                    .filter_map(metadata_of)
                    .filter(|m| m.event_type == event_type),
            );
            cursor = next_cursor(&answer);
            if cursor.is_empty() {
                return Ok(found);
            }
        }
        tracing::warn!(
            method = METHOD,
            pages = PAGES,
            "the thread is longer than a read takes: its later messages are not looked at"
        );
        Ok(found)
    }
}

/// The cursor of the page after `answer`'s; empty when it was the last.
fn next_cursor(answer: &Value) -> String {
    let more = answer.get("has_more").and_then(Value::as_bool) == Some(true);
    let cursor = answer
        .pointer("/response_metadata/next_cursor")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if more {
        cursor.to_owned()
    } else {
        String::new()
    }
}

/// The `ts` of `message` when it carries `metadata`: its event type, and each field of its
/// payload with the same value (a poster may add fields that say more than which message
/// it is, as a report's parts list their sections).
fn carrying(message: &Value, metadata: &Metadata) -> Option<MessageTs> {
    let found = metadata_of(message)?;
    let same = found.event_type == metadata.event_type
        && metadata
            .event_payload
            .iter()
            .all(|(k, v)| found.event_payload.get(k) == Some(v));
    if !same {
        return None;
    }
    MessageTs::new(message.get("ts")?.as_str()?).ok()
}

/// The metadata `message` carries, if any.
fn metadata_of(message: &Value) -> Option<Metadata> {
    let found = message.get("metadata")?;
    Some(Metadata {
        event_type: found.get("event_type")?.as_str()?.to_owned(),
        event_payload: found.get("event_payload")?.as_object()?.clone(),
    })
}

/// A time as Slack writes one: seconds with six decimals (`1658903885.673769`); nothing
/// in Slack is older than the epoch.
fn slack_time(at: Timestamp) -> String {
    let ms = at.millis().max(0);
    format!("{}.{:06}", ms / 1000, ms % 1000 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> Metadata {
        let payload =
            json!({"alert": "datadog:monitor:1|model:a", "cycle": 2, "step": "slack-post:#ml"});
        Metadata {
            event_type: "modelwatch_alert".into(),
            event_payload: payload.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn a_message_is_found_only_by_its_whole_metadata() {
        let m = metadata();
        let message = |event_type: &str, payload: Value| {
            json!({"type": "message", "ts": "1790000000.000100",
                   "metadata": {"event_type": event_type, "event_payload": payload}})
        };
        let own = message("modelwatch_alert", Value::Object(m.event_payload.clone()));
        assert_eq!(
            carrying(&own, &m).map(|t| t.as_str().to_owned()),
            Some("1790000000.000100".to_owned())
        );
        // A payload that says more still carries it; one that differs in a field does not.
        let mut more = m.event_payload.clone();
        more.insert("sections".into(), json!("a\nb"));
        assert!(carrying(&message("modelwatch_alert", Value::Object(more)), &m).is_some());
        let mut other_cycle = m.event_payload.clone();
        other_cycle.insert("cycle".into(), json!(3));
        assert!(carrying(&message("modelwatch_alert", Value::Object(other_cycle)), &m).is_none());
        let other_type = message("other_app", Value::Object(m.event_payload.clone()));
        assert!(carrying(&other_type, &m).is_none());
        assert!(carrying(&json!({"ts": "1790000000.000100", "text": "hi"}), &m).is_none());
    }

    #[test]
    fn times_are_written_as_slack_writes_them() {
        assert_eq!(
            slack_time(Timestamp::from_millis(1_790_000_000_123)),
            "1790000000.123000"
        );
        assert_eq!(slack_time(Timestamp::from_millis(-1)), "0.000000");
    }
}
