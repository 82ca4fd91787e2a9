//! PagerDuty Events API v2: alert events (trigger, acknowledge, resolve) and change events.
//!
//! `event` and `change` build events by PagerDuty's rules without I/O (what
//! `modelwatch preview` prints); `client` sends them under the shared delivery policy.

mod change;
mod client;
mod event;
mod keys;
mod response;

pub use change::{ChangeBuilder, ChangeEvent};
pub use client::{Accepted, PagerDutyClient};
pub use event::{
    Event, EventAction, Image, Link, MAX_EVENT_BYTES, MAX_SUMMARY_CHARS, Payload, Severity,
    TriggerBuilder,
};
pub use keys::{DedupKey, RoutingKey};
pub use response::{EventResponse, parse_response};
