//! Slack Web API: Block Kit messages (post, thread, update, ephemeral) and file uploads.
//!
//! `blocks` models Block Kit; `limits` checks a message against Slack's limits without
//! I/O (the client refuses what Slack would refuse; the test fakes check messages
//! independently, against Slack's published Block Kit limits);
//! `client` and `upload` call the Web API with a bot token under the delivery policy;
//! `channels` turns configured channel names into the IDs some methods require;
//! `history` finds a message the bot posted again, by its metadata;
//! `auth` says who the token is and which scopes it has;
//! `response_url` answers one person through the `response_url` of their click.

mod auth;
mod blocks;
mod channels;
mod client;
mod history;
mod ids;
mod limits;
mod message;
mod mrkdwn;
mod response;
mod response_url;
mod upload;

pub use auth::{Identity, REQUIRED_SCOPES};
pub use blocks::{
    Accessory, ActionElement, Actions, Block, Button, ButtonStyle, Context, ContextElement,
    Divider, Header, ImageBlock, ImageElement, Section, SlackFile, Text,
};
pub use channels::Membership;
pub use client::{Posted, SlackClient, SlackError};
pub use ids::{ChannelId, MessageTs};
pub use limits::{BLOCKS_TEXT_BUDGET, MAX_BLOCKS_TEXT, Violation, blocks_text_chars, validate};
pub use message::{Message, Metadata};
pub use mrkdwn::{cut, cut_mrkdwn, escape, join_within};
pub use response::{RETRYABLE_ERRORS, SlackAnswer};
pub use response_url::{Responder, ResponseUrl, Told};
pub use upload::{FileUpload, UploadedFile};
