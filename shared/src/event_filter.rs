//! Lambda event filtering (an event source mapping's `FilterCriteria` pattern) as AWS
//! documents it, so a test, the local stream poller and the escalator decide exactly what
//! Lambda would deliver.
//!
//! The rules (Lambda developer guide, "Control which events Lambda sends to your
//! function", and "Using event filtering with a DynamoDB event source"):
//!
//! - A pattern is a JSON object mirroring the record. Every key of the pattern must match
//!   (AND); an object value descends into the record, an array value is a leaf whose
//!   elements are alternatives (OR). A record value that is an array matches when any of
//!   its elements does.
//! - Leaf elements: a string, number, `true`/`false` or `null` matches that exact JSON
//!   value; `{"prefix": s}`, `{"suffix": s}`, `{"equals-ignore-case": s}` match strings;
//!   `{"anything-but": v | [v…] | {"prefix": s} | {"suffix": s}}` matches a present value
//!   that is none of those; `{"numeric": [op, n (, op, n)]}` matches JSON numbers only;
//!   `{"exists": true|false}` matches a present or an absent field.
//! - A field the record lacks matches nothing but `{"exists": false}`.
//! - DynamoDB records carry every attribute typed, and numbers as strings (`{"N": "2"}`):
//!   a `numeric` filter never matches them. A record matching no filter is dropped.

use serde_json::{Map, Value};

/// One parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPattern {
    root: Map<String, Value>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FilterError {
    #[error("filter pattern is not JSON: {0}")]
    Json(String),
    #[error("filter pattern at `{path}`: {message}")]
    Invalid { path: String, message: String },
}

impl FilterPattern {
    /// Parses and checks a pattern (the string in `FilterCriteria.Filters[].Pattern`).
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| FilterError::Json(e.to_string()))?;
        let Value::Object(root) = value else {
            return Err(invalid("", "expected a JSON object at the top"));
        };
        check_object(&root, "")?;
        Ok(Self { root })
    }

    /// Whether Lambda would deliver `record` (one element of the event's `Records`).
    pub fn matches(&self, record: &Value) -> bool {
        match record {
            Value::Object(fields) => object_matches(&self.root, Some(fields)),
            _ => false,
        }
    }
}

fn invalid(path: &str, message: impl Into<String>) -> FilterError {
    FilterError::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn check_object(pattern: &Map<String, Value>, path: &str) -> Result<(), FilterError> {
    if pattern.is_empty() {
        return Err(invalid(path, "an empty object matches nothing useful"));
    }
    for (key, value) in pattern {
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match value {
            Value::Object(inner) => check_object(inner, &here)?,
            Value::Array(rules) if !rules.is_empty() => {
                for rule in rules {
                    check_rule(rule, &here)?;
                }
            }
            Value::Array(_) => return Err(invalid(&here, "an empty list matches nothing")),
            _ => {
                return Err(invalid(
                    &here,
                    "expected an object (a nested field) or a list of values to match",
                ));
            }
        }
    }
    Ok(())
}

fn check_rule(rule: &Value, path: &str) -> Result<(), FilterError> {
    let Value::Object(op) = rule else {
        return Ok(()); // an exact value
    };
    let [(name, arg)] = op.iter().collect::<Vec<_>>()[..] else {
        return Err(invalid(
            path,
            "a comparison object has exactly one operator",
        ));
    };
    let ok = match name.as_str() {
        "prefix" | "suffix" | "equals-ignore-case" => arg.is_string(),
        "exists" => arg.is_boolean(),
        "anything-but" => match arg {
            Value::Array(values) => values.iter().all(|v| !v.is_object() && !v.is_array()),
            Value::Object(inner) => {
                inner.len() == 1
                    && ["prefix", "suffix"]
                        .iter()
                        .any(|k| inner.get(*k).is_some_and(Value::is_string))
            }
            _ => true,
        },
        "numeric" => numeric_bounds(arg).is_some(),
        other => {
            return Err(invalid(
                path,
                format!(
                    "unknown operator `{other}`: expected prefix, suffix, equals-ignore-case, anything-but, numeric or exists"
                ),
            ));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(invalid(path, format!("malformed `{name}` operand: {arg}")))
    }
}

/// Patterns name leaf paths: below a field the record lacks, every leaf is absent (so
/// only `{"exists": false}` can match there).
fn object_matches(pattern: &Map<String, Value>, record: Option<&Map<String, Value>>) -> bool {
    pattern.iter().all(|(key, expected)| {
        let value = record.and_then(|r| r.get(key));
        match expected {
            Value::Object(inner) => match value {
                Some(Value::Object(fields)) => object_matches(inner, Some(fields)),
                None => object_matches(inner, None),
                Some(_) => false,
            },
            Value::Array(rules) => leaf_matches(rules, value),
            _ => false,
        }
    })
}

fn leaf_matches(rules: &[Value], value: Option<&Value>) -> bool {
    rules.iter().any(|rule| match value {
        None => matches!(rule, Value::Object(op) if op.get("exists") == Some(&Value::Bool(false))),
        Some(Value::Array(items)) => items.iter().any(|item| rule_matches(rule, item)),
        Some(v) => rule_matches(rule, v),
    })
}

fn rule_matches(rule: &Value, value: &Value) -> bool {
    let Value::Object(op) = rule else {
        return exact(rule, value);
    };
    let Some((name, arg)) = op.iter().next() else {
        return false;
    };
    let text = value.as_str();
    match name.as_str() {
        "exists" => arg == &Value::Bool(true) && !value.is_object(),
        "prefix" => text
            .zip(arg.as_str())
            .is_some_and(|(t, p)| t.starts_with(p)),
        "suffix" => text.zip(arg.as_str()).is_some_and(|(t, s)| t.ends_with(s)),
        "equals-ignore-case" => text
            .zip(arg.as_str())
            .is_some_and(|(t, s)| t.to_lowercase() == s.to_lowercase()),
        "anything-but" => !value.is_object() && !anything_but_excludes(arg, value),
        "numeric" => value
            .as_f64()
            .filter(|_| value.is_number())
            .zip(numeric_bounds(arg))
            .is_some_and(|(n, bounds)| bounds.iter().all(|(op, bound)| compare(n, op, *bound))),
        _ => false,
    }
}

/// Exact values: strings to strings, numbers by value, booleans and null as themselves.
fn exact(expected: &Value, value: &Value) -> bool {
    match (expected, value) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => expected == value,
    }
}

fn anything_but_excludes(arg: &Value, value: &Value) -> bool {
    match arg {
        Value::Array(values) => values.iter().any(|v| exact(v, value)),
        Value::Object(inner) => {
            let text = value.as_str().unwrap_or_default();
            match (inner.get("prefix"), inner.get("suffix")) {
                (Some(Value::String(p)), _) => value.is_string() && text.starts_with(p.as_str()),
                (_, Some(Value::String(s))) => value.is_string() && text.ends_with(s.as_str()),
                _ => false,
            }
        }
        single => exact(single, value),
    }
}

/// `[op, n]` or `[op, n, op, n]` with op one of `=`, `<`, `<=`, `>`, `>=`.
fn numeric_bounds(arg: &Value) -> Option<Vec<(String, f64)>> {
    let items = arg.as_array()?;
    if items.is_empty() || items.len() > 4 || items.len() % 2 != 0 {
        return None;
    }
    items
        .chunks(2)
        .map(|pair| {
            let op = pair[0].as_str()?;
            ["=", "<", "<=", ">", ">="].contains(&op).then_some(())?;
            Some((op.to_owned(), pair[1].as_f64()?))
        })
        .collect()
}

fn compare(n: f64, op: &str, bound: f64) -> bool {
    match op {
        "=" => n == bound,
        "<" => n < bound,
        "<=" => n <= bound,
        ">" => n > bound,
        ">=" => n >= bound,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pattern(v: Value) -> FilterPattern {
        FilterPattern::parse(&v.to_string()).expect("valid pattern")
    }

    /// The record of AWS's DynamoDB filtering page, with a number attribute added.
    fn record() -> Value {
        json!({
            "eventID": "1", "eventName": "MODIFY", "eventVersion": "1.0",
            "dynamodb": {
                "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
                "NewImage": {
                    "AccountManager": {"S": "Pat Candella"},
                    "PaymentTerms": {"S": "60 days"},
                    "Orders": {"N": "2"}
                },
                "SequenceNumber": "111", "StreamViewType": "NEW_IMAGE"
            }
        })
    }

    #[test]
    fn keys_and_attributes_match_as_the_dynamodb_guide_shows() {
        let p = pattern(
            json!({"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}),
        );
        assert!(p.matches(&record()));
        let p = pattern(
            json!({"dynamodb": {"NewImage": {"AccountManager": {"S": ["Shirley Rodriguez", "Pat Candella"]}}}}),
        );
        assert!(p.matches(&record()));
        let p = pattern(
            json!({"dynamodb": {"NewImage": {"AccountManager": {"S": ["Shirley Rodriguez"]}}}}),
        );
        assert!(!p.matches(&record()));
    }

    #[test]
    fn numeric_filters_never_match_dynamodb_numbers_which_are_strings() {
        let p =
            pattern(json!({"dynamodb": {"NewImage": {"Orders": {"N": [{"numeric": [">", 0]}]}}}}));
        assert!(!p.matches(&record()));
        // The same filter on a JSON number does match.
        assert!(p.matches(&json!({"dynamodb": {"NewImage": {"Orders": {"N": 2}}}})));
    }

    #[test]
    fn anything_but_compares_the_string_form() {
        let p = pattern(
            json!({"dynamodb": {"NewImage": {"Orders": {"N": [{"anything-but": ["0"]}]}}}}),
        );
        assert!(p.matches(&record()));
        let zero = json!({"dynamodb": {"NewImage": {"Orders": {"N": "0"}}}});
        assert!(!p.matches(&zero));
        // A missing attribute (a REMOVE record has no NewImage) matches nothing.
        assert!(!p.matches(&json!({"dynamodb": {"Keys": {}}})));
    }

    #[test]
    fn exists_matches_presence_or_absence_of_a_leaf() {
        let p =
            pattern(json!({"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"exists": true}]}}}}));
        assert!(p.matches(&record()));
        let p = pattern(json!({"dynamodb": {"NewImage": {"Missing": {"S": [{"exists": false}]}}}}));
        assert!(p.matches(&record()));
        let p = pattern(
            json!({"dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"exists": false}]}}}}),
        );
        assert!(!p.matches(&record()));
    }

    #[test]
    fn string_operators_and_exact_values() {
        let p = pattern(
            json!({"eventName": [{"prefix": "MOD"}], "dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"suffix": "days"}]}}}}),
        );
        assert!(p.matches(&record()));
        let p = pattern(json!({"eventName": [{"equals-ignore-case": "modify"}]}));
        assert!(p.matches(&record()));
        let p = pattern(json!({"eventName": ["INSERT", "REMOVE"]}));
        assert!(!p.matches(&record()));
        let p = pattern(json!({"eventName": [{"anything-but": {"prefix": "IN"}}]}));
        assert!(p.matches(&record()));
    }

    #[test]
    fn a_list_in_the_record_matches_when_any_element_does() {
        let p = pattern(json!({"tags": ["b"]}));
        assert!(p.matches(&json!({"tags": ["a", "b"]})));
        assert!(!p.matches(&json!({"tags": ["a"]})));
    }

    #[test]
    fn malformed_patterns_are_refused_with_the_path() {
        let err = FilterPattern::parse(r#"{"dynamodb": {"N": [{"greater": 1}]}}"#).unwrap_err();
        assert!(err.to_string().contains("dynamodb.N"), "{err}");
        assert!(
            err.to_string().contains("unknown operator `greater`"),
            "{err}"
        );
        assert!(FilterPattern::parse(r#"{"a": [{"numeric": [">"]}]}"#).is_err());
        assert!(FilterPattern::parse(r#"{"a": "x"}"#).is_err());
        assert!(FilterPattern::parse("[1]").is_err());
        assert!(FilterPattern::parse("{").is_err());
    }
}
