//! The escalation clock's signal: one tick per alert per minute.

use crate::domain::{AlertKey, InvalidValue, Signal, SignalId, SignalKind, Source, Timestamp};

/// The tick for `key` at `now`. Its id is the minute, so a repeated invocation within the
/// same minute (a retry, or two clocks) is a duplicate to the lifecycle.
pub fn tick(key: &AlertKey, now: Timestamp) -> Result<Signal, InvalidValue> {
    let minute = now.secs().div_euclid(60);
    Ok(Signal {
        id: SignalId::new(format!("tick:{minute}"))?,
        key: key.clone(),
        at: now,
        source: Source::Clock,
        kind: SignalKind::Tick,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_of_one_minute_share_an_id_and_the_next_minute_differs() {
        let key = AlertKey::new("m|chat").unwrap();
        let a = tick(&key, Timestamp::from_secs(120)).unwrap();
        let b = tick(&key, Timestamp::from_secs(179)).unwrap();
        let c = tick(&key, Timestamp::from_secs(180)).unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.id.as_str(), "tick:2");
    }
}
