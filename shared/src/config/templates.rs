//! Monitor templates for generative-AI metrics: a rule and windows that suit each metric,
//! which a monitor's own fields may override.

use crate::rules::{
    Aggregation, Anomaly, Baseline, Bound, Direction, Method, NoDataPolicy, Rule, Seasonality,
    Threshold, Trigger, VersionCompare,
};

pub(super) struct Template {
    pub rule: Rule,
    pub aggregation: Aggregation,
    pub window_secs: u64,
    pub every_secs: u64,
    pub trigger: Trigger,
    pub recovery_clean: u32,
    /// Set for availability templates: a model that stops serving stops reporting, so
    /// silence is the most serious breach there. Otherwise the defaults section decides.
    pub no_data: Option<NoDataPolicy>,
    /// The percentile a latency template reads from a distribution metric (`p95:` in the
    /// query): Datadog computes it over every request, where the average of a gauge
    /// would hide the slow tail. None: the metric averaged per group.
    pub percentile: Option<&'static str>,
}

impl Template {
    /// The query a monitor of this template reads `metric` with, unless it has its own.
    pub fn query(&self, metric: &str) -> Option<String> {
        self.percentile
            .map(|p| format!("{p}:{metric}{{*}} by {{model,model_version,env}}"))
    }
}

pub(super) const NAMES: &str = "anomaly, quality_drop, latency_rise, token_spike, error_rate, \
     timeout_rate, gpu_memory, gpu_utilization or version_regression";

/// Every template, in the order of [`NAMES`] (the reference lists them so).
pub(super) const ALL: [&str; 9] = [
    "anomaly",
    "quality_drop",
    "latency_rise",
    "token_spike",
    "error_rate",
    "timeout_rate",
    "gpu_memory",
    "gpu_utilization",
    "version_regression",
];

const DAY: u64 = 86_400;

fn threshold(bound: Bound, warning: f64, critical: f64, recovery: f64) -> Threshold {
    Threshold {
        bound,
        warning: Some(warning),
        critical,
        warning_recovery: Some(recovery),
        critical_recovery: None,
    }
}

/// The default anomaly baseline: robust (median/MAD) against the same hour of day over a
/// week, so daily patterns and a few past spikes do not page; 6σ fires at once.
pub(super) fn anomaly_baseline(direction: Direction) -> Baseline {
    Baseline {
        method: Method::Robust,
        seasonality: Seasonality::Daily,
        history_secs: 7 * DAY,
        sigmas: 3.0,
        warn_sigmas: None,
        immediate_sigmas: Some(6.0),
        direction,
        min_points: 24,
        min_spread: 0.0,
    }
}

/// The default anomaly rule (shared/docs/backtest-nab.md): about one false alert a month
/// on a series without anomalies, flare-ups within 6 h one alert, and three weeks of
/// history so a weekly pattern can be found and compared.
pub(super) fn anomaly_rule(direction: Direction) -> Anomaly {
    Anomaly {
        direction,
        false_alert_secs: 30 * DAY,
        quiet_secs: 6 * 3600,
        history_secs: 22 * DAY,
    }
}

pub(super) fn template(name: &str) -> Option<Template> {
    let base = |rule: Rule| Template {
        rule,
        aggregation: Aggregation::Avg,
        window_secs: 5 * 60,
        every_secs: 60,
        trigger: Trigger { breaches: 3, of: 5 },
        recovery_clean: 5,
        no_data: None,
        percentile: None,
    };
    Some(match name {
        // Every point through the streaming detector (rules::anomaly); the window only
        // says how old the latest point may be before the group counts as without data,
        // and the trigger and recovery windows give way to the rule's episodes.
        "anomaly" => Template {
            aggregation: Aggregation::Last,
            trigger: Trigger { breaches: 1, of: 1 },
            recovery_clean: 1,
            ..base(Rule::Anomaly(anomaly_rule(Direction::Both)))
        },
        "quality_drop" => Template {
            window_secs: 30 * 60,
            ..base(Rule::Baseline(Baseline {
                sigmas: 3.0,
                warn_sigmas: Some(2.0),
                ..anomaly_baseline(Direction::Below)
            }))
        },
        // p95 per minute over every request (a distribution metric), averaged over the
        // window so one slow minute does not decide alone.
        "latency_rise" => Template {
            percentile: Some("p95"),
            ..base(Rule::Baseline(Baseline {
                sigmas: 3.0,
                warn_sigmas: Some(2.0),
                ..anomaly_baseline(Direction::Above)
            }))
        },
        // Tokens per minute averaged over the window: the baseline holds single minutes,
        // so a window's sum would always look several times too high.
        "token_spike" => Template {
            trigger: Trigger { breaches: 2, of: 3 },
            ..base(Rule::Baseline(Baseline {
                warn_sigmas: Some(3.0),
                ..anomaly_baseline(Direction::Above)
            }))
        },
        "error_rate" => Template {
            no_data: Some(NoDataPolicy::Alert),
            ..base(Rule::Threshold(threshold(Bound::Above, 0.02, 0.05, 0.01)))
        },
        "timeout_rate" => Template {
            no_data: Some(NoDataPolicy::Alert),
            ..base(Rule::Threshold(threshold(Bound::Above, 0.01, 0.03, 0.005)))
        },
        "gpu_memory" => Template {
            aggregation: Aggregation::Max,
            ..base(Rule::Threshold(threshold(Bound::Above, 0.85, 0.95, 0.8)))
        },
        // Spelt as the metric `gpu.utilization` is; the British spelling, which this
        // template had first, still reads.
        "gpu_utilization" | "gpu_utilisation" => Template {
            window_secs: 15 * 60,
            trigger: Trigger {
                breaches: 10,
                of: 15,
            },
            recovery_clean: 10,
            ..base(Rule::Threshold(threshold(Bound::Above, 0.9, 0.98, 0.85)))
        },
        "version_regression" => Template {
            percentile: Some("p95"),
            window_secs: 15 * 60,
            ..base(Rule::VersionCompare(VersionCompare {
                stable_version: None,
                change: threshold(Bound::Above, 0.1, 0.25, 0.05),
            }))
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_in_messages_are_every_template_in_order() {
        let listed = NAMES.replace(" or ", ", ");
        assert_eq!(listed.split(", ").collect::<Vec<_>>(), ALL);
        assert!(ALL.iter().all(|name| template(name).is_some()));
    }
}
