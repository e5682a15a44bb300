//! Structured JSON logs on stdout, which Lambda ships to CloudWatch.
//!
//! Each line carries the current span, so the Lambda runtime's invocation span adds the `requestId` to
//! everything logged while a request is handled. Level from `AWS_LAMBDA_LOG_LEVEL` (set by the
//! template's logging config) or `RUST_LOG`, default `info`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|level| level.to_lowercase())
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(level))
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .init();
}
