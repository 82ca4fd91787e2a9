//! A fake Slack Web API: bearer token, known channels, every call's arguments checked
//! against Slack's published method contracts and Block Kit limits (`tests/contracts/`,
//! never the client's own validator), realistic `ts` values, threads, `chat.update`,
//! ephemeral messages, `conversations.list`, `.history` and `.replies` in pages, the
//! three-step file upload with its own upload URL on the same server, and the
//! `response_url` of a click or command (`/actions/…`, `/commands/…` on the same server).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::common::{
    Common, FaultBodies, Faults, Received, Running, attach, form_fields, lock, now_ms, serve,
};
use super::contract::{Breach, ContractViolation, Problem, contracts};

/// "Slack will truncate messages containing more than 40,000 characters" and answers
/// `msg_too_long` (chat.postMessage reference).
const MAX_TEXT_CHARS: usize = 40_000;
/// Slack refuses a message whose blocks carry more text than about this with
/// `msg_blocks_too_long` (undocumented; slackapi/bolt-js #2509: "12,000 text characters
/// with a buffer for block containers").
const MAX_BLOCKS_TEXT: usize = 12_000;
/// conversations.list: "Must be an integer under 1000" (its `limit` argument).
const MAX_LIST_LIMIT: u64 = 999;
/// conversations.list's page when no `limit` is given.
const DEFAULT_LIST_LIMIT: u64 = 100;

/// A channel that exists in the fake workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeChannel {
    pub id: String,
    pub name: String,
    pub is_private: bool,
    pub is_archived: bool,
    /// Whether the bot has joined it (`is_member` in `conversations.list`).
    pub is_member: bool,
}

/// The scopes of infra/slack-app-manifest.yaml, which the fake's token has by default.
pub const MANIFEST_SCOPES: [&str; 8] = [
    "chat:write",
    "chat:write.public",
    "commands",
    "files:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
];
/// conversations.history's page when no `limit` is given.
const DEFAULT_HISTORY_LIMIT: usize = 100;
/// conversations.replies' page when no `limit` is given.
const DEFAULT_REPLIES_LIMIT: usize = 1000;

/// The bot token it accepts, the channels that exist, and how many channels at most
/// one `conversations.list` page holds ("fewer than the requested number of items may
/// be returned", Slack says).
#[derive(Debug, Clone)]
pub struct SlackFakeConfig {
    pub token: String,
    pub channels: Vec<FakeChannel>,
    pub page_size: usize,
    /// What Slack lists in the `x-oauth-scopes` header of every answer.
    pub scopes: Vec<String>,
}

impl SlackFakeConfig {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            channels: Vec::new(),
            page_size: 200,
            scopes: MANIFEST_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// A public channel the bot is in.
    pub fn channel(self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.add(id.into(), name.into(), false, false)
    }

    /// A public channel the bot has not joined.
    pub fn channel_without_bot(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self = self.add(id.into(), name.into(), false, false);
        if let Some(c) = self.channels.last_mut() {
            c.is_member = false;
        }
        self
    }

    /// The token's scopes, as `x-oauth-scopes` lists them.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// A private channel the bot is in (listed as `private_channel`).
    pub fn private_channel(self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.add(id.into(), name.into(), true, false)
    }

    /// An archived public channel: listed unless `exclude_archived`, refuses posts.
    pub fn archived_channel(self, id: impl Into<String>, name: impl Into<String>) -> Self {
        self.add(id.into(), name.into(), false, true)
    }

    /// At most `size` channels per `conversations.list` page, whatever the `limit`.
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    fn add(mut self, id: String, name: String, is_private: bool, is_archived: bool) -> Self {
        self.channels.push(FakeChannel {
            id,
            name,
            is_private,
            is_archived,
            is_member: true,
        });
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
    /// The message metadata it was posted with.
    pub metadata: Option<Value>,
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
    /// When each completed upload is processed: a message showing it sooner is refused.
    processed_at: BTreeMap<String, std::time::Instant>,
    sequence: u64,
    /// What was posted to response URLs, with the path each went to.
    responses: Vec<(String, Value)>,
}

struct Fake {
    common: Arc<Common>,
    config: SlackFakeConfig,
    held: Mutex<Held>,
    addr: Mutex<Option<SocketAddr>>,
    /// Image URLs (prefixes) Slack cannot download: a message showing one is refused.
    unreachable_images: Mutex<Vec<String>>,
    /// How long Slack takes to process an upload after `files.completeUploadExternal`.
    processing: Mutex<std::time::Duration>,
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
            common: Common::new("Slack", Wording),
            config,
            held: Mutex::new(Held::default()),
            addr: Mutex::new(None),
            unreachable_images: Mutex::new(Vec::new()),
            processing: Mutex::new(std::time::Duration::ZERO),
        });
        let api = Router::new()
            .route("/api/{method}", post(method).get(method))
            .route("/upload/v1/{file_id}", post(upload))
            .route("/actions/{*rest}", post(respond))
            .route("/commands/{*rest}", post(respond))
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

    /// From now on Slack cannot download images whose URL starts with `prefix` (a Datadog
    /// snapshot not rendered yet; Slack's own fetch failing): a message or an update that
    /// shows one is refused whole, as Slack refuses it.
    pub fn images_unreachable(&self, prefix: impl Into<String>) {
        lock(&self.fake.unreachable_images).push(prefix.into());
    }

    /// From now on an upload takes `time` to process after `files.completeUploadExternal`
    /// answers (Slack finishes uploads asynchronously): a message that shows the file
    /// (`slack_file`) sooner, or one never shared, is refused whole with `invalid_blocks`.
    pub fn files_process_in(&self, time: std::time::Duration) {
        *lock(&self.fake.processing) = time;
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

    /// `http://127.0.0.1:PORT/actions/T0ACME/1/abc`: a click's `response_url` on this fake.
    pub fn response_url(&self) -> String {
        format!("http://{}/actions/T0ACME/1/abc", self.running.addr)
    }

    /// What was posted to response URLs (path, body), in order.
    pub fn responses(&self) -> Vec<(String, Value)> {
        lock(&self.fake.held).responses.clone()
    }

    pub fn files(&self) -> Vec<SlackFile> {
        lock(&self.fake.held).files.values().cloned().collect()
    }

    /// The calls that broke Slack's contract, kept until taken.
    pub fn contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.violations()
    }

    /// Takes the violations a test expected: the fake no longer fails the test for them.
    pub fn take_contract_violations(&self) -> Vec<ContractViolation> {
        self.fake.common.take_violations()
    }
}

/// Why a call fails: Slack's `error` code, with its messages for `invalid_blocks` and
/// `invalid_arguments`.
enum Refusal {
    Error(&'static str),
    WithMessages(&'static str, Vec<String>),
    /// `invalid_blocks` for images Slack could not download (their JSON pointers), in the
    /// shape Slack answers it: `errors` beside `response_metadata.messages`.
    ImagesNotDownloaded(Vec<String>),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Error(error) => Json(json!({"ok": false, "error": error})).into_response(),
            Refusal::WithMessages(error, messages) => Json(json!({
                "ok": false,
                "error": error,
                "response_metadata": {"messages": messages}
            }))
            .into_response(),
            Refusal::ImagesNotDownloaded(pointers) => {
                let errors: Vec<String> = pointers
                    .iter()
                    .map(|p| format!("downloading image failed [json-pointer:{p}]"))
                    .collect();
                let messages: Vec<String> = errors.iter().map(|e| format!("[ERROR] {e}")).collect();
                Json(json!({
                    "ok": false,
                    "error": "invalid_blocks",
                    "errors": errors,
                    "response_metadata": {"messages": messages}
                }))
                .into_response()
            }
        }
    }
}

fn slack_error(error: &'static str) -> Refusal {
    Refusal::Error(error)
}

/// The arguments of a call: the query string, then a JSON or a form body.
fn arguments(headers: &HeaderMap, query: Option<&str>, body: &Bytes) -> Map<String, Value> {
    let mut args = query.map(|q| form_fields(q.as_bytes())).unwrap_or_default();
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let from_body = if json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    } else {
        form_fields(body)
    };
    args.extend(from_body);
    args
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

/// The channel a call names in `field`: by ID, or (where Slack allows it) by name.
fn channel_id(
    fake: &Fake,
    args: &Map<String, Value>,
    field: &str,
    by_name: bool,
) -> Result<String, Refusal> {
    let wanted = args.get(field).and_then(Value::as_str).unwrap_or_default();
    let name = wanted.trim_start_matches('#');
    let channel = fake
        .config
        .channels
        .iter()
        .find(|c| c.id == wanted || (by_name && c.name == name))
        .ok_or_else(|| slack_error("channel_not_found"))?;
    if channel.is_archived {
        return Err(slack_error("is_archived"));
    }
    Ok(channel.id.clone())
}

/// The call's blocks as JSON (a form carries them as JSON text), `[]` when absent.
fn blocks_of(args: &Map<String, Value>) -> Result<Value, Breach> {
    match args.get("blocks") {
        None | Some(Value::Null) => Ok(Value::Array(Vec::new())),
        Some(Value::String(raw)) => serde_json::from_str(raw).map_err(|e| Breach {
            pointer: "/blocks".into(),
            problem: Problem::Other(format!("invalid JSON: {e}")),
        }),
        Some(other) => Ok(other.clone()),
    }
}

/// Checks a call against Slack's contract for `method` (its arguments, and Block Kit for
/// its blocks) and returns its arguments as the types the contract declares; a breach is
/// recorded and answered as Slack answers it.
fn check_contract(
    fake: &Fake,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Map<String, Value>, Box<Response>> {
    let Some(contract) = contracts().slack_methods.get(method) else {
        return Err(Box::new(slack_error("unknown_method").into_response()));
    };
    let typed = match contract.typed(args) {
        Value::Object(typed) => typed,
        _ => Map::new(),
    };
    let mut arguments = contract.check(args);
    if method == "chat.postMessage"
        && let Some(metadata) = args.get("metadata")
    {
        arguments.extend(metadata_breaches(metadata));
    }
    let blocks: Vec<Breach> = match blocks_of(args) {
        Ok(blocks) => contracts()
            .slack_blocks
            .check(&blocks)
            .into_iter()
            .map(|b| Breach {
                pointer: format!("/blocks{}", b.pointer),
                problem: b.problem,
            })
            .collect(),
        Err(breach) => vec![breach],
    };
    if arguments.is_empty() && blocks.is_empty() {
        return Ok(typed);
    }
    let all: Vec<Breach> = arguments.iter().chain(&blocks).cloned().collect();
    let violations = fake.common.violated(method, &all);
    let no_channel = arguments
        .iter()
        .any(|b| b.problem == Problem::Missing("channel".into()));
    let refusal = if !blocks.is_empty() {
        Refusal::WithMessages(
            "invalid_blocks",
            blocks.iter().map(Breach::slack_message).collect(),
        )
    } else if no_channel {
        slack_error("channel_not_found")
    } else {
        Refusal::WithMessages(
            "invalid_arguments",
            arguments.iter().map(Breach::slack_message).collect(),
        )
    };
    Err(Box::new(attach(refusal.into_response(), violations)))
}

/// How `metadata` breaks Slack's metadata contract (in a form, it is JSON text).
fn metadata_breaches(metadata: &Value) -> Vec<Breach> {
    let parsed = match metadata {
        Value::String(text) => match serde_json::from_str(text) {
            Ok(parsed) => parsed,
            Err(e) => {
                return vec![Breach {
                    pointer: "/metadata".into(),
                    problem: Problem::Other(format!("invalid JSON: {e}")),
                }];
            }
        },
        other => other.clone(),
    };
    contracts()
        .slack_metadata
        .check(&parsed)
        .into_iter()
        .map(|b| Breach {
            pointer: format!("/metadata{}", b.pointer),
            problem: b.problem,
        })
        .collect()
}

/// `text` and `blocks` as Slack reads them, once the contract holds.
fn text_and_blocks(args: &Map<String, Value>) -> Result<(String, Value), Refusal> {
    let text = args
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let blocks = blocks_of(args).map_err(|_| slack_error("invalid_blocks"))?;
    let no_blocks = blocks.as_array().is_none_or(Vec::is_empty);
    if text.trim().is_empty() && no_blocks {
        return Err(slack_error("no_text"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(slack_error("msg_too_long"));
    }
    if blocks_text(&blocks) > MAX_BLOCKS_TEXT {
        return Err(slack_error("msg_blocks_too_long"));
    }
    Ok((text, blocks))
}

/// The characters of every text string in `blocks` (`text` and `alt_text` values).
fn blocks_text(blocks: &Value) -> usize {
    match blocks {
        Value::Array(items) => items.iter().map(blocks_text).sum(),
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| match value {
                Value::String(s) if key == "text" || key == "alt_text" => s.chars().count(),
                other => blocks_text(other),
            })
            .sum(),
        _ => 0,
    }
}

/// Slack downloads every image block's `image_url` before it takes a message, and
/// refuses the whole message when one fails.
fn downloaded(fake: &Fake, blocks: &Value) -> Result<(), Refusal> {
    let unreachable = lock(&fake.unreachable_images);
    let failed: Vec<String> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, b)| b.get("type").and_then(Value::as_str) == Some("image"))
        .filter(|(_, b)| {
            let url = b
                .get("image_url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            unreachable
                .iter()
                .any(|prefix| url.starts_with(prefix.as_str()))
        })
        .map(|(i, _)| format!("/blocks/{i}/image_url"))
        .collect();
    if !failed.is_empty() {
        return Err(Refusal::ImagesNotDownloaded(failed));
    }
    let held = lock(&fake.held);
    let now = std::time::Instant::now();
    let not_ready: Vec<String> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, b)| b.get("type").and_then(Value::as_str) == Some("image"))
        .filter_map(|(i, b)| Some((i, b.get("slack_file")?.get("id")?.as_str()?)))
        .filter(|(_, id)| held.processed_at.get(*id).is_none_or(|at| *at > now))
        .map(|(i, _)| format!("[ERROR] invalid slack_file [json-pointer:/blocks/{i}/slack_file]"))
        .collect();
    if not_ready.is_empty() {
        Ok(())
    } else {
        Err(Refusal::WithMessages("invalid_blocks", not_ready))
    }
}

fn next_ts(held: &mut Held) -> String {
    held.sequence += 1;
    format!("{}.{:06}", now_ms() / 1000, held.sequence % 1_000_000)
}

async fn method(
    State(fake): State<Arc<Fake>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = arguments(&headers, query.as_deref(), &body);
    if let Err(refusal) = authorised(&fake, &headers, &args) {
        return refusal.into_response();
    }
    let args = match check_contract(&fake, &method, &args) {
        Ok(typed) => typed,
        Err(answer) => return *answer,
    };
    let result = match method.as_str() {
        "chat.postMessage" => post_message(&fake, &args, None),
        "chat.postEphemeral" => match args.get("user").and_then(Value::as_str) {
            Some(user) if !user.is_empty() => post_message(&fake, &args, Some(user.to_owned())),
            _ => Err(slack_error("user_not_in_channel")),
        },
        "chat.update" => update(&fake, &args),
        "conversations.list" => list_conversations(&fake, &args),
        "conversations.history" => history(&fake, &args),
        "conversations.replies" => replies(&fake, &args),
        "files.getUploadURLExternal" => upload_url(&fake, &args),
        "files.completeUploadExternal" => complete_upload(&fake, &args),
        "auth.test" => Ok(json!({
            "ok": true,
            "url": "https://modelwatch-fake.slack.com/",
            "team": "modelwatch fake",
            "user": "modelwatch",
            "team_id": "T0MODELWATCH",
            "user_id": "U0MODELWATCH",
            "bot_id": "B0MODELWATCH"
        })),
        _ => Err(slack_error("unknown_method")),
    };
    match result {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            if let Ok(scopes) = HeaderValue::from_str(&fake.config.scopes.join(",")) {
                response.headers_mut().insert("x-oauth-scopes", scopes);
            }
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

fn post_message(
    fake: &Fake,
    args: &Map<String, Value>,
    ephemeral_user: Option<String>,
) -> Result<Value, Refusal> {
    // "Can be an encoded ID, or a name" (chat.postMessage and chat.postEphemeral).
    let channel = channel_id(fake, args, "channel", true)?;
    let (text, blocks) = text_and_blocks(args)?;
    downloaded(fake, &blocks)?;
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
        metadata: match args.get("metadata") {
            Some(Value::String(text)) => serde_json::from_str(text).ok(),
            other => other.cloned(),
        },
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
    // chat.update takes "the channel containing the message": its ID, not a name.
    let channel = channel_id(fake, args, "channel", false)?;
    let ts = args.get("ts").and_then(Value::as_str).unwrap_or_default();
    let (text, blocks) = text_and_blocks(args)?;
    downloaded(fake, &blocks)?;
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
    // The contract holds: a filename, and a length of at least one byte.
    let filename = args
        .get("filename")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let length = args.get("length").and_then(Value::as_u64).unwrap_or(0) as usize;
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

/// A post to a `response_url`, checked against the fields Slack documents for it: a
/// message (`text`, or `blocks`), `response_type` `in_channel` or `ephemeral`,
/// `replace_original` and `delete_original` booleans.
async fn respond(State(fake): State<Arc<Fake>>, uri: axum::http::Uri, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let breaches = response_breaches(&value);
    let violations = fake.common.violated("response_url", &breaches);
    if !violations.is_empty() {
        let refused = (
            StatusCode::BAD_REQUEST,
            Json(json!({"ok": false, "error": "invalid_payload"})),
        );
        return attach(refused.into_response(), violations);
    }
    lock(&fake.held)
        .responses
        .push((uri.path().to_owned(), value));
    (StatusCode::OK, Json(json!({"ok": true}))).into_response()
}

fn response_breaches(value: &Value) -> Vec<Breach> {
    let breach = |pointer: &str, problem: Problem| Breach {
        pointer: pointer.to_owned(),
        problem,
    };
    let Some(fields) = value.as_object() else {
        return vec![breach("", Problem::Other("not a JSON object".into()))];
    };
    let mut breaches = Vec::new();
    let text = fields.get("text").and_then(Value::as_str);
    let blocks = fields.get("blocks").and_then(Value::as_array);
    if text.is_none_or(|t| t.trim().is_empty()) && blocks.is_none_or(Vec::is_empty) {
        breaches.push(breach("", Problem::Missing("text".into())));
    }
    if let Some(kind) = fields.get("response_type")
        && !matches!(kind.as_str(), Some("in_channel" | "ephemeral"))
    {
        breaches.push(breach(
            "/response_type",
            Problem::NotOneOf("in_channel, ephemeral".into()),
        ));
    }
    for flag in ["replace_original", "delete_original"] {
        if fields.get(flag).is_some_and(|v| !v.is_boolean()) {
            breaches.push(breach(
                &format!("/{flag}"),
                Problem::Other("not a boolean".into()),
            ));
        }
    }
    if text.is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS) {
        breaches.push(breach("/text", Problem::TooLong(MAX_TEXT_CHARS as u64)));
    }
    breaches
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
    // The contract holds: `files` is a non-empty array, `channel_id` an ID.
    let files = args
        .get("files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let channel = match args.get("channel_id") {
        Some(_) => Some(channel_id(fake, args, "channel_id", false)?),
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
    for entry in &files {
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
    if channel.is_some() {
        let ready = std::time::Instant::now() + *lock(&fake.processing);
        for f in &done {
            if let Some(id) = f["id"].as_str() {
                held.processed_at.insert(id.to_owned(), ready);
            }
        }
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
            metadata: None,
        });
    }
    Ok(json!({"ok": true, "files": done}))
}

/// `conversations.list`: the channels of the requested `types`, `limit` at a time (and
/// never more than the configured page size), with an opaque `next_cursor` while more
/// remain.
fn list_conversations(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let limit = match args.get("limit").and_then(Value::as_u64) {
        None | Some(0) => DEFAULT_LIST_LIMIT,
        Some(n) if n > MAX_LIST_LIMIT => return Err(slack_error("invalid_limit")),
        Some(n) => n,
    };
    let types: Vec<&str> = args
        .get("types")
        .and_then(Value::as_str)
        .unwrap_or("public_channel")
        .split(',')
        .map(str::trim)
        .collect();
    let known = ["public_channel", "private_channel", "mpim", "im"];
    if types.iter().any(|t| !known.contains(t)) {
        return Err(slack_error("invalid_types"));
    }
    let exclude_archived = args
        .get("exclude_archived")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let start = match args.get("cursor").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(cursor) => decode_cursor(cursor).ok_or_else(|| slack_error("invalid_cursor"))?,
    };
    let matching: Vec<&FakeChannel> = fake
        .config
        .channels
        .iter()
        .filter(|c| {
            let kind = if c.is_private {
                "private_channel"
            } else {
                "public_channel"
            };
            types.contains(&kind) && !(exclude_archived && c.is_archived)
        })
        .collect();
    let page_len = (limit as usize).min(fake.config.page_size);
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(page_len)
        .map(|c| conversation(c))
        .collect();
    let next = start + page_len;
    let next_cursor = if next < matching.len() {
        BASE64.encode(format!("next:{next}"))
    } else {
        String::new()
    };
    Ok(json!({"ok": true, "channels": page, "response_metadata": {"next_cursor": next_cursor}}))
}

/// `conversations.history`: the channel's messages (not thread replies), newest first,
/// after `oldest` and before `latest` (at either too when `inclusive`), `limit` at a time with an opaque
/// `next_cursor` while more remain; metadata only with `include_all_metadata`. Slack
/// lets the bot read a channel it is in, with `channels:history` for a public one and
/// `groups:history` for a private one.
fn history(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let channel = readable_channel(fake, args)?;
    let held = lock(&fake.held);
    let mut matching: Vec<&SlackMessage> = held
        .messages
        .iter()
        .filter(|m| m.channel == channel && m.thread_ts.is_none() && m.ephemeral_user.is_none())
        .filter(|m| in_range(m, args))
        .collect();
    matching.sort_by_key(|m| std::cmp::Reverse(slack_time(&m.ts)));
    let mut answer = page_of(&matching, &held.messages, args, DEFAULT_HISTORY_LIMIT)?;
    answer["pin_count"] = json!(0);
    Ok(answer)
}

/// `conversations.replies`: one thread, the message at `ts` first and then its replies
/// between `oldest` and `latest`, oldest first, paged and with metadata as `conversations.history`
/// (Slack: "Returns an entire thread (a message plus all the messages in reply to it)").
/// `ts` must be a message of the channel: else `thread_not_found`.
fn replies(fake: &Fake, args: &Map<String, Value>) -> Result<Value, Refusal> {
    let channel = readable_channel(fake, args)?;
    let ts = args.get("ts").and_then(Value::as_str).unwrap_or_default();
    let held = lock(&fake.held);
    let in_channel = |m: &&SlackMessage| m.channel == channel && m.ephemeral_user.is_none();
    let Some(parent) = held.messages.iter().filter(in_channel).find(|m| m.ts == ts) else {
        return Err(slack_error("thread_not_found"));
    };
    let mut thread: Vec<&SlackMessage> = held
        .messages
        .iter()
        .filter(in_channel)
        .filter(|m| m.thread_ts.as_deref() == Some(ts))
        .filter(|m| in_range(m, args))
        .collect();
    thread.sort_by_key(|m| slack_time(&m.ts));
    thread.insert(0, parent);
    page_of(&thread, &held.messages, args, DEFAULT_REPLIES_LIMIT)
}

/// The channel of a read (`channel`, an ID), if the bot may read it.
fn readable_channel(fake: &Fake, args: &Map<String, Value>) -> Result<String, Refusal> {
    let channel = channel_id(fake, args, "channel", false)?;
    let known = fake.config.channels.iter().find(|c| c.id == channel);
    let Some(known) = known else {
        return Err(slack_error("channel_not_found"));
    };
    let scope = if known.is_private {
        "groups:history"
    } else {
        "channels:history"
    };
    if !fake.config.scopes.iter().any(|s| s == scope) {
        return Err(slack_error("missing_scope"));
    }
    if !known.is_member {
        return Err(slack_error("not_in_channel"));
    }
    Ok(channel)
}

/// Whether `m` is between `oldest` and `latest` (at either too when `inclusive`); either
/// may be left out.
fn in_range(m: &SlackMessage, args: &Map<String, Value>) -> bool {
    let inclusive = args.get("inclusive").and_then(Value::as_bool) == Some(true);
    let at = slack_time(&m.ts);
    let bound = |name: &str| args.get(name).and_then(Value::as_str).map(slack_time);
    let after_oldest = match bound("oldest") {
        None => true,
        Some(oldest) if inclusive => at >= oldest,
        Some(oldest) => at > oldest,
    };
    let before_latest = match bound("latest") {
        None => true,
        Some(latest) if inclusive => at <= latest,
        Some(latest) => at < latest,
    };
    after_oldest && before_latest
}

/// One page of `messages` from `cursor`, `limit` (else `default_limit`) at a time, as Slack
/// answers a read. A message with replies (among `all`) is a thread's parent, and says so
/// as Slack's does: its own ts as `thread_ts`, `reply_count`, `reply_users_count`,
/// `reply_users` and `latest_reply`.
fn page_of(
    messages: &[&SlackMessage],
    all: &[SlackMessage],
    args: &Map<String, Value>,
    default_limit: usize,
) -> Result<Value, Refusal> {
    let limit = args
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(default_limit, |n| n as usize);
    let metadata = args.get("include_all_metadata").and_then(Value::as_bool) == Some(true);
    let start = match args.get("cursor").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(cursor) => decode_cursor(cursor).ok_or_else(|| slack_error("invalid_cursor"))?,
    };
    let page: Vec<Value> = messages
        .iter()
        .skip(start)
        .take(limit)
        .map(|m| {
            let mut message = json!({
                "type": "message",
                "user": "U0MODELWATCH",
                "bot_id": "B0MODELWATCH",
                "text": m.text,
                "ts": m.ts,
                "blocks": m.blocks,
            });
            if let Some(thread) = &m.thread_ts {
                message["thread_ts"] = json!(thread);
            }
            let replies: Vec<&SlackMessage> = all
                .iter()
                .filter(|r| r.channel == m.channel && r.ephemeral_user.is_none())
                .filter(|r| r.thread_ts.as_deref() == Some(&m.ts))
                .collect();
            if m.thread_ts.is_none()
                && let Some(latest) = replies
                    .iter()
                    .map(|r| r.ts.as_str())
                    .max_by_key(|ts| slack_time(ts))
            {
                message["thread_ts"] = json!(m.ts);
                message["reply_count"] = json!(replies.len());
                message["reply_users_count"] = json!(1);
                message["reply_users"] = json!(["U0MODELWATCH"]);
                message["latest_reply"] = json!(latest);
                message["is_locked"] = json!(false);
                message["subscribed"] = json!(false);
            }
            if metadata && let Some(data) = &m.metadata {
                message["metadata"] = data.clone();
            }
            message
        })
        .collect();
    let next = start + limit;
    let (has_more, next_cursor) = if next < messages.len() {
        (true, BASE64.encode(format!("next:{next}")))
    } else {
        (false, String::new())
    };
    Ok(json!({
        "ok": true,
        "messages": page,
        "has_more": has_more,
        "response_metadata": {"next_cursor": next_cursor},
    }))
}

/// A Slack time (`1658903885.673769`) as seconds and microseconds, to order by.
fn slack_time(ts: &str) -> (u64, u64) {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let micros = format!("{micros:0<6}");
    (
        secs.parse().unwrap_or(0),
        micros.get(..6).and_then(|m| m.parse().ok()).unwrap_or(0),
    )
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(BASE64.decode(cursor).ok()?).ok()?;
    text.strip_prefix("next:")?.parse().ok()
}

/// A channel as `conversations.list` describes one (the fields of Slack's conversation
/// object that a channel always has).
fn conversation(channel: &FakeChannel) -> Value {
    let blank = json!({"value": "", "creator": "", "last_set": 0});
    json!({
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": 1_700_000_000,
        "creator": "U0CREATOR1",
        "is_channel": !channel.is_private,
        "is_group": false,
        "is_im": false,
        "is_mpim": false,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_general": false,
        "is_shared": false,
        "is_org_shared": false,
        "is_ext_shared": false,
        "is_member": channel.is_member,
        "num_members": 3,
        "topic": blank,
        "purpose": blank,
    })
}

async fn list_messages(State(fake): State<Arc<Fake>>) -> Json<Vec<SlackMessage>> {
    Json(lock(&fake.held).messages.clone())
}

async fn list_files(State(fake): State<Arc<Fake>>) -> Json<Vec<SlackFile>> {
    Json(lock(&fake.held).files.values().cloned().collect())
}
