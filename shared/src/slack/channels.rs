//! Channel names to the IDs that some methods require (`files.completeUploadExternal`,
//! `chat.update`): `conversations.list`, page by page, kept for the container's life and
//! read again, at most every few minutes, when a name is not in it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::client::{Body, SlackClient, SlackError};
use super::ids::ChannelId;

/// Slack's advice for paginated methods: at most 200 items a page.
const PAGE_LIMIT: &str = "200";
/// A directory read this recently is not read again for a name missing from it.
const REFRESH_AFTER: Duration = Duration::from_secs(300);
/// A workspace with more pages than this is not listed to the end (200 000 channels).
const MAX_PAGES: usize = 1000;

/// The names and IDs of the channels the bot can list, shared by a client's clones.
#[derive(Debug, Clone, Default)]
pub(super) struct Directory(Arc<Mutex<Option<Listed>>>);

#[derive(Debug)]
struct Listed {
    ids: HashMap<String, String>,
    /// IDs of the channels the bot is a member of.
    members: HashSet<String>,
    at: Instant,
}

/// The bot and one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Member,
    /// Listed (public), but the bot has not joined it.
    NotMember,
    /// Not archived and listable it is not: misspelt, archived, or private without the bot.
    NotListed,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    channels: Vec<Listing>,
    #[serde(default)]
    response_metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Listing {
    id: String,
    name: String,
    #[serde(default)]
    is_member: bool,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    next_cursor: String,
}

impl SlackClient {
    /// The ID of `channel`: itself when it is one, else the ID of the public or private
    /// channel of that name that is not archived. Fails with `UnknownChannel` when the bot
    /// can list no such channel.
    pub async fn channel_id(&self, channel: &ChannelId) -> Result<ChannelId, SlackError> {
        if channel.is_id() {
            return Ok(channel.clone());
        }
        let name = channel.name();
        let mut cached = self.directory.0.lock().await;
        let known = cached.as_ref().and_then(|l| l.ids.get(name).cloned());
        let stale = cached
            .as_ref()
            .is_none_or(|l| l.at.elapsed() >= REFRESH_AFTER);
        let id = match known {
            Some(id) => Some(id),
            None if stale => {
                let listed = self.list_channels().await?;
                let id = listed.ids.get(name).cloned();
                tracing::info!(channels = listed.ids.len(), "Slack channel directory read");
                *cached = Some(listed);
                id
            }
            None => None,
        };
        let id = id.ok_or_else(|| SlackError::UnknownChannel {
            name: name.to_owned(),
        })?;
        ChannelId::new(&id).map_err(|e| SlackError::UnexpectedAnswer {
            method: "conversations.list",
            field: "channels[].id",
            message: e.to_string(),
        })
    }

    /// Whether the bot is in each of `channels` (names or IDs), from one fresh listing: it
    /// can post to a public channel without joining, but not share a chart there, nor post
    /// to a private one.
    pub async fn memberships(&self, channels: &[ChannelId]) -> Result<Vec<Membership>, SlackError> {
        let listed = self.list_channels().await?;
        let found = channels
            .iter()
            .map(|channel| {
                let id = if channel.is_id() {
                    Some(channel.as_str())
                } else {
                    listed.ids.get(channel.name()).map(String::as_str)
                };
                match id {
                    Some(id) if listed.members.contains(id) => Membership::Member,
                    Some(_) => Membership::NotMember,
                    None => Membership::NotListed,
                }
            })
            .collect();
        *self.directory.0.lock().await = Some(listed);
        Ok(found)
    }

    /// Every public and private channel the bot can see, archived ones left out.
    async fn list_channels(&self) -> Result<Listed, SlackError> {
        let mut ids = HashMap::new();
        let mut members = HashSet::new();
        let mut cursor = String::new();
        for _ in 0..MAX_PAGES {
            let mut form = vec![
                ("types", "public_channel,private_channel".to_owned()),
                ("exclude_archived", "true".to_owned()),
                ("limit", PAGE_LIMIT.to_owned()),
            ];
            if !cursor.is_empty() {
                form.push(("cursor", cursor.clone()));
            }
            let answer = self.call("conversations.list", Body::Form(&form)).await?;
            let page: Page =
                serde_json::from_value(answer).map_err(|e| SlackError::UnexpectedAnswer {
                    method: "conversations.list",
                    field: "channels",
                    message: e.to_string(),
                })?;
            for c in page.channels {
                if c.is_member {
                    members.insert(c.id.clone());
                }
                ids.insert(c.name, c.id);
            }
            cursor = page
                .response_metadata
                .map(|m| m.next_cursor)
                .unwrap_or_default();
            if cursor.is_empty() {
                return Ok(Listed {
                    ids,
                    members,
                    at: Instant::now(),
                });
            }
        }
        Err(SlackError::UnexpectedAnswer {
            method: "conversations.list",
            field: "response_metadata.next_cursor",
            message: format!("still more channels after {MAX_PAGES} pages"),
        })
    }
}
