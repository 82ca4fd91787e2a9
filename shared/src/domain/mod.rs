//! The alert domain: the values every function shares — keys, levels, signals, alerts,
//! actions, groups, deployments, silences, subscriptions and history.

mod action;
mod alert;
mod deployment;
mod group;
mod history;
mod keys;
mod level;
mod signal;
mod silence;
mod subscription;
mod time;

pub use action::{Action, ActionName, OwedAction, PageReason};
pub use alert::{
    Alert, Claim, Deliveries, Flapping, Mark, MonitorState, Muted, SlackThread, Status, Watermark,
};
pub use deployment::Deployment;
pub use group::Group;
pub use history::{CycleSnapshot, HistoryEntry, HistoryOutcome};
pub use keys::{AlertKey, InvalidValue, ModelRef, SignalId};
pub use level::{Level, Priority};
pub use signal::{
    AlertContext, Breach, BreachState, EscalationPolicy, FlapPolicy, Link, MonitorRef, Signal,
    SignalKind, SignalName, Source,
};
pub use silence::{MAX_SILENCE_SECS, MatchField, Matcher, Silence, SilenceError, SilenceId};
pub use subscription::{Subscription, Topic};
pub use time::Timestamp;
