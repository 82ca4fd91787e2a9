//! `make demo`: two simulated days of three models, with injected incidents (one of them
//! caught by a synthetic probe), replayed through the real handlers on the local emulator
//! in a couple of minutes.

pub mod checks;
pub mod datadog_setup;
pub mod probes;
pub mod run;
pub mod scenario;
pub mod summary;
