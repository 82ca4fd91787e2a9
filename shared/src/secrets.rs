//! The deployment's secrets, fetched once per container: from AWS Secrets Manager (one
//! JSON secret named by `MODELWATCH_SECRET_ID`) in AWS, from the environment locally.

use std::collections::BTreeMap;

use crate::secret::Secret;

/// Names of the entries in the secret (and, upper-cased with `MODELWATCH_`, of the
/// environment variables that stand in for them locally).
pub mod names {
    pub const WEBHOOK_TOKEN: &str = "webhook_token";
    /// The webhook token being rotated out, accepted beside `webhook_token` until Datadog
    /// sends the new one (optional).
    pub const WEBHOOK_TOKEN_PREVIOUS: &str = "webhook_token_previous";
    pub const DATADOG_API_KEY: &str = "datadog_api_key";
    pub const DATADOG_APP_KEY: &str = "datadog_app_key";
    pub const PAGERDUTY_WEBHOOK_SECRET: &str = "pagerduty_webhook_secret";
    pub const SLACK_BOT_TOKEN: &str = "slack_bot_token";
    pub const SLACK_SIGNING_SECRET: &str = "slack_signing_secret";
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read secret {secret_id} from Secrets Manager: {message}")]
    Fetch { secret_id: String, message: String },
    #[error("secret {secret_id} is not a JSON object of strings: {message}")]
    Format { secret_id: String, message: String },
    #[error(
        "missing secret `{name}`: set it in the secret {origin} (or MODELWATCH_{upper} locally)"
    )]
    Missing {
        name: String,
        upper: String,
        origin: String,
    },
}

/// Named secrets. Values never print (see `Secret`).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    source: String,
    values: BTreeMap<String, Secret>,
}

/// Where the secret is read from: Secrets Manager in AWS, the environment locally.
#[derive(Debug, Clone)]
pub enum SecretSource {
    Manager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
    },
    Environment,
}

impl SecretSource {
    /// Secrets Manager when `MODELWATCH_SECRET_ID` is set, else the environment.
    pub fn from_env(config: &aws_config::SdkConfig) -> Self {
        match std::env::var("MODELWATCH_SECRET_ID") {
            Ok(id) if !id.trim().is_empty() => Self::Manager {
                client: aws_sdk_secretsmanager::Client::new(config),
                secret_id: id.trim().to_owned(),
            },
            _ => Self::Environment,
        }
    }

    /// The secret as it stands now.
    pub async fn fetch(&self) -> Result<Secrets, SecretsError> {
        match self {
            Self::Environment => Ok(Secrets::from_env()),
            Self::Manager { client, secret_id } => {
                let out = client
                    .get_secret_value()
                    .secret_id(secret_id)
                    .send()
                    .await
                    .map_err(|e| SecretsError::Fetch {
                        secret_id: secret_id.clone(),
                        message: aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
                    })?;
                Secrets::from_json(secret_id, out.secret_string().unwrap_or_default())
            }
        }
    }
}

impl Secrets {
    /// From Secrets Manager when `MODELWATCH_SECRET_ID` is set, else from the environment.
    pub async fn load(config: &aws_config::SdkConfig) -> Result<Self, SecretsError> {
        SecretSource::from_env(config).fetch().await
    }

    /// Parses the secret's JSON (`{"webhook_token": "...", ...}`); empty values are absent.
    pub fn from_json(source: &str, text: &str) -> Result<Self, SecretsError> {
        let map: BTreeMap<String, String> =
            serde_json::from_str(text).map_err(|e| SecretsError::Format {
                secret_id: source.to_owned(),
                // Position only: serde's own message can quote the secret's value.
                message: format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        Ok(Self {
            source: source.to_owned(),
            values: map
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k, Secret::new(v.trim())))
                .collect(),
        })
    }

    /// Every `MODELWATCH_<NAME>` variable, as secret `<name>` (so routing keys named in
    /// the configuration work locally too).
    pub fn from_env() -> Self {
        let values = std::env::vars()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("MODELWATCH_")?.to_ascii_lowercase();
                (!v.trim().is_empty()).then(|| (name, Secret::new(v.trim())))
            })
            .collect();
        Self {
            source: "environment".into(),
            values,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.values.get(name)
    }

    pub fn require(&self, name: &str) -> Result<&Secret, SecretsError> {
        self.get(name).ok_or_else(|| SecretsError::Missing {
            name: name.to_owned(),
            upper: name.to_ascii_uppercase(),
            origin: self.source.clone(),
        })
    }

    pub fn insert(&mut self, name: &str, value: Secret) {
        self.values.insert(name.to_owned(), value);
    }

    /// Which of `required` are absent (or empty), in the order given.
    pub fn missing<'a>(&self, required: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        required
            .into_iter()
            .filter(|name| self.get(name).is_none())
            .map(str::to_owned)
            .collect()
    }

    /// A digest of every name and value: equal digests, equal secrets (the values stay
    /// unprintable; only whether they changed is learnt).
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for (name, value) in &self.values {
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update(value.expose().as_bytes());
            hash.update([0]);
        }
        hash.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_json_secret_and_names_what_is_missing() {
        let s = Secrets::from_json(
            "modelwatch/prod",
            r#"{"webhook_token": "t0k3n", "slack_bot_token": ""}"#,
        )
        .unwrap();
        assert_eq!(s.require(names::WEBHOOK_TOKEN).unwrap().expose(), "t0k3n");
        let err = s.require(names::SLACK_BOT_TOKEN).unwrap_err().to_string();
        assert!(
            err.contains("slack_bot_token") && err.contains("modelwatch/prod"),
            "{err}"
        );
        assert!(err.contains("MODELWATCH_SLACK_BOT_TOKEN"), "{err}");
    }

    #[test]
    fn a_malformed_secret_never_echoes_its_value() {
        let err = Secrets::from_json("s", r#"{"webhook_token": 12345678}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("12345678"), "{err}");
    }
}
