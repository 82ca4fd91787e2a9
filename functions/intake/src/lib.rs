//! The intake Lambda's HTTP routes, written once: served by `lambda_http` behind an API
//! Gateway HTTP API (or a function URL) in AWS, and by a plain HTTP server locally.

mod answer;
mod auth;
mod config;
mod datadog;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use modelwatch::datadog::webhook::LevelRules;
use modelwatch::domain::EscalationPolicy;
use modelwatch::store::Store;

pub use auth::{AuthError, WebhookAuth};
pub use config::{InitError, IntakeConfig};

/// Largest body accepted (Datadog's payloads are a few KiB; a template gone wrong is not).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Everything a request needs, built once per container.
#[derive(Debug, Clone)]
pub struct Intake {
    pub store: Store,
    pub auth: WebhookAuth,
    pub levels: LevelRules,
    pub policy: EscalationPolicy,
}

impl Intake {
    /// Reads the environment and the secret, checks the table (opening the connection).
    pub async fn from_env() -> Result<Self, InitError> {
        let config = IntakeConfig::from_env()?;
        let aws = aws_config::load_from_env().await;
        let secrets = modelwatch::secrets::Secrets::load(&aws).await?;
        let token = secrets
            .require(modelwatch::secrets::names::WEBHOOK_TOKEN)?
            .clone();
        let store = Store::new(modelwatch::store::Client::new(&aws), config.table.clone());
        store.check_table().await?;
        Ok(Self {
            store,
            auth: WebhookAuth::new(&config.token_header, token, &config.basic_user)?,
            levels: LevelRules::default(),
            policy: EscalationPolicy::default(),
        })
    }
}

/// The routes. Later issues add PagerDuty and Slack routes here.
pub fn router(intake: Arc<Intake>) -> Router {
    Router::new()
        .route("/healthz", get(answer::healthz))
        .route("/webhooks/datadog", post(datadog::receive))
        .fallback(answer::not_found)
        .with_state(intake)
}
