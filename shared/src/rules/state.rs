//! A monitor's state for one group, ordered as Datadog orders them: alert > warn > no data > ok.

use std::fmt;

use crate::domain::BreachState;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    #[default]
    Ok,
    NoData,
    Warn,
    Alert,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::NoData => "no_data",
            State::Warn => "warn",
            State::Alert => "alert",
        }
    }

    pub fn is_firing(self) -> bool {
        self != State::Ok
    }

    /// The breach the lifecycle knows, or `None` for ok.
    pub fn breach(self) -> Option<BreachState> {
        match self {
            State::Ok => None,
            State::NoData => Some(BreachState::NoData),
            State::Warn => Some(BreachState::Warn),
            State::Alert => Some(BreachState::Alert),
        }
    }
}

impl From<BreachState> for State {
    /// The state a breach the lifecycle knows stands for (`State::breach` the other way).
    fn from(breach: BreachState) -> Self {
        match breach {
            BreachState::NoData => State::NoData,
            BreachState::Warn => State::Warn,
            BreachState::Alert => State::Alert,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
