//! The configuration's parse at cold start: the bundled file (the example configuration
//! unless a deployment's own is built in), checked and typed, as every function does it
//! on its blocking thread while the init round trips are out.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelwatch::config::Config;
use modelwatch::runtime::{BUNDLED_CONFIG, BUNDLED_CONFIG_NAME};

fn bench(c: &mut Criterion) {
    c.bench_function(
        &format!(
            "config: parse {BUNDLED_CONFIG_NAME} ({} bytes)",
            BUNDLED_CONFIG.len()
        ),
        |b| b.iter(|| Config::parse(BUNDLED_CONFIG_NAME, black_box(BUNDLED_CONFIG)).is_ok()),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
