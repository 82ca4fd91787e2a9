//! The shape check: the tree of the file against [`schema::ROOT`], every problem collected
//! and worded in plain terms (the key's path, what was found, what is expected) — the typed
//! parser would stop at the first one and speak of its own types (`invalid u32`).

use super::error::ConfigError;
use super::schema::{Key, Shape};
use super::tree::{At, Value};

type Node = At<Value>;

/// How deep a JSON value (a request body, a JSON Schema) may nest: the typed parse and the
/// schema compiler recurse once per level.
pub(super) const MAX_JSON_DEPTH: usize = 24;

/// The nesting depth of `value` (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::List(items) => 1 + items.iter().map(|i| depth(&i.value)).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(_, v)| depth(&v.value))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

/// Every shape problem of `root`; `text` is the file, for hints that quote its lines.
pub(super) fn check(root: &Node, shape: &Shape, text: &str) -> Vec<ConfigError> {
    let mut c = Checker {
        lines: text.lines().collect(),
        problems: Vec::new(),
    };
    c.value(root, shape, "");
    c.problems
}

struct Checker<'t> {
    lines: Vec<&'t str>,
    problems: Vec<ConfigError>,
}

impl Checker<'_> {
    fn at<T>(&mut self, s: &At<T>, message: String) {
        self.problems.push(ConfigError {
            line: s.line,
            column: s.column,
            message,
        });
    }

    /// Checks `node` against `shape`; `path` names it in messages.
    fn value(&mut self, node: &Node, shape: &Shape, path: &str) {
        let fits = match (&node.value, shape) {
            (Value::Null, _) => {
                let message = format!("{path} has no value: expected {}", shape.words());
                return self.at(node, message);
            }
            (value, Shape::Json) => {
                if depth(value) > MAX_JSON_DEPTH {
                    let message = format!(
                        "{path} is nested more than {MAX_JSON_DEPTH} levels deep: expected a flatter value"
                    );
                    return self.at(node, message);
                }
                self.json_keys(value, path);
                true
            }
            (Value::List(_) | Value::Map(_), Shape::Text) => false,
            (_, Shape::Text) => true,
            (Value::Integer(i), Shape::Integer { max }) => *i >= 0 && *i <= i128::from(*max),
            (Value::Integer(_) | Value::Float(_), Shape::Number) => true,
            (Value::List(items), Shape::List(item)) => {
                for (i, n) in items.iter().enumerate() {
                    self.value(n, item, &format!("{path}[{i}]"));
                }
                true
            }
            (Value::Map(entries), Shape::Map(keys)) => {
                self.map(node, entries, keys, path);
                true
            }
            (Value::Map(entries), Shape::Named(keys)) => {
                self.repeated(entries, path);
                for (name, n) in entries {
                    let inner = join(path, &name.value);
                    match &n.value {
                        Value::Map(e) => self.map(n, e, keys, &inner),
                        Value::Null => {}
                        _ => self.value(n, &Shape::Map(keys), &inner),
                    }
                }
                true
            }
            (Value::Map(entries), Shape::OneOf(keys)) => {
                self.one_of(node, entries, keys, path);
                true
            }
            _ => false,
        };
        if !fits {
            let hint = match (&node.value, shape) {
                (Value::Text(t), Shape::List(_)) => format!(" (a list of one is written [{t}])"),
                (Value::Float(_) | Value::Integer(_), Shape::Integer { max }) => {
                    format!(" from 0 to {max}")
                }
                _ => String::new(),
            };
            self.at(
                node,
                format!(
                    "invalid {path} {}: expected {}{hint}",
                    node.value.found(),
                    shape.words()
                ),
            );
        }
    }

    /// The comment on `key`'s line right after `key:`, as in `slack_channel: #alerts`.
    fn comment_after(&self, key: &At<String>) -> Option<String> {
        let line = self.lines.get((key.line as usize).checked_sub(1)?)?;
        let start = (key.column as usize).checked_sub(1)?;
        let rest = line.chars().skip(start).collect::<String>();
        let rest = rest.strip_prefix(key.value.as_str())?.trim_start();
        let rest = rest.strip_prefix(':')?.trim_start();
        let comment = rest.strip_prefix('#')?;
        let word: String = comment.chars().take_while(|c| !c.is_whitespace()).collect();
        (!word.is_empty()).then(|| format!("#{word}"))
    }

    fn map(
        &mut self,
        node: &Node,
        entries: &[(At<String>, Node)],
        keys: &'static [Key],
        path: &str,
    ) {
        self.repeated(entries, path);
        for (name, value) in entries {
            let inner = join(path, &name.value);
            match keys.iter().find(|k| k.name == name.value) {
                Some(k) => self.keyed(value, name, k, &inner),
                None => self.at(
                    name,
                    format!("unknown key {inner}: expected {}", names(keys)),
                ),
            }
        }
        for k in keys.iter().filter(|k| k.required) {
            if !entries.iter().any(|(name, _)| name.value == k.name) {
                self.at(
                    node,
                    format!(
                        "missing {}: expected {}{}",
                        join(path, k.name),
                        k.shape.words(),
                        if k.allowed.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", k.allowed)
                        }
                    ),
                );
            }
        }
    }

    fn keyed(&mut self, value: &Node, name: &At<String>, key: &Key, path: &str) {
        if matches!(value.value, Value::Null) {
            let comment = self.comment_after(name);
            if key.required || comment.is_some() {
                let hint = comment.map_or_else(String::new, |c| {
                    format!(
                        " (YAML reads everything after # as a comment: quote the value, {}: \"{c}\")",
                        name.value
                    )
                });
                self.at(
                    name,
                    format!("{path} has no value: expected {}{hint}", key.shape.words()),
                );
            }
            return;
        }
        self.value(value, &key.shape, path);
    }

    fn one_of(
        &mut self,
        node: &Node,
        entries: &[(At<String>, Node)],
        keys: &'static [Key],
        path: &str,
    ) {
        match entries {
            [] => self.at(
                node,
                format!("{path} is empty: expected one of {}", names(keys)),
            ),
            [(name, value)] => match keys.iter().find(|k| k.name == name.value) {
                Some(k) => self.keyed(value, name, k, &join(path, &name.value)),
                None => self.at(
                    name,
                    format!(
                        "unknown kind of {path} {:?}: expected {}",
                        name.value,
                        names(keys)
                    ),
                ),
            },
            [(first, _), (second, _), ..] => self.at(
                second,
                format!(
                    "{path} has both {} and {}: expected exactly one of {}",
                    first.value,
                    second.value,
                    names(keys)
                ),
            ),
        }
    }

    /// Each key given twice anywhere in a JSON value (a body, a schema): JSON would keep
    /// one of them silently.
    fn json_keys(&mut self, value: &Value, path: &str) {
        match value {
            Value::Map(entries) => {
                self.repeated(entries, path);
                for (name, v) in entries {
                    self.json_keys(&v.value, &join(path, &name.value));
                }
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.json_keys(&item.value, &format!("{path}[{i}]"));
                }
            }
            _ => {}
        }
    }

    /// Each key given more than once, at its second place.
    fn repeated(&mut self, entries: &[(At<String>, Node)], path: &str) {
        for (i, (name, _)) in entries.iter().enumerate() {
            if let Some((first, _)) = entries[..i].iter().find(|(n, _)| n.value == name.value) {
                self.at(
                    name,
                    format!(
                        "{} is given twice (first at line {}): expected each key once",
                        join(path, &name.value),
                        first.line
                    ),
                );
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn names(keys: &[Key]) -> String {
    let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
    format!("one of {}", names.join(", "))
}
