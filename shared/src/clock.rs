//! Processing time: the system clock in AWS, or a clock moved by hand when the demo
//! replays days of a scenario in minutes. Pure code never reads a clock; handlers do,
//! through this.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::domain::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that shows `start` until `set` moves it.
    pub fn manual(start: Timestamp) -> Self {
        Self(Some(Arc::new(AtomicI64::new(start.millis()))))
    }

    pub fn now(&self) -> Timestamp {
        match &self.0 {
            Some(ms) => Timestamp::from_millis(ms.load(Ordering::SeqCst)),
            None => Timestamp::now(),
        }
    }

    /// Moves a manual clock (every copy of it); the system clock cannot be moved.
    pub fn set(&self, at: Timestamp) -> bool {
        match &self.0 {
            Some(ms) => {
                ms.store(at.millis(), Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// The minute a scheduled invocation runs for: the EventBridge event's `time`, else now,
/// to the minute. A retried or late invocation runs for the same minute, so what it sends
/// has the same ids as the first (the evaluator's and the prober's rule, in one place).
pub fn scheduled_minute(event: &serde_json::Value) -> Timestamp {
    let at = event
        .get("time")
        .and_then(serde_json::Value::as_str)
        .and_then(Timestamp::parse)
        .unwrap_or_else(Timestamp::now);
    Timestamp::from_secs(at.secs() - at.secs().rem_euclid(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_for_every_copy_and_the_system_clock_does_not_move() {
        let clock = Clock::manual(Timestamp::from_secs(10));
        let copy = clock.clone();
        assert!(clock.set(Timestamp::from_secs(70)));
        assert_eq!(copy.now(), Timestamp::from_secs(70));
        assert!(!Clock::system().set(Timestamp::from_secs(1)));
    }
}
