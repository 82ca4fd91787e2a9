//! A probe case's outcome as a `Signal`: a failing case whose alert is not firing opens
//! it (with the request, the answer and the failed check in the page's context), a
//! passing case whose alert fires recovers it; anything else changes nothing and sends
//! nothing. Ids derive from the case, the state and the run's instant, so a retried run
//! is a duplicate.

use crate::config::Config;
use crate::domain::{
    AlertContext, AlertKey, Breach, BreachState, Group, InvalidValue, Link, ModelRef, MonitorRef,
    Signal, SignalId, SignalKind, Source, Timestamp,
};
use crate::probe::outcome::clip;
use crate::probe::{Case, CaseOutcome, metrics, request};

/// How much of the request a page carries.
pub const REQUEST_CLIP: usize = 300;

/// The alert one case keeps: `probe:{case}`.
pub fn alert_key(case: &str) -> Result<AlertKey, InvalidValue> {
    AlertKey::new(format!("probe:{case}"))
}

/// The resolve of an open probe alert whose case the configuration no longer has (removed
/// or renamed): nothing probes it any more, so without this it would stay open,
/// renotifying and escalating, for ever. None for any other alert.
pub fn of_removed_case(
    config: &Config,
    alert: &crate::domain::Alert,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    let Some(case) = alert.key.as_str().strip_prefix("probe:") else {
        return Ok(None);
    };
    if config.probes.case(case).is_some() {
        return Ok(None);
    }
    Ok(Some(Signal {
        id: SignalId::new(format!("{}:removed:{}", alert.key, at.millis()))?,
        key: alert.key.clone(),
        at,
        source: Source::Prober,
        kind: SignalKind::Resolved {
            by: format!(
                "modelwatch: probe case {case:?} is no longer in the configuration, so nothing \
                 probes this alert any more"
            ),
            cycle: None,
        },
    }))
}

/// The monitor id a case's alerts carry (silences and links name it).
pub fn monitor_id(case: &str) -> String {
    format!("probe.{case}")
}

/// The signal `outcome` of `case` sends at `at`, given whether its alert fires now; `None`
/// when nothing changes (still passing, still failing, or not run).
pub fn signal(
    config: &Config,
    case: &Case,
    outcome: &CaseOutcome,
    firing: bool,
    at: Timestamp,
) -> Result<Option<Signal>, InvalidValue> {
    if !outcome.ran() || outcome.passed() != firing {
        return Ok(None);
    }
    let group = Group::new(
        &case.model,
        case.version.as_deref(),
        case.environment.as_deref(),
    );
    let monitor = monitor_id(&case.id);
    let context = context(
        case,
        outcome,
        &group,
        config.links(&monitor, &group).to_links(),
    )?;
    let (state, kind) = if outcome.passed() {
        ("ok", SignalKind::Recovered { context })
    } else {
        let policy = config.escalation_policy(&monitor, case.level, at);
        let breach = Breach {
            state: BreachState::Alert,
            level: case.level,
            first_breach_at: Some(at),
            context,
            policy,
        };
        (
            "alert",
            SignalKind::Breach {
                breach,
                repeat: false,
            },
        )
    };
    Ok(Some(Signal {
        id: SignalId::new(format!("probe:{}:{state}:{}", case.id, at.millis()))?,
        key: alert_key(&case.id)?,
        at,
        source: Source::Prober,
        kind,
    }))
}

/// What the page says: the failed checks, the request and the answer, clipped.
fn context(
    case: &Case,
    outcome: &CaseOutcome,
    group: &Group,
    links: Vec<Link>,
) -> Result<AlertContext, InvalidValue> {
    let mut tags = metrics::tags(outcome);
    let reason = if outcome.passed() {
        format!("probe {} passes every check again", case.id)
    } else {
        let failed: Vec<String> = outcome
            .failures()
            .map(|v| format!("{} failed: {}", v.check.as_str(), v.detail))
            .collect();
        let mut reason = failed.join("\n");
        reason.push_str(&format!(
            "\nRequest ({}): {}",
            case.endpoint,
            clip(&request::describe(case), REQUEST_CLIP)
        ));
        if let Some(answer) = &outcome.answer {
            reason.push_str(&format!("\nAnswer: {answer}"));
        }
        reason
    };
    if let Some(first) = outcome.first_failure() {
        tags.push(format!("check:{}", first.check.as_str()));
    }
    Ok(AlertContext {
        title: format!("Probe {} on {group}", case.id),
        model: Some(ModelRef::new(&case.model, case.version.as_deref())?),
        monitor: MonitorRef {
            id: monitor_id(&case.id),
            name: Some(format!("Probe {}", case.id)),
        },
        environment: case.environment.clone(),
        scope: Some(group.to_string()),
        metric: Some(metrics::PASS.to_owned()),
        value: Some(if outcome.passed() { 1.0 } else { 0.0 }),
        threshold: Some(1.0),
        reason: Some(reason),
        links,
        snapshot_url: None,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;
    use crate::probe::check::{CheckName, Verdict};

    fn config() -> Config {
        Config::parse(
            "t.yaml",
            "models:\n  - name: chat-large\n    team: chat\n    slack_channel: \"#chat\"\n    runbook: https://runbooks.example.com/{model}\n",
        )
        .unwrap()
    }

    /// The probe tests' case, on a version and environment (so the alert carries them).
    fn case() -> Case {
        Case {
            version: Some("v7".into()),
            environment: Some("prod".into()),
            ..crate::probe::testing::case()
        }
    }

    fn outcome(passed: bool) -> CaseOutcome {
        let mut o = CaseOutcome::skipped(&case(), "");
        o.skipped = None;
        o.answer = Some("London".into());
        o.verdicts = vec![Verdict {
            check: CheckName::Contains,
            passed,
            detail: "does not contain \"Paris\"".into(),
        }];
        o
    }

    const AT: Timestamp = Timestamp::from_secs(1_764_302_400);

    #[test]
    fn a_failing_case_opens_its_alert_with_the_request_answer_and_check() {
        let s = signal(&config(), &case(), &outcome(false), false, AT)
            .unwrap()
            .unwrap();
        assert_eq!(s.key.as_str(), "probe:capital");
        assert_eq!(s.id.as_str(), "probe:capital:alert:1764302400000");
        assert_eq!(s.source, Source::Prober);
        let SignalKind::Breach { breach, .. } = &s.kind else {
            panic!("{s:?}")
        };
        assert_eq!(breach.level, Level::L2);
        let reason = breach.context.reason.as_deref().unwrap();
        assert!(
            reason.starts_with("contains failed: does not contain \"Paris\""),
            "{reason}"
        );
        assert!(
            reason.contains("Request (chat): What is the capital of France?"),
            "{reason}"
        );
        assert!(reason.contains("Answer: London"), "{reason}");
        assert!(breach.context.tags.contains(&"check:contains".to_owned()));
        assert!(breach.context.tags.contains(&"model_version:v7".to_owned()));
        assert_eq!(
            breach.context.links[0].url,
            "https://runbooks.example.com/chat-large"
        );
    }

    #[test]
    fn only_a_change_sends_a_signal() {
        let c = config();
        assert_eq!(
            signal(&c, &case(), &outcome(false), true, AT).unwrap(),
            None
        );
        assert_eq!(
            signal(&c, &case(), &outcome(true), false, AT).unwrap(),
            None
        );
        let recovered = signal(&c, &case(), &outcome(true), true, AT)
            .unwrap()
            .unwrap();
        assert!(matches!(recovered.kind, SignalKind::Recovered { .. }));
        assert_eq!(recovered.id.as_str(), "probe:capital:ok:1764302400000");
        let skipped = CaseOutcome::skipped(&case(), "budget");
        assert_eq!(signal(&c, &case(), &skipped, true, AT).unwrap(), None);
    }
}
