//! Groups that stop reporting, pure: which groups each monitor expects, when an expected
//! group counts as absent, and what the alert of an absent, returning or no longer expected
//! group is owed. The evaluator keeps what each monitor has seen in the table
//! (`domain::SeenGroups`), reads the alert of each group [`plan`] asks about, and applies
//! the [`Verdict`] as a signal (`signals::absence`).
//!
//! The rule, as the README states it:
//! - A group is expected by a monitor that covers it (the monitor's `models:`, and for a
//!   version comparison every version but the stable one). A version its model does not
//!   list (a canary, a rollout ahead of the configuration, a retired version) is watched
//!   while it reports, and not expected once absent (below) while another version of its
//!   model reports in its environment: its alert resolves with a note then. Its silence
//!   pages no data only when no other version reports there (`unlisted_version`; the
//!   evaluator's signals): then it is the model gone quiet, expected as a configured
//!   model's group (below). Of the others, a group whose model and version the
//!   configuration lists is expected for as long as it is listed; another group of a
//!   configured model for [`RETENTION_SECS`] after its last point, and past that while no
//!   other group of the model reports anywhere (the model dark); any other group for
//!   [`RETENTION_SECS`] after its last point. A listed version none of whose series has
//!   ever reported is expected too, from the first run that knew it.
//! - An instant is without data once the group's newest point is older than the
//!   monitor's window plus Datadog's reporting delay, and the monitor's `no_data` policy
//!   says what that means, through its trigger window (the evaluation itself).
//! - A group is absent once its newest point is older than the whole span an evaluation
//!   replays (`Monitor::absent_after_secs`): from then on its data can show no change, so
//!   its alert is reconciled with the policy once per absence — under `alert` or `warn` a
//!   no-data alert is open (opened, or the open alert turned into one; never lowered), under
//!   `resolve` none is, under `ignore` none opens but an open one becomes a no-data alert
//!   rather than staying open with nothing left to recover it.
//! - A no-data alert resolves when the group reports again and its evaluation is clean, or
//!   when the group stops being expected, with a note saying why.

mod expect;
pub mod fleet;
mod plan;
mod verdict;

#[cfg(test)]
mod tests;

pub use expect::{Unexpected, configured_groups, covers, unlisted_version};
pub use fleet::FleetSilence;
pub use plan::{Check, Plan, plan, should_write};
pub use verdict::{Verdict, decide};

/// How long a group that the configuration does not list stays expected after its last
/// point: a week, so a weekly batch model is not forgotten between two runs.
pub const RETENTION_SECS: u64 = 7 * 86_400;

/// How far a stored last-seen time may lag a reporting group's newest point before the
/// item is written again (a silent group's is always stored exactly).
pub const REFRESH_SECS: u64 = 15 * 60;
