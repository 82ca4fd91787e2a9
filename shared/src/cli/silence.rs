//! `modelwatch silence add|list|expire`: silences from a terminal, straight on the table
//! (reads MODELWATCH_TABLE), with the same words as the Slack command and the same rules
//! as every other way of making one (`crate::silencing`).

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, Format, output};
use crate::config::Config;
use crate::domain::{SilenceId, Timestamp};
use crate::silencing;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Mute every alert the matchers match, now or from a later time:
    /// `model=chat-large env=prod 2h [from TIME] [-- why]`, or `until TIME` instead of a
    /// duration. Matchers: model, version, env, monitor, team, level.
    Add {
        /// The configuration (teams are matched through its models).
        #[arg(long)]
        config: PathBuf,
        /// Who is silencing (shown with the silence).
        #[arg(long, env = "USER", default_value = "modelwatch cli")]
        by: String,
        /// Matchers, duration or `until TIME`, optional `from TIME`, and `-- comment`.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        words: Vec<String>,
    },
    /// Silences in force or planned, as JSON.
    List,
    /// End a silence now; the alerts it held back are paged by the escalator.
    Expire {
        /// The configuration (to find the alerts the silence held back).
        #[arg(long)]
        config: PathBuf,
        /// The silence's id, as `silence list` prints it (sil-…).
        id: String,
    },
}

pub async fn run(
    command: SilenceCommand,
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let now = Timestamp::now();
    match command {
        SilenceCommand::Add { config, by, words } => {
            let config = Config::load(&config)?;
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let silence = silencing::parse_words(&words)
                .map_err(CliError::Input)?
                .into_silence(&by, now)
                .map_err(|e| CliError::Input(e.to_string()))?;
            let store = Store::from_env().await?;
            let made = silencing::make(&store, &config, silence, now).await?;
            let s = &made.silence;
            match format {
                Format::Text => writeln!(
                    out,
                    "{}: mutes {} from {} until {}; {} open alert(s) muted now",
                    s.id,
                    s.describe(),
                    s.starts_at,
                    s.ends_at,
                    made.muted.len()
                )?,
                Format::Json => output::json(
                    out,
                    &serde_json::json!({ "silence": s, "muted": made.muted.len() }),
                )?,
            }
        }
        SilenceCommand::List => {
            let store = Store::from_env().await?;
            let silences = store.silences(now).await?;
            match format {
                Format::Json => output::json(out, &silences)?,
                Format::Text if silences.is_empty() => {
                    writeln!(out, "no silences in force or planned")?
                }
                Format::Text => {
                    for s in &silences {
                        writeln!(
                            out,
                            "{}  {}  from {} until {}  by {}{}",
                            s.id,
                            s.describe(),
                            s.starts_at,
                            s.ends_at,
                            s.created_by,
                            if s.comment.is_empty() {
                                String::new()
                            } else {
                                format!("  -- {}", s.comment)
                            }
                        )?;
                    }
                }
            }
        }
        SilenceCommand::Expire { config, id } => {
            let config = Config::load(&config)?;
            let id = SilenceId::new(&id)?;
            let store = Store::from_env().await?;
            let expired = silencing::expire(&store, &config, &id, now).await?;
            let Some(s) = expired.silence else {
                return Err(CliError::NotFound(format!(
                    "no silence {id} in table {}: `modelwatch silence list` shows them",
                    store.table()
                )));
            };
            match format {
                Format::Text => writeln!(
                    out,
                    "{}: ended ({}); {} alert(s) released, {} still muted by another silence",
                    s.id,
                    s.describe(),
                    expired.released,
                    expired.still_muted
                )?,
                Format::Json => output::json(
                    out,
                    &serde_json::json!({
                        "silence": s,
                        "released": expired.released,
                        "still_muted": expired.still_muted,
                    }),
                )?,
            }
        }
    }
    Ok(())
}
