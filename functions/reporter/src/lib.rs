//! The reporter Lambda: run by EventBridge Scheduler per audience in a time zone, it
//! gathers the period's model and business metrics (Datadog), alert history, open alerts,
//! silences and subscribers (the table), builds the daily or weekly report at the
//! audience's depth, uploads its charts and posts it to Slack, split into a thread when
//! Slack's limits ask.
//!
//! The event names the report and the audience; the configuration's audience picks the
//! content (`reports.audiences`: depth, models, metrics, business metrics) and, with the
//! deployment's variables, the channel (see `ReportChannels`). Subscribers of the report's
//! topic are mentioned in its first message.

mod channels;
mod gather;
mod post;
mod request;
mod settings;

use std::sync::Arc;
use std::time::Duration;

use modelwatch::clock::Clock;
use modelwatch::config::Config;
use modelwatch::datadog::metrics::MetricsClient;
use modelwatch::domain::Topic;
use modelwatch::report::{self, Audience, ReportInput, ReportKind, Thresholds};
use modelwatch::runtime::{FromSecrets, InitError, Live, clients};
use modelwatch::secrets::{Secrets, names};
use modelwatch::slack::SlackClient;
use modelwatch::store::{Claimed, Store};
use serde_json::Value;

pub use channels::{ChannelSettingError, REPORT_CHANNEL_VAR, ReportChannels};
pub use gather::{METRIC_QUERIES, business_query, metric_query, utc_days};
pub use post::{Posted, pace};
pub use request::{ReportRequest, RequestError, ScheduleRef};
pub use settings::Settings;

#[derive(Debug)]
pub struct Reporter {
    pub store: Store,
    pub config: Arc<Config>,
    pub slack: SlackClient,
    pub metrics: MetricsClient,
    /// Where each audience's reports go.
    pub channels: ReportChannels,
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Store(#[from] modelwatch::store::StoreError),
    #[error(transparent)]
    Metrics(#[from] modelwatch::datadog::metrics::MetricsError),
    #[error(transparent)]
    Slack(#[from] modelwatch::slack::SlackError),
    #[error(transparent)]
    Report(#[from] modelwatch::report::ReportError),
}

/// How long one delivery may hold a report's claim: the reporter's Timeout in
/// infra/template.yaml, after which Lambda has stopped it.
pub const CLAIM_SECS: u64 = 120;
/// Beyond `CLAIM_SECS`: a post in flight when its holder was stopped lands before
/// another delivery looks for it.
const CLAIM_MARGIN_SECS: u64 = 10;
/// How often a delivery waiting on another's claim looks again.
const CLAIM_POLL: Duration = Duration::from_secs(1);
/// How long a delivery waits on another's claim before leaving the report to it (if it
/// failed, Lambda retries its event), with time left to post within its own Timeout.
const CLAIM_WAIT: Duration = Duration::from_secs(90);

/// What the reporter is built from besides the secret.
#[derive(Debug)]
pub struct Setup {
    pub store: Store,
    pub config: Arc<Config>,
    pub settings: Settings,
}

impl FromSecrets for Setup {
    type Built = Reporter;

    fn required_secrets(&self) -> Vec<String> {
        [
            names::SLACK_BOT_TOKEN,
            names::DATADOG_API_KEY,
            names::DATADOG_APP_KEY,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn build(&self, secrets: &Secrets) -> Result<Reporter, InitError> {
        Ok(Reporter {
            store: self.store.clone(),
            config: self.config.clone(),
            slack: clients::slack(&self.settings.slack, secrets)?,
            metrics: clients::datadog_metrics(&self.settings.datadog, secrets)?,
            channels: self.settings.channels.clone(),
            clock: Clock::system(),
        })
    }
}

impl Reporter {
    /// The reporter as the deployment's environment and secret make it.
    pub async fn from_env() -> Result<Live<Setup>, InitError> {
        let start = modelwatch::runtime::cold_start().await?;
        let settings = Settings::from_env(&start.config)?;
        let setup = Setup {
            store: start.store,
            config: Arc::new(start.config),
            settings,
        };
        Live::with_secrets(start.secrets, start.first_secrets, setup)
    }

    /// The audience `name`: as configured, or, when the configuration declares none, the
    /// detailed report of every model. A name the configuration does not declare is refused
    /// rather than guessed: its report would go to the wrong people.
    pub fn audience(&self, name: &str) -> Result<Audience, RequestError> {
        let audiences = &self.config.reports.audiences;
        if audiences.is_empty() {
            return Ok(Audience::everything(name));
        }
        match self.config.reports.audience(name) {
            Some(a) => Ok(a.content.clone()),
            None => Err(RequestError::UnknownAudience {
                received: name.chars().take(40).collect(),
                expected: audiences.keys().cloned().collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// Builds and posts one report. One delivery of it at a time: another waits on its
    /// claim and, seeing it finished, leaves the report to it (`Store::claim_report`), so
    /// two deliveries of one schedule, at once or one after the other, post it once.
    pub async fn run(&self, request: &ReportRequest) -> Result<Posted, ReportError> {
        let at = request.time.unwrap_or_else(|| self.clock.now());
        let audience = self.audience(&request.audience)?;
        let channel = self.channels.for_audience(&request.audience);
        let report = format!(
            "{}|{}|{channel}|{}",
            request.report.name(),
            request.audience,
            request.period(at).end()
        );
        let Some(holder) = self.claim(&report, request.again).await? else {
            return Ok(Posted {
                left_to_another_delivery: true,
                ..Posted::default()
            });
        };
        let posted = self.build_and_post(request, at, &audience).await;
        // Neither failing is the report's: the claim runs out by itself.
        let settled = match &posted {
            Ok(_) => self.store.finish_report(&report, &holder).await,
            Err(_) => self.store.release_report(&report, &holder).await,
        };
        if let Err(e) = settled {
            tracing::warn!(report = %report, error = %e, "report claim not settled; it runs out by itself");
        }
        posted
    }

    /// The claim on `report` for this delivery (its holder name), waiting while another
    /// delivery holds it unfinished; `None` when another posted the report (before or
    /// meanwhile; unless `again`), or still holds it after `CLAIM_WAIT`.
    async fn claim(&self, report: &str, again: bool) -> Result<Option<String>, ReportError> {
        let started = std::time::Instant::now();
        let mut waited = false;
        loop {
            let now = self.clock.now();
            let until = now.plus_secs(CLAIM_SECS + CLAIM_MARGIN_SECS);
            // `again` takes a claim finished before this delivery came; one that finishes
            // while it waits was posted by another delivery of the same re-run.
            match self
                .store
                .claim_report(report, (now, until), again && !waited)
                .await?
            {
                // Finished, while this one waited or before it came: posted by another
                // delivery, whatever a look-up in the channel would say (one refused for a
                // missing history scope would post it again). A run that finishes leaves
                // nothing a later one could add: what failed for now fails the run, which
                // gives the claim back.
                Claimed::Finished => {
                    tracing::info!(report = %report, waited_ms = started.elapsed().as_millis() as u64, "another delivery of this report posted it");
                    return Ok(None);
                }
                Claimed::Held { holder } => return Ok(Some(holder)),
                Claimed::Busy { until } if started.elapsed() >= CLAIM_WAIT => {
                    tracing::warn!(report = %report, until = %until, waited_ms = started.elapsed().as_millis() as u64, "another delivery of this report still holds it; left to that one (Lambda retries its event if it fails)");
                    return Ok(None);
                }
                Claimed::Busy { until } => {
                    if !waited {
                        tracing::info!(report = %report, until = %until, "another delivery is posting this report; waiting for it");
                    }
                    waited = true;
                    tokio::time::sleep(CLAIM_POLL).await;
                }
            }
        }
    }

    async fn build_and_post(
        &self,
        request: &ReportRequest,
        at: modelwatch::domain::Timestamp,
        audience: &Audience,
    ) -> Result<Posted, ReportError> {
        let th = Thresholds::default();
        let models: Vec<String> = self
            .config
            .models
            .keys()
            .filter(|m| audience.covers(m))
            .cloned()
            .collect();
        let period = request.period(at);
        let topic = match request.report {
            ReportKind::Daily => Topic::Daily,
            ReportKind::Weekly => Topic::Weekly,
        };
        let (metrics, business) =
            gather::metrics(&self.metrics, &models, &audience.business, period).await?;
        let open_alerts = self.store.open_alerts().await?;
        // Only the weekly report looks back (response times per week) and ahead.
        let (history, quiet) = match request.report {
            ReportKind::Daily => (Vec::new(), Vec::new()),
            ReportKind::Weekly => (
                gather::history(&self.store, period, th.response_weeks).await?,
                gather::quiet(&self.store, at, &self.config, &open_alerts).await?,
            ),
        };
        let input = ReportInput {
            period,
            metrics: &metrics,
            business: &business,
            open_alerts: &open_alerts,
            history: &history,
            quiet: &quiet,
            zone: &request.time_zone(),
        };
        let document = report::compose(request.report, audience, &input, &th);
        let mentions = gather::mentions(&self.store, topic).await?;
        let channel = self.channels.for_audience(&request.audience);
        let posted = post::post(
            &self.slack,
            channel,
            &request.audience,
            &document,
            &mentions,
        )
        .await?;
        tracing::info!(
            report = request.report.name(),
            audience = %request.audience,
            depth = audience.depth.name(),
            channel = %channel,
            messages = posted.messages,
            charts = posted.charts,
            charts_failed = posted.charts_failed,
            replies_failed = posted.replies_failed,
            found_posted = posted.found_posted,
            "report posted"
        );
        Ok(posted)
    }
}

/// The Lambda handler: reads the schedule's event and posts the report it names.
pub async fn handle(reporter: &Reporter, event: Value) -> Result<Posted, ReportError> {
    let request = ReportRequest::from_event(&event)?;
    reporter.run(&request).await
}
