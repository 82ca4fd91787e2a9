//! The absence rule's verdicts as signals (`absence`): a no-data breach, a recovery, or a
//! resolve with a note, on the alert the monitor keeps for the group, with ids that make a
//! retried run's signals duplicates.

use crate::absence::{FleetSilence, Verdict, fleet};
use crate::config::Config;
use crate::domain::{
    AlertContext, AlertKey, Breach, Group, InvalidValue, MonitorRef, Signal, SignalId, SignalKind,
    Source, Timestamp,
};
use crate::rules::{Evaluation, Monitor, NoDataPolicy, State};

use super::evaluation::{alert_key, from_evaluation, level_of};

/// The signal for `verdict` on `group` of `monitor`, at the run's instant `at`; none for a
/// verdict that owes nothing.
pub fn to_signal(
    config: &Config,
    monitor: &Monitor,
    group: &Group,
    verdict: &Verdict,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    let evaluation = |state: State, reason: &str, first_breach_at: Option<Timestamp>| Evaluation {
        monitor: monitor.id.clone(),
        group: group.clone(),
        at,
        state,
        previous: State::Ok,
        value: None,
        threshold: None,
        score: 0.0,
        reason: reason.to_owned(),
        first_breach_at,
        clear: !state.is_firing(),
    };
    let signal = match verdict {
        Verdict::Nothing | Verdict::LookAgain => return Ok(None),
        Verdict::NoData { since, reason } => {
            // The breach began when the first instant had no data.
            let first = since.plus_secs(monitor.no_data_after_secs()).min(at);
            let mut s = from_evaluation(
                config,
                monitor,
                &evaluation(State::NoData, reason, Some(first)),
            )?;
            // One id per absence (its start), whatever run finds it.
            s.id = id(monitor, group, "absent", *since)?;
            s
        }
        Verdict::Recovered { reason } => {
            let mut s = from_evaluation(config, monitor, &evaluation(State::Ok, reason, None))?;
            s.id = id(monitor, group, "back", at)?;
            s
        }
        Verdict::Retired { note } => Signal {
            id: id(monitor, group, "retired", at)?,
            key: alert_key(&monitor.id, group)?,
            at,
            source: Source::Evaluator,
            kind: SignalKind::Resolved {
                by: note.clone(),
                cycle: None,
            },
        },
    };
    Ok(Some(signal))
}

fn id(
    monitor: &Monitor,
    group: &Group,
    what: &str,
    at: Timestamp,
) -> Result<SignalId, InvalidValue> {
    super::evaluation::bounded_id(format!(
        "eval:{}:{group}:{what}:{}",
        monitor.id,
        at.millis()
    ))
}

/// The alert a monitor keeps for its fleet's silence (`absence::fleet`):
/// `eval:{monitor}|every model`. A group's alert key has `tag:value` pairs after the bar,
/// so no group's can be this one.
pub fn fleet_key(monitor: &str) -> Result<AlertKey, InvalidValue> {
    AlertKey::new(format!("eval:{monitor}|every model"))
}

/// The no-data breach of `monitor`'s silent fleet at the run's instant `at`: at the level
/// its no-data policy gives, once the silence has lasted the monitor's trigger window. None
/// before, and under `ignore` or `resolve`, which page no silence (the monitor is held
/// all the same).
pub fn fleet_silent(
    config: &Config,
    monitor: &Monitor,
    silence: &FleetSilence,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    if !matches!(monitor.no_data, NoDataPolicy::Alert | NoDataPolicy::Warn)
        || at < fleet::pages_at(monitor, silence)
    {
        return Ok(None);
    }
    let level = level_of(monitor, State::NoData);
    let metric = monitor.metric.as_deref().unwrap_or(&monitor.id);
    let reason = format!(
        "No model has sent {metric} since {since}, and {models} went quiet together: \
         Datadog's intake is late, or every model stopped reporting. Each model's own \
         no-data alert waits until one of them reports again.",
        since = silence.since,
        models = silence.models.join(", "),
    );
    let breach = Breach {
        state: crate::domain::BreachState::NoData,
        level,
        first_breach_at: Some(silence.since.plus_secs(monitor.no_data_after_secs())),
        context: fleet_context(monitor, reason),
        policy: config.escalation_policy(&monitor.id, level, at),
    };
    Ok(Some(Signal {
        // One id per silence (its start), whatever run finds it.
        id: fleet_id(monitor, "absent", silence.since)?,
        key: fleet_key(&monitor.id)?,
        at,
        source: Source::Evaluator,
        kind: SignalKind::Breach {
            breach,
            repeat: false,
        },
    }))
}

/// The recovery of `monitor`'s fleet alert: a model reports again at `at`, and the
/// monitor is judged group by group once more.
pub fn fleet_back(monitor: &Monitor, at: Timestamp) -> Result<Signal, InvalidValue> {
    let reason = "A model reports again: each model is judged on its own data once more.";
    Ok(Signal {
        id: fleet_id(monitor, "back", at)?,
        key: fleet_key(&monitor.id)?,
        at,
        source: Source::Evaluator,
        kind: SignalKind::Recovered {
            context: fleet_context(monitor, reason.to_owned()),
        },
    })
}

fn fleet_context(monitor: &Monitor, reason: String) -> AlertContext {
    AlertContext {
        // The state travels as the alert's status; the title stays the same to the end.
        title: format!("{}: no model reports", monitor.name),
        model: None,
        monitor: MonitorRef {
            id: monitor.id.clone(),
            name: Some(monitor.name.clone()),
        },
        environment: None,
        scope: Some("every model".to_owned()),
        metric: monitor.metric.clone(),
        value: None,
        threshold: None,
        reason: Some(reason),
        links: Vec::new(),
        snapshot_url: None,
        tags: monitor.tags.clone(),
    }
}

fn fleet_id(monitor: &Monitor, what: &str, at: Timestamp) -> Result<SignalId, InvalidValue> {
    super::evaluation::bounded_id(format!(
        "eval:{}:every model:{what}:{}",
        monitor.id,
        at.millis()
    ))
}
