//! Every `Signal` is built here, one module per source, so a signal's id (what makes a
//! repeated delivery a duplicate) and kind follow one rule wherever it comes from: Datadog
//! webhooks (the intake, `modelwatch preview`), people in Slack and PagerDuty, the
//! escalation clock, the evaluator's monitors (live and in the backtest) and its absence
//! rule, and the prober's test cases.

pub mod absence;
pub mod clock;
pub mod datadog;
pub mod evaluation;
pub mod people;
pub mod probe;

pub use clock::{tick, tick_with};
pub use people::Origin;
