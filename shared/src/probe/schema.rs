//! The JSON Schema subset a probe's `json_schema` check accepts: the structural keywords
//! (type, properties, required, additionalProperties, items, enum, const, bounds on
//! numbers, strings and arrays, pattern). A schema using any other keyword is refused
//! when the configuration is checked, by name, so no check silently passes.
//!
//! Why a subset and not the `jsonschema` crate: that crate brings the full `regex` (with
//! its Unicode tables), `fancy-regex`, big-number fractions and format validators into a
//! Lambda that needs none of them. Measured with the release profile of the time
//! (opt-level s, fat LTO, stripped) on a binary that validates one document: 3,502,264
//! bytes with `jsonschema` 0.61.2 (default features off) against 384,864 with serde_json
//! and `regex-lite` alone, about 3.1 MB more per cold start. `regex-lite`, which `pattern` uses
//! here, is already in every function through the AWS SDK. The tests crate checks this
//! subset against `jsonschema` on the same documents (`tests/tests/probe_schema.rs`).

use std::collections::BTreeMap;

use serde_json::Value;

/// The keywords understood; annotations are accepted and ignored.
pub const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
];
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "examples",
    "$comment",
];
const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "integer", "string",
];

/// A compiled schema: `true`, `false`, or an object of known keywords.
#[derive(Debug, Clone)]
pub struct JsonSchema {
    source: Value,
    node: Node,
}

impl PartialEq for JsonSchema {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

#[derive(Debug, Clone)]
enum Node {
    Any,
    Nothing,
    Object(Box<Rules>),
}

#[derive(Debug, Clone, Default)]
struct Rules {
    types: Option<Vec<String>>,
    properties: BTreeMap<String, Node>,
    required: Vec<String>,
    additional: Option<Node>,
    items: Option<Node>,
    one_of_values: Option<Vec<Value>>,
    constant: Option<Value>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    pattern: Option<regex_lite::Regex>,
}

impl JsonSchema {
    /// Compiles `source`; the error lists every unsupported or malformed keyword with its
    /// path in the schema (`properties.city.format: unsupported keyword`).
    pub fn compile(source: &Value) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let node = compile(source, "", &mut problems);
        if problems.is_empty() {
            Ok(Self {
                source: source.clone(),
                node,
            })
        } else {
            Err(problems)
        }
    }

    /// The schema as written.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Every way `value` fails the schema, each with its JSON pointer ("/city: expected a
    /// string, found 3"); empty when it is valid.
    pub fn validate(&self, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(&self.node, value, "", &mut errors);
        errors
    }
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn compile(source: &Value, path: &str, problems: &mut Vec<String>) -> Node {
    let map = match source {
        Value::Bool(true) => return Node::Any,
        Value::Bool(false) => return Node::Nothing,
        Value::Object(map) => map,
        other => {
            problems.push(format!(
                "{}: expected a schema (a mapping, true or false), found {other}",
                if path.is_empty() { "the schema" } else { path }
            ));
            return Node::Any;
        }
    };
    let mut r = Rules::default();
    for (key, value) in map {
        let here = at(path, key);
        let mut bad = |what: &str| problems.push(format!("{here}: expected {what}"));
        match key.as_str() {
            "type" => {
                let names: Option<Vec<String>> = match value {
                    Value::String(s) => Some(vec![s.clone()]),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned))
                        .collect(),
                    _ => None,
                };
                match names {
                    Some(n) if n.iter().all(|t| TYPES.contains(&t.as_str())) => r.types = Some(n),
                    _ => bad(&format!("a type or a list of types: {}", TYPES.join(", "))),
                }
            }
            "properties" => match value {
                Value::Object(props) => {
                    for (name, schema) in props {
                        let node = compile(schema, &at(&here, name), problems);
                        r.properties.insert(name.clone(), node);
                    }
                }
                _ => bad("a mapping of property names to schemas"),
            },
            "required" => match value.as_array().and_then(|a| {
                a.iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            }) {
                Some(names) => r.required = names,
                None => bad("a list of property names"),
            },
            "additionalProperties" => r.additional = Some(compile(value, &here, problems)),
            "items" => r.items = Some(compile(value, &here, problems)),
            "enum" => match value {
                Value::Array(values) => r.one_of_values = Some(values.clone()),
                _ => bad("a list of values"),
            },
            "const" => r.constant = Some(value.clone()),
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                let Some(n) = value.as_f64() else {
                    bad("a number");
                    continue;
                };
                let slot = match key.as_str() {
                    "minimum" => &mut r.minimum,
                    "maximum" => &mut r.maximum,
                    "exclusiveMinimum" => &mut r.exclusive_minimum,
                    _ => &mut r.exclusive_maximum,
                };
                *slot = Some(n);
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" => {
                let Some(n) = value.as_u64() else {
                    bad("a whole number from 0");
                    continue;
                };
                let slot = match key.as_str() {
                    "minLength" => &mut r.min_length,
                    "maxLength" => &mut r.max_length,
                    "minItems" => &mut r.min_items,
                    _ => &mut r.max_items,
                };
                *slot = Some(n);
            }
            "pattern" => match value.as_str().map(regex_lite::Regex::new) {
                Some(Ok(regex)) => r.pattern = Some(regex),
                Some(Err(e)) => bad(&format!("a regular expression ({e})")),
                None => bad("a regular expression"),
            },
            k if ANNOTATIONS.contains(&k) => {}
            _ => problems.push(format!(
                "{here}: unsupported keyword (the probe's JSON Schema subset has {})",
                KEYWORDS.join(", ")
            )),
        }
    }
    Node::Object(Box::new(r))
}

fn found(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let short: String = text.chars().take(40).collect();
        format!("{short}…")
    } else {
        text
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        other => type_of(value) == other,
    }
}

/// JSON Schema compares numbers by value (1 equals 1.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn pointer(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

fn check(node: &Node, value: &Value, path: &str, errors: &mut Vec<String>) {
    let r = match node {
        Node::Any => return,
        Node::Nothing => {
            errors.push(format!("{}: no value is allowed here", pointer(path)));
            return;
        }
        Node::Object(r) => r,
    };
    let mut fail = |message: String| errors.push(format!("{}: {message}", pointer(path)));
    if let Some(types) = &r.types
        && !types.iter().any(|t| has_type(value, t))
    {
        fail(format!(
            "expected {}, found {}",
            types.join(" or "),
            found(value)
        ));
        return;
    }
    if let Some(values) = &r.one_of_values
        && !values.iter().any(|v| same(v, value))
    {
        fail(format!("{} is not one of the allowed values", found(value)));
    }
    if let Some(c) = &r.constant
        && !same(c, value)
    {
        fail(format!("expected {}, found {}", found(c), found(value)));
    }
    if let Some(n) = value.as_f64() {
        let bounds = [
            (r.minimum, n < r.minimum.unwrap_or(f64::NAN), "at least"),
            (r.maximum, n > r.maximum.unwrap_or(f64::NAN), "at most"),
            (
                r.exclusive_minimum,
                n <= r.exclusive_minimum.unwrap_or(f64::NAN),
                "above",
            ),
            (
                r.exclusive_maximum,
                n >= r.exclusive_maximum.unwrap_or(f64::NAN),
                "below",
            ),
        ];
        for (bound, broken, words) in bounds {
            if let Some(b) = bound
                && broken
            {
                fail(format!("{n} is not {words} {b}"));
            }
        }
    }
    if let Value::String(s) = value {
        let len = s.chars().count() as u64;
        if r.min_length.is_some_and(|m| len < m) || r.max_length.is_some_and(|m| len > m) {
            fail(format!(
                "a string of {len} characters is outside its length limits"
            ));
        }
        if let Some(p) = &r.pattern
            && !p.is_match(s)
        {
            fail(format!("{} does not match {}", found(value), p.as_str()));
        }
    }
    if let Value::Array(items) = value {
        let len = items.len() as u64;
        if r.min_items.is_some_and(|m| len < m) || r.max_items.is_some_and(|m| len > m) {
            fail(format!("a list of {len} items is outside its size limits"));
        }
        if let Some(item) = &r.items {
            for (i, v) in items.iter().enumerate() {
                check(item, v, &format!("{path}/{i}"), errors);
            }
        }
    }
    if let Value::Object(map) = value {
        for name in &r.required {
            if !map.contains_key(name) {
                errors.push(format!(
                    "{}: missing required property {name:?}",
                    pointer(path)
                ));
            }
        }
        for (name, v) in map {
            let inner = format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"));
            match (r.properties.get(name), &r.additional) {
                (Some(node), _) | (None, Some(node)) => check(node, v, &inner, errors),
                (None, None) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema(v: Value) -> JsonSchema {
        JsonSchema::compile(&v).unwrap()
    }

    #[test]
    fn an_object_with_required_typed_properties_is_checked_field_by_field() {
        let s = schema(json!({
            "type": "object",
            "required": ["city", "population"],
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "population": {"type": "integer", "minimum": 0}
            },
            "additionalProperties": false
        }));
        assert!(
            s.validate(&json!({"city": "Paris", "population": 2100000}))
                .is_empty()
        );
        let errors = s.validate(&json!({"city": 3, "extra": true}));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/city: expected string"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("missing required property \"population\""))
        );
        assert!(errors.iter().any(|e| e.starts_with("/extra: no value")));
    }

    #[test]
    fn enums_consts_patterns_and_bounds_are_checked() {
        let s = schema(json!({"type": "array", "items": {"enum": ["yes", "no"]}, "maxItems": 2}));
        assert!(s.validate(&json!(["yes", "no"])).is_empty());
        assert_eq!(s.validate(&json!(["maybe"])).len(), 1);
        assert_eq!(s.validate(&json!(["yes", "no", "yes"])).len(), 1);
        let s = schema(json!({"type": "string", "pattern": "^[A-Z]{3}$"}));
        assert!(s.validate(&json!("CDG")).is_empty());
        assert_eq!(s.validate(&json!("cdg")).len(), 1);
        let s = schema(json!({"const": 1, "exclusiveMaximum": 2}));
        assert!(s.validate(&json!(1.0)).is_empty());
        assert_eq!(s.validate(&json!(2)).len(), 2);
    }

    #[test]
    fn an_integer_type_accepts_whole_floats_only() {
        let s = schema(json!({"type": ["integer", "null"]}));
        assert!(s.validate(&json!(3.0)).is_empty());
        assert!(s.validate(&Value::Null).is_empty());
        assert_eq!(s.validate(&json!(3.5)).len(), 1);
    }

    #[test]
    fn unsupported_keywords_are_refused_by_path() {
        let errors = JsonSchema::compile(&json!({
            "properties": {"email": {"type": "string", "format": "email"}},
            "oneOf": [],
            "type": "text"
        }))
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("properties.email.format: unsupported"))
        );
        assert!(errors.iter().any(|e| e.starts_with("oneOf: unsupported")));
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("type: expected a type"))
        );
    }

    #[test]
    fn annotations_and_boolean_schemas_are_accepted() {
        let s = schema(json!({"title": "t", "description": "d", "properties": {"x": false}}));
        assert!(s.validate(&json!({"y": 1})).is_empty());
        assert_eq!(s.validate(&json!({"x": 1})).len(), 1);
    }
}
