//! A Datadog monitor notification as a `Signal`: its alert key, delivery id, level,
//! escalation policy and context.

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::datadog::site::DatadogSite;
use crate::datadog::webhook::{Notification, Transition};
use crate::domain::{
    AlertContext, AlertKey, Breach, BreachState, EscalationPolicy, InvalidValue, Level, Link,
    ModelRef, MonitorRef, Signal, SignalId, SignalKind, Source, Timestamp, url,
};
use crate::signals::evaluation::level_of;

/// The signal of notification `n` under the configuration: the level its priority or
/// severity maps to, and the escalation policy of its monitor at the time it opens. Its
/// monitor link points to the notification's own Datadog site, else to `site`.
///
/// A native copy of a configured monitor (`modelwatch datadog apply`) pages as that
/// monitor does: its warn, alert and no-data levels, its escalation policy (`max_level`
/// among it), and its id on the alert, which the escalation clock, silences and reports
/// read. Its priority carries only the alert level.
pub fn from_webhook(
    config: &Config,
    site: DatadogSite,
    n: &Notification,
    body: &[u8],
    received_at: Timestamp,
) -> Result<Signal, InvalidValue> {
    let opens_at = Timestamp::claimed(n.at, received_at);
    let copied = n
        .native_copy_of()
        .and_then(|tag| config.copied_monitor(tag));
    let level = match (copied, breach_state(n)) {
        // A renotification's state is only guessed from its alert type (a no-data one
        // reads as an alert): it never raises the level, whatever the guess.
        (Some(m), Some(_)) if n.transition == Transition::Renotify => {
            m.levels.warn.min(m.levels.alert)
        }
        (Some(m), Some((state, _))) => level_of(m, state.into()),
        _ => n.level(&config.levels),
    };
    let monitor = match copied {
        Some(m) => m.id.as_str(),
        None => n.monitor_id.as_deref().unwrap_or_default(),
    };
    let policy = config.escalation_policy(monitor, level, opens_at);
    let mut signal = to_signal(n, body, level, policy, received_at, site)?;
    if let Some(m) = copied {
        let context = match &mut signal.kind {
            SignalKind::Breach { breach, .. } => &mut breach.context,
            SignalKind::Recovered { context } => context,
            _ => return Ok(signal),
        };
        context.monitor = MonitorRef {
            id: m.id.clone(),
            name: Some(m.name.clone()),
        };
    }
    Ok(signal)
}

/// The state a notification says its group is in, and whether it repeats one already
/// notified; `None` for a recovery.
fn breach_state(n: &Notification) -> Option<(BreachState, bool)> {
    Some(match n.transition {
        Transition::Recovered => return None,
        Transition::Triggered => (BreachState::Alert, false),
        Transition::ReTriggered => (BreachState::Alert, true),
        Transition::Warn => (BreachState::Warn, false),
        Transition::ReWarn => (BreachState::Warn, true),
        Transition::NoData => (BreachState::NoData, false),
        Transition::ReNoData => (BreachState::NoData, true),
        // A renotification says the state only through its alert type.
        _ => match n.alert_type.as_deref() {
            Some("warning") => (BreachState::Warn, true),
            _ => (BreachState::Alert, true),
        },
    })
}

/// Builds the signal, opening at `level` and escalating by `policy`. `body` is the raw
/// request body: when the template carries no `$ID`, its hash identifies the delivery (a
/// retry sends the same bytes). `received_at` stands in for a missing `$DATE` or one
/// far from it (`Timestamp::claimed`).
pub fn to_signal(
    n: &Notification,
    body: &[u8],
    level: Level,
    policy: EscalationPolicy,
    received_at: Timestamp,
    site: DatadogSite,
) -> Result<Signal, InvalidValue> {
    let key = alert_key(n)?;
    let id = match &n.event_id {
        Some(id) => SignalId::new(format!("datadog:{}", clip(id, 200)))?,
        None => SignalId::of_body("datadog", body)?,
    };
    let context = context(n, site);
    let kind = match breach_state(n) {
        None => SignalKind::Recovered { context },
        Some((state, repeat)) => SignalKind::Breach {
            breach: Breach {
                state,
                level,
                first_breach_at: None,
                context,
                policy,
            },
            repeat,
        },
    };
    Ok(Signal {
        id,
        key,
        at: Timestamp::claimed(n.at, received_at),
        source: Source::Datadog,
        kind,
    })
}

/// Where the account's Datadog pages are: the origin of the notification's own link when
/// it is one of Datadog's (an organisation's subdomain included), else the site's app.
fn app_origin(n: &Notification, site: DatadogSite) -> String {
    n.link
        .as_deref()
        .filter(|u| url::is_datadog_url(u))
        .and_then(|u| u.trim().strip_prefix("https://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        // `p.` serves snapshot images, not pages.
        .filter(|host| !host.starts_with("p."))
        .map_or_else(|| site.app_url(), |host| format!("https://{host}"))
}

/// The correlation key: the monitor and group whenever the monitor is known — the same on
/// every notification of one incident, whatever else the template carries — else the
/// cycle key, else the aggregation key. Never `$ID`, which differs between trigger and
/// recovery. A cycle key missing from one notification and present in the next (Datadog
/// leaves variables empty when they do not apply) must not split an incident in two.
fn alert_key(n: &Notification) -> Result<AlertKey, InvalidValue> {
    let raw = match (&n.monitor_id, &n.cycle_key, &n.aggregation_key) {
        (Some(monitor), _, _) => {
            let group = n
                .group
                .as_deref()
                .map_or_else(|| "*".to_owned(), canonical_group);
            // Long scopes are hashed so the key stays within its limit and stays stable.
            let group = if group.len() > 200 {
                format!("sha256:{}", hex::encode(Sha256::digest(group.as_bytes())))
            } else {
                group
            };
            format!("datadog:monitor:{}|{group}", clip(monitor, 64))
        }
        (None, Some(cycle), _) => format!("datadog:cycle:{}", clip(cycle, 200)),
        (None, None, Some(aggregate)) => format!("datadog:aggregate:{}", clip(aggregate, 200)),
        (None, None, None) => String::new(),
    };
    AlertKey::new(raw.trim())
}

/// A group's tags trimmed and sorted, so `env:prod,model:chat` (a scope) and
/// `{model:chat, env:prod}` (a title) name one group.
fn canonical_group(group: &str) -> String {
    let mut tags: Vec<&str> = group
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    if tags.is_empty() {
        "*".to_owned()
    } else {
        tags.join(",")
    }
}

fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn context(n: &Notification, site: DatadogSite) -> AlertContext {
    // A malformed model tag must not cost the alert: it travels without a model instead.
    let model = n
        .model
        .as_deref()
        .and_then(|m| ModelRef::new(m, n.model_version.as_deref()).ok());
    // Links from the payload only when they are Datadog's own; a monitor link only for
    // a monitor id (digits), so nothing from outside can point a page elsewhere.
    let mut links = Vec::new();
    if let Some(url) = n.link.as_deref().filter(|u| url::is_datadog_url(u)) {
        links.push(Link {
            text: "Datadog event".into(),
            url: url.trim().to_owned(),
        });
    }
    if let Some(id) = n
        .monitor_id
        .as_deref()
        .filter(|id| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()))
    {
        links.push(Link {
            text: "Datadog monitor".into(),
            url: format!("{}/monitors/{id}", app_origin(n, site)),
        });
    }
    AlertContext {
        title: n.title.clone(),
        model,
        monitor: MonitorRef {
            id: n.monitor_id.clone().unwrap_or_default(),
            name: (!n.title.is_empty()).then(|| n.title.clone()),
        },
        environment: n.environment.clone(),
        scope: n.group.clone(),
        metric: n.metric.clone(),
        value: n.value,
        threshold: n.threshold,
        reason: n.status.clone().or_else(|| n.query.clone()),
        links,
        snapshot_url: n
            .snapshot
            .as_deref()
            .filter(|u| url::is_datadog_url(u))
            .map(|u| u.trim().to_owned()),
        tags: n.tags.clone(),
    }
}
