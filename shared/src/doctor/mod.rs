//! `modelwatch doctor`: a deployment's connections checked for real, each saying what is
//! wrong and how to fix it — the table, Datadog's keys, metrics and webhook, Slack's token,
//! scopes and channels, PagerDuty's routing keys. Each service's checks live in their own
//! module; this one holds the verdicts and how they read.

mod datadog;
mod pagerduty;
mod slack;

use serde::Serialize;

use crate::config::Config;
use crate::http::BaseUrl;
use crate::secrets::Secrets;
use crate::store::{Store, StoreError};

/// Where each service is: the real APIs, or a local stack's fakes.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Datadog's API (metrics, key validation).
    pub datadog: BaseUrl,
    /// Datadog's configuration API (the webhook integration); the same site as `datadog`
    /// in a deployment.
    pub datadog_config: BaseUrl,
    pub slack: BaseUrl,
    pub pagerduty: BaseUrl,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Pass {
        found: String,
    },
    /// Works, but something will go wrong later or for some alerts.
    Warn {
        problem: String,
        fix: String,
    },
    Fail {
        problem: String,
        fix: String,
    },
    /// Not checked, because an earlier check failed or the configuration does not use it.
    Skipped {
        why: String,
    },
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub service: &'static str,
    pub check: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Check {
    fn pass(service: &'static str, check: impl Into<String>, found: impl Into<String>) -> Self {
        Self::new(
            service,
            check,
            Outcome::Pass {
                found: found.into(),
            },
        )
    }

    fn fail(
        service: &'static str,
        check: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let (problem, fix) = (problem.into(), fix.into());
        Self::new(service, check, Outcome::Fail { problem, fix })
    }

    fn warn(
        service: &'static str,
        check: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let (problem, fix) = (problem.into(), fix.into());
        Self::new(service, check, Outcome::Warn { problem, fix })
    }

    fn skipped(service: &'static str, check: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(service, check, Outcome::Skipped { why: why.into() })
    }

    fn new(service: &'static str, check: impl Into<String>, outcome: Outcome) -> Self {
        Self {
            service,
            check: check.into(),
            outcome,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Fail { .. })
    }
}

/// What the checks read.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub secrets: &'a Secrets,
    pub targets: Targets,
    /// Send a trigger and its resolve to each PagerDuty routing key (opens and closes an
    /// incident: only when asked).
    pub send_test_events: bool,
}

/// Every check, in order: table, Datadog, Slack, PagerDuty.
pub async fn examine(inputs: &Inputs<'_>, store: Result<&Store, &StoreError>) -> Vec<Check> {
    let mut checks = vec![table(store).await];
    checks.extend(datadog::checks(inputs).await);
    checks.extend(slack::checks(inputs).await);
    checks.extend(pagerduty::checks(inputs).await);
    checks
}

async fn table(store: Result<&Store, &StoreError>) -> Check {
    const FIX: &str = "check MODELWATCH_TABLE, AWS credentials and region (or, locally, that `make local` is running)";
    let result = match store {
        Ok(store) => store.check_table().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok(()) => Check::pass(
            "DynamoDB",
            "alerts table",
            "reachable, with the expected keys",
        ),
        Err(e) => Check::fail("DynamoDB", "alerts table", e, FIX),
    }
}

/// The checks as a table for a terminal: one line each, the fix under a failure.
pub fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let (mark, text, fix) = match &c.outcome {
            Outcome::Pass { found } => ("ok  ", found.as_str(), None),
            Outcome::Warn { problem, fix } => ("warn", problem.as_str(), Some(fix)),
            Outcome::Fail { problem, fix } => ("FAIL", problem.as_str(), Some(fix)),
            Outcome::Skipped { why } => ("skip", why.as_str(), None),
        };
        out.push_str(&format!("{mark}  {:<10} {}: {text}\n", c.service, c.check));
        if let Some(fix) = fix {
            out.push_str(&format!("      {:<10} fix: {fix}\n", ""));
        }
    }
    let failed = checks.iter().filter(|c| c.failed()).count();
    let warned = checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Warn { .. }))
        .count();
    out.push_str(&format!(
        "\n{} checks: {} failed, {warned} with a warning\n",
        checks.len(),
        failed
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_with_its_fix_and_counts() {
        let checks = vec![
            Check::pass("Slack", "bot token", "team Acme as modelwatch"),
            Check::fail(
                "Datadog",
                "API key",
                "Datadog refused the API key",
                "copy a key",
            ),
        ];
        let text = render(&checks);
        assert!(
            text.contains("ok    Slack      bot token: team Acme as modelwatch"),
            "{text}"
        );
        assert!(
            text.contains("FAIL  Datadog    API key: Datadog refused the API key"),
            "{text}"
        );
        assert!(text.contains("fix: copy a key"), "{text}");
        assert!(
            text.contains("2 checks: 1 failed, 0 with a warning"),
            "{text}"
        );
        let json = serde_json::to_value(&checks[1]).unwrap();
        assert_eq!(json["outcome"], "fail");
        assert_eq!(json["fix"], "copy a key");
    }
}
