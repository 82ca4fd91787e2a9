//! The configuration's parse at cold start: the bundled file (the example configuration
//! unless a deployment's own is built in), checked and typed, as every function does it
//! on its blocking thread while the init round trips are out — with the YAML tree the
//! build compiled in, as the functions do, and reading the text alone, as
//! `modelwatch validate` does.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelwatch::config::Config;
use modelwatch::runtime::{BUNDLED_CONFIG, BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_TREE};

fn bench(c: &mut Criterion) {
    let bytes = BUNDLED_CONFIG.len();
    c.bench_function(
        &format!("config: parse {BUNDLED_CONFIG_NAME} ({bytes} bytes), text alone"),
        |b| b.iter(|| Config::parse(BUNDLED_CONFIG_NAME, black_box(BUNDLED_CONFIG)).is_ok()),
    );
    c.bench_function(
        &format!(
            "config: parse {BUNDLED_CONFIG_NAME} ({bytes} bytes), with the compiled-in tree ({} bytes)",
            BUNDLED_CONFIG_TREE.len()
        ),
        |b| {
            b.iter(|| {
                Config::parse_with_tree(
                    BUNDLED_CONFIG_NAME,
                    black_box(BUNDLED_CONFIG),
                    black_box(BUNDLED_CONFIG_TREE),
                )
                .is_ok()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
