//! `modelwatch validate FILE`: checks a configuration and reports every problem.

use std::io::Write;
use std::path::Path;

use super::{CliError, Format, output};
use crate::config::Config;

/// Prints a one-line summary when `path` is valid; otherwise fails with every problem.
pub fn run(path: &Path, format: Format, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(path)?;
    let (models, metrics, monitors, probes) = (
        config.models.len(),
        config.metrics.len(),
        config.monitors.len(),
        config.probes.cases.len(),
    );
    match format {
        Format::Text => writeln!(
            out,
            "{}: valid ({models} models, {metrics} metrics, {monitors} monitors, {probes} probe cases)",
            config.file
        )?,
        Format::Json => output::json(
            out,
            &serde_json::json!({
                "file": config.file,
                "valid": true,
                "models": models,
                "metrics": metrics,
                "monitors": monitors,
                "probe_cases": probes,
            }),
        )?,
    }
    Ok(())
}
