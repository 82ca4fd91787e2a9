//! Chooses the configuration compiled into the functions: `MODELWATCH_CONFIG` when set,
//! else the deployment's own `infra/deployment/modelwatch.yaml` when it exists, else the
//! annotated example `infra/modelwatch.example.yaml` (tests and the demo). Reads its YAML
//! tree once here, so that cold starts skip that half of the parse (`config::tree`).

use std::path::{Path, PathBuf};

// The library's own reader and encoding, so that the compiled-in tree is the one the
// library would read. It reads trees; only the encoding is used here.
#[allow(dead_code)]
#[path = "src/config/tree.rs"]
mod tree;

fn main() {
    // Read when run, not compiled in: cargo names a path package's build script by its
    // place in the workspace, so a checkout elsewhere sharing the target folder may run
    // this very binary, which must then read its own files.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("..");
    // The folder (it always exists, with its README): cargo rescans it, so creating the
    // deployment's file is noticed (a path that does not exist yet would make cargo rerun
    // this on every build), and edits elsewhere in infra/ rebuild nothing.
    println!(
        "cargo:rerun-if-changed={}",
        root.join("infra/deployment").display()
    );
    println!("cargo:rerun-if-env-changed=MODELWATCH_CONFIG");
    let deployment = root.join("infra/deployment/modelwatch.yaml");
    let given = std::env::var("MODELWATCH_CONFIG")
        .ok()
        .filter(|p| !p.trim().is_empty());
    let (path, name, example): (PathBuf, String, bool) = match given.as_deref() {
        Some(p) => {
            let given = PathBuf::from(p.trim());
            let path = if given.is_absolute() {
                given
            } else {
                root.join(given)
            };
            let name = path.display().to_string();
            (path, name, false)
        }
        _ if deployment.is_file() => (deployment, "infra/deployment/modelwatch.yaml".into(), false),
        _ => (
            root.join("infra/modelwatch.example.yaml"),
            "infra/modelwatch.example.yaml".into(),
            true,
        ),
    };
    if !path.is_file() {
        let named_by = match given {
            Some(_) => "MODELWATCH_CONFIG names",
            None => "the configuration to compile in,",
        };
        panic!(
            "{named_by} {}, which is not a file: expected the path of a modelwatch.yaml",
            path.display()
        );
    }
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo:rerun-if-changed=src/config/tree.rs");
    // A file that is not YAML gets no tree: the cold start reads the text and reports
    // the error where it is, as `modelwatch validate` does.
    let tree = match std::fs::read_to_string(&path) {
        Ok(text) => tree::read(&text)
            .map(|t| tree::encode(&text, &t))
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let tree_path = out.join("bundled_config.tree");
    std::fs::write(&tree_path, tree)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", tree_path.display()));
    println!(
        "cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_TREE_PATH={}",
        tree_path.display()
    );
    println!(
        "cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_PATH={}",
        path.display()
    );
    println!("cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_NAME={name}");
    println!("cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_IS_EXAMPLE={example}");
}
