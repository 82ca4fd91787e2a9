//! Silences in the table: one partition holds them all, so the escalator reads every
//! silence in force with one query.

use aws_sdk_dynamodb::types::AttributeValue;

use super::records::{decode, encode, n};
use super::{Store, StoreError, error};
use crate::domain::{Silence, SilenceId, Timestamp};

/// The one partition of every silence.
const SILENCES_PK: &str = "SILENCES";
/// A silence stays listed (and readable) this long after it ends, then TTL removes it.
const KEPT_AFTER_END_SECS: u64 = 7 * 24 * 3600;

impl Store {
    /// Records a new silence.
    pub async fn put_silence(&self, silence: &Silence) -> Result<(), StoreError> {
        self.write_silence(silence, None).await
    }

    /// Silences in force at `now` or starting later, earliest start first.
    pub async fn silences(&self, now: Timestamp) -> Result<Vec<Silence>, StoreError> {
        let mut all: Vec<Silence> = self.query_bodies(SILENCES_PK, None).await?;
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
        self.write_silence(&silence, Some(previous_end)).await?;
        Ok(Some(silence))
    }

    /// Writes `silence`: a new one must not exist yet; a change must find the end it read.
    async fn write_silence(
        &self,
        silence: &Silence,
        expected_end: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let mut item = encode(SILENCES_PK.into(), silence.id.to_string(), silence)?;
        item.insert("ends_at".into(), n(silence.ends_at.millis()));
        item.insert(
            "ttl".into(),
            n(silence.ends_at.plus_secs(KEPT_AFTER_END_SECS).secs()),
        );
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match expected_end {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(end) => put
                .condition_expression("ends_at = :end")
                .expression_attribute_values(":end", n(end.millis())),
        };
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
