//! The escalation clock's signal: one tick per alert per minute.

use crate::config::Config;
use crate::domain::{
    Alert, AlertKey, InvalidValue, Signal, SignalId, SignalKind, Source, Timestamp,
};

/// The tick for `alert` at `now`, carrying the escalation policy the configuration gives
/// it now: time-of-day rules (L1 only at night, say) are evaluated at every step, so an
/// alert capped at night escalates by the day's policy once the night ends. They judge
/// the alert by the level its breaches asked for as well as by its current one
/// (`Config::alert_policy`). Its id is the minute, so a repeated invocation within the
/// same minute is a duplicate.
pub fn tick(config: &Config, alert: &Alert, now: Timestamp) -> Result<Signal, InvalidValue> {
    let asked = alert.breach_level.unwrap_or(alert.level);
    let policy = config.alert_policy(&alert.context.monitor.id, asked, alert.level, now);
    tick_with(&alert.key, now, Some(policy))
}

/// A tick with a given policy (`None` keeps the alert's).
pub fn tick_with(
    key: &AlertKey,
    now: Timestamp,
    policy: Option<crate::domain::EscalationPolicy>,
) -> Result<Signal, InvalidValue> {
    let minute = now.secs().div_euclid(60);
    Ok(Signal {
        id: SignalId::new(format!("tick:{minute}"))?,
        key: key.clone(),
        at: now,
        source: Source::Clock,
        kind: SignalKind::Tick { policy },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_of_one_minute_share_an_id_and_the_next_minute_differs() {
        let key = AlertKey::new("m|chat").unwrap();
        let a = tick_with(&key, Timestamp::from_secs(120), None).unwrap();
        let b = tick_with(&key, Timestamp::from_secs(179), None).unwrap();
        let c = tick_with(&key, Timestamp::from_secs(180), None).unwrap();
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.id.as_str(), "tick:2");
    }

    #[test]
    fn a_tick_judges_the_night_rule_by_the_level_the_breaches_asked_for() {
        let config = Config::parse(
            "infra/modelwatch.example.yaml",
            include_str!("../../../infra/modelwatch.example.yaml"),
        )
        .unwrap();
        let mut alert = Alert::blank(AlertKey::new("chat-latency|chat").unwrap());
        alert.context.monitor.id = "chat-latency".into();
        alert.level = crate::domain::Level::L2;
        // Thursday 2026-03-26, 23:30 in Berlin: the night rule for L1 issues holds.
        let night = Timestamp::parse("2026-03-26T22:30:00Z").unwrap();
        let max_level = |alert: &Alert| match tick(&config, alert, night).unwrap().kind {
            SignalKind::Tick { policy } => policy.map(|p| p.max_level),
            _ => None,
        };
        // A warning escalated unanswered to L2 stays there at night.
        alert.breach_level = Some(crate::domain::Level::L1);
        assert_eq!(max_level(&alert), Some(crate::domain::Level::L2));
        // An alert whose monitor asked for L2 goes on to L3.
        alert.breach_level = Some(crate::domain::Level::L2);
        assert_eq!(max_level(&alert), Some(crate::domain::Level::L3));
    }
}
