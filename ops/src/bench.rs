//! Cold-start benchmark: how long a function binary takes from process start until it asks the Lambda
//! runtime API for its first event (the end of Lambda's INIT phase).
//!
//! The binary runs against a stand-in of the runtime API ([`crate::runtime_api`]); the clock stops when
//! `GET /2018-06-01/runtime/invocation/next` arrives, and the CPU time and memory the process used by
//! then are read while it waits. The process is then stopped.

use std::{
    path::{Path, PathBuf},
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

use crate::runtime_api::{RuntimeApi, Usage};

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

/// [`signing_key`] in hand, for the routers a benchmark builds in process (no secret to read).
pub fn pending_signing_key() -> identity::PendingKey {
    identity::Pending::ready(signing_key().clone())
}

/// `TOKEN_PUBLIC_KEYS` for the functions a benchmark runs: the public half of [`signing_key`].
pub fn public_keys() -> String {
    signing_key().public().entry()
}

/// A cold start: from process start until the function first asks for an event (the end of Lambda's
/// INIT phase), and what the process used by then.
pub struct Init {
    pub wall: Duration,
    pub usage: Usage,
}

/// Starts `binary`, waits for its first `next` and stops it there: no event is ever processed, so no
/// AWS endpoint is contacted after init.
pub async fn measure_init(binary: &Path, env: &[(String, String)]) -> anyhow::Result<Init> {
    let mut api = RuntimeApi::start().await?;
    let started = Instant::now();
    let mut child = api.spawn(binary, env)?;
    let pid = child.id().context("no pid")?;
    let init = async {
        let (at, _held) = api.next(Duration::from_secs(10)).await?;
        anyhow::Ok(Init {
            wall: at - started,
            usage: Usage::of(pid)?,
        })
    }
    .await
    .with_context(|| format!("{} did not start", binary.display()));
    let _ = child.kill().await;
    init
}

/// The median of `values` (the upper one of an even count).
pub fn median<T: PartialOrd + Copy>(values: impl IntoIterator<Item = T>) -> T {
    let mut values: Vec<T> = values.into_iter().collect();
    values.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    values[values.len() / 2]
}

/// Each binary's init (wall median and p90, CPU and memory medians) as a markdown table; with
/// `first_is_floor`, each also as a ratio to the first binary's.
pub fn init_table(binaries: &[PathBuf], inits: &[Vec<Init>], first_is_floor: bool) -> Vec<String> {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let medians: Vec<(f64, f64, f64, f64)> = inits
        .iter()
        .map(|inits| {
            let mut walls: Vec<_> = inits.iter().map(|i| i.wall).collect();
            let (wall, p90, _) = summarize(&mut walls);
            let cpu = median(inits.iter().map(|i| ms(i.usage.cpu_live_threads)));
            let rss = median(inits.iter().map(|i| mib(i.usage.peak_rss_kib)));
            (wall, p90, cpu, rss)
        })
        .collect();
    let mut lines = vec![
        "| function | init median / p90 | init CPU | RSS at init (heap + binary and files) | init / floor | init CPU / floor | RSS / floor |".to_owned(),
        "|---|---|---|---|---|---|---|".to_owned(),
    ];
    for ((binary, (wall, p90, cpu, rss)), inits) in binaries.iter().zip(&medians).zip(inits) {
        let anon = median(inits.iter().map(|i| mib(i.usage.rss_anon_kib)));
        let file = median(inits.iter().map(|i| mib(i.usage.rss_file_kib)));
        let name = binary.file_name().unwrap_or_default().to_string_lossy();
        let ratios = match (first_is_floor, medians.first()) {
            (true, Some((f_wall, _, f_cpu, f_rss))) => format!(
                "{:.2}x | {:.2}x | {:.2}x",
                wall / f_wall,
                cpu / f_cpu,
                rss / f_rss
            ),
            _ => " | | ".to_owned(),
        };
        lines.push(format!(
            "| {name} | {wall:.2} / {p90:.2} ms | {cpu:.2} ms | {rss:.1} MiB ({anon:.1} + {file:.1}) | {ratios} |"
        ));
    }
    lines
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

/// The functions' DynamoDB client ([`shared::aws::dynamodb`]), its requests counted.
pub fn counted_dynamodb(sdk: &SdkConfig) -> (aws_sdk_dynamodb::Client, CountRequests) {
    let counter = CountRequests::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        shared::aws::dynamodb(sdk)
            .config()
            .to_builder()
            .interceptor(counter.clone())
            .build(),
    );
    (client, counter)
}

/// User and system CPU time from the text of a `/proc/<pid>/stat` (fields 14 and 15, in ticks of
/// 10 ms); `None` when unreadable. The text after the name (which may hold spaces) starts at field 3.
pub fn stat_cpu(stat: &str) -> Option<(Duration, Duration)> {
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks = |i: usize| -> Option<Duration> {
        let ticks: u64 = fields.get(i)?.parse().ok()?;
        Some(Duration::from_millis(ticks * 10))
    };
    Some((ticks(11)?, ticks(12)?))
}

/// CPU time the whole process has used (`/proc/self/stat` utime + stime, ticks of 10 ms).
pub fn process_cpu() -> Duration {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| stat_cpu(&stat))
        .map(|(user, system)| user + system)
        .unwrap_or_default()
}
