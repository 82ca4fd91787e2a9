//! Starts the PagerDuty, Slack and Datadog fakes and a fake model endpoint on loopback and prints their URLs and
//! credentials as `KEY=VALUE` lines (for `make local` and `make demo`); runs until killed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use modelwatch_tests::fakes::{
    DatadogFake, DatadogFakeConfig, ModelFake, ModelFakeConfig, PagerDutyFake, SlackFake,
    SlackFakeConfig, StoredSeries,
};

#[derive(Parser)]
#[command(
    about = "Fakes of the PagerDuty, Slack and Datadog APIs and of a model endpoint on 127.0.0.1"
)]
struct Args {
    /// Port for the PagerDuty Events API fake (0: any free port).
    #[arg(long, default_value_t = 0)]
    pagerduty_port: u16,
    /// Port for the Slack Web API fake (0: any free port).
    #[arg(long, default_value_t = 0)]
    slack_port: u16,
    /// Port for the Datadog metrics API fake (0: any free port).
    #[arg(long, default_value_t = 0)]
    datadog_port: u16,
    /// The bot token the Slack fake accepts.
    #[arg(long, default_value = "xoxb-modelwatch-local")]
    slack_token: String,
    /// A channel that exists, as ID:NAME (repeatable).
    #[arg(long = "slack-channel", default_value = "C0MODELWATCH:ml-alerts")]
    slack_channels: Vec<String>,
    /// The DD-API-KEY the Datadog fake accepts.
    #[arg(long, default_value = "modelwatch-local-api-key")]
    datadog_api_key: String,
    /// The DD-APPLICATION-KEY the Datadog fake accepts.
    #[arg(long, default_value = "modelwatch-local-app-key")]
    datadog_app_key: String,
    /// Port for the model endpoint fake the probes call (0: any free port).
    #[arg(long, default_value_t = 0)]
    model_port: u16,
    /// The bearer token the model endpoint fake accepts.
    #[arg(long, default_value = "modelwatch-local-model-token")]
    model_token: String,
    /// A JSON file of series to serve: `[{"metric": ..., "tags": {...}, "points": [[ms, v], ...]}]`.
    #[arg(long)]
    datadog_series: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("modelwatch-fakes: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let mut slack_config = SlackFakeConfig::new(&args.slack_token);
    for channel in &args.slack_channels {
        let (id, name) = channel
            .split_once(':')
            .ok_or_else(|| format!("--slack-channel {channel:?}: expected ID:NAME"))?;
        slack_config = slack_config.channel(id, name);
    }
    let series: Vec<StoredSeries> = match &args.datadog_series {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("reading {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Vec::new(),
    };

    let pagerduty = PagerDutyFake::start(args.pagerduty_port)
        .await
        .map_err(|e| format!("PagerDuty fake on port {}: {e}", args.pagerduty_port))?;
    let slack = SlackFake::start(slack_config, args.slack_port)
        .await
        .map_err(|e| format!("Slack fake on port {}: {e}", args.slack_port))?;
    let datadog = DatadogFake::start(
        DatadogFakeConfig::new(&args.datadog_api_key, &args.datadog_app_key),
        args.datadog_port,
    )
    .await
    .map_err(|e| format!("Datadog fake on port {}: {e}", args.datadog_port))?;
    for s in series {
        datadog.add_series(s);
    }
    let model = ModelFake::start(ModelFakeConfig::new(&args.model_token), args.model_port)
        .await
        .map_err(|e| format!("model fake on port {}: {e}", args.model_port))?;

    println!("MODEL_URL={}", model.url());
    println!("MODEL_TOKEN={}", args.model_token);
    println!("PAGERDUTY_URL={}", pagerduty.url());
    println!("SLACK_URL={}", slack.url());
    println!("SLACK_BOT_TOKEN={}", args.slack_token);
    println!("DATADOG_URL={}", datadog.url());
    println!("DATADOG_API_KEY={}", args.datadog_api_key);
    println!("DATADOG_APP_KEY={}", args.datadog_app_key);

    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("waiting for Ctrl-C: {e}"))?;
    let violations: Vec<String> = pagerduty
        .take_contract_violations()
        .into_iter()
        .chain(slack.take_contract_violations())
        .chain(datadog.take_contract_violations())
        .map(|v| v.to_string())
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "requests that broke a vendor's contract:\n{}",
            violations.join("\n")
        ))
    }
}
