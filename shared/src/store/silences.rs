//! Silences in the table: one partition holds them all, so the escalator reads every
//! silence in force with one query.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::records::{decode, encode, n};
use super::{Store, StoreError, error};
use crate::domain::{Silence, SilenceId, Timestamp};

/// The one partition of every silence.
const SILENCES_PK: &str = "SILENCES";
/// A silence stays listed (and readable) this long after it ends, then TTL removes it.
const KEPT_AFTER_END_SECS: u64 = 7 * 24 * 3600;
/// The claim on a silence request (`Silence::request_key`): the silence made for it last.
const REQUEST_PK_PREFIX: &str = "SILENCE_REQUEST#";
const REQUEST_SK: &str = "LATEST";

/// Whether `put_silence_once` stored the silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Stored,
    /// Another silence claimed the same request first (`silence_claimed_for` names it).
    Taken,
}

impl Store {
    /// Records a new silence and, in the same transaction, claims its request: on
    /// condition that no other silence claimed it after `fresh_after`, unless that one is
    /// `seen` (read already, and not a repeat). Of the same request sent twice at once,
    /// one silence is stored and the other request finds it claimed.
    pub async fn put_silence_once(
        &self,
        silence: &Silence,
        fresh_after: Timestamp,
        seen: Option<&SilenceId>,
    ) -> Result<Claim, StoreError> {
        let stored = Put::builder()
            .table_name(&self.table)
            .set_item(Some(silence_item(silence)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(error::build)?;
        let claim = Put::builder()
            .table_name(&self.table)
            .item("pk", request_pk(silence))
            .item("sk", AttributeValue::S(REQUEST_SK.into()))
            .item("silence_id", AttributeValue::S(silence.id.to_string()))
            .item("created_at", n(silence.created_at.millis()))
            .item("ttl", expiry(silence))
            .expression_attribute_values(":fresh_after", n(fresh_after.millis()));
        let claim = match seen {
            None => {
                claim.condition_expression("attribute_not_exists(pk) OR created_at < :fresh_after")
            }
            Some(id) => claim
                .condition_expression(
                    "attribute_not_exists(pk) OR created_at < :fresh_after OR silence_id = :seen",
                )
                .expression_attribute_values(":seen", AttributeValue::S(id.to_string())),
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(stored).build())
            .transact_items(
                TransactWriteItem::builder()
                    .put(claim.build().map_err(error::build)?)
                    .build(),
            )
            .send()
            .await;
        let Err(err) = result else {
            return Ok(Claim::Stored);
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
            err.as_service_error()
        {
            let code = |i: usize| cancel.cancellation_reasons().get(i).and_then(|r| r.code());
            if code(0) == Some("ConditionalCheckFailed") {
                // Another silence has this id (made in the same millisecond).
                return Err(StoreError::Contention {
                    key: silence.id.to_string(),
                    attempts: 1,
                });
            }
            // The claim was refused, or is being written by another request right now.
            if matches!(
                code(1),
                Some("ConditionalCheckFailed" | "TransactionConflict")
            ) {
                return Ok(Claim::Taken);
            }
        }
        Err(error::classify("TransactWriteItems", err))
    }

    /// The silence that last claimed `silence`'s request, if any claim is kept.
    pub async fn silence_claimed_for(
        &self,
        silence: &Silence,
    ) -> Result<Option<SilenceId>, StoreError> {
        let pk = request_pk(silence);
        let Some(claim) = self
            .get(pk.clone(), AttributeValue::S(REQUEST_SK.into()), true)
            .await?
        else {
            return Ok(None);
        };
        let id = claim.get("silence_id").and_then(|v| v.as_s().ok());
        let id = id.map(|id| SilenceId::new(id)).transpose();
        id.map_err(|e| StoreError::BadItem {
            key: format!(
                "{}/{REQUEST_SK}",
                pk.as_s().map(String::as_str).unwrap_or("?")
            ),
            field: "silence_id".into(),
            message: e.to_string(),
        })
    }

    /// Silences in force at `now` or starting later, earliest start first.
    pub async fn silences(&self, now: Timestamp) -> Result<Vec<Silence>, StoreError> {
        // A silence this version cannot read (a newer version's) mutes nothing here,
        // rather than failing every delivery that checks the silences.
        let items = self.query_items(SILENCES_PK, None).await?;
        let mut all: Vec<Silence> = super::records::decodable_as(&items, "silence");
        all.retain(|s| s.ends_at > now);
        all.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        Ok(all)
    }

    /// One silence, ended or not (while the table keeps it).
    pub async fn silence(&self, id: &SilenceId) -> Result<Option<Silence>, StoreError> {
        let (pk, sk) = (
            AttributeValue::S(SILENCES_PK.into()),
            AttributeValue::S(id.to_string()),
        );
        let item = self.get(pk, sk, true).await?;
        item.as_ref().map(decode).transpose()
    }

    /// Ends silence `id` at `now` (if it has not ended already): the alerts it muted are
    /// delivered from the next escalation clock on. `None` when there is no such silence.
    pub async fn expire_silence(
        &self,
        id: &SilenceId,
        now: Timestamp,
    ) -> Result<Option<Silence>, StoreError> {
        let Some(mut silence) = self.silence(id).await? else {
            return Ok(None);
        };
        if silence.ends_at <= now {
            return Ok(Some(silence));
        }
        let previous_end = silence.ends_at;
        silence.ends_at = now;
        silence.starts_at = silence.starts_at.min(now);
        self.write_silence(&silence, previous_end).await?;
        Ok(Some(silence))
    }

    /// Writes a change to `silence`, on condition that it still ends where it was read.
    async fn write_silence(
        &self,
        silence: &Silence,
        expected_end: Timestamp,
    ) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(silence_item(silence)?))
            .condition_expression("ends_at = :end")
            .expression_attribute_values(":end", n(expected_end.millis()));
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::Contention {
                    key: silence.id.to_string(),
                    attempts: 1,
                })
            }
            Err(e) => Err(error::classify("PutItem", e)),
        }
    }
}

fn silence_item(silence: &Silence) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item = encode(SILENCES_PK.into(), silence.id.to_string(), silence)?;
    item.insert("ends_at".into(), n(silence.ends_at.millis()));
    item.insert("ttl".into(), expiry(silence));
    Ok(item)
}

/// When TTL removes a silence and its request's claim: a week after the silence ends.
fn expiry(silence: &Silence) -> AttributeValue {
    n(silence.ends_at.plus_secs(KEPT_AFTER_END_SECS).secs())
}

fn request_pk(silence: &Silence) -> AttributeValue {
    AttributeValue::S(format!("{REQUEST_PK_PREFIX}{}", silence.request_key()))
}
