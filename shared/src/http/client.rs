//! The HTTP client every API shares (timeouts, user agent) and the injectable base URL.

use std::fmt;
use std::time::Duration;

use crate::domain::InvalidValue;

/// How long to wait for a connection, and for a whole request and its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            request: Duration::from_secs(10),
        }
    }
}

/// The HTTP client could not be built (the TLS backend failed to start).
#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {message}; a retry cannot help")]
pub struct ClientError {
    pub message: String,
}

/// A `reqwest::Client` with connect and request timeouts and modelwatch's user agent,
/// trusting the roots this process chose (`roots`: compiled in for the functions).
pub fn build_client(timeouts: Timeouts) -> Result<reqwest::Client, ClientError> {
    build_with(timeouts, super::roots::chosen())
}

/// `build_client` following no redirect: for an address a request named (a Slack click's
/// `response_url`), which a redirect could take anywhere.
pub fn build_client_without_redirects(timeouts: Timeouts) -> Result<reqwest::Client, ClientError> {
    finish(builder(timeouts, super::roots::chosen()).redirect(reqwest::redirect::Policy::none()))
}

/// `build_client` with `tls` in place of reqwest's default (the system's store).
pub(super) fn build_with(
    timeouts: Timeouts,
    tls: Option<rustls::ClientConfig>,
) -> Result<reqwest::Client, ClientError> {
    finish(builder(timeouts, tls))
}

fn builder(timeouts: Timeouts, tls: Option<rustls::ClientConfig>) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .timeout(timeouts.request)
        .user_agent(concat!("modelwatch/", env!("CARGO_PKG_VERSION")));
    match tls {
        Some(tls) => builder.tls_backend_preconfigured(tls),
        None => builder,
    }
}

fn finish(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, ClientError> {
    builder.build().map_err(|e| ClientError {
        message: e.to_string(),
    })
}

/// An API's base URL (`https://events.pagerduty.com`, or a fake's `http://127.0.0.1:PORT`),
/// without a trailing slash, so `join("/v2/enqueue")` gives the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn new(url: &str) -> Result<Self, InvalidValue> {
        const EXPECTED: &str = "an absolute http(s) URL such as https://api.example.com";
        let trimmed = url.trim().trim_end_matches('/');
        match reqwest::Url::parse(trimmed) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
                Ok(Self(trimmed.to_owned()))
            }
            _ => Err(InvalidValue::new("base URL", url, EXPECTED)),
        }
    }

    /// The endpoint at `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_drops_the_trailing_slash_and_joins_paths() {
        let base = BaseUrl::new("http://127.0.0.1:8080/").unwrap();
        assert_eq!(base.join("/v2/enqueue"), "http://127.0.0.1:8080/v2/enqueue");
    }

    #[test]
    fn base_url_refuses_what_is_not_http() {
        for bad in ["", "events.pagerduty.com", "ftp://example.com", "http://"] {
            let err = BaseUrl::new(bad).unwrap_err();
            assert_eq!(err.what, "base URL");
        }
    }
}
