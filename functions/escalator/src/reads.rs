//! The reads every alert of one invocation shares (the silences in force, who subscribed
//! to alerts): made once, when the first alert needs them, rather than once per alert.

use modelwatch::domain::{Silence, Subscription, Timestamp, Topic};
use modelwatch::store::{Store, StoreError};
use tokio::sync::OnceCell;

#[derive(Debug, Default)]
pub struct SharedReads {
    silences: OnceCell<Vec<Silence>>,
    subscriptions: OnceCell<Vec<Subscription>>,
}

impl SharedReads {
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
}
