//! A monitor's evaluation as a `Signal` (the live evaluator's and the backtest's): a breach
//! or a recovery with the context a page needs, under ids and keys derived from the
//! evaluation alone, so a repeated run is a duplicate.

use crate::config::Config;
use crate::domain::{
    Alert, AlertContext, AlertKey, Breach, EscalationPolicy, Group, InvalidValue, Level, Link,
    ModelRef, MonitorRef, Signal, SignalId, SignalKind, Source, Timestamp,
};
use crate::rules::{Evaluation, Monitor, NoDataPolicy, State};

/// The alert one monitor keeps for one group: `eval:{monitor}|{group}`.
pub fn alert_key(monitor: &str, group: &Group) -> Result<AlertKey, InvalidValue> {
    AlertKey::new(format!("eval:{monitor}|{group}"))
}

/// The resolve of an open evaluator alert whose monitor the configuration no longer has
/// (removed or renamed): nothing evaluates it any more, so without this it would stay open,
/// renotifying and escalating, for ever. None for any other alert.
pub fn of_removed_monitor(
    config: &Config,
    alert: &Alert,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    let monitor = &alert.context.monitor.id;
    if !alert.key.as_str().starts_with("eval:") || config.monitor(monitor).is_some() {
        return Ok(None);
    }
    Ok(Some(Signal {
        id: bounded_id(format!("{}:removed:{}", alert.key, at.millis()))?,
        key: alert.key.clone(),
        at,
        source: Source::Evaluator,
        kind: SignalKind::Resolved {
            by: format!(
                "modelwatch: monitor {monitor:?} is no longer in the configuration, so nothing \
                 evaluates this alert any more"
            ),
            cycle: None,
        },
    }))
}

/// The level a firing state opens at under `monitor`.
pub fn level_of(monitor: &Monitor, state: State) -> Level {
    match (state, monitor.no_data) {
        (State::Alert, _) | (State::NoData, NoDataPolicy::Alert) => monitor.levels.alert,
        _ => monitor.levels.warn,
    }
}

/// The signal for `evaluation` of `monitor` under the configuration: the escalation policy
/// of the level it opens at, at its instant, and the monitor's links for its group.
pub fn from_evaluation(
    config: &Config,
    monitor: &Monitor,
    evaluation: &Evaluation,
) -> Result<Signal, InvalidValue> {
    let level = level_of(monitor, evaluation.state);
    let policy = config.escalation_policy(&monitor.id, level, evaluation.at);
    let links = config.links(&monitor.id, &evaluation.group).to_links();
    to_signal(evaluation, monitor, &policy, links)
}

/// `id` as a signal id: as it is when it fits (256 bytes), else `eval:` and its SHA-256,
/// the same for the same evaluation, so a monitor with a long group keeps its changes.
pub(super) fn bounded_id(id: String) -> Result<SignalId, InvalidValue> {
    use sha2::{Digest, Sha256};
    if id.len() <= 256 {
        return SignalId::new(id);
    }
    SignalId::new(format!(
        "eval:{}",
        hex::encode(Sha256::digest(id.as_bytes()))
    ))
}

/// The signal for `evaluation`: a breach while firing, a recovery when ok. Its id is
/// `eval:{monitor}:{group}:{state}:{first breach or instant, ms}`, and its time the
/// evaluation instant, so the same evaluation twice is a duplicate to the lifecycle. A
/// change within a spell (warn to alert and back, alert to no data) adds its instant,
/// `…:{first breach}:{instant}`: the spell's first breach alone would make a return to an
/// earlier state of the spell the duplicate of that state's first signal, and drop it.
pub fn to_signal(
    evaluation: &Evaluation,
    monitor: &Monitor,
    policy: &EscalationPolicy,
    links: Vec<Link>,
) -> Result<Signal, InvalidValue> {
    let e = evaluation;
    let mark = e.first_breach_at.unwrap_or(e.at).millis();
    let within_spell = e.previous.is_firing() && e.state.is_firing();
    let id = bounded_id(if within_spell {
        format!(
            "eval:{}:{}:{}:{mark}:{}",
            monitor.id,
            e.group,
            e.state,
            e.at.millis()
        )
    } else {
        format!("eval:{}:{}:{}:{mark}", monitor.id, e.group, e.state)
    })?;
    let model = match &e.group.model {
        Some(name) => Some(ModelRef::new(name, e.group.version.as_deref())?),
        None => None,
    };
    let mut tags = monitor.tags.clone();
    tags.extend(e.group.tags());
    let context = AlertContext {
        // The state travels as the alert's status, not in its title, which stays the same
        // from trigger to recovery.
        title: format!("{} on {}", monitor.name, e.group),
        model,
        monitor: MonitorRef {
            id: monitor.id.clone(),
            name: Some(monitor.name.clone()),
        },
        environment: e.group.environment.clone(),
        scope: Some(e.group.to_string()),
        metric: monitor.metric.clone(),
        value: e.value,
        threshold: e.threshold,
        reason: Some(e.reason.clone()),
        links,
        snapshot_url: None,
        tags,
    };
    let kind = match e.state.breach() {
        Some(state) => SignalKind::Breach {
            breach: Breach {
                state,
                level: level_of(monitor, e.state),
                first_breach_at: e.first_breach_at,
                context,
                policy: policy.clone(),
            },
            repeat: false,
        },
        None => SignalKind::Recovered { context },
    };
    Ok(Signal {
        id,
        key: alert_key(&monitor.id, &e.group)?,
        at: e.at,
        source: Source::Evaluator,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::bounded_id;

    #[test]
    fn a_long_signal_id_is_hashed_alike_every_time() {
        let short = "eval:m:model:chat:alert:1";
        assert_eq!(bounded_id(short.into()).unwrap().as_str(), short);
        let long = format!("eval:m:{}:warn:1:2", "tenant:a,".repeat(40));
        let once = bounded_id(long.clone()).unwrap();
        assert_eq!(once, bounded_id(long.clone()).unwrap());
        assert_eq!(once.as_str().len(), "eval:".len() + 64);
        assert_ne!(once, bounded_id(long.replace(":2", ":3")).unwrap());
    }
}
