//! The checks, pure: a case and what its endpoint answered in, one verdict per check out.

use std::time::Duration;

use serde::Serialize;

use super::case::{Case, Checks, TokenLimits};
use super::response::{Answer, Usage};

/// Which check a verdict is about (as metrics tag and pages name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The endpoint answered at all, within the case's timeout.
    Request,
    Status,
    Latency,
    /// The answer could be read (JSON, with the content where expected).
    Answer,
    /// The model finished its answer: not cut off at the server's token limit or by a
    /// content filter (a chat completion's `finish_reason`).
    Finished,
    Contains,
    NotContains,
    Matches,
    Equals,
    JsonSchema,
    Tokens,
    Judge,
}

impl CheckName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Status => "status",
            Self::Latency => "latency",
            Self::Answer => "answer",
            Self::Finished => "finished",
            Self::Contains => "contains",
            Self::NotContains => "not_contains",
            Self::Matches => "matches",
            Self::Equals => "equals",
            Self::JsonSchema => "json_schema",
            Self::Tokens => "tokens",
            Self::Judge => "judge",
        }
    }
}

/// One check's result, with what was found when it failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub check: CheckName,
    pub passed: bool,
    pub detail: String,
}

fn verdict(check: CheckName, passed: bool, detail: impl Into<String>) -> Verdict {
    Verdict {
        check,
        passed,
        detail: detail.into(),
    }
}

/// What a run observed for one case, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<'a> {
    /// No answer (refused, reset, timed out).
    Failed { error: &'a str },
    Answered {
        status: u16,
        latency: Duration,
        /// The answer, or why it could not be read.
        answer: Result<&'a Answer, &'a str>,
        usage: Option<Usage>,
        /// The judge's score, or why there is none; `None` when the case has no judge.
        judge: Option<Result<f64, &'a str>>,
    },
}

/// The verdicts of `case`'s checks on `observed`. A failed request or an unexpected status
/// ends the list there: the answer's checks would only repeat it.
pub fn verdicts(case: &Case, observed: &Observed<'_>) -> Vec<Verdict> {
    let checks = &case.checks;
    let (status, latency, answer, usage, judge) = match observed {
        Observed::Failed { error } => {
            return vec![verdict(CheckName::Request, false, *error)];
        }
        Observed::Answered {
            status,
            latency,
            answer,
            usage,
            judge,
        } => (*status, *latency, answer, usage, judge),
    };
    let mut out = Vec::new();
    if let Some(limit) = checks.latency {
        out.push(verdict(
            CheckName::Latency,
            latency <= limit,
            format!(
                "answered in {} ms (limit {} ms)",
                latency.as_millis(),
                limit.as_millis()
            ),
        ));
    }
    let status_ok = status == checks.status;
    out.push(verdict(
        CheckName::Status,
        status_ok,
        format!("HTTP {status} (expected {})", checks.status),
    ));
    if !status_ok {
        return out;
    }
    let answer = match answer {
        Ok(a) => *a,
        Err(why) => {
            out.push(verdict(CheckName::Answer, false, *why));
            return out;
        }
    };
    if let Some(reason) = &answer.finish_reason {
        out.push(finished(reason, checks.finish_reasons.as_deref()));
    }
    text_checks(checks, answer, &mut out);
    if let Some(schema) = &checks.json_schema {
        out.push(match &answer.json {
            None => verdict(CheckName::JsonSchema, false, "the answer is not JSON"),
            Some(json) => {
                let errors = schema.validate(json);
                verdict(
                    CheckName::JsonSchema,
                    errors.is_empty(),
                    if errors.is_empty() {
                        "valid against the schema".to_owned()
                    } else {
                        errors.join("; ")
                    },
                )
            }
        });
    }
    if checks.tokens.any() {
        out.push(tokens(&checks.tokens, usage.as_ref()));
    }
    if let (Some(j), Some(score)) = (&checks.judge, judge) {
        out.push(match score {
            Ok(s) => verdict(
                CheckName::Judge,
                *s >= j.min_score,
                format!("judge scored {s:.2} (at least {:.2})", j.min_score),
            ),
            Err(why) => verdict(CheckName::Judge, false, format!("no score: {why}")),
        });
    }
    out
}

/// A chat completion's end, against the reasons the case accepts (`accepted`), or by
/// default any but a cut-off: `length` is the server's token limit reached, which a model
/// stuck repeating itself also reaches (the request sets no limit of its own), and its
/// answer is cut off whatever the other checks find in it; `content_filter` withheld part
/// of it. Any other reason (`stop`, a tool call, a server's own) is a finished answer.
fn finished(reason: &str, accepted: Option<&[String]>) -> Verdict {
    let passed = match accepted {
        Some(reasons) => reasons.iter().any(|r| r == reason),
        None => !matches!(reason, "length" | "content_filter"),
    };
    let detail = match (reason, passed) {
        ("length" | "content_filter", true) => {
            format!("ended with finish_reason {reason:?}, which the case accepts")
        }
        (_, true) => format!("finished (finish_reason {reason:?})"),
        ("length", false) => format!(
            "cut off at the server's token limit (finish_reason {reason:?}): the model may be looping"
        ),
        ("content_filter", false) => {
            format!("cut short by a content filter (finish_reason {reason:?})")
        }
        (_, false) => format!(
            "ended with finish_reason {reason:?}: expected one of {}",
            accepted.unwrap_or_default().join(", ")
        ),
    };
    verdict(CheckName::Finished, passed, detail)
}

fn text_checks(checks: &Checks, answer: &Answer, out: &mut Vec<Verdict>) {
    let text = answer.text.as_str();
    for needle in &checks.contains {
        let found = text.contains(needle.as_str());
        out.push(verdict(
            CheckName::Contains,
            found,
            format!(
                "{} {needle:?}",
                if found {
                    "contains"
                } else {
                    "does not contain"
                }
            ),
        ));
    }
    for needle in &checks.not_contains {
        let found = text.contains(needle.as_str());
        out.push(verdict(
            CheckName::NotContains,
            !found,
            format!(
                "{} {needle:?}",
                if found {
                    "contains"
                } else {
                    "does not contain"
                }
            ),
        ));
    }
    if let Some(p) = &checks.matches {
        let ok = p.is_match(text);
        out.push(verdict(
            CheckName::Matches,
            ok,
            format!(
                "{} /{}/",
                if ok { "matches" } else { "does not match" },
                p.as_str()
            ),
        ));
    }
    if let Some(expected) = &checks.equals {
        let ok = text.trim() == expected.trim();
        out.push(verdict(
            CheckName::Equals,
            ok,
            if ok {
                format!("equals {expected:?}")
            } else {
                format!("expected {expected:?}")
            },
        ));
    }
}

fn tokens(limits: &TokenLimits, usage: Option<&Usage>) -> Verdict {
    let Some(usage) = usage else {
        return verdict(
            CheckName::Tokens,
            false,
            "the answer reports no token usage",
        );
    };
    let mut over = Vec::new();
    let mut seen = Vec::new();
    for (name, limit, count) in [
        ("prompt", limits.prompt, usage.prompt),
        ("completion", limits.completion, usage.completion),
        ("total", limits.total, usage.total),
    ] {
        let Some(limit) = limit else { continue };
        match count {
            Some(n) if n <= limit => seen.push(format!("{name} {n} ≤ {limit}")),
            Some(n) => over.push(format!("{name} {n} > {limit}")),
            None => over.push(format!("{name} tokens not reported")),
        }
    }
    if over.is_empty() {
        verdict(CheckName::Tokens, true, seen.join(", "))
    } else {
        verdict(CheckName::Tokens, false, over.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::probe::case::{Judge, Pattern};
    use crate::probe::schema::JsonSchema;
    use crate::probe::testing::case;

    fn answer(text: &str) -> Answer {
        Answer {
            text: text.to_owned(),
            json: serde_json::from_str(text).ok(),
            finish_reason: None,
        }
    }

    fn answered<'a>(a: &'a Answer, usage: Option<Usage>) -> Observed<'a> {
        Observed::Answered {
            status: 200,
            latency: Duration::from_millis(300),
            answer: Ok(a),
            usage,
            judge: None,
        }
    }

    fn failed(v: &[Verdict]) -> Vec<CheckName> {
        v.iter().filter(|v| !v.passed).map(|v| v.check).collect()
    }

    #[test]
    fn no_answer_fails_the_request_check_only() {
        let v = verdicts(
            &case(),
            &Observed::Failed {
                error: "no answer within 5 s",
            },
        );
        assert_eq!(failed(&v), [CheckName::Request]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].detail, "no answer within 5 s");
    }

    #[test]
    fn an_unexpected_status_stops_before_the_answers_checks() {
        let mut c = case();
        c.checks.contains = vec!["Paris".into()];
        let a = answer("oops");
        let v = verdicts(
            &c,
            &Observed::Answered {
                status: 503,
                latency: Duration::from_millis(10),
                answer: Ok(&a),
                usage: None,
                judge: None,
            },
        );
        assert_eq!(failed(&v), [CheckName::Status]);
        assert_eq!(v.last().unwrap().detail, "HTTP 503 (expected 200)");
    }

    #[test]
    fn a_slow_answer_fails_the_latency_limit() {
        let mut c = case();
        c.checks.latency = Some(Duration::from_millis(200));
        let a = answer("Paris");
        let v = verdicts(&c, &answered(&a, None));
        assert_eq!(failed(&v), [CheckName::Latency]);
        assert_eq!(v[0].detail, "answered in 300 ms (limit 200 ms)");
    }

    #[test]
    fn an_answer_cut_off_at_the_token_limit_fails_though_it_contains_the_text() {
        let mut c = case();
        c.checks.contains = vec!["Paris".into()];
        let mut a = answer("Paris is the capital. Paris is the capital. Paris is");
        a.finish_reason = Some("length".into());
        let v = verdicts(&c, &answered(&a, None));
        assert_eq!(failed(&v), [CheckName::Finished]);
        let cut = v.iter().find(|v| v.check == CheckName::Finished).unwrap();
        assert_eq!(
            cut.detail,
            "cut off at the server's token limit (finish_reason \"length\"): the model may be looping"
        );
        a.finish_reason = Some("content_filter".into());
        assert_eq!(
            failed(&verdicts(&c, &answered(&a, None))),
            [CheckName::Finished]
        );
        for reason in ["stop", "tool_calls", "eos"] {
            a.finish_reason = Some(reason.into());
            let v = verdicts(&c, &answered(&a, None));
            assert!(failed(&v).is_empty(), "{reason}: {v:?}");
            assert!(v.iter().any(|v| v.check == CheckName::Finished), "{reason}");
        }
        a.finish_reason = None;
        let v = verdicts(&c, &answered(&a, None));
        assert!(
            v.iter().all(|v| v.check != CheckName::Finished),
            "no verdict when the answer gives no reason"
        );

        // A case that lists the reasons it accepts: a server whose default limit is short.
        c.checks.finish_reasons = Some(vec!["stop".into(), "length".into()]);
        a.finish_reason = Some("length".into());
        let v = verdicts(&c, &answered(&a, None));
        assert!(failed(&v).is_empty(), "{v:?}");
        a.finish_reason = Some("tool_calls".into());
        let v = verdicts(&c, &answered(&a, None));
        assert_eq!(failed(&v), [CheckName::Finished]);
        assert_eq!(
            v.iter().find(|v| !v.passed).unwrap().detail,
            "ended with finish_reason \"tool_calls\": expected one of stop, length"
        );
    }

    #[test]
    fn an_unreadable_answer_fails_the_answer_check() {
        let v = verdicts(
            &case(),
            &Observed::Answered {
                status: 200,
                latency: Duration::ZERO,
                answer: Err("the answer is not JSON"),
                usage: None,
                judge: None,
            },
        );
        assert_eq!(failed(&v), [CheckName::Answer]);
    }

    #[test]
    fn contains_not_contains_matches_and_equals_read_the_text() {
        let mut c = case();
        c.checks.contains = vec!["Paris".into(), "France".into()];
        c.checks.not_contains = vec!["London".into()];
        c.checks.matches = Some(Pattern::new("^The capital").unwrap());
        c.checks.equals = Some("The capital is Paris.".into());
        let good = answer("The capital is Paris.\n");
        let v = verdicts(&c, &answered(&good, None));
        assert_eq!(failed(&v), [CheckName::Contains], "{v:?}");
        assert_eq!(
            v.iter().find(|v| !v.passed).unwrap().detail,
            "does not contain \"France\""
        );
        let bad = answer("London, surely");
        let v = verdicts(&c, &answered(&bad, None));
        assert_eq!(
            failed(&v),
            [
                CheckName::Contains,
                CheckName::Contains,
                CheckName::NotContains,
                CheckName::Matches,
                CheckName::Equals
            ]
        );
    }

    #[test]
    fn the_json_schema_check_needs_json_that_fits() {
        let mut c = case();
        c.checks.json_schema =
            Some(JsonSchema::compile(&json!({"type": "object", "required": ["city"]})).unwrap());
        let ok = answer(r#"{"city": "Paris"}"#);
        assert!(failed(&verdicts(&c, &answered(&ok, None))).is_empty());
        let missing = answer(r#"{"town": "Paris"}"#);
        let v = verdicts(&c, &answered(&missing, None));
        assert_eq!(failed(&v), [CheckName::JsonSchema]);
        assert!(v[1].detail.contains("missing required property \"city\""));
        let prose = answer("Paris");
        let v = verdicts(&c, &answered(&prose, None));
        assert_eq!(v[1].detail, "the answer is not JSON");
    }

    #[test]
    fn token_counts_must_be_reported_and_within_limits() {
        let mut c = case();
        c.checks.tokens = TokenLimits {
            prompt: None,
            completion: Some(10),
            total: Some(40),
        };
        let a = answer("Paris");
        let usage = Usage {
            prompt: Some(20),
            completion: Some(12),
            total: Some(32),
        };
        let v = verdicts(&c, &answered(&a, Some(usage)));
        assert_eq!(failed(&v), [CheckName::Tokens]);
        assert_eq!(v[1].detail, "completion 12 > 10");
        let v = verdicts(&c, &answered(&a, None));
        assert_eq!(v[1].detail, "the answer reports no token usage");
        let within = Usage {
            completion: Some(3),
            ..usage
        };
        assert!(failed(&verdicts(&c, &answered(&a, Some(within)))).is_empty());
    }

    #[test]
    fn the_judges_score_must_reach_the_minimum() {
        let mut c = case();
        c.checks.judge = Some(Judge {
            endpoint: "judge".into(),
            api_model: "grader".into(),
            criteria: "polite".into(),
            min_score: 0.7,
        });
        let a = answer("Paris");
        let with = |judge| Observed::Answered {
            status: 200,
            latency: Duration::ZERO,
            answer: Ok(&a),
            usage: None,
            judge: Some(judge),
        };
        assert!(failed(&verdicts(&c, &with(Ok(0.9)))).is_empty());
        let v = verdicts(&c, &with(Ok(0.4)));
        assert_eq!(failed(&v), [CheckName::Judge]);
        assert_eq!(v[1].detail, "judge scored 0.40 (at least 0.70)");
        let v = verdicts(&c, &with(Err("HTTP 500")));
        assert_eq!(v[1].detail, "no score: HTTP 500");
    }
}
