//! The Slack client against the Slack fake: posts, threads, updates, uploads, retries,
//! rejections, channel names resolved to IDs, and the fake's own checks (token, channel,
//! Slack's method contracts and Block Kit limits).

use std::time::{Duration, Instant};

use modelwatch::domain::Timestamp;
use modelwatch::http::{BaseUrl, DeliveryError, RetryPolicy};
use modelwatch::secret::Secret;
use modelwatch::slack::{
    Block, Button, ButtonStyle, ChannelId, FileUpload, Message, Metadata, SlackClient, SlackError,
};
use modelwatch_tests::fakes::{Fault, SlackFake, SlackFakeConfig};
use serde_json::{Value, json};

const TOKEN: &str = "xoxb-test-token-1234";

async fn fake() -> SlackFake {
    let config = SlackFakeConfig::new(TOKEN)
        .channel("C0ALERTS", "ml-alerts")
        .channel("C0REPORTS", "ml-reports");
    SlackFake::start(config, 0).await.unwrap()
}

fn client_with(fake: &SlackFake, token: &str) -> SlackClient {
    let timeouts = modelwatch_tests::quick_timeouts();
    SlackClient::new(
        BaseUrl::new(&fake.url()).unwrap(),
        Secret::new(token),
        timeouts,
    )
    .unwrap()
    .with_retry_policy(RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        deadline: Duration::from_secs(10),
    })
}

fn client(fake: &SlackFake) -> SlackClient {
    client_with(fake, TOKEN)
}

fn channel(id: &str) -> ChannelId {
    ChannelId::new(id).unwrap()
}

fn alert_message(channel_id: &str) -> Message {
    Message::new(
        channel(channel_id),
        "L2 · p95 latency 2.8 s on chat-large v7",
    )
    .blocks(vec![
        Block::header("L2 · p95 latency · chat-large v7"),
        Block::section("*p95 generation latency* 2.8 s against 2.0 s"),
        Block::fields(["*Model*\nchat-large".into(), "*Version*\nv7".into()]),
        Block::actions([
            Button::action("Acknowledge", "ack", "alert-1").style(ButtonStyle::Primary),
            Button::action("Mark false positive", "false_positive", "alert-1"),
            Button::action("Silence 1 h", "silence", "alert-1"),
        ]),
    ])
}

fn rejection(err: SlackError) -> (String, Vec<String>) {
    match err {
        SlackError::Delivery(DeliveryError::Rejected {
            reason, details, ..
        }) => (reason, details),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn post_then_thread_then_update_on_recovery() {
    let fake = fake().await;
    let slack = client(&fake);
    let first = slack
        .post_message(&alert_message("C0ALERTS"))
        .await
        .unwrap();
    assert_eq!(first.channel, "C0ALERTS");

    let follow_up = Message::new(
        channel("C0ALERTS"),
        "Escalated to L3: no acknowledgement in 15 min",
    )
    .in_thread(first.ts.clone());
    let reply = slack.post_message(&follow_up).await.unwrap();
    assert_ne!(reply.ts, first.ts);

    let recovered =
        Message::new(channel("C0ALERTS"), "Recovered after 23 min").blocks(vec![Block::section(
            ":white_check_mark: Recovered after 23 min",
        )]);
    let updated = slack.update_message(&first.ts, &recovered).await.unwrap();
    assert_eq!(updated.ts, first.ts);

    let messages = fake.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].text, "Recovered after 23 min");
    assert_eq!(messages[0].edits, 1);
    let thread = fake.thread(first.ts.as_str());
    assert_eq!(thread.len(), 1);
    assert!(thread[0].text.starts_with("Escalated to L3"));
}

#[tokio::test]
async fn channel_names_resolve_to_their_ids() {
    let fake = fake().await;
    let posted = client(&fake)
        .post_message(&Message::new(channel("#ml-reports"), "Daily health check"))
        .await
        .unwrap();
    assert_eq!(posted.channel, "C0REPORTS");
}

#[tokio::test]
async fn a_bad_token_is_refused_and_never_retried_nor_shown() {
    let fake = fake().await;
    let err = client_with(&fake, "xoxb-wrong-secret-value")
        .post_message(&alert_message("C0ALERTS"))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-secret-value"), "{shown}");
    assert!(!err.is_retryable());
    let (reason, _) = rejection(err);
    assert!(reason.contains("invalid_auth"), "{reason}");
    assert_eq!(fake.received().len(), 1);
    assert!(fake.messages().is_empty());
}

#[tokio::test]
async fn an_unknown_channel_is_refused() {
    let fake = fake().await;
    let err = client(&fake)
        .post_message(&alert_message("C0NOWHERE"))
        .await
        .unwrap_err();
    let (reason, _) = rejection(err);
    assert!(reason.contains("channel_not_found"), "{reason}");
}

#[tokio::test]
async fn the_client_refuses_a_message_over_limits_without_sending_it() {
    let fake = fake().await;
    let message = Message::new(channel("C0ALERTS"), "").blocks(vec![
        Block::header("h".repeat(151)),
        Block::section("s".repeat(3001)),
    ]);
    let err = client(&fake).post_message(&message).await.unwrap_err();
    match &err {
        SlackError::InvalidMessage { violations } => {
            let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
            assert_eq!(
                paths,
                ["text", "blocks[0].text.text", "blocks[1].text.text"]
            );
        }
        other => panic!("expected InvalidMessage, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("blocks[1].text.text: 3001 characters, at most 3000")
    );
    assert!(!err.is_retryable());
    assert!(fake.received().is_empty());
}

async fn post_raw(fake: &SlackFake, token: Option<&str>, body: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{}/chat.postMessage", fake.url()))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_message_of_51_blocks_is_refused_and_recorded_as_a_contract_violation() {
    let fake = fake().await;
    let blocks: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": blocks}),
    )
    .await;
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"], "invalid_blocks");
    assert_eq!(
        answer["response_metadata"]["messages"],
        json!(["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"])
    );
    assert!(fake.messages().is_empty());
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].operation, "chat.postMessage");
    assert_eq!(fake.received()[0].violations, violations);
}

/// Blocks each within its own limit whose text runs past about 12,000 characters in all:
/// Slack answers `msg_blocks_too_long`, and our own check refuses them before sending.
#[tokio::test]
async fn blocks_carrying_too_much_text_in_all_are_refused() {
    let fake = fake().await;
    let section =
        |n: usize| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(n)}});
    let blocks = [
        section(3000),
        section(3000),
        section(3000),
        section(3000),
        section(1),
    ];
    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": blocks}),
    )
    .await;
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"], "msg_blocks_too_long");
    assert!(fake.messages().is_empty());
    // One character less is taken.
    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": &blocks[..4]}),
    )
    .await;
    assert_eq!(answer["ok"], true, "{answer}");

    let ours: Vec<Block> = (0..5)
        .map(|i| Block::section("x".repeat(if i < 4 { 3000 } else { 1 })))
        .collect();
    let message = Message::new(ChannelId::new("C0ALERTS").unwrap(), "x").blocks(ours);
    assert!(
        message
            .violations()
            .iter()
            .any(|v| v.problem.contains("msg_blocks_too_long")),
        "{:?}",
        message.violations()
    );
}

#[tokio::test]
async fn fake_answers_invalid_blocks_with_json_pointers() {
    let fake = fake().await;

    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": [
            {"type": "image", "image_url": "https://example.com/a.png"},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f".repeat(2001)}]}
        ]}),
    )
    .await;
    assert_eq!(answer["error"], "invalid_blocks");
    let messages = answer["response_metadata"]["messages"].to_string();
    assert!(
        messages.contains("missing required field: alt_text [json-pointer:/blocks/0]"),
        "{messages}"
    );
    assert!(
        messages.contains("[json-pointer:/blocks/1/fields/0/text]"),
        "{messages}"
    );

    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": [{"type": "carousel"}]}),
    )
    .await;
    assert_eq!(answer["error"], "invalid_blocks");
    assert!(fake.messages().is_empty());
    assert_eq!(fake.take_contract_violations().len(), 2);
}

#[tokio::test]
async fn block_kit_limits_per_block_type_are_slacks() {
    let fake = fake().await;
    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "x", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}},
            {"type": "context", "elements": (0..11).map(|i| json!({"type": "mrkdwn", "text": i.to_string()})).collect::<Vec<_>>()},
            {"type": "actions", "elements": (0..26).map(|i| json!({"type": "button", "text": {"type": "plain_text", "text": "b"}, "action_id": format!("a{i}")})).collect::<Vec<_>>()},
            {"type": "section", "text": {"type": "mrkdwn", "text": "s"}, "accessory":
                {"type": "button", "text": {"type": "plain_text", "text": "ok"}, "url": "u".repeat(3001), "style": "loud"}},
            {"type": "image", "image_url": "https://e.com/a.png", "alt_text": "a", "title": {"type": "mrkdwn", "text": "t"}}
        ]}),
    )
    .await;
    assert_eq!(answer["error"], "invalid_blocks");
    let messages = answer["response_metadata"]["messages"].to_string();
    for expected in [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        "no more than 10 items allowed [json-pointer:/blocks/1/elements]",
        "no more than 25 items allowed [json-pointer:/blocks/2/elements]",
        "must be less than 3001 characters [json-pointer:/blocks/3/accessory/url]",
        "[json-pointer:/blocks/3/accessory/style]",
        "[json-pointer:/blocks/4/title/type]",
    ] {
        assert!(messages.contains(expected), "{expected} in {messages}");
    }
    fake.take_contract_violations();
}

#[tokio::test]
async fn fake_wants_a_token() {
    let fake = fake().await;
    let answer = post_raw(&fake, None, json!({"channel": "C0ALERTS", "text": "x"})).await;
    assert_eq!(answer["error"], "not_authed");
    let answer = post_raw(
        &fake,
        Some("xoxb-other"),
        json!({"channel": "C0ALERTS", "text": "x"}),
    )
    .await;
    assert_eq!(answer["error"], "invalid_auth");
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let fake = fake().await;
    fake.faults().push(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let started = Instant::now();
    client(&fake)
        .post_message(&alert_message("C0ALERTS"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.received().len(), 2);
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn three_server_errors_then_success_posts_once() {
    let fake = fake().await;
    fake.faults().fail_next(3, 500);
    client(&fake)
        .post_message(&alert_message("C0ALERTS"))
        .await
        .unwrap();
    assert_eq!(fake.received().len(), 4);
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let fake = fake().await;
    fake.faults().push(Fault::Slow { delay_ms: 1500 }, 1);
    client(&fake)
        .post_message(&alert_message("C0ALERTS"))
        .await
        .unwrap();
    assert_eq!(fake.messages().len(), 1);
}

#[tokio::test]
async fn a_file_is_uploaded_in_three_steps_and_shared_in_the_channel() {
    let fake = fake().await;
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4];
    let upload = FileUpload {
        filename: "latency.png".into(),
        title: "p95 latency, last 7 days".into(),
        bytes: png.clone(),
        channel: channel("C0REPORTS"),
        initial_comment: Some("Weekly report charts".into()),
        thread_ts: None,
    };
    let file = client(&fake).upload_file(&upload).await.unwrap();
    assert!(file.id.starts_with('F'));
    assert!(file.permalink.is_some());

    let files = fake.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].uploaded_bytes, Some(png.len()));
    assert_eq!(files[0].declared_length, png.len());
    assert_eq!(files[0].shared_in.as_deref(), Some("C0REPORTS"));
    let messages = fake.messages();
    assert_eq!(messages[0].files, vec![file.id.clone()]);
    assert_eq!(messages[0].text, "Weekly report charts");

    let paths: Vec<String> = fake.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths[0], "/api/files.getUploadURLExternal");
    assert!(paths[1].starts_with("/upload/v1/"));
    assert_eq!(paths[2], "/api/files.completeUploadExternal");
}

#[tokio::test]
async fn ephemeral_messages_name_their_user() {
    let fake = fake().await;
    client(&fake)
        .post_ephemeral(
            &Message::new(channel("C0ALERTS"), "Subscribed to daily reports"),
            "U123",
        )
        .await
        .unwrap();
    assert_eq!(fake.messages()[0].ephemeral_user.as_deref(), Some("U123"));
}

fn chart(channel_name: &str) -> FileUpload {
    FileUpload {
        filename: "latency.png".into(),
        title: "p95 latency".into(),
        bytes: vec![0x89, b'P', b'N', b'G'],
        channel: channel(channel_name),
        initial_comment: None,
        thread_ts: None,
    }
}

fn calls(fake: &SlackFake, method: &str) -> Vec<modelwatch_tests::fakes::Received> {
    fake.received()
        .into_iter()
        .filter(|r| r.path == format!("/api/{method}"))
        .collect()
}

/// 7 channels, 2 to a page, one archived: the client follows the cursor to the 3rd page.
async fn paged_fake() -> SlackFake {
    let mut config = SlackFakeConfig::new(TOKEN).page_size(2);
    for i in 0..5 {
        config = config.channel(format!("C0PUBLIC{i:02}"), format!("team-{i}"));
    }
    config = config
        .archived_channel("C0ARCHIVED", "ml-reports-old")
        .private_channel("G0PRIVATE01", "ml-reports");
    SlackFake::start(config, 0).await.unwrap()
}

#[tokio::test]
async fn a_chart_for_a_channel_name_is_shared_by_the_id_conversations_list_gives() {
    let fake = paged_fake().await;
    let slack = client(&fake);
    slack.upload_file(&chart("#ml-reports")).await.unwrap();
    assert_eq!(fake.files()[0].shared_in.as_deref(), Some("G0PRIVATE01"));

    let lists = calls(&fake, "conversations.list");
    assert_eq!(
        lists.len(),
        3,
        "six channels listed (not the archived one), two a page"
    );
    for (i, call) in lists.iter().enumerate() {
        assert_eq!(call.body["types"], "public_channel,private_channel");
        assert_eq!(call.body["exclude_archived"], "true");
        assert_eq!(call.body["limit"], "200");
        assert_eq!(call.body.get("cursor").is_some(), i > 0, "page {i}");
    }
    let complete = &calls(&fake, "files.completeUploadExternal")[0];
    assert_eq!(complete.body["channel_id"], "G0PRIVATE01");

    // The directory is kept for the container: a second upload lists nothing.
    slack.upload_file(&chart("ml-reports")).await.unwrap();
    assert_eq!(calls(&fake, "conversations.list").len(), 3);
    // And a clone of the client (another handler of the same container) shares it.
    slack.clone().upload_file(&chart("#team-3")).await.unwrap();
    assert_eq!(calls(&fake, "conversations.list").len(), 3);
    assert!(fake.contract_violations().is_empty());
}

#[tokio::test]
async fn a_channel_the_bot_cannot_list_fails_clearly_before_anything_is_uploaded() {
    let fake = paged_fake().await;
    let err = client(&fake)
        .upload_file(&chart("#ml-reports-old"))
        .await
        .unwrap_err();
    assert!(matches!(err, SlackError::UnknownChannel { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let shown = err.to_string();
    assert!(
        shown.contains("no Slack channel named #ml-reports-old"),
        "{shown}"
    );
    assert!(shown.contains("channel ID"), "{shown}");
    assert!(calls(&fake, "files.getUploadURLExternal").is_empty());
    assert!(fake.files().is_empty());
}

#[tokio::test]
async fn a_channel_id_is_used_as_it_is() {
    let fake = fake().await;
    client(&fake)
        .upload_file(&chart("C0REPORTS"))
        .await
        .unwrap();
    assert!(calls(&fake, "conversations.list").is_empty());
}

#[tokio::test]
async fn an_update_addressed_by_name_goes_to_the_channels_id() {
    let fake = fake().await;
    let slack = client(&fake);
    let posted = slack
        .post_message(&Message::new(channel("#ml-alerts"), "L2 · p95 latency"))
        .await
        .unwrap();
    slack
        .update_message(
            &posted.ts,
            &Message::new(channel("#ml-alerts"), "Recovered after 23 min"),
        )
        .await
        .unwrap();
    assert_eq!(calls(&fake, "chat.update")[0].body["channel"], "C0ALERTS");
    assert_eq!(fake.messages()[0].edits, 1);
}

async fn call_raw(fake: &SlackFake, method: &str, body: Value) -> Value {
    send_raw(fake, method, |r| r.json(&body)).await
}

/// One call of `method` with the bot's token, its body set by `body`; Slack's answer.
async fn send_raw(
    fake: &SlackFake,
    method: &str,
    body: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Value {
    body(
        reqwest::Client::new()
            .post(format!("{}/{method}", fake.url()))
            .bearer_auth(TOKEN),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn the_fake_refuses_a_channel_name_where_slack_takes_ids_only() {
    let fake = fake().await;
    let reserved = call_raw(
        &fake,
        "files.getUploadURLExternal",
        json!({"filename": "a.png", "length": 4}),
    )
    .await;
    let file_id = reserved["file_id"].as_str().unwrap().to_owned();
    reqwest::Client::new()
        .post(reserved["upload_url"].as_str().unwrap())
        .body(vec![1, 2, 3, 4])
        .send()
        .await
        .unwrap();
    let answer = call_raw(
        &fake,
        "files.completeUploadExternal",
        json!({"files": [{"id": file_id}], "channel_id": "#ml-reports"}),
    )
    .await;
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"], "invalid_arguments");
    assert_eq!(
        answer["response_metadata"]["messages"],
        json!([
            "[ERROR] input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]"
        ])
    );
    assert_eq!(fake.files()[0].shared_in, None);
    assert_eq!(fake.take_contract_violations().len(), 1);

    // chat.update names "the channel containing the message": by ID.
    let posted = call_raw(
        &fake,
        "chat.postMessage",
        json!({"channel": "#ml-alerts", "text": "x"}),
    )
    .await;
    let answer = call_raw(
        &fake,
        "chat.update",
        json!({"channel": "#ml-alerts", "ts": posted["ts"], "text": "y"}),
    )
    .await;
    assert_eq!(answer["error"], "channel_not_found");
}

#[tokio::test]
async fn the_fakes_conversations_list_pages_by_cursor() {
    let fake = paged_fake().await;
    let mut names = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let answer = call_raw(
            &fake,
            "conversations.list",
            json!({"types": "public_channel", "limit": 3, "cursor": cursor}),
        )
        .await;
        assert_eq!(answer["ok"], true);
        let page = answer["channels"].as_array().unwrap();
        assert!(page.len() <= 2, "the page size caps the limit");
        names.extend(page.iter().map(|c| c["name"].as_str().unwrap().to_owned()));
        cursor = answer["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(
        names,
        [
            "team-0",
            "team-1",
            "team-2",
            "team-3",
            "team-4",
            "ml-reports-old"
        ]
    );
    let answer = call_raw(&fake, "conversations.list", json!({"cursor": "bm9wZQ=="})).await;
    assert_eq!(answer["error"], "invalid_cursor");
    let answer = call_raw(&fake, "conversations.list", json!({"limit": "lots"})).await;
    assert_eq!(answer["error"], "invalid_arguments");
    assert_eq!(fake.take_contract_violations().len(), 1);
}

fn metadata(step: &str) -> Metadata {
    let payload =
        json!({"alert": "datadog:monitor:1|model:chat-large", "cycle": 1, "seq": 3, "step": step});
    Metadata {
        event_type: "modelwatch_alert".into(),
        event_payload: payload.as_object().cloned().unwrap(),
    }
}

/// An interrupted post is found again in the channel by its metadata, past a page of other
/// messages; other metadata and messages before `since` are not it.
#[tokio::test]
async fn a_post_is_found_again_by_its_metadata() {
    let fake = fake().await;
    let c = client(&fake);
    let since = Timestamp::now().minus_secs(60);
    let wanted = metadata("slack-post:#ml-alerts");
    let posted = c
        .post_message(&alert_message("C0ALERTS").with_metadata(wanted.clone()))
        .await
        .unwrap();
    c.post_message(&alert_message("C0ALERTS").with_metadata(metadata("slack-post:#other")))
        .await
        .unwrap();
    // More than a page (100) of newer messages before it.
    for i in 0..120 {
        c.post_message(&Message::new(channel("C0ALERTS"), format!("chatter {i}")))
            .await
            .unwrap();
    }
    let found = c
        .find_posted(&channel("#ml-alerts"), None, since, &wanted)
        .await
        .unwrap();
    assert_eq!(found, Some(posted));
    let history = calls(&fake, "conversations.history");
    assert_eq!(history.len(), 2, "two pages");
    assert!(
        fake.contract_violations().is_empty(),
        "{:#?}",
        fake.contract_violations()
    );

    let later = Timestamp::now().plus_secs(301);
    assert_eq!(
        c.find_posted(&channel("C0ALERTS"), None, later, &wanted)
            .await
            .unwrap(),
        None
    );
    let in_other_channel = c
        .find_posted(&channel("C0REPORTS"), None, since, &wanted)
        .await;
    assert_eq!(in_other_channel.unwrap(), None);
}

/// Without the history scopes, or in a channel the bot has not joined, Slack refuses the
/// read: the error says why, so the caller can post anyway and say so.
#[tokio::test]
async fn a_channel_the_bot_cannot_read_is_an_error_not_an_answer() {
    let config = SlackFakeConfig::new(TOKEN)
        .channel("C0ALERTS", "ml-alerts")
        .channel_without_bot("C0OUTSIDE", "elsewhere");
    let fake = SlackFake::start(config, 0).await.unwrap();
    let c = client(&fake);
    let since = Timestamp::now().minus_secs(60);
    let err = c
        .find_posted(
            &channel("C0OUTSIDE"),
            None,
            since,
            &metadata("slack-post:#elsewhere"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not_in_channel"), "{err}");

    let config = SlackFakeConfig::new(TOKEN)
        .channel("C0ALERTS", "ml-alerts")
        .scopes(&["chat:write", "channels:read"]);
    let fake = SlackFake::start(config, 0).await.unwrap();
    let err = client(&fake)
        .find_posted(
            &channel("C0ALERTS"),
            None,
            since,
            &metadata("slack-post:#ml-alerts"),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("missing_scope"), "{err}");
}

/// A read of the fake as Slack answers one (form arguments, as the client sends them).
async fn read_raw(fake: &SlackFake, method: &str, form: &[(&str, &str)]) -> Value {
    send_raw(fake, method, |r| r.form(form)).await
}

/// The fake reads as Slack's method reference says: a thread's parent carries its own ts
/// as `thread_ts`, `reply_count` and `latest_reply`, in the channel's history and at the
/// head of its thread; `latest` ends a read (excluded unless `inclusive`), as `oldest`
/// starts it.
#[tokio::test]
async fn reads_show_a_threads_parent_and_keep_to_latest() {
    let fake = fake().await;
    let c = client(&fake);
    let parent = c.post_message(&alert_message("C0ALERTS")).await.unwrap();
    let mut replies = Vec::new();
    for text in ["Escalated", "Resolved"] {
        let reply = Message::new(channel("C0ALERTS"), text.to_owned()).in_thread(parent.ts.clone());
        replies.push(c.post_message(&reply).await.unwrap().ts);
    }
    let alone = c.post_message(&alert_message("C0ALERTS")).await.unwrap();

    let history = read_raw(&fake, "conversations.history", &[("channel", "C0ALERTS")]).await;
    let messages = history["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{history}");
    let head = messages
        .iter()
        .find(|m| m["ts"] == parent.ts.as_str())
        .unwrap();
    assert_eq!(head["thread_ts"], parent.ts.as_str());
    assert_eq!(head["reply_count"], 2);
    assert_eq!(head["latest_reply"], replies[1].as_str());
    let other = messages
        .iter()
        .find(|m| m["ts"] == alone.ts.as_str())
        .unwrap();
    assert!(other.get("reply_count").is_none(), "{other}");
    assert!(other.get("thread_ts").is_none(), "{other}");

    let ts = parent.ts.as_str();
    let thread = read_raw(
        &fake,
        "conversations.replies",
        &[("channel", "C0ALERTS"), ("ts", ts)],
    )
    .await;
    assert_eq!(thread["messages"][0]["reply_count"], 2, "{thread}");
    assert_eq!(thread["messages"][1]["thread_ts"], ts);

    let before = [
        ("channel", "C0ALERTS"),
        ("ts", ts),
        ("latest", replies[1].as_str()),
    ];
    let thread = read_raw(&fake, "conversations.replies", &before).await;
    let texts: Vec<&str> = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"Escalated") && !texts.contains(&"Resolved"),
        "{texts:?}"
    );
    let through = [
        ("channel", "C0ALERTS"),
        ("ts", ts),
        ("latest", replies[1].as_str()),
        ("inclusive", "true"),
    ];
    let thread = read_raw(&fake, "conversations.replies", &through).await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), 3, "{thread}");
    let history = read_raw(
        &fake,
        "conversations.history",
        &[("channel", "C0ALERTS"), ("latest", alone.ts.as_str())],
    )
    .await;
    assert_eq!(
        history["messages"].as_array().unwrap().len(),
        1,
        "{history}"
    );
    assert!(
        fake.contract_violations().is_empty(),
        "{:#?}",
        fake.contract_violations()
    );
}

/// Metadata that breaks Slack's contract is refused and recorded.
#[tokio::test]
async fn metadata_without_an_event_type_breaks_the_contract() {
    let fake = fake().await;
    let answer = post_raw(
        &fake,
        Some(TOKEN),
        json!({"channel": "C0ALERTS", "text": "hi", "metadata": {"event_payload": {}}}),
    )
    .await;
    assert_eq!(answer["ok"], false, "{answer}");
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        format!("{violations:?}").contains("event_type"),
        "{violations:#?}"
    );
}

/// A post whose answer is lost (Slack posted it, the answer came after the client's
/// timeout) is looked for by its metadata before the retry, and found: one message.
/// Without metadata there is nothing to look for, and the retry posts it again.
#[tokio::test]
async fn a_post_whose_answer_is_lost_is_found_not_posted_twice() {
    let fake = fake().await;
    let c = client(&fake);
    fake.faults().push(Fault::HoldAnswer { delay_ms: 1_500 }, 1);
    let message = alert_message("C0ALERTS").with_metadata(metadata("slack-post:#ml-alerts"));
    let posted = c.post_message(&message).await.unwrap();
    let messages = fake.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(posted.ts.as_str(), messages[0].ts);
    // The abandoned call is not among those answered; the look-up and nothing else is.
    let answered: Vec<String> = fake.received().into_iter().map(|r| r.path).collect();
    assert_eq!(answered, ["/api/conversations.history"]);

    fake.faults().push(Fault::HoldAnswer { delay_ms: 1_500 }, 1);
    c.post_message(&alert_message("C0ALERTS")).await.unwrap();
    assert_eq!(fake.messages().len(), 3, "posted twice without metadata");
}

/// Slack's `internal_error` (and `fatal_error`, a 5xx) may come after the message was
/// stored ("some aspect of the operation may have succeeded"): the retry looks for it by
/// its metadata first, and finds it. A spent rate limit posted nothing: no look-up.
#[tokio::test]
async fn a_post_answered_internal_error_after_it_went_out_is_not_posted_twice() {
    let fake = fake().await;
    let c = client(&fake);
    for (n, status) in [(1, 200), (2, 500)] {
        fake.faults().push(Fault::HandledThenStatus { status }, 1);
        let message =
            alert_message("C0ALERTS").with_metadata(metadata(&format!("slack-post:{status}")));
        let posted = c.post_message(&message).await.unwrap();
        let messages = fake.messages();
        assert_eq!(messages.len(), n, "after {status}: {messages:#?}");
        assert_eq!(posted.ts.as_str(), messages[n - 1].ts);
    }
    assert_eq!(calls(&fake, "conversations.history").len(), 2);

    fake.faults().push(
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        1,
    );
    let message = alert_message("C0ALERTS").with_metadata(metadata("slack-post:limited"));
    c.post_message(&message).await.unwrap();
    assert_eq!(
        calls(&fake, "conversations.history").len(),
        2,
        "no look-up after a rate limit"
    );
    assert_eq!(fake.messages().len(), 3);
}

/// A look-up that fails for now (here Slack's rate limit on reading the channel, past the
/// client's deadline) is not taken for "not posted": the post is not sent again, and the
/// call fails for a later retry, whose look-up (the escalator's, `find_posted`) finds it.
#[tokio::test]
async fn a_look_up_that_fails_for_now_does_not_post_again() {
    let fake = fake().await;
    let c = client(&fake);
    fake.faults().push(Fault::HoldAnswer { delay_ms: 1_500 }, 1);
    // The look-up after the lost post meets a rate limit past the call's deadline.
    fake.faults().push(
        Fault::RateLimited {
            retry_after_secs: 30,
        },
        1,
    );
    let since = Timestamp::now();
    let message = alert_message("C0ALERTS").with_metadata(metadata("slack-post:#ml-alerts"));
    let failed = c.post_message(&message).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed}");
    let messages = fake.messages();
    assert_eq!(messages.len(), 1, "posted once, not again: {messages:#?}");
    assert_eq!(calls(&fake, "conversations.history").len(), 1);
    let found = c
        .find_posted(
            &message.channel,
            None,
            since,
            message.metadata.as_ref().unwrap(),
        )
        .await
        .unwrap()
        .expect("the post that went out");
    assert_eq!(found.ts.as_str(), messages[0].ts);
}

/// A thread reply is not among the channel's messages: one whose answer is lost is looked
/// for in its thread (`conversations.replies`, past other replies and the parent, which
/// carry other metadata), and found: one reply.
#[tokio::test]
async fn a_reply_whose_answer_is_lost_is_found_in_its_thread_not_posted_twice() {
    let fake = fake().await;
    let c = client(&fake);
    let parent = c
        .post_message(&alert_message("C0ALERTS").with_metadata(metadata("slack-post:#ml-alerts")))
        .await
        .unwrap();
    for i in 0..120 {
        let chatter = Message::new(channel("C0ALERTS"), format!("reply {i}"));
        c.post_message(&chatter.in_thread(parent.ts.clone()))
            .await
            .unwrap();
    }
    // Another reply of the alert's, with metadata of its own: not the one looked for.
    let escalated = Message::new(channel("C0ALERTS"), "Escalated".to_owned())
        .in_thread(parent.ts.clone())
        .with_metadata(metadata("slack-reply:#ml-l1"));
    c.post_message(&escalated).await.unwrap();
    fake.faults().push(Fault::HoldAnswer { delay_ms: 1_500 }, 1);
    let reply = Message::new(channel("C0ALERTS"), "Resolved".to_owned())
        .in_thread(parent.ts.clone())
        .with_metadata(metadata("slack-reply:#ml-alerts"));
    let posted = c.post_message(&reply).await.unwrap();
    let resolved: Vec<_> = fake
        .messages()
        .into_iter()
        .filter(|m| m.text == "Resolved")
        .collect();
    assert_eq!(resolved.len(), 1, "{resolved:#?}");
    assert_eq!(posted.ts.as_str(), resolved[0].ts);
    assert_eq!(
        calls(&fake, "conversations.replies").len(),
        1,
        "one page of 999"
    );
    assert!(calls(&fake, "conversations.history").is_empty());
    assert!(
        fake.contract_violations().is_empty(),
        "{:#?}",
        fake.contract_violations()
    );
}
