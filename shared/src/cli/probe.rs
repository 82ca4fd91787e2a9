//! `modelwatch probe --config FILE [--case ID]`: runs the configuration's probe cases once
//! from a terminal, as the prober would, and prints a table (nothing is sent to Datadog
//! and no alert changes). Each case is tried once: the prober's retries (`probes.retries`)
//! would hide the blip this shows.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, Format, output};
use crate::config::Config;
use crate::probe::{CaseOutcome, Runner};
use crate::secrets::SecretSource;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// The configuration file whose `probes:` to run (modelwatch.yaml).
    #[arg(long)]
    pub config: PathBuf,
    /// Only this case (its id); repeat for several.
    #[arg(long = "case", value_name = "ID")]
    pub cases: Vec<String>,
}

/// Runs the cases; fails with exit code 6 when one fails (the table is printed first).
pub async fn run(args: &ProbeArgs, format: Format, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let probes = &config.probes;
    if probes.cases.is_empty() {
        return Err(CliError::NotFound(format!(
            "{} declares no probe cases (probes.cases)",
            config.file
        )));
    }
    let mut chosen = Vec::new();
    for id in &args.cases {
        match probes.case(id) {
            Some(case) => chosen.push(case),
            None => {
                let known: Vec<&str> = probes.cases.iter().map(|c| c.id.as_str()).collect();
                return Err(CliError::NotFound(format!(
                    "no probe case {id:?}: expected one of {}",
                    known.join(", ")
                )));
            }
        }
    }
    if chosen.is_empty() {
        chosen = probes.cases.iter().collect();
    }
    let secrets = if probes.secret_entries().is_empty() {
        crate::secrets::Secrets::default()
    } else {
        SecretSource::from_env(&crate::aws::sdk_config(crate::aws::Roots::System).await)
            .fetch()
            .await
            .map_err(|e| CliError::Input(e.to_string()))?
    };
    let runner = Runner::new(probes, &secrets).map_err(|e| CliError::Input(e.to_string()))?;
    let outcomes = runner.run(probes, &chosen).await;
    match format {
        Format::Text => write!(out, "{}", table(&outcomes))?,
        Format::Json => output::json(out, &outcomes)?,
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.case.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::ProbeFailed(format!(
            "{} of {} probe case(s) did not pass: {}",
            failed.len(),
            outcomes.len(),
            failed.join(", ")
        )))
    }
}

/// The outcomes as a table: one row per case, then each failed check under it.
pub fn table(outcomes: &[CaseOutcome]) -> String {
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            let result = if o.skipped.is_some() {
                "skipped"
            } else if o.passed() {
                "pass"
            } else {
                "FAIL"
            };
            let tokens = o
                .usage
                .map(|u| {
                    let n = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
                    format!("{}/{}", n(u.prompt), n(u.completion))
                })
                .unwrap_or_else(|| "-".into());
            [
                o.case.clone(),
                o.model.clone(),
                o.endpoint.clone(),
                result.to_owned(),
                o.latency_ms.map_or("-".into(), |ms| ms.to_string()),
                tokens,
            ]
        })
        .collect();
    let header = ["CASE", "MODEL", "ENDPOINT", "RESULT", "MS", "TOKENS"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&header);
    for (row, o) in rows.iter().zip(outcomes) {
        out.push_str(&line(&row.each_ref().map(String::as_str)));
        if let Some(why) = &o.skipped {
            out.push_str(&format!("    {why}\n"));
        }
        for v in o.failures() {
            out.push_str(&format!("    {}: {}\n", v.check.as_str(), v.detail));
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    out.push_str(&format!("{passed} of {} passed\n", outcomes.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::check::{CheckName, Verdict};
    use crate::probe::response::Usage;

    fn outcome(case: &str, passed: bool) -> CaseOutcome {
        let mut o = blank(case);
        o.latency_ms = Some(42);
        o.usage = Some(Usage {
            prompt: Some(9),
            completion: Some(2),
            total: Some(11),
        });
        o.verdicts = vec![Verdict {
            check: CheckName::Contains,
            passed,
            detail: "does not contain \"Paris\"".into(),
        }];
        o
    }

    fn blank(case: &str) -> CaseOutcome {
        CaseOutcome {
            case: case.into(),
            model: "chat-large".into(),
            version: None,
            environment: None,
            endpoint: "chat".into(),
            status: Some(200),
            latency_ms: None,
            usage: None,
            judge_score: None,
            verdicts: Vec::new(),
            answer: None,
            skipped: None,
            retried_after: Vec::new(),
        }
    }

    #[test]
    fn the_table_has_a_row_per_case_and_a_line_per_failed_check() {
        let text = table(&[outcome("capital", true), outcome("greeting", false)]);
        assert_eq!(
            text,
            "CASE      MODEL       ENDPOINT  RESULT  MS  TOKENS\n\
             capital   chat-large  chat      pass    42  9/2\n\
             greeting  chat-large  chat      FAIL    42  9/2\n    \
             contains: does not contain \"Paris\"\n\
             1 of 2 passed\n"
        );
    }
}
