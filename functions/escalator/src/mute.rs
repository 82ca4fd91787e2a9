//! Keeps each alert's silence as the silences in force say: before the escalator delivers
//! an alert's pages, and every minute with the clock. `modelwatch::silencing` decides;
//! the decision reaches the alert as a signal through the lifecycle like any other.

use modelwatch::domain::{Alert, Silence, Timestamp};
use modelwatch::silencing;
use modelwatch::silencing::signal as silences;
use modelwatch::store::StoreError;

use crate::Escalator;

/// Applies the silences' decision to `alert` if it differs from what the alert holds;
/// whether a signal was written.
pub async fn reconcile(
    escalator: &Escalator,
    active: &[Silence],
    alert: &Alert,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !alert.status.is_open() {
        return Ok(false);
    }
    let muting = silencing::muting(active, alert, &escalator.config, now);
    let current_until = alert.silence.as_ref().map(|s| s.until).filter(|u| *u > now);
    let signal = match (muting, current_until) {
        // Muted, and not yet until that silence's end.
        (Some(s), until) if until != Some(s.ends_at) => silences::muted(alert, s, now),
        // Under a silence that no longer holds (expired early): unmute now.
        (None, Some(_)) => silences::unmuted(&alert.key, now),
        _ => return Ok(false),
    }
    .map_err(|e| StoreError::Config {
        message: e.to_string(),
    })?;
    let applied = escalator.store.apply_signal(&signal, now).await?;
    if applied.written {
        tracing::info!(alert_key = %alert.key, signal = signal.kind.name(), by = ?muting.map(silencing::muted_by), "silence applied");
    }
    Ok(applied.written)
}
