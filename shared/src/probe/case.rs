//! What the configuration's `probes:` section declares, validated: the model endpoints,
//! and the test cases with the checks each answer must pass.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::schema::JsonSchema;
use crate::domain::Level;
use crate::http::BaseUrl;

/// Every probe of the configuration; empty when the file has no `probes:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Probes {
    /// How long one run may take in all; cases still waiting then are skipped.
    pub budget: Duration,
    /// How many cases run at once.
    pub concurrency: usize,
    /// How many times a failing case is tried again in a run before its failure counts.
    pub retries: u32,
    /// How long to wait before trying a failed case again.
    pub retry_interval: Duration,
    pub endpoints: BTreeMap<String, Endpoint>,
    /// In file order.
    pub cases: Vec<Case>,
}

/// The defaults: a run fits one minute's schedule with time left to submit.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(45);
pub const DEFAULT_CONCURRENCY: usize = 32;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// One retry tells a blip (a dropped connection, one 502 from a deploy) from a failure;
/// more than three would only spend the budget.
pub const DEFAULT_RETRIES: u32 = 1;
pub const MAX_RETRIES: u32 = 3;
/// Datadog Synthetics' default: an endpoint restarting under a deploy, or a connection
/// dropped by a load balancer, gets a moment before the retry.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_millis(300);
pub const MAX_RETRY_INTERVAL: Duration = Duration::from_secs(5);

impl Default for Probes {
    fn default() -> Self {
        Self {
            budget: DEFAULT_BUDGET,
            concurrency: DEFAULT_CONCURRENCY,
            retries: DEFAULT_RETRIES,
            retry_interval: DEFAULT_RETRY_INTERVAL,
            endpoints: BTreeMap::new(),
            cases: Vec::new(),
        }
    }
}

impl Probes {
    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// The secret entries the endpoints' tokens are read from, each once.
    pub fn secret_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .endpoints
            .values()
            .filter_map(|e| e.secret.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// How an endpoint is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// OpenAI-compatible chat completions: `POST {url}/v1/chat/completions`.
    OpenAi,
    /// Any JSON API: the case's body is posted to `url` itself.
    Http,
}

impl EndpointKind {
    pub const NAMES: &'static str = "openai or http";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "openai" => Some(Self::OpenAi),
            "http" => Some(Self::Http),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Http => "http",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub name: String,
    pub kind: EndpointKind,
    pub url: BaseUrl,
    /// The secret entry holding its bearer token, if it needs one.
    pub secret: Option<String>,
}

impl Endpoint {
    /// Where a request goes.
    pub fn request_url(&self) -> String {
        match self.kind {
            EndpointKind::OpenAi => self.url.join("/v1/chat/completions"),
            EndpointKind::Http => self.url.as_str().to_owned(),
        }
    }
}

/// What a case sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A chat prompt (OpenAI-compatible endpoints), sent for `api_model`.
    Prompt {
        text: String,
        system: Option<String>,
        api_model: String,
    },
    /// A JSON body posted as it is (HTTP endpoints).
    Body(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    pub model: String,
    pub version: Option<String>,
    pub environment: Option<String>,
    pub endpoint: String,
    pub input: Input,
    /// Where the answer is in an HTTP endpoint's JSON (a JSON pointer); the whole body
    /// when unset. OpenAI-compatible answers are `choices[0].message.content`.
    pub answer: Option<String>,
    pub timeout: Duration,
    /// The level a failing case opens at.
    pub level: Level,
    pub checks: Checks,
}

/// What the answer must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct Checks {
    pub status: u16,
    pub latency: Option<Duration>,
    pub contains: Vec<String>,
    pub not_contains: Vec<String>,
    pub matches: Option<Pattern>,
    pub equals: Option<String>,
    pub json_schema: Option<JsonSchema>,
    pub tokens: TokenLimits,
    /// The `finish_reason`s an OpenAI-compatible answer may give; none: any but a cut-off
    /// (`length`, `content_filter`).
    pub finish_reasons: Option<Vec<String>>,
    pub judge: Option<Judge>,
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            status: 200,
            latency: None,
            contains: Vec::new(),
            not_contains: Vec::new(),
            matches: None,
            equals: None,
            json_schema: None,
            tokens: TokenLimits::default(),
            finish_reasons: None,
            judge: None,
        }
    }
}

/// A regular expression as written, compiled (regex-lite syntax).
#[derive(Debug, Clone)]
pub struct Pattern(regex_lite::Regex);

impl Pattern {
    pub fn new(source: &str) -> Result<Self, String> {
        regex_lite::Regex::new(source)
            .map(Self)
            .map_err(|e| e.to_string())
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// Token counts the endpoint reports (`usage`), each at most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenLimits {
    pub prompt: Option<u64>,
    pub completion: Option<u64>,
    pub total: Option<u64>,
}

impl TokenLimits {
    pub fn any(&self) -> bool {
        self.prompt.is_some() || self.completion.is_some() || self.total.is_some()
    }
}

/// A second model scores the answer from 0 to 1 against `criteria`.
#[derive(Debug, Clone, PartialEq)]
pub struct Judge {
    /// An OpenAI-compatible endpoint.
    pub endpoint: String,
    pub api_model: String,
    pub criteria: String,
    pub min_score: f64,
}
