//! Datadog set up from the configuration, as plan and apply: the objects modelwatch keeps
//! there (`desired`, pure), what differs from what Datadog holds (`plan`, pure), and the
//! API calls that read and change it (`datadog_api`, `apply`: the I/O edge).
//!
//! Monitors carry the tags `managed-by:modelwatch` and `modelwatch-key:<key>`; dashboards,
//! which Datadog lets carry `team:` tags only, carry the same two in their description; the
//! webhook and its token variable are modelwatch's by name. Nothing else is read, changed
//! or deleted.

mod apply;
pub mod datadog_api;
pub mod desired;
pub mod plan;

pub use apply::{Applied, ApplyError, apply};
pub use datadog_api::{ApiError, DatadogApi};
pub use desired::{DesiredError, Inputs, Kind, Object, desired};
pub use plan::{Change, Difference, Found, Plan, plan, render};

use std::collections::BTreeMap;

/// Reads what Datadog holds and plans against `desired`; also the Datadog ids of the
/// managed monitors by key, which `apply` needs for composites.
pub async fn survey(
    api: &DatadogApi,
    desired: Vec<Object>,
    rewrite_secrets: bool,
) -> Result<(Plan, BTreeMap<String, String>), ApiError> {
    let found = api.find_managed().await?;
    let ids = found
        .iter()
        .filter(|f| f.kind == Kind::Monitor)
        .map(|f| (f.key.clone(), f.id.clone()))
        .collect();
    Ok((plan(desired, found, rewrite_secrets), ids))
}
