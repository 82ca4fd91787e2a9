//! Synthetic probes: test cases run against the models' endpoints on a schedule, each
//! answer checked (status, latency, content, JSON Schema, tokens, a judge's score).
//!
//! The core is pure: `request` builds what a case sends, `response` reads what came back,
//! `check` turns a case and its answer into verdicts, `outcome` gathers one case's result,
//! `metrics` turns results into Datadog points. `run` is the I/O edge (concurrent cases,
//! timeouts, tokens). Failing cases become signals in `crate::signals::probe`.

pub mod case;
pub mod check;
pub mod metrics;
pub mod outcome;
pub mod request;
pub mod response;
pub mod run;
pub mod schema;

pub use case::{Case, Checks, Endpoint, EndpointKind, Input, Judge, Pattern, Probes, TokenLimits};
pub use check::{CheckName, Verdict};
pub use outcome::CaseOutcome;
pub use run::{Runner, RunnerError};
pub use schema::JsonSchema;

#[cfg(test)]
pub(crate) mod testing {
    //! A case and its probes for the unit tests.

    use std::time::Duration;

    use super::*;
    use crate::domain::Level;
    use crate::http::BaseUrl;

    pub fn case() -> Case {
        Case {
            id: "capital".into(),
            model: "chat-large".into(),
            version: None,
            environment: None,
            endpoint: "chat".into(),
            input: Input::Prompt {
                text: "What is the capital of France?".into(),
                system: None,
                api_model: "chat-large".into(),
            },
            answer: None,
            timeout: Duration::from_secs(5),
            level: Level::L2,
            checks: Checks::default(),
        }
    }

    pub fn probes() -> Probes {
        let mut p = Probes::default();
        p.endpoints.insert(
            "chat".into(),
            Endpoint {
                name: "chat".into(),
                kind: EndpointKind::OpenAi,
                url: BaseUrl::new("http://127.0.0.1:9").unwrap(),
                secret: None,
            },
        );
        p.cases.push(case());
        p
    }
}
