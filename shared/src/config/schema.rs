//! Every key of modelwatch.yaml with its shape, default and meaning: the one description
//! that the shape check ([`super::shape`]) enforces and the reference
//! (`shared/docs/configuration.md`, [`super::reference`]) is generated from. A test
//! (`schema_has_exactly_the_keys_of_the_parsed_types`) holds it to the types in `raw.rs`.

use super::duration::{DAYS_EXPECTED, EXPECTED as DURATION};
use super::model::MetricClass;
use super::probes::PROBES;
use super::templates;
use crate::report::Depth;
use crate::rules::{Aggregation, NoDataPolicy};

/// What a key holds, as the YAML is written.
#[derive(Debug)]
pub enum Shape {
    /// Any scalar but nothing: a name, a duration, a level (the validator checks the form).
    Text,
    /// A whole number from 0 up to `max`.
    Integer {
        max: u64,
    },
    /// Any number.
    Number,
    /// Any value but nothing, taken as JSON (a request body, a JSON Schema).
    Json,
    List(&'static Shape),
    /// These keys, each at most once.
    Map(&'static [Key]),
    /// Names of the writer's choosing, each with these keys.
    Named(&'static [Key]),
    /// Exactly one of these keys.
    OneOf(&'static [Key]),
}

impl Shape {
    /// The shape in plain words, for messages and the reference.
    pub fn words(&self) -> String {
        match self {
            Shape::Text => "text".to_owned(),
            Shape::Integer { .. } => "a whole number".to_owned(),
            Shape::Number => "a number".to_owned(),
            Shape::Json => "any value (as JSON)".to_owned(),
            Shape::List(item) => format!("a list of {}", item.plural()),
            Shape::Map(_) => "a mapping".to_owned(),
            Shape::Named(_) => "a mapping of names".to_owned(),
            Shape::OneOf(keys) => {
                let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
                format!("a mapping with one of {}", names.join(", "))
            }
        }
    }

    fn plural(&self) -> String {
        match self {
            Shape::Text => "text".to_owned(),
            Shape::Integer { .. } => "whole numbers".to_owned(),
            Shape::Number => "numbers".to_owned(),
            Shape::Json => "values".to_owned(),
            Shape::List(_) => "lists".to_owned(),
            _ => "mappings".to_owned(),
        }
    }

    /// The keys of a mapping shape.
    pub fn keys(&self) -> &'static [Key] {
        match self {
            Shape::Map(keys) | Shape::Named(keys) | Shape::OneOf(keys) => keys,
            _ => &[],
        }
    }
}

/// One key of a mapping.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
    /// What applies when the key is left out ("" when nothing does).
    pub default: &'static str,
    /// The values or form accepted ("" when any value of the shape is).
    pub allowed: &'static str,
    pub about: &'static str,
}

pub(super) const fn key(name: &'static str, shape: Shape, about: &'static str) -> Key {
    Key {
        name,
        shape,
        required: false,
        default: "",
        allowed: "",
        about,
    }
}

impl Key {
    pub(super) const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) const fn default(mut self, default: &'static str) -> Self {
        self.default = default;
        self
    }
    pub(super) const fn allowed(mut self, allowed: &'static str) -> Self {
        self.allowed = allowed;
        self
    }
}

pub(super) const TEXT: Shape = Shape::Text;
pub(super) const TEXTS: Shape = Shape::List(&Shape::Text);
pub(super) const COUNT: Shape = Shape::Integer {
    max: u32::MAX as u64,
};
pub const LEVELS: &str = "L1, L2 or L3";
pub const CHANNEL: &str = "a #name or a channel id such as C0123456789 (no spaces; quote a #name: YAML reads # as a comment)";
pub const TIME_ZONE: &str = "an IANA time zone such as Europe/Berlin, America/New_York or UTC";
const CLOCK: &str = "a time of day as HH:MM (quoted)";
const URL: &str = "an http(s) URL; {model}, {version}, {env} and {monitor} are filled in per alert";
/// The query a monitor reads when it names none.
pub const DEFAULT_QUERY: &str = "avg:{metric}{*} by {model,model_version,env}";

/// The top level of the file.
pub const ROOT: Shape = Shape::Map(&[
    key(
        "time_zone",
        TEXT,
        "Default time zone of monitors' schedules and seasonality and of time policies.",
    )
    .default("UTC")
    .allowed(TIME_ZONE),
    key(
        "metrics",
        Shape::List(&Shape::Map(METRIC)),
        "The metrics monitors may read and reports may show.",
    ),
    key(
        "models",
        Shape::List(&Shape::Map(MODEL)),
        "The models watched. An alert for a model not listed still pages, by the default route.",
    ),
    key(
        "monitors",
        Shape::List(&Shape::Map(MONITOR)),
        "The monitors the evaluator runs every minute against Datadog.",
    ),
    key(
        "probes",
        Shape::Map(PROBES),
        "Synthetic test cases the prober runs against the models' endpoints every minute.",
    ),
    key(
        "routing",
        Shape::Map(ROUTING),
        "Where each level goes and how alerts escalate.",
    )
    .default("L1 to the model's channel or #modelwatch; no PagerDuty"),
    key(
        "defaults",
        Shape::Map(DEFAULTS),
        "Levels of Datadog notifications, and settings of monitors that do not say otherwise.",
    ),
    key("reports", Shape::Map(REPORTS), "Who gets which report.")
        .default("every audience gets the detailed report of every model"),
    key(
        "datadog",
        Shape::Map(DATADOG),
        "What `modelwatch datadog apply` keeps in Datadog besides the webhook (opt-in).",
    )
    .default("only the webhook and its token variable"),
]);

const DATADOG: &[Key] = &[
    key(
        "webhook_url",
        TEXT,
        "The intake's /webhooks/datadog URL (the stack's DatadogWebhookUrl output); --webhook-url overrides it.",
    )
    .allowed("an https URL"),
    key(
        "environments",
        Shape::List(&Shape::Text),
        "Model environments (env: tag values): one dashboard and one copy of each native monitor per environment.",
    )
    .default("none"),
    key(
        "native_monitors",
        Shape::List(&Shape::Text),
        "Monitor ids Datadog also runs natively (threshold, baseline, anomaly or composite), notifying the webhook.",
    )
    .default("none"),
];

const METRIC: &[Key] = &[
    key("name", TEXT, "The Datadog metric name, such as llm.generation.latency.").required(),
    key("unit", TEXT, "fraction and percent read as a percentage, score as 0 to 1, s and ms as a duration, anything else as a plain number."),
    key("description", TEXT, "How reports name the metric.").default("its name"),
    key("kind", TEXT, "business: what the models are for (user satisfaction, conversion); reports follow its trend over all models.")
        .default("technical")
        .allowed(MetricClass::NAMES),
    key("better", TEXT, "Which way is good news, for reports.")
        .default("neither")
        .allowed("higher or lower"),
];

const MODEL: &[Key] = &[
    key(
        "name",
        TEXT,
        "The model's name as its metrics' `model` tag carries it.",
    )
    .required()
    .allowed("1 to 200 lowercase letters, digits, '_', '-', ':', '.' or '/' (as Datadog keeps a tag value)"),
    key(
        "versions",
        TEXTS,
        "Its versions, as the `model_version` tag carries them (lowercase, as Datadog keeps them). A version not listed is still watched while it reports; once silent it is forgotten if another version serves in its environment, else it is the model gone quiet, expected for 7 days, and past that while the model serves nowhere.",
    )
    .default("[]"),
    key(
        "stable_version",
        TEXT,
        "What version_compare monitors compare a rollout against.",
    )
    .allowed("one of `versions`"),
    key(
        "team",
        TEXT,
        "The team that owns it (silences may match it).",
    )
    .required(),
    key(
        "family",
        TEXT,
        "A family several models share (chat, embedding); routes may name it.",
    ),
    key(
        "slack_channel",
        TEXT,
        "The team channel its L1 alerts go to.",
    )
    .required()
    .allowed(CHANNEL),
    key("runbook", TEXT, "Runbook URL template.").allowed(URL),
    key("dashboard", TEXT, "Dashboard URL template.").allowed(URL),
];

const MONITOR: &[Key] = &[
    key("id", TEXT, "Unique id; composites and silences name it.")
        .required()
        .allowed("letters, digits, '_', '-' or '.'"),
    key("name", TEXT, "Shown in alerts.").default("its id"),
    key("metric", TEXT, "The metric it reads; required unless the rule is a composite.")
        .allowed("a name declared under `metrics:`"),
    key("query", TEXT, "The Datadog query it reads, grouped by model, model_version and env.")
        .default(DEFAULT_QUERY)
        .allowed("a query grouped `by {…}` at least model, and model_version for a version comparison or a model that lists versions"),
    key("models", TEXTS, "Only these models.").default("every model").allowed("names declared under `models:`"),
    key("template", TEXT, "A ready-made rule and windows (see Templates); the keys below override its windows. Not together with `rule`.")
        .allowed(templates::NAMES),
    key("rule", Shape::OneOf(RULE), "How a value is judged: exactly one kind of rule. Required unless `template` is given."),
    key("window", TEXT, "How much data each evaluation aggregates.")
        .default("the template's, else defaults.window")
        .allowed(DURATION),
    key("aggregation", TEXT, "How the window's points become one value.")
        .default("the template's, else avg")
        .allowed(Aggregation::NAMES),
    key("every", TEXT, "How often it is evaluated.")
        .default("the template's, else defaults.every")
        .allowed(DURATION),
    key("trigger", Shape::Map(TRIGGER), "N-of-M: how many of the last evaluations must breach to open an alert, and breach at the alert level before it rises from warn to alert.")
        .default("the template's, else defaults.trigger"),
    key("recovery", Shape::Map(RECOVERY), "How many clean evaluations in a row recover it.")
        .default("the template's, else defaults.recovery"),
    key("no_data", TEXT, "What a group that stops reporting means. When every model stops at once (two or more), one alert for the monitor says so instead of one per model.")
        .default("the template's, else defaults.no_data")
        .allowed(NoDataPolicy::NAMES),
    key("time_zone", TEXT, "Time zone of its schedule and seasonality.")
        .default("the top-level time_zone")
        .allowed(TIME_ZONE),
    key("levels", Shape::Map(MONITOR_LEVELS), "The levels its warnings and alerts open at."),
    key("max_level", TEXT, "The highest level its alerts may escalate to.")
        .default("routing.max_level")
        .allowed(LEVELS),
    key("replay", COUNT, "How many past evaluation instants an evaluation replays to find its state (at least the trigger's `of` and the recovery's `clean`, less one).")
        .default("60"),
    key("runbook_steps", TEXTS, "Suggested steps carried by its pages and messages."),
    key("tags", TEXTS, "Tags added to its alerts (team:chat)."),
];

const RULE: &[Key] = &[
    key(
        "threshold",
        Shape::Map(THRESHOLD),
        "Breach when the value crosses fixed levels.",
    ),
    key(
        "schedule",
        Shape::Map(SCHEDULE),
        "Thresholds that change with the time of day and week.",
    ),
    key(
        "baseline",
        Shape::Map(BASELINE),
        "Breach when the value leaves its own recent range (mean/σ or median/MAD).",
    ),
    key(
        "anomaly",
        Shape::Map(ANOMALY),
        "The streaming anomaly detector on every point.",
    ),
    key(
        "version_compare",
        Shape::Map(COMPARE),
        "Breach when a version is worse than the stable version by a relative change.",
    ),
    key(
        "composite",
        TEXT,
        "Other monitors combined, each evaluated at the same `every` as this one.",
    )
    .allowed("monitor ids with &&, || and parentheses, such as \"latency && errors\""),
];

const THRESHOLD: &[Key] = &[
    key("direction", TEXT, "Which side is bad.")
        .default("above")
        .allowed("above or below"),
    key("warning", Shape::Number, "Warn beyond this value."),
    key(
        "critical",
        Shape::Number,
        "Alert beyond this value; worse than `warning`.",
    )
    .required(),
    key(
        "warning_recovery",
        Shape::Number,
        "A warning recovers only back past this value (hysteresis).",
    ),
    key(
        "critical_recovery",
        Shape::Number,
        "An alert recovers only back past this value (hysteresis); a threshold, schedule or version comparison in alert also stays in alert there where the value alone would only warn. Without it an alert steps down to warn once back past the critical level, until back past the warning recovery level.",
    ),
];

const SCHEDULE: &[Key] = &[
    key(
        "windows",
        Shape::List(&Shape::Map(SCHEDULE_WINDOW)),
        "Time windows with their own threshold, first match wins.",
    )
    .required(),
    key(
        "otherwise",
        Shape::Map(THRESHOLD),
        "The threshold outside every window.",
    )
    .required(),
];

const SCHEDULE_WINDOW: &[Key] = &[
    key("name", TEXT, "Shown in alerts.").required(),
    key("days", TEXT, "The days it applies.")
        .required()
        .allowed(DAYS_EXPECTED),
    key("from", TEXT, "Start, in the monitor's time zone.")
        .required()
        .allowed(CLOCK),
    key("to", TEXT, "End; before `from` runs past midnight.")
        .required()
        .allowed(CLOCK),
    key(
        "threshold",
        Shape::Map(THRESHOLD),
        "The threshold in the window.",
    )
    .required(),
];

const BASELINE: &[Key] = &[
    key(
        "method",
        TEXT,
        "mean: mean and standard deviation; robust: median and MAD, which past spikes do not move (where more than half of the history is one value, as an error rate at 0 most minutes, the spread is that of such a mixture: the other values' typical distance from it times the square root of their share, as σ would have it).",
    )
    .default("mean")
    .allowed("mean or robust (median)"),
    key(
        "seasonality",
        TEXT,
        "Compare with the same hour of the day or of the week.",
    )
    .default("none")
    .allowed("none, daily or weekly"),
    key(
        "history",
        TEXT,
        "How far back the baseline reaches; at least one season.",
    )
    .default("7d")
    .allowed(DURATION),
    key("sigmas", Shape::Number, "Alert this many deviations away.")
        .default("2")
        .allowed("a positive number"),
    key(
        "warn_sigmas",
        Shape::Number,
        "Warn this many deviations away.",
    )
    .allowed("a positive number below sigmas"),
    key(
        "immediate_sigmas",
        Shape::Number,
        "This far away, alert at once without waiting for the trigger window.",
    )
    .allowed("a number at least sigmas"),
    key("direction", TEXT, "Which side is bad.")
        .default("both")
        .allowed("above, below or both"),
    key(
        "min_points",
        Shape::Integer {
            max: u32::MAX as u64,
        },
        "No verdict on less history than this many points at the monitor's cadence; a long history Datadog returns coarser counts each point as the intervals it averages.",
    )
    .default("24"),
    key(
        "min_spread",
        Shape::Number,
        "The smallest deviation counted, so a flat series does not alert on noise.",
    )
    .default("0"),
];

const ANOMALY: &[Key] = &[
    key("direction", TEXT, "Which side is bad.")
        .default("both")
        .allowed("above, below or both"),
    key(
        "false_alert_every",
        TEXT,
        "How rare a false alert should be on a series without anomalies.",
    )
    .default("30d")
    .allowed("a duration of at least 1d"),
    key(
        "quiet",
        TEXT,
        "Flare-ups this close together are one alert.",
    )
    .default("6h")
    .allowed("a duration of at least 1m"),
    key("history", TEXT, "How much history the detector keeps.")
        .default("22d")
        .allowed("a duration of at least 1d"),
];

const COMPARE: &[Key] = &[
    key("stable_version", TEXT, "The version compared against.")
        .default("the model's stable_version")
        .allowed("a version listed by a model"),
    key(
        "change",
        Shape::Map(THRESHOLD),
        "Relative change against the stable version (0.1 = 10% worse).",
    )
    .required(),
];

const TRIGGER: &[Key] = &[
    key("breaches", COUNT, "N: breaching evaluations needed…")
        .required()
        .allowed("1 to `of`"),
    key("of", COUNT, "…among the last M.")
        .required()
        .allowed("at most 1000"),
];

const RECOVERY: &[Key] = &[key(
    "clean",
    COUNT,
    "Clean evaluations in a row that recover an alert.",
)
.required()
.allowed("1 to 1000")];

const MONITOR_LEVELS: &[Key] = &[
    key("warn", TEXT, "Level a warning opens at.")
        .default("L1")
        .allowed(LEVELS),
    key("alert", TEXT, "Level an alert opens at.")
        .default("L2")
        .allowed(LEVELS),
];

const ROUTING: &[Key] = &[
    key(
        "default_slack_channel",
        TEXT,
        "L1 channel of alerts for models not listed under `models:`.",
    )
    .required()
    .allowed(CHANNEL),
    key(
        "pagerduty_keys",
        Shape::List(&Shape::Map(PAGERDUTY_KEY)),
        "PagerDuty routing keys by name; no key is ever written in this file.",
    ),
    key(
        "L1",
        Shape::Map(LEVEL_ROUTE),
        "Minor: Slack to the model's team channel, plus these destinations.",
    ),
    key(
        "L2",
        Shape::Map(LEVEL_ROUTE),
        "Significant: the on-call engineer's PagerDuty service.",
    ),
    key(
        "L3",
        Shape::Map(LEVEL_ROUTE),
        "Critical: high urgency, the senior escalation service.",
    ),
    key("max_level", TEXT, "No alert escalates past this level.")
        .default("L3")
        .allowed(LEVELS),
    key(
        "flapping",
        Shape::Map(FLAPPING),
        "An alert that goes in and out of firing this often (ok to warn, alert or no data, and back) is held as flapping; moving between warn and alert is not counted.",
    )
    .default("6 changes in 30m"),
    key(
        "time_policies",
        Shape::List(&Shape::Map(TIME_POLICY)),
        "Caps on escalation by time of day.",
    ),
    key(
        "routes",
        Shape::List(&Shape::Map(ROUTE)),
        "Per model or family, destinations instead of the shared ones; the first route that matches and names a destination wins.",
    ),
];

const PAGERDUTY_KEY: &[Key] = &[
    key("name", TEXT, "The name levels and routes use.").required(),
    key("secret", TEXT, "The entry of the modelwatch secret holding the 32-character routing key (MODELWATCH_<ENTRY> locally).").required(),
];

const LEVEL_ROUTE: &[Key] = &[
    key("slack", TEXTS, "Channels this level posts to.")
        .default("[]")
        .allowed(CHANNEL),
    key("pagerduty", TEXT, "The PagerDuty key this level pages.")
        .allowed("a name under pagerduty_keys"),
    key(
        "escalate_after",
        TEXT,
        "Unacknowledged this long: the next level.",
    )
    .default("never")
    .allowed(DURATION),
    key(
        "renotify",
        TEXT,
        "Remind this often while open and unacknowledged.",
    )
    .default("never")
    .allowed(DURATION),
];

const FLAPPING: &[Key] = &[
    key("changes", COUNT, "State changes…")
        .required()
        .allowed("at least 2"),
    key("window", TEXT, "…within this long.")
        .required()
        .allowed(DURATION),
];

const TIME_POLICY: &[Key] = &[
    key("name", TEXT, "Shown with the alerts it holds back.").required(),
    key("time_zone", TEXT, "Its clock.")
        .default("the top-level time_zone")
        .allowed(TIME_ZONE),
    key("days", TEXT, "The days it applies.")
        .required()
        .allowed(DAYS_EXPECTED),
    key("from", TEXT, "Start.").required().allowed(CLOCK),
    key("to", TEXT, "End; before `from` runs past midnight.")
        .required()
        .allowed(CLOCK),
    key(
        "levels",
        TEXTS,
        "The levels it applies to: the highest level an alert's monitor asked for, or the level its escalation reached; it never holds an alert below the level its monitor asked for.",
    )
        .required()
        .allowed(LEVELS),
    key(
        "max_level",
        TEXT,
        "The highest level such alerts reach in the window.",
    )
    .required()
    .allowed(LEVELS),
];

const ROUTE: &[Key] = &[
    key(
        "match",
        Shape::Map(ROUTE_MATCH),
        "Which alerts: exactly one of model or family.",
    )
    .required(),
    key("L1", Shape::Map(ROUTE_LEVEL), "L1 destinations for them."),
    key("L2", Shape::Map(ROUTE_LEVEL), "L2 destinations for them."),
    key("L3", Shape::Map(ROUTE_LEVEL), "L3 destinations for them."),
];

const ROUTE_MATCH: &[Key] = &[
    key("model", TEXT, "A model's name.").allowed("a name under `models:`"),
    key("family", TEXT, "A family, as models' `family:` names it.").allowed("a family of a model"),
];

const ROUTE_LEVEL: &[Key] = &[
    key("slack", TEXTS, "Channels instead of the level's.")
        .default("the level's")
        .allowed(CHANNEL),
    key("pagerduty", TEXT, "PagerDuty key instead of the level's.")
        .default("the level's")
        .allowed("a name under pagerduty_keys"),
];

const DEFAULTS: &[Key] = &[
    key(
        "priorities",
        Shape::Map(PRIORITIES),
        "The level a Datadog notification opens at, by its monitor's priority.",
    ),
    key(
        "warn",
        TEXT,
        "Level of a Datadog Warn transition, whatever its priority.",
    )
    .default("L1")
    .allowed(LEVELS),
    key(
        "unknown",
        TEXT,
        "Level of a Datadog notification without priority.",
    )
    .default("L2")
    .allowed(LEVELS),
    key("every", TEXT, "Monitors' evaluation interval.")
        .default("1m")
        .allowed(DURATION),
    key("window", TEXT, "Monitors' window.")
        .default("5m")
        .allowed(DURATION),
    key("trigger", Shape::Map(TRIGGER), "Monitors' N-of-M trigger.").default("1 of 1"),
    key(
        "recovery",
        Shape::Map(RECOVERY),
        "Monitors' clean evaluations to recover.",
    )
    .default("clean: 1"),
    key("no_data", TEXT, "Monitors' no-data policy.")
        .default("ignore")
        .allowed(NoDataPolicy::NAMES),
];

const PRIORITIES: &[Key] = &[
    key("P1", TEXT, "").default("L3").allowed(LEVELS),
    key("P2", TEXT, "").default("L2").allowed(LEVELS),
    key("P3", TEXT, "").default("L1").allowed(LEVELS),
    key("P4", TEXT, "").default("L1").allowed(LEVELS),
    key("P5", TEXT, "").default("L1").allowed(LEVELS),
];

const REPORTS: &[Key] = &[key(
    "audiences",
    Shape::Named(AUDIENCE),
    "By name (lowercase letters, digits and '-'): what each audience's reports show and where they go.",
)];

const AUDIENCE: &[Key] = &[
    key(
        "channel",
        TEXT,
        "Where its reports go, unless MODELWATCH_REPORT_CHANNEL_<AUDIENCE> says otherwise.",
    )
    .allowed(CHANNEL),
    key(
        "depth",
        TEXT,
        "detailed: per model; summary: verdicts, incidents and business trends in a few lines.",
    )
    .default("detailed")
    .allowed(Depth::NAMES),
    key("models", TEXTS, "Only these models.").default("every model"),
    key("metrics", TEXTS, "Per-model metrics shown (detailed only).")
        .default("every technical metric the reports read"),
    key(
        "business_metrics",
        TEXTS,
        "Business metrics whose overall trend is shown.",
    )
    .allowed("metrics declared kind: business"),
];
