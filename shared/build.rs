//! Chooses the configuration compiled into the functions: `MODELWATCH_CONFIG` when set,
//! else the deployment's own `infra/deployment/modelwatch.yaml` when it exists, else the
//! annotated example `infra/modelwatch.example.yaml` (tests and the demo).

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The folder (it always exists, with its README): cargo rescans it, so creating the
    // deployment's file is noticed (a path that does not exist yet would make cargo rerun
    // this on every build), and edits elsewhere in infra/ rebuild nothing.
    println!(
        "cargo:rerun-if-changed={}",
        root.join("infra/deployment").display()
    );
    println!("cargo:rerun-if-env-changed=MODELWATCH_CONFIG");
    let deployment = root.join("infra/deployment/modelwatch.yaml");
    let (path, name, example): (PathBuf, String, bool) = match std::env::var("MODELWATCH_CONFIG") {
        Ok(p) if !p.trim().is_empty() => {
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
        panic!(
            "MODELWATCH_CONFIG names {}, which is not a file: expected the path of a modelwatch.yaml",
            path.display()
        );
    }
    println!("cargo:rerun-if-changed={}", path.display());
    println!(
        "cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_PATH={}",
        path.display()
    );
    println!("cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_NAME={name}");
    println!("cargo:rustc-env=MODELWATCH_BUNDLED_CONFIG_IS_EXAMPLE={example}");
}
