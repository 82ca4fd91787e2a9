//! `modelwatch alerts list|show`: alert state as JSON, straight from the table.

use std::io::Write;

use clap::Subcommand;

use super::CliError;
use crate::domain::AlertKey;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Open alerts, oldest first (`--all` for resolved ones too).
    List {
        #[arg(long)]
        all: bool,
    },
    /// One alert, whole.
    Show { key: String },
}

pub async fn run(command: AlertsCommand, out: &mut impl Write) -> Result<(), CliError> {
    let store = Store::from_env().await?;
    match command {
        AlertsCommand::List { all } => {
            let alerts = if all {
                store.all_alerts().await?
            } else {
                store.open_alerts().await?
            };
            serde_json::to_writer_pretty(&mut *out, &alerts).map_err(std::io::Error::from)?;
        }
        AlertsCommand::Show { key } => {
            let key = AlertKey::new(key)?;
            let alert = store.load(&key).await?.ok_or_else(|| {
                CliError::NotFound(format!(
                    "no alert with key \"{key}\" in table {}",
                    store.table()
                ))
            })?;
            serde_json::to_writer_pretty(&mut *out, &alert).map_err(std::io::Error::from)?;
        }
    }
    writeln!(out)?;
    Ok(())
}
