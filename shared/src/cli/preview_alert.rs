//! `modelwatch preview alert`: the exact PagerDuty events and Slack messages an alert
//! would produce — when it opens and at every escalation up to its maximum level — printed
//! without sending. The alert comes from a Datadog webhook payload or from a monitor.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use super::CliError;
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
    /// Or a monitor of the configuration that fires…
    #[arg(long, required_unless_present = "webhook")]
    pub monitor: Option<String>,
    /// …on this model,
    #[arg(long, requires = "monitor")]
    pub model: Option<String>,
    /// …version,
    #[arg(long, requires = "monitor")]
    pub version: Option<String>,
    /// …environment,
    #[arg(long, default_value = "prod")]
    pub env: String,
    /// …at this level (default: the monitor's alert level),
    #[arg(long)]
    pub level: Option<Level>,
    /// …with this value against this threshold, for this reason.
    #[arg(long)]
    pub value: Option<f64>,
    #[arg(long)]
    pub threshold: Option<f64>,
    #[arg(long)]
    pub reason: Option<String>,
}

pub fn run(args: &AlertArgs, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let now = Timestamp::now();
    let signal = match &args.webhook {
        Some(path) => from_webhook(&config, path, now)?,
        None => from_monitor(&config, args, now)?,
    };
    let alert = lifecycle::apply(&Alert::blank(signal.key.clone()), &signal, now).alert;
    let Some(opened) = alert.owed.first().cloned() else {
        writeln!(
            out,
            "this signal opens no alert (it is a recovery); nothing would be sent"
        )?;
        return Ok(());
    };
    writeln!(out, "# alert {} opens at {}", alert.key, alert.level)?;
    print_steps(&config, &alert, &opened, out)?;

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
        writeln!(
            out,
            "\n# if nobody acknowledges: escalation to {next} (after the first messages are posted)"
        )?;
        print_steps(&config, &escalated, &page, out)?;
        level = next;
    }
    Ok(())
}

fn print_steps(
    config: &Config,
    alert: &Alert,
    owed: &OwedAction,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let ctx = escalation::page_context(config, alert);
    let steps = escalation::plan(
        alert,
        owed,
        |l| escalation::destinations(config, alert, l),
        &ctx,
    )?;
    for step in steps {
        match &step.kind {
            StepKind::SlackPost { message } | StepKind::SlackReply { message } => {
                writeln!(out, "\n## {}: Slack chat.postMessage", step.id)?;
                writeln!(
                    out,
                    "{}",
                    pretty(&serde_json::to_value(message).unwrap_or(Value::Null))
                )?;
            }
            StepKind::SlackUpdate { message, .. } => {
                writeln!(out, "\n## {}: Slack chat.update", step.id)?;
                writeln!(
                    out,
                    "{}",
                    pretty(&serde_json::to_value(message).unwrap_or(Value::Null))
                )?;
            }
            StepKind::PagerDuty {
                key_name, event, ..
            } => {
                let entry = config
                    .routing
                    .pagerduty_keys
                    .get(key_name)
                    .cloned()
                    .unwrap_or_default();
                writeln!(
                    out,
                    "\n## {}: PagerDuty POST /v2/enqueue (routing key from secret `{entry}`)",
                    step.id
                )?;
                // A stand-in key renders the event; the real one never reaches a terminal.
                let stand_in = RoutingKey::new(Secret::new("0".repeat(RoutingKey::LEN)))?;
                let mut body = event.to_body(&stand_in);
                body["routing_key"] = Value::String(format!("<secret {entry}>"));
                writeln!(out, "{}", pretty(&body))?;
            }
        }
    }
    Ok(())
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

fn from_monitor(config: &Config, args: &AlertArgs, now: Timestamp) -> Result<Signal, CliError> {
    let id = args.monitor.as_deref().unwrap_or_default();
    let monitor = config.monitor(id).ok_or_else(|| {
        let known: Vec<&str> = config.monitors.iter().map(|m| m.id.as_str()).collect();
        CliError::Input(format!(
            "unknown monitor {id:?}: expected one of {}",
            known.join(", ")
        ))
    })?;
    let level = args.level.unwrap_or(monitor.levels.alert);
    let model = args
        .model
        .as_deref()
        .map(|m| ModelRef::new(m, args.version.as_deref()))
        .transpose()?;
    let group = model
        .as_ref()
        .map_or_else(|| "*".to_owned(), |m| format!("{m}"));
    let context = AlertContext {
        title: format!("{} on {group}", monitor.name),
        model,
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
    Ok(Signal {
        id: SignalId::new("preview")?,
        key: AlertKey::new(format!("preview:{}|{group}", monitor.id))?,
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
    })
}
