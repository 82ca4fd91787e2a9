//! The escalator end to end on the emulator: a Datadog webhook through the intake, pages
//! and Slack messages into the fakes, escalation by the clock, resolution by recovery —
//! and with PagerDuty failing, nothing lost and nothing doubled.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use modelwatch::domain::{AlertKey, Level, Status, Timestamp};
use modelwatch_tests::fakes::Fault;
use modelwatch_tests::pipeline;
use modelwatch_tests::stream::TestStream;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tower::ServiceExt;

const TOKEN: &str = "escalator-test-token";
const ALERT: &str = "datadog:monitor:98765432|env:prod,model:chat-large,model_version:v7";

/// The shared test stack, and the table's stream as the escalator's mapping reads it.
struct Stack {
    inner: pipeline::Stack,
    stream: Mutex<TestStream>,
}

impl std::ops::Deref for Stack {
    type Target = pipeline::Stack;
    fn deref(&self) -> &pipeline::Stack {
        &self.inner
    }
}

async fn stack(test: &str) -> Stack {
    let inner = pipeline::Stack::for_test(test, TOKEN).await;
    let stream = Mutex::new(TestStream::for_store(&inner.store).await);
    Stack { inner, stream }
}

/// A Datadog fixture, its times moved to the recent past (`sent_fixture`).
fn fixture(name: &str) -> Vec<u8> {
    modelwatch_tests::sent_fixture(&format!("datadog/{name}"))
}

async fn webhook(s: &Stack, name: &str) {
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(fixture(name)))
        .unwrap();
    let res = s.intake.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED, "{name}");
}

/// Hands the escalator what the table's stream holds next; the batch and its answer.
/// Has the next request `faults` gets answered late (its answer held back 100 ms); the
/// notice to wait on with `until_held`.
fn hold_next_answer(
    faults: &modelwatch_tests::fakes::Faults,
) -> std::sync::Arc<tokio::sync::Notify> {
    faults.push(Fault::HoldAnswer { delay_ms: 100 }, 1);
    faults.answer_held()
}

/// Drives `page` until the fake holding its answer (`hold_next_answer`) has the request;
/// `what` names that request for the failure.
async fn until_held<F>(mut page: std::pin::Pin<&mut F>, held: &tokio::sync::Notify, what: &str)
where
    F: std::future::Future,
    F::Output: std::fmt::Debug,
{
    tokio::select! {
        answer = &mut page => panic!("answered before {what}: {answer:?}"),
        () = held.notified() => {}
    }
}

/// The channels of Slack's top-level posts (thread replies left out), in order.
fn posts(s: &Stack) -> Vec<String> {
    s.slack
        .messages()
        .into_iter()
        .filter(|m| m.thread_ts.is_none())
        .map(|m| m.channel)
        .collect()
}

/// The events PagerDuty's Events API was sent, refused ones included.
fn pagerduty_events(s: &Stack) -> usize {
    s.pagerduty
        .received()
        .iter()
        .filter(|r| r.path == "/v2/enqueue")
        .count()
}

async fn deliver(s: &Stack) -> (Value, Value) {
    let mut stream = s.stream.lock().await;
    let batch = stream.next().await;
    let answer = escalator::handle(&s.escalator, batch.clone())
        .await
        .unwrap();
    stream.answered(&batch, &answer);
    (batch, answer)
}

fn first_sequence(batch: &Value) -> &str {
    batch["Records"][0]["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap()
}

fn key() -> AlertKey {
    AlertKey::new(ALERT).unwrap()
}

fn thread_texts(s: &Stack, channel: &str) -> Vec<String> {
    let main = s
        .slack
        .messages()
        .into_iter()
        .find(|m| m.channel == channel && m.thread_ts.is_none())
        .unwrap_or_else(|| panic!("no message in {channel}: {:?}", s.slack.messages()));
    s.slack
        .thread(&main.ts)
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// An alert whose item this version cannot read (a newer version's after a rollback, or
/// edited by hand) cannot be delivered by any retry: it is rejected for good (logged
/// "delivery rejected", which the template alarms on), and the alerts behind it in the
/// batch are delivered now instead of waiting through Lambda's retries of the batch.
#[tokio::test]
async fn an_alert_that_does_not_decode_is_rejected_and_the_batch_goes_on() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let s = stack("esc-undecodable").await;
    modelwatch_tests::put_undecodable_alert(
        &s.store,
        "broken",
        &[("owed_count", AttributeValue::N("1".into()))],
    )
    .await;
    webhook(&s, "10_recommended_triggered.json").await;
    let (batch, answer) = deliver(&s).await;
    let keys: Vec<&str> = batch["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap())
        .collect();
    assert_eq!(keys[0], "ALERT#broken", "the broken alert first: {keys:?}");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(s.pagerduty.open_alerts().len(), 1);
}

#[tokio::test]
async fn trigger_pages_on_call_escalates_unanswered_and_recovery_resolves_everywhere() {
    let s = stack("esc-story").await;

    // Datadog trigger (P2) → L2: Slack to the team channels, a page to on-call.
    webhook(&s, "10_recommended_triggered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let open = s.pagerduty.open_alerts();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].service, s.routing_key("ml-oncall")[..6]);
    assert_eq!(open[0].severity, "error");
    let details = open[0].custom_details.clone().unwrap();
    assert_eq!(details["model"], "chat-large");
    assert_eq!(details["model_version"], "v7");
    assert_eq!(details["team"], "conversational-ai");
    assert!(details["suggested_steps"].is_array() || details.get("suggested_steps").is_none());
    let posted: Vec<String> = s
        .slack
        .messages()
        .iter()
        .map(|m| m.channel.clone())
        .collect();
    assert_eq!(
        posted,
        vec![
            s.channel_id("chat-large-alerts"),
            s.channel_id("ml-platform-l1")
        ]
    );

    // Nobody acknowledges for 16 minutes: the clock moves it to L3.
    let later = Timestamp::now().plus_secs(16 * 60);
    escalator::tick(&s.escalator, later).await.unwrap();
    assert_eq!(
        s.store.load(&key()).await.unwrap().unwrap().level,
        Level::L3
    );
    deliver(&s).await;
    let open = s.pagerduty.open_alerts();
    assert_eq!(open.len(), 2, "on-call and senior both hold it: {open:?}");
    assert!(
        open.iter()
            .any(|a| a.service == s.routing_key("ml-senior")[..6] && a.severity == "critical")
    );
    assert!(
        s.slack
            .messages()
            .iter()
            .any(|m| m.channel == s.channel_id("ml-incidents"))
    );

    // Datadog recovery: both PagerDuty alerts resolved, the Slack thread tells the story.
    webhook(&s, "11_recommended_recovered.json").await;
    deliver(&s).await;
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
    assert_eq!(s.pagerduty.alerts().len(), 2);
    let story = thread_texts(&s, &s.channel_id("chat-large-alerts"));
    assert!(story[0].starts_with("⬆️ L3"), "{story:?}");
    assert!(
        story.last().unwrap().starts_with("✅ Recovered after"),
        "{story:?}"
    );
    let main = s
        .slack
        .messages()
        .into_iter()
        .find(|m| m.channel == s.channel_id("chat-large-alerts") && m.thread_ts.is_none())
        .unwrap();
    assert!(
        main.edits >= 2,
        "the first message is updated as it escalates and resolves"
    );
    assert!(
        main.blocks.to_string().contains("recovered after"),
        "{}",
        main.blocks
    );

    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
}

/// Dana clicks "Mark false positive" carrying `value`, as Slack sends it (answers to the
/// click go to the fake Slack); the intake's status.
async fn click_false_positive(s: &Stack, value: &str) -> u16 {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U0DANA", "username": "dana", "name": "dana", "team_id": "T0ACME"},
        "response_url": s.slack.response_url(),
        "actions": [{
            "action_id": "modelwatch_false_positive", "block_id": "actions", "type": "button",
            "value": value,
            "action_ts": format!("{}.000100", Timestamp::now().secs()),
        }],
    });
    s.post_slack("/slack/interactions", &payload.to_string())
        .await
        .unwrap()
}

/// Most false alarms recover before anyone looks: the recovered alert's message keeps
/// "Mark false positive", a click on it marks the cycle (the thread hears it, the message
/// shows it and drops the button), and the reports' history counts the cycle a false
/// positive.
#[tokio::test]
async fn a_recovered_alert_is_marked_a_false_positive_from_its_message() {
    let s = stack("esc-fp-after-recovery").await;
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    webhook(&s, "11_recommended_recovered.json").await;
    deliver(&s).await;
    let channel = s.channel_id("chat-large-alerts");
    let main = |s: &Stack| {
        s.slack
            .messages()
            .into_iter()
            .find(|m| m.channel == channel && m.thread_ts.is_none())
            .unwrap()
    };
    let buttons = |blocks: &Value| -> Vec<Value> {
        blocks
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["type"] == "actions")
            .flat_map(|b| b["elements"].as_array().unwrap().clone())
            .collect()
    };
    let recovered = main(&s);
    assert!(
        recovered.blocks.to_string().contains("recovered after"),
        "{}",
        recovered.blocks
    );
    let offered = buttons(&recovered.blocks);
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(offered[0]["action_id"], "modelwatch_false_positive");

    // The click, as Slack sends it: the button's own value back.
    let value = offered[0]["value"].as_str().unwrap();
    assert_eq!(click_false_positive(&s, value).await, 200);
    assert!(
        s.slack.responses().is_empty(),
        "a click taken is not answered"
    );
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert_eq!(alert.false_positive.as_ref().unwrap().by, "dana");
    deliver(&s).await;

    let marked = main(&s);
    assert!(
        marked.blocks.to_string().contains("false positive (dana)"),
        "{}",
        marked.blocks
    );
    assert!(buttons(&marked.blocks).is_empty(), "{}", marked.blocks);
    let story = thread_texts(&s, &channel);
    assert!(
        story
            .last()
            .unwrap()
            .contains("Marked as a false positive by dana"),
        "{story:?}"
    );
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "PagerDuty hears nothing of it"
    );
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);

    // The reports read the cycle from history as a false positive.
    let now = Timestamp::now();
    let mut history = Vec::new();
    for day in [now.minus_secs(86_400), now] {
        let day = jiff::Timestamp::from_second(day.secs())
            .unwrap()
            .strftime("%Y-%m-%d")
            .to_string();
        history.extend(s.store.history(&day).await.unwrap());
    }
    let cycles = modelwatch::report::cycles(&history);
    let cycle = cycles.iter().find(|c| c.alert_key == ALERT).unwrap();
    assert!(cycle.is_false_positive(), "{cycle:?}");
}

/// The recovered cycle's message still offers "Mark false positive" once the alert has
/// opened again; a click on it marks nothing (the alert holds the newer cycle) and the
/// clicker is told why, not left with a click that did nothing.
#[tokio::test]
async fn a_false_positive_click_on_a_cycle_replaced_since_is_answered_and_marks_nothing() {
    let s = stack("esc-fp-earlier-cycle").await;
    open_recover_and_open_again(&s).await;
    deliver(&s).await;
    let value = json!({"key": ALERT, "cycle": 1}).to_string();
    assert_eq!(click_false_positive(&s, &value).await, 200);
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.cycle, 2);
    assert!(alert.false_positive.is_none());
    let told: Vec<String> = s
        .slack
        .responses()
        .into_iter()
        .map(|(_, body)| body["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("its cycle 1 is over and the alert has opened again since (cycle 2)"),
        "{told:?}"
    );
}

#[tokio::test]
async fn pagerduty_failing_three_times_and_throttling_once_loses_and_doubles_nothing() {
    let s = stack("esc-faults").await;
    s.pagerduty.faults().fail_next(3, 500);
    s.pagerduty.faults().push(
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );

    webhook(&s, "10_recommended_triggered.json").await;
    // Lambda retries a failed batch; each retry reads the alert afresh.
    let mut rounds = 0;
    loop {
        rounds += 1;
        let (_, answer) = deliver(&s).await;
        assert!(
            s.pagerduty.open_alerts().len() <= 1,
            "never two open alerts"
        );
        if answer["batchItemFailures"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(rounds < 5, "still failing after {rounds} rounds: {answer}");
    }
    assert_eq!(pagerduty_events(&s), 5, "3 × 500, 1 × 429, then 202");
    assert_eq!(s.pagerduty.open_alerts().len(), 1);
    assert_eq!(posts(&s).len(), 2, "Slack posted once per channel");
    let messages = s.slack.messages();
    assert!(
        messages
            .iter()
            .all(|m| m.thread_ts.is_none() && m.edits == 0),
        "the retried page added no thread reply or update: {messages:?}"
    );

    webhook(&s, "11_recommended_recovered.json").await;
    s.pagerduty.faults().fail_next(1, 503);
    for _ in 0..3 {
        deliver(&s).await;
    }
    assert!(s.pagerduty.open_alerts().is_empty());
    assert_eq!(
        s.pagerduty.alerts().len(),
        1,
        "one alert, triggered once and resolved"
    );
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
}

#[tokio::test]
async fn replaying_the_same_stream_batch_sends_nothing_the_second_time() {
    let s = stack("esc-replay").await;
    webhook(&s, "10_recommended_triggered.json").await;
    let (batch, _) = deliver(&s).await;
    let pagerduty = s.pagerduty.received().len();
    let slack = s.slack.received().len();
    let again = escalator::handle(&s.escalator, batch).await.unwrap();
    assert_eq!(again, json!({"batchItemFailures": []}));
    assert_eq!(s.pagerduty.received().len(), pagerduty);
    assert_eq!(s.slack.received().len(), slack);
}

#[tokio::test]
async fn the_clock_retries_what_the_stream_could_not_deliver() {
    let s = stack("esc-clock-retry").await;
    s.slack.faults().fail_next(20, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    let (batch, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"][0]["itemIdentifier"],
        first_sequence(&batch)
    );
    // Slack being down did not keep on-call from being paged.
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "paged during the outage"
    );
    assert!(posts(&s).is_empty());
    s.slack.faults().clear();
    clock_posts_what_waited(&s).await;
}

/// A minute and a half later the clock finds the alert's owed posts and delivers them,
/// one per channel, without paging again; nothing is left owed.
async fn clock_posts_what_waited(s: &Stack) {
    let report = escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    assert_eq!(report.retried, 1);
    assert_eq!(posts(s).len(), 2, "one post per channel");
    assert_eq!(pagerduty_events(s), 1, "the page was not sent again");
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
}

/// Slack refuses the bot token (revoked, say): the messages are not dropped as refused for
/// good but kept owed, as in an outage, and logged for the alarm; on-call is still paged.
/// Once the secret holds a working token, the clock posts them, once.
#[tokio::test]
async fn messages_slack_refused_for_a_revoked_token_are_posted_once_it_works_again() {
    use modelwatch::http::{BaseUrl, Timeouts};
    use modelwatch::secret::Secret;
    use modelwatch::slack::SlackClient;
    let mut s = stack("esc-token-revoked").await;
    let working = s.inner.escalator.slack.clone();
    s.inner.escalator.slack = SlackClient::new(
        BaseUrl::new(&s.slack.url()).unwrap(),
        Secret::new("xoxb-revoked-0000"),
        Timeouts::default(),
    )
    .unwrap();
    webhook(&s, "10_recommended_triggered.json").await;
    let (batch, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"][0]["itemIdentifier"],
        first_sequence(&batch)
    );
    assert_eq!(s.pagerduty.open_alerts().len(), 1, "paged all the same");
    assert!(posts(&s).is_empty());
    let owed = s.store.load(&key()).await.unwrap().unwrap().owed;
    assert_eq!(owed.len(), 1, "the Slack steps still owed: {owed:?}");

    s.inner.escalator.slack = working;
    clock_posts_what_waited(&s).await;
}

/// chat-large's and embed-small's incidents delivered in one batch, which is to be
/// retried from its first record (chat-large's delivery did not finish).
async fn two_incidents_retried_from_the_first(s: &Stack) {
    webhook(s, "10_recommended_triggered.json").await;
    assert_eq!(
        post_webhook(s, embed_small_incident()).await,
        StatusCode::ACCEPTED
    );
    let (batch, answer) = deliver(s).await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{"itemIdentifier": first_sequence(&batch)}]),
        "{answer}"
    );
}

/// Slack down during a batch of two incidents: the first alert's Slack steps fail, and
/// the second's page still goes out in the same invocation, its Slack steps left for the
/// retry without waiting out Slack again. The batch is retried from the first alert.
#[tokio::test]
async fn slack_down_for_one_alert_of_a_batch_still_pages_the_next_alert() {
    let s = stack("esc-batch-slack-down").await;
    s.slack.faults().fail_next(1000, 503);
    two_incidents_retried_from_the_first(&s).await;
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        2,
        "both incidents paged: {:?}",
        s.pagerduty.alerts()
    );
    let tried_for_embed = s
        .slack
        .received()
        .iter()
        .filter(|r| r.body.to_string().contains("embed-small"))
        .count();
    assert_eq!(
        tried_for_embed, 0,
        "Slack, down, was not tried again for the second alert"
    );

    // Slack back: the clock posts both alerts' messages; nobody is paged twice.
    s.slack.faults().clear();
    escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    assert_eq!(posts(&s).len(), 4, "two channels for each alert");
    assert_eq!(pagerduty_events(&s), 2);
}

/// A rate limit is one channel's, not Slack's: the batch's other posts still go.
#[tokio::test]
async fn a_rate_limited_post_does_not_hold_back_the_other_channels_and_alerts() {
    let s = stack("esc-batch-slack-throttled").await;
    s.slack.faults().push(
        Fault::RateLimited {
            retry_after_secs: 120,
        },
        1,
    );
    two_incidents_retried_from_the_first(&s).await;
    assert_eq!(posts(&s).len(), 3, "every post but the throttled one went");
    assert_eq!(s.pagerduty.open_alerts().len(), 2);
}

/// Slack down for good while an incident opens and recovers: the page's Slack posts wait,
/// and the resolve behind them still reaches PagerDuty at once, so on-call is not
/// escalated to for an incident that is over. Once Slack is back, the channels get the
/// message, shown resolved, and the resolve's thread reply.
#[tokio::test]
async fn slack_down_does_not_hold_back_the_resolve_to_pagerduty() {
    let s = stack("esc-slack-down-resolve").await;
    s.slack.faults().fail_next(1000, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "paged while Slack is down"
    );
    webhook(&s, "11_recommended_recovered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "resolved in PagerDuty while Slack is down: {:?}",
        s.pagerduty.alerts()
    );
    let owed = s.store.load(&key()).await.unwrap().unwrap().owed;
    assert_eq!(
        owed.iter().map(|o| o.action.name()).collect::<Vec<_>>(),
        ["page", "resolve"],
        "both still owe Slack"
    );

    s.slack.faults().clear();
    escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
    assert_eq!(posts(&s).len(), 2, "both channels told");
    assert_eq!(
        pagerduty_events(&s),
        2,
        "one trigger, one resolve: nothing sent twice"
    );
    assert_eq!(thread_replies(&s), 2, "the resolve told each thread");
}

/// Slack down while an incident opens, recovers and opens again: the second cycle pages
/// on-call at once, as the first did, without waiting for Slack. Once Slack is back, the
/// first cycle's messages and the second's are each their own (the second cycle's posts
/// wait behind the first cycle's rather than take their threads), and nothing reaches
/// PagerDuty twice.
#[tokio::test]
async fn slack_down_across_two_cycles_keeps_each_cycles_messages_its_own() {
    let s = stack("esc-slack-down-cycles").await;
    s.slack.faults().fail_next(1000, 503);
    open_recover_and_open_again(&s).await;
    deliver(&s).await;
    let open: Vec<_> = s.pagerduty.open_alerts();
    assert_eq!(
        open.len(),
        1,
        "cycle 2 paged while Slack is down: {:?}",
        s.pagerduty.alerts()
    );
    assert!(open[0].dedup_key.ends_with("#2"), "{open:?}");
    let owed = s.store.load(&key()).await.unwrap().unwrap().owed;
    assert_eq!(
        owed.iter()
            .map(|o| (o.action.name(), o.cycle))
            .collect::<Vec<_>>(),
        [("page", 1), ("resolve", 1), ("page", 2)],
        "all three still owe Slack"
    );

    s.slack.faults().clear();
    escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
    assert_eq!(posts(&s).len(), 4, "two channels for each cycle");
    let open: Vec<_> = s.pagerduty.open_alerts();
    assert_eq!(
        open.len(),
        1,
        "cycle 1 resolved, cycle 2 open: {:?}",
        s.pagerduty.alerts()
    );
    assert!(open[0].dedup_key.ends_with("#2"), "{open:?}");
    assert_eq!(
        pagerduty_events(&s),
        3,
        "two triggers and a resolve: nothing sent twice"
    );
    assert_eq!(
        thread_replies(&s),
        2,
        "cycle 1's resolve told each of its threads"
    );

    // Cycle 2 recovers: its resolve reaches the service its page went to.
    recover_cycle_2(&s).await;
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
    assert_eq!(
        thread_replies(&s),
        4,
        "and cycle 2's resolve each of its own"
    );
    assert_eq!(pagerduty_events(&s), 4, "cycle 2's resolve, once");
    assert_eq!(posts(&s).len(), 4);
}

/// Slack down while an incident opens, recovers and opens again: the second cycle's page
/// goes to PagerDuty behind the first cycle's actions. A silence comes while PagerDuty has
/// that trigger and its answer is on the way: the page was marked under way before it was
/// sent, so the silence keeps it, the service it went to is recorded, and the second
/// cycle's resolve reaches PagerDuty.
#[tokio::test]
async fn a_silence_while_a_page_sent_behind_is_out_keeps_its_service_for_the_resolve() {
    let s = stack("esc-silence-behind").await;
    s.slack.faults().fail_next(1000, 503);
    open_recover_and_open_again(&s).await;
    let held = hold_next_answer(s.pagerduty.faults());
    let batch = s.stream.lock().await.next().await;
    let page = escalator::handle(&s.escalator, batch);
    tokio::pin!(page);
    until_held(page.as_mut(), &held, "PagerDuty had cycle 2's trigger").await;
    silence_chat_large(&s).await;
    page.await.unwrap();
    assert_eq!(s.pagerduty.open_alerts().len(), 1, "cycle 2 paged");

    recover_cycle_2(&s).await;
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "cycle 2's incident resolved: {:?}",
        s.pagerduty.alerts()
    );
}

/// A trigger whose attempts all failed, the first after PagerDuty had opened the incident
/// (its answer a 500), while Slack was down too: nothing of the page is recorded, so a
/// silence made then holds it back. The incident the failed trigger opened is resolved
/// with the alert all the same, not left open in PagerDuty.
#[tokio::test]
async fn an_incident_a_failed_trigger_opened_is_resolved_though_a_silence_held_its_page() {
    let s = stack("esc-5xx-silence").await;
    s.slack.faults().fail_next(1000, 503);
    s.pagerduty
        .faults()
        .push(Fault::HandledThenStatus { status: 500 }, 1);
    s.pagerduty.faults().fail_next(1000, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "the first attempt opened the incident"
    );
    silence_chat_large(&s).await;
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(
        alert.owed.iter().all(|o| o.action.name() != "page"),
        "the page is held back: {:?}",
        alert.owed
    );
    s.slack.faults().clear();
    s.pagerduty.faults().clear();

    webhook(&s, "11_recommended_recovered.json").await;
    for _ in 0..2 {
        let (_, answer) = deliver(&s).await;
        assert_eq!(answer, json!({"batchItemFailures": []}));
    }
    assert!(
        s.pagerduty.open_alerts().is_empty(),
        "the incident resolved: {:?}",
        s.pagerduty.alerts()
    );
    assert_eq!(s.pagerduty.alerts().len(), 1, "and no other opened");
    assert!(posts(&s).is_empty(), "the silence kept the channels quiet");
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
}

/// Slack downloads a message's images before it takes it, and refuses the whole message
/// when one fails (a Datadog snapshot not rendered yet): the alert is told without it.
#[tokio::test]
async fn a_graph_slack_cannot_download_does_not_keep_the_alert_from_the_channels() {
    let s = stack("esc-image").await;
    s.slack
        .images_unreachable("https://p.datadoghq.com/snapshot/");
    webhook(&s, "10_recommended_triggered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let calls = |method: &str| {
        s.slack
            .received()
            .iter()
            .filter(|r| r.path == format!("/api/{method}"))
            .count()
    };
    assert_eq!(
        calls("chat.postMessage"),
        4,
        "each post refused once, then taken"
    );
    assert_eq!(posts(&s).len(), 2, "both channels told");
    let shows = |m: &modelwatch_tests::fakes::SlackMessage, kind: &str| {
        m.blocks
            .as_array()
            .is_some_and(|b| b.iter().any(|b| b["type"] == kind))
    };
    for m in s.slack.messages() {
        assert!(!shows(&m, "image"), "{:?}", m.blocks);
        assert!(shows(&m, "actions"), "the buttons stay: {:?}", m.blocks);
    }
    assert_eq!(s.pagerduty.open_alerts().len(), 1);

    webhook(&s, "11_recommended_recovered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let messages = s.slack.messages();
    let top: Vec<_> = messages.iter().filter(|m| m.thread_ts.is_none()).collect();
    assert!(
        top.iter().all(|m| m.edits == 1),
        "both posts updated: {top:?}"
    );
    assert!(s.pagerduty.open_alerts().is_empty());
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
}

#[tokio::test]
async fn a_pagerduty_outage_does_not_keep_the_team_from_hearing() {
    let s = stack("esc-pagerduty-down").await;
    s.pagerduty.faults().fail_next(20, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    let (_, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert_eq!(
        posts(&s).len(),
        2,
        "both channels told while PagerDuty was down"
    );
    assert!(s.pagerduty.open_alerts().is_empty());
    s.pagerduty.faults().clear();
    let report = escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    assert_eq!(report.retried, 1);
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "paged once PagerDuty was back"
    );
    assert_eq!(posts(&s).len(), 2, "nothing posted again");
    assert!(
        s.slack
            .messages()
            .iter()
            .all(|m| m.thread_ts.is_none() && m.edits == 0),
        "the retry added no thread reply or update"
    );
    assert!(s.store.load(&key()).await.unwrap().unwrap().owed.is_empty());
}

/// The incident was over before PagerDuty took its page (the monitor recovered while
/// PagerDuty was down; or on-call resolved it there while the page's record was lost): a
/// trigger now would open an incident on a resolved dedup key and wake on-call for it.
/// None is sent; the resolve still goes, and the channels have the whole story.
#[tokio::test]
async fn a_page_for_an_incident_over_before_pagerduty_took_it_opens_no_incident() {
    let s = stack("esc-pagerduty-over").await;
    s.pagerduty.faults().fail_next(40, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    webhook(&s, "11_recommended_recovered.json").await;
    deliver(&s).await;
    // The page is done once its incident is over; the resolve waits for PagerDuty.
    let owed = s.store.load(&key()).await.unwrap().unwrap().owed;
    assert_eq!(
        owed.iter().map(|o| o.action.name()).collect::<Vec<_>>(),
        vec!["resolve"],
        "{owed:?}"
    );
    s.pagerduty.faults().clear();
    escalator::tick(&s.escalator, Timestamp::now().plus_secs(90))
        .await
        .unwrap();
    let taken: Vec<Value> = s
        .pagerduty
        .received()
        .into_iter()
        .filter(|r| r.path == "/v2/enqueue" && r.status == 202)
        .map(|r| r.body["event_action"].clone())
        .collect();
    assert_eq!(
        taken,
        vec![json!("resolve")],
        "no trigger after the incident ended"
    );
    assert!(
        s.pagerduty.alerts().is_empty(),
        "{:?}",
        s.pagerduty.alerts()
    );
    assert_eq!(posts(&s).len(), 2, "both channels told");
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
    assert_eq!(alert.status, Status::Resolved);
}

/// Thread replies in the Slack fake, every channel's.
fn thread_replies(s: &Stack) -> usize {
    s.slack
        .messages()
        .iter()
        .filter(|m| m.thread_ts.is_some())
        .count()
}

/// When the second cycle of the incident opens: a minute after the first recovered.
fn cycle_2_at() -> i64 {
    let recovered: Value =
        serde_json::from_slice(&fixture("11_recommended_recovered.json")).unwrap();
    recovered["date"].as_str().unwrap().parse::<i64>().unwrap() + 60_000
}

/// The incident opens and recovers (each delivered), then opens again: its second cycle's
/// webhook is taken, not yet delivered.
async fn open_recover_and_open_again(s: &Stack) {
    webhook(s, "10_recommended_triggered.json").await;
    deliver(s).await;
    webhook(s, "11_recommended_recovered.json").await;
    deliver(s).await;
    let at = cycle_2_at().to_string();
    let again = variant(json!({"id": "cycle-2", "alert_cycle_key": "cycle-2",
                               "date": at, "last_updated": at}));
    assert_eq!(post_webhook(s, again).await, StatusCode::ACCEPTED);
}

/// The second cycle recovers a minute after it opened, delivered.
async fn recover_cycle_2(s: &Stack) {
    let mut body: Value =
        serde_json::from_slice(&fixture("11_recommended_recovered.json")).unwrap();
    let at = (cycle_2_at() + 60_000).to_string();
    for (k, v) in [
        ("id", json!("cycle-2-recovered")),
        ("alert_cycle_key", json!("cycle-2")),
        ("date", json!(at)),
        ("last_updated", json!(at)),
    ] {
        body[k] = v;
    }
    let body = serde_json::to_vec(&body).unwrap();
    assert_eq!(post_webhook(s, body).await, StatusCode::ACCEPTED);
    deliver(s).await;
}

/// `10_recommended_triggered.json` changed by `changes` (another delivery of the incident).
fn variant(changes: Value) -> Vec<u8> {
    let mut body: Value =
        serde_json::from_slice(&fixture("10_recommended_triggered.json")).unwrap();
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    serde_json::to_vec(&body).unwrap()
}

/// Another model's incident (embed-small), to deliver in the same batch as the first.
fn embed_small_incident() -> Vec<u8> {
    variant(json!({
        "id": "embed-1",
        "alert_id": "55555",
        "alert_scope": "model:embed-small,model_version:v1,env:prod",
        "model": "embed-small",
        "model_version": "v1",
        "tags": "env:prod,model:embed-small,model_version:v1",
    }))
}

async fn post_webhook(s: &Stack, body: Vec<u8>) -> StatusCode {
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    s.intake.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn a_retrigger_without_its_cycle_key_joins_the_open_alert_in_either_order() {
    let date = |ms: i64| modelwatch_tests::recent(ms).to_string();
    let without = |id: &str, ms: i64, transition: &str| {
        variant(
            json!({"alert_cycle_key": "$ALERT_CYCLE_KEY", "id": id, "date": date(ms), "alert_transition": transition}),
        )
    };
    let with_key = |id: &str, ms: i64, transition: &str| {
        variant(json!({"id": id, "date": date(ms), "alert_transition": transition}))
    };
    for (name, first, second) in [
        (
            "without, then with",
            without("n1", 1_795_730_400_000, "Triggered"),
            with_key("n2", 1_795_730_460_000, "Re-Triggered"),
        ),
        (
            "with, then without",
            with_key("n1", 1_795_730_400_000, "Triggered"),
            without("n2", 1_795_730_460_000, "Re-Triggered"),
        ),
    ] {
        let s = stack("esc-one-incident").await;
        assert_eq!(
            post_webhook(&s, first).await,
            StatusCode::ACCEPTED,
            "{name}"
        );
        post_webhook(&s, second).await;
        deliver(&s).await;
        let alerts = s.store.all_alerts().await.unwrap();
        assert_eq!(
            alerts.len(),
            1,
            "{name}: one alert for one incident: {alerts:?}"
        );
        assert_eq!(s.pagerduty.alerts().len(), 1, "{name}: paged once");
        // The recovery, whichever form it takes, closes it and resolves the page.
        post_webhook(&s, without("n3", 1_795_731_000_000, "Recovered")).await;
        deliver(&s).await;
        assert!(
            s.pagerduty.open_alerts().is_empty(),
            "{name}: {:?}",
            s.pagerduty.alerts()
        );
        let alert = s.store.load(&key()).await.unwrap().unwrap();
        assert_eq!(alert.status, Status::Resolved, "{name}");
    }
}

#[tokio::test]
async fn an_alert_capped_at_night_escalates_by_the_day_policy_when_the_night_ends() {
    // 03:00 in Berlin (the example configuration's zone): L1 issues stay in Slack.
    let night = Timestamp::parse("2026-11-27T02:00:00Z").unwrap();
    let clock = modelwatch::clock::Clock::manual(night);
    let inner = pipeline::Stack::start(
        &modelwatch_tests::unique_table_name("esc-night-cap"),
        modelwatch_tests::example_config(),
        clock.clone(),
        TOKEN,
        pipeline::Ports::default(),
    )
    .await
    .unwrap();
    let stream = Mutex::new(TestStream::for_store(&inner.store).await);
    let s = Stack { inner, stream };
    let p3 = variant(json!({
        "alert_priority": "P3",
        "alert_title": "[P3] [Triggered on {model:chat-large,model_version:v7,env:prod}] p95 generation latency above 2 s",
        "date": night.millis().to_string(),
    }));
    assert_eq!(post_webhook(&s, p3).await, StatusCode::ACCEPTED);
    deliver(&s).await;
    assert!(s.pagerduty.alerts().is_empty(), "L1 is Slack only");

    // 03:45: unanswered past L1's 30 minutes, but the night rule caps it at L1.
    clock.set(night.plus_secs(45 * 60));
    escalator::tick(&s.escalator, clock.now()).await.unwrap();
    assert_eq!(
        s.store.load(&key()).await.unwrap().unwrap().level,
        Level::L1
    );
    assert!(s.pagerduty.alerts().is_empty(), "no page at night");

    // 08:00 in Berlin: the night rule no longer holds, and the clock escalates it.
    clock.set(Timestamp::parse("2026-11-27T07:00:00Z").unwrap());
    escalator::tick(&s.escalator, clock.now()).await.unwrap();
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.level, Level::L2);
    deliver(&s).await;
    assert_eq!(
        s.pagerduty.open_alerts().len(),
        1,
        "paged once the day began"
    );
}

#[tokio::test]
async fn a_datadog_page_and_message_say_what_is_wrong() {
    let s = stack("esc-datadog-context").await;
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    let open = s.pagerduty.open_alerts();
    let details = open[0].custom_details.clone().unwrap();
    assert_eq!(details["metric"], "llm.generation.latency.p95");
    assert_eq!(details["threshold"], 2.0);
    assert!(
        details["reason"]
            .as_str()
            .unwrap()
            .contains("was > 2.0 on average"),
        "{details}"
    );
    let message = s
        .slack
        .messages()
        .into_iter()
        .find(|m| m.thread_ts.is_none())
        .unwrap();
    let blocks = message.blocks.to_string();
    assert!(blocks.contains("*Threshold*\\n2"), "{blocks}");
    assert!(blocks.contains("llm.generation.latency.p95"), "{blocks}");
}

#[tokio::test]
async fn a_model_familys_pages_go_to_its_own_service_and_others_to_the_shared_one() {
    let yaml = modelwatch_tests::EXAMPLE_CONFIG
        .replace(
            "    - name: ml-senior\n      secret: pagerduty_routing_key_senior\n",
            "    - name: ml-senior\n      secret: pagerduty_routing_key_senior\n    - name: chat-oncall\n      secret: pagerduty_routing_key_chat\n",
        )
        .replace(
            "    - match: { family: chat }\n",
            "    - match: { family: chat }\n      L2: { pagerduty: chat-oncall }\n",
        );
    let config =
        modelwatch::config::Config::parse("family.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
    let inner = pipeline::Stack::start(
        &modelwatch_tests::unique_table_name("esc-family-route"),
        config,
        modelwatch::clock::Clock::system(),
        TOKEN,
        pipeline::Ports::default(),
    )
    .await
    .unwrap();
    let stream = Mutex::new(TestStream::for_store(&inner.store).await);
    let s = Stack { inner, stream };
    // chat-large (family chat) at P2 → L2: the chat family's on-call service.
    webhook(&s, "10_recommended_triggered.json").await;
    // embed-small, no route of its own: the shared on-call service.
    assert_eq!(
        post_webhook(&s, embed_small_incident()).await,
        StatusCode::ACCEPTED
    );
    deliver(&s).await;
    let mut services: Vec<String> = s
        .pagerduty
        .open_alerts()
        .into_iter()
        .map(|a| format!("{}:{}", a.service, a.summary.contains("embed-small")))
        .collect();
    services.sort();
    let mut expected = vec![
        format!("{}:false", &s.routing_key("chat-oncall")[..6]),
        format!("{}:true", &s.routing_key("ml-oncall")[..6]),
    ];
    expected.sort();
    assert_eq!(services, expected);
}

/// What a new alert's delivery costs in DynamoDB requests, pinned so that a change adding
/// reads to the delivery path shows here: no read of the alert (the stream record's image
/// is the state the claim is conditioned on), the silences in force, then at once the
/// conditional write that claims the action and the context's reads (deployments,
/// subscribers), then one write per step delivered (no read before each, nor after the
/// last: the escalator writes from what it wrote).
#[tokio::test]
async fn a_delivery_starts_from_the_records_image_and_writes_once_per_step() {
    let mut s = stack("escalator-requests").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    let steps = s.slack.messages().len() + s.pagerduty.alerts().len();
    assert_eq!(
        steps, 3,
        "the example routes L2 to two channels and PagerDuty"
    );
    let mut sent = log.take();
    // The claim and the two context reads go out together, in no fixed order.
    sent[1..4].sort();
    assert_eq!(
        sent,
        [
            "Query",   // silences in force
            "PutItem", // claim the page,
            "Query",   //   with the model's recent deployments, for the page,
            "Query",   //   and the alert subscribers, to mention
            "PutItem", // step 1 done
            "PutItem", // step 2 done
            "PutItem", // step 3 done, and nothing owed since: done
        ]
    );
}

/// A cold start reads the silences in force in place of the table check: its first
/// delivery, soon after, starts from that read (one query less before the first page);
/// one long after it (a container started ahead of its events) reads them again, and
/// only the first invocation has them.
#[tokio::test]
async fn a_cold_starts_first_delivery_pages_from_the_silences_read_at_init() {
    let mut s = stack("escalator-cold-start-reads").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    let now = s.escalator.clock.now();
    let read_at_init = s.escalator.store.silences(now).await.unwrap();
    s.inner.escalator.cold_start = Arc::new(escalator::ColdStartReads::new(now, read_at_init));
    log.take();

    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    assert_eq!(s.pagerduty.alerts().len(), 1);
    let mut sent = log.take();
    sent[..3].sort();
    assert_eq!(
        sent,
        ["PutItem", "Query", "Query", "PutItem", "PutItem", "PutItem"],
        "the claim with the page's context, then a write per step: no silences query"
    );

    // Only the first invocation has the cold start's read: the next reads the silences.
    let tick = json!({"tick": true});
    escalator::handle(&s.escalator, tick.clone()).await.unwrap();
    let every_minute = log.take();
    assert_eq!(
        every_minute[..2],
        ["Query", "Query"],
        "the open alerts, the silences in force, …"
    );
    // A read too long before the first invocation is made again.
    let long_before = s
        .escalator
        .clock
        .now()
        .minus_secs(escalator::ColdStartReads::FRESH_FOR_SECS);
    s.inner.escalator.cold_start =
        Arc::new(escalator::ColdStartReads::new(long_before, Vec::new()));
    escalator::handle(&s.escalator, tick.clone()).await.unwrap();
    assert_eq!(log.take(), every_minute);
    // A fresh one saves the minute its silences query.
    let now = s.escalator.clock.now();
    let fresh = escalator::ColdStartReads::new(now, s.store.silences(now).await.unwrap());
    s.inner.escalator.cold_start = Arc::new(fresh);
    escalator::handle(&s.escalator, tick).await.unwrap();
    let mut one_less = every_minute.clone();
    one_less.remove(1);
    assert_eq!(log.take(), one_less);
}

/// The escalator's own claim and step records come back through the stream (the alert
/// still owed the page when each was written): their images show the claim in force, so
/// they cost no request and send nothing.
#[tokio::test]
async fn the_escalators_own_records_coming_back_cost_nothing() {
    let mut s = stack("escalator-own-records").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    let sent = (s.slack.received().len(), s.pagerduty.received().len());
    log.take();
    let (batch, answer) = deliver(&s).await;
    assert_eq!(
        batch["Records"].as_array().unwrap().len(),
        3,
        "the claim and the first two steps' records: {batch}"
    );
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(log.take(), Vec::<String>::new());
    assert_eq!(
        (s.slack.received().len(), s.pagerduty.received().len()),
        sent
    );
}

/// A stale image (the batch handed over again after it was delivered, as Lambda does
/// after a partial failure) costs the claim's failed condition and one read, and sends
/// nothing again.
#[tokio::test]
async fn a_stale_image_is_caught_by_the_claims_condition_and_read_afresh() {
    let mut s = stack("escalator-stale-image").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    let (batch, _) = deliver(&s).await;
    let sent = (s.slack.received().len(), s.pagerduty.received().len());
    log.take();
    let again = escalator::handle(&s.escalator, batch).await.unwrap();
    assert_eq!(again, json!({"batchItemFailures": []}));
    assert_eq!(
        (s.slack.received().len(), s.pagerduty.received().len()),
        sent
    );
    let mut requests = log.take();
    requests[1..4].sort();
    assert_eq!(
        requests,
        ["Query", "PutItem", "Query", "Query", "GetItem"],
        "silences; the claim (refused: the version moved on) with the page's context; the alert afresh, owing nothing"
    );
}

/// A delivery dies after Slack took its post, and Lambda hands the batch over again once
/// the claim has expired: the record's image predates that attempt, but the claim is
/// written on the alert as it stands, which shows the attempt, so the post is looked for
/// and found rather than posted twice.
#[tokio::test]
async fn a_redelivered_batch_finds_the_post_of_an_attempt_its_image_predates() {
    let mut s = stack("escalator-image-retry").await;
    // Claims that lapse at once: the retry need not wait two minutes.
    s.inner.escalator.claim_secs = 0;
    webhook(&s, "10_recommended_triggered.json").await;
    let held = hold_next_answer(s.slack.faults());
    let batch = s.stream.lock().await.next().await;
    {
        let page = escalator::handle(&s.escalator, batch.clone());
        tokio::pin!(page);
        until_held(page.as_mut(), &held, "Slack had the post").await;
    } // the invocation dies here, the post sent and not recorded
    let answer = escalator::handle(&s.escalator, batch).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let posts = posts(&s);
    assert_eq!(posts.len(), 2, "one post per channel: {posts:?}");
    assert_eq!(s.pagerduty.open_alerts().len(), 1);
}

/// A silence over chat-large in prod for two hours, made over the intake's route.
async fn silence_chat_large(s: &Stack) {
    let body = json!({"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
                      "created_by": "escalator test", "comment": "rollout"});
    let req = Request::post("/silences")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let res = s.intake.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A batch's newest image may show the alert as it was before it opened again under a
/// silence: the delivery then starts over from the table, the silence check included,
/// rather than page through a silence the image never saw.
#[tokio::test]
async fn a_stale_image_of_a_resolved_alert_does_not_skip_the_silence_check() {
    let s = stack("escalator-stale-silence").await;
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    assert_eq!(s.pagerduty.alerts().len(), 1);
    webhook(&s, "11_recommended_recovered.json").await;
    // The recovery's records, handed over only after what follows.
    let stale = s.stream.lock().await.next().await;
    silence_chat_large(&s).await;
    // The monitor fires again, in a new cycle, under the silence.
    let date = modelwatch_tests::recent(1_795_731_840_000).to_string();
    let again = variant(json!({"alert_cycle_key": "cycle-2", "id": "again-1",
                               "date": date, "last_updated": date}));
    assert_eq!(post_webhook(&s, again).await, StatusCode::ACCEPTED);

    let answer = escalator::handle(&s.escalator, stale).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Open);
    assert!(alert.silence.is_some(), "muted");
    assert_eq!(
        s.pagerduty.alerts().len(),
        1,
        "no page for the new cycle: {:?}",
        s.pagerduty.alerts()
    );
}

/// A silence made while a page is going out (Slack has the first post and has not
/// answered) lets that page finish, and holds nothing of it back to page again later.
#[tokio::test]
async fn a_silence_made_mid_page_lets_the_page_finish_once() {
    let s = stack("escalator-mid-page-silence").await;
    webhook(&s, "10_recommended_triggered.json").await;
    let held = hold_next_answer(s.slack.faults());
    let batch = s.stream.lock().await.next().await;
    let page = escalator::handle(&s.escalator, batch);
    tokio::pin!(page);
    until_held(page.as_mut(), &held, "Slack had the post").await;
    silence_chat_large(&s).await;
    let answer = page.await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.silence.is_some(), "muted");
    assert_eq!(alert.held, 0, "nothing held back to page again");
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
    assert_eq!(posts(&s).len(), 2, "one post per channel");
    assert_eq!(s.pagerduty.alerts().len(), 1);
}

/// A delivery whose claim ran out while Slack held its first post: another delivery (the
/// clock's) found that post, finished the page, and the first delivery, recording its
/// post, finds the page gone and sends none of its other steps.
#[tokio::test]
async fn a_delivery_whose_page_another_finished_sends_none_of_its_other_steps() {
    let mut s = stack("escalator-overtaken").await;
    // Claims that lapse at once, so another delivery can take over.
    s.inner.escalator.claim_secs = 0;
    webhook(&s, "10_recommended_triggered.json").await;
    let held = hold_next_answer(s.slack.faults());
    let batch = s.stream.lock().await.next().await;
    let slow = escalator::handle(&s.escalator, batch);
    tokio::pin!(slow);
    until_held(slow.as_mut(), &held, "Slack had the post").await;
    let reads = escalator::SharedReads::default();
    let other = escalator::deliver_owed(&s.escalator, &key(), None, Timestamp::now(), &reads)
        .await
        .unwrap();
    // The page went out before the held post: the other delivery's steps are the two
    // posts (the held one found, the other posted).
    assert_eq!((other.actions, other.steps), (1, 2), "{other:?}");
    let answer = slow.await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let posts = posts(&s);
    assert_eq!(posts.len(), 2, "one post per channel: {posts:?}");
    assert_eq!(pagerduty_events(&s), 1, "paged once");
}

/// A delivery that PagerDuty turned away gives its claim up; the record of that release is
/// the alert's newest image, and it holds nobody out: the next batch delivers the step
/// that is left from the image, without reading the alert, and nothing twice.
#[tokio::test]
async fn a_released_claim_in_the_newest_image_holds_nobody_out() {
    let mut s = stack("escalator-release-image").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    s.pagerduty.faults().fail_next(10, 503);
    let (batch, answer) = deliver(&s).await;
    assert_eq!(
        answer["batchItemFailures"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    s.pagerduty.faults().clear();
    let posts = s.slack.messages().len();
    log.take();
    // What the stream holds after that batch: the claim, the service the failed trigger
    // may have paged, the two posts' records, the release (the failed batch's own retry
    // is left out here).
    let mut stream = s.stream.lock().await;
    stream.answered(&batch, &json!({"batchItemFailures": []}));
    let after = stream.next().await;
    drop(stream);
    let answer = escalator::handle(&s.escalator, after).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(s.pagerduty.open_alerts().len(), 1, "paged");
    assert_eq!(s.slack.messages().len(), posts, "nothing posted again");
    let sent = log.take();
    assert!(!sent.iter().any(|op| op == "GetItem"), "{sent:?}");
}

/// A recovery that arrives while the page is in flight (PagerDuty has the trigger and has
/// not answered) is delivered by the delivery holding the claim: recording the trigger
/// meets the recovery's write, reads afresh, and finds the resolve owed. A concurrent
/// delivery (another lane, the clock) finds the claim and sends nothing. No read follows
/// the last record: what it wrote is the alert as it stands.
#[tokio::test]
async fn a_recovery_arriving_mid_page_is_delivered_by_the_page_in_flight() {
    let mut s = stack("escalator-mid-page").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    let held = hold_next_answer(s.pagerduty.faults());
    let batch = s.stream.lock().await.next().await;
    let page = escalator::handle(&s.escalator, batch);
    tokio::pin!(page);
    until_held(page.as_mut(), &held, "PagerDuty had the trigger").await;

    webhook(&s, "11_recommended_recovered.json").await;
    let reads = escalator::SharedReads::default();
    let other = escalator::deliver_owed(&s.escalator, &key(), None, Timestamp::now(), &reads)
        .await
        .unwrap();
    assert!(other.busy && other.steps == 0, "{other:?}");
    log.take();

    let answer = page.await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert!(s.pagerduty.open_alerts().is_empty(), "resolved");
    assert_eq!(s.pagerduty.alerts().len(), 1);
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.status, Status::Resolved);
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
    let sent = log.take();
    assert_eq!(
        &sent[..2],
        ["PutItem", "GetItem"],
        "the trigger's record met the recovery's write and read afresh"
    );
    assert_eq!(
        sent.iter().filter(|op| *op == "GetItem").count(),
        1,
        "{sent:?}"
    );
    assert_eq!(sent.last().map(String::as_str), Some("PutItem"), "{sent:?}");
}

/// Two deliveries of one alert in the same millisecond (the stream and the clock, say) write
/// the same action and the same deadline into their claims: the one whose claim did not
/// land must still see the claim as another's and send nothing. Paged once.
#[tokio::test]
async fn a_claim_made_in_the_same_millisecond_by_another_delivery_keeps_this_one_out() {
    let s = stack("escalator-same-ms-claim").await;
    webhook(&s, "10_recommended_triggered.json").await;
    let now = Timestamp::now();
    let held = hold_next_answer(s.pagerduty.faults());
    let (alert, first_reads) = (key(), escalator::SharedReads::default());
    let page = escalator::deliver_owed(&s.escalator, &alert, None, now, &first_reads);
    tokio::pin!(page);
    until_held(page.as_mut(), &held, "PagerDuty had the trigger").await;
    let posted = s.slack.messages().len();

    let reads = escalator::SharedReads::default();
    let other = escalator::deliver_owed(&s.escalator, &key(), None, now, &reads)
        .await
        .unwrap();
    assert!(other.busy && other.steps == 0, "{other:?}");
    assert_eq!(s.slack.messages().len(), posted, "nothing posted twice");

    let first = page.await.unwrap();
    assert!(first.steps > 0, "{first:?}");
    let triggers = s
        .pagerduty
        .received()
        .iter()
        .filter(|r| r.path == "/v2/enqueue")
        .count();
    assert_eq!(triggers, 1, "paged once");
    assert_eq!(s.pagerduty.open_alerts().len(), 1);
}

/// The silences and the subscribers are the same for every alert of a batch: read once.
#[tokio::test]
async fn a_batch_reads_the_silences_and_the_subscribers_once_for_all_its_alerts() {
    let mut s = stack("escalator-batch-reads").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    webhook(&s, "10_recommended_triggered.json").await;
    assert_eq!(
        post_webhook(&s, embed_small_incident()).await,
        StatusCode::ACCEPTED
    );
    let (batch, answer) = deliver(&s).await;
    assert_eq!(batch["Records"].as_array().unwrap().len(), 2, "{batch}");
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(s.pagerduty.open_alerts().len(), 2);
    let queries = log.take().iter().filter(|op| *op == "Query").count();
    assert_eq!(
        queries, 4,
        "the silences once, the subscribers once, each model's deployments"
    );
}

/// The clock's minute costs what the open alerts need: with none open and none owing it
/// is the two index queries; open alerts add the silences in force, read once for all.
#[tokio::test]
async fn a_quiet_minute_of_the_clock_is_two_queries_and_an_open_alert_adds_the_silences() {
    let mut s = stack("escalator-tick-requests").await;
    let log = modelwatch_tests::request_log::RequestLog::default();
    s.inner.escalator.store = log.store(&s.table).await;
    let report = escalator::tick(&s.escalator, Timestamp::now())
        .await
        .unwrap();
    assert_eq!((report.open, report.retried), (0, 0));
    assert_eq!(
        log.take(),
        ["Query", "Query"],
        "the open alerts, the resolved ones still owing"
    );

    webhook(&s, "10_recommended_triggered.json").await;
    assert_eq!(
        post_webhook(&s, embed_small_incident()).await,
        StatusCode::ACCEPTED
    );
    deliver(&s).await;
    log.take();
    let report = escalator::tick(&s.escalator, Timestamp::now())
        .await
        .unwrap();
    assert_eq!((report.open, report.ticked), (2, 0), "{report:?}");
    let queries = log.take().iter().filter(|op| *op == "Query").count();
    assert_eq!(
        queries, 3,
        "the open alerts, the silences in force, the owing"
    );
}

/// A monitor of a model with a long name and version (a fine-tune named by its date and
/// commit) gives an alert key too long for PagerDuty's dedup key, which then carries its
/// digest. PagerDuty's acknowledgement of that incident still finds the alert (the
/// escalator told the table the digest before paging), so nobody senior is paged for an
/// alert on-call has taken.
#[tokio::test]
async fn an_acknowledgement_in_pagerduty_of_a_hashed_dedup_key_stops_escalation() {
    let s = stack("esc-hashed-key").await;
    let long = format!(
        "eval:generation-latency-p95-against-baseline|env:production-us-east-1,model:chat-large,model_version:{}",
        "2026-11-28-rlhf-finetune-from-chat-large-v7-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0-"
            .repeat(2)
    );
    assert!(long.len() > 255, "{}", long.len());
    let now = Timestamp::now();
    let trigger = modelwatch_tests::signals::trigger(&long, "eval-long-1", now.secs(), Level::L2);
    s.store.apply_signal(&trigger, now).await.unwrap();
    let alert = s.store.load(&trigger.key).await.unwrap().unwrap();

    deliver(&s).await;
    let open = s.pagerduty.open_alerts();
    assert_eq!(open.len(), 1, "{open:?}");
    let incident_key = open[0].dedup_key.clone();
    assert!(
        incident_key.starts_with("modelwatch:sha256:") && incident_key.ends_with("#1"),
        "{incident_key}"
    );

    let mut ack = modelwatch_tests::json_fixture("pagerduty/incident_acknowledged.json");
    ack["event"]["data"]["incident_key"] = json!(incident_key);
    ack["event"]["occurred_at"] = json!(Timestamp::now().to_string());
    let body = ack.to_string();
    let req = Request::post("/webhooks/pagerduty")
        .header("content-type", "application/json")
        .header(
            "x-pagerduty-signature",
            modelwatch_tests::pagerduty_signature(
                pipeline::PAGERDUTY_WEBHOOK_SECRET,
                body.as_bytes(),
            ),
        )
        .body(Body::from(body))
        .unwrap();
    let res = s.intake.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let acked = s.store.load(&alert.key).await.unwrap().unwrap();
    assert_eq!(acked.status, Status::Acknowledged);

    // Past the 15 minutes L2 waits: acknowledged, it stays with on-call.
    escalator::tick(&s.escalator, Timestamp::now().plus_secs(16 * 60))
        .await
        .unwrap();
    let later = s.store.load(&alert.key).await.unwrap().unwrap();
    assert_eq!(later.level, Level::L2);
    assert!(
        !s.pagerduty
            .alerts()
            .iter()
            .any(|a| a.service == s.routing_key("ml-senior")[..6]),
        "{:?}",
        s.pagerduty.alerts()
    );
}

/// PagerDuty down while the alert escalates: the L2 page cannot go, and the L3 page
/// behind it still tells the senior engineers' channel and the threads (Slack is all
/// that can reach anyone then). Once PagerDuty is back, both pages go, and nothing
/// reaches Slack twice.
#[tokio::test]
async fn a_pagerduty_outage_does_not_keep_the_escalation_from_the_channels() {
    let s = stack("esc-pagerduty-down-escalates").await;
    s.pagerduty.faults().fail_next(1000, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    assert_eq!(posts(&s).len(), 2, "the team told while PagerDuty is down");

    // Nobody acknowledges: the clock moves it to L3, and retries the L2 page.
    let later = Timestamp::now().plus_secs(16 * 60);
    escalator::tick(&s.escalator, later).await.unwrap();
    deliver(&s).await;
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert_eq!(alert.level, Level::L3);
    assert!(
        posts(&s).contains(&s.channel_id("ml-incidents")),
        "the L3 channel told while PagerDuty is down: {:?}",
        posts(&s)
    );
    let story = thread_texts(&s, &s.channel_id("chat-large-alerts"));
    assert!(story.iter().any(|t| t.starts_with("⬆️ L3")), "{story:?}");
    assert!(s.pagerduty.open_alerts().is_empty());
    let told = s.slack.messages().len();

    s.pagerduty.faults().clear();
    escalator::tick(&s.escalator, later.plus_secs(90))
        .await
        .unwrap();
    let open = s.pagerduty.open_alerts();
    assert_eq!(
        open.len(),
        2,
        "on-call and senior paged once back: {open:?}"
    );
    assert_eq!(
        s.slack.messages().len(),
        told,
        "nothing posted twice: {:#?}",
        s.slack
            .messages()
            .iter()
            .map(|m| (m.channel.clone(), m.thread_ts.clone(), m.text.clone()))
            .collect::<Vec<_>>()
    );
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
}

/// PagerDuty down: a reminder (Datadog's renotification) and then the escalation to L3
/// queue behind the L2 page. Each reaches Slack once; the reminder, told before the L3
/// thread began, does not later reply into it, however often the clock retries.
#[tokio::test]
async fn actions_told_behind_a_waiting_page_tell_each_thread_once() {
    let s = stack("esc-pagerduty-down-behind").await;
    s.pagerduty.faults().fail_next(1000, 503);
    webhook(&s, "10_recommended_triggered.json").await;
    deliver(&s).await;
    let reminder = variant(json!({"id": "renotified-1", "alert_transition": "Re-Triggered"}));
    assert_eq!(post_webhook(&s, reminder).await, StatusCode::ACCEPTED);
    deliver(&s).await;
    assert_eq!(thread_replies(&s), 2, "the reminder in both threads");

    let later = Timestamp::now().plus_secs(16 * 60);
    escalator::tick(&s.escalator, later).await.unwrap();
    deliver(&s).await;
    assert!(posts(&s).contains(&s.channel_id("ml-incidents")));
    let told = s.slack.messages().len();
    for minutes in [1, 2] {
        escalator::tick(&s.escalator, later.plus_secs(minutes * 60))
            .await
            .unwrap();
    }
    assert_eq!(
        s.slack.messages().len(),
        told,
        "nothing told twice while down"
    );

    s.pagerduty.faults().clear();
    escalator::tick(&s.escalator, later.plus_secs(180))
        .await
        .unwrap();
    assert_eq!(s.pagerduty.open_alerts().len(), 2);
    let texts: Vec<(String, Option<String>, String)> = s
        .slack
        .messages()
        .iter()
        .map(|m| (m.channel.clone(), m.thread_ts.clone(), m.text.clone()))
        .collect();
    assert_eq!(
        texts.len(),
        told,
        "nothing told twice once back: {texts:#?}"
    );
    let alert = s.store.load(&key()).await.unwrap().unwrap();
    assert!(alert.owed.is_empty(), "{:?}", alert.owed);
}
