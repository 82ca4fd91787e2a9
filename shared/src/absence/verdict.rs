//! What the alert of a checked group is owed, from the check, the monitor's no-data policy
//! and the alert as stored (pure).

use crate::domain::{Alert, MonitorState, Timestamp};
use crate::rules::{Monitor, NoDataPolicy, State};

use super::plan::Check;

/// What to do about one checked group's alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing: it already is as the rule wants.
    Nothing,
    /// Look again next run: the group is back, but its evaluation is not clean yet.
    LookAgain,
    /// A no-data alert: opened, or the open alert turned into one.
    NoData { since: Timestamp, reason: String },
    /// The group reports again (its evaluation clean), or no data counts as clean.
    Recovered { reason: String },
    /// No longer expected: resolved with this note.
    Retired { note: String },
}

/// The verdict on `check` for `monitor`, whose alert for the group is `alert` (none if it
/// never opened); `now` is the group's evaluation at this run's instant, if it has one.
pub fn decide(
    monitor: &Monitor,
    metric: &str,
    check: &Check,
    alert: Option<&Alert>,
    now: Option<State>,
) -> Verdict {
    let open = alert.filter(|a| a.status.is_open());
    let no_data_open = open.is_some_and(|a| a.state == MonitorState::NoData);
    match check {
        Check::Absent {
            group,
            since,
            reported,
        } => {
            let reason = if *reported {
                format!("no data for {metric} since {since}: {group} stopped reporting")
            } else {
                format!(
                    "no data for {metric} from {group}, which `models:` lists, since modelwatch \
                     began expecting it at {since}"
                )
            };
            // Closed since the absence began (by a person, typically): not reopened for it.
            let closed_since = alert
                .and_then(|a| a.resolved_at)
                .is_some_and(|r| r >= *since);
            match monitor.no_data {
                NoDataPolicy::Warn | NoDataPolicy::Alert if no_data_open => Verdict::Nothing,
                NoDataPolicy::Warn | NoDataPolicy::Alert if open.is_some() || !closed_since => {
                    Verdict::NoData {
                        since: *since,
                        reason,
                    }
                }
                NoDataPolicy::Ignore if open.is_some() && !no_data_open => Verdict::NoData {
                    since: *since,
                    reason: format!(
                        "{reason}; the monitor ignores no data, but an open alert it can no longer \
                         recover becomes a no-data alert"
                    ),
                },
                NoDataPolicy::Resolve if open.is_some() => Verdict::Recovered {
                    reason: format!("{reason}; the monitor counts no data as clean"),
                },
                _ => Verdict::Nothing,
            }
        }
        Check::Back { group, via } => match (via, now) {
            (_, _) if !no_data_open => Verdict::Nothing,
            (Some(via), _) => Verdict::Recovered {
                reason: format!("{group} reports again, as {via}"),
            },
            (None, Some(State::Ok)) => Verdict::Recovered {
                reason: format!("{group} reports again and its {metric} is clean"),
            },
            (None, _) => Verdict::LookAgain,
        },
        Check::Unexpected { group, why } => match open {
            Some(_) => Verdict::Retired {
                note: format!("modelwatch: {group} is no longer expected ({why})"),
            },
            None => Verdict::Nothing,
        },
    }
}
