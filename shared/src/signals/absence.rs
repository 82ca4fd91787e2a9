//! The absence rule's verdicts as signals (`absence`): a no-data breach, a recovery, or a
//! resolve with a note, on the alert the monitor keeps for the group, with ids that make a
//! retried run's signals duplicates.

use crate::absence::{FleetSilence, Verdict, fleet};
use crate::config::Config;
use crate::domain::{
    AlertContext, AlertKey, Breach, Group, InvalidValue, MonitorRef, Signal, SignalId, SignalKind,
    Source, Timestamp,
};
use crate::rules::{Evaluation, Monitor, State};

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
/// `eval:{monitor}|every model`.
pub fn fleet_key(monitor: &str) -> Result<AlertKey, InvalidValue> {
    AlertKey::new(format!("eval:{monitor}|{}", fleet::SCOPE))
}

/// The no-data breach of `monitor`'s silent fleet, dated when it pages
/// (`fleet::pages_at`), so every run of one silence sends the same signal; none before
/// that, at the run's instant `at`. At the level the monitor's no-data policy gives.
pub fn fleet_silent(
    config: &Config,
    monitor: &Monitor,
    silence: &FleetSilence,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    let pages_at = fleet::pages_at(monitor, silence);
    if !fleet::applies(monitor) || at < pages_at {
        return Ok(None);
    }
    let level = level_of(monitor, State::NoData);
    let metric = monitor.metric.as_deref().unwrap_or(&monitor.id);
    let reason = format!(
        "No model has sent {metric} since {since}, and {models} went quiet together: \
         Datadog's intake is late, or every model stopped reporting. Each model's own \
         no-data alert waits until one of them reports again.",
        since = silence.since,
        models = named(&silence.models),
    );
    let mut context = fleet_context(monitor, reason);
    context.environment = silence.environment.clone();
    // The models it stands for, by which silences mute it (`silencing::muting`).
    if silence.models.len() <= fleet::NAMED_MODELS {
        context
            .tags
            .extend(silence.models.iter().map(|m| format!("model:{m}")));
    }
    let breach = Breach {
        state: crate::domain::BreachState::NoData,
        level,
        first_breach_at: Some(silence.since.plus_secs(monitor.no_data_after_secs())),
        context,
        policy: config.escalation_policy(&monitor.id, level, pages_at),
    };
    Ok(Some(Signal {
        id: fleet_id(monitor, "absent", silence.since)?,
        key: fleet_key(&monitor.id)?,
        at: pages_at,
        source: Source::Evaluator,
        kind: SignalKind::Breach {
            breach,
            repeat: false,
        },
    }))
}

/// The recovery of `monitor`'s fleet alert at `at`: the monitor is judged group by group
/// again (a model reports, or the quiet models are no longer expected, or its no-data
/// policy no longer pages).
pub fn fleet_back(monitor: &Monitor, at: Timestamp) -> Result<Signal, InvalidValue> {
    let reason = "Each model is judged on its own data again: a model reports, or the models \
                  that went quiet are no longer expected.";
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

/// `a, b and c`, or the first ten and how many more.
fn named(models: &[String]) -> String {
    const SHOWN: usize = 10;
    match models {
        [] => String::new(),
        [one] => one.clone(),
        _ if models.len() > SHOWN => format!(
            "{} and {} more",
            models[..SHOWN].join(", "),
            models.len() - SHOWN
        ),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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
        scope: Some(fleet::SCOPE.to_owned()),
        metric: monitor.metric.clone(),
        value: None,
        threshold: None,
        reason: Some(reason),
        links: Vec::new(),
        snapshot_url: None,
        // Its `model:` tags are the models it stands for (`fleet_silent`), not the monitor's.
        tags: monitor
            .tags
            .iter()
            .filter(|t| !t.starts_with("model:"))
            .cloned()
            .collect(),
    }
}

fn fleet_id(monitor: &Monitor, what: &str, at: Timestamp) -> Result<SignalId, InvalidValue> {
    super::evaluation::bounded_id(format!(
        "eval:{}:{}:{what}:{}",
        monitor.id,
        fleet::SCOPE,
        at.millis()
    ))
}
