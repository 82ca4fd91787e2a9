//! A function's clients built from the deployment's secret, and rebuilt when the secret
//! changes: a warm container re-reads the secret every few minutes (so a rotated token or
//! a newly filled key takes effect without a redeploy), and a function whose secret is not
//! filled in yet starts anyway and skips its work with one "not configured" log line, so
//! a fresh deploy does not fail every minute into the dead-letter queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::InitError;
use crate::secrets::{SecretSource, Secrets, SecretsError};

/// How long a working function trusts the secret it read.
pub const REFRESH_AFTER: Duration = Duration::from_secs(5 * 60);
/// How soon a function waiting for its secret (or after a failed read) looks again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// The secret entries a function cannot work without are not filled in yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotConfigured {
    /// Always "not configured": what a scheduled invocation answers instead of failing.
    pub skipped: &'static str,
    /// The secret's entries to fill in.
    pub missing: Vec<String>,
}

impl NotConfigured {
    pub fn new(missing: Vec<String>) -> Self {
        Self {
            skipped: "not configured",
            missing,
        }
    }
}

impl std::fmt::Display for NotConfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not configured: fill in {} in the deployment's secret",
            self.missing.join(", ")
        )
    }
}

/// What a function needs from the secret, and how it builds itself from it.
pub trait FromSecrets: Sized {
    /// The entries without which it cannot work.
    fn required_secrets(&self) -> Vec<String>;
    /// Builds the function's state (clients holding the credentials).
    fn build(&self, secrets: &Secrets) -> Result<Self::Built, InitError>;
    type Built: Send + Sync;
}

struct State<T> {
    current: Result<Arc<T>, NotConfigured>,
    fingerprint: Option<[u8; 32]>,
    checked: Instant,
    /// When a refused request last made it re-read the secret (read or not): its own
    /// limit, as `checked` is set back after a failed read to look again sooner.
    reread_for_refusal: Option<Instant>,
}

/// The function's state as the secret currently allows.
pub struct Live<B: FromSecrets> {
    source: SecretSource,
    builder: B,
    state: Mutex<State<B::Built>>,
    refresh_after: Duration,
    retry_after: Duration,
}

impl<B: FromSecrets> Live<B> {
    /// Reads the secret and builds. A secret that cannot be read, or a build that fails
    /// for another reason than missing entries, fails the cold start by name.
    pub async fn start(source: SecretSource, builder: B) -> Result<Self, InitError> {
        let secrets = source.fetch().await?;
        Self::with_secrets(source, secrets, builder)
    }

    /// Builds from `secrets` already read from `source` (by `cold_start`, beside the table
    /// check); later refreshes read `source`.
    pub fn with_secrets(
        source: SecretSource,
        secrets: Secrets,
        builder: B,
    ) -> Result<Self, InitError> {
        let state = State {
            current: make(&builder, &secrets)?,
            fingerprint: Some(secrets.fingerprint()),
            checked: Instant::now(),
            reread_for_refusal: None,
        };
        Ok(Self {
            source,
            builder,
            state: Mutex::new(state),
            refresh_after: REFRESH_AFTER,
            retry_after: RETRY_AFTER,
        })
    }

    /// Other intervals than `REFRESH_AFTER` and `RETRY_AFTER` (tests).
    pub fn with_intervals(mut self, refresh_after: Duration, retry_after: Duration) -> Self {
        self.refresh_after = refresh_after;
        self.retry_after = retry_after;
        self
    }

    /// The state to serve this invocation with, re-reading the secret when it is due.
    /// `Err` means "skip, not configured" (already logged).
    pub async fn current(&self) -> Result<Arc<B::Built>, NotConfigured> {
        let mut state = self.state.lock().await;
        let due = match state.current {
            Ok(_) => self.refresh_after,
            Err(_) => self.retry_after,
        };
        if state.checked.elapsed() >= due {
            self.refresh(&mut state).await;
        }
        if let Err(not) = &state.current {
            tracing::warn!(missing = %not.missing.join(", "), "not configured");
        }
        state.current.clone()
    }

    /// After a request was refused for its credentials: re-reads the secret now, unless
    /// a refusal made it read within the retry interval (so wrong credentials cannot turn
    /// every request into a read of the secret), and returns the state built from it when
    /// the secret changed. A warm container then takes a rotated token or signing secret
    /// at once, instead of refusing the sender's new one until its next refresh. A read
    /// for another reason (the cold start, a refresh) does not count: the secret may have
    /// changed just after it.
    pub async fn reread_after_refusal(&self) -> Option<Arc<B::Built>> {
        let mut state = self.state.lock().await;
        let recent = |at: Option<Instant>| at.is_some_and(|t| t.elapsed() < self.retry_after);
        if recent(state.reread_for_refusal) {
            return None;
        }
        state.reread_for_refusal = Some(Instant::now());
        let before = state.fingerprint;
        self.refresh(&mut state).await;
        if state.fingerprint == before {
            return None;
        }
        state.current.clone().ok()
    }

    async fn refresh(&self, state: &mut State<B::Built>) {
        state.checked = Instant::now();
        let secrets = match self.source.fetch().await {
            Ok(s) => s,
            Err(e) => {
                // Keep serving with what was read before; look again soon.
                tracing::warn!(error = %e, "secret not re-read; keeping the one read before");
                let early = self.refresh_after.saturating_sub(self.retry_after);
                state.checked = Instant::now().checked_sub(early).unwrap_or(state.checked);
                return;
            }
        };
        let fingerprint = secrets.fingerprint();
        if state.fingerprint == Some(fingerprint) {
            return;
        }
        match make(&self.builder, &secrets) {
            Ok(current) => {
                tracing::info!(
                    configured = current.is_ok(),
                    "secret changed; clients rebuilt"
                );
                state.current = current;
                state.fingerprint = Some(fingerprint);
            }
            Err(e) => {
                // A bad new value (say, a malformed routing key) must not stop a working
                // function: keep the old clients, and say what is wrong.
                tracing::error!(error = %e, "secret changed but cannot be used; keeping the one read before");
                state.fingerprint = Some(fingerprint);
            }
        }
    }
}

fn make<B: FromSecrets>(
    builder: &B,
    secrets: &Secrets,
) -> Result<Result<Arc<B::Built>, NotConfigured>, InitError> {
    let missing = secrets.missing(builder.required_secrets().iter().map(String::as_str));
    if !missing.is_empty() {
        return Ok(Err(NotConfigured::new(missing)));
    }
    match builder.build(secrets) {
        Ok(built) => Ok(Ok(Arc::new(built))),
        // A builder asking for an entry it did not declare: still "not configured".
        Err(InitError::Secrets(SecretsError::Missing { name, .. })) => {
            Ok(Err(NotConfigured::new(vec![name])))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    struct Needs(&'static [&'static str]);

    impl FromSecrets for Needs {
        type Built = String;
        fn required_secrets(&self) -> Vec<String> {
            self.0.iter().map(|s| s.to_string()).collect()
        }
        fn build(&self, secrets: &Secrets) -> Result<String, InitError> {
            let token = secrets.require("slack_bot_token")?;
            if !token.expose().starts_with("xoxb-") {
                return Err(InitError::Invalid {
                    setting: "slack_bot_token",
                    message: "expected a bot token (xoxb-…)".into(),
                });
            }
            Ok(format!("client with {}", token.expose().len()))
        }
    }

    fn secrets(pairs: &[(&str, &str)]) -> Secrets {
        let mut s = Secrets::default();
        for (k, v) in pairs {
            s.insert(k, Secret::new(*v));
        }
        s
    }

    #[test]
    fn missing_entries_mean_not_configured_and_are_all_named() {
        let b = Needs(&["datadog_api_key", "slack_bot_token"]);
        let out = make(&b, &secrets(&[("webhook_token", "t")])).unwrap();
        assert_eq!(
            out.unwrap_err().missing,
            ["datadog_api_key", "slack_bot_token"]
        );
    }

    #[test]
    fn an_undeclared_entry_the_build_asks_for_is_not_configured_too() {
        let b = Needs(&[]);
        let out = make(&b, &secrets(&[])).unwrap();
        assert_eq!(out.unwrap_err().missing, ["slack_bot_token"]);
    }

    #[test]
    fn a_complete_secret_builds_and_a_bad_value_is_an_error() {
        let b = Needs(&["slack_bot_token"]);
        let ok = make(&b, &secrets(&[("slack_bot_token", "xoxb-1")])).unwrap();
        assert_eq!(ok.unwrap().as_str(), "client with 6");
        let bad = make(&b, &secrets(&[("slack_bot_token", "nope")]));
        assert!(matches!(bad, Err(InitError::Invalid { .. })));
    }

    #[test]
    fn not_configured_reads_as_what_to_do() {
        let n = NotConfigured::new(vec!["datadog_api_key".into(), "datadog_app_key".into()]);
        assert_eq!(
            n.to_string(),
            "not configured: fill in datadog_api_key, datadog_app_key in the deployment's secret"
        );
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            serde_json::json!({"skipped": "not configured", "missing": ["datadog_api_key", "datadog_app_key"]})
        );
    }
}
