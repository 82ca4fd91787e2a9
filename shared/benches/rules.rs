//! Benchmarks of monitor evaluation (filled in with the rules module).

fn main() {}
