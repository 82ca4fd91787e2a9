//! `modelwatch doctor --config FILE`: the deployment's connections checked for real
//! (`crate::doctor`), with what is wrong and how to fix it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::CliError;
use super::output::{self, Format};
use crate::config::Config;
use crate::datadog::site::DatadogSite;
use crate::doctor::{self, Inputs, Targets};
use crate::http::BaseUrl;
use crate::pagerduty::PagerDutyClient;
use crate::secrets::SecretSource;
use crate::slack::SlackClient;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The configuration file (modelwatch.yaml) the deployment runs.
    #[arg(long)]
    pub config: PathBuf,
    /// Your Datadog site, as the stack's DatadogSite parameter (datadoghq.eu, ...).
    #[arg(long, env = "MODELWATCH_DATADOG_SITE", default_value_t = DatadogSite::default())]
    pub site: DatadogSite,
    /// Another Datadog API URL than the site's (a local fake, a proxy).
    #[arg(long, env = "MODELWATCH_DATADOG_URL")]
    pub datadog_url: Option<String>,
    /// Another Slack Web API URL (a local fake).
    #[arg(long, env = "MODELWATCH_SLACK_URL", default_value = SlackClient::DEFAULT_BASE_URL)]
    pub slack_url: String,
    /// Another PagerDuty Events API URL (a local fake).
    #[arg(long, env = "MODELWATCH_PAGERDUTY_URL", default_value = PagerDutyClient::DEFAULT_BASE_URL)]
    pub pagerduty_url: String,
    /// Also send each PagerDuty routing key a test event, resolved at once (it opens and
    /// closes an incident on that service).
    #[arg(long)]
    pub send_test_event: bool,
}

pub async fn run(args: &DoctorArgs, format: Format, out: &mut impl Write) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let aws = crate::aws::sdk_config(crate::aws::Roots::System).await;
    let secrets = SecretSource::from_env(&aws)
        .fetch()
        .await
        .map_err(|e| CliError::Unavailable(format!("reading the secret: {e}")))?;
    let datadog = BaseUrl::new(
        &args
            .datadog_url
            .clone()
            .unwrap_or_else(|| args.site.api_url()),
    )?;
    let targets = Targets {
        datadog_config: datadog.clone(),
        datadog,
        slack: BaseUrl::new(&args.slack_url)?,
        pagerduty: BaseUrl::new(&args.pagerduty_url)?,
    };
    let store = Store::from_env().await;
    let inputs = Inputs {
        config: &config,
        secrets: &secrets,
        targets,
        send_test_events: args.send_test_event,
    };
    let checks = doctor::examine(&inputs, store.as_ref()).await;
    match format {
        Format::Text => write!(out, "{}", doctor::render(&checks))?,
        Format::Json => output::json(out, &checks)?,
    }
    let failed = checks.iter().filter(|c| c.failed()).count();
    if failed > 0 {
        return Err(CliError::Input(format!(
            "{failed} of {} checks failed: see the fixes above",
            checks.len()
        )));
    }
    Ok(())
}
