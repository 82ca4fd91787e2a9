//! The configuration reference (`shared/docs/configuration.md`), generated from the
//! schema and the templates themselves so that it cannot say something the code does
//! not do; the test `configuration_reference_is_current` compares it with the file.

use std::fmt::Write;

use super::schema::{self, Key, Shape};
use super::templates;
use crate::rules::{Anomaly, Baseline, Direction, NoDataPolicy, Rule, Threshold};

const INTRO: &str = "\
# modelwatch.yaml reference

<!-- Generated from shared/src/config/schema.rs and templates.rs by `modelwatch reference`;
     the test `configuration_reference_is_current` fails when this file is out of date. -->

`modelwatch validate FILE` checks a file against everything below and reports every
problem as `file:line:column`. `infra/modelwatch.example.yaml` is an annotated example.

## What Datadog must provide

- **Metrics and tags.** A monitor without `query:` reads
  `avg:{metric}{*} by {model,model_version,env}`: its metric averaged per model, version
  and environment, **over every environment** (write your own `query:` to read only
  `env:prod`). The metrics must carry the tags `model` (a name under `models:`),
  `model_version` and `env`; an alert for a model not listed under `models:` follows the
  default route.
- **Keys and permissions.** The evaluator and the reporter call
  `POST /api/v2/query/timeseries` with an API key and an application key whose scopes
  include `timeseries_query` (the secret's `datadog_api_key` and `datadog_app_key`).
  Datadog monitor webhooks need no key of ours beyond the webhook token (README,
  \"Connect Datadog\").

## How levels are routed

- **L1** posts to the model's `slack_channel` (`routing.default_slack_channel` for a model
  not listed), plus `routing.L1.slack`.
- **L2** and **L3** page `routing.L2.pagerduty` / `routing.L3.pagerduty` and post to their
  own `slack` channels **and to every lower level's channels**: an L3 alert also tells the
  model's team channel and the L1 and L2 channels. Each channel gets one message per
  alert, updated as the alert changes. Each level that pages needs a routing key of its
  own (a different `secret` entry): PagerDuty folds a trigger for an incident already
  open on the same routing key into that incident, so an L3 on L2's key would page no
  one; the configuration check refuses it.
- A route under `routing.routes` that matches the alert's model or family replaces a
  level's channels or PagerDuty key; what it leaves out stays shared.
- An alert unacknowledged for `escalate_after` moves up a level, up to the lowest of
  `routing.max_level`, the monitor's `max_level` and any time policy in force. A time
  policy applies to an alert whose monitor asked for one of its `levels` (a warning
  escalated unanswered is still L1) or that is at one of them, and never holds an alert
  below the level its monitor asked for (a critical breach pages at its own level).
- An acknowledgement stops escalation: a next-level page or reminder still waiting to go
  out (PagerDuty unreachable) is dropped, and the alert is back at the level it paged.

## Keys

Types: *text* is any value written without brackets (quote values that start with `#`,
`*`, `&`, `!`, `{` or `[`, and times such as `\"07:00\"`); a *duration* is written like
`30s`, `5m`, `1h30m` or `7d`.
";

/// The whole reference, as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(INTRO);
    let mut done = Vec::new();
    section(&mut out, "(top level)", schema::ROOT.keys(), &mut done);
    templates_section(&mut out);
    out
}

/// The same reference as data, for `--format json`: every key with its shape, default,
/// allowed values and the keys below it, and each template's expansion.
pub fn json() -> serde_json::Value {
    fn keys(of: &[Key]) -> Vec<serde_json::Value> {
        of.iter()
            .map(|k| {
                let below = match &k.shape {
                    Shape::List(item) => item.keys(),
                    shape => shape.keys(),
                };
                serde_json::json!({
                    "key": k.name,
                    "type": k.shape.words(),
                    "required": k.required,
                    "default": k.default,
                    "allowed": k.allowed,
                    "meaning": k.about,
                    "keys": keys(below),
                })
            })
            .collect()
    }
    let templates: Vec<serde_json::Value> = templates::ALL
        .iter()
        .filter_map(|name| templates::template(name).map(|t| (name, t)))
        .map(|(name, t)| {
            serde_json::json!({
                "template": name,
                "rule": rule(&t.rule),
                "aggregation": t.aggregation.as_str(),
                "window": duration(t.window_secs),
                "every": duration(t.every_secs),
                "trigger": { "breaches": t.trigger.breaches, "of": t.trigger.of },
                "recovery": { "clean": t.recovery_clean },
                "no_data": no_data(t.no_data),
            })
        })
        .collect();
    serde_json::json!({ "keys": keys(schema::ROOT.keys()), "templates": templates })
}

/// One table for the keys at `path`, then one for each mapping below them; a mapping
/// seen before (thresholds appear in four places) is named, not repeated.
fn section(
    out: &mut String,
    path: &str,
    keys: &'static [Key],
    done: &mut Vec<(Vec<&'static str>, String)>,
) {
    let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
    if let Some((_, first)) = done.iter().find(|(n, _)| *n == names) {
        let _ = writeln!(out, "\n### `{path}`\n\nThe keys of `{first}`.");
        return;
    }
    done.push((names, path.to_owned()));
    let _ = writeln!(out, "\n### `{path}`\n");
    let _ = writeln!(
        out,
        "| key | type | required | default | allowed | meaning |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for k in keys {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            k.name,
            k.shape.words(),
            if k.required { "yes" } else { "" },
            cell(k.default),
            cell(k.allowed),
            cell(k.about)
        );
    }
    for k in keys {
        let (p, shape) = match &k.shape {
            Shape::List(item) => (format!("{}[]", child(path, k.name)), *item),
            Shape::Named(_) => (format!("{}.NAME", child(path, k.name)), &k.shape),
            shape => (child(path, k.name), shape),
        };
        if !shape.keys().is_empty() {
            section(out, &p, shape.keys(), done);
        }
    }
}

fn child(path: &str, key: &str) -> String {
    if path.starts_with('(') {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A table cell: pipes would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn templates_section(out: &mut String) {
    let _ = writeln!(
        out,
        "\n## Templates\n\n`template: NAME` on a monitor gives it the rule and settings below. \
         The monitor's own `window`, `aggregation`, `every`, `trigger`, `recovery` and \
         `no_data` override the template's; `time_zone`, `levels`, `max_level`, `models`, \
         `query`, `runbook_steps` and `tags` apply as on any monitor. A monitor may not \
         give both `template` and `rule`: write the rule out instead.\n"
    );
    for name in templates::ALL {
        let Some(t) = templates::template(name) else {
            continue;
        };
        let no_data = no_data(t.no_data);
        let _ = writeln!(out, "### `{name}`\n");
        let _ = writeln!(out, "- rule: {}", rule(&t.rule));
        if let Some(query) = t.query("{metric}") {
            let _ = writeln!(
                out,
                "- query `{query}`: the percentile over every request, from a distribution metric"
            );
        }
        let _ = writeln!(
            out,
            "- aggregation `{}`, window `{}`, every `{}`, trigger {} of {}, recovery after {} clean, no_data `{no_data}`\n",
            t.aggregation.as_str(),
            duration(t.window_secs),
            duration(t.every_secs),
            t.trigger.breaches,
            t.trigger.of,
            t.recovery_clean,
        );
    }
}

fn rule(rule: &Rule) -> String {
    match rule {
        Rule::Threshold(t) => format!("`threshold` {}", threshold(t)),
        Rule::Baseline(b) => baseline(b),
        Rule::Anomaly(a) => anomaly(a),
        Rule::VersionCompare(c) => format!(
            "`version_compare` against the model's `stable_version`, relative change {}",
            threshold(&c.change)
        ),
        Rule::Schedule(_) | Rule::Composite(_) => "written out".to_owned(),
    }
}

fn threshold(t: &Threshold) -> String {
    let mut parts = vec![format!("direction `{}`", t.bound.as_str())];
    if let Some(w) = t.warning {
        parts.push(format!("warning {w}"));
    }
    parts.push(format!("critical {}", t.critical));
    if let Some(r) = t.warning_recovery {
        parts.push(format!("warning_recovery {r}"));
    }
    if let Some(r) = t.critical_recovery {
        parts.push(format!("critical_recovery {r}"));
    }
    parts.join(", ")
}

fn baseline(b: &Baseline) -> String {
    let mut parts = vec![
        format!("method `{}`", format!("{:?}", b.method).to_lowercase()),
        format!(
            "seasonality `{}`",
            format!("{:?}", b.seasonality).to_lowercase()
        ),
        format!("history `{}`", duration(b.history_secs)),
        format!("sigmas {}", b.sigmas),
    ];
    if let Some(w) = b.warn_sigmas {
        parts.push(format!("warn_sigmas {w}"));
    }
    if let Some(i) = b.immediate_sigmas {
        parts.push(format!("immediate_sigmas {i}"));
    }
    parts.push(format!("direction `{}`", direction(b.direction)));
    parts.push(format!("min_points {}", b.min_points));
    format!("`baseline` {}", parts.join(", "))
}

fn anomaly(a: &Anomaly) -> String {
    format!(
        "`anomaly` direction `{}`, false_alert_every `{}`, quiet `{}`, history `{}`",
        direction(a.direction),
        duration(a.false_alert_secs),
        duration(a.quiet_secs),
        duration(a.history_secs)
    )
}

/// A template's no-data policy as the file writes it.
fn no_data(policy: Option<NoDataPolicy>) -> &'static str {
    match policy {
        None => "defaults.no_data",
        Some(NoDataPolicy::Ignore) => "ignore",
        Some(NoDataPolicy::Warn) => "warn",
        Some(NoDataPolicy::Alert) => "alert",
        Some(NoDataPolicy::Resolve) => "resolve",
    }
}

/// A direction as the file writes it.
fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Above => "above",
        Direction::Below => "below",
        Direction::Both => "both",
    }
}

/// Seconds as the file would write them: `5m`, `6h`, `7d`.
fn duration(secs: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs > 0 && secs.is_multiple_of(size) {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    /// CI's guard: the committed reference is what the code generates today.
    #[test]
    fn configuration_reference_is_current() {
        let committed = include_str!("../../docs/configuration.md");
        assert!(
            committed == super::markdown(),
            "shared/docs/configuration.md is out of date: run `make docs` and commit it"
        );
    }
}
