//! Datadog monitor webhooks: whatever template the user wrote, parsed into one
//! `Notification`, then into a `Signal` for the lifecycle.
//!
//! Lenient where Datadog is loose (field spellings, unresolved `$VARIABLES`, the default
//! template's prose), strict where it matters: a body that is not JSON, or that gives no
//! way to tell which alert it is about or what happened, is refused with an error that
//! names what was missing and what would have been accepted.

mod fields;
mod status;
mod title;

use serde_json::Value;

use crate::domain::{Priority, Timestamp};
use fields::{Fields, tag_value};

/// What a monitor notification says happened (`$ALERT_TRANSITION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Triggered,
    ReTriggered,
    Warn,
    ReWarn,
    NoData,
    ReNoData,
    Recovered,
    Renotify,
}

impl Transition {
    pub const NAMES: &'static str =
        "Triggered, Re-Triggered, Warn, Re-Warn, No Data, Re-No Data, Recovered, Renotify";

    /// Datadog's own spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Triggered => "Triggered",
            Transition::ReTriggered => "Re-Triggered",
            Transition::Warn => "Warn",
            Transition::ReWarn => "Re-Warn",
            Transition::NoData => "No Data",
            Transition::ReNoData => "Re-No Data",
            Transition::Recovered => "Recovered",
            Transition::Renotify => "Renotify",
        }
    }

    /// The repeat of a firing state (`Re-No Data` for `No Data`); None for a recovery or
    /// for `Renotify`, which names no state.
    fn repeated(self) -> Option<Self> {
        match self {
            Transition::Triggered | Transition::ReTriggered => Some(Transition::ReTriggered),
            Transition::Warn | Transition::ReWarn => Some(Transition::ReWarn),
            Transition::NoData | Transition::ReNoData => Some(Transition::ReNoData),
            Transition::Recovered | Transition::Renotify => None,
        }
    }

    /// Datadog's spelling, forgiving case, spaces, dashes and underscores.
    pub fn from_name(name: &str) -> Option<Self> {
        let folded: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match folded.as_str() {
            "triggered" | "alert" => Transition::Triggered,
            "retriggered" => Transition::ReTriggered,
            "warn" | "warning" => Transition::Warn,
            "rewarn" => Transition::ReWarn,
            "nodata" => Transition::NoData,
            "renodata" => Transition::ReNoData,
            "recovered" | "warnrecovered" | "alertrecovered" | "nodatarecovered" => {
                Transition::Recovered
            }
            "renotify" => Transition::Renotify,
            _ => return None,
        })
    }
}

/// One Datadog notification, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// `$ID`: changes with every notification, so it identifies the delivery, never the alert.
    pub event_id: Option<String>,
    pub monitor_id: Option<String>,
    pub cycle_key: Option<String>,
    pub aggregation_key: Option<String>,
    pub transition: Transition,
    /// `$ALERT_TYPE`: error, warning, success, info.
    pub alert_type: Option<String>,
    pub priority: Option<Priority>,
    /// The title without its `[Triggered]`-style prefixes.
    pub title: String,
    /// The group: `$ALERT_SCOPE`, or the title's `on {…}`, or the link's `group=`.
    pub group: Option<String>,
    pub metric: Option<String>,
    /// What is wrong, in Datadog's words (`$ALERT_STATUS`, or the default body's line).
    pub status: Option<String>,
    pub query: Option<String>,
    /// The threshold the status sentence or the query names.
    pub threshold: Option<f64>,
    /// The value, when the template carries one (`value`, `alert_value`).
    pub value: Option<f64>,
    pub tags: Vec<String>,
    pub model: Option<String>,
    pub model_version: Option<String>,
    pub environment: Option<String>,
    pub link: Option<String>,
    pub snapshot: Option<String>,
    /// When it happened at Datadog (`$DATE`, else `$LAST_UPDATED`).
    pub at: Option<Timestamp>,
    pub event_type: Option<String>,
    pub org_id: Option<String>,
    /// Sent by a monitor's "Test Notifications" button: Datadog puts `[TEST]` before the
    /// monitor's name and "Test notification triggered by …" in the message (the marker
    /// read; the title only when the payload has no message). It pages nobody and is
    /// followed by no recovery.
    pub test: bool,
}

/// The tag that names the modelwatch monitor a native copy runs (`modelwatch datadog
/// apply`): `modelwatch-monitor:error-rate` (Datadog keeps tags in lowercase).
pub const MONITOR_TAG: &str = "modelwatch-monitor:";

impl Notification {
    /// The modelwatch monitor this notification's monitor is a native copy of
    /// (`modelwatch datadog apply` tags it `modelwatch-monitor:<id>`), as Datadog wrote the
    /// tag: in lowercase.
    pub fn native_copy_of(&self) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix(MONITOR_TAG))
            .filter(|id| !id.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("body is not JSON: {message}")]
    NotJson { message: String },
    #[error(
        "body is JSON but not an object (found {found}): expected the webhook template's {{...}}"
    )]
    NotAnObject { found: &'static str },
    #[error(
        "cannot tell what happened: no `alert_transition` (or `transition`), no usable `alert_type`, \
         and the title {title:?} has no prefix such as [Triggered]; expected one of: {expected}"
    )]
    NoTransition {
        title: String,
        expected: &'static str,
    },
    #[error("unknown transition {received:?}: expected one of: {expected}")]
    UnknownTransition {
        received: String,
        expected: &'static str,
    },
    #[error(
        "cannot identify the alert: missing `alert_cycle_key`; expected it, or `alert_id` \
         (or a monitor link in `body`), or `aggreg_key`"
    )]
    NoIdentity,
}

impl WebhookError {
    /// The field that was missing or wrong, for the JSON error answer.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WebhookError::NotJson { .. } | WebhookError::NotAnObject { .. } => None,
            WebhookError::NoTransition { .. } | WebhookError::UnknownTransition { .. } => {
                Some("alert_transition")
            }
            WebhookError::NoIdentity => Some("alert_cycle_key"),
        }
    }
}

impl Notification {
    /// The level it opens at, by the configured mapping (priority, `severity:` tag, warn).
    pub fn level(&self, levels: &crate::config::LevelMap) -> crate::domain::Level {
        let tags: Vec<&str> = self.tags.iter().map(String::as_str).collect();
        levels.level_for(&crate::config::Notification {
            priority: self.priority,
            warning: self.is_warning(),
            tags: &tags,
        })
    }

    /// A warning or no data (not an alert), by its transition, or for a renotification
    /// by its alert type.
    pub fn is_warning(&self) -> bool {
        matches!(
            self.transition,
            Transition::Warn | Transition::ReWarn | Transition::NoData | Transition::ReNoData
        ) || self
            .alert_type
            .as_deref()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("warning"))
    }
}

/// A refused body: what was wrong, and the fields it did carry (for the error answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub error: WebhookError,
    pub received: Vec<String>,
}

/// Reads a JSON body.
pub fn parse_json(body: &[u8]) -> Result<Notification, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| Rejection {
        error: WebhookError::NotJson {
            message: e.to_string(),
        },
        received: Vec::new(),
    })?;
    parse_value(&value)
}

/// Reads Datadog's form-encoded option: each template field is a form field.
pub fn parse_form(body: &[u8]) -> Result<Notification, Rejection> {
    let mut object = serde_json::Map::new();
    for (k, v) in form_pairs(body) {
        // A nested object or array arrives as its JSON text.
        let value = match v.trim_start().chars().next() {
            Some('{' | '[') => serde_json::from_str(&v).unwrap_or(Value::String(v)),
            _ => Value::String(v),
        };
        object.insert(k, value);
    }
    parse_value(&Value::Object(object))
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (title::percent_decode(k), title::percent_decode(v))
        })
        .collect()
}

/// Normalises a parsed body.
pub fn parse_value(value: &Value) -> Result<Notification, Rejection> {
    let found = match value {
        Value::Object(object) => {
            let f = Fields::from_object(object);
            return normalise(&f).map_err(|error| Rejection {
                error,
                received: f.present_names(),
            });
        }
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Err(Rejection {
        error: WebhookError::NotAnObject { found },
        received: Vec::new(),
    })
}

fn normalise(f: &Fields) -> Result<Notification, WebhookError> {
    let raw_title = f
        .text(&["alert_title", "title", "event_title", "alert_name"])
        .unwrap_or_default();
    let prefix = title::parse_title(&raw_title);
    let body = f
        .text(&["body", "event_msg", "text_msg", "message"])
        .unwrap_or_default();
    let alert_type = f.text(&["alert_type"]).map(|t| t.to_ascii_lowercase());

    // Without a transition, or with one of a name not known here (Datadog does not retry a
    // refused notification, so refusing it would lose the alert), the title's prefix or
    // the alert type tells what happened.
    let told = match (prefix.transition, alert_type.as_deref()) {
        (Some(t), _) => Some(t),
        (None, Some("error")) => Some(Transition::Triggered),
        (None, Some("warning")) => Some(Transition::Warn),
        (None, Some("success")) => Some(Transition::Recovered),
        _ => None,
    };
    let transition = match f.text(&["alert_transition", "transition"]) {
        Some(t) => Transition::from_name(&t)
            .or(told)
            .ok_or(WebhookError::UnknownTransition {
                received: t,
                expected: Transition::NAMES,
            })?,
        None => told.ok_or_else(|| WebhookError::NoTransition {
            title: raw_title.chars().take(120).collect(),
            expected: Transition::NAMES,
        })?,
    };
    // `Renotify` names no state; the title's prefix says which one is being repeated (a
    // renotified No Data is not an alert).
    let transition = match transition {
        Transition::Renotify => prefix
            .transition
            .and_then(Transition::repeated)
            .unwrap_or(transition),
        t => t,
    };

    let status_line = f
        .text(&["alert_status", "status"])
        .and_then(|s| status::parse(&s))
        .or_else(|| status::in_body(&body));
    let query = f.text(&["alert_query", "query"]);
    let tags = f.tags(&["tags", "event_tags", "alert_tags"]);
    let group = f
        .text(&["alert_scope", "scope", "group", "alert_group"])
        .filter(|s| s != "*")
        .or(prefix.group)
        .or_else(|| title::group_in_link(&body));
    let from_tags_or_group = |key: &str| {
        tag_value(tags.iter().map(String::as_str), key)
            .or_else(|| group.as_deref().and_then(|g| tag_value(g.split(','), key)))
    };
    let link = f.text(&["link", "alert_link", "url"]);
    // A test notification's title reads as an alert of a monitor named "[TEST] …", which
    // must page: the body's marker decides, and the title only where no body was sent.
    let test = if body.trim().is_empty() {
        prefix.rest.starts_with("[TEST]")
    } else {
        body.contains("Test notification triggered by")
    };

    let notification = Notification {
        event_id: f.text(&["id", "event_id", "alert_event_id"]),
        monitor_id: f
            .text(&["alert_id", "monitor_id"])
            .or_else(|| link.as_deref().and_then(title::monitor_id_in))
            .or_else(|| title::monitor_id_in(&body)),
        cycle_key: f.text(&["alert_cycle_key", "cycle_key"]),
        aggregation_key: f.text(&["aggreg_key", "aggregate", "aggregation_key"]),
        transition,
        alert_type,
        priority: f
            .text(&["alert_priority", "priority"])
            .and_then(|p| Priority::parse(&p))
            .or(prefix.priority),
        title: prefix.rest,
        metric: f
            .text(&["alert_metric", "metric"])
            .or_else(|| status_line.as_ref().and_then(|s| s.metric.clone())),
        threshold: status_line
            .as_ref()
            .and_then(|s| s.threshold)
            .or_else(|| query.as_deref().and_then(status::threshold_in_query)),
        value: f
            .text(&["alert_value", "value", "metric_value"])
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite()),
        status: status_line.map(|s| s.sentence),
        query,
        model: f.text(&["model"]).or_else(|| from_tags_or_group("model")),
        model_version: f
            .text(&["model_version"])
            .or_else(|| from_tags_or_group("model_version")),
        environment: f
            .text(&["env", "environment"])
            .or_else(|| from_tags_or_group("env")),
        link,
        snapshot: f
            .text(&["snapshot", "alert_snapshot"])
            .or_else(|| title::snapshot_in(&body)),
        at: f
            .text(&["date", "last_updated", "event_date"])
            .and_then(|d| Timestamp::parse(&d)),
        event_type: f.text(&["event_type"]),
        org_id: f.text(&["org_id", "org.id"]),
        test,
        group,
        tags,
    };
    if notification.cycle_key.is_none()
        && notification.monitor_id.is_none()
        && notification.aggregation_key.is_none()
    {
        return Err(WebhookError::NoIdentity);
    }
    Ok(notification)
}

#[cfg(test)]
mod tests;
