//! Enough of Datadog's metric query language for the fake: `avg:metric{tag:v,!tag:w} by {a,b}`,
//! and the percentile aggregators of distribution metrics (`p95:metric{*} by {a}`).

use std::collections::BTreeMap;

/// How series of one group combine at each time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregator {
    Avg,
    Sum,
    Min,
    Max,
    /// A percentile of a distribution: over every value of the group in the interval,
    /// not over per-series averages (Datadog keeps the whole distribution).
    Percentile(f64),
}

/// The percentiles Datadog offers on distribution metrics.
const PERCENTILES: [&str; 5] = ["p50", "p75", "p90", "p95", "p99"];

impl Aggregator {
    pub fn apply(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Aggregator::Avg => values.iter().sum::<f64>() / values.len() as f64,
            Aggregator::Sum => values.iter().sum(),
            Aggregator::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregator::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Aggregator::Percentile(p) => {
                // Nearest rank: the smallest value with at least p % at or below it.
                let mut sorted = values.to_vec();
                sorted.sort_by(f64::total_cmp);
                let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
                sorted[rank.clamp(1, sorted.len()) - 1]
            }
        })
    }
}

/// One parsed metric query.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub aggregator: Aggregator,
    pub metric: String,
    /// `(key, value, negated)`; all must hold. Empty for `{*}`.
    pub filters: Vec<(String, String, bool)>,
    pub by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error parsing query: {problem} in {query:?}")]
pub struct QueryParseError {
    pub query: String,
    pub problem: String,
}

impl MetricQuery {
    pub fn parse(query: &str) -> Result<Self, QueryParseError> {
        let fail = |problem: &str| QueryParseError {
            query: query.to_owned(),
            problem: problem.to_owned(),
        };
        let text = query.trim();
        let open = text
            .find('{')
            .ok_or_else(|| fail("missing scope `{...}`"))?;
        let (head, rest) = text.split_at(open);
        let (aggregator, metric) = match head.split_once(':') {
            Some((agg, metric)) => (
                match agg.trim() {
                    "avg" => Aggregator::Avg,
                    "sum" => Aggregator::Sum,
                    "min" => Aggregator::Min,
                    "max" => Aggregator::Max,
                    p if PERCENTILES.contains(&p) => {
                        Aggregator::Percentile(p[1..].parse().unwrap_or(50.0))
                    }
                    _ => {
                        return Err(fail(
                            "unknown space aggregator (avg, sum, min, max, or p50, p75, p90, p95, p99 on a distribution)",
                        ));
                    }
                },
                metric.trim(),
            ),
            None => (Aggregator::Avg, head.trim()),
        };
        let valid_metric = !metric.is_empty()
            && metric
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'));
        if !valid_metric {
            return Err(fail("bad metric name"));
        }
        let close = rest.find('}').ok_or_else(|| fail("unclosed scope"))?;
        let scope = &rest[1..close];
        let mut filters = Vec::new();
        for term in scope
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "*")
        {
            let (negated, term) = match term.strip_prefix('!') {
                Some(t) => (true, t),
                None => (false, term),
            };
            let (key, value) = term
                .split_once(':')
                .ok_or_else(|| fail("scope terms are tag:value"))?;
            filters.push((key.trim().to_owned(), value.trim().to_owned(), negated));
        }
        let mut tail = rest[close + 1..].trim();
        if let Some(rollup) = tail.strip_prefix(".rollup(") {
            let end = rollup.find(')').ok_or_else(|| fail("unclosed rollup"))?;
            tail = rollup[end + 1..].trim();
        }
        let by = if tail.is_empty() {
            Vec::new()
        } else {
            let groups = tail
                .strip_prefix("by")
                .map(str::trim)
                .and_then(|g| g.strip_prefix('{'))
                .and_then(|g| g.strip_suffix('}'))
                .ok_or_else(|| fail("expected `by {tag,...}` after the scope"))?;
            groups
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(Self {
            aggregator,
            metric: metric.to_owned(),
            filters,
            by,
        })
    }

    /// Whether a series with these tags is in scope.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        self.filters.iter().all(|(key, value, negated)| {
            let hit = tags.get(key).is_some_and(|v| v == value);
            hit != *negated
        })
    }

    /// The group a series falls in; `None` when it lacks a grouped tag.
    /// The group a series falls in: a grouped-by tag it does not carry reads `N/A`, as
    /// Datadog answers (`exclude_null()` is what leaves such groups out).
    pub fn group_of(&self, tags: &BTreeMap<String, String>) -> Vec<String> {
        self.by
            .iter()
            .map(|key| format!("{key}:{}", tags.get(key).map_or("N/A", String::as_str)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_aggregator_metric_scope_and_grouping() {
        let q = MetricQuery::parse(
            "sum:llm.tokens.total{env:prod,!model:test} by {model,model_version}",
        )
        .unwrap();
        assert_eq!(q.aggregator, Aggregator::Sum);
        assert_eq!(q.metric, "llm.tokens.total");
        assert_eq!(q.by, ["model", "model_version"]);
        assert!(q.matches(&tags(&[("env", "prod"), ("model", "chat")])));
        assert!(!q.matches(&tags(&[("env", "prod"), ("model", "test")])));
        assert!(!q.matches(&tags(&[("env", "dev")])));
        assert_eq!(
            q.group_of(&tags(&[("model", "chat")])),
            ["model:chat", "model_version:N/A"]
        );
    }

    #[test]
    fn star_scope_no_grouping_and_default_avg() {
        let q = MetricQuery::parse("llm.latency.p95{*}").unwrap();
        assert_eq!(q.aggregator, Aggregator::Avg);
        assert!(q.filters.is_empty() && q.by.is_empty());
        assert!(q.group_of(&tags(&[])).is_empty());
    }

    #[test]
    fn rollup_is_tolerated() {
        let q = MetricQuery::parse("max:gpu.mem{*}.rollup(avg, 60) by {model}").unwrap();
        assert_eq!(q.by, ["model"]);
    }

    #[test]
    fn malformed_queries_say_what_is_wrong() {
        for bad in [
            "avg:llm.latency",
            "p98:x{*}",
            "avg:x{model}",
            "avg:x{*} group {a}",
        ] {
            assert!(MetricQuery::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn aggregators_combine_values() {
        let v = [1.0, 2.0, 6.0];
        assert_eq!(Aggregator::Avg.apply(&v), Some(3.0));
        assert_eq!(Aggregator::Sum.apply(&v), Some(9.0));
        assert_eq!(Aggregator::Max.apply(&v), Some(6.0));
        assert_eq!(Aggregator::Min.apply(&[]), None);
    }

    #[test]
    fn percentiles_of_a_distribution_are_nearest_rank() {
        let q = MetricQuery::parse("p95:llm.generation.latency{*} by {model}").unwrap();
        assert_eq!(q.aggregator, Aggregator::Percentile(95.0));
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(q.aggregator.apply(&values), Some(95.0));
        assert_eq!(Aggregator::Percentile(50.0).apply(&values), Some(50.0));
        assert_eq!(Aggregator::Percentile(99.0).apply(&[3.0]), Some(3.0));
    }
}
