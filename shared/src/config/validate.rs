//! From the file as written to a valid [`Config`]: every value checked, every reference
//! resolved, and every problem collected with its position rather than the first only.

use std::collections::{BTreeMap, BTreeSet};

use jiff::tz::TimeZone;

use super::duration::{self, DAYS_EXPECTED, parse_clock, parse_days, parse_secs};
use super::error::ConfigError;
use super::levels::LevelMap;
use super::model::{Metric, MetricClass, Model, PLACEHOLDERS};
use super::raw::*;
use super::reports;
use super::routing::{LevelOverride, LevelRoute, RouteMatch, RouteOverride, Routing, TimePolicy};
use super::templates::{self, template};
use super::{Config, tz};
use crate::domain::{FlapPolicy, Level};
use crate::report::Better;
use crate::rules::{
    Aggregation, Anomaly, Baseline, Bound, Direction, Expr, Method, Monitor, MonitorLevels,
    NoDataPolicy, Rule, ScheduledThreshold, Seasonality, Threshold, TimeWindow, Trigger,
    VersionCompare,
};

/// Collects problems; each names the bad value and the expected form.
#[derive(Default)]
pub(super) struct Problems(pub Vec<ConfigError>);

impl Problems {
    pub(super) fn at<T>(&mut self, s: &S<T>, message: String) {
        self.0.push(ConfigError {
            line: s.referenced.line() as u32,
            column: s.referenced.column() as u32,
            message,
        });
    }

    /// Parses `s` with `f`, or records "invalid {what} {s}: expected {expected}".
    pub(super) fn parse<U>(
        &mut self,
        s: &S<String>,
        what: &str,
        expected: &str,
        f: impl FnOnce(&str) -> Option<U>,
    ) -> Option<U> {
        let found = f(&s.value);
        if found.is_none() {
            self.at(
                s,
                format!("invalid {what} {:?}: expected {expected}", s.value),
            );
        }
        found
    }

    fn duration(&mut self, s: &S<String>, what: &str) -> Option<u64> {
        self.parse(s, what, duration::EXPECTED, parse_secs)
    }

    fn level(&mut self, s: &S<String>, what: &str) -> Option<Level> {
        self.parse(s, what, "L1, L2 or L3", |v| v.parse().ok())
    }

    fn time_zone(&mut self, s: &S<String>) -> Option<TimeZone> {
        self.parse(
            s,
            "time zone",
            "an IANA time zone such as Europe/Berlin, America/New_York or UTC",
            tz,
        )
    }

    fn window(
        &mut self,
        name: &str,
        days: &S<String>,
        from: &S<String>,
        to: &S<String>,
    ) -> Option<TimeWindow> {
        let days = self.parse(days, "days", DAYS_EXPECTED, parse_days);
        let from = self.parse(from, "start time", "a time of day as HH:MM", parse_clock);
        let to = self.parse(to, "end time", "a time of day as HH:MM", parse_clock);
        Some(TimeWindow {
            name: name.to_owned(),
            days: days?,
            from_minute: from?,
            to_minute: to?,
        })
    }
}

pub(super) fn one_of<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    if names.is_empty() {
        "one declared first (the list is empty)".to_owned()
    } else {
        format!("one of {}", names.join(", "))
    }
}

/// Monitor-wide settings the defaults section may change.
struct Defaults {
    every_secs: u64,
    window_secs: u64,
    trigger: Trigger,
    recovery_clean: u32,
    no_data: NoDataPolicy,
}

pub(super) fn validate(file: &str, raw: RawConfig) -> Result<Config, Vec<ConfigError>> {
    let mut p = Problems::default();
    if raw.models.is_empty() && raw.monitors.is_empty() {
        p.0.push(ConfigError {
            line: 1,
            column: 1,
            message: super::EMPTY.to_owned(),
        });
    }
    let time_zone = raw
        .time_zone
        .as_ref()
        .and_then(|s| p.time_zone(s))
        .unwrap_or(TimeZone::UTC);

    let mut metrics = BTreeMap::new();
    for m in raw.metrics {
        if metrics.contains_key(&m.name.value) {
            p.at(
                &m.name,
                format!(
                    "metric {:?} is declared twice: expected unique metric names",
                    m.name.value
                ),
            );
        }
        let class = m
            .kind
            .as_ref()
            .and_then(|s| p.parse(s, "metric kind", MetricClass::NAMES, MetricClass::parse))
            .unwrap_or(MetricClass::Technical);
        let better = m
            .better
            .as_ref()
            .and_then(|s| {
                p.parse(s, "`better`", "higher or lower", |v| match v {
                    "higher" => Some(Better::Up),
                    "lower" => Some(Better::Down),
                    _ => None,
                })
            })
            .unwrap_or(Better::Neither);
        metrics.insert(
            m.name.value.clone(),
            Metric {
                name: m.name.value,
                unit: m.unit,
                description: m.description,
                class,
                better,
            },
        );
    }

    let mut models = BTreeMap::new();
    for m in raw.models {
        models.insert(m.name.value.clone(), model(&mut p, m, &models));
    }

    let reports = raw
        .reports
        .map(|r| reports::reports(&mut p, r, &metrics, &models))
        .unwrap_or_default();
    let (levels, defaults) = defaults(&mut p, raw.defaults.unwrap_or_default());
    let routing = match raw.routing {
        Some(r) => routing(&mut p, r, &time_zone, &models),
        None => default_routing(),
    };

    let ids: BTreeSet<String> = raw.monitors.iter().map(|m| m.id.value.clone()).collect();
    let mut monitors = Vec::new();
    let mut monitor_max_levels = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for m in &raw.monitors {
        if !seen.insert(m.id.value.clone()) {
            p.at(
                &m.id,
                format!(
                    "monitor {:?} is declared twice: expected unique monitor ids",
                    m.id.value
                ),
            );
        }
        if let Some(max) = m.max_level.as_ref().and_then(|s| p.level(s, "max level")) {
            monitor_max_levels.insert(m.id.value.clone(), max);
        }
        let checked = monitor(
            &mut p,
            m,
            &Context {
                metrics: &metrics,
                models: &models,
                ids: &ids,
                defaults: &defaults,
                time_zone: &time_zone,
            },
        );
        if let Some(checked) = checked {
            monitors.push(checked);
        }
    }
    composite_cycles(&mut p, &raw.monitors);
    composite_cadences(&mut p, &raw.monitors, &monitors);
    let datadog = raw
        .datadog
        .map(|d| super::datadog::datadog(&mut p, d, &monitors))
        .unwrap_or_default();
    let probes = raw
        .probes
        .map(|r| super::probes::probes(&mut p, r, &models))
        .unwrap_or_default();

    if !p.0.is_empty() {
        p.0.sort_by_key(|e| (e.line, e.column));
        return Err(p.0);
    }
    Ok(Config {
        file: file.to_owned(),
        time_zone,
        metrics,
        models,
        monitors,
        monitor_max_levels,
        routing,
        levels,
        reports,
        datadog,
        probes,
    })
}

/// A tag value as Datadog stores it (its tagging guide): lowercase, and characters other
/// than letters, digits, `_`, `-`, `:`, `.` and `/` as `_`. A model or version written any
/// other way would never match the `model:` and `model_version:` tags of its series.
fn as_datadog_tags_it(value: &str) -> String {
    value
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c.is_alphanumeric() || "_-:./".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn model(p: &mut Problems, m: RawModel, known: &BTreeMap<String, Model>) -> Model {
    if known.contains_key(&m.name.value) {
        p.at(
            &m.name,
            format!(
                "model {:?} is declared twice: expected unique model names",
                m.name.value
            ),
        );
    }
    if crate::domain::ModelRef::new(&m.name.value, None).is_err() {
        p.at(
            &m.name,
            format!(
                "invalid model name {:?}: expected 1 to 200 characters without spaces",
                m.name.value
            ),
        );
    }
    for value in std::iter::once(&m.name).chain(&m.versions) {
        let tagged = as_datadog_tags_it(&value.value);
        if tagged != value.value {
            p.at(
                value,
                format!(
                    "{:?} would never match its series' tags: Datadog lowercases tag values and \
                     turns characters other than letters, digits, `_`, `-`, `:`, `.` and `/` \
                     into `_`: expected {tagged:?}",
                    value.value
                ),
            );
        }
    }
    if let Some(stable) = &m.stable_version
        && !m.versions.iter().any(|v| v.value == stable.value)
    {
        let versions: Vec<String> = m.versions.iter().map(|v| v.value.clone()).collect();
        p.at(
            stable,
            format!(
                "model {:?} names stable version {:?} that it does not list: expected {}",
                m.name.value,
                stable.value,
                one_of(versions.iter())
            ),
        );
    }
    slack_channel(p, &m.slack_channel);
    for url in [&m.runbook, &m.dashboard].into_iter().flatten() {
        template_url(p, url);
    }
    Model {
        name: m.name.value,
        versions: m.versions.into_iter().map(|v| v.value).collect(),
        stable_version: m.stable_version.map(|v| v.value),
        team: m.team.value,
        family: m.family.map(|f| f.value),
        slack_channel: m.slack_channel.value,
        runbook: m.runbook.map(|v| v.value),
        dashboard: m.dashboard.map(|v| v.value),
    }
}

/// A Slack channel as the configuration may name it.
pub(super) fn slack_channel(p: &mut Problems, channel: &S<String>) {
    let prefixed = channel.value.starts_with('#') || channel.value.starts_with('C');
    if !prefixed || crate::slack::ChannelId::new(&channel.value).is_err() {
        p.at(
            channel,
            format!(
                "invalid Slack channel {:?}: expected a #name or a channel id such as C0123456789 (no spaces)",
                channel.value
            ),
        );
    }
}

fn template_url(p: &mut Problems, url: &S<String>) {
    if !url.value.starts_with("https://") && !url.value.starts_with("http://") {
        p.at(
            url,
            format!(
                "invalid URL template {:?}: expected an http(s) URL",
                url.value
            ),
        );
    }
    let mut rest = url.value.as_str();
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        let placeholder = &rest[start..end];
        if !PLACEHOLDERS.contains(&placeholder) {
            p.at(
                url,
                format!(
                    "unknown placeholder {placeholder:?} in {:?}: expected {}",
                    url.value,
                    PLACEHOLDERS.join(", ")
                ),
            );
        }
        rest = &rest[end..];
    }
}

fn defaults(p: &mut Problems, d: RawDefaults) -> (LevelMap, Defaults) {
    let mut levels = LevelMap::default();
    if let Some(pr) = &d.priorities {
        for (i, s) in [&pr.p1, &pr.p2, &pr.p3, &pr.p4, &pr.p5]
            .into_iter()
            .enumerate()
        {
            if let Some(level) = s.as_ref().and_then(|s| p.level(s, "priority level")) {
                levels.priorities[i] = level;
            }
        }
    }
    if let Some(level) = d.warn.as_ref().and_then(|s| p.level(s, "warn level")) {
        levels.warn = level;
    }
    if let Some(level) = d
        .unknown
        .as_ref()
        .and_then(|s| p.level(s, "unknown-priority level"))
    {
        levels.unknown = level;
    }
    let monitor = Defaults {
        every_secs: d
            .every
            .as_ref()
            .and_then(|s| p.duration(s, "evaluation interval"))
            .unwrap_or(60),
        window_secs: d
            .window
            .as_ref()
            .and_then(|s| p.duration(s, "window"))
            .unwrap_or(5 * 60),
        trigger: d
            .trigger
            .as_ref()
            .and_then(|t| trigger(p, t))
            .unwrap_or(Trigger { breaches: 1, of: 1 }),
        recovery_clean: d
            .recovery
            .as_ref()
            .and_then(|r| recovery(p, r))
            .unwrap_or(1),
        no_data: d
            .no_data
            .as_ref()
            .and_then(|s| no_data(p, s))
            .unwrap_or(NoDataPolicy::Ignore),
    };
    (levels, monitor)
}

fn trigger(p: &mut Problems, t: &RawTrigger) -> Option<Trigger> {
    let (n, m) = (t.breaches.value, t.of.value);
    if n == 0 || n > m || m > 1000 {
        p.at(&t.breaches, format!(
            "invalid trigger window {n} of {m}: expected breaches between 1 and `of`, and `of` at most 1000"
        ));
        return None;
    }
    Some(Trigger { breaches: n, of: m })
}

fn recovery(p: &mut Problems, r: &RawRecovery) -> Option<u32> {
    if r.clean.value == 0 || r.clean.value > 1000 {
        p.at(
            &r.clean,
            format!(
                "invalid recovery window {}: expected 1 to 1000 clean evaluations",
                r.clean.value
            ),
        );
        return None;
    }
    Some(r.clean.value)
}

fn no_data(p: &mut Problems, s: &S<String>) -> Option<NoDataPolicy> {
    p.parse(
        s,
        "no-data policy",
        NoDataPolicy::NAMES,
        NoDataPolicy::parse,
    )
}

fn default_routing() -> Routing {
    Routing {
        default_slack_channel: "#modelwatch".to_owned(),
        pagerduty_keys: BTreeMap::new(),
        levels: Default::default(),
        max_level: Level::L3,
        flapping: FlapPolicy::default(),
        time_policies: Vec::new(),
        routes: Vec::new(),
    }
}

/// Routes per model or family: each matches exactly one known model or family, and names
/// only declared PagerDuty keys.
fn routes(
    p: &mut Problems,
    raw: &[RawRoute],
    keys: &BTreeMap<String, String>,
    models: &BTreeMap<String, Model>,
) -> Vec<RouteOverride> {
    let families: BTreeSet<String> = models.values().filter_map(|m| m.family.clone()).collect();
    let mut out = Vec::new();
    for r in raw {
        let m = &r.matches.value;
        let matches = match (&m.model, &m.family) {
            (Some(model), None) => {
                if !models.contains_key(&model.value) {
                    p.at(
                        model,
                        format!(
                            "route for unknown model {:?}: expected {}",
                            model.value,
                            one_of(models.keys())
                        ),
                    );
                }
                RouteMatch::Model(model.value.clone())
            }
            (None, Some(family)) => {
                if !families.contains(&family.value) {
                    p.at(
                        family,
                        format!(
                            "route for unknown family {:?}: expected {} (a model's `family`)",
                            family.value,
                            one_of(families.iter())
                        ),
                    );
                }
                RouteMatch::Family(family.value.clone())
            }
            _ => {
                p.at(
                    &r.matches,
                    "a route matches either `model: NAME` or `family: NAME`".to_owned(),
                );
                continue;
            }
        };
        let mut level = |raw: &Option<RawRouteLevel>, level: Level| {
            let Some(raw) = raw else {
                return LevelOverride::default();
            };
            if let Some(name) = &raw.pagerduty
                && !keys.contains_key(&name.value)
            {
                p.at(
                    name,
                    format!(
                        "{level} of this route refers to unknown PagerDuty key {:?}: expected {}",
                        name.value,
                        one_of(keys.keys())
                    ),
                );
            }
            for c in raw.slack.iter().flatten() {
                slack_channel(p, c);
            }
            LevelOverride {
                slack_channels: raw
                    .slack
                    .as_ref()
                    .map(|cs| cs.iter().map(|c| c.value.clone()).collect()),
                pagerduty: raw.pagerduty.as_ref().map(|s| s.value.clone()),
            }
        };
        let levels = [
            level(&r.l1, Level::L1),
            level(&r.l2, Level::L2),
            level(&r.l3, Level::L3),
        ];
        out.push(RouteOverride { matches, levels });
    }
    out
}

fn routing(
    p: &mut Problems,
    r: RawRouting,
    default_tz: &TimeZone,
    models: &BTreeMap<String, Model>,
) -> Routing {
    let mut keys = BTreeMap::new();
    for k in &r.pagerduty_keys {
        if keys
            .insert(k.name.value.clone(), k.secret.value.clone())
            .is_some()
        {
            p.at(
                &k.name,
                format!(
                    "PagerDuty key name {:?} is declared twice: expected unique names",
                    k.name.value
                ),
            );
        }
    }
    let mut level_route = |raw: &Option<RawLevelRoute>, level: Level| {
        let Some(raw) = raw else {
            return LevelRoute::default();
        };
        if let Some(name) = &raw.pagerduty
            && !keys.contains_key(&name.value)
        {
            p.at(
                name,
                format!(
                    "{level} refers to unknown PagerDuty key {:?}: expected {}",
                    name.value,
                    one_of(keys.keys())
                ),
            );
        }
        for c in &raw.slack {
            slack_channel(p, c);
        }
        LevelRoute {
            slack_channels: raw.slack.iter().map(|s| s.value.clone()).collect(),
            pagerduty: raw.pagerduty.as_ref().map(|s| s.value.clone()),
            escalate_after_secs: raw
                .escalate_after
                .as_ref()
                .and_then(|s| p.duration(s, "escalation timeout")),
            renotify_secs: raw
                .renotify
                .as_ref()
                .and_then(|s| p.duration(s, "renotify interval")),
        }
    };
    let levels = [
        level_route(&r.l1, Level::L1),
        level_route(&r.l2, Level::L2),
        level_route(&r.l3, Level::L3),
    ];
    let flapping = match &r.flapping {
        Some(f) => FlapPolicy {
            changes: f.changes.max(2),
            window_secs: p.duration(&f.window, "flapping window").unwrap_or(30 * 60),
        },
        None => FlapPolicy::default(),
    };
    let mut time_policies = Vec::new();
    for t in &r.time_policies {
        let zone = match &t.time_zone {
            Some(s) => p.time_zone(s),
            None => Some(default_tz.clone()),
        };
        let window = p.window(&t.name, &t.days, &t.from, &t.to);
        let levels: Vec<Option<Level>> = t.levels.iter().map(|s| p.level(s, "level")).collect();
        let max_level = p.level(&t.max_level, "max level");
        if let (Some(time_zone), Some(window), Some(max_level)) = (zone, window, max_level) {
            time_policies.push(TimePolicy {
                name: t.name.clone(),
                time_zone,
                window,
                levels: levels.into_iter().flatten().collect(),
                max_level,
            });
        }
    }
    let routes = routes(p, &r.routes, &keys, models);
    levels_sharing_a_routing_key(p, &r, &keys, models);
    slack_channel(p, &r.default_slack_channel);
    Routing {
        default_slack_channel: r.default_slack_channel.value,
        pagerduty_keys: keys,
        levels,
        max_level: r
            .max_level
            .as_ref()
            .and_then(|s| p.level(s, "max level"))
            .unwrap_or(Level::L3),
        flapping,
        time_policies,
        routes,
    }
}

/// A level that pages the routing key a lower level of the same alert pages would page no
/// one: PagerDuty folds a trigger carrying the open incident's dedup key, on the same
/// routing key, into that incident (Events API v2), and modelwatch's dedup key is the
/// alert's cycle, not its level. Checked for every model as [`Config::route`] resolves it,
/// and for a model the file does not know; keys compare by the secret entry they read.
fn levels_sharing_a_routing_key(
    p: &mut Problems,
    r: &RawRouting,
    keys: &BTreeMap<String, String>,
    models: &BTreeMap<String, Model>,
) {
    let shared = [&r.l1, &r.l2, &r.l3];
    // Levels above the routing's cap never page.
    let max_level = r
        .max_level
        .as_ref()
        .and_then(|s| s.value.parse::<Level>().ok())
        .unwrap_or(Level::L3);
    let mut reported = BTreeSet::new();
    let unknown = std::iter::once((None, None));
    let known = models
        .values()
        .map(|m| (Some(m.name.as_str()), m.family.as_deref()));
    for (model, family) in unknown.chain(known) {
        let applies = |m: &RawRouteMatch| match (&m.model, &m.family) {
            (Some(name), None) => model == Some(name.value.as_str()),
            (None, Some(name)) => family == Some(name.value.as_str()),
            _ => false,
        };
        // Each level's key for this model, and whether a route (not the shared level) names it.
        let paged: Vec<Option<(&S<String>, bool)>> = (0..3)
            .map(|i| {
                r.routes
                    .iter()
                    .filter(|route| applies(&route.matches.value))
                    .find_map(|route| {
                        [&route.l1, &route.l2, &route.l3][i]
                            .as_ref()
                            .and_then(|l| l.pagerduty.as_ref())
                    })
                    .map(|k| (k, true))
                    .or_else(|| {
                        shared[i]
                            .as_ref()
                            .and_then(|l| l.pagerduty.as_ref())
                            .map(|k| (k, false))
                    })
            })
            .collect();
        for (higher, entry) in paged.iter().enumerate().take(max_level.index() + 1) {
            let Some((key, key_routed)) = *entry else {
                continue;
            };
            let Some(secret) = keys.get(&key.value) else {
                continue; // an unknown key name, already reported
            };
            let lower = paged[..higher].iter().enumerate().find_map(|(i, k)| {
                k.filter(|(k, _)| keys.get(&k.value) == Some(secret))
                    .map(|(k, routed)| (i, k, routed))
            });
            let Some((lower, lower_key, lower_routed)) = lower else {
                continue;
            };
            // Pointed at where the clash comes from: the route's key when only the lower
            // level's is a route's (the shared key above is fine for other models).
            let at = if lower_routed && !key_routed {
                lower_key
            } else {
                key
            };
            if !reported.insert((at.referenced.line(), at.referenced.column())) {
                continue;
            }
            let (higher, lower) = (Level::ALL[higher], Level::ALL[lower]);
            let same = if lower_key.value == key.value {
                format!("PagerDuty key {:?}, which {lower} already pages", key.value)
            } else {
                format!(
                    "PagerDuty key {:?}, which reads the secret entry {secret:?} as {lower}'s key {:?} does",
                    key.value, lower_key.value
                )
            };
            let whom = model.map_or_else(
                || "models no route names".to_owned(),
                |m| format!("model {m:?}"),
            );
            let expected = if std::ptr::eq(at, lower_key) {
                format!("expected another key for {lower} on this route")
            } else {
                format!(
                    "expected a key of {higher}'s own, or no `pagerduty` at {higher} to keep it in Slack"
                )
            };
            p.at(
                at,
                format!(
                    "{higher} pages {same} (for {whom}): PagerDuty folds a trigger with the same dedup key on the same routing key into the incident already open, so the escalation to {higher} would page no one; {expected}"
                ),
            );
        }
    }
}

struct Context<'a> {
    metrics: &'a BTreeMap<String, Metric>,
    models: &'a BTreeMap<String, Model>,
    ids: &'a BTreeSet<String>,
    defaults: &'a Defaults,
    time_zone: &'a TimeZone,
}

fn monitor(p: &mut Problems, m: &RawMonitor, cx: &Context<'_>) -> Option<Monitor> {
    let id = &m.id.value;
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if !valid_id {
        p.at(
            &m.id,
            format!("invalid monitor id {id:?}: expected letters, digits, '_', '-' or '.'"),
        );
    }
    for model in &m.models {
        if !cx.models.contains_key(&model.value) {
            p.at(
                model,
                format!(
                    "monitor {id:?} refers to unknown model {:?}: expected {}",
                    model.value,
                    one_of(cx.models.keys())
                ),
            );
        }
    }
    let template = m
        .template
        .as_ref()
        .and_then(|s| p.parse(s, "template", templates::NAMES, template));
    if let (Some(r), Some(t)) = (&m.rule, &m.template) {
        p.at(r, format!(
            "monitor {id:?} has both `template: {}` and `rule:`: expected one of them (to change a template's rule, write the rule out and drop `template:`)",
            t.value
        ));
    }
    let rule = match (&m.rule, template.as_ref()) {
        (Some(r), _) => rule(p, r, id, cx),
        (None, Some(t)) => Some(t.rule.clone()),
        (None, None) => {
            if m.template.is_none() {
                p.at(&m.id, format!(
                    "monitor {id:?} has no rule: expected `rule:` (threshold, schedule, baseline, version_compare or composite) or `template:` ({})",
                    templates::NAMES
                ));
            }
            None
        }
    };
    let composite = matches!(rule, Some(Rule::Composite(_)));
    match (&m.metric, composite) {
        (Some(metric), _) if !cx.metrics.contains_key(&metric.value) => p.at(metric, format!(
            "monitor {id:?} refers to unknown metric {:?}: expected {}",
            metric.value,
            one_of(cx.metrics.keys())
        )),
        (None, false) if rule.is_some() => p.at(&m.id, format!(
            "monitor {id:?} has no metric: expected `metric:` naming one of the metrics declared under `metrics:`"
        )),
        _ => {}
    }
    let d = cx.defaults;
    let every_secs = m
        .every
        .as_ref()
        .and_then(|s| p.duration(s, "evaluation interval"));
    let window_secs = m.window.as_ref().and_then(|s| p.duration(s, "window"));
    let aggregation = m
        .aggregation
        .as_ref()
        .and_then(|s| p.parse(s, "aggregation", Aggregation::NAMES, Aggregation::parse));
    let trigger_set = m.trigger.as_ref().and_then(|t| trigger(p, t));
    let recovery_set = m.recovery.as_ref().and_then(|r| recovery(p, r));
    let no_data_set = m.no_data.as_ref().and_then(|s| no_data(p, s));
    let time_zone = match &m.time_zone {
        Some(s) => p.time_zone(s),
        None => Some(cx.time_zone.clone()),
    };
    let mut levels = MonitorLevels::default();
    if let Some(l) = &m.levels {
        if let Some(level) = l.warn.as_ref().and_then(|s| p.level(s, "warn level")) {
            levels.warn = level;
        }
        if let Some(level) = l.alert.as_ref().and_then(|s| p.level(s, "alert level")) {
            levels.alert = level;
        }
    }
    let replay = m.replay.as_ref().map(|r| r.value).unwrap_or(60);
    let (rule, time_zone) = (rule?, time_zone?);
    let t = template.as_ref();
    // A baseline holds single points of history: a window's sum is several of them.
    if let (Rule::Baseline(_), Some(agg), Some(Aggregation::Sum)) =
        (&rule, &m.aggregation, aggregation)
    {
        p.at(agg, format!(
            "monitor {id:?} compares the window's sum with a baseline of single points, so it would always look several times too high: expected avg, min, max, last or a percentile"
        ));
    }
    if let Some(query) = &m.query {
        grouping(p, query, id, &rule, &m.models, cx);
    }
    let trigger = trigger_set.or(t.map(|t| t.trigger)).unwrap_or(d.trigger);
    Some(Monitor {
        id: id.clone(),
        name: m.name.clone().unwrap_or_else(|| id.clone()),
        metric: m.metric.as_ref().map(|s| s.value.clone()),
        query: m.query.as_ref().map(|q| q.value.clone()).or_else(|| {
            let metric = m.metric.as_ref()?;
            t.and_then(|t| t.query(&metric.value))
        }),
        rule,
        window_secs: window_secs
            .or(t.map(|t| t.window_secs))
            .unwrap_or(d.window_secs),
        aggregation: aggregation
            .or(t.map(|t| t.aggregation))
            .unwrap_or(Aggregation::Avg),
        every_secs: every_secs
            .or(t.map(|t| t.every_secs))
            .unwrap_or(d.every_secs),
        trigger,
        recovery_clean: recovery_set
            .or(t.map(|t| t.recovery_clean))
            .unwrap_or(d.recovery_clean),
        no_data: no_data_set
            .or(t.and_then(|t| t.no_data))
            .unwrap_or(d.no_data),
        replay: replay.max(trigger.of),
        time_zone,
        levels,
        models: m.models.iter().map(|s| s.value.clone()).collect(),
        runbook_steps: m.runbook_steps.clone(),
        tags: m.tags.clone(),
    })
}

/// A monitor's own query must group by what its alerts are about: `model`, and
/// `model_version` where versions matter (a version comparison, or a model that lists its
/// versions, whose listed versions are each expected to report). Otherwise no group
/// stands for a model, and the monitor either judges nothing without a word or takes the
/// listed versions for silent ones.
fn grouping(
    p: &mut Problems,
    query: &S<String>,
    id: &str,
    rule: &Rule,
    models: &[S<String>],
    cx: &Context<'_>,
) {
    let by = grouped_by(&query.value);
    let versioned = matches!(rule, Rule::VersionCompare(_))
        || cx
            .models
            .values()
            .filter(|model| models.is_empty() || models.iter().any(|m| m.value == model.name))
            .any(|model| !model.versions.is_empty());
    let mut missing = Vec::new();
    if !by.contains(&"model") {
        missing.push("model");
    }
    if versioned && !by.contains(&"model_version") {
        missing.push("model_version");
    }
    if !missing.is_empty() {
        p.at(query, format!(
            "monitor {id:?} reads a query not grouped by {}: expected `by {{model,model_version,env}}` (or at least the tags named), so that each model and version is judged alone and its alerts name it",
            missing.join(" and ")
        ));
    }
    // A group is a model, version and environment: series that differ only in another
    // tag would land in one group, their points mixed (a sum counted twice, `last` from
    // either).
    let others: Vec<&str> = by
        .iter()
        .copied()
        .filter(|t| !["model", "model_version", "env"].contains(t))
        .collect();
    if !others.is_empty() {
        p.at(query, format!(
            "monitor {id:?} reads a query also grouped by {}: its series would be mixed into one group per model, version and environment; expected only `model`, `model_version` and `env` in `by {{…}}` (Datadog then aggregates the other tags away)",
            others.join(", ")
        ));
    }
}

/// The tags of a Datadog query's last `by {…}` clause, however spaced (`by{a,b}`,
/// `by  { a, b }`); none without one.
fn grouped_by(query: &str) -> Vec<&str> {
    query
        .rmatch_indices("by")
        .find_map(|(i, _)| {
            let before = query[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':')) {
                return None;
            }
            let (tags, _) = query[i + 2..]
                .trim_start()
                .strip_prefix('{')?
                .split_once('}')?;
            Some(tags.split(',').map(str::trim).collect())
        })
        .unwrap_or_default()
}

fn rule(p: &mut Problems, r: &S<RawRule>, id: &str, cx: &Context<'_>) -> Option<Rule> {
    Some(match &r.value {
        RawRule::Threshold(t) => Rule::Threshold(threshold(p, t)?),
        RawRule::Schedule(s) => {
            let mut windows = Vec::new();
            for w in &s.windows {
                let window = p.window(&w.name, &w.days, &w.from, &w.to);
                let t = threshold(p, &w.threshold);
                windows.push((window, t));
            }
            let otherwise = threshold(p, &s.otherwise);
            let windows: Option<Vec<_>> =
                windows.into_iter().map(|(w, t)| Some((w?, t?))).collect();
            Rule::Schedule(ScheduledThreshold {
                windows: windows?,
                otherwise: otherwise?,
            })
        }
        RawRule::Baseline(b) => Rule::Baseline(baseline(p, b)?),
        RawRule::Anomaly(a) => Rule::Anomaly(anomaly(p, a)?),
        RawRule::VersionCompare(c) => {
            let change = threshold(p, &c.change);
            if let Some(v) = &c.stable_version {
                let listed = cx.models.values().any(|m| m.versions.contains(&v.value));
                if !listed {
                    let all: Vec<String> = cx
                        .models
                        .values()
                        .flat_map(|m| m.versions.clone())
                        .collect();
                    p.at(
                        v,
                        format!(
                            "monitor {id:?} compares against unknown version {:?}: expected {}",
                            v.value,
                            one_of(all.iter())
                        ),
                    );
                }
            }
            Rule::VersionCompare(VersionCompare {
                stable_version: c.stable_version.as_ref().map(|s| s.value.clone()),
                change: change?,
            })
        }
        RawRule::Composite(text) => match Expr::parse(&text.value) {
            Ok(expr) => {
                for name in expr.monitors() {
                    if !cx.ids.contains(name) {
                        p.at(text, format!(
                            "composite monitor {id:?} refers to unknown monitor {name:?}: expected {}",
                            one_of(cx.ids.iter().filter(|m| *m != id))
                        ));
                    }
                }
                Rule::Composite(expr)
            }
            Err(e) => {
                p.at(text, format!("invalid composite in monitor {id:?}: {e}"));
                return None;
            }
        },
    })
}

fn threshold(p: &mut Problems, t: &RawThreshold) -> Option<Threshold> {
    let bound = match &t.direction {
        Some(s) => p.parse(s, "direction", "above or below", |v| match v {
            "above" => Some(Bound::Above),
            "below" => Some(Bound::Below),
            _ => None,
        })?,
        None => Bound::Above,
    };
    let worse = |a: f64, b: f64| match bound {
        Bound::Above => a > b,
        Bound::Below => a < b,
    };
    let critical = t.critical.value;
    if let Some(w) = t.warning.filter(|w| !worse(critical, *w)) {
        p.at(&t.critical, format!(
            "critical level {critical} is not {} the warning level {w}: expected critical to be the worse one",
            bound.as_str()
        ));
        return None;
    }
    if let (Some(r), None) = (t.warning_recovery, t.warning) {
        p.at(&t.critical, format!(
            "warning_recovery {r} is set without a warning level: expected `warning` beside it, or no warning_recovery"
        ));
        return None;
    }
    let recovery_checks = [
        (t.warning_recovery, t.warning),
        (t.critical_recovery, Some(critical)),
    ];
    for (recovery, level) in recovery_checks {
        if let (Some(r), Some(l)) = (recovery, level)
            && worse(r, l)
        {
            p.at(&t.critical, format!(
                "recovery level {r} is {} its trigger level {l}: expected it on the healthy side",
                bound.as_str()
            ));
            return None;
        }
    }
    Some(Threshold {
        bound,
        warning: t.warning,
        critical,
        warning_recovery: t.warning_recovery,
        critical_recovery: t.critical_recovery,
    })
}

fn direction(p: &mut Problems, d: Option<&S<String>>) -> Option<Direction> {
    match d {
        Some(s) => p.parse(s, "direction", "above, below or both", |v| match v {
            "above" => Some(Direction::Above),
            "below" => Some(Direction::Below),
            "both" => Some(Direction::Both),
            _ => None,
        }),
        None => Some(Direction::Both),
    }
}

fn anomaly(p: &mut Problems, a: &RawAnomaly) -> Option<Anomaly> {
    let defaults = templates::anomaly_rule(Direction::Both);
    let direction = direction(p, a.direction.as_ref());
    let mut duration =
        |s: Option<&S<String>>, what: &str, default: u64, least: u64, words: &str| {
            let Some(s) = s else { return Some(default) };
            let secs = p.duration(s, what)?;
            if secs < least {
                p.at(
                    s,
                    format!(
                        "{what} {:?} is too short: expected at least {words}",
                        s.value
                    ),
                );
                return None;
            }
            Some(secs)
        };
    let false_alert_secs = duration(
        a.false_alert_every.as_ref(),
        "anomaly false_alert_every",
        defaults.false_alert_secs,
        86_400,
        "1d",
    );
    let quiet_secs = duration(
        a.quiet.as_ref(),
        "anomaly quiet",
        defaults.quiet_secs,
        60,
        "1m",
    );
    let history_secs = duration(
        a.history.as_ref(),
        "anomaly history",
        defaults.history_secs,
        86_400,
        "1d",
    );
    Some(Anomaly {
        direction: direction?,
        false_alert_secs: false_alert_secs?,
        quiet_secs: quiet_secs?,
        history_secs: history_secs?,
    })
}

fn baseline(p: &mut Problems, b: &RawBaseline) -> Option<Baseline> {
    let method = match &b.method {
        Some(s) => p.parse(s, "baseline method", "mean or robust", |v| match v {
            "mean" => Some(Method::Mean),
            "robust" | "median" => Some(Method::Robust),
            _ => None,
        }),
        None => Some(Method::Mean),
    };
    let seasonality = match &b.seasonality {
        Some(s) => p.parse(s, "seasonality", "none, daily or weekly", |v| match v {
            "none" => Some(Seasonality::None),
            "daily" => Some(Seasonality::Daily),
            "weekly" => Some(Seasonality::Weekly),
            _ => None,
        }),
        None => Some(Seasonality::None),
    };
    let direction = direction(p, b.direction.as_ref());
    let history_secs = match &b.history {
        Some(s) => p.duration(s, "baseline history"),
        None => Some(7 * 86_400),
    };
    let sigmas = b.sigmas.as_ref().map_or(2.0, |s| s.value);
    if let Some(s) = b
        .sigmas
        .as_ref()
        .filter(|s| s.value <= 0.0 || !s.value.is_finite())
    {
        p.at(
            s,
            format!(
                "invalid sigmas {}: expected a positive number such as 2",
                s.value
            ),
        );
    }
    if let Some(w) = b
        .warn_sigmas
        .as_ref()
        .filter(|w| !(w.value > 0.0 && w.value < sigmas))
    {
        p.at(
            w,
            format!(
                "invalid warn_sigmas {}: expected a positive number below sigmas ({sigmas})",
                w.value
            ),
        );
    }
    if let Some(i) = b
        .immediate_sigmas
        .as_ref()
        .filter(|i| i.value < sigmas || i.value.is_nan())
    {
        p.at(
            i,
            format!(
                "invalid immediate_sigmas {}: expected a number at least sigmas ({sigmas})",
                i.value
            ),
        );
    }
    let (method, seasonality, direction, history_secs) =
        (method?, seasonality?, direction?, history_secs?);
    let minimum_history = match seasonality {
        Seasonality::Weekly => 7 * 86_400,
        Seasonality::Daily => 86_400,
        Seasonality::None => 0,
    };
    if history_secs < minimum_history
        && let Some(h) = &b.history
    {
        p.at(h, format!(
            "baseline history {:?} is shorter than one season: expected at least {} for {seasonality:?} seasonality",
            h.value,
            if minimum_history == 86_400 { "1d" } else { "7d" }
        ));
    }
    Some(Baseline {
        method,
        seasonality,
        history_secs,
        sigmas,
        warn_sigmas: b.warn_sigmas.as_ref().map(|w| w.value),
        immediate_sigmas: b.immediate_sigmas.as_ref().map(|i| i.value),
        direction,
        min_points: b.min_points.unwrap_or(24),
        min_spread: b.min_spread.unwrap_or(0.0),
    })
}

/// A composite is evaluated at the instants its monitors are, from their evaluations there:
/// over a monitor evaluated at another cadence it would find none at most of its instants.
fn composite_cadences(p: &mut Problems, raw: &[RawMonitor], monitors: &[Monitor]) {
    let every = |id: &str| monitors.iter().find(|m| m.id == id).map(|m| m.every_secs);
    for m in monitors {
        let Rule::Composite(expr) = &m.rule else {
            continue;
        };
        let Some(rule) = raw
            .iter()
            .find(|r| r.id.value == m.id)
            .and_then(|r| r.rule.as_ref())
        else {
            continue;
        };
        for member in expr.monitors() {
            match every(member) {
                Some(secs) if secs != m.every_secs => p.at(
                    rule,
                    format!(
                        "composite monitor {:?} is evaluated every {}s but combines {member:?}, evaluated every {secs}s: expected the same `every` for a composite and the monitors it combines",
                        m.id, m.every_secs
                    ),
                ),
                _ => {}
            }
        }
    }
}

/// A composite that refers back to itself, directly or not, can never be evaluated.
fn composite_cycles(p: &mut Problems, monitors: &[RawMonitor]) {
    let edges: BTreeMap<&str, Vec<String>> = monitors
        .iter()
        .filter_map(|m| match m.rule.as_ref().map(|r| &r.value) {
            Some(RawRule::Composite(text)) => Expr::parse(&text.value).ok().map(|e| {
                (
                    m.id.value.as_str(),
                    e.monitors().into_iter().map(str::to_owned).collect(),
                )
            }),
            _ => None,
        })
        .collect();
    for m in monitors {
        let start = m.id.value.as_str();
        let mut stack: Vec<&str> = edges
            .get(start)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut visited = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if next == start {
                if let Some(rule) = &m.rule {
                    p.at(rule, format!("composite monitor {start:?} depends on itself: expected composites without cycles"));
                }
                break;
            }
            if visited.insert(next) {
                stack.extend(edges.get(next).into_iter().flatten().map(String::as_str));
            }
        }
    }
}
