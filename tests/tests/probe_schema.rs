//! The probes' JSON Schema subset (`modelwatch::probe::schema`) agrees with a full JSON
//! Schema validator (the `jsonschema` crate the fakes use) on every keyword it supports.

use modelwatch::probe::JsonSchema;
use serde_json::{Value, json};

fn full(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

#[test]
fn the_subset_agrees_with_a_full_validator() {
    let cases: Vec<(Value, Vec<Value>)> = vec![
        (
            json!({"type": "object", "required": ["city", "population"],
                   "properties": {"city": {"type": "string", "minLength": 2, "maxLength": 20},
                                  "population": {"type": "integer", "minimum": 0}},
                   "additionalProperties": false}),
            vec![
                json!({"city": "Paris", "population": 2_100_000}),
                json!({"city": "P", "population": 1}),
                json!({"city": "Paris"}),
                json!({"city": "Paris", "population": -1}),
                json!({"city": "Paris", "population": 1.5}),
                json!({"city": "Paris", "population": 2.0}),
                json!({"city": "Paris", "population": 1, "mayor": "x"}),
                json!(["Paris"]),
                json!(null),
            ],
        ),
        (
            json!({"type": "array", "items": {"enum": ["yes", "no", 1]}, "minItems": 1, "maxItems": 2}),
            vec![
                json!([]),
                json!(["yes"]),
                json!(["yes", 1.0]),
                json!(["maybe"]),
                json!([1, 1, 1]),
            ],
        ),
        (
            json!({"type": ["string", "null"], "pattern": "^[A-Z]{3}$"}),
            vec![
                json!("CDG"),
                json!("cdg"),
                json!(null),
                json!(3),
                json!("XCDG"),
            ],
        ),
        (
            json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1, "type": "number"}),
            vec![json!(0), json!(0.5), json!(1), json!(-3), json!("0.5")],
        ),
        (
            json!({"const": {"a": [1, 2]}}),
            vec![
                json!({"a": [1, 2]}),
                json!({"a": [1.0, 2.0]}),
                json!({"a": [2, 1]}),
                json!({"a": [1, 2], "b": 0}),
            ],
        ),
        (
            json!({"properties": {"x": false, "y": true}, "additionalProperties": {"type": "boolean"}}),
            vec![
                json!({}),
                json!({"x": 1}),
                json!({"y": 1}),
                json!({"z": true}),
                json!({"z": 1}),
                json!(5),
            ],
        ),
    ];
    for (schema, instances) in cases {
        let subset = JsonSchema::compile(&schema).unwrap_or_else(|e| panic!("{schema}: {e:?}"));
        let reference = full(&schema);
        for instance in instances {
            assert_eq!(
                subset.validate(&instance).is_empty(),
                reference.is_valid(&instance),
                "schema {schema} on {instance}: subset says {:?}",
                subset.validate(&instance)
            );
        }
    }
}
