//! Our `products` function against the floor (the `floor` crate: the leanest Lambda doing the same
//! read) on the same event, `GET /products/{id}`, as Lambda runs them: each binary started against the
//! stand-in runtime API ([`crate::runtime_api`]), its init measured, then `warmup` events and `requests`
//! measured events, one after the other, with its DynamoDB requests counted by a proxy in front of
//! the emulator. The binaries take turns, round after round, and each figure is the median over the
//! rounds, so that the load of a shared machine falls on all of them alike.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use aws_config::SdkConfig;
use serde_json::{Value, json};
use shared::{Id, db::schema};

use crate::{
    bench::median,
    bench_catalog,
    runtime_api::{CountingProxy, RuntimeApi, Usage},
};

/// A binary and the settings it runs with.
pub struct Subject {
    pub name: String,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
}

/// One run of one subject.
pub struct Run {
    pub init: Duration,
    pub init_cpu: Duration,
    pub init_rss_kib: u64,
    pub warm_cpu_per_request: Duration,
    pub warm_user_per_request: Duration,
    pub peak_rss_kib: u64,
    /// Resident at the end, anonymous and file-backed ([`Usage`]).
    pub end_rss_anon_kib: u64,
    pub end_rss_file_kib: u64,
    /// DynamoDB requests per measured event, by operation.
    pub requests_per_call: BTreeMap<String, f64>,
}

/// Where [`prepare`] put the catalogue, and the event to send.
pub struct Prepared {
    pub table: String,
    /// Holds the catalogue snapshot object, as the `catalog-snapshot` function keeps it.
    pub bucket: String,
    pub event: Vec<u8>,
}

/// The catalogue (`products` products, as `ops bench-catalog` makes them) in a new table of the
/// emulator and as the snapshot object in a new bucket (what a deployed catalogue function starts
/// from), and the event of a public read of one enabled product.
pub async fn prepare(sdk: &SdkConfig, products: usize) -> anyhow::Result<Prepared> {
    let table = format!("bench-floor-{}", Id::new());
    let db = shared::aws::dynamodb(sdk);
    schema::ensure_table(&db, &table).await?;
    let catalog = bench_catalog::synthetic(products.max(1));
    bench_catalog::store(&db, &table, &catalog).await?;
    let bucket = table.clone();
    let s3 = shared::aws::s3(sdk);
    s3.create_bucket().bucket(&bucket).send().await?;
    let version = catalog::store::current_version(&db, &table).await?;
    let snapshot = catalog::index::Catalog::build(
        catalog.entities.clone(),
        catalog.products.clone(),
        catalog.offers.clone(),
    );
    catalog::stored::SnapshotObject {
        s3,
        bucket: bucket.clone(),
    }
    .write(version, &snapshot)
    .await?;
    let product = catalog
        .products
        .iter()
        .find(|p| !p.disabled)
        .context("no enabled product")?;
    Ok(Prepared {
        table,
        bucket,
        event: read_event(&product.id.to_string()),
    })
}

/// The API Gateway (HTTP API v2) event of `GET /products/{id}`.
fn read_event(id: &str) -> Vec<u8> {
    let path = format!("/products/{id}");
    let host = "bench.execute-api.us-east-1.amazonaws.com";
    let event = json!({
        "version": "2.0", "routeKey": "ANY /products/{id}", "rawPath": path, "rawQueryString": "",
        "headers": {"accept": "application/json", "host": host, "user-agent": "bench", "x-forwarded-proto": "https"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": host, "domainPrefix": "bench",
            "requestId": "bench", "routeKey": "ANY /products/{id}", "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "pathParameters": {"id": id},
        "isBase64Encoded": false,
    });
    serde_json::to_vec(&event).expect("serializable")
}

/// Starts `subject`, hands it `warmup` and then `requests` copies of `event`, and stops it. Usage is
/// read while the function waits for its next event: after init, after the warm-up and at the end.
pub async fn run_once(
    subject: &Subject,
    event: &Arc<Vec<u8>>,
    warmup: usize,
    requests: usize,
    proxy: &CountingProxy,
) -> anyhow::Result<Run> {
    let mut api = RuntimeApi::start().await?;
    let mut env = subject.env.clone();
    env.push(("AWS_ENDPOINT_URL".into(), proxy.endpoint_url().to_owned()));
    let started = Instant::now();
    let mut child = api.spawn(&subject.binary, &env)?;
    let pid = child.id().context("no pid")?;
    let run = async {
        let within = Duration::from_secs(30);
        let (ready, mut handing) = api.next(within).await?;
        let after_init = Usage::of(pid)?;
        let (mut warm, mut counted) = (after_init, proxy.counts());
        for n in 1..=warmup + requests {
            let _ = handing.send(event.clone());
            let (_, body) = api.response(within).await?;
            let response: Value = serde_json::from_slice(&body)?;
            anyhow::ensure!(
                response["statusCode"] == 200,
                "{} answered {response}",
                subject.name
            );
            (_, handing) = api.next(within).await?;
            if n == warmup {
                (warm, counted) = (Usage::of(pid)?, proxy.counts());
            }
        }
        let end = Usage::of(pid)?;
        let per_request = |d: Duration| d / requests as u32;
        let mut requests_per_call = BTreeMap::new();
        for (operation, count) in proxy.counts() {
            let during = count - counted.get(&operation).copied().unwrap_or(0);
            if during > 0 {
                let operation = operation.rsplit('.').next().unwrap_or_default().to_owned();
                requests_per_call.insert(operation, during as f64 / requests as f64);
            }
        }
        anyhow::Ok(Run {
            init: ready - started,
            init_cpu: after_init.cpu_live_threads,
            init_rss_kib: after_init.peak_rss_kib,
            warm_cpu_per_request: per_request(end.cpu() - warm.cpu()),
            warm_user_per_request: per_request(end.user - warm.user),
            peak_rss_kib: end.peak_rss_kib,
            end_rss_anon_kib: end.rss_anon_kib,
            end_rss_file_kib: end.rss_file_kib,
            requests_per_call,
        })
    }
    .await
    .with_context(|| format!("running {}", subject.name));
    let _ = child.kill().await;
    run
}

/// How much `ops bench-floor` measures.
pub struct Options {
    pub rounds: usize,
    pub warmup: usize,
    pub requests: usize,
    /// Products in the catalogue.
    pub products: usize,
}

/// `ops bench-floor`: the floor; `products` as deployed (starting from the snapshot object); the
/// same reading the catalogue version on every request (`CATALOG_FRESHNESS_MS=0`, one DynamoDB
/// request per request like the floor); and `products` without the object, loading the catalogue from
/// the table (what a fresh process does when the object is missing): against the emulator at
/// `endpoint`; the table of medians.
pub async fn report(
    sdk: &SdkConfig,
    endpoint: &str,
    floor: PathBuf,
    products: PathBuf,
    options: Options,
) -> anyhow::Result<Vec<String>> {
    let Prepared {
        table: table_name,
        bucket,
        event,
    } = prepare(sdk, options.products).await?;
    let proxy = CountingProxy::start(endpoint).await?;
    let env = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        [
            ("TABLE_NAME", table_name.as_str()),
            ("TOKEN_PUBLIC_KEYS", crate::bench::public_keys().as_str()),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let deployed = ("CATALOG_SNAPSHOT_BUCKET", bucket.as_str());
    let subjects = [
        Subject {
            name: "floor".into(),
            binary: floor,
            env: env(&[]),
        },
        Subject {
            name: "products".into(),
            binary: products.clone(),
            env: env(&[deployed]),
        },
        Subject {
            name: "products, version read on every request".into(),
            binary: products.clone(),
            env: env(&[deployed, ("CATALOG_FRESHNESS_MS", "0")]),
        },
        Subject {
            name: "products without the snapshot object (loads the table)".into(),
            binary: products,
            env: env(&[]),
        },
    ];
    let runs = measure(&subjects, event, &options, &proxy).await?;
    Ok(table(&subjects, &runs))
}

/// `rounds` rounds in which every subject runs once (the order turning each round); every run of
/// each subject, in subject order.
pub async fn measure(
    subjects: &[Subject],
    event: Vec<u8>,
    options: &Options,
    proxy: &CountingProxy,
) -> anyhow::Result<Vec<Vec<Run>>> {
    let event = Arc::new(event);
    let mut runs: Vec<Vec<Run>> = subjects.iter().map(|_| Vec::new()).collect();
    for round in 0..options.rounds {
        for i in 0..subjects.len() {
            let which = (i + round) % subjects.len();
            let run = run_once(
                &subjects[which],
                &event,
                options.warmup,
                options.requests,
                proxy,
            )
            .await?;
            runs[which].push(run);
        }
    }
    Ok(runs)
}

/// The medians of each subject's runs as a markdown table, with each subject's ratio to the first.
pub fn table(subjects: &[Subject], runs: &[Vec<Run>]) -> Vec<String> {
    struct Medians {
        init: f64,
        init_cpu: f64,
        init_rss: f64,
        warm_cpu: f64,
        warm_user: f64,
        peak_rss: f64,
        end_anon: f64,
        end_file: f64,
        requests: BTreeMap<String, f64>,
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let medians: Vec<Medians> = runs
        .iter()
        .map(|runs| {
            let operations: std::collections::BTreeSet<&String> = runs
                .iter()
                .flat_map(|r| r.requests_per_call.keys())
                .collect();
            Medians {
                init: median(runs.iter().map(|r| ms(r.init))),
                init_cpu: median(runs.iter().map(|r| ms(r.init_cpu))),
                init_rss: median(runs.iter().map(|r| r.init_rss_kib as f64 / 1024.0)),
                warm_cpu: median(runs.iter().map(|r| ms(r.warm_cpu_per_request) * 1000.0)),
                warm_user: median(runs.iter().map(|r| ms(r.warm_user_per_request) * 1000.0)),
                peak_rss: median(runs.iter().map(|r| r.peak_rss_kib as f64 / 1024.0)),
                end_anon: median(runs.iter().map(|r| r.end_rss_anon_kib as f64 / 1024.0)),
                end_file: median(runs.iter().map(|r| r.end_rss_file_kib as f64 / 1024.0)),
                requests: operations
                    .into_iter()
                    .map(|op| {
                        let per_call = median(
                            runs.iter()
                                .map(|r| r.requests_per_call.get(op).copied().unwrap_or(0.0)),
                        );
                        (op.clone(), per_call)
                    })
                    .collect(),
            }
        })
        .collect();
    let requests = |m: &Medians| {
        let total = m.requests.values().fold(0.0, |sum, n| sum + n);
        let named: Vec<String> = m
            .requests
            .iter()
            .map(|(op, n)| format!("{op} {n:.3}"))
            .collect();
        format!("{total:.3} ({})", named.join(", "))
    };
    let mut lines = vec![
        "| function | init | init CPU | RSS at init | warm CPU per request (user) | peak RSS (at the end: heap + binary and files) | DynamoDB requests per request |".to_owned(),
        "|---|---|---|---|---|---|---|".to_owned(),
    ];
    for (subject, m) in subjects.iter().zip(&medians) {
        lines.push(format!(
            "| {} | {:.2} ms | {:.2} ms | {:.1} MiB | {:.0} µs ({:.0} µs) | {:.1} MiB ({:.1} + {:.1}) | {} |",
            subject.name,
            m.init,
            m.init_cpu,
            m.init_rss,
            m.warm_cpu,
            m.warm_user,
            m.peak_rss,
            m.end_anon,
            m.end_file,
            requests(m)
        ));
    }
    let floor = &medians[0];
    for (subject, m) in subjects.iter().zip(&medians).skip(1) {
        lines.push(format!(
            "| {} / {} | {:.2}x | {:.2}x | {:.2}x | {:.2}x ({:.2}x) | {:.2}x | |",
            subject.name,
            subjects[0].name,
            m.init / floor.init,
            m.init_cpu / floor.init_cpu,
            m.init_rss / floor.init_rss,
            m.warm_cpu / floor.warm_cpu,
            m.warm_user / floor.warm_user,
            m.peak_rss / floor.peak_rss,
        ));
    }
    lines
}
