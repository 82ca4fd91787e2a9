//! The conventions every command shares: `--format text|json`, the exit codes, and how a
//! failure is printed (one `error:` prefix; JSON on standard error under `--format json`;
//! nothing at all when the reader closed the pipe, as `| head` does).

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use super::CliError;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people: short lines, a summary first.
    #[default]
    Text,
    /// For scripts: one JSON document on standard output (errors as JSON on standard error).
    Json,
}

/// The exit codes, as `--help` prints them. Each tells a script what to do next: fix the
/// command line, fix the input, or wait for / start the service.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  not found: no such alert, silence, monitor or audience (or an unexpected failure)
  2  usage: unknown command or option, missing or malformed argument
  3  invalid input: configuration, CSV series, webhook payload or a value given
  4  unavailable: DynamoDB cannot be reached, has no credentials, or refused the request
  5  cannot write output (a full disk, no permission)
  6  a probe case did not pass (modelwatch probe)";

impl CliError {
    /// The exit code this failure ends the command with (see [`EXIT_CODES`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::NotFound(_) => 1,
            CliError::Config(_) | CliError::Input(_) | CliError::Invalid(_) => 3,
            CliError::Store(_) | CliError::Unavailable(_) => 4,
            CliError::Output(_) => 5,
            CliError::ProbeFailed(_) => 6,
        }
    }

    /// A name for the kind of failure, for `--format json`.
    fn kind(&self) -> &'static str {
        match self {
            CliError::NotFound(_) => "not_found",
            CliError::Config(_) | CliError::Input(_) | CliError::Invalid(_) => "invalid_input",
            CliError::Store(_) | CliError::Unavailable(_) => "unavailable",
            CliError::Output(_) => "output",
            CliError::ProbeFailed(_) => "probe_failed",
        }
    }

    /// Whether the reader of standard output went away (`modelwatch … | head`): that
    /// ends the command, but is no failure worth a word.
    fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Prints `e` to `stderr` in `format` and returns the exit code to end with.
pub fn fail(e: &CliError, format: Format, stderr: &mut impl Write) -> ExitCode {
    if e.is_closed_pipe() {
        return ExitCode::SUCCESS;
    }
    // Standard error itself may be closed; there is nobody left to tell.
    let _ = match format {
        Format::Text => writeln!(stderr, "error: {e}"),
        Format::Json => {
            let problems = match e {
                CliError::Config(c) => c
                    .errors
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "file": c.file, "line": p.line, "column": p.column, "message": p.message,
                        })
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let body = serde_json::json!({
                "error": {
                    "kind": e.kind(),
                    "exit_code": e.exit_code(),
                    "message": e.to_string(),
                    "problems": problems,
                }
            });
            writeln!(stderr, "{body}")
        }
    };
    ExitCode::from(e.exit_code())
}

/// `value` as pretty JSON and a newline.
pub fn json(out: &mut impl Write, value: &impl Serialize) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
