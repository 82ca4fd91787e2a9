//! Who the bot token is and what it may do: `auth.test`, with the scopes Slack reports on
//! every answer in the `x-oauth-scopes` header (for `modelwatch doctor`).

use super::client::{Body, SlackClient, SlackError, field};

/// What `auth.test` says of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub team: String,
    pub user: String,
    /// The token's scopes; `None` when Slack did not list them.
    pub scopes: Option<Vec<String>>,
}

/// The scopes modelwatch's bot uses (infra/slack-app-manifest.yaml): posting and updating
/// alerts and reports (also in public channels the bot has not joined), sharing charts,
/// answering commands, resolving channel names, finding an interrupted post again.
pub const REQUIRED_SCOPES: [&str; 8] = [
    "chat:write",
    "chat:write.public",
    "files:write",
    "commands",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
];

impl SlackClient {
    /// `auth.test`: whether the token is valid, whose it is, and its scopes.
    pub async fn auth_test(&self) -> Result<Identity, SlackError> {
        let (value, scopes) = self.call_with_scopes("auth.test", Body::Form(&[])).await?;
        Ok(Identity {
            team: field("auth.test", &value, "team")?,
            user: field("auth.test", &value, "user")?,
            scopes: scopes.map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
        })
    }
}

impl Identity {
    /// The required scopes the token lacks (none when Slack did not list them).
    pub fn missing_scopes(&self) -> Vec<&'static str> {
        match &self.scopes {
            Some(scopes) => REQUIRED_SCOPES
                .into_iter()
                .filter(|r| !scopes.iter().any(|s| s == r))
                .collect(),
            None => Vec::new(),
        }
    }
}
