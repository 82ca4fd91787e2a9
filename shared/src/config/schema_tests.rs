//! The schema against the types the file is parsed into: the same keys everywhere, and a
//! key the schema calls optional may be left out. The parser's own "unknown field"
//! message lists the fields a type has, so each mapping of the schema is probed with a
//! key no type has.

use serde_json::{Value, json};

use super::raw::RawConfig;
use super::schema::{self, Key, Shape};

const PROBE: &str = "zz_probe";

/// A value of `shape`; with `all`, every key of a mapping, else only the required ones.
fn sample(shape: &Shape, all: bool) -> Value {
    match shape {
        Shape::Text => json!("x"),
        Shape::Integer { .. } => json!(1),
        Shape::Number => json!(1.5),
        Shape::Json => json!({"any": ["json"]}),
        Shape::List(item) => json!([sample(item, all)]),
        Shape::Map(keys) => Value::Object(
            keys.iter()
                .filter(|k| all || k.required)
                .map(|k| (k.name.to_owned(), sample(&k.shape, all)))
                .collect(),
        ),
        Shape::Named(keys) => json!({ "name": sample(&Shape::Map(keys), all) }),
        Shape::OneOf(keys) => json!({ keys[0].name: sample(&keys[0].shape, all) }),
    }
}

fn at<'v>(doc: &'v mut Value, path: &[String]) -> &'v mut Value {
    path.iter().fold(doc, |v, step| match v {
        Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
        other => &mut other[step.as_str()],
    })
}

/// The parser's message for `doc`, or none when it parses.
fn parse(doc: &Value) -> Option<String> {
    serde_saphyr::from_str::<RawConfig>(&doc.to_string())
        .err()
        .map(|e| e.to_string())
}

/// The names after "expected" in the first line of an unknown-field or -variant message
/// ("expected one of a, b, c" or "expected a or b").
fn expected_names(message: &str) -> Vec<String> {
    let first = message.lines().next().unwrap_or_default();
    let tail = first.rsplit("expected ").next().unwrap_or_default();
    let tail = tail.strip_prefix("one of ").unwrap_or(tail);
    let mut names: Vec<String> = tail
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|n| n.trim().trim_matches('`').to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names
}

fn names(keys: &[Key]) -> Vec<String> {
    let mut names: Vec<String> = keys.iter().map(|k| k.name.to_owned()).collect();
    names.sort();
    names
}

/// Every mapping under `path` of `doc` (which has `shape` there) compared with its type.
fn visit(doc: &Value, path: Vec<String>, shape: &Shape, wrong: &mut Vec<String>) {
    let down = |step: &str| {
        let mut p = path.clone();
        p.push(step.to_owned());
        p
    };
    match shape {
        Shape::Map(keys) => {
            let mut probed = doc.clone();
            at(&mut probed, &path)[PROBE] = json!(1);
            let message = parse(&probed).unwrap_or_default();
            if !message.contains(PROBE) || expected_names(&message) != names(keys) {
                wrong.push(format!(
                    "{}: schema {:?}, type: {message}",
                    path.join("."),
                    names(keys)
                ));
            }
            for k in keys.iter() {
                visit(doc, down(k.name), &k.shape, wrong);
                if k.required {
                    let mut without = doc.clone();
                    if let Value::Object(map) = at(&mut without, &path) {
                        map.remove(k.name);
                    }
                    if parse(&without).is_none() {
                        wrong.push(format!(
                            "{}.{}: required in the schema only",
                            path.join("."),
                            k.name
                        ));
                    }
                }
            }
        }
        Shape::List(item) => visit(doc, down("0"), item, wrong),
        Shape::Named(keys) => visit(doc, down("name"), &Shape::Map(keys), wrong),
        Shape::OneOf(keys) => {
            let mut probed = doc.clone();
            *at(&mut probed, &path) = json!({ PROBE: {} });
            let message = parse(&probed).unwrap_or_default();
            if expected_names(&message) != names(keys) {
                wrong.push(format!(
                    "{}: schema {:?}, type: {message}",
                    path.join("."),
                    names(keys)
                ));
            }
            for k in keys.iter() {
                let mut chosen = doc.clone();
                *at(&mut chosen, &path) = json!({ k.name: sample(&k.shape, true) });
                visit(&chosen, down(k.name), &k.shape, wrong);
            }
        }
        Shape::Text | Shape::Integer { .. } | Shape::Number | Shape::Json => {}
    }
}

#[test]
fn schema_has_exactly_the_keys_of_the_parsed_types() {
    let full = sample(&schema::ROOT, true);
    assert_eq!(parse(&full), None, "every key of the schema parses: {full}");
    let minimal = sample(&schema::ROOT, false);
    assert_eq!(
        parse(&minimal),
        None,
        "only the required keys parse: {minimal}"
    );
    let mut wrong = Vec::new();
    visit(&full, Vec::new(), &schema::ROOT, &mut wrong);
    assert!(
        wrong.is_empty(),
        "schema and types differ:\n{}",
        wrong.join("\n")
    );
}
