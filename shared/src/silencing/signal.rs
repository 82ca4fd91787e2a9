//! A silence rule's decision as a signal for one alert: muted until the silence ends, or
//! unmuted when it was expired early. The module above decides; this only words it.

use super::muted_by;
use crate::domain::{
    AlertKey, InvalidValue, Signal, SignalId, SignalKind, Silence, Source, Timestamp,
};

/// Puts the alert under `silence` until it ends. The id names the silence and its end, so
/// the same decision made twice (the stream and the clock) is one signal.
pub fn muted(key: &AlertKey, silence: &Silence, now: Timestamp) -> Result<Signal, InvalidValue> {
    Ok(Signal {
        id: SignalId::new(format!(
            "silence:{}:{}",
            silence.id,
            silence.ends_at.millis()
        ))?,
        key: key.clone(),
        at: now,
        source: Source::Operator,
        kind: SignalKind::Silenced {
            by: muted_by(silence),
            until: silence.ends_at,
        },
    })
}

/// Ends the alert's silence now: nothing mutes it any more (the silence was expired).
pub fn unmuted(key: &AlertKey, now: Timestamp) -> Result<Signal, InvalidValue> {
    Ok(Signal {
        id: SignalId::new(format!("unsilence:{}", now.millis()))?,
        key: key.clone(),
        at: now,
        source: Source::Operator,
        kind: SignalKind::Silenced {
            by: "silence expired".into(),
            until: now,
        },
    })
}
