//! Cold-start benchmark: how long a function binary takes from process start until it asks the Lambda
//! runtime API for its first event (the end of Lambda's INIT phase).
//!
//! A tiny stand-in for the runtime API listens on loopback; the binary is started with the variables
//! Lambda sets, and the clock stops when `GET /2018-06-01/runtime/invocation/next` arrives. The process is
//! then killed, so no event is ever processed and no AWS endpoint is contacted.

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{
    ConfigBag, Intercept, RuntimeComponents, interceptors::BeforeTransmitInterceptorContextRef,
};
use identity::{Email, Password, UserStore, users::NewUser};
use tokio::{io::AsyncReadExt, net::TcpListener, process::Command, time::timeout};

/// The password of the account [`client_account`] creates.
pub const CLIENT_PASSWORD: &str = "bench-password";

/// A confirmed client account with [`CLIENT_PASSWORD`] for a benchmark to sign in with; its e-mail.
pub async fn client_account(db: aws_sdk_dynamodb::Client, table: String) -> anyhow::Result<String> {
    let email = format!("bench-{}@bench.example", shared::Id::new());
    UserStore::new(db, table)
        .create(NewUser {
            email: Email::parse(&email).map_err(|_| anyhow::anyhow!("bench email"))?,
            full_name: "Bench".into(),
            password_hash: Password::parse(CLIENT_PASSWORD.into())
                .map_err(|_| anyhow::anyhow!("bench password"))?
                .hash()
                .await?,
            role: shared::auth::Role::Client,
            confirmed: true,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(email)
}

/// The token signing key of every benchmark, made once per run.
pub fn signing_key() -> &'static identity::SigningKey {
    static KEY: std::sync::OnceLock<identity::SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| identity::SigningKey::generate("bench").expect("a valid kid"))
}

/// `TOKEN_PUBLIC_KEYS` for the functions a benchmark runs: the public half of [`signing_key`].
pub fn public_keys() -> String {
    signing_key().public().entry()
}

const NEXT_EVENT: &str = "GET /2018-06-01/runtime/invocation/next";

/// Starts `binary` `runs` times and returns each init duration.
pub async fn measure_init(
    binary: &Path,
    runs: usize,
    extra_env: &[(String, String)],
) -> anyhow::Result<Vec<Duration>> {
    let mut durations = Vec::with_capacity(runs);
    for _ in 0..runs {
        durations.push(measure_once(binary, extra_env).await?);
    }
    Ok(durations)
}

async fn measure_once(binary: &Path, extra_env: &[(String, String)]) -> anyhow::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let runtime_api = listener.local_addr()?.to_string();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("Failed to start {}", binary.display()))?;

    let waited = timeout(Duration::from_secs(10), async {
        loop {
            let (mut stream, _) = listener.accept().await?;
            let mut buffer = vec![0u8; 1024];
            let read = stream.read(&mut buffer).await?;
            if String::from_utf8_lossy(&buffer[..read]).starts_with(NEXT_EVENT) {
                return anyhow::Ok(started.elapsed());
            }
        }
    })
    .await;
    let _ = child.kill().await;
    match waited {
        Ok(result) => result,
        Err(_) => anyhow::bail!(
            "{} never asked for an event within 10 s (did it fail its config?)",
            binary.display()
        ),
    }
}

/// Median, 90th percentile and maximum, in milliseconds.
pub fn summarize(durations: &mut [Duration]) -> (f64, f64, f64) {
    durations.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| durations[((durations.len() - 1) as f64 * q).round() as usize];
    (
        ms(at(0.5)),
        ms(at(0.9)),
        ms(*durations.last().expect("at least one run")),
    )
}

/// Counts every request the clients it is given to send (an SDK interceptor).
#[derive(Debug, Default, Clone)]
pub struct CountRequests(pub Arc<AtomicUsize>);

impl CountRequests {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "CountRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// An SQS client whose requests `counter` counts too.
pub fn counted_sqs(sdk: &SdkConfig, counter: &CountRequests) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .interceptor(counter.clone())
            .build(),
    )
}

/// A DynamoDB client whose requests are counted.
pub fn counted_dynamodb(sdk: &SdkConfig) -> (aws_sdk_dynamodb::Client, CountRequests) {
    let counter = CountRequests::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(counter.clone())
            .build(),
    );
    (client, counter)
}
