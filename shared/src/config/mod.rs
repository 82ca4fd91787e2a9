//! The configuration file `modelwatch.yaml`: models, metrics, monitors, routing of levels
//! and defaults. [`Config::load`] checks all of it and reports every problem at
//! `file:line:column`; the Lambdas call it at cold start and refuse to start on an error.

mod datadog;
mod duration;
mod error;
mod levels;
mod model;
mod probes;
mod raw;
mod reference;
mod reports;
mod routing;
mod schema;
mod shape;
mod templates;
mod tree;
mod typed;
mod validate;

#[cfg(test)]
mod message_tests;
#[cfg(test)]
mod probes_tests;
#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tree_tests;
#[cfg(test)]
mod typed_tests;

use std::collections::BTreeMap;
use std::path::Path;

use jiff::tz::TimeZone;

pub use datadog::DatadogObjects;
pub use duration::{EXPECTED as DURATION_EXPECTED, parse_secs as parse_duration};
pub use error::{ConfigError, ConfigErrors};
pub use levels::{LevelMap, Notification};
pub use model::{Metric, MetricClass, Model, ModelLinks};
pub use probes::parse_duration_ms;
pub use reference::{json as reference_json, markdown as reference};
pub use reports::{AudienceConfig, Reports, audience_key};
pub use routing::{
    LevelOverride, LevelRoute, Route, RouteMatch, RouteOverride, Routing, TimePolicy,
};

use crate::domain::{EscalationPolicy, Level, Timestamp};
use crate::probe::Probes;
use crate::rules::{Group, Monitor, Rule};

/// A valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, for messages.
    pub file: String,
    /// The default time zone of monitors and time policies.
    pub time_zone: TimeZone,
    pub metrics: BTreeMap<String, Metric>,
    pub models: BTreeMap<String, Model>,
    /// In file order.
    pub monitors: Vec<Monitor>,
    /// Monitors that may not escalate past a level.
    pub monitor_max_levels: BTreeMap<String, Level>,
    pub routing: Routing,
    pub levels: LevelMap,
    /// Who gets which report; empty when the file has no `reports:`.
    pub reports: Reports,
    /// What `modelwatch datadog apply` provisions; empty when the file has no `datadog:`.
    pub datadog: DatadogObjects,
    /// The prober's endpoints and test cases; empty when the file has no `probes:`.
    pub probes: Probes,
}

/// A time zone by IANA name, from the database compiled into the binary.
pub use crate::domain::time_zone as tz;

impl Config {
    /// Reads and checks the file at `path`. The error lists every problem, one per line.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::one(&file, 1, 1, format!("cannot read the configuration: {e}"))
        })?;
        Self::parse(&file, &text)
    }

    /// Checks configuration `text`; `file` names it in messages. Three passes, each
    /// reporting every problem it finds: YAML syntax, then the shape of every key against
    /// the schema, then the values and the references between them.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigErrors> {
        Self::parse_with_tree(file, text, &[])
    }

    /// [`Config::parse`], with the YAML tree of `text` already read: `tree` is what the
    /// build compiled in for the bundled file (`runtime::BUNDLED_CONFIG_TREE`), which
    /// spares a cold start the reading of the YAML, most of the parse (warm, 93 µs in all
    /// against 485 µs: `cargo bench -p modelwatch --bench config`). A tree that is not of
    /// this very text (or none, `&[]`) is ignored and the text read, so the answer is the
    /// same.
    pub fn parse_with_tree(file: &str, text: &str, tree: &[u8]) -> Result<Config, ConfigErrors> {
        let all = |mut errors: Vec<ConfigError>| {
            errors.sort_by_key(|e| (e.line, e.column));
            ConfigErrors {
                file: file.to_owned(),
                errors,
            }
        };
        let tree = match tree::decode(text, tree) {
            Some(tree) => tree,
            None => tree::read(text).map_err(|e| syntax_error(file, text, &e))?,
        };
        match &tree.value {
            tree::Value::Map(_) => {}
            tree::Value::Null => return Err(ConfigErrors::one(file, 1, 1, EMPTY)),
            other => {
                return Err(ConfigErrors::one(
                    file,
                    1,
                    1,
                    format!(
                        "the configuration is {}: expected a mapping with keys such as models: and monitors:",
                        other.found()
                    ),
                ));
            }
        }
        let problems = shape::check(&tree, &schema::ROOT, text);
        if !problems.is_empty() {
            return Err(all(problems));
        }
        // The shape is right, so the typed parse fails only on what the schema cannot
        // say (a number too large for its type).
        let raw: raw::RawConfig = typed::from_tree(text, &tree).map_err(|e| {
            let (line, column) = e.at.unwrap_or((1, 1));
            ConfigErrors::one(file, line, column, e.message)
        })?;
        validate::validate(file, raw).map_err(all)
    }

    /// `monitor`'s id with a digest of everything that decides its verdicts: its own
    /// settings, a composite's monitors' (in turn), and for a version comparison without a
    /// stable version of its own, its models' stable versions. What a run records as
    /// evaluated, so a run after the monitor changed does not take the last run's
    /// knowledge of it as its own (a tightened threshold must page a group already past
    /// it).
    pub fn judged_as(&self, monitor: &Monitor) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        self.feed_verdict_settings(monitor, &mut hasher, 0);
        format!("{}#{}", monitor.id, hex::encode(&hasher.finalize()[..6]))
    }

    fn feed_verdict_settings(&self, monitor: &Monitor, hasher: &mut sha2::Sha256, depth: usize) {
        use sha2::Digest;
        hasher.update(monitor.verdict_settings().as_bytes());
        match &monitor.rule {
            // `validate` refuses a composite that names itself; the depth only bounds it.
            Rule::Composite(expr) if depth < 8 => {
                for id in expr.monitors() {
                    hasher.update(b"|member:");
                    if let Some(member) = self.monitor(id) {
                        self.feed_verdict_settings(member, hasher, depth + 1);
                    }
                }
            }
            Rule::VersionCompare(vc) if vc.stable_version.is_none() => {
                for model in self.models.values() {
                    if monitor.models.is_empty() || monitor.models.contains(&model.name) {
                        hasher.update(format!("|stable:{}={:?}", model.name, model.stable_version));
                    }
                }
            }
            _ => {}
        }
    }

    pub fn monitor(&self, id: &str) -> Option<&Monitor> {
        self.monitors.iter().find(|m| m.id == id)
    }

    /// The monitor a native Datadog copy's `modelwatch-monitor:` tag names (Datadog writes
    /// tags in lowercase).
    pub fn copied_monitor(&self, tagged: &str) -> Option<&Monitor> {
        self.monitors
            .iter()
            .find(|m| m.id.eq_ignore_ascii_case(tagged))
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models.get(name)
    }

    /// How an alert of `monitor` opening at `level` at `at` escalates: the routing's
    /// timeouts and renotify interval, capped by the monitor's max level and by the
    /// time policies in force at `at` (for example no L2 for L1-class issues at night).
    pub fn escalation_policy(
        &self,
        monitor: &str,
        level: Level,
        at: Timestamp,
    ) -> EscalationPolicy {
        self.alert_policy(monitor, level, level, at)
    }

    /// The policy in force at `at` of an open alert of `monitor` at `level`, whose breaches
    /// asked for `asked`: a time policy applies when `asked` or `level` is among its levels
    /// (an alert that opened as a warning and escalated unanswered is still a warning), and
    /// never caps it below either; the renotify interval is `level`'s.
    pub fn alert_policy(
        &self,
        monitor: &str,
        asked: Level,
        level: Level,
        at: Timestamp,
    ) -> EscalationPolicy {
        let monitor_max = self.monitor_max_levels.get(monitor).copied();
        self.routing
            .escalation_policy(asked, level, monitor_max, at)
    }

    /// Where `level` goes for `model`: L1 to the model's team channel (or the default
    /// channel for a model the file does not know: never dropped), plus the level's own
    /// channels and PagerDuty key name — or, where a route for the model or its family
    /// names them, that route's.
    pub fn route(&self, level: Level, model: Option<&str>) -> Route<'_> {
        let known = model.and_then(|m| self.models.get(m));
        let family = known.and_then(|m| m.family.as_deref());
        let index = level.index();
        let overrides: Vec<&LevelOverride> = self
            .routing
            .routes
            .iter()
            .filter(|r| r.matches.applies(model, family))
            .map(|r| &r.levels[index])
            .collect();
        let lr = self.routing.level(level);
        let channels = overrides
            .iter()
            .find_map(|o| o.slack_channels.as_ref())
            .unwrap_or(&lr.slack_channels);
        let pagerduty = overrides
            .iter()
            .find_map(|o| o.pagerduty.as_deref())
            .or(lr.pagerduty.as_deref());
        let mut slack_channels: Vec<&str> = Vec::new();
        if level == Level::L1 {
            slack_channels.push(
                known.map_or(self.routing.default_slack_channel.as_str(), |m| {
                    m.slack_channel.as_str()
                }),
            );
        }
        for c in channels {
            if !slack_channels.contains(&c.as_str()) {
                slack_channels.push(c);
            }
        }
        Route {
            slack_channels,
            pagerduty,
        }
    }

    /// The runbook and dashboard links of `monitor` on `group` (none for an unknown model).
    pub fn links(&self, monitor: &str, group: &Group) -> ModelLinks {
        group
            .model
            .as_deref()
            .and_then(|m| self.models.get(m))
            .map(|m| m.links(monitor, group))
            .unwrap_or_default()
    }
}

/// What an empty file, or one that watches nothing, is told.
pub(super) const EMPTY: &str = "the configuration is empty: expected `models:` (to route Datadog's alerts) or `monitors:` (to evaluate metrics); `modelwatch reference` lists every key";

fn location(e: &serde_saphyr::Error) -> (u32, u32) {
    e.location()
        .map_or((1, 1), |l| (l.line() as u32, l.column() as u32))
}

/// A YAML syntax error. An unclosed `[` or `{` is found only where the parser gives up,
/// often a line later: the message points back at the bracket left open.
fn syntax_error(file: &str, text: &str, e: &serde_saphyr::Error) -> ConfigErrors {
    let (line, column) = location(e);
    let message = plain_message(e);
    if let Some((open_line, open_column, bracket)) = unclosed_bracket(text, line) {
        let close = if bracket == '[' { ']' } else { '}' };
        return ConfigErrors::one(
            file,
            open_line,
            open_column,
            format!("this {bracket} is not closed: expected {close} before line {line}"),
        );
    }
    ConfigErrors::one(file, line, column, format!("invalid YAML: {message}"))
}

/// The innermost `[` or `{` still open when the parser gave up at `line`, if any.
fn unclosed_bracket(text: &str, line: u32) -> Option<(u32, u32, char)> {
    let mut open: Vec<(u32, u32, char)> = Vec::new();
    for (i, row) in text.lines().enumerate().take(line as usize) {
        let code = row.split(" #").next().unwrap_or_default();
        let mut quote: Option<char> = None;
        let mut previous = ' ';
        for (col, c) in code.chars().enumerate() {
            let starts_token = previous.is_whitespace() || "[{,:".contains(previous);
            previous = c;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                // A quote inside a word (`don't`) opens nothing.
                (None, '"' | '\'') if starts_token => quote = Some(c),
                (None, '[' | '{') => open.push((i as u32 + 1, col as u32 + 1, c)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    open.pop()
}

/// The parser's message without the location it appends (we print ours in front).
fn plain_message(e: &serde_saphyr::Error) -> String {
    let options = serde_saphyr::render_options! {
        snippets: serde_saphyr::SnippetMode::Off,
    };
    let text = e.render_with_options(options);
    let text = text.lines().next().unwrap_or_default().trim();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}
