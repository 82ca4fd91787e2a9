//! The DynamoDB store: alert state, signal receipts, history, subscriptions, silences,
//! deployments and the groups each monitor has seen, in one table.
//!
//! # Single-table design
//!
//! The table definition lives in `infra/table.json` (CloudFormation properties); the tests,
//! `make local` and the SAM template all use it.
//!
//! | item | `pk` | `sk` | other attributes |
//! |---|---|---|---|
//! | alert | `ALERT#{alert key}` | `STATE` | `body` (the `Alert` as JSON), `version`, `status`, `level`, `model`, `gsi1pk`/`gsi1sk` while open |
//! | signal receipt | `SIGNAL#{alert key}#{signal id}`, and `#c{cycle}` after an id made from the body | `SIGNAL` | `outcome`, `received_at`, `ttl` (7 days) |
//! | history | `HIST#{yyyy-mm-dd}` (UTC day) | `{ms, 13 digits}#{alert key}#{version}` | `alert_key`, `signal`, `source`, `outcome`, `status`, `level`, `cycle`, `actions`, `snapshot` (the cycle's facts as JSON), `ttl` (90 days) |
//! | subscription | `SUB#{daily\|weekly\|alerts}` | `{Slack user ID}#{model or *}` | `body` (`Subscription` as JSON) |
//! | silence | `SILENCES` | `{silence id}` | `body` (`Silence`: matchers, start, end, by, comment), `ends_at` (ms), `ttl` (a week after the end) |
//! | silence request | `SILENCE_REQUEST#{Silence::request_key}` | `LATEST` | `silence_id` (the newest silence made for that request), `created_at` (ms), `ttl` (its silence's) |
//! | deployment | `DEPLOY#{model}` | `{ms, 13 digits}#{version}#{environment}` (`-` for none) | `body` (`page::Deployment`), `ttl` (30 days) |
//! | seen groups | `SEEN#{monitor}` | `GROUPS` | `body` (`SeenGroups`: each group's last point, its reconciled absence), or past 350 KB of it `body_deflate` (binary: the same JSON, deflated) |
//! | last good run | `EVALUATOR` | `LAST_RUN` | `at` (ms), `body` (`LastRun`: its instant and monitors) |
//! | hashed PagerDuty key | `PAGERDUTY_KEY#sha256:{digest}` | `ALERT` | `alert_key` (the alert key a dedup key too long for PagerDuty was hashed from: `page::hashed`), `ttl` (a year after its newest trigger) |
//! | report claim | `REPORT#{report}\|{audience}\|{channel}\|{period end}` | `CLAIM` | `holder` (the delivery posting it), `until` (ms: the holder's longest life), `finished`, `ttl` (a week after `until`) |
//!
//! - GSI `open-alerts` (`gsi1pk` = `OPEN`, or `OWING` for a resolved alert whose resolve is
//!   not yet delivered; `gsi1sk` = `{opened_at ms}#{key}`) is sparse: the attributes exist
//!   only while an alert is open or owes deliveries, so the escalation clock reads exactly
//!   those and nothing else.
//! - A topic's subscribers, all silences, and a model's deployments in a time range are
//!   each one query on one partition (`records`).
//! - TTL on `ttl` (epoch seconds) expires receipts, history, silences, deployments,
//!   hashed PagerDuty keys and report claims.
//!   DynamoDB deletes expired items lazily, so nothing here relies on them being gone
//!   (silences are filtered on `until`).
//! - The stream (NEW_AND_OLD_IMAGES) feeds the escalator: an alert item whose new image
//!   owes actions (`owed` in `body`, counted in `owed_count` for the stream filter in
//!   `infra/template.yaml`, applied by `stream`) is what gets delivered.
//!
//! # One write per signal
//!
//! `apply_signal` reads the alert (strongly consistent), runs `lifecycle::apply`, and
//! writes the new state, the receipt and the history entry in one `TransactWriteItems`,
//! on condition that the alert still has the version it read. A lost race cancels the
//! transaction; the signal is then applied again to a fresh read, never written over.

mod error;
mod hashed_keys;
mod item;
mod last_run;
mod records;
mod report_claims;
mod seen;
mod silences;
pub mod stream;
mod table;

pub use error::StoreError;
pub use hashed_keys::HASHED_KEY_TTL_SECS;
pub use item::decode_alert;
pub use records::DEPLOYMENT_TTL_SECS;
pub use report_claims::{Claimed, ReportClaim};
pub use silences::Claim;
pub use table::{TableDefinition, create_table};

use std::collections::HashMap;

pub use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use crate::domain::{Alert, AlertKey, HistoryEntry, Signal, Timestamp};
use crate::lifecycle::{self, Transition};

/// How often a signal is re-applied after losing a race before giving up (retryably).
const MAX_ATTEMPTS: u32 = 8;
/// Of them, how many a throttled transaction may take before the sender is told to retry.
const THROTTLED_ATTEMPTS: u32 = 2;
/// Receipts guard against redelivery for this long; Datadog retries within minutes.
pub const RECEIPT_TTL_SECS: u64 = 7 * 24 * 3600;
/// History feeds the weekly reports and MTTx figures.
pub const HISTORY_TTL_SECS: u64 = 90 * 24 * 3600;

/// The alerts table.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

/// What happened to one signal in the store.
#[derive(Debug, Clone)]
pub struct Applied {
    pub transition: Transition,
    /// Whether this call wrote (false for duplicates and signals that changed nothing).
    pub written: bool,
    /// Read-apply-write rounds it took (more than one after losing a race).
    pub attempts: u32,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// A store for the table named by `MODELWATCH_TABLE`, with the standard AWS settings
    /// (including `AWS_ENDPOINT_URL_DYNAMODB` for the local emulator) and the system's
    /// roots: the command line's (the functions' store comes from `runtime::cold_start`).
    pub async fn from_env() -> Result<Self, StoreError> {
        let table = std::env::var("MODELWATCH_TABLE").map_err(|_| StoreError::Config {
            message: "MODELWATCH_TABLE is not set: expected the alerts table's name".into(),
        })?;
        let config = crate::aws::sdk_config(crate::aws::Roots::System).await;
        Ok(Self::new(Client::new(&config), table))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Checks that the table exists with the alerts table's key and opens the connection
    /// (call during init, so the first event does not pay for the TLS handshake): an
    /// eventually consistent read of a key no item uses (half a read unit). Not
    /// DescribeTable: AWS asks that control-plane calls, throttled per account, stay out
    /// of data-plane code (bp-control-plane), and a storm of cold starts would make one
    /// each; a table with another key schema fails this read by name as well.
    pub async fn check_table(&self) -> Result<(), StoreError> {
        let check = AttributeValue::S(item::TABLE_CHECK.into());
        self.get(check.clone(), check, false)
            .await
            .map(|_| ())
            .map_err(|e| self.naming_table(e))
    }

    /// `error`, naming the table when DynamoDB refused the request: its answer to a read
    /// does not name the table, and the fix starts there.
    pub fn naming_table(&self, error: StoreError) -> StoreError {
        match error {
            StoreError::Rejected { operation, message } => StoreError::Rejected {
                operation,
                message: format!("table `{}`: {message}", self.table),
            },
            other => other,
        }
    }

    /// Reads one alert, strongly consistent.
    pub async fn load(&self, key: &AlertKey) -> Result<Option<Alert>, StoreError> {
        let pk = AttributeValue::S(item::alert_pk(key));
        let item = self
            .get(pk, AttributeValue::S(item::ALERT_SK.into()), true)
            .await?;
        item.as_ref().map(decode_alert).transpose()
    }

    /// One item by its key; `consistent` for a strongly consistent read.
    async fn get(
        &self,
        pk: AttributeValue,
        sk: AttributeValue,
        consistent: bool,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", sk)
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| error::classify("GetItem", e))?;
        Ok(out.item)
    }

    /// `apply_signal` with its one log line: what it did, or why it was not stored.
    /// `source` names the function (`evaluator`, `prober`). Returns whether it wrote.
    pub async fn apply_signal_logged(
        &self,
        signal: &Signal,
        now: Timestamp,
        source: &'static str,
    ) -> Result<bool, StoreError> {
        match self.apply_signal(signal, now).await {
            Ok(applied) => {
                tracing::info!(
                    alert_key = %signal.key,
                    signal = signal.kind.name(),
                    outcome = applied.transition.outcome.as_str(),
                    written = applied.written,
                    "{source} signal"
                );
                Ok(applied.written)
            }
            Err(e) => {
                tracing::error!(alert_key = %signal.key, error = %e, "signal not stored");
                Err(e)
            }
        }
    }

    /// Applies one signal: read, `lifecycle::apply`, one conditional transaction, and
    /// again from a fresh read if another writer got there first.
    pub async fn apply_signal(
        &self,
        signal: &Signal,
        now: Timestamp,
    ) -> Result<Applied, StoreError> {
        let mut throttled = 0;
        for attempt in 1..=MAX_ATTEMPTS {
            let current = self
                .load(&signal.key)
                .await?
                .unwrap_or_else(|| Alert::blank(signal.key.clone()));
            let mut transition = lifecycle::apply(&current, signal, now);
            if !transition.changed(&current) {
                return Ok(Applied {
                    transition,
                    written: false,
                    attempts: attempt,
                });
            }
            transition.alert.version = current.version + 1;
            match self.commit(&current, &transition, signal, now).await? {
                Commit::Written => {
                    return Ok(Applied {
                        transition,
                        written: true,
                        attempts: attempt,
                    });
                }
                Commit::AlreadyReceived => {
                    return Ok(Applied {
                        transition: Transition {
                            alert: current,
                            actions: Vec::new(),
                            outcome: lifecycle::Outcome::Duplicate,
                        },
                        written: false,
                        attempts: attempt,
                    });
                }
                Commit::Conflict => {
                    tracing::debug!(alert_key = %signal.key, attempt, "version conflict, re-reading");
                    backoff(attempt).await;
                }
                // The SDK does not retry a cancelled transaction: a few tries here, then
                // the sender's retry, rather than more load on a table already short.
                Commit::Throttled if throttled < THROTTLED_ATTEMPTS => {
                    throttled += 1;
                    tracing::warn!(alert_key = %signal.key, attempt, "transaction throttled, backing off");
                    backoff(attempt + 2).await;
                }
                Commit::Throttled => {
                    return Err(StoreError::Unavailable {
                        operation: "TransactWriteItems",
                        message: format!(
                            "the table's capacity ran short for alert {} ({} tries)",
                            signal.key,
                            throttled + 1
                        ),
                    });
                }
            }
        }
        Err(StoreError::Contention {
            key: signal.key.to_string(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Writes one transition of `current` in one conditional transaction. `apply_signal`
    /// is the way in; this step is public so tests can stage a lost race.
    pub async fn commit(
        &self,
        current: &Alert,
        transition: &Transition,
        signal: &Signal,
        now: Timestamp,
    ) -> Result<Commit, StoreError> {
        let alert_put = {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item::encode_alert(&transition.alert)?));
            let put = if current.is_stored() {
                put.condition_expression("version = :expected")
                    .expression_attribute_values(":expected", item::number(current.version))
            } else {
                put.condition_expression("attribute_not_exists(pk)")
            };
            put.build().map_err(error::build)?
        };
        let receipt = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item::encode_receipt(
                signal,
                transition.outcome,
                transition.alert.cycle,
                now,
            )))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(error::build)?;
        let history = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item::encode_history(signal, transition, now)?))
            .build()
            .map_err(error::build)?;

        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(alert_put).build())
            .transact_items(TransactWriteItem::builder().put(receipt).build())
            .transact_items(TransactWriteItem::builder().put(history).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Commit::Written),
            Err(err) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
                    err.as_service_error()
                {
                    let codes: Vec<Option<&str>> = cancel
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code())
                        .collect();
                    match read_cancellation(&codes) {
                        Cancelled::Commit(commit) => return Ok(commit),
                        Cancelled::Refused(why) => {
                            return Err(StoreError::Rejected {
                                operation: "TransactWriteItems",
                                message: format!("TransactionCanceledException: {why}"),
                            });
                        }
                        Cancelled::Unknown => {}
                    }
                }
                Err(error::classify("TransactWriteItems", err))
            }
        }
    }

    /// Changes an alert's delivery bookkeeping (what was sent where; never its lifecycle
    /// state): read, `change`, write on condition that the version is still the one read,
    /// and again from a fresh read when another writer got there first. `change` returns
    /// whether it changed anything; it may run more than once, so it must be pure.
    pub async fn record(
        &self,
        key: &AlertKey,
        change: impl FnMut(&mut Alert) -> bool,
    ) -> Result<Option<Alert>, StoreError> {
        self.record_from(key, None, change).await
    }

    /// `record`, starting from `read`, the alert as the caller last read or wrote it, so
    /// the first attempt costs one write and no read; when `read` is stale (another
    /// writer came in between) the version condition fails and `record` goes on from a
    /// fresh read, without waiting.
    pub async fn record_from(
        &self,
        key: &AlertKey,
        read: Option<Alert>,
        mut change: impl FnMut(&mut Alert) -> bool,
    ) -> Result<Option<Alert>, StoreError> {
        if let Some(alert) = read
            && let Some(written) = self.write_changed(alert, &mut change).await?
        {
            return Ok(Some(written));
        }
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(alert) = self.load(key).await? else {
                return Ok(None);
            };
            if let Some(written) = self.write_changed(alert, &mut change).await? {
                return Ok(Some(written));
            }
            backoff(attempt).await;
        }
        Err(StoreError::Contention {
            key: key.to_string(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Applies `change` to `alert`, a copy the caller holds from elsewhere (a stream
    /// record's image), and writes it on condition that the stored version is still
    /// `alert`'s: the alert as written, or `None` when the stored alert has moved on.
    /// Unlike `record_from` it never reads, so a `change` that changes nothing gives
    /// `alert` back unwritten and unconfirmed.
    pub async fn record_if_current(
        &self,
        alert: Alert,
        mut change: impl FnMut(&mut Alert) -> bool,
    ) -> Result<Option<Alert>, StoreError> {
        self.write_changed(alert, &mut change).await
    }

    /// Applies `change` to `alert` and writes it on condition that the stored version is
    /// still `alert`'s: the alert as written (or unchanged), or `None` when another
    /// writer got there first.
    async fn write_changed(
        &self,
        mut alert: Alert,
        change: &mut impl FnMut(&mut Alert) -> bool,
    ) -> Result<Option<Alert>, StoreError> {
        let expected = alert.version;
        if !change(&mut alert) {
            return Ok(Some(alert));
        }
        alert.version = expected + 1;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item::encode_alert(&alert)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", item::number(expected))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(alert)),
            // Another writer came first, or its transaction holds the item right now (which
            // the SDK does not retry): read again and write again.
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_conditional_check_failed_exception()
                        || s.is_transaction_conflict_exception()
                }) =>
            {
                Ok(None)
            }
            Err(e) => Err(error::classify("PutItem", e)),
        }
    }

    /// The open alerts, oldest first, through the sparse `open-alerts` index (an item
    /// that does not decode skipped, with an error logged).
    pub async fn open_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.indexed(item::OPEN).await
    }

    /// Resolved alerts that still owe deliveries (their resolve, typically).
    pub async fn owing_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.indexed(item::OWING).await
    }

    async fn indexed(&self, partition: &str) -> Result<Vec<Alert>, StoreError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(table::OPEN_ALERTS_INDEX)
            .key_condition_expression("gsi1pk = :partition")
            .expression_attribute_values(":partition", AttributeValue::S(partition.into()))
            .into_paginator()
            .items()
            .send();
        let mut alerts = Vec::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(|e| error::classify("Query", e))?;
            // One item this version cannot read (a newer version's after a rollback, or
            // edited by hand) must not stop every reader of the rest: the escalation
            // clock above all. Logged for the template's alarm (the escalator's clock
            // reads these every minute); read by its key, it is still an error naming it.
            match decode_alert(&item) {
                Ok(alert) => alerts.push(alert),
                Err(e) => {
                    tracing::error!(error = %e, "alert unreadable");
                }
            }
        }
        Ok(alerts)
    }

    /// Every alert, open or not (a scan: for the command line, not for hot paths).
    pub async fn all_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let mut items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("sk = :state")
            .expression_attribute_values(":state", AttributeValue::S(item::ALERT_SK.into()))
            .into_paginator()
            .items()
            .send();
        let mut alerts = Vec::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(|e| error::classify("Scan", e))?;
            alerts.push(decode_alert(&item)?);
        }
        alerts.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(alerts)
    }

    /// The history entries of one UTC day, in time order.
    pub async fn history(&self, day: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :day")
            .expression_attribute_values(":day", AttributeValue::S(format!("HIST#{day}")))
            .into_paginator()
            .items()
            .send();
        let mut entries = Vec::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(|e| error::classify("Query", e))?;
            entries.push(item::decode_history(&item)?);
        }
        Ok(entries)
    }
}

/// How a conditional write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    Written,
    /// The signal's receipt exists: this delivery was applied before.
    AlreadyReceived,
    /// Another writer changed the alert since it was read.
    Conflict,
    /// The table's capacity ran short for an item of the transaction.
    Throttled,
}

/// What a cancelled transaction of an alert, its signal's receipt and its history means.
#[derive(Debug, PartialEq)]
enum Cancelled {
    Commit(Commit),
    /// It cannot pass however often it is sent (an item grown past 400 KB, say).
    Refused(String),
    /// No reason DynamoDB gave that this knows: classified by its error code.
    Unknown,
}

/// Reads DynamoDB's cancellation reasons, one per item of the transaction in order
/// (alert, receipt, history; `None` or "None" for an item that was not the cause).
fn read_cancellation(codes: &[Option<&str>]) -> Cancelled {
    let at = |i: usize| codes.get(i).copied().flatten();
    let any = |wanted: &[&str]| codes.iter().flatten().any(|c| wanted.contains(c));
    if at(1) == Some("ConditionalCheckFailed") {
        return Cancelled::Commit(Commit::AlreadyReceived);
    }
    if at(0) == Some("ConditionalCheckFailed") {
        return Cancelled::Commit(Commit::Conflict);
    }
    let refusals = ["ValidationError", "ItemCollectionSizeLimitExceeded"];
    if any(&refusals) {
        let named: Vec<String> = ["alert", "receipt", "history"]
            .iter()
            .zip(codes)
            .filter_map(|(item, code)| code.map(|c| (item, c)))
            .filter(|(_, c)| *c != "None")
            .map(|(item, c)| format!("{item} {c}"))
            .collect();
        return Cancelled::Refused(format!(
            "DynamoDB refused the write ({}); a retry cannot pass",
            named.join(", ")
        ));
    }
    // Another transaction held an item: the same cure as a changed version.
    if any(&["TransactionConflict"]) {
        return Cancelled::Commit(Commit::Conflict);
    }
    // The table's capacity ran short for a moment (the SDK does not retry this inside a
    // transaction).
    if any(&["ThrottlingError", "ProvisionedThroughputExceeded"]) {
        return Cancelled::Commit(Commit::Throttled);
    }
    Cancelled::Unknown
}

/// A short random pause so that racing writers do not collide again in lockstep.
pub(crate) async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let jitter = nanos % base.max(1);
    tokio::time::sleep(std::time::Duration::from_millis(base + jitter)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_transaction_reads_by_its_reasons() {
        use Cancelled::Commit as C;
        let read = read_cancellation;
        let none = Some("None");
        assert_eq!(
            read(&[none, Some("ConditionalCheckFailed"), none]),
            C(Commit::AlreadyReceived)
        );
        assert_eq!(
            read(&[Some("ConditionalCheckFailed"), none, none]),
            C(Commit::Conflict)
        );
        assert_eq!(
            read(&[Some("TransactionConflict"), none, none]),
            C(Commit::Conflict)
        );
        for busy in ["ThrottlingError", "ProvisionedThroughputExceeded"] {
            assert_eq!(
                read(&[none, none, Some(busy)]),
                C(Commit::Throttled),
                "{busy}"
            );
        }
        // An alert grown past DynamoDB's 400 KB: no retry passes, and it says which item.
        let Cancelled::Refused(why) = read(&[Some("ValidationError"), none, none]) else {
            panic!("a validation error is refused");
        };
        assert!(why.contains("alert ValidationError"), "{why}");
        assert!(!why.contains("receipt"), "{why}");
        assert_eq!(read(&[]), Cancelled::Unknown);
        assert_eq!(read(&[None, Some("Mystery"), None]), Cancelled::Unknown);
    }
}
