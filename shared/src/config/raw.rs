//! The configuration file as written: YAML shapes with source positions kept on every
//! value that a later check may need to point at.

use std::collections::HashMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub time_zone: Option<S<String>>,
    #[serde(default)]
    pub metrics: Vec<RawMetric>,
    #[serde(default)]
    pub models: Vec<RawModel>,
    #[serde(default)]
    pub monitors: Vec<RawMonitor>,
    #[serde(default)]
    pub routing: Option<RawRouting>,
    #[serde(default)]
    pub probes: Option<RawProbes>,
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    #[serde(default)]
    pub reports: Option<RawReports>,
    #[serde(default)]
    pub datadog: Option<RawDatadog>,
}

/// What `modelwatch datadog apply` keeps in Datadog besides the webhook (opt-in).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatadog {
    #[serde(default)]
    pub webhook_url: Option<S<String>>,
    #[serde(default)]
    pub environments: Vec<S<String>>,
    #[serde(default)]
    pub native_monitors: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetric {
    pub name: S<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub kind: Option<S<String>>,
    #[serde(default)]
    pub better: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModel {
    pub name: S<String>,
    #[serde(default)]
    pub versions: Vec<S<String>>,
    #[serde(default)]
    pub stable_version: Option<S<String>>,
    pub team: S<String>,
    /// A family several models share (`chat`, `embedding`): routes may name it.
    #[serde(default)]
    pub family: Option<S<String>>,
    pub slack_channel: S<String>,
    #[serde(default)]
    pub runbook: Option<S<String>>,
    #[serde(default)]
    pub dashboard: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMonitor {
    pub id: S<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub metric: Option<S<String>>,
    #[serde(default)]
    pub query: Option<S<String>>,
    #[serde(default)]
    pub models: Vec<S<String>>,
    #[serde(default)]
    pub template: Option<S<String>>,
    #[serde(default)]
    pub rule: Option<S<RawRule>>,
    #[serde(default)]
    pub window: Option<S<String>>,
    #[serde(default)]
    pub aggregation: Option<S<String>>,
    #[serde(default)]
    pub every: Option<S<String>>,
    #[serde(default)]
    pub trigger: Option<RawTrigger>,
    #[serde(default)]
    pub recovery: Option<RawRecovery>,
    #[serde(default)]
    pub no_data: Option<S<String>>,
    #[serde(default)]
    pub time_zone: Option<S<String>>,
    #[serde(default)]
    pub levels: Option<RawLevels>,
    #[serde(default)]
    pub max_level: Option<S<String>>,
    #[serde(default)]
    pub replay: Option<S<u32>>,
    #[serde(default)]
    pub runbook_steps: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // parsed once per monitor at start-up; size is no concern
pub(super) enum RawRule {
    Threshold(RawThreshold),
    Schedule(RawSchedule),
    Baseline(RawBaseline),
    Anomaly(RawAnomaly),
    VersionCompare(RawCompare),
    Composite(S<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThreshold {
    #[serde(default)]
    pub direction: Option<S<String>>,
    #[serde(default)]
    pub warning: Option<f64>,
    pub critical: S<f64>,
    #[serde(default)]
    pub warning_recovery: Option<f64>,
    #[serde(default)]
    pub critical_recovery: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub windows: Vec<RawScheduleWindow>,
    pub otherwise: RawThreshold,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScheduleWindow {
    pub name: String,
    pub days: S<String>,
    pub from: S<String>,
    pub to: S<String>,
    pub threshold: RawThreshold,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBaseline {
    #[serde(default)]
    pub method: Option<S<String>>,
    #[serde(default)]
    pub seasonality: Option<S<String>>,
    #[serde(default)]
    pub history: Option<S<String>>,
    #[serde(default)]
    pub sigmas: Option<S<f64>>,
    #[serde(default)]
    pub warn_sigmas: Option<S<f64>>,
    #[serde(default)]
    pub immediate_sigmas: Option<S<f64>>,
    #[serde(default)]
    pub direction: Option<S<String>>,
    #[serde(default)]
    pub min_points: Option<usize>,
    #[serde(default)]
    pub min_spread: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnomaly {
    #[serde(default)]
    pub direction: Option<S<String>>,
    #[serde(default)]
    pub false_alert_every: Option<S<String>>,
    #[serde(default)]
    pub quiet: Option<S<String>>,
    #[serde(default)]
    pub history: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCompare {
    #[serde(default)]
    pub stable_version: Option<S<String>>,
    pub change: RawThreshold,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTrigger {
    pub breaches: S<u32>,
    pub of: S<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecovery {
    pub clean: S<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevels {
    #[serde(default)]
    pub warn: Option<S<String>>,
    #[serde(default)]
    pub alert: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouting {
    pub default_slack_channel: S<String>,
    #[serde(default)]
    pub pagerduty_keys: Vec<RawKey>,
    #[serde(rename = "L1", default)]
    pub l1: Option<RawLevelRoute>,
    #[serde(rename = "L2", default)]
    pub l2: Option<RawLevelRoute>,
    #[serde(rename = "L3", default)]
    pub l3: Option<RawLevelRoute>,
    #[serde(default)]
    pub max_level: Option<S<String>>,
    #[serde(default)]
    pub flapping: Option<RawFlapping>,
    #[serde(default)]
    pub time_policies: Vec<RawTimePolicy>,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
}

/// Where one model's or one family's alerts go at some levels, instead of the shared
/// destinations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    #[serde(rename = "match")]
    pub matches: S<RawRouteMatch>,
    #[serde(rename = "L1", default)]
    pub l1: Option<RawRouteLevel>,
    #[serde(rename = "L2", default)]
    pub l2: Option<RawRouteLevel>,
    #[serde(rename = "L3", default)]
    pub l3: Option<RawRouteLevel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouteMatch {
    #[serde(default)]
    pub model: Option<S<String>>,
    #[serde(default)]
    pub family: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouteLevel {
    #[serde(default)]
    pub slack: Option<Vec<S<String>>>,
    #[serde(default)]
    pub pagerduty: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub name: S<String>,
    /// The secret entry holding the 32-character routing key.
    pub secret: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLevelRoute {
    #[serde(default)]
    pub slack: Vec<S<String>>,
    #[serde(default)]
    pub pagerduty: Option<S<String>>,
    #[serde(default)]
    pub escalate_after: Option<S<String>>,
    #[serde(default)]
    pub renotify: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFlapping {
    pub changes: u32,
    pub window: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimePolicy {
    pub name: String,
    #[serde(default)]
    pub time_zone: Option<S<String>>,
    pub days: S<String>,
    pub from: S<String>,
    pub to: S<String>,
    /// The opening levels it applies to.
    pub levels: Vec<S<String>>,
    pub max_level: S<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    #[serde(default)]
    pub priorities: Option<RawPriorities>,
    #[serde(default)]
    pub warn: Option<S<String>>,
    #[serde(default)]
    pub unknown: Option<S<String>>,
    #[serde(default)]
    pub every: Option<S<String>>,
    #[serde(default)]
    pub window: Option<S<String>>,
    #[serde(default)]
    pub trigger: Option<RawTrigger>,
    #[serde(default)]
    pub recovery: Option<RawRecovery>,
    #[serde(default)]
    pub no_data: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPriorities {
    #[serde(rename = "P1", default)]
    pub p1: Option<S<String>>,
    #[serde(rename = "P2", default)]
    pub p2: Option<S<String>>,
    #[serde(rename = "P3", default)]
    pub p3: Option<S<String>>,
    #[serde(rename = "P4", default)]
    pub p4: Option<S<String>>,
    #[serde(rename = "P5", default)]
    pub p5: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReports {
    /// By name; the keys keep their positions (and the shape check refuses a name twice).
    #[serde(default)]
    pub audiences: HashMap<S<String>, RawAudience>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudience {
    #[serde(default)]
    pub channel: Option<S<String>>,
    #[serde(default)]
    pub depth: Option<S<String>>,
    #[serde(default)]
    pub models: Vec<S<String>>,
    #[serde(default)]
    pub metrics: Vec<S<String>>,
    #[serde(default)]
    pub business_metrics: Vec<S<String>>,
}

/// Synthetic probes: the endpoints and the test cases run against them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProbes {
    #[serde(default)]
    pub budget: Option<S<String>>,
    #[serde(default)]
    pub concurrency: Option<S<u32>>,
    #[serde(default)]
    pub retries: Option<S<u32>>,
    #[serde(default)]
    pub retry_interval: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub level: Option<S<String>>,
    #[serde(default)]
    pub endpoints: Vec<RawEndpoint>,
    #[serde(default)]
    pub cases: Vec<RawCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    pub name: S<String>,
    pub kind: S<String>,
    pub url: S<String>,
    #[serde(default)]
    pub secret: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCase {
    pub id: S<String>,
    pub model: S<String>,
    #[serde(default)]
    pub version: Option<S<String>>,
    #[serde(default)]
    pub environment: Option<S<String>>,
    pub endpoint: S<String>,
    #[serde(default)]
    pub prompt: Option<S<String>>,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub api_model: Option<S<String>>,
    #[serde(default)]
    pub body: Option<S<serde_json::Value>>,
    #[serde(default)]
    pub answer: Option<S<String>>,
    #[serde(default)]
    pub timeout: Option<S<String>>,
    #[serde(default)]
    pub level: Option<S<String>>,
    #[serde(default)]
    pub expect: Option<RawExpect>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    #[serde(default)]
    pub status: Option<S<u32>>,
    #[serde(default)]
    pub latency: Option<S<String>>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    #[serde(default)]
    pub matches: Option<S<String>>,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub json_schema: Option<S<serde_json::Value>>,
    #[serde(default)]
    pub tokens: Option<RawTokens>,
    #[serde(default)]
    pub finish_reasons: Option<S<Vec<String>>>,
    #[serde(default)]
    pub judge: Option<RawJudge>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTokens {
    #[serde(default)]
    pub prompt: Option<u64>,
    #[serde(default)]
    pub completion: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJudge {
    pub endpoint: S<String>,
    #[serde(default)]
    pub api_model: Option<String>,
    pub criteria: String,
    pub min_score: S<f64>,
}
