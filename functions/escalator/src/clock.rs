//! The escalation clock, every minute: a tick for every open alert (escalate the
//! unanswered, renotify, end flapping), and a retry of deliveries left owing.

use modelwatch::domain::{Alert, Timestamp};
use modelwatch::signals;
use modelwatch::store::StoreError;

use crate::{Escalator, deliver_owed};

/// Owed actions younger than this are the stream's to deliver; older ones the clock retries.
const RETRY_AFTER_SECS: u64 = 60;

#[derive(Debug, Default, serde::Serialize)]
pub struct TickReport {
    pub open: u32,
    /// Open alerts whose silence changed (muted, or unmuted by an expiry).
    pub silenced: u32,
    pub ticked: u32,
    pub retried: u32,
    pub failed: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn tick(escalator: &Escalator, now: Timestamp) -> Result<TickReport, ClockError> {
    let mut report = TickReport::default();
    let open = escalator.store.open_alerts().await?;
    report.open = open.len() as u32;
    // Read once, and only when an alert needs them: most minutes nothing is open and
    // nothing owed, and the tick is then two queries, not three.
    let reads = escalator.cold_start.take(now);
    // Silences made, ended or expired since the last minute reach every open alert.
    for alert in &open {
        let active = reads.silences(&escalator.store, now).await?;
        match crate::mute::reconcile(escalator, active, alert, now).await {
            Ok(true) => report.silenced += 1,
            Ok(false) => {}
            Err(e) => {
                report.failed += 1;
                tracing::error!(alert_key = %alert.key, error = %e, "silence not applied");
            }
        }
    }
    let open = if report.silenced > 0 {
        escalator.store.open_alerts().await?
    } else {
        open
    };
    for alert in &open {
        let signal =
            signals::tick(&escalator.config, alert, now).map_err(|e| StoreError::Config {
                message: e.to_string(),
            })?;
        match escalator.store.apply_signal(&signal, now).await {
            Ok(applied) if applied.written => {
                report.ticked += 1;
                let actions: Vec<&str> = applied
                    .transition
                    .actions
                    .iter()
                    .map(|a| a.name())
                    .collect();
                tracing::info!(alert_key = %alert.key, signal = "tick", level = %applied.transition.alert.level, actions = ?actions, "clock");
            }
            Ok(_) => {}
            Err(e) => {
                report.failed += 1;
                tracing::error!(alert_key = %alert.key, error = %e, "tick failed");
            }
        }
    }

    // The open alerts as they stand after their ticks, and the resolved ones still owing.
    let mut owing = escalator.store.owing_alerts().await?;
    if report.ticked > 0 {
        owing.extend(escalator.store.open_alerts().await?);
    } else {
        owing.extend(open);
    }
    for alert in owing.iter().filter(|a| due(a, now)) {
        report.retried += 1;
        if let Err(e) = deliver_owed(escalator, &alert.key, None, now, &reads).await {
            report.failed += 1;
            tracing::warn!(alert_key = %alert.key, error = %e, "retry not delivered yet");
        }
    }
    Ok(report)
}

/// Whether the first owed action waited long enough and nobody holds it.
fn due(alert: &Alert, now: Timestamp) -> bool {
    let Some(first) = alert.owed.first() else {
        return false;
    };
    let claimed = alert
        .deliveries
        .claim
        .as_ref()
        .is_some_and(|c| c.until > now);
    !claimed && now.secs_since(first.created_at) >= RETRY_AFTER_SECS
}
