//! What every alert of one invocation shares: the reads (the silences in force, who
//! subscribed to alerts), made once, when the first alert needs them, rather than once per
//! alert, the silences of a cold start's first invocation read during init, in place of the
//! table check; and the vendors that failed in a way a retry may cure.

use std::sync::Mutex;

use modelwatch::domain::{Silence, Subscription, Timestamp, Topic};
use modelwatch::escalation::Vendor;
use modelwatch::store::{Store, StoreError};
use tokio::sync::OnceCell;

#[derive(Debug, Default)]
pub struct SharedReads {
    silences: OnceCell<Vec<Silence>>,
    subscriptions: OnceCell<Vec<Subscription>>,
    /// Vendors down or throttling in this invocation: the other alerts' steps to them
    /// wait for the retry instead of each waiting out the same timeouts, so the steps to
    /// the vendor still up (the page, when Slack is down) go out for every alert.
    down: Mutex<Vec<Vendor>>,
}

/// The silences the cold start read (they check the table as its other reads do), for
/// the first invocation: used when it comes within `FRESH_FOR_SECS` of the read, as the
/// event that started the container does, so the first page waits for one read less; read
/// again otherwise (a container started ahead of its events). A silence made since the
/// read is missed as it would be by a delivery made that much earlier.
#[derive(Debug, Default)]
pub struct ColdStartReads {
    silences: Mutex<Option<(Timestamp, Vec<Silence>)>>,
}

impl ColdStartReads {
    /// An event that starts a container is handed over within milliseconds of init; a
    /// second covers a slow init and no more.
    pub const FRESH_FOR_SECS: u64 = 1;

    /// `silences` as `Store::silences` read them at `read_at`.
    pub fn new(read_at: Timestamp, silences: Vec<Silence>) -> Self {
        Self {
            silences: Mutex::new(Some((read_at, silences))),
        }
    }

    /// The shared reads of an invocation at `now`: for the first invocation, the cold
    /// start's silences still in force at `now` when they are fresh enough; for any
    /// other, none read yet.
    pub fn take(&self, now: Timestamp) -> SharedReads {
        let taken = self.silences.lock().ok().and_then(|mut read| read.take());
        match taken {
            Some((read_at, mut silences))
                if read_at <= now && now.secs_since(read_at) < Self::FRESH_FOR_SECS =>
            {
                silences.retain(|s| s.ends_at > now);
                SharedReads {
                    silences: OnceCell::new_with(Some(silences)),
                    ..SharedReads::default()
                }
            }
            _ => SharedReads::default(),
        }
    }
}

impl SharedReads {
    /// Whether `vendor` failed earlier in this invocation in a way a retry may cure.
    pub fn is_down(&self, vendor: Vendor) -> bool {
        self.down.lock().is_ok_and(|down| down.contains(&vendor))
    }

    pub fn mark_down(&self, vendor: Vendor) {
        if let Ok(mut down) = self.down.lock()
            && !down.contains(&vendor)
        {
            down.push(vendor);
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
}

#[cfg(test)]
mod tests {
    use modelwatch::domain::SilenceId;

    use super::*;

    fn silence(id: &str, ends_at: Timestamp) -> Silence {
        Silence {
            id: SilenceId::new(id).expect("id"),
            matchers: Vec::new(),
            alert: None,
            starts_at: Timestamp::from_secs(0),
            ends_at,
            created_by: "test".into(),
            comment: String::new(),
            created_at: Timestamp::from_secs(0),
        }
    }

    fn in_hand(reads: &SharedReads) -> Option<Vec<String>> {
        reads
            .silences
            .get()
            .map(|all| all.iter().map(|s| s.id.to_string()).collect())
    }

    #[test]
    fn the_first_invocation_soon_after_the_read_starts_from_it_without_what_ended_since() {
        let read_at = Timestamp::from_secs(1_000);
        let now = Timestamp::from_millis(read_at.millis() + 600);
        let cold = ColdStartReads::new(
            read_at,
            vec![
                silence("sil-ended", Timestamp::from_millis(now.millis() - 1)),
                silence("sil-in-force", read_at.plus_secs(3_600)),
            ],
        );
        assert_eq!(
            in_hand(&cold.take(now)),
            Some(vec!["sil-in-force".to_owned()])
        );
        assert_eq!(
            in_hand(&cold.take(now)),
            None,
            "the first invocation's only"
        );
    }

    #[test]
    fn a_read_a_second_old_or_from_the_future_is_read_again() {
        let read_at = Timestamp::from_secs(1_000);
        let fresh = || ColdStartReads::new(read_at, vec![silence("sil-s", read_at.plus_secs(60))]);
        let a_second_later = read_at.plus_secs(ColdStartReads::FRESH_FOR_SECS);
        assert_eq!(in_hand(&fresh().take(a_second_later)), None);
        assert_eq!(in_hand(&fresh().take(read_at.minus_secs(1))), None);
        assert!(in_hand(&fresh().take(read_at)).is_some());
        assert_eq!(in_hand(&ColdStartReads::default().take(read_at)), None);
    }
}
