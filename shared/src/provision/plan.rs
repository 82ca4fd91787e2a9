//! What it takes to make Datadog match the configuration: each desired object against the
//! managed object found under its key, as creates, updates (with the fields that differ)
//! and deletes. Pure: objects in, plan out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::desired::{Kind, Object, placeholder};

/// A managed object as Datadog holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: Kind,
    pub key: String,
    /// Datadog's id: the monitor's number, the dashboard's id, the webhook's name.
    pub id: String,
    pub title: String,
    /// Datadog's copy in the shape of `Object::view` (JSON-in-a-string fields parsed).
    pub view: Value,
}

/// One field that differs: `want` is the configuration's, `have` Datadog's (`None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub path: String,
    pub want: Value,
    pub have: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Create(Object),
    Update {
        object: Object,
        id: String,
        differences: Vec<Difference>,
    },
    /// A managed object the configuration no longer asks for, or a second copy of one.
    Delete {
        found: Found,
        duplicate: bool,
    },
}

impl Change {
    pub fn key(&self) -> &str {
        match self {
            Change::Create(o) | Change::Update { object: o, .. } => &o.key,
            Change::Delete { found, .. } => &found.key,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// In the order to apply them: creates and updates in dependency order, then deletes
    /// (composites first: Datadog refuses to delete a monitor a composite names).
    pub changes: Vec<Change>,
    /// Objects already as configured.
    pub unchanged: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, f: impl Fn(&Change) -> bool) -> usize {
        self.changes.iter().filter(|c| f(c)).count()
    }

    pub fn deletes(&self) -> usize {
        self.count(|c| matches!(c, Change::Delete { .. }))
    }
}

/// The plan from `desired` and the managed objects `found`. `rewrite_secrets` updates the
/// secret variables too, whose values Datadog never shows (so never differ).
pub fn plan(desired: Vec<Object>, found: Vec<Found>, rewrite_secrets: bool) -> Plan {
    let found = with_composites_by_key(found);
    let mut by_key: BTreeMap<(Kind, String), Vec<Found>> = BTreeMap::new();
    for f in found {
        by_key.entry((f.kind, f.key.clone())).or_default().push(f);
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut deletes = Vec::new();
    for object in desired {
        let copies = by_key.remove(&(object.kind, object.key.clone()));
        let mut copies = copies.unwrap_or_default().into_iter();
        let Some(first) = copies.next() else {
            changes.push(Change::Create(object));
            continue;
        };
        deletes.extend(copies.map(|found| Change::Delete {
            found,
            duplicate: true,
        }));
        let mut differences = Vec::new();
        compare("", &object.view, Some(&first.view), &mut differences);
        if rewrite_secrets && object.body.get("is_secret") == Some(&Value::Bool(true)) {
            differences.push(Difference {
                path: "/value".into(),
                want: Value::String("(secret, rewritten)".into()),
                have: Some(Value::String("(secret, not readable)".into())),
            });
        }
        if differences.is_empty() {
            unchanged += 1;
        } else {
            changes.push(Change::Update {
                object,
                id: first.id,
                differences,
            });
        }
    }
    deletes.extend(by_key.into_values().flatten().map(|found| Change::Delete {
        found,
        duplicate: false,
    }));
    // Composites go first, then the monitors they combine, then the rest.
    deletes.sort_by_key(|c| match c {
        Change::Delete { found, .. } => (
            found.view.get("type") != Some(&Value::String("composite".into())),
            found.kind,
        ),
        _ => (true, Kind::Dashboard),
    });
    changes.extend(deletes);
    Plan { changes, unchanged }
}

/// Composite queries name monitors by id (`123 && 456`); written with the keys of managed
/// monitors instead (`[[monitor/a/production]] && …`) they compare with the configuration.
fn with_composites_by_key(mut found: Vec<Found>) -> Vec<Found> {
    let keys: BTreeMap<String, String> = found
        .iter()
        .filter(|f| f.kind == Kind::Monitor)
        .map(|f| (f.id.clone(), f.key.clone()))
        .collect();
    for f in found.iter_mut().filter(|f| f.kind == Kind::Monitor) {
        if f.view.get("type").and_then(Value::as_str) != Some("composite") {
            continue;
        }
        if let Some(query) = f.view.get("query").and_then(Value::as_str) {
            let rewritten = replace_ids(query, &|id| keys.get(id).map(|k| placeholder(k)));
            f.view["query"] = Value::String(rewritten);
        }
    }
    found
}

/// `query` with each run of digits replaced by `name(digits)` where that gives a name.
pub fn replace_ids(query: &str, name: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            out.push_str(&name(digits).unwrap_or_else(|| digits.clone()));
            digits.clear();
        }
    };
    for c in query.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Where `want` differs from `have`. Datadog's copy may carry more (ids, defaults it
/// fills in): only what the configuration sets is compared. Numbers compare by value.
fn compare(path: &str, want: &Value, have: Option<&Value>, out: &mut Vec<Difference>) {
    match (want, have) {
        (Value::Object(w), Some(Value::Object(h))) => {
            for (k, v) in w {
                let child = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                compare(&child, v, h.get(k), out);
            }
        }
        (Value::Array(w), Some(Value::Array(h))) if w.len() == h.len() => {
            for (i, (wv, hv)) in w.iter().zip(h).enumerate() {
                compare(&format!("{path}/{i}"), wv, Some(hv), out);
            }
        }
        (Value::Number(w), Some(Value::Number(h))) if w.as_f64() == h.as_f64() => {}
        (Value::Null, None) => {}
        (w, Some(h)) if w == h => {}
        (w, h) => out.push(Difference {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            want: w.clone(),
            have: h.cloned(),
        }),
    }
}

/// The plan as a person reads it: `+` create, `~` update with its fields, `-` delete.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        match change {
            Change::Create(o) => {
                let _ = writeln!(out, "+ create {} {}  {:?}", o.kind.as_str(), o.key, o.title);
                for line in summary(&o.view) {
                    let _ = writeln!(out, "    {line}");
                }
            }
            Change::Update {
                object,
                id,
                differences,
            } => {
                let _ = writeln!(
                    out,
                    "~ update {} {}  {:?} (id {id})",
                    object.kind.as_str(),
                    object.key,
                    object.title
                );
                for d in differences {
                    let have = d.have.as_ref().map_or("(absent)".to_owned(), short);
                    let _ = writeln!(out, "    {}: {have} → {}", d.path, short(&d.want));
                }
            }
            Change::Delete { found, duplicate } => {
                let why = if *duplicate {
                    "a second copy of a managed object"
                } else {
                    "no longer in the configuration"
                };
                let _ = writeln!(
                    out,
                    "- delete {} {}  {:?} (id {}): {why}",
                    found.kind.as_str(),
                    found.key,
                    found.title,
                    found.id
                );
            }
        }
    }
    let creates = plan.count(|c| matches!(c, Change::Create(_)));
    let updates = plan.count(|c| matches!(c, Change::Update { .. }));
    let _ = writeln!(
        out,
        "Plan: {creates} to create, {updates} to update, {} to delete, {} unchanged.",
        plan.deletes(),
        plan.unchanged
    );
    out
}

/// A created object's main fields, one line each (a dashboard's widgets as a count).
fn summary(view: &Value) -> Vec<String> {
    let Some(map) = view.as_object() else {
        return vec![short(view)];
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::Array(items) if k == "widgets" => format!("{k}: {} widgets", items.len()),
            other => format!("{k}: {}", short(other)),
        })
        .collect()
}

/// A value on one line, long ones cut.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 160 {
        let cut: String = text.chars().take(157).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests;
