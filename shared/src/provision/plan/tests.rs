use serde_json::json;

use super::*;

fn object(kind: Kind, key: &str, view: Value) -> Object {
    Object {
        kind,
        key: key.into(),
        title: key.into(),
        body: view.clone(),
        view,
        refs: Vec::new(),
    }
}

fn found(kind: Kind, key: &str, id: &str, view: Value) -> Found {
    Found {
        kind,
        key: key.into(),
        id: id.into(),
        title: key.into(),
        view,
    }
}

fn monitor(query: &str) -> Value {
    json!({"name": "m", "type": "query alert", "query": query, "options": {"thresholds": {"critical": 0.05}}})
}

#[test]
fn nothing_found_means_everything_is_created_in_order() {
    let desired = vec![
        object(
            Kind::Webhook,
            "webhook/modelwatch",
            json!({"name": "modelwatch"}),
        ),
        object(Kind::Monitor, "monitor/a/prod", monitor("q > 0.05")),
    ];
    let plan = plan(desired.clone(), Vec::new(), false);
    assert_eq!(
        plan.changes,
        desired.into_iter().map(Change::Create).collect::<Vec<_>>()
    );
    assert_eq!(plan.unchanged, 0);
}

#[test]
fn fields_datadog_adds_are_not_differences() {
    let mut have = monitor("q > 0.05");
    have["id"] = json!(42);
    have["options"]["notify_audit"] = json!(false);
    have["options"]["thresholds"]["critical"] = json!(0.050);
    let plan = plan(
        vec![object(Kind::Monitor, "monitor/a/prod", monitor("q > 0.05"))],
        vec![found(Kind::Monitor, "monitor/a/prod", "42", have)],
        false,
    );
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!(plan.unchanged, 1);
}

#[test]
fn a_field_edited_in_datadog_is_an_update_naming_the_field() {
    let mut have = monitor("q > 0.05");
    have["options"]["thresholds"]["critical"] = json!(0.5);
    let plan = plan(
        vec![object(Kind::Monitor, "monitor/a/prod", monitor("q > 0.05"))],
        vec![found(Kind::Monitor, "monitor/a/prod", "42", have)],
        false,
    );
    let [
        Change::Update {
            id, differences, ..
        },
    ] = plan.changes.as_slice()
    else {
        panic!("{plan:?}");
    };
    assert_eq!(id, "42");
    assert_eq!(
        differences,
        &vec![Difference {
            path: "/options/thresholds/critical".into(),
            want: json!(0.05),
            have: Some(json!(0.5)),
        }]
    );
    let text = render(&plan);
    assert!(
        text.contains("/options/thresholds/critical: 0.5 → 0.05"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to create, 1 to update, 0 to delete, 0 unchanged."),
        "{text}"
    );
}

#[test]
fn managed_objects_no_longer_configured_are_deleted_composites_first() {
    let plan = plan(
        Vec::new(),
        vec![
            found(
                Kind::Dashboard,
                "dashboard/old",
                "abc-def",
                json!({"title": "old"}),
            ),
            found(Kind::Monitor, "monitor/a/prod", "1", monitor("q > 1")),
            found(
                Kind::Monitor,
                "monitor/c/prod",
                "3",
                json!({"type": "composite", "query": "1 && 2"}),
            ),
        ],
        false,
    );
    let keys: Vec<&str> = plan.changes.iter().map(Change::key).collect();
    assert_eq!(
        keys,
        vec!["monitor/c/prod", "monitor/a/prod", "dashboard/old"]
    );
    assert_eq!(plan.deletes(), 3);
}

#[test]
fn a_second_copy_under_one_key_is_deleted_as_a_duplicate() {
    let plan = plan(
        vec![object(Kind::Monitor, "monitor/a/prod", monitor("q > 1"))],
        vec![
            found(Kind::Monitor, "monitor/a/prod", "1", monitor("q > 1")),
            found(Kind::Monitor, "monitor/a/prod", "2", monitor("q > 1")),
        ],
        false,
    );
    assert_eq!(plan.unchanged, 1);
    assert!(matches!(
        plan.changes.as_slice(),
        [Change::Delete { found, duplicate: true }] if found.id == "2"
    ));
}

#[test]
fn composite_queries_compare_by_the_keys_of_their_monitors() {
    let mut composite = object(
        Kind::Monitor,
        "monitor/c/prod",
        json!({"type": "composite", "query": "([[monitor/a/prod]] && [[monitor/b/prod]])"}),
    );
    composite.refs = vec!["monitor/a/prod".into(), "monitor/b/prod".into()];
    let found = vec![
        found(Kind::Monitor, "monitor/a/prod", "11", monitor("q > 1")),
        found(Kind::Monitor, "monitor/b/prod", "12", monitor("q > 2")),
        found(
            Kind::Monitor,
            "monitor/c/prod",
            "13",
            json!({"type": "composite", "query": "(11 && 12)"}),
        ),
    ];
    let plan = plan(
        vec![
            object(Kind::Monitor, "monitor/a/prod", monitor("q > 1")),
            object(Kind::Monitor, "monitor/b/prod", monitor("q > 2")),
            composite,
        ],
        found,
        false,
    );
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn secret_values_are_rewritten_only_when_asked() {
    let variable = || {
        let mut o = object(
            Kind::CustomVariable,
            "custom-variable/T",
            json!({"name": "T", "is_secret": true}),
        );
        o.body["value"] = json!("s3cret");
        o
    };
    let have = || {
        found(
            Kind::CustomVariable,
            "custom-variable/T",
            "T",
            json!({"name": "T", "is_secret": true}),
        )
    };
    assert!(plan(vec![variable()], vec![have()], false).is_empty());
    let rewrite = plan(vec![variable()], vec![have()], true);
    assert_eq!(rewrite.changes.len(), 1);
    assert!(!render(&rewrite).contains("s3cret"));
}

#[test]
fn ids_in_composite_queries_are_replaced_whole() {
    let name = |id: &str| (id == "12").then(|| "B".to_owned());
    assert_eq!(replace_ids("(12 && 123) || !12", &name), "(B && 123) || !B");
}
