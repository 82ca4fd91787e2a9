//! Slack's request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256 of
//! "v0:{X-Slack-Request-Timestamp}:{raw body}">` under the app's signing secret, and a
//! timestamp within five minutes of now so a captured request cannot be replayed.

use axum::http::HeaderMap;
use modelwatch::domain::Timestamp;
use modelwatch::secret::Secret;

use crate::signature::signed;

pub const SIGNATURE_HEADER: &str = "x-slack-signature";
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
/// How far a request's timestamp may be from now, either way.
pub const MAX_AGE_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackAuthError {
    #[error(
        "this deployment has no slack_signing_secret, so Slack requests cannot be verified: set it in the secret"
    )]
    NotConfigured,
    #[error("missing {header} header: expected Slack's request signing")]
    Missing { header: &'static str },
    #[error("X-Slack-Request-Timestamp {received:?} is not epoch seconds")]
    BadTimestamp { received: String },
    #[error(
        "X-Slack-Request-Timestamp is {age_secs} s from now: expected within 300 s (a replayed or delayed request)"
    )]
    Stale { age_secs: i64 },
    #[error("X-Slack-Signature does not match the body under the signing secret")]
    Wrong,
}

pub fn verify(
    secret: Option<&Secret>,
    headers: &HeaderMap,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SlackAuthError> {
    let secret = secret.ok_or(SlackAuthError::NotConfigured)?;
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .ok_or(SlackAuthError::Missing { header: name })
    };
    let stamp = header(TIMESTAMP_HEADER)?;
    let signature = header(SIGNATURE_HEADER)?;
    let secs: i64 = stamp.parse().map_err(|_| SlackAuthError::BadTimestamp {
        received: stamp.chars().take(40).collect(),
    })?;
    // Checked: the timestamp comes from the request, before anything is verified.
    let age_secs = now.secs().checked_sub(secs).unwrap_or(i64::MAX);
    if age_secs.checked_abs().is_none_or(|age| age > MAX_AGE_SECS) {
        return Err(SlackAuthError::Stale { age_secs });
    }
    match signature.strip_prefix("v0=") {
        Some(hex) if signed(secret, &[b"v0:", stamp.as_bytes(), b":", body], hex) => Ok(()),
        _ => Err(SlackAuthError::Wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// Slack's own worked example from its request-signing documentation.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const STAMP: i64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn headers(stamp: &str, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP_HEADER, HeaderValue::from_str(stamp).unwrap());
        h.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        h
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn slacks_documented_example_verifies() {
        let secret = Secret::new(SECRET);
        let h = headers(&STAMP.to_string(), SIGNATURE);
        assert_eq!(
            verify(Some(&secret), &h, BODY.as_bytes(), at(STAMP + 10)),
            Ok(())
        );
    }

    #[test]
    fn stale_forged_tampered_and_unsigned_requests_are_refused_without_the_secret() {
        let secret = Secret::new(SECRET);
        let good = headers(&STAMP.to_string(), SIGNATURE);
        let body = BODY.as_bytes();
        let cases = [
            (verify(Some(&secret), &good, body, at(STAMP + 301)), "300 s"),
            (verify(Some(&secret), &good, body, at(STAMP - 301)), "300 s"),
            (
                verify(Some(&secret), &good, b"text=other", at(STAMP)),
                "does not match",
            ),
            (
                verify(
                    Some(&secret),
                    &headers(&(STAMP + 1).to_string(), SIGNATURE),
                    body,
                    at(STAMP),
                ),
                "does not match",
            ),
            (
                verify(Some(&Secret::new("another")), &good, body, at(STAMP)),
                "does not match",
            ),
            (
                verify(Some(&secret), &HeaderMap::new(), body, at(STAMP)),
                "missing",
            ),
            (
                verify(
                    Some(&secret),
                    &headers("yesterday", SIGNATURE),
                    body,
                    at(STAMP),
                ),
                "epoch seconds",
            ),
            (verify(None, &good, body, at(STAMP)), "slack_signing_secret"),
        ];
        for (result, says) in cases {
            let err = result.unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.contains(says), "{text}");
            assert!(!text.contains(SECRET), "{text}");
        }
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let secret = Secret::new(SECRET);
        for stamp in [i64::MIN, i64::MAX, -1] {
            let err = verify(
                Some(&secret),
                &headers(&stamp.to_string(), SIGNATURE),
                BODY.as_bytes(),
                at(STAMP),
            )
            .unwrap_err();
            assert!(
                matches!(err, SlackAuthError::Stale { .. }),
                "{stamp}: {err}"
            );
        }
    }
}
