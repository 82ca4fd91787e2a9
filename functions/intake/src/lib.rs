//! The intake Lambda's HTTP routes, written once: served by `lambda_http` behind an API
//! Gateway HTTP API (or a function URL) in AWS, and by a plain HTTP server locally.

mod apply;
mod auth;
mod datadog;
mod deployments;
mod error;
mod extract;
#[cfg(test)]
mod fuzz;
mod inbound;
pub mod pagerduty;
mod settings;
mod signature;
mod silences;
pub mod slack;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::datadog::site::DatadogSite;
use modelwatch::runtime::{FromSecrets, InitError, Live};
use modelwatch::secrets::Secrets;
use modelwatch::store::Store;

pub use auth::{AuthError, WebhookAuth};
pub use error::IntakeError;
pub use inbound::{ChangeEvents, Inbound};
pub use settings::Settings;

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
    /// The Datadog site monitor links point to.
    pub datadog_site: DatadogSite,
}

/// What the intake is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    pub settings: Settings,
}

impl FromSecrets for Setup {
    type Built = Intake;

    /// Only the webhook token, which the template generates; the PagerDuty and Slack
    /// routes refuse requests while their signing secrets are empty.
    fn required_secrets(&self) -> Vec<String> {
        vec![modelwatch::secrets::names::WEBHOOK_TOKEN.to_owned()]
    }

    fn build(&self, secrets: &Secrets) -> Result<Intake, InitError> {
        let token = secrets
            .require(modelwatch::secrets::names::WEBHOOK_TOKEN)?
            .clone();
        let settings = &self.settings;
        let previous = secrets
            .get(modelwatch::secrets::names::WEBHOOK_TOKEN_PREVIOUS)
            .cloned();
        let auth = WebhookAuth::new(&settings.token_header, token, &settings.basic_user)
            .map_err(|e| InitError::Invalid {
                setting: "MODELWATCH_TOKEN_HEADER / webhook_token",
                message: e.to_string(),
            })?
            .with_previous(previous);
        Ok(Intake {
            store: self.store.clone(),
            auth,
            config: self.config.clone(),
            clock: Clock::system(),
            inbound: Inbound::from_secrets(secrets, settings)?,
            datadog_site: settings.datadog_site,
        })
    }
}

impl Intake {
    /// Reads the environment and the configuration, checks the table (opening the
    /// connection), and builds from the secret (`Live` keeps it current).
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let settings = Settings::from_env().map_err(|e| InitError::Invalid {
            setting: "MODELWATCH_DATADOG_SITE",
            message: e.to_string(),
        })?;
        let start = modelwatch::runtime::cold_start().await?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            settings,
        };
        Live::with_secrets(start.secrets, start.first_secrets, setup)
    }
}

/// Serves one request with the intake as the secret stands now (re-read every few
/// minutes). A request refused for its credentials is served once more when re-reading
/// the secret finds it changed: the sender may already use a rotated token or signing
/// secret this container has not read yet, and Datadog drops a webhook answered 4xx.
pub async fn serve<B>(
    live: &Live<Setup>,
    request: axum::http::Request<B>,
) -> axum::response::Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Clone + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    use tower::ServiceExt;
    let routes = |current: Result<Arc<Intake>, modelwatch::runtime::NotConfigured>| match current {
        Ok(intake) => router(intake),
        Err(not) => not_configured(not),
    };
    let Ok(answer) = routes(live.current().await).oneshot(request.clone()).await;
    if answer.status() != axum::http::StatusCode::UNAUTHORIZED {
        return answer;
    }
    match live.reread_after_refusal().await {
        Some(newer) => {
            tracing::info!("secret changed since it was read; the refused request served again");
            let Ok(again) = router(newer).oneshot(request).await;
            again
        }
        None => answer,
    }
}

/// The routes while the secret lacks what the intake needs: health answers, everything
/// else is 503 naming the entries to fill in (senders retry 5xx).
pub fn not_configured(not: modelwatch::runtime::NotConfigured) -> Router {
    let message = not.to_string();
    Router::new()
        .route("/healthz", get(error::healthz))
        .fallback(move || {
            let message = message.clone();
            async move {
                error::json_answer(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    serde_json::json!({"error": message, "retry": true}),
                )
            }
        })
}

/// The routes.
pub fn router(intake: Arc<Intake>) -> Router {
    Router::new()
        .route("/healthz", get(error::healthz))
        .route("/webhooks/datadog", post(datadog::receive))
        .route("/webhooks/pagerduty", post(pagerduty::receive))
        .route("/slack/commands", post(slack::commands))
        .route("/slack/interactions", post(slack::interactions))
        .route("/deployments", post(deployments::receive))
        .route("/silences", post(silences::create).get(silences::list))
        .route("/silences/{id}", delete(silences::expire))
        .route_layer(axum::middleware::from_fn(in_route_span))
        .fallback(error::not_found)
        .with_state(intake)
}

/// Every log line of a request carries its route (`span.route`), refusals included.
async fn in_route_span(
    path: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let span = tracing::info_span!("request", route = path.as_str());
    next.run(request).instrument(span).await
}
