//! The intake Lambda's HTTP routes, written once: served by `lambda_http` behind an API
//! Gateway HTTP API (or a function URL) in AWS, and by a plain HTTP server locally.

mod answer;
mod apply;
mod auth;
mod config;
mod datadog;
mod deployments;
mod inbound;
pub mod pagerduty;
mod signature;
pub mod slack;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::store::Store;

pub use auth::{AuthError, WebhookAuth};
pub use config::{InitError, IntakeConfig};
pub use inbound::{ChangeEvents, Inbound};

/// Largest body accepted (Datadog's payloads are a few KiB; a template gone wrong is not).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Everything a request needs, built once per container.
#[derive(Debug, Clone)]
pub struct Intake {
    pub store: Store,
    pub auth: WebhookAuth,
    /// Levels, escalation policies and (later) routes, validated at cold start.
    pub config: Arc<Config>,
    /// Processing time (the system clock; the demo's simulated one).
    pub clock: Clock,
    /// Signing secrets of the PagerDuty and Slack routes; where deployments are forwarded.
    pub inbound: Inbound,
}

impl Intake {
    /// Reads the environment, the configuration and the secret, and checks the table
    /// (opening the connection).
    pub async fn from_env() -> Result<Self, InitError> {
        let settings = IntakeConfig::from_env()?;
        let start = modelwatch::runtime::cold_start().await?;
        let secrets = start.secrets;
        let token = secrets
            .require(modelwatch::secrets::names::WEBHOOK_TOKEN)?
            .clone();
        let inbound = Inbound::from_secrets(&secrets, &settings)?;
        Ok(Self {
            store: start.store,
            auth: WebhookAuth::new(&settings.token_header, token, &settings.basic_user)?,
            config: Arc::new(start.config),
            clock: Clock::system(),
            inbound,
        })
    }
}

/// The routes.
pub fn router(intake: Arc<Intake>) -> Router {
    Router::new()
        .route("/healthz", get(answer::healthz))
        .route("/webhooks/datadog", post(datadog::receive))
        .route("/webhooks/pagerduty", post(pagerduty::receive))
        .route("/slack/commands", post(slack::commands))
        .route("/slack/interactions", post(slack::interactions))
        .route("/deployments", post(deployments::receive))
        .fallback(answer::not_found)
        .with_state(intake)
}
