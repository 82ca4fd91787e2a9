//! The library's shape, checked: its modules depend on each other without cycles (each can
//! be read, tested and changed from the bottom up), and only the store knows the table's
//! key formats.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each top-level module's code without its tests and comments.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut code: BTreeMap<String, String> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "bin" || rel.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        let without_tests = without_test_module(&text);
        let lines: Vec<&str> = without_tests
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        code.entry(top).or_default().push_str(&lines.join("\n"));
    }
    code
}

/// The text up to an inline `#[cfg(test)] mod tests { … }` (always last in a file); a
/// `#[cfg(test)] mod tests;` declaration is only skipped.
fn without_test_module(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = rest[i + "#[cfg(test)]".len()..].trim_start();
        match after.find('\n') {
            Some(end) if after[..end].trim_end().ends_with(';') => rest = &after[end..],
            _ => return out,
        }
    }
    out.push_str(rest);
    out
}

fn dependencies(code: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    code.iter()
        .map(|(module, text)| {
            let deps = text
                .match_indices("crate::")
                .filter_map(|(i, _)| {
                    let rest = &text[i + "crate::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    (!name.is_empty() && name != *module).then_some(name)
                })
                .collect();
            (module.clone(), deps)
        })
        .collect()
}

#[test]
fn modules_depend_on_each_other_without_cycles() {
    let graph = dependencies(&modules());
    // Peel off modules whose dependencies are all peeled: what is left is in a cycle.
    let mut done: BTreeSet<String> = BTreeSet::new();
    loop {
        let next: Vec<String> = graph
            .iter()
            .filter(|(m, deps)| {
                !done.contains(*m)
                    && deps
                        .iter()
                        .all(|d| done.contains(d) || !graph.contains_key(d))
            })
            .map(|(m, _)| m.clone())
            .collect();
        if next.is_empty() {
            break;
        }
        done.extend(next);
    }
    let cyclic: Vec<String> = graph
        .iter()
        .filter(|(m, _)| !done.contains(*m))
        .map(|(m, deps)| format!("{m} -> {deps:?}"))
        .collect();
    assert!(
        cyclic.is_empty(),
        "modules in a dependency cycle:\n{}",
        cyclic.join("\n")
    );
}

#[test]
fn only_the_store_knows_the_tables_key_formats() {
    let prefixes = [
        "\"ALERT#",
        "\"SIGNAL#",
        "\"HIST#",
        "\"SUB#",
        "\"DEPLOY#",
        "\"SILENCES\"",
        "\"SEEN#",
    ];
    for (module, text) in modules() {
        if module == "store" {
            continue;
        }
        for p in prefixes {
            assert!(
                !text.contains(p),
                "module {module} spells the store's key format {p}"
            );
        }
    }
}
