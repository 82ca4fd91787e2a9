//! What a page says: the PagerDuty event and the Slack alert message for an alert, with
//! everything an engineer woken at 3 a.m. needs to act from the page alone — which model
//! and version, the values against their thresholds, why it fired, what to try first,
//! what was deployed just before, and where to look.

mod context;
mod pagerduty;
mod slack;

pub use context::PageContext;
pub use pagerduty::{
    HashedAlertKey, IncidentKey, dedup_key, hashed, read_incident_key, resolve_or_ack_event,
    summary, trigger_event,
};
pub use slack::{
    ACTION_ACKNOWLEDGE, ACTION_FALSE_POSITIVE, ACTION_SILENCE_1H, ButtonValue, alert_message,
    ended_cycle_message, escape, follow_up_text, page_over_text,
};

#[cfg(test)]
mod tests;
