//! The absence rule's verdicts as signals (`absence`): a no-data breach, a recovery, or a
//! resolve with a note, on the alert the monitor keeps for the group, with ids that make a
//! retried run's signals duplicates.

use crate::absence::Verdict;
use crate::config::Config;
use crate::domain::{Group, InvalidValue, Signal, SignalId, SignalKind, Source, Timestamp};
use crate::rules::{Evaluation, Monitor, State};

use super::evaluation::{alert_key, from_evaluation};

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
