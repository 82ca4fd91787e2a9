//! `modelwatch alerts list|show`: alert state straight from the table, as a line per
//! alert or as JSON.

use std::io::Write;

use clap::Subcommand;

use super::{CliError, Format, output};
use crate::domain::{Alert, AlertKey};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Open alerts, oldest first.
    List {
        /// Resolved alerts too.
        #[arg(long)]
        all: bool,
    },
    /// One alert, whole.
    Show {
        /// The alert's key, as `alerts list` prints it (monitor:ID|model:NAME…).
        key: String,
    },
}

pub async fn run(
    command: AlertsCommand,
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let store = Store::from_env().await?;
    match command {
        AlertsCommand::List { all } => {
            let alerts = if all {
                store.all_alerts().await?
            } else {
                store.open_alerts().await?
            };
            match format {
                Format::Json => output::json(out, &alerts)?,
                Format::Text if alerts.is_empty() => writeln!(
                    out,
                    "no {}alerts in table {}",
                    if all { "" } else { "open " },
                    store.table()
                )?,
                Format::Text => {
                    for a in &alerts {
                        writeln!(out, "{}", line(a))?;
                    }
                }
            }
        }
        AlertsCommand::Show { key } => {
            let key = AlertKey::new(key)?;
            let alert = store.load(&key).await?.ok_or_else(|| {
                CliError::NotFound(format!(
                    "no alert with key \"{key}\" in table {}: `modelwatch alerts list --all` shows them",
                    store.table()
                ))
            })?;
            match format {
                Format::Json => output::json(out, &alert)?,
                Format::Text => {
                    writeln!(out, "{}", line(&alert))?;
                    let c = &alert.context;
                    for (label, value) in [
                        ("reason", c.reason.clone()),
                        ("value", c.value.map(|v| v.to_string())),
                        ("threshold", c.threshold.map(|v| v.to_string())),
                        (
                            "acknowledged",
                            alert.acknowledged.as_ref().map(|m| m.by.clone()),
                        ),
                        ("resolved", alert.resolved_at.map(|t| t.to_string())),
                        ("silenced by", alert.silence.as_ref().map(|s| s.by.clone())),
                    ] {
                        if let Some(value) = value {
                            writeln!(out, "  {label}: {value}")?;
                        }
                    }
                    writeln!(out, "  (--format json for the whole record)")?;
                }
            }
        }
    }
    Ok(())
}

/// One alert on one line: key, status, level, when it opened, title.
fn line(a: &Alert) -> String {
    let opened = a
        .opened_at
        .map_or_else(|| "-".to_owned(), |t| t.to_string());
    format!(
        "{}  {}  {}  opened {opened}  {}",
        a.key,
        a.status.as_str(),
        a.level,
        a.context.title
    )
}
