//! The alert domain: the values every function shares — keys, levels, signals, alerts, actions.

mod action;
mod alert;
mod keys;
mod level;
mod signal;
mod time;

pub use action::{Action, OwedAction, PageReason};
pub use alert::{
    Alert, Claim, Deliveries, Flapping, Mark, MonitorState, Silence, SlackThread, Status, Watermark,
};
pub use keys::{AlertKey, InvalidValue, ModelRef, SignalId};
pub use level::Level;
pub use signal::{
    AlertContext, Breach, BreachState, EscalationPolicy, FlapPolicy, Link, MonitorRef, Signal,
    SignalKind, Source,
};
pub use time::Timestamp;
