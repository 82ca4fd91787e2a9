//! `modelwatch preview alert`: the exact PagerDuty events and Slack messages an alert
//! would produce — when it opens and at every escalation up to its maximum level — printed
//! without sending. The alert comes from a Datadog webhook payload or from a monitor.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use super::{CliError, Format, output};
use crate::config::Config;
use crate::datadog::webhook;
use crate::domain::{
    Action, Alert, AlertContext, AlertKey, Breach, BreachState, Level, ModelRef, MonitorRef,
    OwedAction, PageReason, Signal, SignalId, SignalKind, SlackThread, Source, Timestamp,
};
use crate::escalation::{self, StepKind};
use crate::lifecycle;
use crate::pagerduty::RoutingKey;
use crate::secret::Secret;

#[derive(Debug, clap::Args)]
pub struct AlertArgs {
    /// The configuration file (routing, levels, runbooks).
    #[arg(long)]
    pub config: PathBuf,
    /// A Datadog webhook payload (JSON) to preview, as the intake would receive it.
    #[arg(long, conflicts_with = "monitor")]
    pub webhook: Option<PathBuf>,
    /// Or a monitor of the configuration that fires (the options below describe how).
    #[arg(long, required_unless_present = "webhook")]
    pub monitor: Option<String>,
    /// The model it fires on (default: the monitor's first model, else the configuration's).
    #[arg(long, requires = "monitor")]
    pub model: Option<String>,
    /// The model's version it fires on.
    #[arg(long, requires = "monitor")]
    pub version: Option<String>,
    /// The environment it fires in.
    #[arg(long, default_value = "prod")]
    pub env: String,
    /// The level it opens at (default: the monitor's alert level).
    #[arg(long)]
    pub level: Option<Level>,
    /// The metric's value shown in the messages.
    #[arg(long)]
    pub value: Option<f64>,
    /// The threshold the value is shown against.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Why it fired, as the messages say it.
    #[arg(long)]
    pub reason: Option<String>,
}

/// One request the alert would send.
#[derive(Debug, serde::Serialize)]
struct Request {
    id: String,
    api: String,
    body: Value,
}

/// What is sent at one moment: when the alert opens, or at one escalation.
#[derive(Debug, serde::Serialize)]
struct Moment {
    when: String,
    requests: Vec<Request>,
}

pub fn run(args: &AlertArgs, format: Format, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let now = Timestamp::now();
    let (signal, subject) = match &args.webhook {
        Some(path) => (
            from_webhook(&config, path, now)?,
            format!("the webhook {}", path.display()),
        ),
        None => from_monitor(&config, args, now)?,
    };
    let alert = lifecycle::apply(&Alert::blank(signal.key.clone()), &signal, now).alert;
    let Some(opened) = alert.owed.first().cloned() else {
        let nothing = "this signal opens no alert (it is a recovery); nothing would be sent";
        return match format {
            Format::Text => Ok(writeln!(out, "{nothing}")?),
            Format::Json => output::json(
                out,
                &serde_json::json!({ "summary": nothing, "moments": [] }),
            ),
        };
    };
    let mut moments = vec![Moment {
        when: format!("opens at {}", alert.level),
        requests: requests(&config, &alert, &opened)?,
    }];

    // What each escalation up to the policy's maximum would send on top.
    // By then the first messages are posted: their threads get the follow-ups.
    let mut posted = alert.clone();
    posted.deliveries.cycle = alert.cycle;
    for channel in escalation::destinations(&config, &alert, alert.level).slack_channels {
        posted.deliveries.slack.push(SlackThread {
            channel_id: channel.clone(),
            channel,
            ts: "1700000000.000100".into(),
        });
    }
    let mut level = alert.level;
    while let Some(next) = level.next().filter(|l| *l <= alert.policy.max_level) {
        let mut escalated = posted.clone();
        escalated.level = next;
        let page = OwedAction {
            seq: opened.seq + u64::from(next as u8),
            cycle: alert.cycle,
            created_at: now,
            action: Action::Page {
                level: next,
                reason: PageReason::Unanswered,
            },
            done: Vec::new(),
        };
        moments.push(Moment {
            when: format!("if nobody acknowledges: escalation to {next}"),
            requests: requests(&config, &escalated, &page)?,
        });
        level = next;
    }
    let summary = format!(
        "alert {} from {subject} opens at {}",
        alert.key, alert.level
    );
    match format {
        Format::Json => output::json(
            out,
            &serde_json::json!({ "summary": summary, "moments": moments }),
        ),
        Format::Text => {
            // The summary first: the bodies below run to hundreds of lines.
            writeln!(out, "# {summary}")?;
            for m in &moments {
                let ids: Vec<&str> = m.requests.iter().map(|r| r.id.as_str()).collect();
                writeln!(out, "#   {}: {}", m.when, ids.join(", "))?;
            }
            writeln!(
                out,
                "# (the requests follow; --format json for one document)"
            )?;
            for m in &moments {
                writeln!(out, "\n# {}", m.when)?;
                for r in &m.requests {
                    writeln!(out, "\n## {}: {}", r.id, r.api)?;
                    writeln!(out, "{}", pretty(&r.body))?;
                }
            }
            Ok(())
        }
    }
}

fn requests(config: &Config, alert: &Alert, owed: &OwedAction) -> Result<Vec<Request>, CliError> {
    let ctx = escalation::page_context(config, alert);
    let steps = escalation::plan(
        alert,
        owed,
        |l| escalation::destinations(config, alert, l),
        &ctx,
    )?;
    let mut out = Vec::new();
    for step in steps {
        let (api, body) = match &step.kind {
            StepKind::SlackPost { message } | StepKind::SlackReply { message } => (
                "Slack chat.postMessage".to_owned(),
                serde_json::to_value(message).unwrap_or(Value::Null),
            ),
            StepKind::SlackUpdate { message, .. } => (
                "Slack chat.update".to_owned(),
                serde_json::to_value(message).unwrap_or(Value::Null),
            ),
            StepKind::PagerDuty {
                key_name, event, ..
            } => {
                let entry = config
                    .routing
                    .pagerduty_keys
                    .get(key_name)
                    .cloned()
                    .unwrap_or_default();
                // A stand-in key renders the event; the real one never reaches a terminal.
                let stand_in = RoutingKey::new(Secret::new("0".repeat(RoutingKey::LEN)))?;
                let mut body = event.to_body(&stand_in);
                body["routing_key"] = Value::String(format!("<secret {entry}>"));
                (
                    format!("PagerDuty POST /v2/enqueue (routing key from secret `{entry}`)"),
                    body,
                )
            }
            // Sends nothing: the page's cycle is over.
            StepKind::PagerDutyOver { .. } => continue,
        };
        out.push(Request {
            id: step.id.to_string(),
            api,
            body,
        });
    }
    Ok(out)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn from_webhook(config: &Config, path: &PathBuf, now: Timestamp) -> Result<Signal, CliError> {
    let body =
        std::fs::read(path).map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let n = webhook::parse_json(&body)
        .map_err(|r| CliError::Input(format!("{}: {}", path.display(), r.error)))?;
    // The payload's own Datadog links say its site; without one, links go to US1.
    let site = crate::datadog::site::DatadogSite::default();
    Ok(crate::signals::datadog::from_webhook(
        config, site, &n, &body, now,
    )?)
}

/// The signal of `args.monitor` firing, and what it fires on in words. Without `--model`,
/// the monitor's first model (or the configuration's), so the preview shows a real route.
fn from_monitor(
    config: &Config,
    args: &AlertArgs,
    now: Timestamp,
) -> Result<(Signal, String), CliError> {
    let id = args.monitor.as_deref().unwrap_or_default();
    let monitor = config.monitor(id).ok_or_else(|| {
        let known: Vec<&str> = config.monitors.iter().map(|m| m.id.as_str()).collect();
        CliError::Input(format!(
            "unknown monitor {id:?}: expected one of {}",
            known.join(", ")
        ))
    })?;
    let level = args.level.unwrap_or(monitor.levels.alert);
    let (name, chosen) = match args.model.as_deref() {
        Some(m) => (Some(m), ""),
        None => match monitor.models.first() {
            Some(m) => (Some(m.as_str()), " (no --model: the monitor's first model)"),
            None => (
                config.models.keys().next().map(String::as_str),
                " (no --model: the configuration's first model)",
            ),
        },
    };
    let model = name
        .map(|m| ModelRef::new(m, args.version.as_deref()))
        .transpose()?;
    let group = model
        .as_ref()
        .map_or_else(|| "every model".to_owned(), |m| format!("{m}"));
    let subject = format!("monitor {} on {group}{chosen}", monitor.id);
    let context = AlertContext {
        title: format!("{} on {group}", monitor.name),
        model: model.clone(),
        monitor: MonitorRef {
            id: monitor.id.clone(),
            name: Some(monitor.name.clone()),
        },
        environment: Some(args.env.clone()),
        metric: monitor.metric.clone(),
        value: args.value,
        threshold: args.threshold,
        reason: args.reason.clone(),
        ..AlertContext::default()
    };
    let signal = Signal {
        id: SignalId::new("preview")?,
        key: AlertKey::new(format!(
            "preview:{}|{}",
            monitor.id,
            model
                .as_ref()
                .map_or_else(|| "*".to_owned(), |m| m.to_string())
        ))?,
        at: now,
        source: Source::Operator,
        kind: SignalKind::Breach {
            breach: Breach {
                state: BreachState::Alert,
                level,
                first_breach_at: None,
                context,
                policy: config.escalation_policy(&monitor.id, level, now),
            },
            repeat: false,
        },
    };
    Ok((signal, subject))
}
