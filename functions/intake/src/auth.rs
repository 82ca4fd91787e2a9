//! Who may post: a shared secret in a header, or HTTP basic auth with the same secret as
//! password, both compared in constant time.

use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine;
use modelwatch::secret::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone)]
pub struct WebhookAuth {
    header: HeaderName,
    token: Secret,
    /// The token before a rotation, accepted beside the new one until Datadog sends the
    /// new one (the secret's `webhook_token_previous`).
    previous: Option<Secret>,
    basic_user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing credentials: expected header {header} or HTTP basic auth")]
    Missing { header: String },
    #[error("wrong credentials in {what}")]
    Wrong { what: &'static str },
    #[error(
        "invalid token header name {name:?}: expected an HTTP header name such as X-Modelwatch-Token"
    )]
    BadHeaderName { name: String },
    #[error("the webhook token is empty: expected a long random string")]
    EmptyToken,
}

impl WebhookAuth {
    pub fn new(header: &str, token: Secret, basic_user: &str) -> Result<Self, AuthError> {
        let header = HeaderName::try_from(header.trim()).map_err(|_| AuthError::BadHeaderName {
            name: header.to_owned(),
        })?;
        if token.is_empty() {
            return Err(AuthError::EmptyToken);
        }
        Ok(Self {
            header,
            token,
            previous: None,
            basic_user: basic_user.to_owned(),
        })
    }

    /// Also accepts `previous` (ignored when empty): the token being rotated out.
    pub fn with_previous(mut self, previous: Option<Secret>) -> Self {
        self.previous = previous.filter(|p| !p.is_empty());
        self
    }

    /// Whether `given` is the token, or the one being rotated out (both always compared).
    fn accepts(&self, given: &[u8]) -> bool {
        let current = same(given, self.token.expose().as_bytes());
        let previous = self
            .previous
            .as_ref()
            .is_some_and(|p| same(given, p.expose().as_bytes()));
        current | previous
    }

    pub fn header_name(&self) -> &str {
        self.header.as_str()
    }

    pub fn check(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        if let Some(value) = headers.get(&self.header) {
            return if self.accepts(value.as_bytes()) {
                Ok(())
            } else {
                Err(AuthError::Wrong {
                    what: "the token header",
                })
            };
        }
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|raw| String::from_utf8(raw).ok());
        match basic {
            Some(credentials) => {
                let (user, password) = credentials.split_once(':').unwrap_or((&credentials, ""));
                let user_ok = same(user.as_bytes(), self.basic_user.as_bytes());
                let password_ok = self.accepts(password.as_bytes());
                if user_ok & password_ok {
                    Ok(())
                } else {
                    Err(AuthError::Wrong { what: "basic auth" })
                }
            }
            None => Err(AuthError::Missing {
                header: self.header.to_string(),
            }),
        }
    }
}

/// Constant-time equality that also hides the length: both sides are hashed first.
fn same(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth() -> WebhookAuth {
        WebhookAuth::new("X-Modelwatch-Token", Secret::new("s3cr3t-token"), "datadog").unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::try_from(*k).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn the_token_header_or_basic_auth_lets_a_request_in() {
        assert_eq!(
            auth().check(&headers(&[("x-modelwatch-token", "s3cr3t-token")])),
            Ok(())
        );
        assert_eq!(
            auth().check(&headers(&[(
                "authorization",
                &basic("datadog", "s3cr3t-token")
            )])),
            Ok(())
        );
    }

    #[test]
    fn missing_or_wrong_credentials_are_refused_without_echoing_the_secret() {
        let cases = [
            headers(&[]),
            headers(&[("x-modelwatch-token", "s3cr3t-tokeN")]),
            headers(&[("x-modelwatch-token", "")]),
            headers(&[("authorization", &basic("datadog", "nope"))]),
            headers(&[("authorization", &basic("someone", "s3cr3t-token"))]),
            headers(&[("authorization", "Basic !!!notbase64")]),
            headers(&[("authorization", "Bearer s3cr3t-token")]),
        ];
        for h in cases {
            let err = auth().check(&h).unwrap_err();
            assert!(!format!("{err} {err:?}").contains("s3cr3t"), "{err}");
        }
        assert!(matches!(
            auth().check(&headers(&[])),
            Err(AuthError::Missing { .. })
        ));
    }

    #[test]
    fn during_a_rotation_the_previous_token_is_accepted_too() {
        let rotating = auth().with_previous(Some(Secret::new("old-token")));
        for token in ["s3cr3t-token", "old-token"] {
            assert_eq!(
                rotating.check(&headers(&[("x-modelwatch-token", token)])),
                Ok(())
            );
            assert_eq!(
                rotating.check(&headers(&[("authorization", &basic("datadog", token))])),
                Ok(())
            );
        }
        assert!(
            rotating
                .check(&headers(&[("x-modelwatch-token", "other")]))
                .is_err()
        );
        // Without one (or an empty one), only the token.
        let plain = auth().with_previous(Some(Secret::new("")));
        assert!(
            plain
                .check(&headers(&[("x-modelwatch-token", "")]))
                .is_err()
        );
        assert!(
            auth()
                .check(&headers(&[("x-modelwatch-token", "old-token")]))
                .is_err()
        );
    }

    #[test]
    fn the_header_name_is_configurable_and_checked() {
        let a = WebhookAuth::new("X-Datadog-Secret", Secret::new("t"), "dd").unwrap();
        assert_eq!(a.check(&headers(&[("x-datadog-secret", "t")])), Ok(()));
        assert!(WebhookAuth::new("bad header", Secret::new("t"), "dd").is_err());
        assert_eq!(
            WebhookAuth::new("X-A", Secret::new(""), "dd").unwrap_err(),
            AuthError::EmptyToken
        );
    }
}
