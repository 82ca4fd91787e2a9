//! A fake Slack Web API: bearer token, known channels, Block Kit limits (the shared
//! validator), realistic `ts` values, threads, `chat.update`, ephemeral messages, and
//! the three-step file upload with its own upload URL on the same server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use modelwatch::slack::{Block, validate_blocks};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::common::{
    Common, FaultBodies, Faults, Received, Running, form_fields, lock, now_ms, serve,
};

const MAX_TEXT_CHARS: usize = 40_000;

/// The bot token it accepts and the channels that exist (ID and name).
#[derive(Debug, Clone)]
pub struct SlackFakeConfig {
    pub token: String,
    pub channels: Vec<(String, String)>,
}

impl SlackFakeConfig {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            channels: Vec::new(),
        }
    }

    pub fn channel(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.channels.push((id.into(), name.into()));
        self
    }
}

/// A message as the fake holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub text: String,
    pub blocks: Value,
    /// How many times `chat.update` changed it.
    pub edits: u32,
    /// Set for `chat.postEphemeral`: only this user sees it.
    pub ephemeral_user: Option<String>,
    /// Files shared with it (by `files.completeUploadExternal`).
    pub files: Vec<String>,
}

/// A file as the fake holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackFile {
    pub id: String,
    pub filename: String,
    pub declared_length: usize,
    pub uploaded_bytes: Option<usize>,
    pub title: Option<String>,
    pub shared_in: Option<String>,
}

#[derive(Default)]
struct Held {
    messages: Vec<SlackMessage>,
    files: BTreeMap<String, SlackFile>,
    sequence: u64,
}

struct Fake {
    common: Arc<Common>,
    config: SlackFakeConfig,
    held: Mutex<Held>,
    addr: Mutex<Option<SocketAddr>>,
}

/// A running fake; stops when dropped.
pub struct SlackFake {
    fake: Arc<Fake>,
    running: Running,
}

struct Wording;

impl FaultBodies for Wording {
    fn status_body(&self, _status: u16) -> Value {
        json!({"ok": false, "error": "internal_error"})
    }

    fn rate_limited(&self, _retry_after_secs: u64) -> (HeaderMap, Value) {
        (
            HeaderMap::new(),
            json!({"ok": false, "error": "ratelimited"}),
        )
    }
}

impl SlackFake {
    /// Starts on 127.0.0.1:`port` (0 for a free port).
    pub async fn start(config: SlackFakeConfig, port: u16) -> std::io::Result<Self> {
        let fake = Arc::new(Fake {
            common: Common::new(Wording),
            config,
            held: Mutex::new(Held::default()),
            addr: Mutex::new(None),
        });
        let api = Router::new()
            .route("/api/{method}", post(method))
            .route("/upload/v1/{file_id}", post(upload))
            .with_state(fake.clone());
        let control = Router::new()
            .route("/_messages", get(list_messages))
            .route("/_files", get(list_files))
            .with_state(fake.clone());
        let running = serve(api, control, fake.common.clone(), port).await?;
        *lock(&fake.addr) = Some(running.addr);
        Ok(Self { fake, running })
    }

    /// `http://127.0.0.1:PORT/api`: the base URL for `SlackClient`.
    pub fn url(&self) -> String {
        format!("http://{}/api", self.running.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn faults(&self) -> &Faults {
        &self.fake.common.faults
    }

    pub fn received(&self) -> Vec<Received> {
        self.fake.common.received()
    }

    /// Every message, in the order posted (updates change them in place).
    pub fn messages(&self) -> Vec<SlackMessage> {
        lock(&self.fake.held).messages.clone()
    }

    /// The replies in the thread of `ts`, in order.
    pub fn thread(&self, ts: &str) -> Vec<SlackMessage> {
        self.messages()
            .into_iter()
            .filter(|m| m.thread_ts.as_deref() == Some(ts))
            .collect()
    }

    pub fn files(&self) -> Vec<SlackFile> {
        lock(&self.fake.held).files.values().cloned().collect()
    }
}

/// Why a call fails: Slack's `error` code, with its messages for `invalid_blocks`.
enum Refusal {
    Error(&'static str),
    InvalidBlocks(Vec<String>),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Error(error) => Json(json!({"ok": false, "error": error})).into_response(),
            Refusal::InvalidBlocks(messages) => Json(json!({
                "ok": false,
                "error": "invalid_blocks",
                "response_metadata": {"messages": messages}
            }))
            .into_response(),
        }
    }
}

fn slack_error(error: &'static str) -> Refusal {
    Refusal::Error(error)
}

fn invalid_blocks(messages: Vec<String>) -> Refusal {
    Refusal::InvalidBlocks(messages)
}

/// The arguments of a call, from a JSON or a form body.
fn arguments(headers: &HeaderMap, body: &Bytes) -> Map<String, Value> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    } else {
        form_fields(body)
    }
}

fn authorised(fake: &Fake, headers: &HeaderMap, args: &Map<String, Value>) -> Result<(), Refusal> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let token = bearer.or_else(|| args.get("token").and_then(Value::as_str).map(str::to_owned));
    match token {
        None => Err(slack_error("not_authed")),
        Some(t) if t == fake.config.token => Ok(()),
        Some(_) => Err(slack_error("invalid_auth")),
    }
}

fn channel_id(fake: &Fake, args: &Map<String, Value>, field: &str) -> Result<String, Refusal> {
    let wanted = args.get(field).and_then(Value::as_str).unwrap_or_default();
    let name = wanted.trim_start_matches('#');
    fake.config
        .channels
        .iter()
        .find(|(id, known)| id == wanted || known == name)
        .map(|(id, _)| id.clone())
        .ok_or_else(|| slack_error("channel_not_found"))
}

/// `text` and `blocks` checked as Slack does; blocks may come as JSON text (forms).
fn text_and_blocks(args: &Map<String, Value>) -> Result<(String, Value), Refusal> {
    let text = args
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let blocks = match args.get("blocks") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(Value::String(raw)) => match serde_json::from_str::<Value>(raw) {
            Ok(parsed) => parsed,
            Err(err) => return Err(invalid_blocks(vec![format!("[ERROR] invalid JSON: {err}")])),
        },
        Some(other) => other.clone(),
    };
    let parsed: Vec<Block> = match serde_json::from_value(blocks.clone()) {
        Ok(parsed) => parsed,
        Err(err) => {
            return Err(invalid_blocks(vec![format!(
                "[ERROR] unsupported or malformed block: {err}"
            )]));
        }
    };
    let violations = validate_blocks(&parsed);
    if !violations.is_empty() {
        return Err(invalid_blocks(
            violations
                .iter()
                .map(|v| format!("[ERROR] {} [json-pointer:{}]", v.problem, v.json_pointer()))
                .collect(),
        ));
    }
    if text.trim().is_empty() && parsed.is_empty() {
        return Err(slack_error("no_text"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(slack_error("msg_too_long"));
    }
    Ok((text, blocks))
}

fn next_ts(held: &mut Held) -> String {
    held.sequence += 1;
    format!("{}.{:06}", now_ms() / 1000, held.sequence % 1_000_000)
}

async fn method(
    State(fake): State<Arc<Fake>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = arguments(&headers, &body);
    if let Err(refusal) = authorised(&fake, &headers, &args) {
        return refusal.into_response();
    }
    let result = match method.as_str() {
        "chat.postMessage" => post_message(&fake, &args, None),
        "chat.postEphemeral" => match args.get("user").and_then(Value::as_str) {
            Some(user) if !user.is_empty() => post_message(&fake, &args, Some(user.to_owned())),
            _ => Err(slack_error("user_not_in_channel")),
        },
        "chat.update" => update(&fake, &args),
        "files.getUploadURLExternal" => upload_url(&fake, &args),
        "files.completeUploadExternal" => complete_upload(&fake, &args),
        "auth.test" => Ok(json!({"ok": true, "user_id": "U0MODELWATCH", "bot_id": "B0MODELWATCH"})),
        _ => Err(slack_error("unknown_method")),
    };
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

fn post_message(
    fake: &Fake,
    args: &Map<String, Value>,
    ephemeral_user: Option<String>,
) -> Result<Value, Refusal> {
    let channel = channel_id(fake, args, "channel")?;
    let (text, blocks) = text_and_blocks(args)?;
    let thread_ts = args
        .get("thread_ts")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let mut held = lock(&fake.held);
    if let Some(parent) = &thread_ts {
        let exists = held
            .messages
            .iter()
            .any(|m| m.channel == channel && &m.ts == parent);
        if !exists {
            return Err(slack_error("thread_not_found"));
        }
    }
    let ts = next_ts(&mut held);
    held.messages.push(SlackMessage {
        channel: channel.clone(),
        ts: ts.clone(),
        thread_ts: thread_ts.clone(),
        text: text.clone(),
        blocks: blocks.clone(),
        edits: 0,
        ephemeral_user: ephemeral_user.clone(),
        files: Vec::new(),
    });
    let mut answer = if ephemeral_user.is_some() {
        json!({"ok": true, "message_ts": ts})
    } else {
        json!({
            "ok": true,
            "channel": channel,
            "ts": ts,
            "message": {"type": "message", "text": text, "ts": ts, "blocks": blocks, "thread_ts": thread_ts},
        })
    };
    if text.trim().is_empty() {
        answer["warning"] = json!("missing_text_in_blocks");
    }
    Ok(answer)
}

fn update(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let channel = channel_id(fake, args, "channel")?;
    let ts = args.get("ts").and_then(Value::as_str).unwrap_or_default();
    let (text, blocks) = text_and_blocks(args)?;
    let mut held = lock(&fake.held);
    let message = held
        .messages
        .iter_mut()
        .find(|m| m.channel == channel && m.ts == ts)
        .ok_or_else(|| slack_error("message_not_found"))?;
    message.text = text.clone();
    message.blocks = blocks;
    message.edits += 1;
    Ok(json!({"ok": true, "channel": channel, "ts": ts, "text": text}))
}

fn upload_url(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let filename = args
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let length = args
        .get("length")
        .and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0);
    let (false, Some(length)) = (filename.is_empty(), length) else {
        return Err(slack_error("invalid_arguments"));
    };
    let addr = lock(&fake.addr).ok_or_else(|| slack_error("internal_error"))?;
    let mut held = lock(&fake.held);
    held.sequence += 1;
    let id = format!("F{:010}", held.sequence);
    held.files.insert(
        id.clone(),
        SlackFile {
            id: id.clone(),
            filename: filename.to_owned(),
            declared_length: length,
            uploaded_bytes: None,
            title: None,
            shared_in: None,
        },
    );
    Ok(json!({"ok": true, "upload_url": format!("http://{addr}/upload/v1/{id}"), "file_id": id}))
}

async fn upload(
    State(fake): State<Arc<Fake>>,
    Path(file_id): Path<String>,
    body: Bytes,
) -> Response {
    let mut held = lock(&fake.held);
    match held.files.get_mut(&file_id) {
        Some(file) => {
            file.uploaded_bytes = Some(body.len());
            (StatusCode::OK, format!("OK - {}", body.len())).into_response()
        }
        None => (StatusCode::NOT_FOUND, "file not found").into_response(),
    }
}

fn complete_upload(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let files = match args.get("files") {
        Some(Value::String(raw)) => serde_json::from_str::<Value>(raw).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let Some(files) = files.as_array().filter(|f| !f.is_empty()) else {
        return Err(slack_error("invalid_arguments"));
    };
    let channel = match args.get("channel_id") {
        Some(_) => Some(channel_id(fake, args, "channel_id")?),
        None => None,
    };
    let comment = args
        .get("initial_comment")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let thread_ts = args
        .get("thread_ts")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut held = lock(&fake.held);
    let mut done = Vec::new();
    for entry in files {
        let id = entry.get("id").and_then(Value::as_str).unwrap_or_default();
        let file = held
            .files
            .get_mut(id)
            .ok_or_else(|| slack_error("file_not_found"))?;
        if file.uploaded_bytes.is_none() {
            return Err(slack_error("file_upload_not_found"));
        }
        file.title = entry
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned);
        file.shared_in = channel.clone();
        done.push(json!({
            "id": file.id,
            "name": file.filename,
            "title": file.title.clone().unwrap_or_else(|| file.filename.clone()),
            "permalink": format!("https://fake.slack.local/files/{}", file.id),
        }));
    }
    if let Some(channel) = channel {
        let ts = next_ts(&mut held);
        held.messages.push(SlackMessage {
            channel,
            ts,
            thread_ts,
            text: comment,
            blocks: Value::Array(Vec::new()),
            edits: 0,
            ephemeral_user: None,
            files: done
                .iter()
                .filter_map(|f| f["id"].as_str().map(str::to_owned))
                .collect(),
        });
    }
    Ok(json!({"ok": true, "files": done}))
}

async fn list_messages(State(fake): State<Arc<Fake>>) -> Json<Vec<SlackMessage>> {
    Json(lock(&fake.held).messages.clone())
}

async fn list_files(State(fake): State<Arc<Fake>>) -> Json<Vec<SlackFile>> {
    Json(lock(&fake.held).files.values().cloned().collect())
}
