//! A fake model endpoint for the probes: OpenAI-compatible chat completions
//! (`POST /v1/chat/completions`) and a plain JSON endpoint (`POST /predict`, `{"inputs"}`
//! in, `{"output": {"text"}}` out), behind a bearer token. It answers from a table of
//! prompts, reports token usage, grades as a judge (a request whose system message asks
//! for a grade gets `0.9`, or `0.1` while degraded), and degrades on cue: `set_mode` (or
//! `POST /_mode` with `{"mode": "wrong"}`) makes every answer slow, wrong, a loop cut off
//! at the token limit, invalid JSON or a 5xx until it is set back to healthy. The common faults (`faults()`) work too.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::common::{Common, FaultBodies, Faults, Received, Running, lock, serve};

/// How the fake answers, until told otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ModelMode {
    Healthy,
    /// Right answers, each after `delay_ms`.
    Slow {
        delay_ms: u64,
    },
    /// 200 with an answer that is wrong for every prompt.
    Wrong,
    /// 200 with the right answer repeated until the server's token limit cut it off
    /// (`finish_reason: "length"`), as a model stuck in a loop answers.
    Looping,
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// This status (500, 503…) with an error body.
    ServerError {
        status: u16,
    },
}

/// What the fake knows: `(prompt contains, answer)` pairs, first match wins.
#[derive(Debug, Clone)]
pub struct ModelFakeConfig {
    pub token: String,
    pub answers: Vec<(String, String)>,
    pub fallback: String,
}

impl ModelFakeConfig {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            answers: vec![
                (
                    "as JSON".into(),
                    r#"{"city": "Paris", "country": "France"}"#.into(),
                ),
                (
                    "capital of France".into(),
                    "The capital of France is Paris.".into(),
                ),
                ("sentiment".into(), "positive".into()),
            ],
            fallback: "I can help with that.".into(),
        }
    }

    pub fn answer(mut self, prompt_contains: &str, answer: &str) -> Self {
        self.answers
            .insert(0, (prompt_contains.into(), answer.into()));
        self
    }
}

struct Fake {
    common: Arc<Common>,
    config: ModelFakeConfig,
    mode: Mutex<ModelMode>,
}

struct Wording;

impl FaultBodies for Wording {
    fn status_body(&self, status: u16) -> Value {
        json!({"error": {"message": format!("upstream error ({status})"), "type": "server_error"}})
    }

    fn rate_limited(&self, _retry_after_secs: u64) -> (HeaderMap, Value) {
        (
            HeaderMap::new(),
            json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}),
        )
    }
}

/// A running fake model; stops when dropped.
pub struct ModelFake {
    fake: Arc<Fake>,
    running: Running,
}

impl ModelFake {
    /// Starts on 127.0.0.1:`port` (0 for a free port), healthy.
    pub async fn start(config: ModelFakeConfig, port: u16) -> std::io::Result<Self> {
        let fake = Arc::new(Fake {
            common: Common::new("model", Wording),
            config,
            mode: Mutex::new(ModelMode::Healthy),
        });
        let api = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/predict", post(predict))
            .with_state(fake.clone());
        let control = Router::new()
            .route("/_mode", post(set_mode).get(get_mode))
            .with_state(fake.clone());
        let running = serve(api, control, fake.common.clone(), port).await?;
        Ok(Self { fake, running })
    }

    /// `http://127.0.0.1:PORT`: an openai endpoint's URL (`{url}/predict` for http).
    pub fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn set_mode(&self, mode: ModelMode) {
        *lock(&self.fake.mode) = mode;
    }

    pub fn mode(&self) -> ModelMode {
        lock(&self.fake.mode).clone()
    }

    pub fn faults(&self) -> &Faults {
        &self.fake.common.faults
    }

    pub fn received(&self) -> Vec<Received> {
        self.fake.common.received()
    }
}

fn unauthorized() -> Response {
    let body = json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn bad_request(message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn authorized(fake: &Fake, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", fake.config.token);
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected)
}

/// The degradation that answers instead of the model, if any (after a slow mode's wait).
async fn degraded(fake: &Fake) -> Result<bool, Response> {
    let mode = lock(&fake.mode).clone();
    match mode {
        ModelMode::Healthy => Ok(false),
        ModelMode::Slow { delay_ms } => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            Ok(false)
        }
        ModelMode::Wrong => Ok(true),
        ModelMode::Looping => Ok(false),
        ModelMode::InvalidJson => Err((
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"choices\": [{\"message\": ",
        )
            .into_response()),
        ModelMode::ServerError { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err((status, Json(Wording.status_body(status.as_u16()))).into_response())
        }
    }
}

fn answer_to(fake: &Fake, prompt: &str, wrong: bool) -> String {
    if wrong {
        return "I am not sure. Perhaps London?".into();
    }
    fake.config
        .answers
        .iter()
        .find(|(needle, _)| prompt.contains(needle.as_str()))
        .map_or_else(|| fake.config.fallback.clone(), |(_, a)| a.clone())
}

/// How many times a looping model says its answer before the token limit.
const LOOP_REPEATS: usize = 40;

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

async fn chat(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&fake, &headers) {
        return unauthorized();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body is not JSON");
    };
    let (Some(model), Some(messages)) = (request["model"].as_str(), request["messages"].as_array())
    else {
        return bad_request("expected model and messages");
    };
    let text = |role: &str| -> String {
        messages
            .iter()
            .filter(|m| m["role"] == role)
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (system, user) = (text("system"), text("user"));
    let wrong = match degraded(&fake).await {
        Ok(wrong) => wrong,
        Err(answer) => return answer,
    };
    let looping = matches!(*lock(&fake.mode), ModelMode::Looping);
    let (content, finish_reason) = if system.contains("You grade") {
        (if wrong { "0.1" } else { "0.9" }.to_owned(), "stop")
    } else if looping {
        // Cut off mid-way, as a token limit cuts.
        let answer = answer_to(&fake, &user, false);
        let half: String = answer.chars().take(answer.chars().count() / 2).collect();
        let text = format!("{}{half}", format!("{answer} ").repeat(LOOP_REPEATS));
        (text, "length")
    } else {
        (answer_to(&fake, &user, wrong), "stop")
    };
    let (prompt_tokens, completion_tokens) = (words(&system) + words(&user), words(&content));
    Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_764_302_400,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish_reason
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens
        }
    }))
    .into_response()
}

async fn predict(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&fake, &headers) {
        return unauthorized();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body is not JSON");
    };
    let Some(inputs) = request["inputs"].as_str() else {
        return bad_request("expected inputs");
    };
    let wrong = match degraded(&fake).await {
        Ok(wrong) => wrong,
        Err(answer) => return answer,
    };
    Json(json!({"output": {"text": answer_to(&fake, inputs, wrong)}})).into_response()
}

async fn set_mode(State(fake): State<Arc<Fake>>, Json(mode): Json<ModelMode>) -> StatusCode {
    *lock(&fake.mode) = mode;
    StatusCode::NO_CONTENT
}

async fn get_mode(State(fake): State<Arc<Fake>>) -> Json<ModelMode> {
    Json(lock(&fake.mode).clone())
}
