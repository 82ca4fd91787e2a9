//! Making and expiring silences: recorded in the table, then every open alert they touch
//! brought in line through the lifecycle, so a page about to go out is held at once.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::signal as silences;
use crate::config::Config;
use crate::domain::{Alert, Signal, Silence, SilenceId, Timestamp};
use crate::store::{Claim, Store, StoreError};

/// How many alerts' signals are written at once. One after another, a silence over a few
/// hundred open alerts would outlast the 3 s Slack gives a slash command's answer.
const AT_ONCE: usize = 16;

/// How long after a silence is made the same request again is taken for a repeat of it
/// (`Silence::repeats`): two minutes holds a client's retries after a timeout, and a form
/// sent twice; nobody means two identical silences made that close together.
pub const REPEAT_WINDOW_SECS: u64 = 120;

/// How often a new silence's write is tried while other requests of the same text keep
/// claiming it first, or are writing their claim right then (DynamoDB cancels both
/// transactions of a conflict; the next attempt, after a pause, finds the winner's).
const CLAIM_ATTEMPTS: u32 = 5;

/// A silence made, and the open alerts it muted at once.
#[derive(Debug, Clone)]
pub struct Made {
    pub silence: Silence,
    pub muted: Vec<Alert>,
    /// The request repeated one made within `REPEAT_WINDOW_SECS`: `silence` is that one,
    /// and no second silence was stored. Ending it ends what the request asked for.
    pub repeated: bool,
}

/// A silence expired (`None`: no such silence), and the open alerts it released.
#[derive(Debug, Clone)]
pub struct Expired {
    pub silence: Option<Silence>,
    /// Open alerts it muted that nothing mutes now (what it held back is paged).
    pub released: u32,
    /// Open alerts it muted that another silence in force mutes now.
    pub still_muted: u32,
}

/// Records `silence` and mutes the open alerts it matches now. A repeat of a silence made
/// moments ago stores nothing new and answers with that silence, so a pipeline that
/// retried its request and ends the silence by the id it got back ends the only one; the
/// muting runs again, which finishes what a failed first attempt left undone.
pub async fn make(
    store: &Store,
    config: &Config,
    silence: Silence,
    now: Timestamp,
) -> Result<Made, StoreError> {
    // One read serves both: the repeat check, and (with the new silence) the muting.
    let mut active = store.silences(now).await?;
    let earlier = active
        .iter()
        .find(|s| silence.repeats(s, REPEAT_WINDOW_SECS))
        .cloned();
    let earlier = match earlier {
        Some(s) => Some(s),
        None => store_once(store, &silence).await?,
    };
    let repeated = earlier.is_some();
    let silence = match earlier {
        Some(s) => {
            if !active.iter().any(|a| a.id == s.id) {
                active.push(s.clone());
            }
            s
        }
        None => {
            active.push(silence.clone());
            silence
        }
    };
    let mut muted = Vec::new();
    if silence.is_active(now) {
        let mut signals = Vec::new();
        let others: Vec<Silence> = active
            .iter()
            .filter(|s| s.id != silence.id)
            .cloned()
            .collect();
        for alert in store.open_alerts().await? {
            // A fleet's alert is muted by its models' silences together (`muting`): this
            // one's doing when it changes how long the alert is muted.
            let this_ones = if crate::absence::fleet::models_of(&alert).is_empty() {
                super::matches(&silence, &alert, config)
            } else {
                let until =
                    |all: &[Silence]| super::muting(all, &alert, config, now).map(|s| s.ends_at);
                until(&active) != until(&others)
            };
            if !this_ones {
                continue;
            }
            if let Some(s) = super::muting(&active, &alert, config, now) {
                // Already under it to its end (the same request sent again): no new signal.
                let held_to = alert.silence.as_ref().map(|m| m.until).filter(|u| *u > now);
                if held_to != Some(s.ends_at) {
                    signals.push(silences::muted(&alert, s, now).map_err(invalid)?);
                }
                muted.push(alert);
            }
        }
        apply_all(store, signals, now).await?;
    }
    Ok(Made {
        silence,
        muted,
        repeated,
    })
}

/// Stores `silence`, unless a silence it repeats was stored since the silences were read
/// (the same request sent twice at once): then that one. The request's claim in the store
/// makes the check and the write one step.
async fn store_once(store: &Store, silence: &Silence) -> Result<Option<Silence>, StoreError> {
    let fresh_after = silence.created_at.minus_secs(REPEAT_WINDOW_SECS);
    let mut seen = None;
    for attempt in 1..=CLAIM_ATTEMPTS {
        if attempt > 1 {
            crate::store::backoff(attempt).await;
        }
        if store
            .put_silence_once(silence, fresh_after, seen.as_ref())
            .await?
            == Claim::Stored
        {
            return Ok(None);
        }
        seen = store.silence_claimed_for(silence).await?;
        if let Some(id) = &seen
            && let Some(earlier) = store.silence(id).await?
            && silence.repeats(&earlier, REPEAT_WINDOW_SECS)
        {
            return Ok(Some(earlier));
        }
    }
    Err(StoreError::Contention {
        key: silence.id.to_string(),
        attempts: CLAIM_ATTEMPTS,
    })
}

/// Ends silence `id` now; the open alerts nothing else mutes are released at once (what
/// the silence held back is paged).
pub async fn expire(
    store: &Store,
    config: &Config,
    id: &SilenceId,
    now: Timestamp,
) -> Result<Expired, StoreError> {
    let Some(silence) = store.expire_silence(id, now).await? else {
        return Ok(Expired {
            silence: None,
            released: 0,
            still_muted: 0,
        });
    };
    let active = store.silences(now).await?;
    let mut signals = Vec::new();
    // Whether each signal releases its alert (rather than hands it to another silence).
    let mut releases = Vec::new();
    for alert in store.open_alerts().await? {
        let recorded = alert.silence.as_ref().filter(|m| m.until > now);
        let under_it = recorded.is_some_and(|m| m.by.contains(id.as_str()));
        // A fleet's alert muted by its models' silences together names only the first of
        // them to end: the one ended may be another of them.
        let fleet = recorded.is_some() && !crate::absence::fleet::models_of(&alert).is_empty();
        if !under_it && !fleet {
            continue;
        }
        let other = super::muting(&active, &alert, config, now);
        if !under_it && other.map(|o| o.ends_at) == recorded.map(|m| m.until) {
            continue;
        }
        let signal = match other {
            Some(other) => silences::muted(&alert, other, now),
            None => silences::unmuted(&alert.key, now),
        }
        .map_err(invalid)?;
        signals.push(signal);
        releases.push(other.is_none());
    }
    let written = apply_all(store, signals, now).await?;
    let count = |release: bool| {
        let n = written
            .iter()
            .zip(&releases)
            .filter(|(w, r)| **w && **r == release)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    Ok(Expired {
        silence: Some(silence),
        released: count(true),
        still_muted: count(false),
    })
}

fn invalid(e: crate::domain::InvalidValue) -> StoreError {
    StoreError::Config {
        message: e.to_string(),
    }
}

/// Applies each signal (each to its own alert), `AT_ONCE` at a time; whether each was
/// written, in order. The first failure is the answer: every signal is safe to apply again.
async fn apply_all(
    store: &Store,
    signals: Vec<Signal>,
    now: Timestamp,
) -> Result<Vec<bool>, StoreError> {
    stream::iter(signals)
        .map(|signal: Signal| {
            let store = store.clone();
            async move { Ok(store.apply_signal(&signal, now).await?.written) }
        })
        .buffered(AT_ONCE)
        .try_collect()
        .await
}
