//! `make local`: the whole pipeline on loopback until Ctrl-C — the intake's HTTP routes,
//! the escalator consuming the emulator's stream, the escalation clock and the evaluator
//! every minute, and the Datadog, PagerDuty and Slack fakes.
//!
//! Run through `tests/emulator/with-dynamodb`, which starts the DynamoDB emulator and sets
//! the AWS variables. Writes what a second shell needs to `.modelwatch/local.env`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use modelwatch::clock::Clock;
use modelwatch::domain::Timestamp;
use modelwatch_tests::pipeline::{
    DATADOG_API_KEY, DATADOG_APP_KEY, PAGERDUTY_WEBHOOK_SECRET, Ports, SLACK_SIGNING_SECRET,
    SLACK_TOKEN, Stack,
};

// One thread for the whole stack (intake, escalator, clock, evaluator, fakes), so an
// evaluator run holds webhook answers meanwhile; at 100 webhooks a second the
// multi-thread runtime's wakeups cost more than its second core gave (bench/findings.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    modelwatch::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modelwatch-local: {e}");
            ExitCode::FAILURE
        }
    }
}

fn port(var: &str, default: u16) -> Result<u16, String> {
    match std::env::var(var) {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("{var} {p:?}: expected a port number")),
        Err(_) => Ok(default),
    }
}

fn millis(var: &str, default: u64) -> Result<u64, String> {
    match std::env::var(var) {
        Ok(ms) => ms
            .parse()
            .map_err(|_| format!("{var} {ms:?}: expected milliseconds")),
        Err(_) => Ok(default),
    }
}

async fn run() -> Result<(), String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").map_err(|_| {
        "AWS_ENDPOINT_URL_DYNAMODB is not set: start through `make local`".to_string()
    })?;
    let intake_port = port("MODELWATCH_PORT", 8787)?;
    let table = std::env::var("MODELWATCH_TABLE").unwrap_or_else(|_| "modelwatch-local".into());
    let token = match std::env::var("MODELWATCH_WEBHOOK_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => modelwatch_tests::random_token(),
    };
    let config =
        modelwatch::runtime::load_config().map_err(|e| format!("invalid configuration:\n{e}"))?;
    let ports = Ports {
        pagerduty: port("MODELWATCH_PAGERDUTY_PORT", 0)?,
        slack: port("MODELWATCH_SLACK_PORT", 0)?,
        datadog: port("MODELWATCH_DATADOG_PORT", 0)?,
    };
    let mut stack = Stack::start(&table, config, Clock::system(), &token, ports).await?;

    let addr = SocketAddr::from(([127, 0, 0, 1], intake_port));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        format!("cannot listen on {addr}: {e} (set MODELWATCH_PORT to another port)")
    })?;
    let intake_url = format!("http://{addr}");
    let pagerduty_url = format!("http://{}", stack.pagerduty.addr());
    let slack_url = format!("http://{}", stack.slack.addr());
    let datadog_url = format!("http://{}", stack.datadog.addr());

    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    let env_file = root.join(".modelwatch/local.env");
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    write_env(
        &env_file,
        &[
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.clone()),
            ("AWS_REGION", var("AWS_REGION", "us-east-1")),
            ("AWS_ACCESS_KEY_ID", var("AWS_ACCESS_KEY_ID", "")),
            ("AWS_SECRET_ACCESS_KEY", var("AWS_SECRET_ACCESS_KEY", "")),
            ("MODELWATCH_TABLE", table.clone()),
            ("MODELWATCH_WEBHOOK_TOKEN", token.clone()),
            ("MODELWATCH_INTAKE_URL", intake_url.clone()),
            ("MODELWATCH_PAGERDUTY_URL", pagerduty_url.clone()),
            ("MODELWATCH_SLACK_URL", format!("{slack_url}/api")),
            ("MODELWATCH_DATADOG_URL", datadog_url.clone()),
            ("MODELWATCH_SLACK_BOT_TOKEN", SLACK_TOKEN.into()),
            (
                "MODELWATCH_SLACK_SIGNING_SECRET",
                SLACK_SIGNING_SECRET.into(),
            ),
            (
                "MODELWATCH_PAGERDUTY_WEBHOOK_SECRET",
                PAGERDUTY_WEBHOOK_SECRET.into(),
            ),
            ("MODELWATCH_DATADOG_API_KEY", DATADOG_API_KEY.into()),
            ("MODELWATCH_DATADOG_APP_KEY", DATADOG_APP_KEY.into()),
        ],
        &root.join("target/debug"),
    )
    .map_err(|e| format!("cannot write {}: {e}", env_file.display()))?;

    println!("modelwatch local stack is up (Ctrl-C to stop)");
    println!(
        "  intake     {intake_url}  (POST /webhooks/datadog, /webhooks/pagerduty, /deployments, /slack/commands, /slack/interactions; GET /healthz)"
    );
    println!("  token      header X-Modelwatch-Token: {token}");
    println!(
        "  dynamodb   {endpoint}  table {table}  (the escalator reads its stream every second)"
    );
    println!(
        "  pagerduty  {pagerduty_url}  (what it received: GET {pagerduty_url}/_received, alerts: /_alerts)"
    );
    println!("  slack      {slack_url}  (GET {slack_url}/_messages)");
    println!("  datadog    {datadog_url}  (add series: POST {datadog_url}/_series)");
    println!("  env        . {}", env_file.display());
    println!();
    println!(
        "  try: . .modelwatch/local.env && curl -s -X POST \"$MODELWATCH_INTAKE_URL/webhooks/datadog\" \\"
    );
    println!(
        "         -H \"X-Modelwatch-Token: $MODELWATCH_WEBHOOK_TOKEN\" -H 'Content-Type: application/json' \\"
    );
    println!("         --data @tests/fixtures/datadog/10_recommended_triggered.json");
    println!(
        "       then: modelwatch alerts list; curl -s $MODELWATCH_PAGERDUTY_URL/_alerts; curl -s {slack_url}/_messages"
    );

    let server = tokio::spawn(modelwatch_tests::serve::serve(
        listener,
        stack.intake.clone(),
        modelwatch_tests::serve::HEADER_READ_TIMEOUT,
    ));
    // How long the loop waits between reads of the stream (Lambda's event source mapping
    // polls a shard about four times a second); `make bench` measures its share of latency.
    let poll = Duration::from_millis(millis("MODELWATCH_STREAM_POLL_MS", 1000)?);
    let mut last_minute = None;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = tokio::time::sleep(poll) => {}
        }
        let now = Timestamp::now();
        let minute = now.secs() / 60;
        if last_minute != Some(minute) {
            last_minute = Some(minute);
            let at = Timestamp::from_secs(minute * 60);
            if let Err(e) = stack.evaluate(at).await {
                eprintln!("modelwatch-local: evaluator run failed: {e}");
            }
            if let Err(e) = stack.tick(now).await {
                eprintln!("modelwatch-local: escalation clock failed: {e}");
            }
        }
        if let Err(e) = stack.deliver().await {
            eprintln!("modelwatch-local: stream delivery failed: {e}");
        }
    }
    server.abort();
    println!("stopped");
    let violations = stack.take_contract_violations();
    for v in &violations {
        eprintln!("modelwatch-local: {v}");
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} request(s) broke a vendor's contract",
            violations.len()
        ))
    }
}

fn write_env(path: &Path, pairs: &[(&str, String)], bin: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::from("# Written by `make local`: source it in a second shell.\n");
    for (k, v) in pairs {
        text.push_str(&format!("export {k}='{v}'\n"));
    }
    text.push_str(&format!("export PATH=\"{}:$PATH\"\n", bin.display()));
    // It holds the local secrets: readable by its owner only, from the moment it exists.
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(text.as_bytes())
}
