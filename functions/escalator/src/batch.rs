//! What the alerts delivered in one invocation share: the reads every alert needs alike
//! (the silences in force, who subscribed to alerts), made once when the first alert needs
//! them; and the turn to send.
//!
//! Alerts are delivered side by side, but their sends go one at a time, each recorded
//! before the next: a crash, or a table that stops answering, leaves at most one step sent
//! and not recorded, as a one-at-a-time delivery would (docs/reliability.md, the Slack
//! exception). Once a record fails, nothing more is sent in this invocation.

use modelwatch::domain::{Silence, Subscription, Timestamp, Topic};
use modelwatch::store::{Store, StoreError};
use tokio::sync::{Mutex, MutexGuard, OnceCell};

#[derive(Debug, Default)]
pub struct Batch {
    silences: OnceCell<Vec<Silence>>,
    subscriptions: OnceCell<Vec<Subscription>>,
    /// Held while a step is sent and recorded; `true` once a record failed.
    sending: Mutex<bool>,
}

/// The turn to send one step and record it; [`Turn::record_failed`] ends every later turn.
pub struct Turn<'a>(MutexGuard<'a, bool>);

impl Turn<'_> {
    pub fn record_failed(mut self) {
        *self.0 = true;
    }
}

impl Batch {
    /// With the silences in force already read (the clock reads them for every open alert).
    pub fn with_silences(active: Vec<Silence>) -> Self {
        Self {
            silences: OnceCell::new_with(Some(active)),
            ..Self::default()
        }
    }

    /// The silences in force at `now`. A failed read is tried again by the next caller.
    pub async fn silences(&self, store: &Store, now: Timestamp) -> Result<&[Silence], StoreError> {
        self.silences
            .get_or_try_init(|| store.silences(now))
            .await
            .map(Vec::as_slice)
    }

    /// Who subscribed to alerts. A failed read costs the mentions, never a page, and is
    /// not tried again within the invocation.
    pub async fn subscriptions(&self, store: &Store) -> &[Subscription] {
        self.subscriptions
            .get_or_init(|| async {
                store
                    .subscriptions(Topic::Alerts)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "alert subscribers not read; delivering without mentions");
                        Vec::new()
                    })
            })
            .await
    }

    /// Waits for the turn to send; `None` once a record has failed in this invocation.
    pub async fn turn_to_send(&self) -> Option<Turn<'_>> {
        let sending = self.sending.lock().await;
        (!*sending).then_some(Turn(sending))
    }

    /// Whether a record has failed: an alert not yet claimed leaves its delivery for the
    /// retry. (A hint: `turn_to_send` is what holds the line.)
    pub fn halted(&self) -> bool {
        self.sending.try_lock().is_ok_and(|failed| *failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_turn_at_a_time_and_none_after_a_failed_record() {
        let batch = Batch::default();
        let turn = batch.turn_to_send().await.expect("the first turn");
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), batch.turn_to_send())
                .await
                .is_err(),
            "a second sender waits while a step is in flight"
        );
        assert!(!batch.halted());
        drop(turn);
        let turn = batch.turn_to_send().await.expect("the next turn");
        turn.record_failed();
        assert!(batch.turn_to_send().await.is_none());
        assert!(batch.halted());
    }
}
