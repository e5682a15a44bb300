//! The black-box test harness.
//!
//! [`spawn_app`] serves every function's real router on `127.0.0.1:0`, routed exactly as the watch router
//! in Cargo.toml (and so API Gateway) routes (`ops::serve`, which `ops serve` runs too), against the
//! local AWS emulator with a fresh table per test,
//! so tests run in parallel without seeing each other's data. Tests talk to it over HTTP with the
//! returned [`TestApp`]. Logs stay silent unless `TEST_LOG` is set.
//!
//! The emulator is found through `AWS_ENDPOINT_URL`, which `make test` sets after starting a private one.
//! A test that cannot reach it fails with instructions; it never skips.

use std::{
    sync::{Once, OnceLock},
    time::Duration,
};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use axum::Router;
use identity::SigningKey;
use reqwest::{StatusCode, header::HeaderMap};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;
use shared::{Id, config::EnvReader, db::schema};

pub mod iam;

/// The SAM template.
pub const TEMPLATE_YAML: &str = include_str!("../../template.yaml");

/// Sender of the tests' mails; its domain is created as an SES identity in the emulator.
pub const MAIL_FROM: &str = "no-reply@belta.test";
/// Where uploaded files are read in tests (a CloudFront distribution in production).
pub const PUBLIC_BASE_URL: &str = "https://cdn.belta.test";
/// The kid of the tests' signing key.
pub const TEST_KID: &str = "test-current";
/// The store front's origin: the one origin checkout may send a browser back to.
pub const STORE_ORIGIN: &str = "https://shop.belta.test";
/// The keys devpay and the functions share (through the emulator's Secrets Manager).
pub const PAYMENT_SECRET_KEY: &str = "sk_test_belta";
pub const PAYMENT_WEBHOOK_SECRET: &str = "whsec_belta_tests";

/// The key auth signs with in tests, made once per test process; its public half is the
/// deployment's `TOKEN_PUBLIC_KEYS` unless a test overrides it.
pub fn test_signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(TEST_KID).expect("a valid kid"))
}

/// Where a test's functions run: its table and the emulator, plus settings a test overrides.
#[derive(Clone)]
pub struct Deployment {
    pub table_name: String,
    pub bucket: String,
    pub sdk_config: SdkConfig,
    pub overrides: Vec<(String, String)>,
    /// Where each function's DynamoDB requests are checked against its IAM policy ([`iam`]).
    pub iam: Option<std::sync::Arc<iam::IamProxy>>,
    /// What auth reads from `TOKEN_SIGNING_SECRET_ID`.
    pub signing_key: SigningKey,
    /// Offline there is no secret to read: auth is given [`Self::signing_key`] instead.
    pub offline: bool,
}

impl Deployment {
    /// For tests that route requests but never reach AWS (their calls would fail fast).
    pub fn offline() -> Self {
        let sdk_config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "test", "test", None, None, "tests",
                )),
            )
            .build();
        Deployment {
            table_name: "offline".into(),
            bucket: "offline".into(),
            sdk_config,
            overrides: Vec::new(),
            iam: None,
            signing_key: test_signing_key().clone(),
            offline: true,
        }
    }

    /// The AWS configuration `function` runs with: its DynamoDB requests limited to what its policy
    /// in template.yaml allows.
    pub fn sdk_config_for(&self, function: &str) -> SdkConfig {
        match &self.iam {
            Some(iam) => iam.config_for(&self.sdk_config, function),
            None => self.sdk_config.clone(),
        }
    }

    /// This deployment after a key change: auth signs with `key`, which is written to a secret of its
    /// own in the emulator and read back as auth reads it at cold start, and every function accepts
    /// `public_keys` (`TOKEN_PUBLIC_KEYS`). Same table, bucket and other settings.
    pub async fn with_token_keys(&self, key: &SigningKey, public_keys: &str) -> Deployment {
        let secret_id = create_signing_secret(&self.sdk_config, key).await;
        let mut changed = self.clone();
        changed.overrides.extend([
            ("TOKEN_SIGNING_SECRET_ID".to_owned(), secret_id),
            ("TOKEN_PUBLIC_KEYS".to_owned(), public_keys.to_owned()),
        ]);
        changed.signing_key = changed.load_signing_key().await;
        changed
    }

    /// Reads the signing key the way the auth function does at cold start.
    async fn load_signing_key(&self) -> SigningKey {
        let config = auth::Config::read(self.env()).expect("auth config");
        auth::load_signing_key(&config, &self.sdk_config)
            .await
            .expect("auth reads its signing key")
    }

    /// The environment a deployed function would see.
    pub fn env(&self) -> EnvReader {
        let mut vars = vec![
            ("TABLE_NAME".to_owned(), self.table_name.clone()),
            ("MAIL_FROM".to_owned(), MAIL_FROM.to_owned()),
            // A spawned app overrides it with its own queue.
            (
                "MAIL_QUEUE_URL".to_owned(),
                "http://127.0.0.1:9/000000000000/offline".to_owned(),
            ),
            (
                "TOKEN_PUBLIC_KEYS".to_owned(),
                test_signing_key().public().entry(),
            ),
            ("TOKEN_SIGNING_SECRET_ID".to_owned(), "offline".to_owned()),
            ("UPLOAD_BUCKET".to_owned(), self.bucket.clone()),
            // The snapshot object goes under catalog/ in the same per-test bucket.
            ("CATALOG_SNAPSHOT_BUCKET".to_owned(), self.bucket.clone()),
            ("PUBLIC_BASE_URL".to_owned(), PUBLIC_BASE_URL.to_owned()),
            ("ALLOWED_ORIGINS".to_owned(), STORE_ORIGIN.to_owned()),
            // Where payments go; a spawned app overrides them with its own devpay and address.
            (
                "PAYMENT_API_URL".to_owned(),
                "http://127.0.0.1:9".to_owned(),
            ),
            ("PAYMENT_SECRET_ID".to_owned(), "offline".to_owned()),
            ("PUBLIC_API_URL".to_owned(), "http://127.0.0.1:9".to_owned()),
            // Tests write through one function and read through another at once; in AWS a public read
            // may lag a write by up to a second. `catalog::caching` tests the deployed default.
            ("CATALOG_FRESHNESS_MS".to_owned(), "0".to_owned()),
        ];
        vars.extend(self.overrides.iter().cloned());
        EnvReader::from_pairs(vars)
    }
}

/// Every deployed function's router, by binary name, configured as its deployment would be (the
/// one registry `ops serve` uses too).
pub fn function_router(function: &str, deployment: &Deployment) -> Router {
    let env = || deployment.env();
    // The users function reaches the emulator directly, as it always has in the tests.
    let sdk_of = |function: &str| match function {
        "users" => deployment.sdk_config.clone(),
        other => deployment.sdk_config_for(other),
    };
    ops::serve::function_router(
        function,
        &ops::serve::Deployed {
            env: &env,
            sdk_of: &sdk_of,
            signing_key: deployment.offline.then_some(&deployment.signing_key),
        },
    )
    .unwrap_or_else(|e| panic!("the {function} function starts: {e:#}"))
}

/// A running API and handles on the emulator behind it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: reqwest::Client,
    pub table_name: String,
    /// This test's upload bucket.
    pub bucket: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub sdk_config: SdkConfig,
    pub emulator: String,
    /// What this test's functions were configured with (to build one outside the HTTP server).
    pub deployment: Deployment,
    /// The local payment provider the functions pay through; it posts its webhooks to this API.
    pub devpay: devpay::DevPayHandle,
    /// This test's mail queue, which the API puts mails on and the mailer takes them from.
    pub mail_queue: ops::bootstrap::Queue,
    /// The queue on which this test's bucket announces presigned uploads to the checker.
    pub upload_check_queue: ops::bootstrap::Queue,
    /// Feeds this test's queues to the queue functions, as Lambda does in AWS.
    pub poller: devpoll::Poller,
}

/// How long a received message stays hidden in a test's queues: a mail that failed comes back (and,
/// after a few tries, moves to the dead-letter queue) within seconds.
pub const TEST_VISIBILITY_SECS: u32 = 5;

/// Creates a fresh table and serves the whole API on a free port.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with some settings overridden (`("REFRESH_REUSE_GRACE_SECS", "0")`).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn(overrides, None).await
}

/// Like [`spawn_app`], with the functions' DynamoDB requests going through `barrier` (the test's own
/// clients still reach the emulator directly).
pub async fn spawn_app_behind(barrier: &StoreBarrier) -> TestApp {
    spawn(&[], Some(&barrier.url)).await
}

async fn spawn(overrides: &[(&str, &str)], functions_endpoint: Option<&str>) -> TestApp {
    init_test_logging();
    let emulator = emulator_endpoint().await;
    let sdk_config = sdk_config(&emulator).await;
    let dynamodb = shared::aws::dynamodb(&sdk_config);
    let table_name = format!("test-{}", Id::new());
    schema::ensure_table(&dynamodb, &table_name)
        .await
        .expect("Failed to create the test table in the emulator");

    let ses = shared::aws::ses(&sdk_config);
    let mail_domain = MAIL_FROM.split('@').nth(1).expect("an address");
    // Idempotent enough: an identity that exists already is fine.
    let _ = ses
        .create_email_identity()
        .email_identity(mail_domain)
        .send()
        .await;

    let bucket = format!("test-{}", Id::new());
    let s3 = shared::aws::s3(&sdk_config);
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("Failed to create the test bucket in the emulator");

    // The API's address first: devpay sends its webhooks there, and checkout sends browsers back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let devpay = devpay::DevPay::spawn(devpay::DevPayConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        secret_key: PAYMENT_SECRET_KEY.into(),
        webhook_secret: PAYMENT_WEBHOOK_SECRET.into(),
        webhook_url: Some(format!("{address}/checkout/webhook")),
    })
    .await
    .expect("devpay starts");
    let secret_id = format!("test-payments-{}", Id::new());
    aws_sdk_secretsmanager::Client::new(&sdk_config)
        .create_secret()
        .name(&secret_id)
        .secret_string(
            serde_json::json!({"secretKey": PAYMENT_SECRET_KEY, "webhookSecret": PAYMENT_WEBHOOK_SECRET})
                .to_string(),
        )
        .send()
        .await
        .expect("the emulator creates the payment secret");
    let mail_queue = ops::bootstrap::ensure_queue(
        &sdk_config,
        &ops::bootstrap::QueueSpec::mail(&format!("{table_name}-mail"), TEST_VISIBILITY_SECS),
    )
    .await
    .expect("the emulator creates the mail queue");
    let upload_check_queue = ops::bootstrap::ensure_queue(
        &sdk_config,
        &ops::bootstrap::QueueSpec::upload_check(
            &format!("{table_name}-upload-check"),
            TEST_VISIBILITY_SECS,
        ),
    )
    .await
    .expect("the emulator creates the upload-check queue");
    ops::bootstrap::ensure_upload_events(&sdk_config, &bucket, &upload_check_queue)
        .await
        .expect("the emulator announces uploads");
    let signing_secret_id = create_signing_secret(&sdk_config, test_signing_key()).await;
    let mut settings = vec![
        ("MAIL_QUEUE_URL".to_owned(), mail_queue.url.clone()),
        (
            "UPLOAD_CHECK_QUEUE_URL".to_owned(),
            upload_check_queue.url.clone(),
        ),
        ("PAYMENT_API_URL".to_owned(), devpay.base_url.clone()),
        ("PAYMENT_SECRET_ID".to_owned(), secret_id),
        ("PUBLIC_API_URL".to_owned(), address.clone()),
        ("TOKEN_SIGNING_SECRET_ID".to_owned(), signing_secret_id),
    ];
    settings.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );

    let functions_sdk_config = match functions_endpoint {
        Some(endpoint) => self::sdk_config(endpoint).await,
        None => sdk_config.clone(),
    };
    let iam = iam::IamProxy::start(functions_endpoint.unwrap_or(&emulator).to_owned()).await;
    let mut deployment = Deployment {
        table_name: table_name.clone(),
        bucket: bucket.clone(),
        sdk_config: functions_sdk_config,
        overrides: settings,
        iam: Some(std::sync::Arc::new(iam)),
        signing_key: test_signing_key().clone(),
        offline: false,
    };
    deployment.signing_key = deployment.load_signing_key().await;
    // The queue functions reach the emulator directly (their requests are not the API's), within
    // their IAM policies all the same.
    let queue_iam = iam::IamProxy::start(emulator.clone()).await;
    let poller = devpoll::Poller::start(
        &sdk_config,
        |function| queue_iam.config_for(&sdk_config, function),
        || deployment.env(),
    )
    .expect("the poller starts");
    serve_on(listener, &deployment, |_| None);

    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        table_name,
        bucket,
        dynamodb,
        s3,
        sdk_config,
        emulator,
        deployment,
        devpay,
        mail_queue,
        upload_check_queue,
        poller,
    }
}

/// Serves every function of `deployment` on a free port of its own; returns its address. (A second
/// deployment of the same table: the API before and after a configuration change.)
pub async fn serve(deployment: &Deployment) -> String {
    serve_replacing(deployment, |_| None).await
}

/// Like [`serve`], with the router `replace` gives for a function (by binary name) in place of the
/// deployment's.
pub async fn serve_replacing(
    deployment: &Deployment,
    replace: impl Fn(&str) -> Option<Router>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    serve_on(listener, deployment, replace);
    address
}

fn serve_on(
    listener: tokio::net::TcpListener,
    deployment: &Deployment,
    replace: impl Fn(&str) -> Option<Router>,
) {
    let gateway = ops::serve::gateway(|function| {
        Ok(replace(function).unwrap_or_else(|| function_router(function, deployment)))
    })
    .expect("the watch routes do not conflict");
    tokio::spawn(async move {
        ops::serve::serve(listener, gateway, std::future::pending())
            .await
            .expect("test server failed")
    });
}

/// Writes `key` into a new secret in the emulator, as an operator writes the signing-key secret;
/// returns its id.
pub async fn create_signing_secret(sdk_config: &SdkConfig, key: &SigningKey) -> String {
    let secret_id = format!("test-token-key-{}", Id::new());
    aws_sdk_secretsmanager::Client::new(sdk_config)
        .create_secret()
        .name(&secret_id)
        .secret_string(key.to_secret_json().expose_secret())
        .send()
        .await
        .expect("the emulator creates the signing-key secret");
    secret_id
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

    /// Mails the emulator's SES has accepted for `address`, oldest first, once every mail this API
    /// queued has been handled.
    pub async fn mails_to(&self, address: &str) -> Vec<SentMail> {
        self.mail_queue_drained().await;
        sent_mails(&self.emulator)
            .await
            .into_iter()
            .filter(|mail| mail.to.iter().any(|to| to.eq_ignore_ascii_case(address)))
            .collect()
    }
}

impl TestApp {
    /// Messages on this test's mail queue: waiting, and received but not yet deleted.
    pub async fn mail_queue_depth(&self) -> (u64, u64) {
        queue_depth(&self.sdk_config, &self.mail_queue.url).await
    }

    /// Waits until the mailer has handled every mail queued so far (sent, or given up on: a mail that
    /// keeps failing moves to the dead-letter queue). Panics after 10 s.
    pub async fn mail_queue_drained(&self) {
        let started = std::time::Instant::now();
        while self.mail_queue_depth().await != (0, 0) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the mail queue did not drain within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `(ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible)` of a queue (exact in the
/// emulator).
pub async fn queue_depth(sdk_config: &SdkConfig, queue_url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attributes = shared::aws::sqs(sdk_config)
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("the emulator reads the queue")
        .attributes
        .unwrap_or_default();
    let count = |name: &A| {
        attributes
            .get(name)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (
        count(&A::ApproximateNumberOfMessages),
        count(&A::ApproximateNumberOfMessagesNotVisible),
    )
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
    // The emulator checks each model attribute before dumping them all, so a table that is empty
    // when checked and written by another test before the dump fails it (a 500 naming `DynamoType`):
    // read again.
    let mut tries = 0;
    let response = loop {
        tries += 1;
        match reqwest::get(format!("{emulator}/moto-api/data.json"))
            .await
            .and_then(|r| r.error_for_status())
        {
            Ok(response) => break response,
            Err(_) if tries < 5 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("Failed to read the emulator's state: {error}"),
        }
    };
    let data: Data = response
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

pub use ops::serve::watch_routes;

/// Typed helpers for the auth routes, used by every test that needs a signed-in user.
impl TestApp {
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json_as(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    /// A client whose requests come from `address` (any of 127.0.0.0/8), which API Gateway's
    /// stand-in reports as the source address.
    pub fn client_from(&self, address: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().expect("an IP address"))
            .build()
            .unwrap()
    }

    /// An object of this test's upload bucket; panics if it is not there.
    pub async fn stored_object(
        &self,
        key: &str,
    ) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
        self.s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("no object {key}: {e}"))
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// Registers a client through the API; panics unless it answers 201.
    pub async fn register(&self, email: &str, password: &str) {
        let response = self
            .post_json(
                "/auth/register",
                serde_json::json!({"fullName": "Test User", "email": email, "password": password}),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Logs in; panics unless it answers 200. Returns the login body.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let response = self
            .post_json(
                "/auth/login",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        response.json().await.expect("login body")
    }

    /// Creates a user of any role straight in the table (as `ops create-admin` does) and logs it in.
    pub async fn signed_in(&self, role: shared::auth::Role) -> (String, serde_json::Value) {
        let email = unique_email();
        let users = identity::UserStore::new(self.dynamodb.clone(), &self.table_name);
        let password = identity::Password::parse("password-123".into()).unwrap();
        users
            .create(identity::users::NewUser {
                email: identity::Email::parse(&email).unwrap(),
                full_name: format!("A {}", role.as_str()),
                password_hash: password.hash().await.unwrap(),
                role,
                confirmed: true,
            })
            .await
            .expect("user created");
        let body = self.login(&email, "password-123").await;
        (email, body)
    }

    /// The digits of the last one-time code mailed to `email`.
    pub async fn last_code(&self, email: &str) -> String {
        let mails = self.mails_to(email).await;
        let mail = mails
            .last()
            .unwrap_or_else(|| panic!("no mail was sent to {email}"));
        let start = mail.body.find("<b>").expect("the code is in bold") + 3;
        let end = start + mail.body[start..].find("</b>").expect("closing tag");
        mail.body[start..end].to_owned()
    }
}

/// A proxy in front of the emulator that holds the first `parties` DynamoDB requests of one operation
/// (`UpdateItem`, ...) until all of them have arrived, then lets them through together. A test that
/// goes through it knows those requests were in flight at the same time; [`StoreBarrier::met`] says
/// whether they all arrived (if not, the first ones were let go after a timeout).
pub struct StoreBarrier {
    pub url: String,
    met: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl StoreBarrier {
    pub async fn start(operation: &'static str, parties: usize) -> StoreBarrier {
        use std::sync::{
            Arc,
            atomic::{AtomicBool, AtomicUsize, Ordering},
        };
        let emulator = emulator_endpoint().await;
        let barrier = Arc::new(tokio::sync::Barrier::new(parties));
        let arrived = Arc::new(AtomicUsize::new(0));
        let met = Arc::new(AtomicBool::new(false));
        let client = reqwest::Client::new();
        let proxy = {
            let met = met.clone();
            move |request: axum::extract::Request| {
                let (barrier, arrived, met) = (barrier.clone(), arrived.clone(), met.clone());
                let (client, emulator) = (client.clone(), emulator.clone());
                async move {
                    let (parts, body) = request.into_parts();
                    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                    let target = parts
                        .headers
                        .get("x-amz-target")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let held = target.ends_with(&format!(".{operation}"))
                        && arrived.fetch_add(1, Ordering::SeqCst) < parties;
                    if held {
                        let waited =
                            tokio::time::timeout(Duration::from_secs(10), barrier.wait()).await;
                        if waited.is_ok() {
                            met.store(true, Ordering::SeqCst);
                        }
                    }
                    forward(&client, &emulator, parts, body).await
                }
            }
        };
        let url = serve_proxy(Router::new().fallback(proxy)).await;
        StoreBarrier { url, met }
    }

    /// Whether all parties arrived while the first was still held.
    pub fn met(&self) -> bool {
        self.met.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Sends a request that reached a proxy on to the emulator, and its answer back.
pub(crate) async fn forward(
    client: &reqwest::Client,
    emulator: &str,
    parts: http::request::Parts,
    body: bytes::Bytes,
) -> http::Response<axum::body::Body> {
    let mut forwarded = client
        .request(parts.method, format!("{emulator}{}", parts.uri))
        .body(body);
    for (name, value) in &parts.headers {
        if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
            forwarded = forwarded.header(name, value);
        }
    }
    let answer = forwarded.send().await.expect("the emulator answers");
    let mut response = http::Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(axum::body::Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// Serves a proxy on a free port; its URL.
pub(crate) async fn serve_proxy(proxy: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, proxy).await.expect("proxy failed") });
    url
}

/// A proxy in front of the emulator that records the operation of every request the functions send
/// through it, in order: `GetItem`, `SendMessage` (the JSON protocols' `X-Amz-Target`), or method and
/// path for the REST ones (`POST /v2/email/outbound-emails` is an SES mail).
pub struct RequestLog {
    pub url: String,
    operations: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RequestLog {
    pub async fn start() -> RequestLog {
        let emulator = emulator_endpoint().await;
        let operations = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = reqwest::Client::new();
        let recorded = operations.clone();
        let proxy = move |request: axum::extract::Request| {
            let (client, emulator, recorded) = (client.clone(), emulator.clone(), recorded.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let operation = match parts.headers.get("x-amz-target") {
                    Some(target) => target
                        .to_str()
                        .unwrap_or_default()
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    None => format!("{} {}", parts.method, parts.uri.path()),
                };
                recorded.lock().unwrap().push(operation);
                forward(&client, &emulator, parts, body).await
            }
        };
        let url = serve_proxy(Router::new().fallback(proxy)).await;
        RequestLog { url, operations }
    }

    /// The operations recorded since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.operations.lock().unwrap())
    }
}

/// Like [`spawn_app`], with the functions' AWS requests going through `log` (the test's own clients
/// and the queue functions still reach the emulator directly).
pub async fn spawn_app_logged(log: &RequestLog) -> TestApp {
    spawn(&[], Some(&log.url)).await
}

/// [`spawn_app_logged`] with some settings overridden.
pub async fn spawn_app_logged_with(log: &RequestLog, overrides: &[(&str, &str)]) -> TestApp {
    spawn(overrides, Some(&log.url)).await
}

/// A fresh address per call, so parallel tests never share mail or accounts.
pub fn unique_email() -> String {
    format!("user-{}@example.com", Id::new())
}

/// What an endpoint answered: status, headers, the body's text and, when it is JSON, the body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: reqwest::Response) -> Answer {
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// The body of a 200.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        self.body
    }

    /// The body of a 201.
    #[track_caller]
    pub fn created(self) -> Value {
        assert_eq!(self.status, StatusCode::CREATED, "{}", self.text);
        self.body
    }

    /// The error body, which must have `status` and `code`.
    #[track_caller]
    pub fn fails(self, status: StatusCode, code: &str) -> Value {
        assert_eq!(
            (self.status, self.body["code"].as_str()),
            (status, Some(code)),
            "{}",
            self.text
        );
        self.body
    }

    /// A header's value as text.
    #[track_caller]
    pub fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().unwrap()
    }

    /// `Retry-After` in seconds.
    #[track_caller]
    pub fn retry_after(&self) -> i64 {
        self.header("retry-after").parse().unwrap()
    }
}
