//! The black-box test harness.
//!
//! [`spawn_app`] serves every function's real router on `127.0.0.1:0`, routed exactly as the watch router
//! in Cargo.toml (and so API Gateway) routes, against the local AWS emulator with a fresh table per test,
//! so tests run in parallel without seeing each other's data. Tests talk to it over HTTP with the
//! returned [`TestApp`]. Logs stay silent unless `TEST_LOG` is set.
//!
//! The emulator is found through `AWS_ENDPOINT_URL`, which `make test` sets after starting a private one.
//! A test that cannot reach it fails with instructions; it never skips.

use std::{
    collections::BTreeMap,
    sync::{Once, OnceLock},
    time::Duration,
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use axum::Router;
use serde::Deserialize;
use shared::{Id, config::HttpConfig, db::schema};

pub mod routes;

/// The workspace's Cargo.toml, which holds the watch router.
pub const CARGO_TOML: &str = include_str!("../../Cargo.toml");
/// The SAM template.
pub const TEMPLATE_YAML: &str = include_str!("../../template.yaml");

/// Every deployed function's router, by binary name, configured for a test against `table_name`.
/// Add a function here when its crate is added.
pub fn function_router(function: &str, _table_name: &str) -> Router {
    let http = HttpConfig::default();
    match function {
        "welcome" => welcome::router(welcome::Config { http }),
        other => panic!("no router registered in tests/src/lib.rs for function {other:?}"),
    }
}

/// A running API and handles on the emulator behind it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: reqwest::Client,
    pub table_name: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sdk_config: SdkConfig,
    pub emulator: String,
}

/// Creates a fresh table and serves the whole API on a free port.
pub async fn spawn_app() -> TestApp {
    init_test_logging();
    let emulator = emulator_endpoint().await;
    let sdk_config = sdk_config(&emulator).await;
    let dynamodb = shared::aws::dynamodb(&sdk_config);
    let table_name = format!("test-{}", Id::new());
    schema::ensure_table(&dynamodb, &table_name)
        .await
        .expect("Failed to create the test table in the emulator");

    let api = routes::gateway(|function| function_router(function, &table_name));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, api)
            .await
            .expect("test server failed")
    });

    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        table_name,
        dynamodb,
        sdk_config,
        emulator,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Mails the emulator's SES has accepted for `address`, oldest first.
    pub async fn mails_to(&self, address: &str) -> Vec<SentMail> {
        sent_mails(&self.emulator)
            .await
            .into_iter()
            .filter(|mail| mail.to.iter().any(|to| to.eq_ignore_ascii_case(address)))
            .collect()
    }
}

/// One mail as the emulator recorded it (for mails with text and HTML parts, `body` is the HTML).
#[derive(Debug, Clone)]
pub struct SentMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

/// Reads every mail sent through the emulator's SES (`GET /moto-api/data.json`).
pub async fn sent_mails(emulator: &str) -> Vec<SentMail> {
    #[derive(Deserialize)]
    struct Data {
        ses: Option<Ses>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Ses {
        #[serde(default)]
        message: Vec<Message>,
    }
    #[derive(Deserialize)]
    struct Message {
        source: String,
        subject: Option<String>,
        body: Option<String>,
        destinations: Destinations,
    }
    #[derive(Deserialize)]
    struct Destinations {
        #[serde(rename = "ToAddresses", default)]
        to: Vec<String>,
    }
    let data: Data = reqwest::get(format!("{emulator}/moto-api/data.json"))
        .await
        .and_then(|r| r.error_for_status())
        .expect("Failed to read the emulator's state")
        .json()
        .await
        .expect("The emulator's state is not the JSON this harness knows");
    data.ses
        .map(|ses| ses.message)
        .unwrap_or_default()
        .into_iter()
        .map(|m| SentMail {
            from: m.source,
            to: m.destinations.to,
            subject: m.subject.unwrap_or_default(),
            body: m.body.unwrap_or_default(),
        })
        .collect()
}

const EMULATOR_HELP: &str = "The API tests need the local AWS emulator (moto server).\n\
    Run them with `make test`, which starts a private emulator and stops it afterwards,\n\
    or start one with `make emulator` and run `AWS_ENDPOINT_URL=http://127.0.0.1:4566 cargo test`.";

/// The emulator's URL, checked once per test binary. Panics with instructions when it is not there.
pub async fn emulator_endpoint() -> String {
    static CHECKED: OnceLock<String> = OnceLock::new();
    if let Some(endpoint) = CHECKED.get() {
        return endpoint.clone();
    }
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .unwrap_or_else(|_| panic!("AWS_ENDPOINT_URL is not set.\n{EMULATOR_HELP}"));
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let reachable = reqwest::Client::new()
        .get(format!("{endpoint}/moto-api/data.json"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    assert!(
        reachable,
        "No emulator answers at AWS_ENDPOINT_URL={endpoint}.\n{EMULATOR_HELP}"
    );
    CHECKED.get_or_init(|| endpoint).clone()
}

/// SDK configuration for the emulator: its endpoint, a fixed region and dummy credentials, so tests do
/// not depend on the developer's AWS profile.
pub async fn sdk_config(emulator: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emulator)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

fn init_test_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .init();
        }
    });
}

/// The watch router of Cargo.toml: path pattern -> methods -> function (`ANY` for every method).
pub fn watch_routes() -> BTreeMap<String, BTreeMap<String, String>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Target {
        Function(String),
        PerMethod(Vec<MethodTarget>),
    }
    #[derive(Deserialize)]
    struct MethodTarget {
        method: String,
        function: String,
    }
    let manifest: toml::Value = toml::from_str(CARGO_TOML).expect("Cargo.toml parses");
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"].clone();
    let router: BTreeMap<String, Target> = router
        .try_into()
        .expect("watch router has the documented shape");
    router
        .into_iter()
        .map(|(path, target)| {
            let methods = match target {
                Target::Function(function) => BTreeMap::from([("ANY".to_owned(), function)]),
                Target::PerMethod(targets) => targets
                    .into_iter()
                    .map(|t| (t.method.to_uppercase(), t.function))
                    .collect(),
            };
            (path, methods)
        })
        .collect()
}
