//! The `datadog:` section: where the webhook points, which model environments get a
//! dashboard, and which monitors Datadog also runs natively (`modelwatch datadog apply`).

use std::collections::BTreeSet;

use super::raw::RawDatadog;
use super::validate::Problems;
use crate::rules::{Monitor, Rule};

/// The Datadog objects the configuration asks for, beyond the webhook that is always kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatadogObjects {
    /// The intake's `/webhooks/datadog` URL (the stack's `DatadogWebhookUrl` output).
    pub webhook_url: Option<String>,
    /// Model environments (`env:` tag values), one dashboard and one copy of each native
    /// monitor per environment.
    pub environments: Vec<String>,
    /// Monitor ids Datadog runs natively as well (threshold, baseline, anomaly, composite).
    pub native_monitors: Vec<String>,
}

const ENV_EXPECTED: &str =
    "a tag value: 1 to 100 lowercase letters, digits, `_`, `-`, `.` or `/`, starting with a letter";

fn tag_value(value: &str) -> bool {
    value.len() <= 100
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-./".contains(c))
}

pub(super) fn datadog(p: &mut Problems, raw: RawDatadog, monitors: &[Monitor]) -> DatadogObjects {
    if let Some(url) = &raw.webhook_url
        && crate::domain::url::web_url(&url.value).is_none_or(|u| !u.starts_with("https://"))
    {
        p.at(
            url,
            format!(
                "invalid webhook URL {:?}: expected the stack's https DatadogWebhookUrl output",
                url.value
            ),
        );
    }
    let mut environments = Vec::new();
    for env in &raw.environments {
        if !tag_value(&env.value) {
            p.at(
                env,
                format!(
                    "invalid environment {:?}: expected {ENV_EXPECTED}",
                    env.value
                ),
            );
        } else if environments.contains(&env.value) {
            p.at(env, format!("environment {:?} is listed twice", env.value));
        } else {
            environments.push(env.value.clone());
        }
    }
    let listed: BTreeSet<&str> = raw
        .native_monitors
        .iter()
        .map(|m| m.value.as_str())
        .collect();
    let mut native: Vec<String> = Vec::new();
    for id in &raw.native_monitors {
        let Some(monitor) = monitors.iter().find(|m| m.id == id.value) else {
            let known: Vec<String> = monitors.iter().map(|m| m.id.clone()).collect();
            p.at(
                id,
                format!(
                    "native monitor {:?} is not a monitor of this file: expected {}",
                    id.value,
                    super::validate::one_of(known.iter())
                ),
            );
            continue;
        };
        match &monitor.rule {
            Rule::Schedule(_) | Rule::VersionCompare(_) => p.at(
                id,
                format!(
                    "monitor {:?} is a {} monitor, which Datadog cannot run natively: expected a threshold, baseline, anomaly or composite monitor",
                    id.value,
                    monitor.rule.kind()
                ),
            ),
            Rule::Composite(expr) => {
                for child in expr.monitors() {
                    if !listed.contains(child) {
                        p.at(
                            id,
                            format!(
                                "composite monitor {:?} combines {child:?}, which is not native: expected {child:?} under native_monitors too",
                                id.value
                            ),
                        );
                    }
                }
            }
            _ => {
                let problem = beyond_datadogs_query(monitor)
                    .or_else(|| query_lost_by_copy(monitor, &environments));
                if let Some(problem) = problem {
                    p.at(id, format!("native monitor {:?}: {problem}", id.value));
                }
            }
        }
        if let Some(same) = native.iter().find(|n| n.eq_ignore_ascii_case(&id.value)) {
            // Datadog keeps tags in lowercase: the two copies' keys would be one.
            p.at(
                id,
                format!(
                    "native monitor {:?} is listed twice (as {same:?}; Datadog tells ids apart only by more than case)",
                    id.value
                ),
            );
        } else {
            native.push(id.value.clone());
        }
    }
    if environments.is_empty()
        && let Some(first) = raw.native_monitors.first()
    {
        p.at(
            first,
            "native monitors need at least one environment: expected `environments:` in the datadog section".to_owned(),
        );
    }
    DatadogObjects {
        webhook_url: raw.webhook_url.map(|u| u.value),
        environments,
        native_monitors: native,
    }
}

/// Why a native copy of `monitor` would be a query Datadog refuses: a threshold's query
/// aggregates its window by avg, sum, min or max (no `last`; a baseline's or anomaly's
/// `anomalies()` averages whatever the monitor's aggregation), over at most a week.
fn beyond_datadogs_query(monitor: &crate::rules::Monitor) -> Option<String> {
    const WEEK_SECS: u64 = 7 * 86_400;
    if matches!(monitor.rule, crate::rules::Rule::Threshold(_))
        && monitor.aggregation == crate::rules::Aggregation::Last
    {
        return Some(
            "its window is aggregated by `last`, which Datadog's monitor queries cannot do \
             (they take avg, sum, min or max over the window): expected another aggregation, \
             or the monitor left out of native_monitors"
                .to_owned(),
        );
    }
    (monitor.window_secs > WEEK_SECS).then(|| {
        format!(
            "its window of {} s is longer than a week, the longest Datadog's monitor queries \
             take: expected a window of 7d at most, or the monitor left out of native_monitors",
            monitor.window_secs
        )
    })
}

/// Why `monitor`'s own `query:` would not survive its native copies, one per environment,
/// each built from the monitor's metric (`provision::desired`): `<space>:<metric>{<filter>}
/// by {model,model_version[,env]}`, where the space aggregation is `avg` or a percentile
/// (the copy writes no other) and the window's aggregation is not a percentile, the filter
/// `*` (grouped by `env`) or the one environment the copies read, and the groups the
/// copy's. Anything else (another aggregation, filters, functions, arithmetic,
/// another grouping) would be dropped, and the copies would watch other data.
fn query_lost_by_copy(monitor: &crate::rules::Monitor, environments: &[String]) -> Option<String> {
    let query = monitor.query.as_deref()?.trim();
    let expected = "expected a query of the form `p99:<metric>{*} by {model,model_version,env}`, or the monitor left out of native_monitors";
    let problem = |what: &str| Some(format!("its query {query:?} {what}; {expected}"));
    let Some((space, rest)) = query.split_once(':') else {
        return problem("has no space aggregation");
    };
    let space = space.trim();
    let percentile = space.len() > 1
        && space.starts_with('p')
        && space[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if space != "avg" && !percentile {
        return problem(&format!(
            "aggregates by {space:?}, which the copy cannot keep (it writes `avg` or a percentile)"
        ));
    }
    // The copy takes a percentile window aggregation for its space aggregation, and a
    // query's percentile for its space with the window aggregation over time.
    let window_percentile = matches!(
        monitor.aggregation,
        crate::rules::Aggregation::P50
            | crate::rules::Aggregation::P95
            | crate::rules::Aggregation::P99
    );
    if window_percentile {
        return problem(&format!(
            "is aggregated over the window by {}, which the copy would turn into its space aggregation",
            monitor.aggregation.as_str()
        ));
    }
    let metric = monitor.metric.as_deref().unwrap_or_default();
    let Some(scope) = rest
        .trim()
        .strip_prefix(metric)
        .and_then(|r| r.strip_prefix('{'))
    else {
        return problem(&format!(
            "does not read the monitor's metric {metric:?} directly"
        ));
    };
    let Some((filter, after)) = scope.split_once('}') else {
        return problem("has no closing `}`");
    };
    // Terms joined by `,` or `AND`; anything else (`OR`, `NOT`, `IN`) is not a plain term.
    let terms: Vec<&str> = filter
        .split(',')
        .flat_map(|t| t.split(" AND "))
        .map(str::trim)
        .collect();
    let mut envs: Vec<&str> = Vec::new();
    for term in &terms {
        match term.strip_prefix("env:") {
            Some(env) if !env.contains(char::is_whitespace) => envs.push(env),
            None if *term == "*" => {}
            _ => return problem("filters on more than `*` or `env:`"),
        }
    }
    // Each copy reads its own environment: a query of another (or of several at once)
    // reads other data.
    let one_env = match (envs.as_slice(), environments) {
        ([], _) => None,
        ([env], [only]) if env == only => Some(*env),
        _ => {
            return problem(&format!(
                "reads env {envs:?}, while each copy reads one of {environments:?} (the datadog section's environments)"
            ));
        }
    };
    let groups = after
        .trim()
        .strip_prefix("by")
        .map(str::trim)
        .and_then(|g| g.strip_prefix('{'))
        .and_then(|g| g.strip_suffix('}'))
        .map(|g| g.split(',').map(str::trim).collect::<Vec<_>>());
    match groups {
        // Without `env` in its groups, the query mixes environments unless it reads one.
        Some(g) if !g.contains(&"env") && one_env.is_none() => problem(
            "mixes every environment in one group, while each copy reads one: expected `env` among its groups",
        ),
        Some(g)
            if g.contains(&"model")
                && g.contains(&"model_version")
                && g.iter()
                    .all(|t| ["model", "model_version", "env"].contains(t)) =>
        {
            None
        }
        Some(_) => problem("is not grouped by {model,model_version} (and env) as the copy is"),
        None => problem(
            "goes on past its filter in a way the copy cannot keep (a grouping other than `by {…}`, a function or arithmetic)",
        ),
    }
}
