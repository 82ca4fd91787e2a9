//! The last good run's I/O (`domain::LastRun`; `reconcile` decides what a gap means): read
//! from the table on a container's first run and kept; written when a good run has moved it
//! on by `REWRITE_SECS`, so a run costs no request for it most minutes.

use std::sync::Mutex;

use modelwatch::domain::LastRun;
use modelwatch::store::StoreError;

use crate::Evaluator;

/// How far a good run must be past the stored one to be written. Another container (or
/// this one after a restart) reads a run this much older than the newest at worst, so it
/// finds the look-back short after an outage 5 minutes shorter than `CATCH_UP` instants
/// less the minutes a run holds back (`plan::held_back_secs`):
/// it then reconciles alerts that already agree, which signals nothing.
const REWRITE_SECS: u64 = 5 * 60;

/// What this container knows: the stored last run, as read or written, and its own
/// newest good run.
#[derive(Debug, Default)]
pub struct LastRunCache(Mutex<Option<Known>>);

#[derive(Debug, Clone)]
struct Known {
    stored: Option<LastRun>,
    newest: Option<LastRun>,
}

impl LastRunCache {
    fn get(&self) -> Option<Known> {
        self.0.lock().ok()?.clone()
    }

    fn set(&self, known: Option<Known>) {
        if let Ok(mut cache) = self.0.lock() {
            *cache = known;
        }
    }
}

impl Evaluator {
    /// The newest good run this container knows of, reading the table only the first time.
    pub(crate) async fn last_run(&self) -> Result<Option<LastRun>, StoreError> {
        if let Some(known) = self.last_run.get() {
            return Ok(known.newest.or(known.stored));
        }
        let stored = self.store.last_run().await?;
        self.last_run.set(Some(Known {
            stored: stored.clone(),
            newest: None,
        }));
        Ok(stored)
    }

    /// Notes `done` as a good run, and writes it when the stored one is missing, names other
    /// monitors, or is `REWRITE_SECS` older. Returns whether it was written.
    pub(crate) async fn record_run(&self, done: LastRun) -> Result<bool, StoreError> {
        let known = self.last_run.get();
        let stored = known.as_ref().and_then(|k| k.stored.clone());
        let fresh_enough = stored.as_ref().is_some_and(|s| {
            s.monitors == done.monitors
                && done.at >= s.at
                && done.at.secs_since(s.at) < REWRITE_SECS
        });
        if fresh_enough {
            // A late retry of an earlier instant does not move the newest back.
            let newest = known
                .and_then(|k| k.newest)
                .filter(|n| n.at > done.at)
                .unwrap_or(done);
            self.last_run.set(Some(Known {
                stored,
                newest: Some(newest),
            }));
            return Ok(false);
        }
        let written = self.store.put_last_run(&done).await?;
        // Not written: another container stored a newer run; read it on the next run.
        self.last_run.set(written.then(|| Known {
            stored: Some(done.clone()),
            newest: Some(done),
        }));
        Ok(written)
    }
}
