//! `modelwatch backtest`: replays a `timestamp,value` CSV through one monitor as the live
//! evaluator would, and writes per-point anomaly scores and the alerts it would have raised.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Format, output};
use crate::backtest::Backtest;
use crate::config::Config;
use crate::rules::{SeriesError, parse_series};

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The configuration file (modelwatch.yaml).
    #[arg(long)]
    pub config: PathBuf,
    /// The id of the monitor to replay.
    #[arg(long)]
    pub monitor: String,
    /// A CSV of `timestamp,value` rows (a header row is optional). Timestamps: UTC
    /// `2014-04-10 00:00:00`, RFC 3339 `2014-04-10T00:00:00Z`, or epoch seconds or
    /// milliseconds; rows out of order are sorted, repeated timestamps averaged.
    #[arg(long)]
    pub series: PathBuf,
    /// Where to write `timestamp,value,anomaly_score` per point.
    #[arg(long)]
    pub scores: Option<PathBuf>,
    /// Where to write the alerts as JSON (default: standard output).
    #[arg(long)]
    pub alerts: Option<PathBuf>,
}

/// At most this many warnings are printed one by one; the rest are counted.
const WARNINGS_SHOWN: usize = 10;

pub fn run(
    args: &BacktestArgs,
    format: Format,
    out: &mut impl Write,
    warnings: &mut impl Write,
) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let monitor = config.monitor(&args.monitor).ok_or_else(|| {
        let ids: Vec<&str> = config.monitors.iter().map(|m| m.id.as_str()).collect();
        CliError::NotFound(format!(
            "no monitor {:?} in {}: expected one of {}",
            args.monitor,
            config.file,
            ids.join(", ")
        ))
    })?;
    let file = args.series.display();
    let text = std::fs::read_to_string(&args.series)
        .map_err(|e| CliError::Input(format!("cannot read {file}: {e}")))?;
    let series = parse_series(&text).map_err(|e| CliError::Input(format!("{file}:{e}")))?;
    if series.points.is_empty() {
        return Err(CliError::Input(format!(
            "{file}:1:1: no data points: expected rows of timestamp,value such as 2014-04-10 00:00:00,1.5 (a header row is optional)"
        )));
    }
    warn(&args.series, &series.warnings, warnings);
    let result = crate::backtest::backtest(&config, monitor, &series.points)
        .map_err(|e| CliError::Input(e.to_string()))?;

    if let Some(path) = &args.scores {
        // One row per input row, in file order: a row merged with others for evaluation
        // carries their point's score. Ten decimals, because the score is 1 − p and the
        // points that matter have p of 1e-4 and below.
        let mut csv = String::from("timestamp,value,anomaly_score\n");
        for (row, &i) in series.rows.iter().zip(&series.point_of_row) {
            let score = result.scores.get(i).map_or(0.0, |s| s.score);
            csv.push_str(&format!("{},{},{score:.10}\n", row.at, row.value));
        }
        write_file(path, csv.as_bytes())?;
    }
    if let Some(path) = &args.alerts {
        let json = serde_json::to_string_pretty(&result.alerts).map_err(std::io::Error::from)?;
        write_file(path, json.as_bytes())?;
    }
    match format {
        Format::Json if args.alerts.is_none() => output::json(out, &result.alerts),
        Format::Json => output::json(
            out,
            &serde_json::json!({
                "points": result.scores.len(),
                "alerts": result.alerts.len(),
                "written_to": args.alerts.as_ref().map(|p| p.display().to_string()),
            }),
        ),
        Format::Text => summary(&result, &args.monitor, args.alerts.as_deref(), out),
    }
}

/// The counts, then one line per alert unless they went to a file.
fn summary(
    result: &Backtest,
    monitor: &str,
    written_to: Option<&Path>,
    out: &mut impl Write,
) -> Result<(), CliError> {
    write!(
        out,
        "{} points through monitor {monitor}: {} alert(s) opened",
        result.scores.len(),
        result.alerts.len()
    )?;
    match written_to {
        Some(path) => writeln!(out, ", written to {}", path.display())?,
        None => {
            writeln!(out)?;
            for a in &result.alerts {
                let closed = a.closed_at.as_deref().unwrap_or("still open at the end");
                writeln!(
                    out,
                    "  {} to {closed}  {}  {}",
                    a.opened_at, a.level, a.reason
                )?;
                if let Some(note) = &a.note {
                    writeln!(out, "    {note}")?;
                }
            }
        }
    }
    Ok(())
}

/// The rows evaluation had to reorder or merge, by line, on the warnings stream.
fn warn(file: &Path, found: &[SeriesError], to: &mut impl Write) {
    for w in found.iter().take(WARNINGS_SHOWN) {
        // A failed write to stderr is not worth failing the backtest for.
        let _ = writeln!(to, "warning: {}:{w}", file.display());
    }
    if found.len() > WARNINGS_SHOWN {
        let _ = writeln!(
            to,
            "warning: {}: {} more rows out of time order or repeating a timestamp",
            file.display(),
            found.len() - WARNINGS_SHOWN
        );
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| {
        CliError::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })
}
