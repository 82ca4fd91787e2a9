//! Mutation fuzzing of everything that reads request input, seeded with real payloads:
//! Datadog webhooks (JSON and form), PagerDuty webhooks, Slack commands, interactions and
//! signatures, deployments, silences, timestamps, and the configuration parser. Each
//! input is a seed mutated (bytes flipped, inserted, cut, repeated; values swapped for
//! extremes); every parser must return (an answer or an error), never panic, and finish
//! quickly. cargo-fuzz needs a nightly compiler this project does not use, so this is a
//! seeded generator under `cargo test`: a few thousand inputs per target in `make test`,
//! `MODELWATCH_FUZZ_SECS` seconds per target in `make fuzz`. One test per target, so any
//! one can be run on its own (`cargo test ... fuzz::slack_commands`) and several at once.
//! The seconds are the target's own CPU time (its test thread's), so "an hour of fuzzing"
//! means the same whether the target had a core to itself or shared one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use modelwatch::domain::Timestamp;
use modelwatch::secret::Secret;

const NOW: Timestamp = Timestamp::from_millis(1_795_730_430_000);
/// The slowest any one input may take: a hang or a quadratic blow-up, not a speed claim
/// (a linear parser takes microseconds; a debug build on a loaded CI machine, far more).
const SLOWEST: Duration = Duration::from_secs(5);

/// Values that break naive code: extremes, odd encodings, huge and nested text.
fn extremes() -> Vec<String> {
    vec![
        "-9223372036854775808".into(),
        "9223372036854775807".into(),
        "18446744073709551616".into(),
        "1e999".into(),
        "-0".into(),
        "NaN".into(),
        "\"\"".into(),
        "null".into(),
        "\"$ALERT_CYCLE_KEY\"".into(),
        "\"\\u0000\\ud800\"".into(),
        format!("\"{}\"", "a,".repeat(20_000)),
        format!("\"{}\"", "é".repeat(5_000)),
        "[".repeat(200) + &"]".repeat(200),
        "{\"a\":".repeat(100) + "1" + &"}".repeat(100),
        "\"javascript:alert(1)\"".into(),
        "\"<!channel>|x>\"".into(),
        "\"../../etc/passwd\"".into(),
    ]
}

/// One mutation of `seed`.
fn mutate(seed: &[u8], rng: &mut fastrand::Rng, extremes: &[String]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..rng.usize(1..4) {
        let len = out.len().max(1);
        match rng.u8(0..7) {
            0 if !out.is_empty() => {
                let i = rng.usize(..out.len());
                out[i] ^= 1 << rng.u8(0..8);
            }
            1 => {
                let i = rng.usize(..=out.len());
                let bytes: Vec<u8> = (0..rng.usize(1..16)).map(|_| rng.u8(..)).collect();
                out.splice(i..i, bytes);
            }
            2 if !out.is_empty() => {
                let a = rng.usize(..out.len());
                let b = (a + rng.usize(1..64)).min(out.len());
                out.drain(a..b);
            }
            3 if !out.is_empty() => {
                let a = rng.usize(..out.len());
                let b = (a + rng.usize(1..256)).min(out.len());
                let chunk = out[a..b].to_vec();
                for _ in 0..rng.usize(1..50) {
                    out.splice(b..b, chunk.iter().copied());
                }
            }
            // Swap a JSON value (after a colon) for an extreme one.
            4 | 5 => {
                let colons: Vec<usize> = out
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b':')
                    .map(|(i, _)| i)
                    .collect();
                if let Some(&at) = colons.get(rng.usize(..colons.len().max(1))) {
                    let end = out[at + 1..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'}'))
                        .map_or(out.len(), |p| at + 1 + p);
                    let value = extremes[rng.usize(..extremes.len())].as_bytes().to_vec();
                    out.splice(at + 1..end, value);
                }
            }
            _ => out.truncate(rng.usize(..len)),
        }
    }
    out
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// How many inputs, or how much CPU time, per target.
fn budget() -> (usize, Duration) {
    match std::env::var("MODELWATCH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        Some(secs) => (usize::MAX, Duration::from_secs(secs)),
        None => (3_000, Duration::from_secs(600)),
    }
}

/// Runs `target` on mutations of `seeds`; a panic or a slow input fails with the input.
fn fuzz(name: &str, seeds: &[Vec<u8>], target: impl Fn(&[u8])) {
    let extremes = extremes();
    let (count, time) = budget();
    let seed = std::env::var("MODELWATCH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d77_6675_7a7a);
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let mut spent = thread_cpu_time();
    let mut reported = Instant::now();
    let mut runs = 0;
    while runs < count && spent < time {
        let base = &seeds[rng.usize(..seeds.len())];
        let input = if runs < seeds.len() {
            seeds[runs].clone()
        } else {
            mutate(base, &mut rng, &extremes)
        };
        let began = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = began.elapsed();
        let shown = String::from_utf8_lossy(&input[..input.len().min(2_000)]).into_owned();
        assert!(
            outcome.is_ok(),
            "{name}: panicked on input #{runs}: {shown}"
        );
        assert!(took < SLOWEST, "{name}: {took:?} on input #{runs}: {shown}");
        runs += 1;
        // Reading the thread's clock is a system call: every few hundred inputs is enough.
        if runs % 256 == 0 {
            spent = thread_cpu_time();
            if reported.elapsed() >= PROGRESS_EVERY {
                eprintln!("fuzz {name}: {runs} inputs, {spent:?} of CPU so far");
                reported = Instant::now();
            }
        }
    }
    eprintln!(
        "fuzz {name}: {runs} inputs in {:?} of CPU ({:?} of wall time), no panic",
        thread_cpu_time(),
        started.elapsed()
    );
}

/// How often a long run says how far it has come, so a run cut short still has figures.
const PROGRESS_EVERY: Duration = Duration::from_secs(600);

/// The CPU time the calling thread has used: one test, one target, one thread.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant Linux and
    // macOS both define. It cannot fail for the calling thread's own clock.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(failed, 0, "the thread's CPU clock is unreadable");
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

/// Real Datadog webhook bodies: the default template and the recommended one.
fn datadog_seeds() -> Vec<Vec<u8>> {
    [
        "datadog/01_default_template_test_notification.json",
        "datadog/05_query_alert_with_transition_priority.json",
        "datadog/10_recommended_triggered.json",
        "datadog/11_recommended_recovered.json",
        "datadog/12_default_template_recovered_on_group.json",
        "datadog/13_handwritten_spellings.json",
    ]
    .iter()
    .map(|p| fixture(p))
    .collect()
}

/// A body of monitor links without an end (about 200 KB, under the intake's 256 KB): each
/// link's end was looked for to the end of the body, once per link, quadratic in the
/// body's size (minutes). Too large to mutate thousands of times: read once, as JSON and
/// as a form.
#[test]
fn endless_monitor_links_are_read_at_once() {
    let config = modelwatch_tests_free_config();
    let body = "/monitors/1".repeat(18_000);
    let json = serde_json::to_vec(&serde_json::json!({
        "alert_transition": "Triggered", "aggreg_key": "x", "body": body,
    }))
    .unwrap_or_default();
    let form = serde_urlencoded::to_string([
        ("alert_transition", "Triggered"),
        ("aggreg_key", "x"),
        ("body", body.as_str()),
    ])
    .expect("string pairs always form-encode")
    .into_bytes();
    use modelwatch::datadog::webhook::{Notification, Rejection};
    type Parse = fn(&[u8]) -> Result<Notification, Rejection>;
    let reads: [(&[u8], Parse); 2] = [
        (&json, modelwatch::datadog::webhook::parse_json),
        (&form, modelwatch::datadog::webhook::parse_form),
    ];
    for (input, parse) in reads {
        let began = Instant::now();
        let n = parse(input).expect("a webhook");
        let _ =
            modelwatch::signals::datadog::from_webhook(&config, Default::default(), &n, input, NOW);
        let took = began.elapsed();
        assert!(took < SLOWEST, "{took:?}");
    }
}

#[test]
fn datadog_json_webhooks() {
    let config = modelwatch_tests_free_config();
    fuzz("datadog webhook (JSON)", &datadog_seeds(), |input| {
        if let Ok(n) = modelwatch::datadog::webhook::parse_json(input) {
            let _ = modelwatch::signals::datadog::from_webhook(
                &config,
                Default::default(),
                &n,
                input,
                NOW,
            );
        }
    });
}

#[test]
fn datadog_form_webhooks() {
    let config = modelwatch_tests_free_config();
    // The same bodies as form fields, the way a webhook sent as a form arrives.
    let forms: Vec<Vec<u8>> = datadog_seeds()
        .iter()
        .filter_map(|s| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(s).ok()
        })
        .map(|m| {
            let pairs: Vec<(String, String)> = m
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect();
            serde_urlencoded::to_string(pairs)
                .expect("string pairs always form-encode")
                .into_bytes()
        })
        .collect();
    fuzz("datadog webhook (form)", &forms, |input| {
        if let Ok(n) = modelwatch::datadog::webhook::parse_form(input) {
            let _ = modelwatch::signals::datadog::from_webhook(
                &config,
                Default::default(),
                &n,
                input,
                NOW,
            );
        }
    });
}

/// The example configuration, read the way the functions read theirs.
fn modelwatch_tests_free_config() -> modelwatch::config::Config {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../infra/modelwatch.example.yaml"
    );
    modelwatch::config::Config::load(path)
        .unwrap_or_else(|e| panic!("the example configuration must be valid: {e}"))
}

#[test]
fn pagerduty_webhooks() {
    let seeds = vec![fixture("pagerduty/incident_acknowledged.json")];
    fuzz("pagerduty webhook", &seeds, |input| {
        if let Ok(event) = crate::pagerduty::parse(input) {
            let _ = crate::pagerduty::hashed_digest(&event);
            let _ = crate::pagerduty::decide(&event, None);
        }
    });
}

#[test]
fn slack_commands() {
    let commands: Vec<Vec<u8>> = [
        "subscribe daily chat-large",
        "unsubscribe weekly",
        "list",
        "status chat-large",
        "silence model=chat-large env=prod 2h from 2026-12-03T01:00:00Z -- v8 rollout",
        "silence chat-large chat-latency 30m",
        "unsilence sil-1796000000000-3f2a",
    ]
    .iter()
    .map(|c| c.as_bytes().to_vec())
    .collect();
    fuzz("slack command text", &commands, |input| {
        let _ = crate::slack::parse_command(&text(input));
    });
}

#[test]
fn slack_interactions() {
    let payload = serde_json::json!({
        "type": "block_actions",
        "user": {"id": "U0DANA", "username": "dana"},
        "actions": [{"action_id": "modelwatch_silence_1h",
                     "value": "{\"key\":\"datadog:cycle:74\",\"cycle\":2}",
                     "action_ts": "1795730420.123456"}]
    })
    .to_string()
    .into_bytes();
    fuzz("slack interaction", &[payload], |input| {
        let _ = crate::slack::interaction_signals(&text(input), NOW);
    });
}

#[test]
fn slack_signatures() {
    let secret = Secret::new("8f742231b10e8888abcd99yyyzzz85a5");
    let seeds = vec![
        b"1795730420|v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503".to_vec(),
    ];
    fuzz("slack signature headers", &seeds, |input| {
        let t = text(input);
        let (stamp, sig) = t.split_once('|').unwrap_or((t.as_str(), ""));
        let mut headers = HeaderMap::new();
        if let (Ok(s), Ok(g)) = (HeaderValue::from_str(stamp), HeaderValue::from_str(sig)) {
            headers.insert(crate::slack::TIMESTAMP_HEADER, s);
            headers.insert(crate::slack::SIGNATURE_HEADER, g);
        }
        let _ = crate::slack::verify(Some(&secret), &headers, b"body", NOW);
    });
}

#[test]
fn deployments() {
    let deployment = br#"{"model": "chat-large", "version": "v8", "environment": "prod",
        "time": "2026-11-26T20:00:00Z", "link": "https://ci.example.com/builds/2", "description": "x"}"#;
    fuzz("deployment", &[deployment.to_vec()], |input| {
        let _ = crate::deployments::parse(input, NOW);
    });
}

#[test]
fn silences() {
    let silence = br#"{"matchers": {"model": "chat-large", "env": "prod"}, "duration": "2h",
        "starts_at": "2026-12-03T01:00:00Z", "created_by": "ci", "comment": "v8"}"#;
    fuzz("silence", &[silence.to_vec()], |input| {
        if let Ok((request, by)) = crate::silences::parse(input) {
            let _ = request.into_silence(&by, NOW);
        }
    });
}

#[test]
fn timestamps() {
    let times: Vec<Vec<u8>> = ["2026-11-28T04:00:00Z", "1795730400", "1795730400000"]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
    fuzz("timestamp", &times, |input| {
        let _ = Timestamp::parse(&text(input))
            .map(|t| (t.to_string(), Timestamp::claimed(Some(t), NOW)));
    });
}

#[test]
fn configuration() {
    let example = fixture("../../infra/modelwatch.example.yaml");
    let demo = fixture("demo/modelwatch.yaml");
    fuzz("configuration", &[example, demo], |input| {
        let _ = modelwatch::config::Config::parse("fuzz.yaml", &text(input));
    });
}
