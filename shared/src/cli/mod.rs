//! The `modelwatch` command line: argument parsing and dispatch to one module per command.
//! The conventions every command follows (`--format`, exit codes, errors) live in
//! [`output`], so a new command gets them by taking a [`Format`] and returning a
//! [`CliError`].

mod alerts;
mod backtest;
mod datadog;
mod doctor;
mod output;
mod png_text;
mod preview;
mod preview_alert;
mod probe;
mod silence;
mod validate;

use clap::{Parser, Subcommand};

pub use output::{EXIT_CODES, Format, fail};

#[derive(Debug, Parser)]
#[command(
    name = "modelwatch",
    version,
    about = "Operate modelwatch: check its configuration, try monitors on history, preview \
             what it would send, run probe cases, and inspect alerts and silences",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Output format: text for people, json for scripts (errors go to standard error in
    /// the same format).
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List and show alert state (reads MODELWATCH_TABLE).
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
    Validate {
        /// The configuration file (modelwatch.yaml).
        file: std::path::PathBuf,
    },
    /// Print the configuration reference (Markdown, or the same as data with `--format
    /// json`): every key, its type, default and allowed values, and each template's expansion.
    Reference,
    /// Replay a timestamp,value CSV through a monitor: anomaly scores and alerts.
    Backtest(backtest::BacktestArgs),
    /// Without sending: a report's Slack messages and charts into a folder, or the
    /// PagerDuty events and Slack messages of an alert.
    Preview(preview::PreviewArgs),
    /// Check a deployment's connections for real: the table, Datadog's keys, metrics and
    /// webhook, Slack's token, scopes and channels, PagerDuty's routing keys.
    Doctor(doctor::DoctorArgs),
    /// Run the configuration's probe cases once against their endpoints and print a
    /// table (sends no metrics, changes no alert); exit code 6 when a case fails.
    Probe(probe::ProbeArgs),
    /// Keep the webhook, dashboards and native monitors in Datadog in step with the
    /// configuration: `plan` shows the changes, `apply` makes them.
    Datadog {
        #[command(subcommand)]
        command: datadog::DatadogCommand,
    },
}

/// A command's failure, worded for the person at the terminal; its kind decides the exit
/// code ([`EXIT_CODES`]).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Invalid(#[from] crate::domain::InvalidValue),
    #[error("{0}")]
    NotFound(String),
    #[error("invalid configuration ({count} problem(s)):\n{0}", count = .0.errors.len())]
    Config(#[from] crate::config::ConfigErrors),
    #[error("{0}")]
    Input(String),
    /// A service (Datadog, Slack, PagerDuty) did not answer or failed; a retry may help.
    #[error("{0}")]
    Unavailable(String),
    /// A probe case did not pass (the table says which and why).
    #[error("{0}")]
    ProbeFailed(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let format = cli.format;
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Alerts { command } => alerts::run(command, format, out).await,
        Command::Silence { command } => silence::run(command, format, out).await,
        Command::Validate { file } => validate::run(&file, format, out),
        Command::Reference => match format {
            Format::Text => {
                use std::io::Write;
                write!(out, "{}", crate::config::reference())?;
                Ok(())
            }
            Format::Json => output::json(out, &crate::config::reference_json()),
        },
        Command::Backtest(args) => backtest::run(&args, format, out, &mut std::io::stderr().lock()),
        Command::Preview(args) => preview::run(&args, format, out).await,
        Command::Datadog { command } => datadog::run(command, format, out).await,
        Command::Doctor(args) => doctor::run(&args, format, out).await,
        Command::Probe(args) => probe::run(&args, format, out).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every argument of every command says what it is for in `--help`.
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "modelwatch", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:?}");
    }

    #[test]
    fn the_exit_codes_tell_usage_input_and_unavailable_apart() {
        let invalid = CliError::Input("x".into());
        let unavailable = CliError::Store(crate::store::StoreError::Unreachable {
            operation: "Query",
            message: "nothing answers".into(),
        });
        let not_found = CliError::NotFound("x".into());
        assert_eq!(invalid.exit_code(), 3);
        assert_eq!(unavailable.exit_code(), 4);
        assert_eq!(not_found.exit_code(), 1);
        assert!(EXIT_CODES.contains("3  invalid input") && EXIT_CODES.contains("4  unavailable"));
    }
}
