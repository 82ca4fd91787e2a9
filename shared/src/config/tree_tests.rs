//! Tests of the compiled-in tree: the build's tree is the one the library reads, it is used
//! only for its own text, and a configuration parses alike with it and without it.

use super::Config;
use super::tree::{self, At, Value};

// What `runtime` compiles in, named here as it does (a `crate::runtime` path would make
// the configuration depend on the module that depends on it: tests/layers.rs).
const BUNDLED_CONFIG: &str = include_str!(env!("MODELWATCH_BUNDLED_CONFIG_PATH"));
const BUNDLED_CONFIG_NAME: &str = env!("MODELWATCH_BUNDLED_CONFIG_NAME");
const BUNDLED_CONFIG_TREE: &[u8] = include_bytes!(env!("MODELWATCH_BUNDLED_CONFIG_TREE_PATH"));

const EXAMPLE: &str = include_str!("../../../infra/modelwatch.example.yaml");

/// Every YAML value kind, anchors and a merge key, text that reads as other kinds, and
/// positions past the first bytes (multi-byte characters before them).
const ODD: &str = "\
base: &base { team: \"é quipe\", retries: 3 }
models:
  - <<: *base
    name: chat-large
    versions: [1.10, '2', v3, 1e3]
    ratio: -0.125
    big: 170141183460469231731687303715884105727
    nothing: ~
    flags: [true, false, null]
    note: |
      two lines, the second
      with a # that is not a comment
  - *base
deep: [[[[{ a: [1, { b: 2.5e-3 }] }]]]]
";

fn encoded(text: &str) -> Vec<u8> {
    tree::encode(text, &tree::read(text).expect("the text is YAML"))
}

#[test]
fn the_build_compiled_in_the_tree_the_library_reads_of_the_bundled_file() {
    let compiled = tree::decode(BUNDLED_CONFIG, BUNDLED_CONFIG_TREE)
        .unwrap_or_else(|| panic!("the compiled-in tree of {BUNDLED_CONFIG_NAME} does not decode"));
    assert_eq!(compiled, tree::read(BUNDLED_CONFIG).unwrap());
}

#[test]
fn a_tree_decodes_to_what_was_read_values_and_positions() {
    for text in [EXAMPLE, ODD, "", "just text", "- [a, {b: c}]"] {
        let read = tree::read(text).unwrap();
        let decoded = tree::decode(text, &tree::encode(text, &read)).unwrap();
        assert_eq!(decoded, read, "{text:?}");
    }
    // Positions count characters, not bytes (the line above has an é).
    let tree = tree::decode(ODD, &encoded(ODD)).unwrap();
    let Value::Map(top) = &tree.value else {
        panic!("a mapping")
    };
    let (key, _) = &top[1];
    assert_eq!((key.value.as_str(), key.line, key.column), ("models", 2, 1));
    let Value::List(models) = &top[1].1.value else {
        panic!("a list")
    };
    let Value::Map(first) = &models[0].value else {
        panic!("a mapping")
    };
    let name = first.iter().find(|(k, _)| k.value == "name").unwrap();
    assert_eq!((name.0.line, name.0.column), (4, 5));
}

#[test]
fn a_tree_is_used_only_for_its_own_text() {
    let tree = encoded(EXAMPLE);
    let edited = EXAMPLE.replacen("critical: ", "critical:  ", 1);
    assert_ne!(edited, EXAMPLE);
    assert_eq!(
        tree::decode(&edited, &tree),
        None,
        "another version of the file"
    );
    assert_eq!(tree::decode(&EXAMPLE[1..], &tree), None, "another length");
    assert_eq!(tree::decode(EXAMPLE, &[]), None, "no tree");
}

#[test]
fn a_damaged_tree_is_refused_at_every_cut_and_with_bytes_to_spare() {
    let tree = encoded(ODD);
    for cut in 0..tree.len() {
        assert_eq!(tree::decode(ODD, &tree[..cut]), None, "cut at {cut}");
    }
    let mut longer = tree.clone();
    longer.push(0);
    assert_eq!(tree::decode(ODD, &longer), None);
    let mut other_format = tree.clone();
    other_format[3] = b'9';
    assert_eq!(tree::decode(ODD, &other_format), None);
    // Flipped bytes anywhere after the header: refused or a tree, never a panic.
    for i in 16..tree.len() {
        let mut flipped = tree.clone();
        flipped[i] ^= 0xff;
        let _ = tree::decode(ODD, &flipped);
    }
}

#[test]
fn nesting_past_the_readers_limit_is_refused() {
    let mut deep = At {
        value: Value::Null,
        line: 1,
        column: 1,
        plain: None,
    };
    for _ in 0..=tree::MAX_DEPTH + 1 {
        deep = At {
            value: Value::List(vec![deep]),
            line: 1,
            column: 1,
            plain: None,
        };
    }
    assert_eq!(tree::decode("x", &tree::encode("x", &deep)), None);
}

#[test]
fn a_configuration_parses_alike_with_its_tree_and_without() {
    let with = Config::parse_with_tree(BUNDLED_CONFIG_NAME, BUNDLED_CONFIG, BUNDLED_CONFIG_TREE);
    let without = Config::parse(BUNDLED_CONFIG_NAME, BUNDLED_CONFIG);
    assert_eq!(format!("{with:?}"), format!("{without:?}"));
    // Errors too: every shape problem, at the same places.
    let wrong = EXAMPLE
        .replacen("team:", "teem:", 1)
        .replacen("critical: ", "critical: x", 1);
    let with = Config::parse_with_tree("m.yaml", &wrong, &encoded(&wrong)).unwrap_err();
    let without = Config::parse("m.yaml", &wrong).unwrap_err();
    assert!(with.errors.len() >= 2, "{with}");
    assert_eq!(with.to_string(), without.to_string());
    // A tree of another text is not used: the text's own syntax error is reported.
    let broken = "models: [";
    let with = Config::parse_with_tree("m.yaml", broken, BUNDLED_CONFIG_TREE).unwrap_err();
    assert_eq!(
        with.to_string(),
        Config::parse("m.yaml", broken).unwrap_err().to_string()
    );
}
