//! The fault suite: ten incidents (`make soak`: more) through the whole stack on the emulator while PagerDuty
//! or Slack misbehave (5xx, 429 with Retry-After, answers slower than the client's
//! timeout), delivered by the stream and the escalation clock as Lambda would, then
//! recovered. Each case ends with an audit, by dedup key, of what was accepted against
//! what reached PagerDuty and Slack: nothing lost, nothing paged or posted twice, nothing
//! left open or owing. `docs/reliability.md` explains the guarantees this checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Notify;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use modelwatch::clock::Clock;
use modelwatch::domain::Timestamp;
use modelwatch::page::{ACTION_ACKNOWLEDGE, ACTION_SILENCE_1H};
use modelwatch_tests::emulator::Emulator;
use modelwatch_tests::fakes::{AlertStatus, Fault, SlackMessage};
use modelwatch_tests::pipeline::{Endpoints, Ports, Stack};
use modelwatch_tests::proxy::{Link, Proxy};
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "faults-test-token";
/// Incidents per case: 10 in `make test`, more in `make soak` (`MODELWATCH_FAULT_INCIDENTS`).
fn incidents() -> u32 {
    std::env::var("MODELWATCH_FAULT_INCIDENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
}
/// Batches the escalator takes at once (the template's `ParallelizationFactor`): a fault
/// that stops every delivery catches at most one step in flight a lane.
fn lanes() -> u32 {
    let batching = modelwatch::store::stream::batching().expect("the template's batching");
    u32::try_from(batching.parallelization).expect("at most 10")
}
/// `date` of the fixtures: the scenario's first minute.
const START: Timestamp = Timestamp::from_millis(1_795_730_400_000);

/// The recommended template's notification for incident `i` (its own version, so its own
/// alert), `transition` at `at`.
fn notification(i: u32, recovered: bool, at: Timestamp) -> Value {
    cycle_notification(i, 0, recovered, at)
}

/// Cycle `cycle` of incident `i`'s monitor.
fn cycle_notification(i: u32, cycle: u32, recovered: bool, at: Timestamp) -> Value {
    let mut n = modelwatch_tests::json_fixture(if recovered {
        "datadog/11_recommended_recovered.json"
    } else {
        "datadog/10_recommended_triggered.json"
    });
    let version = format!("v{}", 100 + i);
    let scope = format!("model:chat-large,model_version:{version},env:prod");
    let kind = if recovered { "r" } else { "t" };
    n["id"] = json!(format!("{kind}-{i}-{cycle}-{}", at.millis()));
    n["alert_cycle_key"] = json!(format!("cycle-{i}-{cycle}"));
    n["alert_scope"] = json!(scope);
    n["model_version"] = json!(version);
    n["tags"] = json!(format!("env:prod,model:chat-large,model_version:{version}"));
    n["alert_title"] = json!(format!(
        "[{}] [{} on {{{scope}}}] p95 generation latency above 2 s",
        "P2",
        if recovered { "Recovered" } else { "Triggered" }
    ));
    n["date"] = json!(at.millis().to_string());
    n["last_updated"] = n["date"].clone();
    n
}

async fn post(s: &Stack, body: &Value) -> u16 {
    post_to(&s.intake, body).await
}

async fn post_to(intake: &Router, body: &Value) -> u16 {
    let req = Request::post("/webhooks/datadog")
        .header("x-modelwatch-token", TOKEN)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    intake.clone().oneshot(req).await.unwrap().status().as_u16()
}

/// Delivers as Lambda and the clock would, a minute per round, until nothing is owed.
async fn settle(s: &mut Stack, now: &mut Timestamp) {
    for _ in 0..30 {
        *now = now.plus_secs(60);
        s.clock.set(*now);
        let _ = s.deliver().await;
        s.tick(*now).await.unwrap();
        let _ = s.deliver().await;
        let owing = s
            .store
            .all_alerts()
            .await
            .unwrap()
            .iter()
            .any(|a| !a.owed.is_empty());
        if !owing {
            return;
        }
    }
}

/// What reached the fakes against what was accepted.
#[derive(Debug, Default)]
struct Audit {
    accepted: u32,
    /// Triggers PagerDuty received again for an incident it already held (same dedup key:
    /// an update, not a second incident).
    repeated_triggers: u32,
    problems: Vec<String>,
}

async fn run(case: &str, inject: impl Fn(&Stack)) -> Audit {
    let table = modelwatch_tests::unique_table_name(case);
    let mut s = Stack::start(
        &table,
        modelwatch_tests::example_config(),
        Clock::manual(START),
        TOKEN,
        Ports::default(),
    )
    .await
    .unwrap();
    let mut audit = Audit::default();
    let mut now = START;

    inject(&s);
    for i in 0..incidents() {
        if post(&s, &notification(i, false, now)).await == 202 {
            audit.accepted += 1;
        }
    }
    settle(&mut s, &mut now).await;
    inject(&s);
    for i in 0..incidents() {
        post(&s, &notification(i, true, now)).await;
    }
    settle(&mut s, &mut now).await;

    audit_into(&s, &mut audit).await;
    audit
}

/// The audit by dedup key, after the recoveries: every incident paged once (one PagerDuty
/// incident per dedup key, however many times its trigger was sent) and resolved, one Slack
/// first message per alert, cycle and channel, nothing open or owing.
async fn audit_into(s: &Stack, audit: &mut Audit) {
    let pages = s.pagerduty.alerts();
    for i in 0..incidents() {
        let key = format!(
            "modelwatch:datadog:monitor:98765432|env:prod,model:chat-large,model_version:v{}#",
            100 + i
        );
        let found: Vec<_> = pages
            .iter()
            .filter(|p| p.dedup_key.starts_with(&key))
            .collect();
        match found[..] {
            [] => audit
                .problems
                .push(format!("LOST: incident {i} never paged")),
            [p] if p.status != AlertStatus::Resolved => {
                audit.problems.push(format!("LEFT OPEN: {}", p.dedup_key));
            }
            [p] => audit.repeated_triggers += p.triggers.saturating_sub(1),
            _ => audit
                .problems
                .push(format!("DOUBLED: {} pages for incident {i}", found.len())),
        }
    }
    // Per incident and channel, one first message (its text names the model version), and
    // none still offering an open alert's buttons once the incident is resolved.
    let firsts: Vec<_> = s
        .slack
        .messages()
        .into_iter()
        .filter(|m| m.thread_ts.is_none())
        .collect();
    for i in 0..incidents() {
        let version = format!("@v{} (", 100 + i);
        let mut per_channel: BTreeMap<&str, u32> = BTreeMap::new();
        for m in firsts.iter().filter(|m| m.text.contains(&version)) {
            *per_channel.entry(&m.channel).or_default() += 1;
            if offers_open_alerts_buttons(m) {
                audit.problems.push(format!(
                    "STALE: incident {i}'s message {} in {} still offers Acknowledge or Silence after the recovery",
                    m.ts, m.channel
                ));
            }
        }
        for (channel, n) in per_channel {
            if n > 1 {
                audit.problems.push(format!(
                    "DOUBLED: {n} Slack messages for incident {i} in {channel}"
                ));
            }
        }
    }
    // Per thread, each reply once: a follow-up goes once to each thread it is owed to.
    let mut replies: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for m in s.slack.messages() {
        let Some(thread) = m.thread_ts else { continue };
        let said = m.metadata.map_or(m.text, |data| data.to_string());
        *replies.entry((m.channel, thread, said)).or_default() += 1;
    }
    for ((channel, thread, said), n) in replies {
        if n > 1 {
            audit.problems.push(format!(
                "DOUBLED: {n} replies in the thread {thread} in {channel}: {said}"
            ));
        }
    }
    for a in s.store.all_alerts().await.unwrap() {
        if !a.owed.is_empty() || a.status.is_open() {
            audit.problems.push(format!(
                "NOT FINISHED: {} is {:?} and owes {}",
                a.key,
                a.status,
                a.owed.len()
            ));
        }
    }
}

/// Whether `m` still offers what only an open alert's message does (Acknowledge, Silence):
/// its recovery's update never reached it. Mark false positive stays on a recovered one.
fn offers_open_alerts_buttons(m: &SlackMessage) -> bool {
    m.blocks.as_array().into_iter().flatten().any(|b| {
        b["elements"].as_array().is_some_and(|elements| {
            elements.iter().any(|e| {
                [ACTION_ACKNOWLEDGE, ACTION_SILENCE_1H]
                    .contains(&e["action_id"].as_str().unwrap_or(""))
            })
        })
    })
}

fn check(case: &str, audit: &Audit) {
    assert_eq!(
        audit.accepted,
        incidents(),
        "{case}: every trigger was accepted"
    );
    assert!(audit.problems.is_empty(), "{case}: {:#?}", audit.problems);
}

#[tokio::test]
async fn pagerduty_5xx() {
    let a = run("faults-pd-5xx", |s| s.pagerduty.faults().fail_next(7, 500)).await;
    check("PagerDuty 500 × 7", &a);
}

#[tokio::test]
async fn pagerduty_429_with_retry_after() {
    let a = run("faults-pd-429", |s| {
        s.pagerduty.faults().push(
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            4,
        )
    })
    .await;
    check("PagerDuty 429 × 4", &a);
}

#[tokio::test]
async fn pagerduty_slower_than_the_client_timeout() {
    let a = run("faults-pd-slow", |s| {
        s.pagerduty
            .faults()
            .push(Fault::Slow { delay_ms: 10_500 }, 1)
    })
    .await;
    check("PagerDuty hangs past 10 s once", &a);
}

#[tokio::test]
async fn slack_429_and_5xx() {
    let a = run("faults-slack", |s| {
        s.slack.faults().push(
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            3,
        );
        s.slack.faults().fail_next(6, 503);
    })
    .await;
    check("Slack 429 × 3 then 503 × 6", &a);
}

/// A stack on `endpoints` (a proxy in front of the emulator, or a test's own emulator).
async fn start_at(case: &str, endpoints: &Endpoints) -> Stack {
    Stack::start_at(
        endpoints,
        &modelwatch_tests::unique_table_name(case),
        modelwatch_tests::example_config(),
        Clock::manual(START),
        TOKEN,
        Ports::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("{case}: starting the stack: {e}"))
}

/// Posts `body` as Datadog does, again while it gets 5xx: the final status.
async fn post_until_taken(intake: &Router, body: &Value) -> u16 {
    let mut status = post_to(intake, body).await;
    for _ in 0..10 {
        if status < 500 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        status = post_to(intake, body).await;
    }
    status
}

/// A DynamoDB outage mid-run. Half the triggers are accepted; the escalator delivers them,
/// and the table goes `down` while PagerDuty holds its answer to the first page (so that
/// page is sent and its recording fails, and the batch fails); the other half arrive during
/// the outage and must be refused with 503. Once `up`, Datadog retries them, the stream
/// hands the failed batch over again, the clock retries, the recoveries follow, and the
/// audit covers every incident.
async fn outage(case: &str, endpoints: &Endpoints, down: impl Fn(), up: impl Fn()) -> Audit {
    let mut s = start_at(case, endpoints).await;
    let mut audit = Audit::default();
    let mut now = START;
    let (before, during): (Vec<u32>, Vec<u32>) = (0..incidents()).partition(|i| i % 2 == 0);
    for &i in &before {
        assert_eq!(post(&s, &notification(i, false, now)).await, 202, "{case}");
        audit.accepted += 1;
    }
    let held = s.pagerduty.faults().answer_held();
    s.pagerduty
        .faults()
        .push(Fault::HoldAnswer { delay_ms: 300 }, 1);
    let intake = s.intake.clone();
    let bodies: Vec<Value> = during
        .iter()
        .map(|&i| notification(i, false, now))
        .collect();
    let (round, refused) = tokio::join!(s.deliver(), async {
        held.notified().await;
        down();
        post_all(&intake, &bodies).await
    });
    let round = round.unwrap_or_else(|e| panic!("{case}: delivering: {e}"));
    assert!(
        round.failed >= 1,
        "{case}: the escalator's batch fails while the table is down: {round:?}"
    );
    assert!(
        refused.iter().all(|&status| status == 503),
        "{case}: webhooks during the outage are refused with 503: {refused:?}"
    );
    up();
    for body in &bodies {
        let status = post_until_taken(&intake, body).await;
        assert!(
            status == 202 || status == 200,
            "{case}: a refused webhook retried after the outage is taken: {status}"
        );
        audit.accepted += 1;
    }
    settle(&mut s, &mut now).await;
    for i in 0..incidents() {
        post(&s, &notification(i, true, now)).await;
    }
    settle(&mut s, &mut now).await;
    audit_into(&s, &mut audit).await;
    audit
}

#[tokio::test]
async fn dynamodb_unreachable_mid_run() {
    let proxy = Proxy::start(&modelwatch_tests::emulator_endpoint())
        .await
        .unwrap();
    let endpoints = Endpoints {
        emulator: None,
        functions: Some(proxy.endpoint()),
    };
    let a = outage(
        "faults-dynamodb-cut",
        &endpoints,
        || proxy.set(Link::Cut),
        || proxy.set(Link::Up),
    )
    .await;
    check("DynamoDB unreachable (every connection cut)", &a);
    assert!(
        (1..=lanes()).contains(&a.repeated_triggers),
        "the pages sent before the cut (one a lane at most) are sent again under their dedup keys: {}",
        a.repeated_triggers
    );
}

/// The emulator process itself paused (SIGSTOP) and resumed (SIGCONT): calls wait out the
/// functions' deadlines (3 s an attempt, 8 s a call), and what queued in the paused process
/// is served after the resume — so a webhook refused with 503 may have been stored after
/// all, and its retry finds its receipt.
#[tokio::test]
async fn dynamodb_paused_mid_run() {
    let emulator = Emulator::start().await.unwrap();
    let endpoints = Endpoints {
        emulator: Some(emulator.endpoint().to_owned()),
        functions: Some(emulator.endpoint().to_owned()),
    };
    let a = outage(
        "faults-dynamodb-paused",
        &endpoints,
        || emulator.pause(),
        || emulator.resume(),
    )
    .await;
    check("DynamoDB paused (SIGSTOP, SIGCONT)", &a);
}

/// When the escalator is killed: delivering the pages, or the resolves after the recoveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Killed {
    Paging,
    Resolving,
}

/// The escalator killed between sending and recording: every trigger accepted (and, when
/// `Resolving`, paged and then recovered), then the escalator's invocation is dropped as
/// soon as the fake has handled the request `hold` picks (its answer held back), before the
/// step could be recorded; `held` then looks at the stack. Lambda hands the batch over
/// again; the dead delivery's claim holds that alert back until it expires, then the clock
/// delivers it again from the unrecorded step.
async fn killed_after_sending(
    case: &str,
    killed: Killed,
    hold: impl Fn(&Stack) -> Arc<Notify>,
    held: impl Fn(&Stack),
) -> Audit {
    let mut s = start_at(case, &Endpoints::default()).await;
    let mut audit = Audit::default();
    let mut now = START;
    for i in 0..incidents() {
        assert_eq!(post(&s, &notification(i, false, now)).await, 202, "{case}");
        audit.accepted += 1;
    }
    let recoveries = async |s: &Stack, now: Timestamp| {
        for i in 0..incidents() {
            post(s, &notification(i, true, now)).await;
        }
    };
    if killed == Killed::Resolving {
        settle(&mut s, &mut now).await;
        recoveries(&s, now).await;
    }
    let notice = hold(&s);
    tokio::select! {
        round = s.deliver() => panic!("{case}: delivered without the held answer: {round:?}"),
        () = notice.notified() => {}
    }
    held(&s);
    settle(&mut s, &mut now).await;
    if killed == Killed::Paging {
        recoveries(&s, now).await;
        settle(&mut s, &mut now).await;
    }
    audit_into(&s, &mut audit).await;
    audit
}

/// The Slack fake holds the answer to the next request.
fn hold_slack(s: &Stack) -> Arc<Notify> {
    s.slack
        .faults()
        .push(Fault::HoldAnswer { delay_ms: 5_000 }, 1);
    s.slack.faults().answer_held()
}

#[tokio::test]
async fn escalator_killed_after_paging_before_recording() {
    let hold = |s: &Stack| {
        s.pagerduty
            .faults()
            .push(Fault::HoldAnswer { delay_ms: 5_000 }, 1);
        s.pagerduty.faults().answer_held()
    };
    let a = killed_after_sending("faults-killed-pd", Killed::Paging, hold, |_| {}).await;
    check("escalator killed after a PagerDuty trigger", &a);
    assert!(
        (1..=lanes()).contains(&a.repeated_triggers),
        "the unrecorded triggers (the held one, and at most one a lane beside it) are sent again under the same dedup keys: {}",
        a.repeated_triggers
    );
}

/// Slack has no idempotency key: the retry finds the message whose post was in flight by
/// the metadata it was posted with, records it, and posts nothing again
/// (docs/reliability.md).
#[tokio::test]
async fn escalator_killed_after_posting_to_slack_before_recording() {
    let a = killed_after_sending("faults-killed-slack", Killed::Paging, hold_slack, |_| {}).await;
    check("escalator killed after a Slack post", &a);
    // A page's trigger goes before its posts: the held lane's was recorded, and a lane
    // beside it may be stopped with its trigger sent and not yet recorded, which goes again
    // under the same dedup key (an update, as when PagerDuty's answer is the one held).
    assert!(
        a.repeated_triggers < lanes(),
        "at most one trigger again per other lane: {} ({:#?})",
        a.repeated_triggers,
        a.problems
    );
}

/// The same for a thread reply: the escalator is stopped while Slack holds the answer to
/// the first thread reply of the recoveries (the test checks it is a reply). The retry looks
/// for it in the thread by its metadata, and does not post it again.
#[tokio::test]
async fn escalator_killed_after_replying_in_a_thread_before_recording() {
    // Which request was held, not how many replies Slack has by then: a lane beside the
    // held one may post its own reply meanwhile.
    let held = |s: &Stack| {
        let held = s.slack.faults().held_requests();
        let body = &held.last().expect("a request was held").body;
        assert!(
            body.get("thread_ts").is_some_and(|ts| !ts.is_null()),
            "the held request is a thread reply: {body}"
        );
    };
    let a = killed_after_sending("faults-killed-reply", Killed::Resolving, hold_slack, held).await;
    check("escalator killed after a thread reply", &a);
}

/// The load run (`make soak`): twenty webhooks per alert — ten cycles each two hours apart
/// (trigger, recovery ten minutes later) — with 5 % sent twice and 5 % swapped with their
/// neighbour, from 50 senders at once, 503s retried as Datadog retries. Datadog notifies
/// one monitor group in order, so one alert's webhooks go through one sender (in the
/// shuffled order); different alerts race. Then the stream is drained and audited against
/// an oracle that replays each alert's webhooks in the order sent: every cycle it opens
/// paged exactly once and resolved, no other page, nothing open or owing.
/// `MODELWATCH_LOAD_ALERTS` alerts (default 500: 10,000 webhooks and the duplicates).
#[tokio::test]
#[ignore = "the load run: make soak"]
async fn load_webhooks_across_many_alerts() {
    let alerts: u32 = std::env::var("MODELWATCH_LOAD_ALERTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    const CYCLES: u32 = 10;
    const SENDERS: u32 = 50;
    let mut s = Stack::for_test("faults-load", TOKEN).await;
    let first = Timestamp::now().minus_secs(u64::from(CYCLES) * 7200);
    let mut bodies = Vec::new();
    for cycle in 0..CYCLES {
        for i in 0..alerts {
            let opened = first.plus_secs(u64::from(cycle) * 7200 + u64::from(i));
            bodies.push(LoadWebhook::new(i, cycle, false, opened));
            bodies.push(LoadWebhook::new(i, cycle, true, opened.plus_secs(600)));
        }
    }
    let mut rng = fastrand::Rng::with_seed(7);
    let mut sent: Vec<LoadWebhook> = Vec::with_capacity(bodies.len() * 11 / 10);
    let mut swapped = 0;
    let mut duplicated = 0;
    for b in bodies {
        let twice = rng.f64() < 0.05;
        sent.push(b.clone());
        if twice {
            sent.push(b);
            duplicated += 1;
        }
        if rng.f64() < 0.05 && sent.len() >= 2 {
            let n = sent.len();
            sent.swap(n - 1, n - 2);
            swapped += 1;
        }
    }
    let expected = expected_pages(&sent);

    let started = std::time::Instant::now();
    let sent = Arc::new(sent);
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let sent = sent.clone();
        let intake = s.intake.clone();
        senders.spawn(async move {
            let (mut accepted, mut retried) = (0u32, 0u32);
            for w in sent.iter().filter(|w| w.alert % SENDERS == sender) {
                loop {
                    match post_to(&intake, &w.body).await {
                        503 => retried += 1,
                        status => {
                            assert!(status == 202 || status == 200, "{status}");
                            accepted += u32::from(status == 202);
                            break;
                        }
                    }
                }
            }
            (accepted, retried)
        });
    }
    let (mut accepted, mut retried) = (0u32, 0u32);
    while let Some(done) = senders.join_next().await {
        let (a, r) = done.unwrap();
        accepted += a;
        retried += r;
    }
    let took = started.elapsed();
    eprintln!(
        "load: {} webhooks for {alerts} alerts ({duplicated} sent twice, {swapped} swapped) in \
         {took:.1?} ({:.0}/s), {accepted} accepted with 202, {retried} 503s retried",
        sent.len(),
        sent.len() as f64 / took.as_secs_f64()
    );
    for _ in 0..10_000 {
        if s.deliver().await.map(|r| r.batches == 0).unwrap_or(false) {
            break;
        }
    }
    eprintln!(
        "load: delivered {:.1?} after the first webhook; emulator peak RSS {}",
        started.elapsed(),
        emulator_peak_rss()
    );

    let mut paged: BTreeMap<u32, Vec<modelwatch_tests::fakes::HeldAlert>> = BTreeMap::new();
    for page in s.pagerduty.alerts() {
        let version = page
            .custom_details
            .as_ref()
            .and_then(|d| d["model_version"].as_str());
        let alert = version
            .and_then(|v| v.strip_prefix('v'))
            .and_then(|n| n.parse::<u32>().ok())
            .map(|n| n - 100)
            .unwrap_or_else(|| panic!("a page for no alert of the run: {}", page.dedup_key));
        paged.entry(alert).or_default().push(page);
    }
    let mut problems = Vec::new();
    for alert in 0..alerts {
        let pages = paged.remove(&alert).unwrap_or_default();
        let want = expected.get(&alert).copied().unwrap_or(0);
        if pages.len() as u32 != want {
            problems.push(format!(
                "alert {alert}: {} pages, the oracle says {want}",
                pages.len()
            ));
        }
        for p in pages {
            if p.triggers != 1 || p.status != AlertStatus::Resolved {
                problems.push(format!(
                    "{}: {} triggers, {:?}",
                    p.dedup_key, p.triggers, p.status
                ));
            }
        }
    }
    let owing: Vec<_> = s
        .store
        .all_alerts()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| !a.owed.is_empty() || a.status.is_open())
        .map(|a| format!("{} unfinished", a.key))
        .collect();
    problems.extend(owing);
    let want: u32 = expected.values().sum();
    eprintln!(
        "load: {} cycles, {want} opened in the order sent (the rest lost to a swap of their \
         own trigger and recovery), {} problems",
        alerts * CYCLES,
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{:#?}",
        &problems[..problems.len().min(10)]
    );
}

/// One webhook of the load run.
#[derive(Clone)]
struct LoadWebhook {
    alert: u32,
    recovered: bool,
    /// Its `date` and `id`: the order the lifecycle keeps.
    mark: (i64, String),
    body: Value,
}

impl LoadWebhook {
    fn new(alert: u32, cycle: u32, recovered: bool, at: Timestamp) -> Self {
        let body = cycle_notification(alert, cycle, recovered, at);
        let mark = (at.millis(), body["id"].as_str().unwrap().to_owned());
        Self {
            alert,
            recovered,
            mark,
            body,
        }
    }
}

/// The oracle: how many cycles each alert opens when its webhooks arrive in `sent`'s order.
/// A webhook not newer than the newest one applied is a duplicate or stale; a newer trigger
/// opens a cycle unless one is open; a newer recovery closes it.
fn expected_pages(sent: &[LoadWebhook]) -> BTreeMap<u32, u32> {
    let mut newest: BTreeMap<u32, (i64, String)> = BTreeMap::new();
    let mut open: BTreeMap<u32, bool> = BTreeMap::new();
    let mut opened: BTreeMap<u32, u32> = BTreeMap::new();
    for w in sent {
        if newest.get(&w.alert).is_some_and(|m| w.mark <= *m) {
            continue;
        }
        newest.insert(w.alert, w.mark.clone());
        let is_open = open.entry(w.alert).or_default();
        if w.recovered {
            *is_open = false;
        } else if !*is_open {
            *is_open = true;
            *opened.entry(w.alert).or_default() += 1;
        }
    }
    opened
}

/// The emulator's peak resident memory (`VmHWM`), from `MODELWATCH_EMULATOR_PID`, which
/// `with-dynamodb` sets.
fn emulator_peak_rss() -> String {
    std::env::var("MODELWATCH_EMULATOR_PID")
        .ok()
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Posts `bodies` concurrently; their statuses in order.
async fn post_all(intake: &Router, bodies: &[Value]) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for (i, body) in bodies.iter().enumerate() {
        let intake = intake.clone();
        let body = body.to_string();
        set.spawn(async move {
            let req = Request::post("/webhooks/datadog")
                .header("x-modelwatch-token", TOKEN)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            (i, intake.oneshot(req).await.unwrap().status().as_u16())
        });
    }
    let mut out = vec![0; bodies.len()];
    while let Some(done) = set.join_next().await {
        let (i, status) = done.unwrap();
        out[i] = status;
    }
    out
}
