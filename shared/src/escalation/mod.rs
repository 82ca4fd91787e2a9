//! Escalation delivery, pure: which steps (Slack posts, thread replies, updates,
//! PagerDuty events) an owed action takes, and how a delivered step is recorded on the
//! alert so that a retry sends only what is left.
//!
//! The escalator Lambda runs these steps one at a time and records each right after it
//! is delivered; see `functions/escalator`.

mod plan;
mod record;
mod routes;

pub use plan::{Destinations, POST_EVENT_TYPE, Step, StepKind, Vendor, plan, post_metadata};
pub use record::{
    attempted_before, claim, finish, held, mark_done, mark_maybe_paged, mark_sending,
    mark_slack_behind, release,
};
pub use routes::{destinations, page_context};

#[cfg(test)]
mod tests;
