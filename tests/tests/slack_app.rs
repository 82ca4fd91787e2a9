//! The Slack app's inbound routes end to end on the DynamoDB emulator: signed button
//! clicks become signals, slash commands answer ephemerally and store subscriptions and
//! silences, and a forged or stale signature gets 401 and changes nothing.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use modelwatch::domain::Topic;
use modelwatch::domain::{Status, Timestamp};
use modelwatch::store::Store;
use modelwatch_tests::fakes::{SlackFake, SlackFakeConfig};
use modelwatch_tests::fresh_store;
use modelwatch_tests::signals::key;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const TOKEN: &str = "test-webhook-token-0123456789";
const SIGNING: &str = "slack-signing-secret-0123456789abcdef";
const ALERT_MONITOR: &str = "datadog:monitor:98765432";
const ALERT: &str = "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7";

fn app(store: Store) -> Router {
    modelwatch_tests::intake_router(
        store,
        &[("webhook_token", TOKEN), ("slack_signing_secret", SIGNING)],
    )
}

/// HMAC-SHA256 written out here, independent of the intake's.
fn hmac_hex(secret: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..secret.len()].copy_from_slice(secret);
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize();
    hex::encode(outer)
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    b' ' => "+".to_owned(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn raw(
    app: &Router,
    path: &str,
    body: String,
    stamp: i64,
    signature: Option<String>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", stamp.to_string());
    if let Some(sig) = signature {
        req = req.header("x-slack-signature", sig);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

async fn signed(app: &Router, path: &str, body: String) -> (StatusCode, Vec<u8>) {
    let stamp = Timestamp::now().secs();
    let sig = format!(
        "v0={}",
        hmac_hex(SIGNING.as_bytes(), format!("v0:{stamp}:{body}").as_bytes())
    );
    raw(app, path, body, stamp, Some(sig)).await
}

fn command_form(text: &str) -> String {
    form(&[
        ("token", "legacy-verification-token"),
        ("team_id", "T0ACME"),
        ("channel_id", "C0CHAT"),
        ("channel_name", "chat-large-alerts"),
        ("user_id", "U0DANA"),
        ("user_name", "dana"),
        ("command", "/modelwatch"),
        ("text", text),
        (
            "response_url",
            "https://hooks.slack.com/commands/T0ACME/1/abc",
        ),
        ("trigger_id", "398738663015.47445629121.803a0bc887a14d10"),
    ])
}

async fn command(app: &Router, text: &str) -> String {
    let (status, bytes) = signed(app, "/slack/commands", command_form(text)).await;
    answer_text(status, &bytes)
}

/// A command's ephemeral answer.
fn answer_text(status: StatusCode, bytes: &[u8]) -> String {
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(v["response_type"], "ephemeral", "{v}");
    v["text"].as_str().unwrap().to_owned()
}

/// A signed Slack post as the intake gets it in AWS: the API Gateway HTTP API event
/// (payload 2.0, its `requestContext.timeEpoch` `arrived_before` now), read by lambda_http.
async fn signed_through_api_gateway(
    app: &Router,
    path: &str,
    body: String,
    arrived_before: std::time::Duration,
) -> (StatusCode, Vec<u8>) {
    let now = Timestamp::now();
    let stamp = now.secs();
    let sig = format!(
        "v0={}",
        hmac_hex(SIGNING.as_bytes(), format!("v0:{stamp}:{body}").as_bytes())
    );
    let event = json!({
        "version": "2.0",
        "routeKey": format!("POST {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": body.len().to_string(),
            "x-slack-request-timestamp": stamp.to_string(),
            "x-slack-signature": sig,
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "Slackbot 1.0"},
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": format!("POST {path}"),
            "stage": "$default",
            "time": "06/Dec/2026:19:00:00 +0000",
            "timeEpoch": now.millis() - arrived_before.as_millis() as i64,
        },
        "body": body,
        "isBase64Encoded": false,
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let request = request.map(|b| Body::from(b.to_vec()));
    let res = app.clone().oneshot(request).await.unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn click(action_id: &str, cycle: u32) -> String {
    click_answered_at(
        action_id,
        cycle,
        "https://hooks.slack.com/actions/T0ACME/1/abc",
        200,
    )
}

/// A click whose `response_url` is `response_url`, made `micros` into this second (two
/// clicks of one button by one person are two clicks only at different times).
fn click_answered_at(action_id: &str, cycle: u32, response_url: &str, micros: u32) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0DANA", "username": "dana", "name": "dana", "team_id": "T0ACME"},
        "api_app_id": "A0MW", "token": "legacy", "trigger_id": "1.2.3",
        "team": {"id": "T0ACME", "domain": "acme"},
        "container": {"type": "message", "message_ts": "1795730500.000100", "channel_id": "C0CHAT", "is_ephemeral": false},
        "channel": {"id": "C0CHAT", "name": "chat-large-alerts"},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id, "block_id": "actions", "type": "button",
            "text": {"type": "plain_text", "text": "Acknowledge"},
            "value": json!({"key": ALERT, "cycle": cycle}).to_string(),
            "action_ts": format!("{}.{micros:06}", Timestamp::now().secs()),
        }]
    });
    form(&[("payload", &payload.to_string())])
}

/// The intake with a fake Slack at `slack`: a click's `response_url` may name it.
fn app_answering_at(store: Store, slack: &SlackFake) -> Router {
    let settings = intake::Settings {
        slack_url: Some(slack.url()),
        ..intake::Settings::default()
    };
    modelwatch_tests::intake_router_with(
        store,
        &[("webhook_token", TOKEN), ("slack_signing_secret", SIGNING)],
        settings,
        modelwatch_tests::example_config(),
    )
}

/// Acknowledge clicked on cycle 1, its `response_url` on `slack`.
async fn acknowledge_answered_at_the_fake(
    app: &Router,
    slack: &SlackFake,
) -> (StatusCode, Vec<u8>) {
    let click = click_answered_at("modelwatch_acknowledge", 1, &slack.response_url(), 100);
    signed(app, "/slack/interactions", click).await
}

async fn slack_fake() -> SlackFake {
    SlackFake::start(SlackFakeConfig::new("xoxb-unused"), 0)
        .await
        .unwrap()
}

/// The texts told to the clicker through the fake's response URL, each checked to be
/// for their eyes only and to leave the message clicked on as it was.
fn told(slack: &SlackFake) -> Vec<String> {
    slack
        .responses()
        .into_iter()
        .map(|(path, body)| {
            assert_eq!(path, "/actions/T0ACME/1/abc");
            assert_eq!(body["response_type"], "ephemeral", "{body}");
            assert_eq!(body["replace_original"], false, "{body}");
            body["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

async fn open_alert(app: &Router) {
    send_trigger(
        app,
        modelwatch_tests::sent_fixture("datadog/10_recommended_triggered.json"),
    )
    .await;
}

/// The same monitor's trigger on another group: the same model, version and environment
/// on another host.
async fn open_alert_on_another_host(app: &Router) -> String {
    let mut v: Value = serde_json::from_slice(&modelwatch_tests::sent_fixture(
        "datadog/10_recommended_triggered.json",
    ))
    .unwrap();
    v["id"] = json!("7405829345121345101");
    v["alert_cycle_key"] = json!("7405829345121345099");
    v["alert_scope"] = json!("model:chat-large,model_version:v7,env:prod,host:gpu-b");
    v["alert_title"] = json!(
        "[P2] [Triggered on {model:chat-large,model_version:v7,env:prod,host:gpu-b}] p95 generation latency above 2 s"
    );
    send_trigger(app, serde_json::to_vec(&v).unwrap()).await;
    format!("{ALERT_MONITOR}|env:prod,host:gpu-b,model:chat-large,model_version:v7")
}

async fn send_trigger(app: &Router, body: Vec<u8>) {
    send_webhook(app, body).await;
}

async fn send_webhook(app: &Router, body: Vec<u8>) {
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(
        app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn the_acknowledge_button_acknowledges_the_alert_by_the_clicker() {
    let store = fresh_store("slack-ack").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let (status, body) = signed(
        &app,
        "/slack/interactions",
        click("modelwatch_acknowledge", 1),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty(), "Slack wants an empty 200");
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.acknowledged.unwrap().by, "dana");
    // The escalator owes the message update and the thread note.
    assert!(alert.owed.iter().any(|o| o.action.name() == "acknowledge"));
}

#[tokio::test]
async fn false_positive_and_silence_buttons_mark_the_alert_and_old_cycles_change_nothing() {
    let store = fresh_store("slack-fp-silence").await;
    let app = app(store.clone());
    open_alert(&app).await;
    signed(
        &app,
        "/slack/interactions",
        click("modelwatch_false_positive", 1),
    )
    .await;
    signed(
        &app,
        "/slack/interactions",
        click("modelwatch_silence_1h", 1),
    )
    .await;
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.false_positive.unwrap().by, "dana");
    let silence = alert.silence.unwrap();
    assert!(silence.until > Timestamp::now().plus_secs(3500));
    assert!(silence.until <= Timestamp::now().plus_secs(3600));
    // The button made a silence of this monitor on this group: its next cycles are muted too.
    let rules = store.silences(Timestamp::now()).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].describe(), format!("alert={ALERT}"));
    // What a version before the alert's own silence reads: its monitor (a version or
    // environment tag may change under the alert while the silence runs).
    assert_eq!(
        rules[0]
            .matchers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["monitor=98765432"]
    );

    let version = store.load(&key(ALERT)).await.unwrap().unwrap().version;
    let (status, _) = signed(
        &app,
        "/slack/interactions",
        click("modelwatch_acknowledge", 7),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let after = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_ne!(
        after.status,
        Status::Open,
        "false positive already acknowledged it"
    );
    assert!(
        after.version <= version + 1,
        "at most the seen-id bookkeeping"
    );
}

#[tokio::test]
async fn the_silence_button_mutes_its_own_group_not_the_monitors_others() {
    let store = fresh_store("slack-silence-group").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let other = open_alert_on_another_host(&app).await;
    let (status, _) = signed(
        &app,
        "/slack/interactions",
        click("modelwatch_silence_1h", 1),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        store
            .load(&key(ALERT))
            .await
            .unwrap()
            .unwrap()
            .silence
            .is_some()
    );
    // Another host of the same model, version and environment still pages.
    let other = store.load(&key(&other)).await.unwrap().unwrap();
    assert_eq!(other.status, Status::Open);
    assert!(other.silence.is_none(), "{:?}", other.silence);
    assert!(other.owed.iter().any(|o| o.action.name() == "page"));
}

#[tokio::test]
async fn a_forged_or_stale_slack_signature_gets_401_and_changes_nothing() {
    let store = fresh_store("slack-forged").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let before = store.load(&key(ALERT)).await.unwrap().unwrap();
    let body = click("modelwatch_acknowledge", 1);
    let now = Timestamp::now().secs();
    let sign = |secret: &str, stamp: i64, body: &str| {
        format!(
            "v0={}",
            hmac_hex(secret.as_bytes(), format!("v0:{stamp}:{body}").as_bytes())
        )
    };
    let cases = [
        (
            now,
            Some(sign("forged-secret", now, &body)),
            "does not match",
        ),
        (now - 301, Some(sign(SIGNING, now - 301, &body)), "300 s"),
        (now, Some(sign(SIGNING, now - 1, &body)), "does not match"),
        (now, None, "missing"),
    ];
    for (stamp, sig, says) in cases {
        for path in ["/slack/interactions", "/slack/commands"] {
            let (status, answer) = raw(&app, path, body.clone(), stamp, sig.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            let text = String::from_utf8(answer).unwrap();
            assert!(text.contains(says), "{text}");
            assert!(!text.contains(SIGNING));
        }
    }
    assert_eq!(store.load(&key(ALERT)).await.unwrap().unwrap(), before);
    assert!(store.subscriptions_of("U0DANA").await.unwrap().is_empty());
}

/// Slack checks a slash command URL's certificate with `ssl_check=1` (and the legacy
/// token) when the command is saved and now and then, and asks for a 200; Slack's SDKs
/// answer it before verifying anything. A command that also carries `ssl_check` is still
/// a command, and still needs its signature.
#[tokio::test]
async fn slacks_certificate_check_gets_200_and_a_command_cannot_pass_for_one() {
    let store = fresh_store("slack-ssl-check").await;
    let app = app(store.clone());
    let stamp = Timestamp::now().secs();
    let check = form(&[("ssl_check", "1"), ("token", "legacy-verification-token")]);
    let (status, answer) = raw(&app, "/slack/commands", check, stamp, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.is_empty(), "{answer:?}");

    let disguised = form(&[
        ("ssl_check", "1"),
        ("user_id", "U0DANA"),
        ("command", "/modelwatch"),
        ("text", "subscribe weekly"),
    ]);
    let (status, _) = raw(&app, "/slack/commands", disguised, stamp, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(store.subscriptions_of("U0DANA").await.unwrap().is_empty());
}

/// A table that does not answer: the command is still answered within Slack's 3 s (Slack
/// shows its user an error after that, and never retries), saying it may not have
/// finished, instead of after the table's 8 s deadline.
#[tokio::test]
async fn a_command_answers_within_slacks_3_s_when_the_table_does_not() {
    let (store, _) = modelwatch_tests::store_that_never_answers().await;
    let app = app(store);
    for text in ["subscribe daily", "silence model=chat-large 2h"] {
        let started = std::time::Instant::now();
        let answer = command(&app, text).await;
        let waited = started.elapsed();
        assert!(
            waited < std::time::Duration::from_secs(3),
            "{text}: answered after {waited:?}"
        );
        assert!(answer.contains("may not have finished"), "{text}: {answer}");
    }
}

/// Slack's 3 s run from when it sent the command, and a cold start's init comes before the
/// handler: a command API Gateway took in 1.4 s before the handler ran is answered 1.1 s
/// later, not 2.5 s.
#[tokio::test]
async fn a_commands_wait_counts_from_api_gateways_arrival() {
    let (store, _) = modelwatch_tests::store_that_never_answers().await;
    let app = app(store);
    let started = std::time::Instant::now();
    let (status, bytes) = signed_through_api_gateway(
        &app,
        "/slack/commands",
        command_form("subscribe daily"),
        std::time::Duration::from_millis(1_400),
    )
    .await;
    let waited = started.elapsed();
    let answer = answer_text(status, &bytes);
    assert!(answer.contains("may not have finished"), "{answer}");
    assert!(
        waited < std::time::Duration::from_millis(1_800),
        "answered {waited:?} after the handler, {waited:?} + 1.4 s after Slack sent it"
    );
}

#[tokio::test]
async fn subscribe_list_and_unsubscribe_answer_in_the_users_words() {
    let store = fresh_store("slack-subscribe").await;
    let app = app(store.clone());
    let text = command(&app, "subscribe daily chat-large").await;
    assert_eq!(
        text,
        "You're subscribed to the daily health check for `chat-large`."
    );
    assert!(
        command(&app, "subscribe daily chat-large")
            .await
            .contains("already subscribed")
    );
    command(&app, "subscribe weekly").await;
    let subs = store.subscriptions(Topic::Daily).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        (subs[0].subscriber.as_str(), subs[0].model.as_deref()),
        ("U0DANA", Some("chat-large"))
    );

    let list = command(&app, "list").await;
    assert!(
        list.contains(
            "the daily health check, mentioning you next to `chat-large` in the reports that cover it"
        ),
        "{list}"
    );
    assert!(
        list.contains("the weekly report, mentioning you at the top"),
        "{list}"
    );

    assert!(
        command(&app, "unsubscribe daily chat-large")
            .await
            .contains("no longer subscribed")
    );
    assert!(
        command(&app, "unsubscribe daily chat-large")
            .await
            .contains("weren't subscribed")
    );
    assert!(store.subscriptions(Topic::Daily).await.unwrap().is_empty());

    // Each model's subscription is its own: ending the every-model one says which stand.
    command(&app, "subscribe daily").await;
    command(&app, "subscribe daily embed-small").await;
    let ended = command(&app, "unsubscribe daily").await;
    assert_eq!(
        ended,
        "You're no longer subscribed to the daily health check for every model. You're still \
         subscribed to it for `embed-small`: `/modelwatch unsubscribe daily MODEL` ends each."
    );

    // A report covers the configured models only; alerts come from any Datadog monitors.
    let typo = command(&app, "subscribe daily chat-lrage").await;
    assert!(
        typo.starts_with("No model `chat-lrage` is in the daily health check")
            && typo.contains("`chat-large`"),
        "{typo}"
    );
    assert!(
        command(&app, "subscribe alerts chat-lrage")
            .await
            .contains("You're subscribed")
    );

    let mistake = command(&app, "subscribe monthly").await;
    assert!(
        mistake.contains("`subscribe monthly`") && mistake.contains("Usage"),
        "{mistake}"
    );
}

/// Slack sends a command's `&`, `<` and `>` as entities, and a mention as `<@U…|name>`
/// (with "escape channels, users and links" on): the silence's reason is stored as typed,
/// and shown escaped once; a mistake quoting them is escaped for the reply.
#[tokio::test]
async fn a_command_is_read_as_typed_and_its_words_shown_as_typed() {
    let store = fresh_store("slack-as-typed").await;
    let app = app(store.clone());
    let text = command(
        &app,
        "silence model=chat-large 2h -- db &amp; cache, ask <@U0BEN|ben>",
    )
    .await;
    assert!(text.contains("are muted until"), "{text}");
    let silences = store.silences(Timestamp::now()).await.unwrap();
    assert_eq!(silences[0].comment, "db & cache, ask @ben");
    let list = command(&app, "list").await;
    assert!(list.contains("db &amp; cache, ask @ben"), "{list}");
    assert!(!list.contains("&amp;amp;"), "{list}");
    let mistake = command(&app, "subscribe &lt;monthly&gt;").await;
    assert!(mistake.contains("not `&lt;monthly&gt;`"), "{mistake}");
}

#[tokio::test]
async fn silence_stores_the_silence_and_silences_the_open_alerts_of_that_monitor() {
    let store = fresh_store("slack-silence").await;
    let app = app(store.clone());
    open_alert(&app).await;
    let status = command(&app, "status chat-large").await;
    assert!(
        status.contains("1 open alert(s) for `chat-large`"),
        "{status}"
    );
    assert!(
        status.contains("p95 generation latency above 2 s"),
        "{status}"
    );
    assert!(
        command(&app, "status other-model")
            .await
            .contains("No open alerts")
    );
    // As the status prints it, name@version: that version's alerts, not a false all-clear.
    let printed = command(&app, "status chat-large@v7").await;
    assert!(printed.contains("1 open alert(s)"), "{printed}");
    assert!(
        command(&app, "status chat-large@v6")
            .await
            .contains("No open alerts")
    );

    let text = command(&app, "silence chat-large 98765432 2h").await;
    assert!(
        text.contains("alerts matching model=chat-large, monitor=98765432 are muted until"),
        "{text}"
    );
    assert!(text.contains("1 open alert(s) muted now"), "{text}");
    let silences = store.silences(Timestamp::now()).await.unwrap();
    assert_eq!(silences.len(), 1);
    assert_eq!(silences[0].describe(), "model=chat-large, monitor=98765432");
    assert_eq!(silences[0].created_by, "dana");
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    let muted = alert.silence.unwrap();
    assert!(muted.by.contains(silences[0].id.as_str()), "{}", muted.by);
    assert!(muted.by.contains("dana"), "{}", muted.by);
    assert!(muted.until > Timestamp::now().plus_secs(7100));
    assert!(
        store
            .silences(Timestamp::now().plus_secs(7300))
            .await
            .unwrap()
            .is_empty()
    );
    let list = command(&app, "list").await;
    assert!(
        list.contains("mutes model=chat-large, monitor=98765432 until"),
        "{list}"
    );

    // Unsilenced: it ends now and the alert is muted no more.
    let id = silences[0].id.to_string();
    let text = command(&app, &format!("unsilence {id}")).await;
    assert!(text.contains("has ended"), "{text}");
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert!(alert.silence.unwrap().until <= Timestamp::now());
    assert!(store.silences(Timestamp::now()).await.unwrap().is_empty());
}

/// A click that changes nothing is explained to the clicker alone (Slack's
/// `response_url`, ephemeral), since the alert message only changes when the alert does;
/// a click taken, or Slack's repeat of one, is not answered there.
#[tokio::test]
async fn a_click_that_changes_nothing_is_explained_to_the_clicker() {
    let store = fresh_store("slack-click-told").await;
    let slack = slack_fake().await;
    let app = app_answering_at(store.clone(), &slack);
    let url = slack.response_url();
    let ack = |micros| click_answered_at("modelwatch_acknowledge", 1, &url, micros);

    // No alert yet: the table does not hold it.
    let (status, _) = signed(&app, "/slack/interactions", ack(100)).await;
    assert_eq!(status, StatusCode::OK);
    let said = told(&slack);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("*Acknowledge* changed nothing")
            && said[0].contains("no longer holds this alert"),
        "{said:?}"
    );

    open_alert(&app).await;
    let taken = ack(200);
    let (status, body) = signed(&app, "/slack/interactions", taken.clone()).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 0));
    assert_eq!(told(&slack).len(), 1, "a click taken is not answered here");
    // Slack's repeat of that very click: nothing new to tell.
    signed(&app, "/slack/interactions", taken).await;
    assert_eq!(told(&slack).len(), 1);

    signed(&app, "/slack/interactions", ack(300)).await;
    let said = told(&slack);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[1].contains("*Acknowledge* changed nothing for \"")
            && said[1].contains("p95 generation latency")
            && said[1].ends_with("you had already acknowledged it."),
        "{said:?}"
    );

    // A button of another cycle of the alert.
    let fp = click_answered_at("modelwatch_false_positive", 7, &url, 400);
    signed(&app, "/slack/interactions", fp).await;
    let said = told(&slack);
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[2].starts_with("*Mark false positive* changed nothing")
            && said[2].ends_with("the button is of its cycle 7, and it is on cycle 1 now."),
        "{said:?}"
    );
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert!(alert.false_positive.is_none());

    // The alert recovered: its buttons acknowledge nothing.
    send_webhook(
        &app,
        modelwatch_tests::sent_fixture("datadog/11_recommended_recovered.json"),
    )
    .await;
    assert_eq!(
        store.load(&key(ALERT)).await.unwrap().unwrap().status,
        Status::Resolved
    );
    signed(&app, "/slack/interactions", ack(500)).await;
    let said = told(&slack);
    assert_eq!(said.len(), 4, "{said:?}");
    assert!(
        said[3].ends_with("it is not open (it has recovered or been resolved)."),
        "{said:?}"
    );
}

/// Only Slack's own hooks hosts (or, locally, the fake Slack the intake is pointed at) are
/// posted to: a `response_url` naming anything else is not followed.
#[tokio::test]
async fn a_response_url_that_is_not_slacks_is_not_followed() {
    let store = fresh_store("slack-click-not-slacks").await;
    let slack = slack_fake().await;
    let elsewhere = slack_fake().await;
    let app = app_answering_at(store, &slack);
    let (status, _) = signed(
        &app,
        "/slack/interactions",
        click_answered_at("modelwatch_acknowledge", 1, &elsewhere.response_url(), 100),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        elsewhere.received().is_empty(),
        "{:?}",
        elsewhere.received()
    );
    assert!(slack.received().is_empty());
    // The same click through the fake the intake is pointed at is told.
    signed(
        &app,
        "/slack/interactions",
        click_answered_at("modelwatch_acknowledge", 1, &slack.response_url(), 200),
    )
    .await;
    assert_eq!(told(&slack).len(), 1);
}

/// A table slow past Slack's wait: the clicker is told within Slack's 3 s that the click is
/// still being taken, and the click is waited for, not dropped half-way; the table never
/// answering, the clicker is told to click again.
#[tokio::test]
async fn a_click_the_table_is_slow_to_take_is_waited_for_and_the_clicker_told_at_once() {
    let (store, _) = modelwatch_tests::store_that_never_answers().await;
    let slack = slack_fake().await;
    let app = app_answering_at(store, &slack);
    let clicked = Timestamp::now().millis();
    let (status, _) = acknowledge_answered_at_the_fake(&app, &slack).await;
    assert_eq!(status, StatusCode::OK);
    let said = told(&slack);
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].contains("still being taken"), "{said:?}");
    let first = first_told(&slack);
    assert!(
        first.at_ms - clicked < 3_000,
        "told after {} ms",
        first.at_ms - clicked
    );
    assert!(
        said[1].contains("did not answer in time") && said[1].contains("click again"),
        "{said:?}"
    );
}

/// The first request the intake made to the fake's `response_url`s.
fn first_told(slack: &SlackFake) -> modelwatch_tests::fakes::Received {
    slack
        .received()
        .into_iter()
        .find(|r| r.path.starts_with("/actions/"))
        .expect("the clicker was told")
}

/// A click API Gateway took in 1.5 s before the handler ran (a cold start's init): the
/// clicker is told it is still being taken 0.5 s later, within Slack's 3 s of the click,
/// not 2 s later.
#[tokio::test]
async fn a_clicks_wait_counts_from_api_gateways_arrival() {
    let (store, _) = modelwatch_tests::store_that_never_answers().await;
    let slack = slack_fake().await;
    let app = app_answering_at(store, &slack);
    let click = click_answered_at("modelwatch_acknowledge", 1, &slack.response_url(), 100);
    let handler = Timestamp::now().millis();
    let arrived_before = std::time::Duration::from_millis(1_500);
    let (status, _) =
        signed_through_api_gateway(&app, "/slack/interactions", click, arrived_before).await;
    assert_eq!(status, StatusCode::OK);
    let said = told(&slack);
    assert!(said[0].contains("still being taken"), "{said:?}");
    let first = first_told(&slack);
    let after = first.at_ms - handler;
    assert!(
        after < 1_000,
        "told {after} ms after the handler, 1.5 s after the click arrived"
    );
}

/// A table that answers late (past Slack's wait, within the function's): the click is
/// waited for and taken, not dropped half-way; the clicker is told only that it is still
/// being taken.
#[tokio::test]
async fn a_click_the_table_answers_late_is_still_taken() {
    use modelwatch_tests::proxy::{Link, Proxy};
    let store = fresh_store("slack-click-late").await;
    let slack = slack_fake().await;
    open_alert(&app_answering_at(store.clone(), &slack)).await;
    let proxy = std::sync::Arc::new(
        Proxy::start(&modelwatch_tests::emulator_endpoint())
            .await
            .unwrap(),
    );
    let config = aws_config::from_env()
        .endpoint_url(proxy.endpoint())
        .timeout_config(modelwatch::aws::timeouts())
        .load()
        .await;
    let late = Store::new(aws_sdk_dynamodb::Client::new(&config), store.table());
    let app = app_answering_at(late, &slack);
    proxy.set(Link::Stalled);
    let restore = proxy.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
        restore.set(Link::Up);
    });
    let (status, _) = acknowledge_answered_at_the_fake(&app, &slack).await;
    assert_eq!(status, StatusCode::OK);
    let said = told(&slack);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("still being taken"), "{said:?}");
    let alert = store.load(&key(ALERT)).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Acknowledged);
    assert_eq!(alert.acknowledged.unwrap().by, "dana");
}

/// The clicker's answer is one short try: a Slack slow to take it does not hold the click's
/// own answer.
#[tokio::test]
async fn telling_the_clicker_is_one_short_try() {
    let store = fresh_store("slack-click-told-slowly").await;
    let slack = slack_fake().await;
    let app = app_answering_at(store, &slack);
    slack.faults().push(
        modelwatch_tests::fakes::Fault::HoldAnswer { delay_ms: 5_000 },
        1,
    );
    let started = std::time::Instant::now();
    let (status, _) = acknowledge_answered_at_the_fake(&app, &slack).await;
    assert_eq!(status, StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_millis(1_500),
        "answered after {waited:?}"
    );
    assert_eq!(
        slack.faults().held_requests().len(),
        1,
        "the clicker was to be told"
    );
}

/// A table that refuses the click: the clicker is told it was not taken, and Slack gets a
/// 200 so it shows no error of its own besides; told nowhere, the error goes to Slack.
#[tokio::test]
async fn a_click_the_table_refuses_is_told_as_not_taken() {
    let missing =
        || async { Store::new(modelwatch_tests::client().await, "modelwatch-no-such-table") };
    let slack = slack_fake().await;
    let app = app_answering_at(missing().await, &slack);
    let (status, _) = acknowledge_answered_at_the_fake(&app, &slack).await;
    assert_eq!(status, StatusCode::OK);
    let said = told(&slack);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("refused this click"), "{said:?}");

    let (status, _) = signed(
        &app,
        "/slack/interactions",
        click_answered_at("modelwatch_acknowledge", 1, "https://example.com/x", 200),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

/// A report subscription to a configured model that no audience's reports cover would
/// never be named: refused, saying which models each audience covers.
#[tokio::test]
async fn a_subscription_to_a_model_no_report_covers_is_refused() {
    let store = fresh_store("slack-subscribe-uncovered").await;
    let mut config = modelwatch_tests::example_config();
    for audience in config.reports.audiences.values_mut() {
        audience.content.models = vec!["chat-large".to_owned()];
    }
    let app = modelwatch_tests::intake_router_with(
        store.clone(),
        &[("webhook_token", TOKEN), ("slack_signing_secret", SIGNING)],
        intake::Settings::default(),
        config,
    );
    let text = command(&app, "subscribe daily embed-small").await;
    assert!(
        text.starts_with("No report covers `embed-small`")
            && text.contains("ml-team: `chat-large`"),
        "{text}"
    );
    assert!(store.subscriptions(Topic::Daily).await.unwrap().is_empty());
    // Alerts come from any model; a covered model's report is subscribed to.
    assert!(
        command(&app, "subscribe alerts embed-small")
            .await
            .starts_with("You're subscribed")
    );
    assert!(
        command(&app, "subscribe weekly chat-large")
            .await
            .starts_with("You're subscribed")
    );
}
