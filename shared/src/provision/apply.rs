//! Carrying out a plan against Datadog, in order, stopping at the first failure: what was
//! done stays done, and the next run's plan holds only what is left (objects are found
//! again by key, so nothing is created twice).

use std::collections::BTreeMap;

use serde_json::Value;

use super::datadog_api::{ApiError, DatadogApi};
use super::desired::{Kind, placeholder};
use super::plan::{Change, Plan};

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Deletes left out because they were not allowed.
    pub refused_deletes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "{key}: {source}\n{done} of {total} change(s) were made before it; run apply again to finish (nothing is made twice)"
    )]
    Failed {
        key: String,
        done: usize,
        total: usize,
        #[source]
        source: ApiError,
    },
    #[error(
        "{key}: composite refers to {missing}, which has no Datadog id; run apply again once it exists"
    )]
    MissingReference { key: String, missing: String },
}

impl ApplyError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ApplyError::Failed { source, .. } => source.is_retryable(),
            ApplyError::MissingReference { .. } => false,
        }
    }
}

/// Applies `plan`. `ids` holds the Datadog ids of the managed monitors found (key → id),
/// which composites need; deletes are made only when `allow_delete`.
pub async fn apply(
    api: &DatadogApi,
    plan: &Plan,
    mut ids: BTreeMap<String, String>,
    allow_delete: bool,
    mut progress: impl FnMut(&Change),
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    let total = plan.changes.len();
    for (done, change) in plan.changes.iter().enumerate() {
        let failed = |source| ApplyError::Failed {
            key: change.key().to_owned(),
            done,
            total,
            source,
        };
        match change {
            Change::Create(object) => {
                let body = resolved(&object.body, &object.key, &object.refs, &ids)?;
                let id = api.create(object.kind, &body).await.map_err(failed)?;
                tracing::info!(kind = object.kind.as_str(), key = %object.key, %id, "created");
                if object.kind == Kind::Monitor {
                    ids.insert(object.key.clone(), id);
                }
                applied.created += 1;
            }
            Change::Update { object, id, .. } => {
                let body = resolved(&object.body, &object.key, &object.refs, &ids)?;
                api.update(object.kind, id, &body).await.map_err(failed)?;
                tracing::info!(kind = object.kind.as_str(), key = %object.key, %id, "updated");
                applied.updated += 1;
            }
            Change::Delete { found, .. } => {
                if !allow_delete {
                    applied.refused_deletes += 1;
                    continue;
                }
                api.delete(found.kind, &found.id).await.map_err(failed)?;
                tracing::info!(kind = found.kind.as_str(), key = %found.key, id = %found.id, "deleted");
                applied.deleted += 1;
            }
        }
        progress(change);
    }
    Ok(applied)
}

/// `body` with a composite's `[[key]]` references replaced by Datadog ids.
fn resolved(
    body: &Value,
    key: &str,
    refs: &[String],
    ids: &BTreeMap<String, String>,
) -> Result<Value, ApplyError> {
    if refs.is_empty() {
        return Ok(body.clone());
    }
    let mut query = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for r in refs {
        let id = ids.get(r).ok_or_else(|| ApplyError::MissingReference {
            key: key.to_owned(),
            missing: r.clone(),
        })?;
        query = query.replace(&placeholder(r), id);
    }
    let mut body = body.clone();
    body["query"] = Value::String(query);
    Ok(body)
}
