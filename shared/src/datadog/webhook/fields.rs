//! Lenient field lookup over whatever JSON (or form) a user's webhook template produced.
//!
//! Datadog renders every value as a string, leaves variables it cannot fill as literal
//! `$VARIABLE`s, and hand-written templates spell fields many ways: all of that is read
//! here, so the rest of the parser sees either a value or nothing.

use std::collections::BTreeMap;

use serde_json::Value;

/// The payload flattened to lower-case keys (`org.id` for nested objects).
#[derive(Debug, Default)]
pub struct Fields {
    values: BTreeMap<String, Value>,
}

impl Fields {
    pub fn from_object(object: &serde_json::Map<String, Value>) -> Self {
        let mut fields = Fields::default();
        fields.insert_all("", object);
        fields
    }

    /// Only an object's values are kept, never the object: nothing reads an object as a
    /// value, and a copy of it at every level of a deeply nested body would cost memory
    /// in proportion to its depth times its size.
    fn insert_all(&mut self, prefix: &str, object: &serde_json::Map<String, Value>) {
        for (k, v) in object {
            let key = format!("{prefix}{}", k.trim().to_ascii_lowercase());
            match v {
                Value::Object(inner) => self.insert_all(&format!("{key}."), inner),
                _ => {
                    self.values.insert(key, v.clone());
                }
            }
        }
    }

    /// The first present value among `names`, as text.
    pub fn text(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .filter_map(|n| self.values.get(*n))
            .find_map(as_text)
    }

    /// Tags from `names`: a comma-separated string or an array of strings.
    pub fn tags(&self, names: &[&str]) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        for v in names.iter().filter_map(|n| self.values.get(*n)) {
            let parts: Vec<String> = match v {
                Value::Array(items) => items.iter().filter_map(as_text).collect(),
                other => as_text(other)
                    .map(|s| s.split(',').map(|t| t.trim().to_owned()).collect())
                    .unwrap_or_default(),
            };
            for t in parts {
                if tags.len() == MAX_TAGS {
                    return tags;
                }
                if present(&t) && t.len() <= MAX_TAG_CHARS && seen.insert(t.clone()) {
                    tags.push(t);
                }
            }
        }
        tags
    }

    /// Names of the fields that carried a value, for error messages.
    pub fn present_names(&self) -> Vec<String> {
        self.values
            .iter()
            .filter(|(_, v)| as_text(v).is_some() || matches!(v, Value::Array(a) if !a.is_empty()))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// Tags kept from one notification: far more than a monitor carries, few enough that
/// every later step stays cheap whatever a sender puts in.
pub const MAX_TAGS: usize = 500;
/// Datadog's own limit on a tag's length.
pub const MAX_TAG_CHARS: usize = 200;

/// Whether a rendered value carries information: not empty, not an unresolved variable.
pub fn present(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && !s.starts_with('$') && s != "null" && s != "None"
}

fn as_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    present(&s).then_some(s)
}

/// The value of `key:value` in a list of tags (`model:chat` → `chat`).
pub fn tag_value<'a>(tags: impl IntoIterator<Item = &'a str>, key: &str) -> Option<String> {
    tags.into_iter().find_map(|t| {
        let (k, v) = t.split_once(':')?;
        (k.trim() == key && present(v)).then(|| v.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        Fields::from_object(v.as_object().unwrap())
    }

    #[test]
    fn unresolved_variables_and_empty_strings_are_absent() {
        let f = fields(json!({"alert_cycle_key": "$ALERT_CYCLE_KEY", "scope": "  ", "id": "7"}));
        assert_eq!(f.text(&["alert_cycle_key"]), None);
        assert_eq!(f.text(&["scope"]), None);
        assert_eq!(f.text(&["id"]), Some("7".into()));
    }

    #[test]
    fn keys_are_case_insensitive_and_nested_objects_flatten() {
        let f = fields(json!({"ALERT_ID": 42, "org": {"id": "415600"}}));
        assert_eq!(f.text(&["alert_id"]), Some("42".into()));
        assert_eq!(f.text(&["org.id"]), Some("415600".into()));
    }

    #[test]
    fn a_deeply_nested_body_keeps_its_leaves_once() {
        // 100 levels around 1,000 keys: each leaf is kept once, under its dotted path,
        // and no level keeps a copy of what it holds.
        let mut v = Value::Object((0..1000).map(|i| (format!("k{i}"), json!(i))).collect());
        for _ in 0..100 {
            v = json!({ "a": v });
        }
        let f = fields(v);
        assert_eq!(f.values.len(), 1000);
        let path = format!("{}k7", "a.".repeat(100));
        assert_eq!(f.text(&[path.as_str()]), Some("7".into()));
        assert_eq!(f.text(&["a"]), None);
    }

    #[test]
    fn tags_come_as_a_string_or_an_array() {
        let s = fields(json!({"tags": "model:chat, env:prod,$TAGS"}));
        assert_eq!(s.tags(&["tags"]), vec!["model:chat", "env:prod"]);
        let a = fields(json!({"event_tags": ["model:chat", "env:prod"]}));
        assert_eq!(
            a.tags(&["tags", "event_tags"]),
            vec!["model:chat", "env:prod"]
        );
        assert_eq!(
            tag_value(["model:chat", "env:prod"], "env"),
            Some("prod".into())
        );
    }
}
