//! The table's other items: Slack subscriptions and
//! model deployments (see the single-table design in `store`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, error};
use crate::domain::{Deployment, Subscription, Timestamp, Topic};

type Item = HashMap<String, AttributeValue>;

/// Deployments older than this are of no use to a page (which looks back 24 h).
pub const DEPLOYMENT_TTL_SECS: u64 = 30 * 24 * 3600;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn subscription_key(topic: Topic, subscriber: &str, model: Option<&str>) -> (String, String) {
    (
        format!("SUB#{}", topic.as_str()),
        format!("{subscriber}#{}", model.unwrap_or("*")),
    )
}

fn deployment_pk(model: &str) -> String {
    format!("DEPLOY#{model}")
}

pub(super) fn encode<T: Serialize>(pk: String, sk: String, body: &T) -> Result<Item, StoreError> {
    let text = serde_json::to_string(body).map_err(|e| StoreError::BadItem {
        key: format!("{pk}/{sk}"),
        field: "body".into(),
        message: e.to_string(),
    })?;
    Ok(Item::from([
        ("pk".into(), s(pk)),
        ("sk".into(), s(sk)),
        ("body".into(), s(text)),
    ]))
}

/// The subscriptions among `items` that decode; the others skipped with a warning.
fn decodable(items: &[Item]) -> Vec<Subscription> {
    decodable_as(items, "subscription")
}

/// The `T`s among `items` that decode; the others (a newer version's, or damaged) skipped
/// with a warning naming `what`, so one such item does not fail every read of the rest.
pub(super) fn decodable_as<T: DeserializeOwned>(items: &[Item], what: &str) -> Vec<T> {
    items
        .iter()
        .filter_map(|item| match decode(item) {
            Ok(body) => Some(body),
            Err(e) => {
                tracing::warn!(error = %e, "{what} skipped");
                None
            }
        })
        .collect()
}

pub(super) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let part = |name: &str| match item.get(name) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => "?".into(),
    };
    let bad = |message: String| StoreError::BadItem {
        key: format!("{}/{}", part("pk"), part("sk")),
        field: "body".into(),
        message,
    };
    match item.get("body") {
        Some(AttributeValue::S(body)) => serde_json::from_str(body).map_err(|e| bad(e.to_string())),
        _ => Err(bad("missing, or not a string".into())),
    }
}

impl Store {
    /// Adds or renews a subscription; true when it is new.
    pub async fn subscribe(&self, sub: &Subscription) -> Result<bool, StoreError> {
        let (pk, sk) = subscription_key(sub.topic, &sub.subscriber, sub.model.as_deref());
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(pk, sk, sub)?))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| error::classify("PutItem", e))?;
        Ok(out.attributes().is_none_or(HashMap::is_empty))
    }

    /// Removes a subscription; true when there was one.
    pub async fn unsubscribe(
        &self,
        topic: Topic,
        subscriber: &str,
        model: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = subscription_key(topic, subscriber, model);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| error::classify("DeleteItem", e))?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }

    /// Everyone subscribed to `topic` (what the reporter and the escalator read). A row
    /// that does not decode (written by hand, or by a newer version) is skipped with a
    /// warning: one person's entry must not keep a report or a page from everyone else.
    pub async fn subscriptions(&self, topic: Topic) -> Result<Vec<Subscription>, StoreError> {
        let items = self
            .query_items(&format!("SUB#{}", topic.as_str()), None)
            .await?;
        Ok(decodable(&items))
    }

    /// One person's subscriptions to `topic` (undecodable rows skipped, as above).
    pub async fn subscriptions_to(
        &self,
        topic: Topic,
        subscriber: &str,
    ) -> Result<Vec<Subscription>, StoreError> {
        let pk = format!("SUB#{}", topic.as_str());
        let range = (format!("{subscriber}#"), format!("{subscriber}#\u{10ffff}"));
        Ok(decodable(&self.query_items(&pk, Some(range)).await?))
    }

    /// One person's subscriptions, every topic.
    pub async fn subscriptions_of(
        &self,
        subscriber: &str,
    ) -> Result<Vec<Subscription>, StoreError> {
        let mut all = Vec::new();
        for topic in Topic::ALL {
            all.extend(self.subscriptions_to(topic, subscriber).await?);
        }
        Ok(all)
    }

    /// Records a deployment (the same model, version, environment and time again
    /// overwrites it; another environment at the same millisecond is another item).
    pub async fn record_deployment(&self, d: &Deployment) -> Result<(), StoreError> {
        let sk = format!(
            "{:013}#{}#{}",
            d.at.millis().max(0),
            d.model.version().unwrap_or("-"),
            d.environment.as_deref().unwrap_or("-")
        );
        let mut item = encode(deployment_pk(d.model.name()), sk, d)?;
        item.insert("ttl".into(), n(d.at.plus_secs(DEPLOYMENT_TTL_SECS).secs()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| error::classify("PutItem", e))?;
        Ok(())
    }

    /// Deployments of `model` from `from` to `to` (both included), newest first.
    pub async fn deployments(
        &self,
        model: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Deployment>, StoreError> {
        let range = (
            format!("{:013}#", from.millis().max(0)),
            format!("{:013}", to.millis().max(0).saturating_add(1)),
        );
        let mut found: Vec<Deployment> = self
            .query_bodies(&deployment_pk(model), Some(range))
            .await?;
        found.reverse();
        Ok(found)
    }

    /// Every item's body in partition `pk`, in sort-key order, optionally with the sort
    /// key between the two bounds.
    pub(super) async fn query_bodies<T: DeserializeOwned>(
        &self,
        pk: &str,
        between: Option<(String, String)>,
    ) -> Result<Vec<T>, StoreError> {
        self.query_items(pk, between)
            .await?
            .iter()
            .map(decode)
            .collect()
    }

    /// Every item in partition `pk`, in sort-key order, optionally with the sort key
    /// between the two bounds.
    pub(super) async fn query_items(
        &self,
        pk: &str,
        between: Option<(String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        // Strongly consistent: a silence made a moment ago must be seen by the next page
        // and by the same request sent again (`Silence::repeats`). These partitions are small.
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(pk));
        let q = match &between {
            Some((low, high)) => q
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone())),
            None => q.key_condition_expression("pk = :pk"),
        };
        let mut items = q.into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = items.next().await {
            out.push(item.map_err(|e| error::classify("Query", e))?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ModelRef;

    #[test]
    fn topics_parse_in_any_case_and_nothing_else() {
        assert_eq!(Topic::parse("Weekly"), Some(Topic::Weekly));
        assert_eq!(Topic::parse("alerts"), Some(Topic::Alerts));
        assert_eq!(Topic::parse("monthly"), None);
    }

    #[test]
    fn a_deployment_round_trips_and_a_bad_body_names_its_item() {
        let d = Deployment {
            model: ModelRef::new("chat-large", Some("v8")).unwrap(),
            environment: Some("prod".into()),
            at: Timestamp::from_secs(1_800_000_000),
            link: None,
            description: None,
        };
        let item = encode(deployment_pk("chat-large"), "x".into(), &d).unwrap();
        assert_eq!(decode::<Deployment>(&item).unwrap(), d);
        let mut broken = item.clone();
        broken.insert("body".into(), s("{"));
        let err = decode::<Deployment>(&broken).unwrap_err().to_string();
        assert!(err.contains("DEPLOY#chat-large/x"), "{err}");
    }
}
