//! `modelwatch datadog plan|apply`: the webhook, dashboards and native monitors in Datadog
//! kept in step with the configuration (see `provision`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use serde_json::{Value, json};

use super::CliError;
use super::output::{self, Format};
use crate::config::Config;
use crate::datadog::metrics::DatadogKeys;
use crate::datadog::site::DatadogSite;
use crate::http::{BaseUrl, Timeouts};
use crate::provision::{self, Change, DatadogApi, Inputs, Kind, Plan};
use crate::secrets::{SecretSource, names};

#[derive(Debug, Subcommand)]
pub enum DatadogCommand {
    /// Print what `apply` would change in Datadog, with a diff; nothing is changed.
    Plan(DatadogArgs),
    /// Make Datadog match the configuration. Deletes only with --allow-delete.
    Apply {
        #[command(flatten)]
        args: DatadogArgs,
        /// Also delete managed objects the configuration no longer asks for.
        #[arg(long)]
        allow_delete: bool,
    },
}

#[derive(Debug, Args)]
pub struct DatadogArgs {
    /// The configuration file (modelwatch.yaml).
    #[arg(long)]
    pub config: PathBuf,
    /// Your Datadog site, as the stack's DatadogSite parameter (datadoghq.eu, ...).
    #[arg(long, env = "MODELWATCH_DATADOG_SITE", default_value_t = DatadogSite::default())]
    pub site: DatadogSite,
    /// Another API URL than the site's (a local fake, a proxy).
    #[arg(long, env = "MODELWATCH_DATADOG_URL")]
    pub datadog_url: Option<String>,
    /// The intake's /webhooks/datadog URL (default: `datadog.webhook_url` in the configuration).
    #[arg(long, env = "MODELWATCH_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Rewrite the secret token variable (Datadog never shows its value, so a changed
    /// `webhook_token` cannot be seen otherwise).
    #[arg(long)]
    pub rotate_token: bool,
}

pub async fn run(
    command: DatadogCommand,
    format: Format,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let (args, apply, allow_delete) = match command {
        DatadogCommand::Plan(args) => (args, false, false),
        DatadogCommand::Apply { args, allow_delete } => (args, true, allow_delete),
    };
    let config = Config::load(&args.config)?;
    let webhook_url = args
        .webhook_url
        .clone()
        .or_else(|| config.datadog.webhook_url.clone())
        .ok_or_else(|| {
            CliError::Input(
                "no webhook URL: expected --webhook-url (or MODELWATCH_WEBHOOK_URL) or `datadog.webhook_url` in the configuration: the stack's DatadogWebhookUrl output".into(),
            )
        })?;
    let base = BaseUrl::new(
        &args
            .datadog_url
            .clone()
            .unwrap_or_else(|| args.site.api_url()),
    )?;
    let secrets = SecretSource::from_env(&crate::aws::sdk_config(crate::aws::Roots::System).await)
        .fetch()
        .await
        .map_err(|e| CliError::Input(e.to_string()))?;
    let secret = |name| {
        secrets
            .require(name)
            .cloned()
            .map_err(|e| CliError::Input(e.to_string()))
    };
    let keys = DatadogKeys {
        api_key: secret(names::DATADOG_API_KEY)?,
        app_key: secret(names::DATADOG_APP_KEY)?,
    };
    let token = secret(names::WEBHOOK_TOKEN)?;
    let api = DatadogApi::new(base, keys, Timeouts::default())
        .map_err(|e| CliError::Input(e.to_string()))?;
    let desired = provision::desired(Inputs {
        config: &config,
        webhook_url: &webhook_url,
        token: &token,
    })
    .map_err(|e| CliError::Input(e.to_string()))?;
    let (plan, ids) = provision::survey(&api, desired, args.rotate_token)
        .await
        .map_err(|e| service_error(e.is_retryable(), e.to_string()))?;
    if format == Format::Text {
        write!(out, "{}", provision::render(&plan))?;
    }
    if !apply || plan.is_empty() {
        if format == Format::Json {
            output::json(out, &json!({"plan": plan_json(&plan)}))?;
        }
        return Ok(());
    }
    let mut lines = Vec::new();
    let result = provision::apply(&api, &plan, ids, allow_delete, |change| {
        let verb = match change {
            Change::Create(_) => "created",
            Change::Update { .. } => "updated",
            Change::Delete { .. } => "deleted",
        };
        lines.push(format!("{verb} {}", change.key()));
    })
    .await;
    if format == Format::Text {
        for line in &lines {
            writeln!(out, "{line}")?;
        }
    }
    let applied = result.map_err(|e| service_error(e.is_retryable(), e.to_string()))?;
    match format {
        Format::Text => writeln!(
            out,
            "Applied: {} created, {} updated, {} deleted.",
            applied.created, applied.updated, applied.deleted
        )?,
        Format::Json => output::json(
            out,
            &json!({
                "plan": plan_json(&plan),
                "applied": {
                    "created": applied.created,
                    "updated": applied.updated,
                    "deleted": applied.deleted,
                    "refused_deletes": applied.refused_deletes,
                },
            }),
        )?,
    }
    if applied.refused_deletes > 0 {
        return Err(CliError::Input(format!(
            "{} managed object(s) left in Datadog that the configuration no longer asks for: run apply with --allow-delete to delete them",
            applied.refused_deletes
        )));
    }
    Ok(())
}

/// Datadog's failure: unavailable when a retry may help (exit 4), else refused (exit 3).
fn service_error(retryable: bool, message: String) -> CliError {
    if retryable {
        CliError::Unavailable(message)
    } else {
        CliError::Input(message)
    }
}

/// The plan for scripts: each change with its kind, key and, for updates, each differing
/// field as Datadog has it and as the configuration wants it (secrets never included).
fn plan_json(plan: &Plan) -> Value {
    let kind = |k: Kind| format!("{k:?}").to_lowercase();
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .map(|change| match change {
            Change::Create(o) => json!({"action": "create", "kind": kind(o.kind), "key": o.key}),
            Change::Update {
                object,
                id,
                differences,
            } => json!({
                "action": "update",
                "kind": kind(object.kind),
                "key": object.key,
                "id": id,
                "differences": differences
                    .iter()
                    .map(|d| json!({"field": d.path, "datadog": d.have, "configuration": d.want}))
                    .collect::<Vec<_>>(),
            }),
            Change::Delete { found, duplicate } => json!({
                "action": "delete",
                "kind": kind(found.kind),
                "key": found.key,
                "id": found.id,
                "duplicate": duplicate,
            }),
        })
        .collect();
    json!({"changes": changes, "unchanged": plan.unchanged})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::{Found, Object, plan};

    #[test]
    fn the_json_plan_lists_each_change_with_its_fields_and_no_secret() {
        let object = |key: &str, view: Value| Object {
            kind: Kind::Monitor,
            key: key.into(),
            title: key.into(),
            body: json!({"query": "q", "secret": "never shown"}),
            view,
            refs: Vec::new(),
        };
        let found = |key: &str, id: &str, view: Value| Found {
            kind: Kind::Monitor,
            key: key.into(),
            id: id.into(),
            title: key.into(),
            view,
        };
        let desired = vec![
            object("monitor/new/prod", json!({"query": "a > 1"})),
            object("monitor/edited/prod", json!({"query": "b > 2"})),
        ];
        let datadog = vec![
            found("monitor/edited/prod", "7", json!({"query": "b > 3"})),
            found("monitor/gone/prod", "8", json!({"query": "c > 1"})),
        ];
        let value = plan_json(&plan(desired, datadog, false));
        let text = value.to_string();
        assert!(!text.contains("never shown"), "{text}");
        let changes = value["changes"].as_array().unwrap();
        let by_action = |action: &str| {
            changes
                .iter()
                .find(|c| c["action"] == action)
                .unwrap_or_else(|| panic!("no {action} in {text}"))
        };
        assert_eq!(by_action("create")["key"], "monitor/new/prod");
        let update = by_action("update");
        assert_eq!(update["id"], "7");
        assert_eq!(update["differences"][0]["field"], "/query");
        assert_eq!(update["differences"][0]["datadog"], "b > 3");
        assert_eq!(update["differences"][0]["configuration"], "b > 2");
        assert_eq!(by_action("delete")["kind"], "monitor");
    }
}
