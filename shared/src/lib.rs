//! modelwatch: watches generative-AI models in production and pages the right people.
//!
//! The library every Lambda shares: the alert domain, the pure lifecycle, and the
//! DynamoDB store. Pure modules never await; I/O lives in `store` and the API clients.

pub mod absence;
pub mod aws;
#[cfg(feature = "cli")]
pub mod backtest;
#[cfg(feature = "cli")]
pub mod cli;
pub mod clock;
pub mod config;
pub mod datadog;
#[cfg(feature = "cli")]
pub mod doctor;
pub mod domain;
pub mod escalation;
pub mod event_filter;
pub mod http;
pub mod lifecycle;
pub mod page;
pub mod pagerduty;
pub mod probe;
#[cfg(feature = "cli")]
pub mod provision;
pub mod report;
pub mod rules;
pub mod runtime;
pub mod secret;
pub mod secrets;
pub mod signals;
pub mod silencing;
pub mod slack;
pub mod store;
pub mod telemetry;
