//! Running cases: every case at once (up to the configured concurrency), each under its
//! own timeout and all within the run's budget, so a slow or failing endpoint holds up
//! only its own cases. The I/O edge of the probes: the bearer tokens are added here and
//! nowhere else, and never logged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::case::{Case, EndpointKind, Probes};
use super::outcome::{CaseOutcome, answer_of, evaluate, redacted};
use super::request;
use super::response::{Exchange, read};
use crate::http::{ClientError, Timeouts, build_client};
use crate::secret::Secret;
use crate::secrets::{Secrets, SecretsError};

/// The most of an answer read; the rest is not needed for any check.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;
/// What is kept back from the budget for the last cases to be written up.
const SKIP_MARGIN: Duration = Duration::from_millis(250);

/// How long `cases` take at most, `concurrency` at a time, when every one runs out its
/// timeout: each starts as soon as one of the slots is free (as the runner starts them).
pub fn worst_run(cases: &[Case], concurrency: usize) -> Duration {
    let mut slots = vec![Duration::ZERO; concurrency.max(1)];
    for case in cases {
        if let Some(first_free) = slots.iter_mut().min() {
            *first_free += case.timeout;
        }
    }
    slots.into_iter().max().unwrap_or_default()
}

/// Whether `case` alone would get its whole timeout in a run with `left` of its budget.
pub fn whole_wait_fits(case: &Case, left: Duration) -> bool {
    case.timeout + SKIP_MARGIN <= left
}

/// The positions of the `cases`, in order, that would each get their whole timeout in a
/// run with `left` of its budget, `concurrency` at a time, even if every one before them
/// ran out its own: a case that would start too late to is left out, not cut short. The
/// runner starts cases in this order: its tasks are spawned in order on the function's
/// one thread, and the semaphore hands out its permits first come, first served.
pub fn with_whole_waits(cases: &[&Case], concurrency: usize, left: Duration) -> Vec<usize> {
    let mut slots = vec![Duration::ZERO; concurrency.max(1)];
    let mut fit = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let Some(first_free) = slots.iter_mut().min() else {
            break;
        };
        if *first_free + case.timeout + SKIP_MARGIN <= left {
            *first_free += case.timeout;
            fit.push(i);
        }
    }
    fit
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Secret(#[from] SecretsError),
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Runs cases against their endpoints with the endpoints' tokens.
#[derive(Debug, Clone)]
pub struct Runner {
    http: reqwest::Client,
    /// Bearer tokens by endpoint name.
    tokens: Arc<BTreeMap<String, Secret>>,
}

impl Runner {
    /// A runner for `probes`, with every endpoint's token read from `secrets`.
    pub fn new(probes: &Probes, secrets: &Secrets) -> Result<Self, RunnerError> {
        let mut tokens = BTreeMap::new();
        for endpoint in probes.endpoints.values() {
            if let Some(entry) = &endpoint.secret {
                tokens.insert(endpoint.name.clone(), secrets.require(entry)?.clone());
            }
        }
        // Each case has its own timeout; this one only bounds what nothing else does.
        let http = build_client(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(120),
        })?;
        Ok(Self {
            http,
            tokens: Arc::new(tokens),
        })
    }

    /// Runs `cases` (of `probes`) within the budget; one outcome per case, in order. A case
    /// whose wait the budget cut to less than half its own timeout, and that ran out of it,
    /// is skipped rather than failed.
    pub async fn run(&self, probes: &Probes, cases: &[&Case]) -> Vec<CaseOutcome> {
        self.run_within(probes, cases, 2).await
    }

    /// `run`, for cases run a second time in what is left of a budget (`validate` fitted
    /// their timeouts in the whole of it): one whose wait was cut at all, and that ran out
    /// of it, is skipped; the next run tries it in full.
    pub async fn run_again(&self, probes: &Probes, cases: &[&Case]) -> Vec<CaseOutcome> {
        self.run_within(probes, cases, 1).await
    }

    /// A wait cut below `case.timeout / cut_below` that runs out skips the case.
    async fn run_within(
        &self,
        probes: &Probes,
        cases: &[&Case],
        cut_below: u32,
    ) -> Vec<CaseOutcome> {
        let deadline = Instant::now() + probes.budget;
        let permits = Arc::new(Semaphore::new(probes.concurrency.max(1)));
        let probes = Arc::new(probes.clone());
        let mut tasks = JoinSet::new();
        for (index, case) in cases.iter().enumerate() {
            let case = (*case).clone();
            let (runner, probes, permits) = (self.clone(), probes.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let left = deadline.saturating_duration_since(Instant::now());
                let outcome = if left <= SKIP_MARGIN {
                    tracing::warn!(case = %case.id, "probe case skipped: the run's time budget was spent");
                    CaseOutcome::skipped(&case, "the run's time budget was spent")
                } else {
                    let cut = case.timeout / cut_below;
                    runner
                        .one(&probes, &case, case.timeout.min(left - SKIP_MARGIN), cut)
                        .await
                };
                (index, outcome)
            });
        }
        let mut outcomes: Vec<Option<CaseOutcome>> = vec![None; cases.len()];
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((index, outcome)) => outcomes[index] = Some(outcome),
                Err(e) => tracing::error!(error = %e, "probe task failed"),
            }
        }
        outcomes
            .into_iter()
            .zip(cases)
            .map(|(o, case)| {
                o.unwrap_or_else(|| CaseOutcome::skipped(case, "the case's task failed"))
            })
            .collect()
    }

    /// One case: its request, then the judge when it has one, all within `timeout`; the
    /// case is skipped when `timeout` is below `cut` and the request ran out of it.
    async fn one(
        &self,
        probes: &Probes,
        case: &Case,
        timeout: Duration,
        cut: Duration,
    ) -> CaseOutcome {
        let started = Instant::now();
        let Some(endpoint) = probes.endpoints.get(&case.endpoint) else {
            let exchange = Exchange::Failed {
                error: format!("no endpoint {:?}", case.endpoint),
            };
            return evaluate(case, probes, &exchange, None, &[]);
        };
        let exchange = self
            .exchange(
                &endpoint.request_url(),
                &case.endpoint,
                &request::body(case),
                timeout,
            )
            .await;
        // The budget, not the endpoint, cut this wait below `cut`: a failure it might not
        // have had in its own timeout must not page. (In a first run, `validate` fits
        // every case's timeout in the budget, so this takes a late start; a wait cut by
        // the margin alone still fails, or a hung endpoint would never page.)
        let cut_short = |failed: bool| timeout < cut && failed && started.elapsed() >= timeout;
        if cut_short(matches!(exchange, Exchange::Failed { .. })) {
            return skipped_for_budget(case, timeout);
        }
        let redact: Vec<&str> = self.tokens.values().map(Secret::expose).collect();
        let judge = match (&case.checks.judge, answer_of(case, probes, &exchange)) {
            (Some(judge), Some(answer)) => {
                let left = timeout.saturating_sub(started.elapsed());
                // An endpoint that echoed a token must not hand it to the judge, which may
                // be another service.
                let answer = redacted(&answer.text, &redact);
                Some(self.judge(probes, judge, case, &answer, left).await)
            }
            // No judge, or no answer to judge (the case failed before it).
            _ => None,
        };
        // The judge shares the case's wait: one the budget cut short is no verdict either.
        if cut_short(matches!(judge, Some(Err(_)))) {
            return skipped_for_budget(case, timeout);
        }
        let outcome = evaluate(case, probes, &exchange, judge, &redact);
        tracing::info!(
            case = %case.id,
            model = %case.model,
            endpoint = %case.endpoint,
            passed = outcome.passed(),
            failed = outcome.first_failure().map(|v| v.check.as_str()).unwrap_or(""),
            latency_ms = outcome.latency_ms.unwrap_or(0),
            "probe case"
        );
        outcome
    }

    async fn judge(
        &self,
        probes: &Probes,
        judge: &super::case::Judge,
        case: &Case,
        answer: &str,
        timeout: Duration,
    ) -> Result<f64, String> {
        let endpoint = probes
            .endpoints
            .get(&judge.endpoint)
            .ok_or_else(|| format!("no endpoint {:?}", judge.endpoint))?;
        let body = request::judge_body(judge, case, answer);
        match self
            .exchange(&endpoint.request_url(), &endpoint.name, &body, timeout)
            .await
        {
            Exchange::Failed { error } => Err(format!("the judge did not answer: {error}")),
            Exchange::Answered {
                status: 200, body, ..
            } => {
                let (reply, _) = read(EndpointKind::OpenAi, None, &body)?;
                request::judge_score(&reply.text)
            }
            Exchange::Answered { status, .. } => Err(format!("the judge answered HTTP {status}")),
        }
    }

    /// One POST of `body` to `url` with `endpoint`'s token, under `timeout`.
    async fn exchange(
        &self,
        url: &str,
        endpoint: &str,
        body: &Value,
        timeout: Duration,
    ) -> Exchange {
        let started = Instant::now();
        let mut request = self.http.post(url).json(body);
        if let Some(token) = self.tokens.get(endpoint) {
            request = request.bearer_auth(token.expose());
        }
        let answered = tokio::time::timeout(timeout, async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() >= MAX_ANSWER_BYTES {
                    bytes.truncate(MAX_ANSWER_BYTES);
                    break;
                }
            }
            Ok::<_, reqwest::Error>((status, bytes))
        })
        .await;
        match answered {
            Err(_) => Exchange::Failed {
                error: format!("no answer within {} ms", timeout.as_millis()),
            },
            Ok(Err(e)) => Exchange::Failed {
                error: transport_error(&e),
            },
            Ok(Ok((status, body))) => Exchange::Answered {
                status,
                latency: started.elapsed(),
                body,
            },
        }
    }
}

/// A case whose wait the run's budget cut, and that ran out of it: skipped, not failed.
fn skipped_for_budget(case: &Case, waited: Duration) -> CaseOutcome {
    tracing::warn!(case = %case.id, waited_ms = waited.as_millis() as u64, "probe case skipped: the run's time budget ran out before its own timeout");
    CaseOutcome::skipped(case, "the run's time budget ran out before its own timeout")
}

/// A transport failure in words, without the URL's query (which may carry a key).
fn transport_error(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    match e.url() {
        Some(url) => format!(
            "{what}: {}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testing::case;

    fn timed(ms: u64) -> Case {
        Case {
            timeout: Duration::from_millis(ms),
            ..case()
        }
    }

    #[test]
    fn only_cases_that_would_start_in_time_for_their_whole_timeout_fit() {
        let (long, short) = (timed(10_000), timed(2_000));
        let cases = [&long, &long, &long, &short];
        let secs = Duration::from_secs;
        // Two at a time: the third long case starts at 10 s, the short one at 10 s too.
        assert_eq!(with_whole_waits(&cases, 2, secs(25)), [0, 1, 2, 3]);
        // 15 s: no room for a third long wait; the short one still fits after a long one.
        assert_eq!(with_whole_waits(&cases, 2, secs(15)), [0, 1, 3]);
        // The margin counts: exactly 10 s is not a whole 10 s wait.
        assert_eq!(with_whole_waits(&cases, 4, secs(10)), [3]);
        assert_eq!(worst_run(&[long.clone(), long, short], 2), secs(12));
    }
}
