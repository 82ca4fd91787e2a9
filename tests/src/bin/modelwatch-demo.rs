//! `make demo`: replays the shipped scenario through the real handlers on the local
//! emulator and shows what happened. Exits non-zero if anything was lost or doubled.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch_tests::demo::{checks, datadog_setup, probes, run, scenario, summary};
use modelwatch_tests::pipeline::{Ports, Stack, channels};

const CONFIG_FILE: &str = "tests/fixtures/demo/modelwatch.yaml";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match demo().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("modelwatch demo: {e}");
            ExitCode::from(2)
        }
    }
}

async fn demo() -> Result<bool, String> {
    let started = Instant::now();
    let text = std::fs::read_to_string(CONFIG_FILE).map_err(|e| format!("{CONFIG_FILE}: {e}"))?;
    let config =
        Config::parse(CONFIG_FILE, &text).map_err(|e| format!("invalid configuration:\n{e}"))?;
    let scenario = scenario::demo();
    let out_dir = PathBuf::from(
        std::env::var("MODELWATCH_DEMO_OUT").unwrap_or_else(|_| "target/demo".into()),
    );

    println!(
        "modelwatch demo — {} models, {} monitors, {} simulated days, {} injected incidents",
        config.models.len(),
        config.monitors.len(),
        scenario.minutes / 1440,
        scenario.injected.len()
    );
    println!(
        "configuration {CONFIG_FILE}; DynamoDB emulator, Datadog, PagerDuty and Slack fakes on loopback\n"
    );

    println!(
        "connecting Datadog (`modelwatch datadog plan`, then apply, against the Datadog configuration fake):"
    );
    print!(
        "{}",
        datadog_setup::plan_apply_replan(&config, "demo-webhook-token").await?
    );

    let clock = Clock::manual(scenario.start);
    let table = format!("modelwatch-demo-{}", std::process::id());
    let mut stack = Stack::start(
        &table,
        config,
        clock,
        "demo-webhook-token",
        Ports::default(),
    )
    .await?;
    let channel_names: BTreeMap<String, String> = channels(&stack.config)
        .into_iter()
        .enumerate()
        .map(|(i, name)| (format!("C{:08}", i + 1), name))
        .collect();

    let probe = probes::start(&stack, &text, CONFIG_FILE).await?;

    println!("replaying (simulated time):");
    let stats = run::run(&scenario, &mut stack, &probe, |now, s| {
        println!(
            "  {}  {:>6} evaluations  {:>3} signals from the evaluator  {:>3} probe runs ({} signals)  {:>3} stream batches delivered",
            summary::when(now),
            s.evaluations,
            s.signals_written,
            s.probe_runs,
            s.probe_signals_written,
            s.stream_batches
        );
    })
    .await?;

    let mut history = Vec::new();
    for day in summary::days(&scenario) {
        history.extend(stack.store.history(&day).await.map_err(|e| e.to_string())?);
    }
    let alerts = stack.store.all_alerts().await.map_err(|e| e.to_string())?;
    let pages = stack.pagerduty.alerts();
    let messages = stack.slack.messages();

    println!("\nwhat people and Datadog did:");
    let mut outside: Vec<(modelwatch::domain::Timestamp, String)> = stats
        .webhooks
        .iter()
        .map(|(t, name, status)| (*t, format!("Datadog webhook {name} → HTTP {status}")))
        .chain(stats.people.iter().cloned())
        .collect();
    outside.sort_by_key(|(t, _)| *t);
    for (t, what) in &outside {
        println!("  {}  {what}", summary::when(*t));
    }

    println!(
        "\ntimeline (signals that changed an alert, its status and level after, deliveries owed):"
    );
    print!("{}", summary::timeline(&history));

    println!(
        "\nPagerDuty (Events API v2 fake, {} events received):",
        stack.pagerduty.received().len()
    );
    print!("{}", summary::pages(&pages, &stack.routing_keys));

    if let Some(page) = pages
        .iter()
        .find(|p| p.dedup_key.contains("summarizer-rollout"))
    {
        println!("\nwhat on-call saw on the summarizer page (custom_details, links):");
        let details = serde_json::to_string_pretty(&page.custom_details).unwrap_or_default();
        for line in details.lines() {
            println!("    {line}");
        }
        println!("    links: {}", page.links);
    }

    if let Some(page) = pages.iter().find(|p| p.dedup_key.contains("probe:")) {
        println!("\nwhat on-call saw on the probe's page (the failed checks, request and answer):");
        let details = serde_json::to_string_pretty(&page.custom_details).unwrap_or_default();
        for line in details.lines() {
            println!("    {line}");
        }
    }

    println!("\nSlack (Web API fake, {} messages):", messages.len());
    print!("{}", summary::slack(&messages, &channel_names));

    let (figures, charts) =
        summary::figures_and_charts(&stack.config, &scenario, &history, &out_dir)?;
    println!("\nthe run's figures:");
    print!("{figures}");
    println!("\nreport charts and messages (the team's weekly report, the executives' summary):");
    for c in &charts {
        println!("{c}");
    }

    let cycles = summary::cycles_of(&history);
    let mut verdict = checks::check(&scenario, &cycles, &alerts, &pages, &stack.slack.received());
    verdict.problems.extend(
        stack
            .take_contract_violations()
            .iter()
            .map(|v| format!("CONTRACT: {v}")),
    );
    println!("\ninjected incidents:");
    for d in &verdict.detected {
        println!("  detected  {d}");
    }
    for p in &verdict.problems {
        println!("  PROBLEM   {p}");
    }
    println!(
        "\n{} in {:.0} s: {} stream batches delivered ({} retried), nothing {}.",
        if verdict.ok() { "done" } else { "FAILED" },
        started.elapsed().as_secs_f64(),
        stats.stream_batches,
        stats.failed_batches,
        if verdict.ok() {
            "lost or doubled"
        } else {
            "is as it should be"
        }
    );
    Ok(verdict.ok())
}
