//! `modelwatch validate FILE`: checks a configuration and reports every problem.

use std::io::Write;
use std::path::Path;

use super::CliError;
use crate::config::Config;

/// Prints a one-line summary when `path` is valid; otherwise fails with every problem.
pub fn run(path: &Path, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(path)?;
    writeln!(
        out,
        "{}: valid ({} models, {} metrics, {} monitors)",
        config.file,
        config.models.len(),
        config.metrics.len(),
        config.monitors.len()
    )?;
    Ok(())
}
