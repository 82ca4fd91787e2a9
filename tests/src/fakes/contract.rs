//! The vendors' published contracts (`tests/contracts/`), compiled once, and what a request
//! or an answer breaks in them: each breach with the JSON pointer of the offending value.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError, Validator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

const PAGERDUTY_OPENAPI: &str = include_str!("../../contracts/pagerduty-events-v2.openapi.json");
const PAGERDUTY_LIMITS: &str = include_str!("../../contracts/pagerduty-events-v2.limits.json");
const SLACK_OPENAPI: &str = include_str!("../../contracts/slack-web-api.openapi.json");
const SLACK_UPLOAD: &str = include_str!("../../contracts/slack-upload-external.schema.json");
const SLACK_HISTORY: &str = include_str!("../../contracts/slack-history-metadata.schema.json");
const SLACK_BLOCK_KIT: &str = include_str!("../../contracts/slack-block-kit.schema.json");
const DATADOG_TIMESERIES: &str =
    include_str!("../../contracts/datadog-query-timeseries.schema.json");
const DATADOG_PROVISIONING: &str = include_str!("../../contracts/datadog-provisioning.schema.json");
const DATADOG_SERIES: &str = include_str!("../../contracts/datadog-series.schema.json");

/// The request bodies of Datadog's configuration API the provisioning fake checks, by the
/// name of their definition in `datadog-provisioning.schema.json`.
pub const DATADOG_CONFIG_BODIES: [&str; 8] = [
    "webhook_create",
    "webhook_update",
    "custom_variable_create",
    "custom_variable_update",
    "monitor_create",
    "monitor_update",
    "dashboard",
    "error_response",
];

/// One request or answer that broke a vendor's contract, as a fake recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractViolation {
    /// `PagerDuty`, `Slack` or `Datadog`.
    pub api: String,
    /// The path or method called (`/v2/enqueue`, `chat.postMessage`), and `answer` for
    /// a fake's own answer.
    pub operation: String,
    /// Each breach as `pointer: problem`.
    pub breaches: Vec<String>,
}

impl fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} breaks the contract: {}",
            self.api,
            self.operation,
            self.breaches.join("; ")
        )
    }
}

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A required field is absent (the pointer names the object holding it).
    Missing(String),
    TooLong(u64),
    TooShort(u64),
    TooMany(u64),
    TooFew(u64),
    Pattern(String),
    /// Not one of these values.
    NotOneOf(String),
    /// Anything else, in the words of the schema keyword.
    Other(String),
}

/// One broken rule: where (a JSON pointer into the checked value) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub pointer: String,
    pub problem: Problem,
}

impl Breach {
    /// Slack's wording (`must be less than 3001 characters`, `missing required field: x`).
    pub fn slack_words(&self) -> String {
        match &self.problem {
            Problem::Missing(field) => format!("missing required field: {field}"),
            Problem::TooLong(limit) => format!("must be less than {} characters", limit + 1),
            Problem::TooShort(limit) => {
                format!("must be more than {} characters", limit.saturating_sub(1))
            }
            Problem::TooMany(limit) => format!("no more than {limit} items allowed"),
            Problem::TooFew(limit) => format!("must provide at least {limit} items"),
            Problem::Pattern(pattern) => format!("input must match regex pattern: {pattern}"),
            Problem::NotOneOf(allowed) => format!("must be one of {allowed}"),
            Problem::Other(words) => words.clone(),
        }
    }

    /// Slack's `response_metadata.messages` line: `[ERROR] … [json-pointer:/blocks/0]`.
    pub fn slack_message(&self) -> String {
        format!(
            "[ERROR] {} [json-pointer:{}]",
            self.slack_words(),
            self.pointer
        )
    }

    /// PagerDuty's wording: `'payload.summary' is too long (must be at most 1024 characters)`.
    pub fn pagerduty_message(&self) -> String {
        let field = |pointer: &str| pointer.trim_start_matches('/').replace('/', ".");
        match &self.problem {
            Problem::Missing(name) => {
                let parent = field(&self.pointer);
                let full = if parent.is_empty() {
                    name.clone()
                } else {
                    format!("{parent}.{name}")
                };
                format!("'{full}' is missing or blank")
            }
            Problem::TooLong(limit) => format!(
                "'{}' is too long (must be at most {limit} characters)",
                field(&self.pointer)
            ),
            Problem::TooShort(limit) => format!(
                "Length of '{}' is incorrect (should be at least {limit} characters)",
                field(&self.pointer)
            ),
            Problem::Pattern(pattern) if pattern == "\\S" => {
                format!("'{}' is missing or blank", field(&self.pointer))
            }
            Problem::NotOneOf(allowed) => format!(
                "'{}' is invalid (must be one of the following: {allowed})",
                field(&self.pointer)
            ),
            _ => format!(
                "'{}' is invalid ({})",
                field(&self.pointer),
                self.slack_words()
            ),
        }
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.slack_words())
    }
}

/// A compiled schema.
pub struct Schema(Validator);

impl Schema {
    /// Every breach, in the validator's order; empty when `value` keeps the contract.
    pub fn check(&self, value: &Value) -> Vec<Breach> {
        self.0.iter_errors(value).map(|e| breach(&e)).collect()
    }
}

/// Slack's methods: the schema of a call's arguments, and its compiled form.
pub struct SlackMethod {
    declared: Value,
    schema: Schema,
}

impl SlackMethod {
    /// The arguments as JSON of the declared types: form values are text, and a JSON body
    /// may carry as an array what a form carries as JSON text (`blocks`, `files`).
    pub fn typed(&self, args: &Map<String, Value>) -> Value {
        let properties = self.declared.get("properties").and_then(Value::as_object);
        let typed = args
            .iter()
            .map(|(name, value)| {
                let declared = properties
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("type"))
                    .and_then(Value::as_str);
                (name.clone(), as_declared(declared, value))
            })
            .collect();
        Value::Object(typed)
    }

    pub fn check(&self, args: &Map<String, Value>) -> Vec<Breach> {
        self.schema.check(&self.typed(args))
    }
}

fn as_declared(declared: Option<&str>, value: &Value) -> Value {
    match (declared, value) {
        (Some("string"), Value::Array(_) | Value::Object(_)) => Value::String(value.to_string()),
        (Some("boolean"), Value::String(text)) => match text.as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => value.clone(),
        },
        (Some("integer"), Value::String(text)) => text
            .parse::<i64>()
            .map_or_else(|_| value.clone(), Value::from),
        (Some("array" | "object"), Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| value.clone())
        }
        _ => value.clone(),
    }
}

/// Every contract the fakes check, compiled on first use.
pub struct Contracts {
    pub pagerduty_enqueue: Vec<Schema>,
    pub pagerduty_change: Vec<Schema>,
    pub pagerduty_success: Schema,
    pub pagerduty_error: Schema,
    pub slack_methods: BTreeMap<String, SlackMethod>,
    /// Message metadata, as `chat.postMessage` takes it.
    pub slack_metadata: Schema,
    pub slack_blocks: Schema,
    pub datadog_request: Schema,
    pub datadog_response: Schema,
    pub datadog_error: Schema,
    /// Datadog's metrics intake (`POST /api/v2/series`): the request and the 202 answer.
    pub datadog_series: Schema,
    pub datadog_series_accepted: Schema,
    /// Datadog's configuration API (webhooks, custom variables, monitors, dashboards).
    pub datadog_config: BTreeMap<&'static str, Schema>,
}

pub fn contracts() -> &'static Contracts {
    static CONTRACTS: LazyLock<Contracts> = LazyLock::new(Contracts::load);
    &CONTRACTS
}

impl Contracts {
    fn load() -> Self {
        let pagerduty = document("pagerduty-events-v2.openapi.json", PAGERDUTY_OPENAPI);
        let limits = document("pagerduty-events-v2.limits.json", PAGERDUTY_LIMITS);
        let request_body = |path: &str| {
            format!(
                "/paths/{}/post/requestBody/content/application~1json/schema",
                path.replace('/', "~1")
            )
        };
        let pagerduty_enqueue = vec![
            at(&pagerduty, &request_body("/enqueue"), Draft::Draft4),
            at(&limits, "/$defs/enqueue", Draft::Draft202012),
        ];
        let pagerduty_change = vec![
            at(&pagerduty, &request_body("/change/enqueue"), Draft::Draft4),
            at(&limits, "/$defs/change_enqueue", Draft::Draft202012),
        ];
        let response = |name: &str| {
            let pointer = format!("/components/responses/{name}/content/application~1json/schema");
            at(&pagerduty, &pointer, Draft::Draft4)
        };

        let mut slack_methods = BTreeMap::new();
        let slack = document("slack-web-api.openapi.json", SLACK_OPENAPI);
        for (path, operations) in slack["paths"].as_object().into_iter().flatten() {
            for operation in operations.as_object().into_iter().flat_map(|o| o.values()) {
                let declared = arguments_schema(operation);
                let schema = compile(&declared, Draft::Draft202012, path);
                let method = path.trim_start_matches('/').to_owned();
                slack_methods.insert(method, SlackMethod { declared, schema });
            }
        }
        let upload = document("slack-upload-external.schema.json", SLACK_UPLOAD);
        for method in ["files.getUploadURLExternal", "files.completeUploadExternal"] {
            let declared = upload["$defs"][method].clone();
            let schema = at(&upload, &format!("/$defs/{method}"), Draft::Draft202012);
            slack_methods.insert(method.to_owned(), SlackMethod { declared, schema });
        }
        let history = document("slack-history-metadata.schema.json", SLACK_HISTORY);
        for method in ["conversations.history", "conversations.replies"] {
            slack_methods.insert(
                method.to_owned(),
                SlackMethod {
                    declared: history["$defs"][method].clone(),
                    schema: at(&history, &format!("/$defs/{method}"), Draft::Draft202012),
                },
            );
        }
        let blocks = document("slack-block-kit.schema.json", SLACK_BLOCK_KIT);

        let datadog = document("datadog-query-timeseries.schema.json", DATADOG_TIMESERIES);
        let provisioning = document("datadog-provisioning.schema.json", DATADOG_PROVISIONING);
        let series = document("datadog-series.schema.json", DATADOG_SERIES);
        let datadog_config = DATADOG_CONFIG_BODIES
            .into_iter()
            .map(|name| {
                let pointer = format!("/$defs/{name}");
                (name, at(&provisioning, &pointer, Draft::Draft202012))
            })
            .collect();
        Self {
            pagerduty_enqueue,
            pagerduty_change,
            pagerduty_success: response("Success"),
            pagerduty_error: response("Error"),
            slack_methods,
            slack_metadata: at(&history, "/$defs/metadata", Draft::Draft202012),
            slack_blocks: compile(&blocks, Draft::Draft202012, "slack-block-kit"),
            datadog_request: at(&datadog, "/$defs/request", Draft::Draft202012),
            datadog_response: at(&datadog, "/$defs/response", Draft::Draft202012),
            datadog_error: at(&datadog, "/$defs/error_response", Draft::Draft202012),
            datadog_series: at(&series, "/$defs/request", Draft::Draft202012),
            datadog_series_accepted: at(&series, "/$defs/accepted", Draft::Draft202012),
            datadog_config,
        }
    }
}

fn document(name: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("tests/contracts/{name} is not JSON: {e}"))
}

/// The schema at `pointer` inside `document`, with the document's own `$ref`s resolvable.
fn at(document: &Value, pointer: &str, draft: Draft) -> Schema {
    let mut root = document.clone();
    if let Value::Object(map) = &mut root {
        map.insert("$ref".into(), Value::String(format!("#{pointer}")));
    }
    compile(&root, draft, pointer)
}

fn compile(schema: &Value, draft: Draft, what: &str) -> Schema {
    let validator = jsonschema::options()
        .with_draft(draft)
        .should_validate_formats(true)
        .with_format("date-time", iso_8601)
        .with_format("url", |url: &str| {
            url.starts_with("https://") || url.starts_with("http://")
        })
        .build(schema)
        .unwrap_or_else(|e| panic!("the contract schema at {what} does not compile: {e}"));
    Schema(validator)
}

/// An OpenAPI 2 operation's form and query parameters as a JSON Schema of its arguments
/// (the token travels in the `Authorization` header and is checked by the fake itself).
fn arguments_schema(operation: &Value) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let Some(name) = parameter["name"].as_str() else {
            continue;
        };
        if parameter["in"] == "header" || name == "token" {
            continue;
        }
        properties.insert(name.to_owned(), json!({"type": parameter["type"].clone()}));
        if parameter["required"] == true {
            required.push(Value::String(name.to_owned()));
        }
    }
    json!({"type": "object", "properties": properties, "required": required})
}

/// ISO 8601 as PagerDuty takes it: RFC 3339, or an offset without a colon
/// (`2015-07-17T08:42:58.315+0000`, the form of PagerDuty's own examples).
fn iso_8601(text: &str) -> bool {
    if text.parse::<jiff::Timestamp>().is_ok() {
        return true;
    }
    let Some(sign_at) = text.rfind(['+', '-']) else {
        return false;
    };
    let (stamp, offset) = text.split_at(sign_at);
    let digits = &offset[1..];
    if !stamp.contains('T') || digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    format!("{stamp}{}:{}", &offset[..3], &offset[3..])
        .parse::<jiff::Timestamp>()
        .is_ok()
}

fn breach(error: &ValidationError<'_>) -> Breach {
    let pointer = error.instance_path().as_str().to_owned();
    let problem = match error.kind() {
        ValidationErrorKind::Required { property } => {
            Problem::Missing(property.as_str().unwrap_or_default().to_owned())
        }
        ValidationErrorKind::MaxLength { limit } => Problem::TooLong(*limit),
        ValidationErrorKind::MinLength { limit } => Problem::TooShort(*limit),
        ValidationErrorKind::MaxItems { limit } => Problem::TooMany(*limit),
        ValidationErrorKind::MinItems { limit } => Problem::TooFew(*limit),
        ValidationErrorKind::Pattern { pattern } => Problem::Pattern(pattern.clone()),
        ValidationErrorKind::Enum { options } => Problem::NotOneOf(allowed(options)),
        ValidationErrorKind::Constant { expected_value } => {
            Problem::NotOneOf(allowed(&json!([expected_value.as_ref()])))
        }
        ValidationErrorKind::Type { kind } => Problem::Other(format!("must be of type {kind:?}")),
        ValidationErrorKind::Format { format } => {
            Problem::Other(format!("must be a valid {format}"))
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            Problem::Other("failed to match any of the allowed forms".into())
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            Problem::Other("matches more than one of the allowed forms (give one)".into())
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            Problem::Other(format!("unexpected fields: {}", unexpected.join(", ")))
        }
        ValidationErrorKind::Minimum { limit } => {
            Problem::Other(format!("must be at least {limit}"))
        }
        ValidationErrorKind::Maximum { limit } => {
            Problem::Other(format!("must be at most {limit}"))
        }
        other => Problem::Other(format!("breaks `{}`", other.keyword())),
    };
    Breach { pointer, problem }
}

/// `'a', 'b' or 'c'`, as PagerDuty lists allowed values.
fn allowed(options: &Value) -> String {
    let quoted: Vec<String> = options
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| match o {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger() -> Value {
        json!({
            "routing_key": "0123456789abcdef0123456789abcdef",
            "event_action": "trigger",
            "dedup_key": "k",
            "payload": {"summary": "x", "source": "s", "severity": "error",
                        "timestamp": "2015-07-17T08:42:58.315+0000"}
        })
    }

    fn enqueue(event: &Value) -> Vec<Breach> {
        contracts()
            .pagerduty_enqueue
            .iter()
            .flat_map(|s| s.check(event))
            .collect()
    }

    #[test]
    fn every_contract_compiles() {
        let c = contracts();
        for method in [
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
            "conversations.list",
            "auth.test",
            "files.getUploadURLExternal",
            "files.completeUploadExternal",
            "conversations.history",
            "conversations.replies",
        ] {
            assert!(c.slack_methods.contains_key(method), "{method}");
        }
    }

    #[test]
    fn pagerdutys_own_example_keeps_its_contract() {
        assert_eq!(enqueue(&trigger()), vec![]);
    }

    #[test]
    fn an_event_without_routing_key_breaks_pagerdutys_openapi_document() {
        let mut event = trigger();
        event.as_object_mut().unwrap().remove("routing_key");
        let found = enqueue(&event);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].pagerduty_message(),
            "'routing_key' is missing or blank"
        );
    }

    #[test]
    fn a_summary_over_1024_characters_breaks_pagerdutys_documented_limit() {
        let mut event = trigger();
        event["payload"]["summary"] = json!("é".repeat(1025));
        let found = enqueue(&event);
        assert_eq!(
            found
                .iter()
                .map(Breach::pagerduty_message)
                .collect::<Vec<_>>(),
            ["'payload.summary' is too long (must be at most 1024 characters)"]
        );
        event["payload"]["summary"] = json!("é".repeat(1024));
        assert!(enqueue(&event).is_empty());
    }

    #[test]
    fn severity_timestamp_and_resolve_rules_come_from_the_documents() {
        let mut event = trigger();
        event["payload"]["severity"] = json!("fatal");
        event["payload"]["timestamp"] = json!("yesterday");
        let words: Vec<String> = enqueue(&event)
            .iter()
            .map(Breach::pagerduty_message)
            .collect();
        assert!(
            words.iter().any(|w| w.starts_with(
                "'payload.severity' is invalid (must be one of the following: 'critical'"
            )),
            "{words:?}"
        );
        assert!(
            words.iter().any(|w| w.contains("'payload.timestamp'")),
            "{words:?}"
        );
        let resolve =
            json!({"routing_key": "0123456789abcdef0123456789abcdef", "event_action": "resolve"});
        let words: Vec<String> = enqueue(&resolve)
            .iter()
            .map(Breach::pagerduty_message)
            .collect();
        assert_eq!(words, ["'dedup_key' is missing or blank"]);
    }

    #[test]
    fn slack_arguments_are_typed_before_they_are_checked() {
        let method = &contracts().slack_methods["conversations.list"];
        let mut args = Map::new();
        args.insert("limit".into(), json!("200"));
        args.insert("exclude_archived".into(), json!("true"));
        assert_eq!(method.check(&args), vec![]);
        args.insert("limit".into(), json!("many"));
        assert_eq!(method.check(&args).len(), 1);
    }

    #[test]
    fn a_channel_name_breaks_complete_upload_external() {
        let method = &contracts().slack_methods["files.completeUploadExternal"];
        let mut args = Map::new();
        args.insert("files".into(), json!([{"id": "F0123456789"}]));
        args.insert("channel_id".into(), json!("C0123ABCD"));
        assert_eq!(method.check(&args), vec![]);
        args.insert("channel_id".into(), json!("#ml-reports"));
        let found = method.check(&args);
        assert_eq!(
            found[0].slack_message(),
            "[ERROR] input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ [json-pointer:/channel_id]"
        );
    }

    #[test]
    fn block_kit_limits_are_slacks() {
        let blocks = &contracts().slack_blocks;
        let divider = json!({"type": "divider"});
        assert!(
            blocks
                .check(&Value::Array(vec![divider.clone(); 50]))
                .is_empty()
        );
        let found = blocks.check(&Value::Array(vec![divider; 51]));
        assert_eq!(
            found.iter().map(Breach::slack_message).collect::<Vec<_>>(),
            ["[ERROR] no more than 50 items allowed [json-pointer:]"]
        );
        let found = blocks.check(&json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "s".repeat(3001)}},
            {"type": "header", "text": {"type": "mrkdwn", "text": "h"}},
            {"type": "section", "fields": (0..11).map(|i| json!({"type": "mrkdwn", "text": i.to_string()})).collect::<Vec<_>>()},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b".repeat(76)}, "value": "v"}]},
            {"type": "image", "image_url": "https://e.com/a.png"},
            {"type": "carousel"}
        ]));
        let pointers: Vec<&str> = found.iter().map(|b| b.pointer.as_str()).collect();
        for expected in [
            "/0/text/text",
            "/1/text/type",
            "/2/fields",
            "/3/elements/0/text/text",
            "/4",
            "/5/type",
        ] {
            assert!(pointers.contains(&expected), "{expected} in {pointers:?}");
        }
    }

    #[test]
    fn datadogs_request_and_response_models() {
        let c = contracts();
        let request = json!({"data": {"type": "timeseries_request", "attributes": {
            "from": 1, "to": 2, "interval": 60000,
            "queries": [{"data_source": "metrics", "query": "avg:x{*}", "name": "a"}],
            "formulas": [{"formula": "a"}]}}});
        assert!(c.datadog_request.check(&request).is_empty());
        let mut bad = request.clone();
        bad["data"]["type"] = json!("timeseries");
        bad["data"]["attributes"]["queries"][0]
            .as_object_mut()
            .unwrap()
            .remove("query");
        assert_eq!(c.datadog_request.check(&bad).len(), 2);
        let response = json!({"data": {"type": "timeseries_response", "attributes": {
            "series": [{"group_tags": ["model:a"], "query_index": 0, "unit": null}],
            "times": [0], "values": [[1.5, null]]}}});
        assert!(c.datadog_response.check(&response).is_empty());
        let mut extra = response;
        extra["data"]["id"] = json!("0");
        assert_eq!(c.datadog_response.check(&extra).len(), 1);
    }
}
