//! The pure half of the policy: what a status and its headers mean, and how long to wait.

use std::time::Duration;

use jiff::fmt::rfc2822::DateTimeParser;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::domain::Timestamp;

/// What one HTTP answer means for the request that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the service has it.
    Delivered,
    /// 429, 5xx: the same request can succeed later; `after` is the server's own hint.
    Retry { after: Option<Duration> },
    /// Any other answer (4xx and the rest): sending it again cannot help.
    Rejected,
}

/// Classifies a status and its headers. `now` turns an HTTP-date `Retry-After` into a delay.
pub fn classify(status: StatusCode, headers: &HeaderMap, now: Timestamp) -> Verdict {
    if status.is_success() {
        Verdict::Delivered
    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Verdict::Retry {
            after: server_delay(headers, now),
        }
    } else {
        Verdict::Rejected
    }
}

/// The wait the server asks for: `Retry-After` (seconds or an HTTP date), else Datadog's
/// `X-RateLimit-Reset` (seconds until the period resets) unless `X-RateLimit-Remaining`
/// says requests are left.
pub fn server_delay(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    retry_after(headers, now).or_else(|| {
        let remaining = header_number(headers, "x-ratelimit-remaining");
        match remaining {
            Some(left) if left > 0.0 => None,
            _ => header_seconds(headers, "x-ratelimit-reset"),
        }
    })
}

/// After a successful answer: how long to hold the next request when the rate-limit
/// budget is spent (`X-RateLimit-Remaining: 0`), so the next one is not a 429.
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    match header_number(headers, "x-ratelimit-remaining") {
        Some(left) if left <= 0.0 => header_seconds(headers, "x-ratelimit-reset"),
        _ => None,
    }
}

/// Exponential backoff with full jitter: a delay drawn uniformly (`unit` in `[0, 1)`) from
/// zero to `base · 2^(attempt-1)`, capped at `max`. `attempt` counts from 1.
pub fn backoff(base: Duration, max: Duration, attempt: u32, unit: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let ceiling = base.saturating_mul(1u32 << exponent).min(max);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Some(delay) = seconds(text) {
        return Some(delay);
    }
    static PARSER: DateTimeParser = DateTimeParser::new();
    let at = PARSER.parse_timestamp(text).ok()?;
    let ms = at.as_millisecond().saturating_sub(now.millis()).max(0);
    Some(Duration::from_millis(ms.unsigned_abs()))
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn header_seconds(headers: &HeaderMap, name: &str) -> Option<Duration> {
    seconds(headers.get(name)?.to_str().ok()?.trim())
}

fn seconds(text: &str) -> Option<Duration> {
    let n = text.parse::<f64>().ok()?;
    (0.0..1e9).contains(&n).then(|| Duration::from_secs_f64(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-28T04:00:00Z").unwrap()
    }

    fn verdict(status: u16, pairs: &[(&'static str, &str)]) -> Verdict {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &headers(pairs),
            now(),
        )
    }

    #[test]
    fn two_hundreds_are_delivered() {
        assert_eq!(verdict(200, &[]), Verdict::Delivered);
        assert_eq!(verdict(202, &[]), Verdict::Delivered);
    }

    #[test]
    fn rate_limits_and_server_errors_retry() {
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(verdict(status, &[]), Verdict::Retry { after: None });
        }
    }

    #[test]
    fn other_client_errors_are_never_retried() {
        for status in [400, 401, 403, 404, 408, 413, 422] {
            assert_eq!(verdict(status, &[]), Verdict::Rejected, "{status}");
        }
    }

    #[test]
    fn retry_after_in_seconds_is_honoured() {
        let after = Some(Duration::from_secs(7));
        assert_eq!(
            verdict(429, &[("retry-after", "7")]),
            Verdict::Retry { after }
        );
    }

    #[test]
    fn retry_after_as_an_http_date_is_measured_from_now() {
        let v = verdict(503, &[("retry-after", "Sat, 28 Nov 2026 04:00:30 GMT")]);
        let after = Some(Duration::from_secs(30));
        assert_eq!(v, Verdict::Retry { after });
    }

    #[test]
    fn retry_after_in_the_past_means_now() {
        let v = verdict(503, &[("retry-after", "Sat, 28 Nov 2026 03:00:00 GMT")]);
        let after = Some(Duration::ZERO);
        assert_eq!(v, Verdict::Retry { after });
    }

    #[test]
    fn unreadable_retry_after_falls_back_to_backoff() {
        assert_eq!(
            verdict(429, &[("retry-after", "soon")]),
            Verdict::Retry { after: None }
        );
    }

    #[test]
    fn datadog_reset_header_gives_the_delay_of_a_429() {
        let v = verdict(
            429,
            &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "12")],
        );
        let after = Some(Duration::from_secs(12));
        assert_eq!(v, Verdict::Retry { after });
    }

    #[test]
    fn datadog_reset_is_ignored_while_requests_remain() {
        let v = verdict(
            500,
            &[("x-ratelimit-remaining", "40"), ("x-ratelimit-reset", "12")],
        );
        assert_eq!(v, Verdict::Retry { after: None });
    }

    #[test]
    fn retry_after_wins_over_the_reset_header() {
        let v = verdict(
            429,
            &[
                ("retry-after", "2"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "12"),
            ],
        );
        let after = Some(Duration::from_secs(2));
        assert_eq!(v, Verdict::Retry { after });
    }

    #[test]
    fn a_spent_budget_holds_the_next_request_until_reset() {
        let spent = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "3")]);
        assert_eq!(rate_limit_wait(&spent), Some(Duration::from_secs(3)));
        let left = headers(&[("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "3")]);
        assert_eq!(rate_limit_wait(&left), None);
        assert_eq!(rate_limit_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_exponentially_within_its_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        let top = |attempt| backoff(base, max, attempt, 1.0);
        assert_eq!(top(1), Duration::from_millis(100));
        assert_eq!(top(2), Duration::from_millis(200));
        assert_eq!(top(4), Duration::from_millis(800));
        assert_eq!(top(10), max);
        assert_eq!(top(u32::MAX), max);
    }

    #[test]
    fn backoff_is_fully_jittered() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        assert_eq!(backoff(base, max, 3, 0.0), Duration::ZERO);
        assert_eq!(backoff(base, max, 3, 0.5), Duration::from_millis(200));
    }
}
