//! A run's outcomes as metric points, pure: pass/fail, latency, tokens and the judge's
//! score per case, and a count per failed check, tagged by model, version, environment,
//! endpoint and case. (The prober sends them as Datadog series; this module knows no API.)

use std::collections::BTreeMap;

use super::check::CheckName;
use super::outcome::{CaseOutcome, failed_names};
use crate::domain::Timestamp;

/// How a point is aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Count,
    Gauge,
}

/// One point of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub metric: String,
    pub kind: MetricType,
    pub at: Timestamp,
    pub value: f64,
    pub tags: Vec<String>,
}

pub const PASS: &str = "modelwatch.probe.pass";
pub const LATENCY_MS: &str = "modelwatch.probe.latency_ms";
pub const PROMPT_TOKENS: &str = "modelwatch.probe.tokens.prompt";
pub const COMPLETION_TOKENS: &str = "modelwatch.probe.tokens.completion";
pub const JUDGE_SCORE: &str = "modelwatch.probe.judge_score";
pub const FAILED_CHECKS: &str = "modelwatch.probe.failed_checks";
/// The earlier tries of the run that failed and were tried again, counted by their first
/// failed check and tagged `retry_result:passed` (a blip the retry kept from paging) or
/// `retry_result:failed` (the failure stood).
pub const RETRIED: &str = "modelwatch.probe.retried";

/// The tags every point of `outcome` carries.
pub fn tags(outcome: &CaseOutcome) -> Vec<String> {
    let mut tags = vec![
        format!("model:{}", outcome.model),
        format!("case:{}", outcome.case),
        format!("endpoint:{}", outcome.endpoint),
    ];
    if let Some(v) = &outcome.version {
        tags.push(format!("model_version:{v}"));
    }
    if let Some(e) = &outcome.environment {
        tags.push(format!("env:{e}"));
    }
    tags
}

/// The points of every case that ran (a skipped case reports nothing, so it reads as
/// missing data rather than a pass or a failure).
pub fn points(outcomes: &[CaseOutcome], at: Timestamp) -> Vec<Point> {
    let mut out = Vec::new();
    for o in outcomes.iter().filter(|o| o.ran()) {
        let tags = tags(o);
        let mut gauge = |metric: &str, value: f64| {
            out.push(Point {
                metric: metric.to_owned(),
                kind: MetricType::Gauge,
                at,
                value,
                tags: tags.clone(),
            });
        };
        gauge(PASS, if o.passed() { 1.0 } else { 0.0 });
        if let Some(ms) = o.latency_ms {
            gauge(LATENCY_MS, ms as f64);
        }
        if let Some(n) = o.usage.and_then(|u| u.prompt) {
            gauge(PROMPT_TOKENS, n as f64);
        }
        if let Some(n) = o.usage.and_then(|u| u.completion) {
            gauge(COMPLETION_TOKENS, n as f64);
        }
        if let Some(s) = o.judge_score {
            gauge(JUDGE_SCORE, s);
        }
        let mut count = |metric: &str, check: CheckName, value: f64, extra: Option<&str>| {
            let mut tags = tags.clone();
            tags.push(format!("check:{}", check.as_str()));
            tags.extend(extra.map(str::to_owned));
            out.push(Point {
                metric: metric.to_owned(),
                kind: MetricType::Count,
                at,
                value,
                tags,
            });
        };
        for check in failed_names(o) {
            count(FAILED_CHECKS, check, 1.0, None);
        }
        // One point per check: Datadog keeps one value per series and instant.
        let mut retried: BTreeMap<CheckName, u32> = BTreeMap::new();
        for &check in &o.retried_after {
            *retried.entry(check).or_default() += 1;
        }
        let result = if o.passed() {
            "retry_result:passed"
        } else {
            "retry_result:failed"
        };
        for (check, n) in retried {
            count(RETRIED, check, f64::from(n), Some(result));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::check::{CheckName, Verdict};
    use crate::probe::response::Usage;
    use crate::probe::testing::case;

    fn outcome(passed: bool) -> CaseOutcome {
        let mut o = CaseOutcome::skipped(&case(), "");
        o.skipped = None;
        o.version = Some("v7".into());
        o.environment = Some("prod".into());
        o.latency_ms = Some(250);
        o.usage = Some(Usage {
            prompt: Some(10),
            completion: Some(3),
            total: Some(13),
        });
        o.verdicts = vec![Verdict {
            check: CheckName::Contains,
            passed,
            detail: String::new(),
        }];
        o
    }

    #[test]
    fn a_passing_case_reports_pass_latency_and_tokens_tagged_by_model_and_case() {
        let at = Timestamp::from_secs(1_764_302_400);
        let points = points(&[outcome(true)], at);
        let names: Vec<&str> = points.iter().map(|p| p.metric.as_str()).collect();
        assert_eq!(names, [PASS, LATENCY_MS, PROMPT_TOKENS, COMPLETION_TOKENS]);
        assert_eq!(points[0].value, 1.0);
        assert_eq!(
            points[0].tags,
            [
                "model:chat-large",
                "case:capital",
                "endpoint:chat",
                "model_version:v7",
                "env:prod"
            ]
        );
        assert!(points.iter().all(|p| p.at == at));
    }

    #[test]
    fn a_failing_case_counts_its_failed_check() {
        let points = points(&[outcome(false)], Timestamp::from_secs(0));
        assert_eq!(points[0].value, 0.0);
        let failed = points.last().unwrap();
        assert_eq!(failed.metric, FAILED_CHECKS);
        assert_eq!(failed.kind, MetricType::Count);
        assert!(failed.tags.contains(&"check:contains".to_owned()));
    }

    #[test]
    fn each_try_a_retry_followed_counts_under_its_first_failed_check() {
        let mut passed_on_retry = outcome(true);
        passed_on_retry.retried_after =
            vec![CheckName::Status, CheckName::Request, CheckName::Status];
        let sent = points(&[passed_on_retry], Timestamp::from_secs(0));
        let retried: Vec<_> = sent.iter().filter(|p| p.metric == RETRIED).collect();
        let counted: Vec<(f64, &str)> = retried
            .iter()
            .map(|p| (p.value, p.tags[p.tags.len() - 2].as_str()))
            .collect();
        assert_eq!(counted, [(1.0, "check:request"), (2.0, "check:status")]);
        assert!(retried.iter().all(|p| p.kind == MetricType::Count
            && p.tags.last().map(String::as_str) == Some("retry_result:passed")));
        assert!(sent.iter().all(|p| p.metric != FAILED_CHECKS), "it passed");

        let mut failed_again = outcome(false);
        failed_again.retried_after = vec![CheckName::Contains];
        let sent = points(&[failed_again], Timestamp::from_secs(0));
        let retried = sent.iter().find(|p| p.metric == RETRIED).unwrap();
        assert!(retried.tags.contains(&"retry_result:failed".to_owned()));
    }

    #[test]
    fn a_skipped_case_reports_nothing() {
        let skipped = CaseOutcome::skipped(&case(), "budget");
        assert!(points(&[skipped], Timestamp::from_secs(0)).is_empty());
    }
}
