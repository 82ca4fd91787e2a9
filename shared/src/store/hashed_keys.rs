//! The alert keys that hashed PagerDuty dedup keys stand for (`page::hashed`): an alert
//! key too long for a dedup key reaches PagerDuty as its digest, and PagerDuty's webhooks
//! name the incident by that digest alone.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Store, StoreError, error};
use crate::domain::{AlertKey, Timestamp};
use crate::page::HashedAlertKey;

/// Counted from the newest trigger that carried the digest: an incident may stay open,
/// and be acknowledged or resolved in PagerDuty, long after it was paged.
pub const HASHED_KEY_TTL_SECS: u64 = 365 * 24 * 3600;

const SK: &str = "ALERT";

fn pk(digest: &str) -> AttributeValue {
    AttributeValue::S(format!("PAGERDUTY_KEY#sha256:{digest}"))
}

impl Store {
    /// Remembers which alert `hashed.digest` stands for. Made before each trigger that
    /// carries the digest, so that whatever PagerDuty sends back about its incident finds
    /// the alert (`hashed_alert_key`).
    pub async fn remember_hashed_key(
        &self,
        hashed: &HashedAlertKey,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", pk(&hashed.digest))
            .item("sk", AttributeValue::S(SK.into()))
            .item(
                "alert_key",
                AttributeValue::S(hashed.key.as_str().to_owned()),
            )
            .item(
                "ttl",
                super::item::number(now.plus_secs(HASHED_KEY_TTL_SECS).secs()),
            )
            .send()
            .await
            .map_err(|e| error::classify("PutItem", e))?;
        Ok(())
    }

    /// The alert a hashed dedup key's `digest` stands for, if one was remembered; an item
    /// whose key does not hash to `digest` is refused by name.
    pub async fn hashed_alert_key(&self, digest: &str) -> Result<Option<AlertKey>, StoreError> {
        let Some(item) = self
            .get(pk(digest), AttributeValue::S(SK.into()), true)
            .await?
        else {
            return Ok(None);
        };
        let bad = |message: String| StoreError::BadItem {
            key: format!("PAGERDUTY_KEY#sha256:{digest}"),
            field: "alert_key".into(),
            message,
        };
        let written = match item.get("alert_key") {
            Some(AttributeValue::S(k)) => k,
            _ => return Err(bad("missing, or not a string".into())),
        };
        let key = AlertKey::new(written).map_err(|e| bad(e.to_string()))?;
        if HashedAlertKey::of(&key).digest != digest {
            return Err(bad(format!("{key} does not hash to the item's digest")));
        }
        Ok(Some(key))
    }
}
