//! A silence rule's decision as a signal for one alert: muted until the silence ends, or
//! unmuted when it was expired early. The module above decides; this only words it.

use super::muted_by;
use crate::domain::{
    Alert, AlertKey, InvalidValue, Signal, SignalId, SignalKind, Silence, Source, Timestamp,
};

/// Puts `alert` under `silence` until it ends. The id names the silence, its end and the
/// silence the alert held when it was decided, so the same decision made twice (the
/// stream and the clock) is one signal, while muting again an alert that was released
/// (a later cycle, a level or version the silence no longer matched) is a new one.
pub fn muted(alert: &Alert, silence: &Silence, now: Timestamp) -> Result<Signal, InvalidValue> {
    let held = alert.silence.as_ref().map_or(0, |m| m.set_at.millis());
    Ok(Signal {
        id: SignalId::new(format!(
            "silence:{}:{}:{held}",
            silence.id,
            silence.ends_at.millis()
        ))?,
        key: alert.key.clone(),
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
