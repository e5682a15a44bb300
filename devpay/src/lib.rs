//! devpay: a local payment provider for `make dev` and the tests. Never deployed.
//!
//! A small real HTTP server that behaves like Stripe for the subset the `payments` crate uses, so the
//! production client runs unchanged against it (`PAYMENT_API_URL=http://127.0.0.1:4243`) and a whole
//! checkout can be clicked through in a browser without the internet:
//!
//! | route | what it does |
//! |---|---|
//! | `POST /v1/checkout/sessions` | opens a session from Stripe's form fields; 401 for a wrong bearer key, 400 for missing fields; the same `Idempotency-Key` returns the same session |
//! | `GET /v1/checkout/sessions/{id}` | the session as Stripe renders it (`payment_status`, `status`, `amount_total`, ...) |
//! | `POST /v1/refunds` | refunds a paid session's `payment_intent`, all or `amount` |
//! | `GET /pay/{id}` | the payment page: lines, total, Pay and Cancel |
//! | `POST /pay/{id}/pay` | marks the session paid, sends the signed `checkout.session.completed` webhook in the background, 303 to `success_url` |
//! | `POST /pay/{id}/cancel` | 303 to `cancel_url` |
//!
//! State lives in memory and is lost when devpay stops.
//!
//! # Layout
//! - [`api`]: the server-to-server API; [`page`]: the browser page; [`webhook`]: signed events.
//! - [`store`]: sessions, refunds, idempotent replies.
//!
//! # Use from tests
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let devpay = devpay::DevPay::spawn(devpay::DevPayConfig {
//!     addr: "127.0.0.1:0".parse().unwrap(),
//!     secret_key: "sk_test_local".into(),
//!     webhook_secret: "whsec_local".into(),
//!     webhook_url: Some("http://127.0.0.1:9000/checkout/webhook".into()),
//! })
//! .await?;
//! // PAYMENT_API_URL = devpay.base_url; a browser "clicks" Pay with a POST to devpay.pay_url(id).
//! # Ok(()) }
//! ```
//! The server stops when the handle is dropped.

pub mod api;
pub mod page;
pub mod store;
pub mod webhook;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    routing::{get, post},
};
use shared::config::EnvReader;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Where devpay listens by default for `make dev`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4243";

#[derive(Clone, Debug)]
pub struct DevPayConfig {
    /// `DEVPAY_ADDR` (default `127.0.0.1:4243`); port 0 picks a free one.
    pub addr: SocketAddr,
    /// `DEVPAY_SECRET_KEY`: the API key clients must present (the secret's `secretKey`).
    pub secret_key: String,
    /// `DEVPAY_WEBHOOK_SECRET`: signs webhook events (the secret's `webhookSecret`).
    pub webhook_secret: String,
    /// `DEVPAY_WEBHOOK_URL`: where events are posted; none are sent when absent.
    pub webhook_url: Option<String>,
}

impl DevPayConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        let default_addr: SocketAddr = DEFAULT_ADDR.parse().expect("valid default");
        DevPayConfig {
            addr: env.parsed_or(
                "DEVPAY_ADDR",
                default_addr,
                "an address like 127.0.0.1:4243",
            ),
            secret_key: env.required("DEVPAY_SECRET_KEY"),
            webhook_secret: env.required("DEVPAY_WEBHOOK_SECRET"),
            webhook_url: env.optional("DEVPAY_WEBHOOK_URL"),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub config: Arc<DevPayConfig>,
    /// `http://<bound address>`: the payment pages' origin.
    pub base_url: String,
    /// A plain mutex: no handler holds it across an await.
    pub store: Arc<Mutex<store::Store>>,
    /// Delivers webhooks.
    pub http: reqwest::Client,
}

pub fn router(app: App) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { "devpay: a local stand-in for Stripe Checkout\n" }),
        )
        .route("/v1/checkout/sessions", post(api::create_session))
        .route("/v1/checkout/sessions/{id}", get(api::retrieve_session))
        .route("/v1/refunds", post(api::create_refund))
        .route("/pay/{id}", get(page::show))
        .route("/pay/{id}/pay", post(page::pay))
        .route("/pay/{id}/cancel", post(page::cancel))
        .with_state(app)
}

pub struct DevPay;

impl DevPay {
    /// Binds `config.addr` and serves in the background until the handle is dropped.
    pub async fn spawn(config: DevPayConfig) -> std::io::Result<DevPayHandle> {
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(std::io::Error::other)?;
        let app = App {
            config: Arc::new(config),
            base_url: base_url.clone(),
            store: Arc::default(),
            http,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router(app))
                .with_graceful_shutdown(async {
                    // A send or a dropped handle both stop the server.
                    let _ = stopped.await;
                })
                .await
        });
        Ok(DevPayHandle {
            base_url,
            addr,
            stop: Some(stop),
            server: Some(server),
        })
    }
}

/// A running devpay. Dropping it stops the server.
pub struct DevPayHandle {
    /// `http://127.0.0.1:<port>`: the `PAYMENT_API_URL` for clients.
    pub base_url: String,
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl DevPayHandle {
    /// The payment page of a session.
    pub fn page_url(&self, session_id: &str) -> String {
        format!("{}/pay/{session_id}", self.base_url)
    }

    /// Where the page's Pay button posts.
    pub fn pay_url(&self, session_id: &str) -> String {
        format!("{}/pay/{session_id}/pay", self.base_url)
    }

    /// Where the page's Cancel button posts.
    pub fn cancel_url(&self, session_id: &str) -> String {
        format!("{}/pay/{session_id}/cancel", self.base_url)
    }

    /// Serves until the process is stopped (the binary's main loop).
    pub async fn serve_forever(mut self) -> std::io::Result<()> {
        let server = self.server.take().expect("the server runs until now");
        server.await.map_err(std::io::Error::other)?
    }
}

impl Drop for DevPayHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
