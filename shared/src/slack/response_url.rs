//! Answering one person in Slack through the `response_url` of their click: an ephemeral
//! message (only they see it; Slack takes up to five answers per URL within 30 minutes).
//! The intake tells a clicker why a click changed nothing: without it a click on an old
//! message looks lost, since the alert message changes only when the alert does.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Url;
use serde_json::json;

use crate::http::{Timeouts, build_client_without_redirects};

/// Where Slack's `response_url`s point (Slack, and GovSlack).
const SLACK_HOSTS: [&str; 2] = ["hooks.slack.com", "hooks.slack-gov.com"];

/// A click's `response_url`, checked to be Slack's (or the local fake Slack's): the
/// intake posts to no other address a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseUrl(Url);

impl ResponseUrl {
    /// `raw` when it is an `https` URL on Slack's hooks hosts, or on the origin of
    /// `local` (`MODELWATCH_SLACK_URL`) when that is a fake on this machine (loopback);
    /// else `None`.
    pub fn new(raw: &str, local: Option<&str>) -> Option<Self> {
        let url = Url::parse(raw).ok()?;
        if !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let slacks = url.scheme() == "https"
            && url.port().is_none()
            && url.host_str().is_some_and(|h| SLACK_HOSTS.contains(&h));
        let local = local
            .and_then(|l| Url::parse(l).ok())
            .filter(|l| {
                l.host_str()
                    .is_some_and(|h| ["127.0.0.1", "localhost", "[::1]"].contains(&h))
            })
            .is_some_and(|l| l.origin() == url.origin());
        (slacks || local).then_some(Self(url))
    }
}

/// What an answer through a response URL came to, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    Sent,
    Failed(String),
}

/// Sends answers to response URLs. Its HTTP client is built on the first answer, so a
/// cold start that only takes webhooks never pays for one.
#[derive(Debug, Clone, Default)]
pub struct Responder {
    client: OnceLock<reqwest::Client>,
}

impl Responder {
    /// One try, short: an answer goes out before the click's own 200, inside Slack's 3 s.
    pub const WITHIN: Duration = Duration::from_millis(500);

    /// Posts `text` to `url` for the clicker's eyes only, leaving the message clicked on
    /// as it is.
    pub async fn tell(&self, url: &ResponseUrl, text: &str) -> Told {
        let client = match self.client.get() {
            Some(client) => client,
            None => match build_client_without_redirects(Timeouts {
                connect: Self::WITHIN,
                request: Self::WITHIN,
            }) {
                Ok(client) => self.client.get_or_init(|| client),
                Err(e) => return Told::Failed(e.to_string()),
            },
        };
        let body = json!({
            "response_type": "ephemeral",
            "replace_original": false,
            "text": text,
        });
        match client.post(url.0.clone()).json(&body).send().await {
            Ok(answer) if answer.status().is_success() => Told::Sent,
            Ok(answer) => {
                let status = answer.status();
                let said = answer.text().await.unwrap_or_default();
                Told::Failed(format!(
                    "Slack answered {status}: {}",
                    said.chars().take(200).collect::<String>()
                ))
            }
            // Not the error's own text: it holds the URL, which for half an hour lets
            // anyone post to the clicker.
            Err(e) if e.is_timeout() => {
                Told::Failed(format!("no answer within {:?}", Self::WITHIN))
            }
            Err(e) if e.is_connect() => Told::Failed("could not connect to Slack".into()),
            Err(e) => Told::Failed(e.without_url().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_slacks_hooks_hosts_or_the_local_fakes_origin_are_answered() {
        for ok in [
            "https://hooks.slack.com/actions/T0ACME/1/abc",
            "https://hooks.slack-gov.com/actions/T0/1/abc",
            "https://hooks.slack.com:443/commands/T0/1/abc",
        ] {
            assert!(ResponseUrl::new(ok, None).is_some(), "{ok}");
        }
        for refused in [
            "http://hooks.slack.com/actions/T0/1/abc",
            "https://hooks.slack.com:8443/actions/T0/1/abc",
            "https://hooks.slack.com.example.com/actions/T0/1/abc",
            "https://user@hooks.slack.com/actions/T0/1/abc",
            "https://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:9000/actions/T0/1/abc",
            "not a url",
            "",
        ] {
            assert!(ResponseUrl::new(refused, None).is_none(), "{refused}");
        }
        let fake = Some("http://127.0.0.1:9000/api");
        assert!(ResponseUrl::new("http://127.0.0.1:9000/actions/T0/1/abc", fake).is_some());
        assert!(ResponseUrl::new("http://127.0.0.1:9001/actions/T0/1/abc", fake).is_none());
        assert!(ResponseUrl::new("https://hooks.slack.com/actions/T0/1/abc", fake).is_some());
        // Slack's URL set to another host (a proxy, a typo) trusts nothing more.
        let elsewhere = Some("https://slack-proxy.example.com/api");
        assert!(
            ResponseUrl::new(
                "https://slack-proxy.example.com/actions/T0/1/abc",
                elsewhere
            )
            .is_none()
        );
    }
}
