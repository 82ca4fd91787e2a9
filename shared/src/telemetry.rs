//! Logs as JSON lines through `tracing`, one line per decision; `RUST_LOG` filters.

/// Installs the JSON subscriber; call once at the top of `main`.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // `try_init` so tests and tools that already installed one keep theirs.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        // A request's span (the intake's route) on every line logged within it.
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
