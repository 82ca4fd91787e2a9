//! From fetched data to evaluations and signals, pure: which groups each monitor covers,
//! the stable series a version comparison reads, composites over shared groups.

use std::collections::BTreeMap;

use modelwatch::absence;
use modelwatch::config::Config;
use modelwatch::domain::{Signal, Timestamp};
use modelwatch::rules::{self, Data, Evaluation, Evaluator, Group, Rule};
use modelwatch::signals;

use crate::fetch::MonitorData;

/// How many past evaluation instants each run looks back over for changes: a change at
/// an instant whose invocation was lost is still signalled (the same signal, so a change
/// already applied is a duplicate).
pub const CATCH_UP: u32 = 5;

/// Every monitor on every group it covers, at `at` and the `CATCH_UP - 1` instants before
/// it (oldest first); composites last, over the groups their monitors share.
pub fn evaluate_all(config: &Config, data: &MonitorData, at: Timestamp) -> Vec<Evaluation> {
    let mut by_monitor: BTreeMap<String, BTreeMap<Group, Vec<Evaluation>>> = BTreeMap::new();
    let empty = BTreeMap::new();
    for m in config
        .monitors
        .iter()
        .filter(|m| !matches!(m.rule, Rule::Composite(_)))
    {
        let groups = data.get(&m.id).unwrap_or(&empty);
        let evaluations = by_monitor.entry(m.id.clone()).or_default();
        for (group, points) in groups {
            // The stable version of a comparison is what the others are compared with.
            if !absence::covers(config, m, group) {
                continue;
            }
            let stable_version = group
                .model
                .as_deref()
                .and_then(|name| config.model(name))
                .and_then(|model| model.stable_version.as_deref());
            let stable = match (&m.rule, stable_version) {
                (Rule::VersionCompare(vc), fallback) => vc
                    .stable_version
                    .as_deref()
                    .or(fallback)
                    .and_then(|v| groups.get(&group.with_version(v))),
                _ => None,
            };
            let data = Data {
                points,
                stable: stable.map(Vec::as_slice),
                stable_version,
            };
            let mut evaluator = Evaluator::new(m, group, data);
            let evaluated = instants(at, m.every_secs)
                .map(|t| evaluator.at(t))
                .collect();
            evaluations.insert(group.clone(), evaluated);
        }
    }
    let mut all: Vec<Evaluation> = by_monitor
        .values()
        .flat_map(|groups| groups.values().flatten().cloned())
        .collect();
    for m in &config.monitors {
        if let Rule::Composite(expr) = &m.rule {
            for instant in instants(at, m.every_secs) {
                let children = children_at(&by_monitor, instant);
                all.extend(rules::evaluate_composite(&m.id, expr, &children, instant));
            }
        }
    }
    all
}

/// The `CATCH_UP` evaluation instants ending at `at`, oldest first.
fn instants(at: Timestamp, every_secs: u64) -> impl Iterator<Item = Timestamp> {
    let every_ms = i64::try_from(every_secs.max(1) * 1000).unwrap_or(60_000);
    (0..i64::from(CATCH_UP))
        .rev()
        .map(move |k| Timestamp::from_millis(at.millis() - k * every_ms))
}

/// Each monitor's evaluation of each group at one instant, for a composite.
fn children_at(
    by_monitor: &BTreeMap<String, BTreeMap<Group, Vec<Evaluation>>>,
    instant: Timestamp,
) -> BTreeMap<String, BTreeMap<Group, Evaluation>> {
    by_monitor
        .iter()
        .map(|(id, groups)| {
            let at_instant = groups
                .iter()
                .filter_map(|(g, evs)| {
                    evs.iter()
                        .find(|e| e.at == instant)
                        .map(|e| (g.clone(), e.clone()))
                })
                .collect();
            (id.clone(), at_instant)
        })
        .collect()
}

/// The signals of the evaluations that changed state since the previous instant.
pub fn signals(config: &Config, evaluations: &[Evaluation]) -> Vec<Signal> {
    evaluations
        .iter()
        .filter(|e| e.changed())
        .filter_map(|e| {
            let monitor = config.monitor(&e.monitor)?;
            match signals::evaluation::from_evaluation(config, monitor, e) {
                Ok(s) => Some(s),
                Err(err) => {
                    tracing::error!(monitor = %monitor.id, group = %e.group, error = %err, "evaluation cannot become a signal");
                    None
                }
            }
        })
        .collect()
}
