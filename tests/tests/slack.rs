//! The Slack client against the Slack fake: posts, threads, updates, uploads, retries,
//! rejections, and the fake's own checks (token, channel, Block Kit limits).

use std::time::{Duration, Instant};

use modelwatch::http::{BaseUrl, DeliveryError, RetryPolicy, Timeouts};
use modelwatch::secret::Secret;
use modelwatch::slack::{
    Block, Button, ButtonStyle, ChannelId, FileUpload, Message, SlackClient, SlackError,
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
    let timeouts = Timeouts {
        connect: Duration::from_secs(1),
        request: Duration::from_millis(500),
    };
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
async fn fake_answers_invalid_blocks_with_json_pointers() {
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
        messages.contains("[json-pointer:/blocks/0/alt_text]"),
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
