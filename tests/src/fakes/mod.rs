//! In-process fakes of the APIs modelwatch calls (PagerDuty Events v2, Slack Web API,
//! Datadog metrics and configuration, a model endpoint for the probes), as strict as the
//! real services, on 127.0.0.1.
//!
//! Every fake can inject faults (`POST /_faults`, or `faults()` in code) and lists what
//! it received at `GET /_received`. Every request is checked against the vendor's
//! published contract (`tests/contracts/`, `contract`): one that breaks it is answered as
//! the vendor would and recorded (`GET /_violations`, `contract_violations()`); a fake
//! dropped with violations that no test took (`take_contract_violations()`) panics, so
//! the test that sent them fails.

mod common;
pub mod contract;
mod datadog;
mod datadog_config;
mod datadog_intake;
mod datadog_query;
mod model;
mod pagerduty;
mod slack;

pub use common::{Fault, FaultPlan, Faults, Received};
pub use contract::ContractViolation;
pub use datadog::{DatadogFake, DatadogFakeConfig, StoredSeries};
pub use datadog_config::DatadogConfigFake;
pub use datadog_query::{Aggregator, MetricQuery, QueryParseError};
pub use model::{ModelFake, ModelFakeConfig, ModelMode};
pub use pagerduty::{AlertStatus, ChangeRecord, HeldAlert, PagerDutyFake};
pub use slack::{
    FakeChannel, MANIFEST_SCOPES, SlackFake, SlackFakeConfig, SlackFile, SlackMessage,
};
