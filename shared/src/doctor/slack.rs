//! Slack: the bot token, its scopes, and the bot's place in every configured channel.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{Check, Inputs};
use crate::config::Config;
use crate::http::{RetryPolicy, Timeouts};
use crate::secrets::names;
use crate::slack::{ChannelId, Membership, SlackClient};

const SERVICE: &str = "Slack";

pub(super) async fn checks(inputs: &Inputs<'_>) -> Vec<Check> {
    let Some(token) = inputs.secrets.get(names::SLACK_BOT_TOKEN).cloned() else {
        return vec![Check::fail(
            SERVICE,
            "bot token",
            "slack_bot_token is empty in the secret: no alert or report reaches Slack",
            "install the app from infra/slack-app-manifest.yaml and put its xoxb- token in the secret",
        )];
    };
    let retry = RetryPolicy {
        max_attempts: 1,
        deadline: Duration::from_secs(10),
        ..RetryPolicy::default()
    };
    let client = match SlackClient::new(inputs.targets.slack.clone(), token, Timeouts::default()) {
        Ok(client) => client.with_retry_policy(retry),
        Err(e) => {
            return vec![Check::fail(
                SERVICE,
                "client",
                e.to_string(),
                "report this as a bug",
            )];
        }
    };
    let identity = match client.auth_test().await {
        Ok(identity) => identity,
        Err(e) => {
            return vec![Check::fail(
                SERVICE,
                "bot token",
                e.to_string(),
                "reinstall the app to the workspace and copy its Bot User OAuth Token (xoxb-…) into the secret",
            )];
        }
    };
    let mut out = vec![Check::pass(
        SERVICE,
        "bot token",
        format!("valid: {} in {}", identity.user, identity.team),
    )];
    let missing = identity.missing_scopes();
    out.push(match (&identity.scopes, missing.is_empty()) {
        (None, _) => Check::skipped(SERVICE, "scopes", "Slack did not list the token's scopes"),
        (Some(_), true) => Check::pass(SERVICE, "scopes", "every scope modelwatch uses"),
        (Some(_), false) => Check::fail(
            SERVICE,
            "scopes",
            format!("the token lacks {}", missing.join(", ")),
            "add them under OAuth & Permissions (as in infra/slack-app-manifest.yaml) and reinstall the app",
        ),
    });
    out.extend(channels(&client, inputs.config).await);
    out
}

async fn channels(client: &SlackClient, config: &Config) -> Vec<Check> {
    let configured: Vec<ChannelId> = channels_of(config)
        .into_iter()
        .filter_map(|c| ChannelId::new(&c).ok())
        .collect();
    let memberships = match client.memberships(&configured).await {
        Ok(m) => m,
        Err(e) => {
            return vec![Check::fail(
                SERVICE,
                "channels",
                e.to_string(),
                "grant channels:read and groups:read, then reinstall the app",
            )];
        }
    };
    configured
        .iter()
        .zip(memberships)
        .map(|(channel, membership)| {
            let check = format!("channel {}", shown(channel));
            match membership {
                Membership::Member => Check::pass(SERVICE, check, "the bot is in it"),
                Membership::NotMember => Check::warn(
                    SERVICE,
                    check,
                    "the bot has not joined: messages post (chat:write.public), but report charts cannot be shared and an interrupted alert post cannot be found again (it may show twice)",
                    format!("/invite @modelwatch in {}", shown(channel)),
                ),
                Membership::NotListed => Check::fail(
                    SERVICE,
                    check,
                    "no such channel the bot can see (misspelt, archived, or private without the bot)",
                    "fix the name in the configuration, or invite the bot to the private channel",
                ),
            }
        })
        .collect()
}

fn shown(channel: &ChannelId) -> String {
    if channel.is_id() {
        channel.as_str().to_owned()
    } else {
        format!("#{}", channel.name())
    }
}

/// Every Slack channel the configuration sends to, once each, in a stable order.
fn channels_of(config: &Config) -> BTreeSet<String> {
    let routing = &config.routing;
    let mut all = BTreeSet::new();
    all.insert(routing.default_slack_channel.clone());
    for level in &routing.levels {
        all.extend(level.slack_channels.iter().cloned());
    }
    for route in &routing.routes {
        for level in &route.levels {
            all.extend(level.slack_channels.iter().flatten().cloned());
        }
    }
    all.extend(config.models.values().map(|m| m.slack_channel.clone()));
    all.extend(
        config
            .reports
            .audiences
            .values()
            .filter_map(|a| a.channel.clone()),
    );
    all
}
