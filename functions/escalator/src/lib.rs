//! The escalator Lambda: delivers what committed alert states owe (fed by the table's
//! stream), and runs the escalation clock (fed by a schedule every minute).

mod clock;
mod deliver;
mod mute;
mod reads;
mod setup;
mod stream;

use std::collections::BTreeMap;
use std::sync::Arc;

use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::pagerduty::{PagerDutyClient, RoutingKey};
use modelwatch::slack::SlackClient;
use modelwatch::store::Store;
use serde_json::Value;

pub use clock::{TickReport, tick};
pub use deliver::{DeliverError, Delivery, deliver_owed};
pub use modelwatch::runtime::InitError;
pub use reads::{ColdStartReads, SharedReads};
pub use setup::{Settings, Setup};
pub use stream::{StreamReport, handle_stream, owing_records};

/// Everything a delivery needs, built once per container.
#[derive(Debug, Clone)]
pub struct Escalator {
    pub store: Store,
    pub config: Arc<Config>,
    pub slack: SlackClient,
    pub pagerduty: PagerDutyClient,
    /// Routing-key name (as the configuration names it) → the key.
    pub routing_keys: BTreeMap<String, RoutingKey>,
    /// How long a delivery may hold its claim before the clock retries it.
    pub claim_secs: u64,
    /// Processing time (the system clock; the demo's simulated one).
    pub clock: Clock,
    /// What the cold start read for the first invocation (shared by the escalators a
    /// refreshed secret rebuilds).
    pub cold_start: Arc<ColdStartReads>,
}

/// One invocation: a stream batch (`Records`) or the escalation clock (`{"tick": true}`).
pub async fn handle(escalator: &Escalator, event: Value) -> Result<Value, HandleError> {
    let now = escalator.clock.now();
    if let Some(records) = event.get("Records") {
        let records = records.as_array().map(Vec::as_slice).unwrap_or_default();
        let report = handle_stream(escalator, records, now).await?;
        Ok(serde_json::to_value(report.response()).unwrap_or(Value::Null))
    } else if event.get("tick").is_some() || event.get("source").is_some() {
        let report = tick(escalator, now).await?;
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    } else {
        Err(HandleError::UnknownEvent)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(
        "unknown event: expected a DynamoDB stream batch (Records) or the clock's {{\"tick\": true}}"
    )]
    UnknownEvent,
    #[error(transparent)]
    Stream(#[from] stream::StreamError),
    #[error(transparent)]
    Clock(#[from] clock::ClockError),
}
