//! One case's result in a run: its verdicts and what a page, a table and a metric need
//! (status, latency, tokens, the answer clipped). Pure.

use serde::Serialize;

use super::case::{Case, Probes};
use super::check::{CheckName, Observed, Verdict, verdicts};
use super::response::{Answer, Exchange, Usage, read};

/// How much of an answer a page or a table carries.
pub const ANSWER_CLIP: usize = 600;

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseOutcome {
    pub case: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge_score: Option<f64>,
    pub verdicts: Vec<Verdict>,
    /// The answer, clipped (or the body that could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Why the case did not run (the run's time budget was spent); no verdicts then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// When the case was tried again in its run (`probes.retries`): the first failed check
    /// of each earlier try, oldest first. Empty for a first try.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retried_after: Vec<CheckName>,
}

impl CaseOutcome {
    /// Ran, and every check passed.
    pub fn passed(&self) -> bool {
        self.skipped.is_none() && self.verdicts.iter().all(|v| v.passed)
    }

    pub fn ran(&self) -> bool {
        self.skipped.is_none()
    }

    /// Ran, and some check failed.
    pub fn failed(&self) -> bool {
        self.ran() && !self.passed()
    }

    pub fn failures(&self) -> impl Iterator<Item = &Verdict> {
        self.verdicts.iter().filter(|v| !v.passed)
    }

    /// The first failed check, as a page leads with it.
    pub fn first_failure(&self) -> Option<&Verdict> {
        self.failures().next()
    }

    /// A case the run had no time left for.
    pub fn skipped(case: &Case, why: &str) -> Self {
        Self {
            skipped: Some(why.to_owned()),
            ..Self::blank(case)
        }
    }

    fn blank(case: &Case) -> Self {
        Self {
            case: case.id.clone(),
            model: case.model.clone(),
            version: case.version.clone(),
            environment: case.environment.clone(),
            endpoint: case.endpoint.clone(),
            status: None,
            latency_ms: None,
            usage: None,
            judge_score: None,
            verdicts: Vec::new(),
            answer: None,
            skipped: None,
            retried_after: Vec::new(),
        }
    }
}

/// The answer an exchange carries, read, for the judge to score: `None` when the case's
/// own checks already failed before the answer (no answer, a wrong status).
pub fn answer_of(case: &Case, probes: &Probes, exchange: &Exchange) -> Option<Answer> {
    let Exchange::Answered { status, body, .. } = exchange else {
        return None;
    };
    if *status != case.checks.status {
        return None;
    }
    let kind = probes.endpoints.get(&case.endpoint)?.kind;
    read(kind, case.answer.as_deref(), body)
        .ok()
        .map(|(a, _)| a)
}

/// The outcome of `case` from its exchange and, when it has a judge, the judge's score.
/// `redact` are the secret values that must never be carried (an endpoint echoing its
/// token): each is replaced in the answer before it is clipped.
pub fn evaluate(
    case: &Case,
    probes: &Probes,
    exchange: &Exchange,
    judge: Option<Result<f64, String>>,
    redact: &[&str],
) -> CaseOutcome {
    let mut out = CaseOutcome::blank(case);
    let kind = probes.endpoints.get(&case.endpoint).map(|e| e.kind);
    match exchange {
        Exchange::Failed { error } => {
            out.verdicts = verdicts(case, &Observed::Failed { error });
        }
        Exchange::Answered {
            status,
            latency,
            body,
        } => {
            let read = match kind {
                Some(kind) => read(kind, case.answer.as_deref(), body),
                None => Err(format!("no endpoint {:?}", case.endpoint)),
            };
            let (answer, usage) = match &read {
                Ok((a, u)) => (Ok(a), *u),
                Err(e) => (Err(e.as_str()), None),
            };
            out.status = Some(*status);
            out.latency_ms = Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
            out.usage = usage;
            out.judge_score = judge.as_ref().and_then(|j| j.as_ref().ok().copied());
            let judge = judge
                .as_ref()
                .map(|j| j.as_ref().map(|s| *s).map_err(String::as_str));
            out.verdicts = verdicts(
                case,
                &Observed::Answered {
                    status: *status,
                    latency: *latency,
                    answer,
                    usage,
                    judge,
                },
            );
            let shown = match &read {
                Ok((a, _)) => a.text.clone(),
                Err(_) => String::from_utf8_lossy(body).into_owned(),
            };
            out.answer = Some(clip(&redacted(&shown, redact), ANSWER_CLIP));
        }
    }
    for v in &mut out.verdicts {
        v.detail = redacted(&v.detail, redact);
    }
    out
}

/// `text` with every `secret` (of 4 bytes or more) in it replaced, and the start of one
/// that `clip` cut off before its `…`: an error quotes a body clipped before it is redacted.
pub fn redacted(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_owned(), |t, s| {
            without_cut_start(&t.replace(s, "[redacted]"), s)
        })
}

/// `text` with the start of `secret` (4 bytes or more of it) that ends right before a `…`
/// replaced.
fn without_cut_start(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('…') {
        let before = &rest[..at];
        let start = (4..secret.len())
            .rev()
            .filter_map(|k| secret.get(..k))
            .find(|prefix| before.ends_with(prefix))
            .map_or(before.len(), |prefix| before.len() - prefix.len());
        out.push_str(&before[..start]);
        if start < before.len() {
            out.push_str("[redacted]");
        }
        out.push('…');
        rest = &rest[at + '…'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// At most `max` characters of `text`, marked with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The failed checks of an outcome, by name (`contains, latency`).
pub fn failed_names(outcome: &CaseOutcome) -> Vec<CheckName> {
    let mut names: Vec<CheckName> = outcome.failures().map(|v| v.check).collect();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::probe::testing::{case, probes};

    fn chat(content: &str) -> Exchange {
        Exchange::Answered {
            status: 200,
            latency: Duration::from_millis(120),
            body: json!({"choices": [{"message": {"content": content}}],
                         "usage": {"prompt_tokens": 9, "completion_tokens": 2}})
            .to_string()
            .into_bytes(),
        }
    }

    #[test]
    fn an_answer_is_read_checked_and_kept_clipped() {
        let mut c = case();
        c.checks.contains = vec!["Paris".into()];
        let out = evaluate(&c, &probes(), &chat(&"Paris ".repeat(200)), None, &[]);
        assert!(out.passed());
        assert_eq!(out.latency_ms, Some(120));
        assert_eq!(out.usage.unwrap().total, Some(11));
        let answer = out.answer.unwrap();
        assert_eq!(answer.chars().count(), ANSWER_CLIP);
        assert!(answer.ends_with('…'));
    }

    #[test]
    fn a_token_cut_by_a_clip_is_redacted_as_far_as_it_shows() {
        let token = "sk-live-0123456789abcdef";
        let body = format!("{{\"error\": \"bad key {token} given\"}}");
        for max in 20..body.len() {
            let quoted = format!("not JSON: {}", clip(&body, max));
            let shown = redacted(&quoted, &[token]);
            for k in 4..=token.len() {
                assert!(!shown.contains(&token[..k]), "{max}: {shown}");
            }
        }
        assert_eq!(redacted("a…b", &[token]), "a…b");
        assert_eq!(redacted("key sk-l…", &[token]), "key [redacted]…");
    }

    #[test]
    fn a_token_echoed_by_the_endpoint_is_redacted() {
        let mut c = case();
        c.checks.contains = vec!["Paris".into()];
        let out = evaluate(
            &c,
            &probes(),
            &chat("my key is sk-live-123456"),
            None,
            &["sk-live-123456"],
        );
        assert!(!out.passed());
        assert_eq!(out.answer.as_deref(), Some("my key is [redacted]"));
    }

    #[test]
    fn an_unreadable_body_is_shown_as_it_came() {
        let exchange = Exchange::Answered {
            status: 200,
            latency: Duration::ZERO,
            body: b"{\"choices\": [".to_vec(),
        };
        let out = evaluate(&case(), &probes(), &exchange, None, &[]);
        assert_eq!(failed_names(&out), [CheckName::Answer]);
        assert_eq!(out.answer.as_deref(), Some("{\"choices\": ["));
    }

    #[test]
    fn a_skipped_case_neither_passes_nor_fails() {
        let out = CaseOutcome::skipped(&case(), "the run's time budget was spent");
        assert!(!out.passed() && !out.ran());
        assert_eq!(out.first_failure(), None);
    }
}
