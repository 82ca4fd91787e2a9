//! The alert domain: the values every function shares — keys, levels, signals, alerts,
//! actions, groups, deployments, silences, subscriptions, history and the groups each
//! monitor has seen.

mod action;
mod alert;
mod deployment;
mod group;
mod history;
mod keys;
mod last_run;
mod level;
mod seen;
mod signal;
mod silence;
mod subscription;
mod time;
pub mod url;

pub use action::{Action, ActionName, OwedAction, PageReason};
pub use alert::{
    Alert, Claim, Deliveries, Flapping, Mark, MonitorState, Muted, PagedAhead, SlackThread, Status,
    Watermark,
};
pub use deployment::Deployment;
pub use group::Group;
pub use history::{CycleSnapshot, HistoryEntry, HistoryOutcome};
pub use keys::{AlertKey, InvalidValue, ModelRef, SignalId};
pub use last_run::LastRun;
pub use level::{Level, Priority};
pub use seen::{Seen, SeenGroups};
pub use signal::{
    AlertContext, Breach, BreachState, EscalationPolicy, FlapPolicy, Link, MonitorRef, Signal,
    SignalKind, SignalName, Source,
};
pub use silence::{MAX_SILENCE_SECS, MatchField, Matcher, Silence, SilenceError, SilenceId};
pub use subscription::{Subscription, Topic};
pub use time::{SENDER_FUTURE_SECS, SENDER_PAST_SECS, Timestamp, time_zone};
