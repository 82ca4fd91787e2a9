//! The reporter end to end: metrics in the Datadog fake, history and subscribers in the
//! table on the emulator, the report's charts and messages into the Slack fake.

use std::sync::Arc;

use modelwatch::clock::Clock;
use modelwatch::domain::{Level, Timestamp};
use modelwatch::domain::{Subscription, Topic};
use modelwatch::http::{BaseUrl, RetryPolicy};
use modelwatch::report::ReportKind;
use modelwatch::runtime::FromSecrets;
use modelwatch::secret::Secret;
use modelwatch::secrets::Secrets;
use modelwatch::slack::ChannelId;
use modelwatch_tests::fakes::{
    DatadogFake, DatadogFakeConfig, Fault, MANIFEST_SCOPES, SlackFake, SlackFakeConfig,
    SlackMessage,
};
use modelwatch_tests::signals::{recovered, trigger};
use modelwatch_tests::{example_config, fresh_store};
use reporter::{Posted, ReportChannels, ReportRequest, Reporter};

const TOKEN: &str = "xoxb-reporter-test";

/// Monday 2026-11-23 09:00 UTC.
fn at() -> Timestamp {
    Timestamp::from_secs(1_795_424_400)
}

/// Two days of p95 latency and GPU use for `model`, one point every 10 minutes; the last
/// day's latency is 60 % above the day before: a trend to chart.
fn add_metrics(datadog: &DatadogFake, model: &str) {
    for (metric, base) in [("llm.generation.latency", 1.2), ("gpu.utilization", 0.35)] {
        let points: Vec<(i64, f64)> = (0..288)
            .map(|i| {
                let worse = if metric.contains("latency") && i >= 144 {
                    1.6
                } else {
                    1.0
                };
                (
                    at().millis() - 2 * 86_400_000 + i * 600_000,
                    (base + (i % 7) as f64 * 0.01) * worse,
                )
            })
            .collect();
        datadog.add(
            metric,
            &[("model", model), ("model_version", "v4"), ("env", "prod")],
            points,
        );
    }
}

async fn reporter(test: &str) -> (Reporter, SlackFake, DatadogFake) {
    reporter_in(test, SlackFakeConfig::new(TOKEN)).await
}

/// The reporter posting to `workspace`, with the report channels added to it.
async fn reporter_in(test: &str, workspace: SlackFakeConfig) -> (Reporter, SlackFake, DatadogFake) {
    let store = fresh_store(test).await;
    let slack = SlackFake::start(
        workspace
            .channel("C0REPORTS", "modelwatch")
            .channel("C0LEADERS", "leadership"),
        0,
    )
    .await
    .unwrap();
    let datadog = DatadogFake::start(DatadogFakeConfig::new("k", "a"), 0)
        .await
        .unwrap();
    add_metrics(&datadog, "chat-large");
    let mut secrets = Secrets::default();
    secrets.insert("slack_bot_token", Secret::new(TOKEN));
    secrets.insert("datadog_api_key", Secret::new("k"));
    secrets.insert("datadog_app_key", Secret::new("a"));
    let mut reporter = reporter::Setup {
        store,
        config: Arc::new(example_config()),
        settings: reporter::Settings {
            slack: BaseUrl::new(&slack.url()).unwrap(),
            datadog: BaseUrl::new(&datadog.url()).unwrap(),
            channels: ReportChannels::single(ChannelId::new("#modelwatch").unwrap()),
        },
    }
    .build(&secrets)
    .unwrap();
    reporter.clock = Clock::manual(at());
    (reporter, slack, datadog)
}

/// The report's own messages: Slack also shows each shared file as a message.
fn report_messages(slack: &SlackFake) -> Vec<SlackMessage> {
    slack
        .messages()
        .into_iter()
        .filter(|m| m.files.is_empty())
        .collect()
}

fn request(report: ReportKind) -> ReportRequest {
    ReportRequest {
        report,
        audience: "ml-team".into(),
        time: None,
        schedule: None,
        again: false,
    }
}

#[tokio::test]
async fn the_daily_health_check_uploads_its_charts_and_posts_them_to_the_channel() {
    let (reporter, slack, _datadog) = reporter("reporter-daily").await;
    let posted = reporter.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(posted.charts >= 1, "{posted:?}");
    assert_eq!(posted.charts_failed, 0);
    let files = slack.files();
    assert_eq!(files.len() as u32, posted.charts);
    assert!(
        files
            .iter()
            .all(|f| f.shared_in.as_deref() == Some("C0REPORTS")),
        "{files:?}"
    );
    let messages = report_messages(&slack);
    assert_eq!(messages.len() as u32, posted.messages);
    let first = &messages[0];
    assert_eq!(first.channel, "C0REPORTS");
    assert!(
        first.text.to_lowercase().contains("health"),
        "{}",
        first.text
    );
    let blocks = first.blocks.to_string();
    assert!(
        files.iter().any(|f| blocks.contains(&f.id)),
        "the message shows an uploaded chart: {blocks}"
    );
}

/// Datadog answers the report's metrics only in part (`errors` beside the data): the
/// report still goes out, with what Datadog did answer.
#[tokio::test]
async fn a_metric_datadog_answers_only_in_part_leaves_the_rest_of_the_report() {
    let (reporter, slack, datadog) = reporter("reporter-in-part").await;
    datadog.answer_in_part("gpu.utilization", true);
    let posted = reporter.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(posted.messages >= 1, "{posted:?}");
    assert!(posted.charts >= 1, "the latency still charts: {posted:?}");
    assert!(!report_messages(&slack).is_empty());
}

#[tokio::test]
async fn the_weekly_report_counts_the_weeks_incidents_and_mentions_its_subscribers() {
    let (reporter, slack, _datadog) = reporter("reporter-weekly").await;
    let store = &reporter.store;
    let opened = at().secs() - 2 * 86_400;
    store
        .apply_signal(
            &trigger("m:1|chat", "t-1", opened, Level::L2),
            Timestamp::from_secs(opened + 60),
        )
        .await
        .unwrap();
    store
        .apply_signal(
            &recovered("m:1|chat", "r-1", opened + 1800),
            Timestamp::from_secs(opened + 1800),
        )
        .await
        .unwrap();
    store
        .subscribe(&Subscription {
            topic: Topic::Weekly,
            subscriber: "U0ANA".into(),
            name: "ana".into(),
            channel: "C0REPORTS".into(),
            model: None,
            created_at: at(),
        })
        .await
        .unwrap();

    let posted = reporter.run(&request(ReportKind::Weekly)).await.unwrap();
    let all: String = slack
        .messages()
        .iter()
        .map(|m| format!("{} {}", m.text, m.blocks))
        .collect();
    assert!(all.contains("<@U0ANA>"), "subscribers are mentioned");
    assert!(all.contains("MTTR"), "{all}");
    assert!(posted.messages >= 1);
}

#[tokio::test]
async fn a_chart_that_cannot_be_uploaded_leaves_a_complete_text_report() {
    let (reporter, slack, _datadog) = reporter("reporter-upload-fails").await;
    // The channel's lookup (conversations.list) and the look for an earlier attempt's post
    // (conversations.history) go through; Slack refuses the first upload for good.
    slack.faults().push(Fault::Slow { delay_ms: 0 }, 2);
    slack.faults().fail_next(1, 400);
    let posted = reporter.run(&request(ReportKind::Daily)).await.unwrap();
    assert_eq!(posted.charts_failed, 1, "{posted:?}");
    assert_eq!(posted.replies_failed, 0);
    let messages = report_messages(&slack);
    assert_eq!(messages.len() as u32, posted.messages);
    let blocks: String = messages.iter().map(|m| m.blocks.to_string()).collect();
    // The chart that failed is described in words; the ones uploaded are shown.
    assert!(
        blocks.contains(":bar_chart:"),
        "alt text stands in: {blocks}"
    );
    let images = messages
        .iter()
        .flat_map(|m| m.blocks.as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == "image")
        .count();
    assert_eq!(images as u32, posted.charts);
    assert_eq!(slack.files().len() as u32, posted.charts);
    // Every section still reads: the text is the same report as without the failure.
    for heading in ["chat-large", "embed-small", "summarizer"] {
        assert!(blocks.contains(heading), "{heading} missing: {blocks}");
    }
}

/// Twenty more models, each with its metrics: a report too big for one message.
fn with_many_models(reporter: &mut Reporter, datadog: &DatadogFake) {
    with_more_models(reporter, datadog, 20);
}

/// `n` more models, each with its metrics.
fn with_more_models(reporter: &mut Reporter, datadog: &DatadogFake, n: usize) {
    let mut config = example_config();
    let template = config.models["chat-large"].clone();
    for i in 0..n {
        let name = format!("model-{i:02}");
        add_metrics(datadog, &name);
        config.models.insert(
            name.clone(),
            modelwatch::config::Model {
                name,
                ..template.clone()
            },
        );
    }
    reporter.config = Arc::new(config);
}

#[tokio::test]
async fn a_report_too_big_for_one_message_continues_in_its_thread_a_second_apart() {
    let (mut reporter, slack, datadog) = reporter("reporter-thread").await;
    with_many_models(&mut reporter, &datadog);
    let posted = reporter.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(posted.messages >= 2, "{posted:?}");
    assert_eq!(posted.replies_failed, 0);

    let messages = report_messages(&slack);
    let first = &messages[0];
    assert_eq!(first.thread_ts, None);
    let replies = slack.thread(&first.ts);
    assert_eq!(replies.len() as u32, posted.messages - 1);
    assert!(
        replies.iter().all(|r| r.text.contains("(part ")),
        "{replies:?}"
    );
    // Every uploaded chart is shown by the report, whichever part holds it.
    let blocks: String = messages.iter().map(|m| m.blocks.to_string()).collect();
    assert!(!slack.files().is_empty());
    for file in slack.files() {
        assert!(blocks.contains(&file.id), "{} not shown", file.id);
    }

    // Slack's pace: about one message a second to the channel.
    let posts: Vec<i64> = slack
        .received()
        .into_iter()
        .filter(|r| r.path.ends_with("chat.postMessage") && r.status == 200)
        .map(|r| r.at_ms)
        .collect();
    assert_eq!(posts.len() as u32, posted.messages);
    for pair in posts.windows(2) {
        assert!(
            pair[1] - pair[0] >= 950,
            "posts {pair:?} less than a second apart"
        );
    }
}

/// Hourly points of a business metric over the two weeks before `at()`, across the whole
/// service (two sources averaged by the query): `last` in the last week, `before` the
/// week before.
fn add_business(datadog: &DatadogFake, metric: &str, before: f64, last: f64) {
    for (source, offset) in [("web", -0.02), ("mobile", 0.02)] {
        let points: Vec<(i64, f64)> = (0..14 * 24)
            .map(|h| {
                let value = if h >= 7 * 24 { last } else { before };
                (
                    at().millis() - 14 * 86_400_000 + h * 3_600_000,
                    value + offset,
                )
            })
            .collect();
        datadog.add(metric, &[("source", source)], points);
    }
}

/// Every message's text and blocks, the report's own messages only.
fn all_text(messages: &[SlackMessage]) -> String {
    messages
        .iter()
        .map(|m| format!("{}\n{}\n", m.text, m.blocks))
        .collect()
}

#[tokio::test]
async fn each_audience_gets_its_own_channel_content_and_depth() {
    let (mut reporter, slack, datadog) = reporter("reporter-audiences").await;
    // The template's parameter for the team's channel wins over the configuration's
    // #ml-platform; the executives keep their configured #leadership.
    reporter.channels = ReportChannels::from_vars(
        [
            (
                "MODELWATCH_REPORT_CHANNEL_ML_TEAM".to_owned(),
                "C0REPORTS".to_owned(),
            ),
            (
                "MODELWATCH_REPORT_CHANNEL_EXECUTIVES".to_owned(),
                String::new(),
            ),
        ],
        &example_config(),
    )
    .unwrap();
    add_business(&datadog, "app.user_satisfaction", 0.90, 0.80);
    add_business(&datadog, "app.conversion_rate", 0.040, 0.046);

    let event = serde_json::json!({"report": "weekly", "audience": "executives"});
    let posted = reporter::handle(&reporter, event).await.unwrap();
    let exec = report_messages(&slack);
    assert_eq!(exec.len() as u32, posted.messages);
    assert!(exec.iter().all(|m| m.channel == "C0LEADERS"), "{exec:?}");
    let text = all_text(&exec);
    assert!(text.contains("Weekly executive summary"), "{text}");
    // The business metrics over the whole service, this week against the one before.
    assert!(
        text.contains("*user satisfaction* 80% (↓ 11%, worse)"),
        "{text}"
    );
    assert!(text.contains("*conversion* 4.6% (↑ 15%, better)"), "{text}");
    assert!(
        text.contains("User satisfaction 80% (↓ 11%, worse)."),
        "the headline carries the first: {text}"
    );
    // A summary: no per-model trends, open alerts, noisy monitors or capacity.
    for deeper in [
        "Performance trends",
        "Open now",
        "Noisiest monitors",
        "Capacity and resources",
    ] {
        assert!(!text.contains(deeper), "{deeper} in the summary: {text}");
    }
    let files = slack.files();
    assert!(
        files.iter().any(|f| f
            .title
            .as_deref()
            .is_some_and(|t| t.starts_with("User satisfaction"))),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .all(|f| f.shared_in.as_deref() == Some("C0LEADERS"))
    );
    let queries: String = datadog
        .received()
        .iter()
        .map(|r| r.body.to_string())
        .collect();
    assert!(
        queries.contains("avg:app.user_satisfaction{*}"),
        "{queries}"
    );

    let before = exec.len();
    let event = serde_json::json!({"report": "daily", "audience": "ml-team"});
    let posted = reporter::handle(&reporter, event).await.unwrap();
    let team: Vec<SlackMessage> = report_messages(&slack).into_iter().skip(before).collect();
    assert_eq!(team.len() as u32, posted.messages);
    assert!(team.iter().all(|m| m.channel == "C0REPORTS"), "{team:?}");
    let text = all_text(&team);
    assert!(text.contains("Daily model health"), "{text}");
    // Each model in detail, with the metrics the team follows and its one business metric.
    for section in [
        "*chat-large — ",
        "*embed-small — ",
        "*summarizer — ",
        "p95 latency",
    ] {
        assert!(text.contains(section), "{section} missing: {text}");
    }
    assert!(text.contains("*user satisfaction*"), "{text}");
    assert!(!text.contains("*conversion*"), "not the team's: {text}");
}

#[tokio::test]
async fn a_model_subscriber_is_mentioned_next_to_that_model_in_the_reports_that_cover_it() {
    let (mut reporter, slack, _datadog) = reporter("reporter-model-mentions").await;
    let mut config = example_config();
    let team = config.reports.audiences.get_mut("ml-team").unwrap();
    team.content.models = vec!["chat-large".into(), "embed-small".into()];
    reporter.config = Arc::new(config);
    for (user, model) in [
        ("U0ALL", None),
        ("U0CHAT", Some("chat-large")),
        ("U0SUM", Some("summarizer")),
    ] {
        reporter
            .store
            .subscribe(&Subscription {
                topic: Topic::Daily,
                subscriber: user.into(),
                name: user.to_lowercase(),
                channel: "C0REPORTS".into(),
                model: model.map(str::to_owned),
                created_at: at(),
            })
            .await
            .unwrap();
    }

    // The team's report covers chat-large and embed-small, not summarizer.
    reporter.run(&request(ReportKind::Daily)).await.unwrap();
    let messages = report_messages(&slack);
    let blocks: Vec<String> = messages
        .iter()
        .flat_map(|m| m.blocks.as_array().cloned().unwrap_or_default())
        .map(|b| b.to_string())
        .collect();
    let intro = blocks.iter().find(|b| b.contains("<@U0ALL>")).unwrap();
    assert!(!intro.contains("U0CHAT"), "{intro}");
    let chat: Vec<&String> = blocks.iter().filter(|b| b.contains("<@U0CHAT>")).collect();
    assert_eq!(chat.len(), 1, "{blocks:?}");
    assert!(
        chat[0].contains("*chat-large — ") && chat[0].contains("· for <@U0CHAT>"),
        "at chat-large's section: {}",
        chat[0]
    );
    assert!(!blocks.concat().contains("U0SUM"), "{blocks:?}");
    assert!(!blocks.concat().contains("*summarizer"));

    // The executives' summary covers every model: summarizer's subscriber is named at its line.
    let before = messages.len();
    let event = serde_json::json!({"report": "daily", "audience": "executives"});
    reporter::handle(&reporter, event).await.unwrap();
    let summary: String = report_messages(&slack)
        .iter()
        .skip(before)
        .map(|m| m.blocks.to_string())
        .collect();
    let line = summary
        .split("\\n")
        .find(|l| l.contains("U0SUM"))
        .unwrap_or_else(|| panic!("U0SUM not mentioned: {summary}"));
    assert!(line.contains("*summarizer*"), "{line}");
}

#[tokio::test]
async fn an_audience_the_configuration_does_not_name_is_refused_and_nothing_is_posted() {
    let (reporter, slack, _datadog) = reporter("reporter-unknown-audience").await;
    let event = serde_json::json!({"report": "daily", "audience": "marketing"});
    let err = reporter::handle(&reporter, event).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("\"marketing\""), "{message}");
    assert!(message.contains("executives, ml-team"), "{message}");
    assert!(slack.received().is_empty());
}

#[tokio::test]
async fn a_channel_name_the_bot_cannot_list_fails_the_report_before_anything_is_posted() {
    let (mut reporter, slack, _datadog) = reporter("reporter-unknown-channel").await;
    reporter.channels = ReportChannels::single(ChannelId::new("#ml-reprots").unwrap());
    let err = reporter.run(&request(ReportKind::Daily)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("no Slack channel named #ml-reprots that the bot can list"),
        "{err}"
    );
    assert!(slack.files().is_empty());
    assert!(slack.messages().is_empty());
    let paths: Vec<String> = slack.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/conversations.list"]);
}

#[tokio::test]
async fn an_unknown_report_is_refused_and_nothing_is_posted() {
    let (reporter, slack, _datadog) = reporter("reporter-unknown").await;
    let err = reporter::handle(&reporter, serde_json::json!({"report": "monthly"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("\"monthly\""), "{err}");
    assert!(slack.received().is_empty());
}

#[test]
fn replies_to_one_channel_wait_a_second_each() {
    assert_eq!(reporter::pace(0), std::time::Duration::ZERO);
    assert_eq!(reporter::pace(3), std::time::Duration::from_secs(1));
}

/// Slack posted a part of the report, and its answer never came (the client timed out):
/// the retry looks for the part by its metadata (in the channel for the first message, in
/// its thread for a reply) and does not post it again. Each part once.
#[tokio::test]
async fn a_report_part_whose_answer_is_lost_is_posted_once() {
    // A first run shows which request posts each part.
    let (mut first, slack, datadog) = reporter("reporter-lost").await;
    with_many_models(&mut first, &datadog);
    let posted = first.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(posted.messages >= 2, "{posted:?}");
    let posts: Vec<u32> = (0..)
        .zip(slack.received())
        .filter(|(_, r)| r.path.ends_with("chat.postMessage"))
        .map(|(i, _)| i)
        .collect();
    for (part, before) in ["the first message", "the first reply"].iter().zip(&posts) {
        let (mut again, slack, datadog) = reporter(&format!("reporter-lost-{before}")).await;
        with_many_models(&mut again, &datadog);
        let timeouts = modelwatch_tests::quick_timeouts();
        again.slack = modelwatch::slack::SlackClient::new(
            BaseUrl::new(&slack.url()).unwrap(),
            Secret::new(TOKEN),
            timeouts,
        )
        .unwrap();
        if *before > 0 {
            slack.faults().push(Fault::Slow { delay_ms: 0 }, *before);
        }
        slack
            .faults()
            .push(Fault::HoldAnswer { delay_ms: 1_500 }, 1);
        let sent = again.run(&request(ReportKind::Daily)).await.unwrap();
        assert_eq!(sent.messages, posted.messages, "{part}: {sent:?}");
        let messages = report_messages(&slack);
        assert_eq!(
            messages.len() as u32,
            posted.messages,
            "{part}: posted twice"
        );
        let lookups = slack
            .received()
            .iter()
            .filter(|r| {
                r.path.contains("conversations.history") || r.path.contains("conversations.replies")
            })
            .count();
        assert_eq!(
            lookups, 2,
            "{part}: one look-up for an earlier attempt, one after the lost answer"
        );
    }
}

/// Runs `request` until the report's first message and one reply are in `slack`, then
/// stops it there, as Lambda's timeout stops a run: its claim is left to run out.
async fn stop_after_two_messages(reporter: &Reporter, request: &ReportRequest, slack: &SlackFake) {
    let posted_two = async {
        while report_messages(slack).len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        done = reporter.run(request) => panic!("the run was to be stopped, it finished: {done:?}"),
        () = posted_two => {}
    }
}

/// A retried run whose look-up for the earlier attempt's post fails for now (a 503) fails
/// again, and posts nothing: posting blind would show the report twice. The next retry
/// finds the report and goes on in its thread.
#[tokio::test]
async fn a_look_up_failing_for_now_fails_the_retry_instead_of_posting_the_report_again() {
    let (mut reporter, slack, datadog) = reporter("reporter-lookup-503").await;
    with_more_models(&mut reporter, &datadog, 60);
    let scheduled = ReportRequest {
        time: Some(at()),
        ..request(ReportKind::Daily)
    };
    stop_after_two_messages(&reporter, &scheduled, &slack).await;
    let messages = report_messages(&slack).len();

    // Retried once the stopped run's claim has run out.
    reporter.clock = Clock::manual(at().plus_secs(180));
    reporter.slack = reporter.slack.clone().with_retry_policy(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    // The retry's first request is its look-up (the channel's id is known by now).
    let sent = slack.received().len();
    slack.faults().fail_next(1, 503);
    let err = reporter.run(&scheduled).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    let retry = slack.received();
    assert!(
        retry[sent].path.contains("conversations.history") && retry[sent].status == 503,
        "{:?}",
        retry[sent]
    );
    assert_eq!(retry.len(), sent + 1, "nothing after the failed look-up");
    assert_eq!(report_messages(&slack).len(), messages, "posted again");

    // The failed retry gave its claim back: the next takes it at once.
    let again = reporter.run(&scheduled).await.unwrap();
    assert_eq!(again.found_posted as usize, messages, "{again:?}");
    let tops = report_messages(&slack)
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .count();
    assert_eq!(tops, 1, "posted again");
}

/// A reply Slack fails for now (a 503, this client trying once): the run posts the other
/// replies and then fails, so Lambda retries it; the retry posts the held section in the
/// same thread. Every section once, none lost.
#[tokio::test]
async fn a_reply_failing_for_now_fails_the_run_and_its_retry_posts_it() {
    // A first run shows which request posts the first reply, and what every section is.
    let (mut whole, slack, datadog) = reporter("reporter-reply-503").await;
    with_many_models(&mut whole, &datadog);
    whole.run(&request(ReportKind::Daily)).await.unwrap();
    let mut expected = ended_sections(&slack);
    expected.sort();
    let first_reply = (0..)
        .zip(slack.received())
        .filter(|(_, r)| r.path.ends_with("chat.postMessage"))
        .map(|(i, _)| i)
        .nth(1)
        .expect("a report of twenty models has replies");

    let (mut failing, slack, datadog) = reporter("reporter-reply-503-again").await;
    with_many_models(&mut failing, &datadog);
    failing.slack = failing.slack.clone().with_retry_policy(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    slack
        .faults()
        .push(Fault::Slow { delay_ms: 0 }, first_reply);
    slack.faults().fail_next(1, 503);
    let err = failing.run(&request(ReportKind::Daily)).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    let held = ended_sections(&slack);
    assert!(held.len() < expected.len(), "{held:?}");

    let retried = failing.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(retried.messages >= 1, "{retried:?}");
    let mut ended = ended_sections(&slack);
    ended.sort();
    assert_eq!(ended, expected, "each section once");
}

/// Slack processes an upload after `files.completeUploadExternal` answers and refuses a
/// message that shows the file sooner (`invalid_blocks`). The report waits and tries once
/// more with its charts; charts still not ready leave it to their alt text: the report is
/// posted either way.
#[tokio::test]
async fn charts_slack_has_not_processed_yet_do_not_keep_the_report_from_the_channel() {
    let shows_a_chart = |slack: &SlackFake| {
        report_messages(slack)
            .iter()
            .any(|m| m.blocks.to_string().contains("slack_file"))
    };
    // Processed within the wait: shown.
    let (soon, slack, _datadog) = reporter("reporter-charts-processing").await;
    slack.files_process_in(std::time::Duration::from_millis(500));
    let posted = soon.run(&request(ReportKind::Daily)).await.unwrap();
    assert!(
        posted.charts >= 1 && posted.charts_failed == 0,
        "{posted:?}"
    );
    assert!(shows_a_chart(&slack));

    // Not processed in time: the report with the charts' alt text.
    let (late, slack, _datadog) = reporter("reporter-charts-unprocessed").await;
    slack.files_process_in(std::time::Duration::from_secs(600));
    let posted = late.run(&request(ReportKind::Daily)).await.unwrap();
    assert_eq!(posted.charts, 0, "{posted:?}");
    assert!(posted.charts_failed >= 1, "{posted:?}");
    let messages = report_messages(&slack);
    assert_eq!(messages.len() as u32, posted.messages);
    assert!(!shows_a_chart(&slack));
    assert!(all_text(&messages).contains("Daily model health"));
}

/// The keys of the sections the report messages in `slack` end, one entry per ending (from
/// each part's metadata).
fn ended_sections(slack: &SlackFake) -> Vec<String> {
    report_messages(slack)
        .iter()
        .filter_map(|m| {
            m.metadata.as_ref()?["event_payload"]["sections"]
                .as_str()
                .map(str::to_owned)
        })
        .flat_map(|s| s.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Lambda stopped a run mid-report (its timeout) after the first message and one reply,
/// and retries it minutes later with the same event, which names the scheduled time. Five
/// models left meanwhile, so the report splits differently. The retry posts, in the same
/// thread, only the sections no part there ended, and uploads no chart again: every
/// section of the report is in the channel once. A third delivery leaves the finished
/// report; a run without `time` is a report of its own.
#[tokio::test]
async fn a_retried_run_posts_only_the_sections_the_stopped_run_did_not() {
    let (mut retrying, slack, datadog) = reporter("reporter-retried").await;
    // Enough models for a first message and at least three replies.
    with_more_models(&mut retrying, &datadog, 60);
    let scheduled = ReportRequest {
        time: Some(at()),
        ..request(ReportKind::Daily)
    };
    // The first run, stopped while it waits a second to post its second reply.
    stop_after_two_messages(&retrying, &scheduled, &slack).await;
    let files = slack.files().len();
    assert!(files > 0);
    let first = report_messages(&slack)[0].clone();
    assert_eq!(slack.thread(&first.ts).len(), 1);
    let before = ended_sections(&slack);
    assert!(!before.is_empty());

    // Retried three minutes on, with fewer models: another split of the same period.
    retrying.clock = Clock::manual(at().plus_secs(180));
    let mut config = (*retrying.config).clone();
    for i in 0..5 {
        config.models.remove(&format!("model-{i:02}"));
    }
    retrying.config = Arc::new(config);
    let retried = retrying.run(&scheduled).await.unwrap();
    assert_eq!(retried.found_posted, 2, "{retried:?}");
    assert!(retried.messages >= 1, "{retried:?}");
    assert_eq!(retried.charts, 0, "{retried:?}");
    assert_eq!(slack.files().len(), files, "charts uploaded again");
    let messages = report_messages(&slack);
    assert_eq!(messages.iter().filter(|m| m.thread_ts.is_none()).count(), 1);
    assert_eq!(slack.thread(&first.ts).len() as u32, 1 + retried.messages);
    // The rest goes on from the parts before it, without the title the first message gave.
    for reply in &slack.thread(&first.ts)[1..] {
        assert!(reply.text.contains("(continued, part "), "{}", reply.text);
        let blocks = reply.blocks.as_array().unwrap();
        assert!(blocks.iter().all(|b| b["type"] != "header"), "{blocks:?}");
    }

    // Every section of the retry's report, once: what a run of it alone posts.
    let (mut alone, fresh, fresh_datadog) = reporter("reporter-retried-alone").await;
    with_more_models(&mut alone, &fresh_datadog, 60);
    alone.config = retrying.config.clone();
    alone.run(&scheduled).await.unwrap();
    let mut expected = ended_sections(&fresh);
    let mut ended = ended_sections(&slack);
    // The models gone after the first run's parts were posted stay in those parts.
    ended.retain(|s| expected.contains(s));
    expected.sort();
    ended.sort();
    assert_eq!(ended, expected, "each section once");

    // The retry finished the report: a later delivery leaves it, without a look-up.
    let again = retrying.run(&scheduled).await.unwrap();
    assert!(again.left_to_another_delivery, "{again:?}");
    assert_eq!((again.messages, again.found_posted), (0, 0), "{again:?}");
    assert_eq!(report_messages(&slack).len(), messages.len());

    // A run that names no time reports the period ending now: a report of its own.
    let unscheduled = retrying.run(&request(ReportKind::Daily)).await.unwrap();
    assert_eq!(unscheduled.found_posted, 0, "{unscheduled:?}");
    let tops = report_messages(&slack)
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .count();
    assert_eq!(tops, 2);
}

/// Two deliveries of `request` at once: what the one that posted and the other came to.
async fn twice_at_once(reporter: &Reporter, request: &ReportRequest) -> (Posted, Posted) {
    let (one, two) = tokio::join!(reporter.run(request), reporter.run(request));
    let (one, two) = (one.unwrap(), two.unwrap());
    if one.messages > 0 {
        (one, two)
    } else {
        (two, one)
    }
}

/// Two deliveries of one schedule at once (EventBridge Scheduler and Lambda's event queue
/// deliver at least once): the second waits on the first's claim, sees it finished, and
/// leaves the report to it, without a look-up in the channel. It is in the channel once,
/// its charts uploaded once.
#[tokio::test]
async fn two_deliveries_of_one_schedule_at_once_post_the_report_once() {
    let (reporter, slack, _datadog) = reporter("reporter-twice-at-once").await;
    let scheduled = ReportRequest {
        time: Some(at()),
        ..request(ReportKind::Daily)
    };
    let (posted, waited) = twice_at_once(&reporter, &scheduled).await;
    assert!(posted.messages >= 1 && posted.charts >= 1, "{posted:?}");
    assert!(!posted.left_to_another_delivery);
    assert!(waited.left_to_another_delivery, "{waited:?}");
    assert_eq!(
        (waited.messages, waited.charts, waited.found_posted),
        (0, 0, 0)
    );
    let messages = report_messages(&slack);
    assert_eq!(messages.len() as u32, posted.messages, "posted twice");
    assert_eq!(messages.iter().filter(|m| m.thread_ts.is_none()).count(), 1);
    assert_eq!(slack.files().len() as u32, posted.charts);
}

/// A second delivery of a schedule that comes after the first posted the report (Lambda's
/// event queue delivers at least once), in a workspace whose bot may not read the
/// channel's history (the look-up for an earlier post is refused): the finished claim,
/// not the look-up, leaves the report to the first. It is in the channel once.
#[tokio::test]
async fn a_later_delivery_of_a_posted_report_posts_nothing_even_unable_to_look() {
    let no_history: Vec<&str> = MANIFEST_SCOPES
        .into_iter()
        .filter(|s| !s.ends_with(":history"))
        .collect();
    let (reporter, slack, _datadog) = reporter_in(
        "reporter-later-delivery",
        SlackFakeConfig::new(TOKEN).scopes(&no_history),
    )
    .await;
    let scheduled = ReportRequest {
        time: Some(at()),
        ..request(ReportKind::Daily)
    };
    let first = reporter.run(&scheduled).await.unwrap();
    assert!(
        first.messages >= 1 && !first.left_to_another_delivery,
        "{first:?}"
    );
    let later = reporter.run(&scheduled).await.unwrap();
    assert!(later.left_to_another_delivery, "{later:?}");
    assert_eq!((later.messages, later.charts), (0, 0), "{later:?}");
    assert_eq!(
        report_messages(&slack).len() as u32,
        first.messages,
        "posted twice"
    );

    // An operator's re-run (`"again": true`, as after deleting the report; here the
    // look-up cannot see it either) posts it, once even when delivered twice at once.
    let again = ReportRequest {
        again: true,
        ..scheduled
    };
    let (reposted, waited) = twice_at_once(&reporter, &again).await;
    assert_eq!(reposted.messages, first.messages, "{reposted:?}");
    assert!(waited.left_to_another_delivery, "{waited:?}");
    assert_eq!(
        report_messages(&slack).len() as u32,
        2 * first.messages,
        "the re-run posted twice"
    );
}

/// A morning report east of UTC is titled with its audience's date: Tokyo's 08:00 on 24
/// November is 23:00 UTC on the 23rd. Without a schedule, the title is UTC's date (at
/// 22:00 UTC: a report of its own, not the one just posted).
#[tokio::test]
async fn a_report_is_titled_with_the_date_in_its_schedules_time_zone() {
    let (reporter, slack, _datadog) = reporter("reporter-title-zone").await;
    let title = |before: usize| {
        let first = &report_messages(&slack)[before];
        first.blocks[0]["text"]["text"].as_str().unwrap().to_owned()
    };
    let event = serde_json::json!({
        "report": "daily", "audience": "ml-team", "time": "2026-11-23T23:00:00Z",
        "schedule": "cron(0 8 * * ? *)", "timezone": "Asia/Tokyo",
    });
    reporter::handle(&reporter, event).await.unwrap();
    assert_eq!(title(0), "Daily model health · 24 Nov 2026");

    let before = report_messages(&slack).len();
    let event = serde_json::json!({"report": "daily", "audience": "ml-team", "time": "2026-11-23T22:00:00Z"});
    reporter::handle(&reporter, event).await.unwrap();
    assert_eq!(title(before), "Daily model health · 23 Nov 2026");
}

/// A report's claim runs out when Lambda has stopped its holder: the reporter's Timeout in
/// the template.
#[test]
fn a_report_claim_lasts_as_long_as_the_reporter_may_run() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let reporter = &text[text
        .find("\n  ReporterFunction:")
        .expect("the reporter in the template")..];
    let timeout: u64 = reporter
        .lines()
        .find_map(|l| l.trim().strip_prefix("Timeout:"))
        .expect("the reporter's Timeout")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(reporter::CLAIM_SECS, timeout);
}
