//! Running a request under the policy: bounded attempts, a total deadline, backoff with
//! full jitter or the server's own delay, and one error type that says if a retry helps.

use std::error::Error as _;
use std::future::Future;
use std::time::{Duration, Instant};

use super::decision::backoff;

/// How hard to try before handing the failure back to the caller (who may retry later,
/// for example by failing the stream batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least 1).
    pub max_attempts: u32,
    /// The first backoff ceiling; it doubles on every attempt.
    pub base_delay: Duration,
    /// The highest backoff ceiling.
    pub max_delay: Duration,
    /// No wait may start that would end later than this after the first attempt.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            deadline: Duration::from_secs(25),
        }
    }
}

/// How one attempt ended, as the API's client reads its answer.
#[derive(Debug)]
pub enum Attempt<T> {
    Delivered(T),
    /// The same request can succeed later; `after` is the server's requested delay.
    Retry {
        reason: String,
        after: Option<Duration>,
        /// The service's rate limit for this request is spent (HTTP 429, Slack's
        /// `ratelimited`): its route's (a channel, a routing key), not the service down.
        limited: bool,
    },
    /// Sending it again cannot help. `details` keeps the service's own error list.
    Rejected {
        status: Option<u16>,
        reason: String,
        details: Vec<String>,
    },
}

impl<T> Attempt<T> {
    /// The same ending with the delivered value turned by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attempt<U> {
        match self {
            Attempt::Delivered(value) => Attempt::Delivered(f(value)),
            Attempt::Retry {
                reason,
                after,
                limited,
            } => Attempt::Retry {
                reason,
                after,
                limited,
            },
            Attempt::Rejected {
                status,
                reason,
                details,
            } => Attempt::Rejected {
                status,
                reason,
                details,
            },
        }
    }
}

/// Why a request did not end delivered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// The service refused the request itself: a retry cannot help.
    #[error(
        "{api} rejected the request: {reason}{}; a retry cannot help",
        list(details)
    )]
    Rejected {
        api: &'static str,
        status: Option<u16>,
        reason: String,
        details: Vec<String>,
    },
    /// Every attempt failed in a way a later retry can cure (rate limit, 5xx, timeout).
    #[error(
        "{api} did not take the request after {attempts} attempt(s): {last}; a later retry can help"
    )]
    GaveUp {
        api: &'static str,
        attempts: u32,
        last: String,
        /// The server's requested delay, when it gave one.
        retry_after: Option<Duration>,
        /// The last attempt met a spent rate limit (`Attempt::Retry`'s `limited`).
        limited: bool,
    },
}

impl DeliveryError {
    /// Whether the same request can succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::GaveUp { .. })
    }
}

fn list(details: &[String]) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join("; "))
    }
}

/// Runs `attempt` until it is delivered or rejected, the attempts run out, or the next
/// wait would pass the deadline. Waits the server's delay when it gave one, else backoff
/// with full jitter.
pub async fn deliver<T, F, Fut>(
    api: &'static str,
    policy: &RetryPolicy,
    mut attempt: F,
) -> Result<T, DeliveryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let started = Instant::now();
    let max_attempts = policy.max_attempts.max(1);
    let mut number = 0;
    loop {
        number += 1;
        let (reason, after, limited) = match attempt().await {
            Attempt::Delivered(value) => return Ok(value),
            Attempt::Rejected {
                status,
                reason,
                details,
            } => {
                tracing::warn!(api, attempt = number, ?status, %reason, ?details, "rejected");
                return Err(DeliveryError::Rejected {
                    api,
                    status,
                    reason,
                    details,
                });
            }
            Attempt::Retry {
                reason,
                after,
                limited,
            } => (reason, after, limited),
        };
        let give_up = |last: String| DeliveryError::GaveUp {
            api,
            attempts: number,
            last,
            retry_after: after,
            limited,
        };
        if number >= max_attempts {
            return Err(give_up(reason));
        }
        let delay = after.unwrap_or_else(|| {
            backoff(policy.base_delay, policy.max_delay, number, fastrand::f64())
        });
        if started.elapsed() + delay > policy.deadline {
            return Err(give_up(format!(
                "{reason}, and waiting {} ms more would pass the {} ms deadline",
                delay.as_millis(),
                policy.deadline.as_millis()
            )));
        }
        tracing::info!(api, attempt = number, delay_ms = delay.as_millis() as u64, %reason, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// A request that got no HTTP answer. Timeouts and connection failures can succeed on a
/// retry; a request that could not even be built cannot. The URL is left out of the
/// reason (upload URLs are capabilities).
pub fn transport_failure<T>(err: reqwest::Error) -> Attempt<T> {
    let retryable = err.is_timeout() || err.is_connect() || err.is_request() || err.is_body();
    let timeout = err.is_timeout();
    let err = err.without_url();
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    if timeout && !reason.contains("timed out") {
        reason.push_str(" (timed out)");
    }
    if retryable {
        Attempt::Retry {
            reason,
            after: None,
            limited: false,
        }
    } else {
        Attempt::Rejected {
            status: None,
            reason,
            details: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            deadline: Duration::from_secs(5),
        }
    }

    fn retry<T>() -> Attempt<T> {
        Attempt::Retry {
            reason: "HTTP 500".into(),
            after: None,
            limited: false,
        }
    }

    #[tokio::test]
    async fn retries_until_delivered() {
        let calls = AtomicU32::new(0);
        let got = deliver("test", &fast(), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                retry()
            } else {
                Attempt::Delivered("ok")
            }
        })
        .await;
        assert_eq!(got, Ok("ok"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_rejection_is_never_retried() {
        let calls = AtomicU32::new(0);
        let got: Result<(), _> = deliver("test", &fast(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Attempt::Rejected {
                status: Some(400),
                reason: "HTTP 400".into(),
                details: vec!["bad summary".into()],
            }
        })
        .await;
        let err = got.unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("bad summary"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_after_the_last_attempt_and_says_a_retry_can_help() {
        let calls = AtomicU32::new(0);
        let got: Result<(), _> = deliver("test", &fast(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            retry()
        })
        .await;
        let err = got.unwrap_err();
        assert!(err.is_retryable());
        assert!(err.to_string().contains("4 attempt(s)"), "{err}");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_server_delay_past_the_deadline_ends_at_once() {
        let calls = AtomicU32::new(0);
        let got: Result<(), _> = deliver("test", &fast(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Attempt::Retry {
                reason: "HTTP 429".into(),
                after: Some(Duration::from_secs(60)),
                limited: true,
            }
        })
        .await;
        match got.unwrap_err() {
            DeliveryError::GaveUp {
                retry_after,
                limited,
                ..
            } => {
                assert_eq!(retry_after, Some(Duration::from_secs(60)));
                assert!(limited);
            }
            other => panic!("expected GaveUp, got {other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
