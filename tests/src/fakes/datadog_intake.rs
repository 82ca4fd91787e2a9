//! The Datadog fake's metrics intake: `POST /api/v2/series` with `DD-API-KEY` (no
//! application key needed), checked against `tests/contracts/datadog-series.schema.json`
//! and Datadog's 512,000-byte payload limit, answered `202 {"errors": []}`. The points
//! join the fake's stored series, so what the prober submits can be queried back.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::common::{Common, attach, lock};
use super::contract::{Breach, Problem, contracts};
use super::datadog::StoredSeries;

/// Datadog's limit on an uncompressed payload.
pub const MAX_PAYLOAD_BYTES: usize = 512_000;
const OPERATION: &str = "/api/v2/series";

fn error(common: &Common, status: StatusCode, message: &str) -> Response {
    let body = json!({"errors": [message]});
    let violations = common.violated("answer", &contracts().datadog_error.check(&body));
    attach((status, Json(body)).into_response(), violations)
}

/// Handles one submission against `series` (the fake's store).
pub(super) fn submit(
    common: &Common,
    api_key: &str,
    series: &Mutex<Vec<StoredSeries>>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let key = headers
        .get("dd-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if key != api_key {
        return error(common, StatusCode::FORBIDDEN, "Forbidden");
    }
    if body.len() > MAX_PAYLOAD_BYTES {
        let violations = common.violated(
            OPERATION,
            &[Breach {
                pointer: String::new(),
                problem: Problem::Other(format!(
                    "payload of {} bytes is over Datadog's {MAX_PAYLOAD_BYTES}",
                    body.len()
                )),
            }],
        );
        let answer = error(common, StatusCode::PAYLOAD_TOO_LARGE, "Payload too large");
        return attach(answer, violations);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let violations = common.violated(
                OPERATION,
                &[Breach {
                    pointer: String::new(),
                    problem: Problem::Other(format!("not JSON: {e}")),
                }],
            );
            return attach(
                error(common, StatusCode::BAD_REQUEST, "Bad Request"),
                violations,
            );
        }
    };
    let breaches = contracts().datadog_series.check(&value);
    if !breaches.is_empty() {
        let violations = common.violated(OPERATION, &breaches);
        return attach(
            error(common, StatusCode::BAD_REQUEST, "Bad Request"),
            violations,
        );
    }
    let mut stored = lock(series);
    for s in value["series"].as_array().into_iter().flatten() {
        let metric = s["metric"].as_str().unwrap_or_default().to_owned();
        let tags: BTreeMap<String, String> = s["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|t| match t.split_once(':') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (t.to_owned(), String::new()),
            })
            .collect();
        let points: Vec<(i64, f64)> = s["points"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["timestamp"].as_i64()? * 1000, p["value"].as_f64()?)))
            .collect();
        match stored
            .iter_mut()
            .find(|x| x.metric == metric && x.tags == tags)
        {
            Some(existing) => {
                existing.points.extend(points);
                existing.points.sort_by_key(|(t, _)| *t);
            }
            None => stored.push(StoredSeries {
                metric,
                tags,
                points,
            }),
        }
    }
    let body = json!({"errors": []});
    let violations = common.violated("answer", &contracts().datadog_series_accepted.check(&body));
    attach(
        (StatusCode::ACCEPTED, Json(body)).into_response(),
        violations,
    )
}
