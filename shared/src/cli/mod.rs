//! The `modelwatch` command line: argument parsing and dispatch to one module per command.

mod alerts;
mod backtest;
mod datadog;
mod preview;
mod preview_alert;
mod silence;
mod validate;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "modelwatch",
    version,
    about = "Operate modelwatch: inspect alerts and more"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List and show alert state as JSON (reads MODELWATCH_TABLE).
    Alerts {
        #[command(subcommand)]
        command: alerts::AlertsCommand,
    },
    /// Make, list and end silences (reads MODELWATCH_TABLE).
    Silence {
        #[command(subcommand)]
        command: silence::SilenceCommand,
    },
    /// Check a configuration file; every problem is reported as file:line:column.
    Validate { file: std::path::PathBuf },
    /// Replay a timestamp,value CSV through a monitor: anomaly scores and alerts.
    Backtest(backtest::BacktestArgs),
    /// Without sending: a report's Slack messages and charts into a folder, or the
    /// PagerDuty events and Slack messages of an alert.
    Preview(preview::PreviewArgs),
    /// Keep the webhook, dashboards and native monitors in Datadog in step with the
    /// configuration: `plan` shows the changes, `apply` makes them.
    Datadog {
        #[command(subcommand)]
        command: datadog::DatadogCommand,
    },
}

/// A command's failure, worded for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Invalid(#[from] crate::domain::InvalidValue),
    #[error("{0}")]
    NotFound(String),
    #[error("invalid configuration:\n{0}")]
    Config(#[from] crate::config::ConfigErrors),
    #[error("{0}")]
    Input(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Alerts { command } => alerts::run(command, &mut std::io::stdout().lock()).await,
        Command::Silence { command } => silence::run(command, &mut std::io::stdout().lock()).await,
        Command::Validate { file } => validate::run(&file, &mut std::io::stdout().lock()),
        Command::Backtest(args) => backtest::run(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Command::Preview(args) => preview::run(&args, &mut std::io::stdout().lock()).await,
        Command::Datadog { command } => datadog::run(command, &mut std::io::stdout().lock()).await,
    }
}
