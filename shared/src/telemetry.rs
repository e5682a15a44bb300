//! Structured JSON logs on stdout, which Lambda ships to CloudWatch.
//!
//! Each line carries the current span, so the Lambda runtime's invocation span adds the `requestId` to
//! everything logged while a request is handled. Level from `AWS_LAMBDA_LOG_LEVEL` (set by the
//! template's logging config; its FATAL is `error`) or `RUST_LOG` (`level` or `target=level` directives),
//! default `info`.
//!
//! The crates of the Lambda runtime, the AWS SDK and the HTTP stack are capped at `info` whatever the
//! level: at `debug` and `trace` they log raw events and requests, with Authorization headers,
//! passwords, codes and refresh tokens. Our own crates log no secrets at any level.

use tracing::{Subscriber, level_filters::LevelFilter};
use tracing_subscriber::{
    filter::Targets, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};

/// Target prefixes (a crate name, or the start of several) held at `info` at most.
const CAPPED_AT_INFO: [&str; 7] = [
    "lambda_", "aws_", "hyper", "h2", "reqwest", "rustls", "tower",
];

pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|level| level.to_lowercase())
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    subscriber(&level, std::io::stdout).init();
}

/// The filter `level` names; `info` when it names none. `Targets` rather than `EnvFilter`: the span
/// and field filters only `EnvFilter` has bring a regex engine into every binary (250 KB of code, much
/// of it in memory after init), and no configuration of ours uses them.
fn level_filter(level: &str) -> Targets {
    let level = if level.eq_ignore_ascii_case("fatal") {
        "error"
    } else {
        level
    };
    level
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO))
}

/// The JSON logger at `level`, with the runtime's crates capped, writing to `writer`.
fn subscriber<W>(level: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let cap = CAPPED_AT_INFO.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |cap, target| cap.with_target(*target, LevelFilter::INFO),
    );
    tracing_subscriber::fmt()
        // The two filters below decide; the builder's own default would stop at `info`.
        .with_max_level(LevelFilter::TRACE)
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .with_writer(writer)
        .finish()
        .with(level_filter(level))
        .with(cap)
}

#[cfg(test)]
mod tests {
    use std::{
        io,
        sync::{Arc, Mutex},
    };

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn at_trace_the_runtime_logs_nothing_below_info_and_our_crates_log_everything() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = subscriber("trace", move || writer.clone());

        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_client", "raw event: Authorization: Bearer secret-1");
            tracing::debug!(target: "lambda_http", "request: password=secret-2");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "body: secret-3");
            tracing::trace!(target: "hyper::proto", "headers: secret-4");
            tracing::info!(target: "lambda_runtime", "runtime info line");
            tracing::trace!(target: "identity::codes", "our trace line");
        });

        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        for secret in ["secret-1", "secret-2", "secret-3", "secret-4"] {
            assert!(!logged.contains(secret), "{secret} logged: {logged}");
        }
        assert!(logged.contains("runtime info line"), "{logged}");
        assert!(logged.contains("our trace line"), "{logged}");
    }

    /// What a logger at `level` writes of one line per level of ours, and one debug line of identity's.
    fn logged_at(level: &str) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing::subscriber::with_default(subscriber(level, move || writer.clone()), || {
            tracing::error!(target: "catalog", "catalog-error");
            tracing::warn!(target: "catalog", "catalog-warn");
            tracing::info!(target: "catalog", "catalog-info");
            tracing::debug!(target: "catalog", "catalog-debug");
            tracing::debug!(target: "identity", "identity-debug");
        });
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn levels_come_from_lambda_s_names_or_rust_log_directives() {
        let fatal = logged_at("FATAL");
        assert!(
            fatal.contains("catalog-error") && !fatal.contains("catalog-warn"),
            "{fatal}"
        );
        let debug = logged_at("debug");
        assert!(
            debug.contains("catalog-debug") && debug.contains("identity-debug"),
            "{debug}"
        );
        let directives = logged_at("info,catalog=debug");
        assert!(directives.contains("catalog-debug"), "{directives}");
        assert!(!directives.contains("identity-debug"), "{directives}");
        let unreadable = logged_at("catalog=loud");
        assert!(unreadable.contains("catalog-info"), "{unreadable}");
        assert!(!unreadable.contains("catalog-debug"), "{unreadable}");
    }

    #[test]
    fn a_lower_level_still_holds_for_the_runtime() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = subscriber("warn", move || writer.clone());

        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "lambda_runtime", "runtime info line");
            tracing::warn!(target: "lambda_runtime", "runtime warning");
        });

        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(!logged.contains("runtime info line"), "{logged}");
        assert!(logged.contains("runtime warning"), "{logged}");
    }
}
