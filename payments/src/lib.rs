//! Payments: one client for the payment provider, Stripe's HTTP API.
//!
//! Production talks to Stripe (Checkout Sessions, refunds, signed webhooks). Locally and in tests the
//! same client talks to `devpay`, a small server that speaks the same subset of that API and serves a
//! payment page with Pay and Cancel buttons. Which one is reached is configuration only
//! (`PAYMENT_API_URL`); plain HTTP is accepted only on a loopback host, so a deployment cannot point at
//! a stand-in by accident, and there is no code path that exists only for local runs.
//!
//! # The flow the checkout code builds on it
//! 1. [`Payments::create_session`] opens a Checkout Session for the cart's lines at checkout prices and
//!    returns the page to send the browser to. The request's `Idempotency-Key` is the reference.
//! 2. The provider sends the browser back to `success_url` (with `{CHECKOUT_SESSION_ID}` filled in).
//!    That URL proves nothing: [`Payments::retrieve_session`] asks the provider, server to server,
//!    whether the session is paid, and only then is the order placed.
//! 3. The provider also posts a signed `checkout.session.completed` event to the webhook route;
//!    [`Payments::verify_webhook`] checks the signature and freshness and returns the session, so an
//!    order is placed even when the browser never comes back.
//! 4. [`Payments::refund`] gives money back (a cancelled paid order).
//!
//! # Layout
//! - [`config`]: `PAYMENT_API_URL`, `PAYMENT_SECRET_ID`, `PAYMENT_CURRENCY`.
//! - [`wire`]: our types ([`NewSession`], [`SessionState`], ...) and Stripe's form and JSON shapes.
//! - [`signature`]: Stripe's webhook signature scheme (verify, and sign for devpay).
//! - [`error`]: [`PaymentError`] and the answer each case becomes.
//! - `keys`: the provider keys, from Secrets Manager on first use.
//!
//! # Rules
//! - No network call and no TLS setup at construction (Lambda init budget): the HTTP client and the
//!   keys are made on first use and kept for the life of the process. A failed key fetch is not
//!   cached, so the next request tries again.
//! - No key, secret or signature goes into a log; the provider's error messages are logged, never shown
//!   to clients. Requests time out after [`REQUEST_TIMEOUT`].

pub mod config;
pub mod error;
mod keys;
pub mod signature;
pub mod wire;

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use aws_config::SdkConfig;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use shared::Money;
use tokio::sync::OnceCell;

pub use config::PaymentConfig;
pub use error::PaymentError;
pub use signature::verify_signature;
pub use wire::{Line, NewSession, Session, SessionState, WebhookEvent, is_session_id};

use keys::ProviderKeys;

/// Longest wait for one provider call; API Gateway gives the whole request 30 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The payment provider client. Cheap to clone; build it once per process.
#[derive(Clone)]
pub struct Payments {
    inner: Arc<Inner>,
}

struct Inner {
    config: PaymentConfig,
    /// Built on first use too: loading the TLS roots took about 35 ms (debug build), which would
    /// otherwise land in every cold start, paying or not.
    http: OnceLock<reqwest::Client>,
    secrets: aws_sdk_secretsmanager::Client,
    /// Filled by the first call that needs the keys; never holds a failure.
    keys: OnceCell<ProviderKeys>,
}

impl Payments {
    /// Makes no network call: the keys are read on first use.
    pub fn new(config: PaymentConfig, sdk: &SdkConfig) -> Self {
        Payments {
            inner: Arc::new(Inner {
                config,
                http: OnceLock::new(),
                secrets: aws_sdk_secretsmanager::Client::new(sdk),
                keys: OnceCell::new(),
            }),
        }
    }

    pub fn config(&self) -> &PaymentConfig {
        &self.inner.config
    }

    async fn keys(&self) -> Result<&ProviderKeys, PaymentError> {
        let inner = &self.inner;
        inner
            .keys
            .get_or_try_init(|| ProviderKeys::fetch(&inner.secrets, &inner.config.secret_id))
            .await
    }

    fn http(&self) -> &reqwest::Client {
        self.inner.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .connect_timeout(CONNECT_TIMEOUT)
                .build()
                .expect("the HTTP client's TLS setup is static and builds")
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.config.api_url)
    }

    /// Opens a Checkout Session (`POST /v1/checkout/sessions`) in the configured currency.
    #[tracing::instrument(skip_all, fields(reference = %session.reference, lines = session.lines.len()))]
    pub async fn create_session(&self, session: NewSession) -> Result<Session, PaymentError> {
        let keys = self.keys().await?;
        let request = self
            .http()
            .post(self.url("/v1/checkout/sessions"))
            .bearer_auth(keys.secret_key.expose_secret())
            .header("Idempotency-Key", &session.reference)
            .form(&wire::session_form(&session, &self.inner.config.currency));
        let object: wire::SessionObject = self.send(request, "create a checkout session").await?;
        let Some(url) = object.url else {
            tracing::error!(session_id = %object.id, "the provider opened a session without a payment page");
            return Err(PaymentError::Unavailable);
        };
        Ok(Session { id: object.id, url })
    }

    /// What the provider says about a session now (`GET /v1/checkout/sessions/{id}`). An id that is not
    /// a session id, or one the provider does not know, is [`PaymentError::UnknownSession`].
    #[tracing::instrument(skip_all, fields(session_id = %id))]
    pub async fn retrieve_session(&self, id: &str) -> Result<SessionState, PaymentError> {
        if !is_session_id(id) {
            return Err(PaymentError::UnknownSession);
        }
        let keys = self.keys().await?;
        let request = self
            .http()
            .get(self.url(&format!("/v1/checkout/sessions/{id}")))
            .bearer_auth(keys.secret_key.expose_secret());
        match self
            .send::<wire::SessionObject>(request, "retrieve a checkout session")
            .await
        {
            Ok(object) => Ok(object.into()),
            Err(PaymentError::Rejected { status: 404, .. }) => Err(PaymentError::UnknownSession),
            Err(other) => Err(other),
        }
    }

    /// Refunds a payment (`POST /v1/refunds`): all of it, or `amount`. The same `idempotency_key`
    /// (say, the order id) never refunds twice. Returns the refund id.
    #[tracing::instrument(skip_all, fields(payment_intent))]
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: Option<Money>,
        idempotency_key: &str,
    ) -> Result<String, PaymentError> {
        let keys = self.keys().await?;
        let mut form = vec![("payment_intent", payment_intent.to_owned())];
        if let Some(amount) = amount {
            form.push(("amount", amount.minor().to_string()));
        }
        let request = self
            .http()
            .post(self.url("/v1/refunds"))
            .bearer_auth(keys.secret_key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .form(&form);
        let refund: wire::Refund = self.send(request, "refund a payment").await?;
        Ok(refund.id)
    }

    /// Checks a webhook request (the raw body and its `Stripe-Signature` header) against the webhook
    /// secret and the current time, then reads the event.
    pub async fn verify_webhook(
        &self,
        payload: &[u8],
        signature_header: &str,
    ) -> Result<WebhookEvent, PaymentError> {
        let keys = self.keys().await?;
        verify_signature(
            keys.webhook_secret.expose_secret(),
            payload,
            signature_header,
            shared::clock::now_secs(),
        )?;
        wire::parse_event(payload).ok_or_else(|| {
            tracing::warn!("a correctly signed webhook is not an event we can read");
            PaymentError::MalformedEvent
        })
    }

    /// Sends one request and reads its JSON answer, classifying every failure (and logging it once).
    async fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        action: &str,
    ) -> Result<T, PaymentError> {
        let response = request.send().await.map_err(|e| {
            // reqwest's message names the URL and the cause (timeout, refused), never our headers.
            tracing::warn!(error = %e, "Failed to {action}: the payment provider is unreachable");
            PaymentError::Unavailable
        })?;
        let status = response.status();
        if status.is_success() {
            return response.json::<T>().await.map_err(|e| {
                tracing::error!(error = %e, "Failed to {action}: unexpected answer from the payment provider");
                PaymentError::Unavailable
            });
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            tracing::warn!(
                status = status.as_u16(),
                "Failed to {action}: the payment provider is unavailable"
            );
            return Err(PaymentError::Unavailable);
        }
        let detail = response
            .json::<wire::ErrorBody>()
            .await
            .map(|body| body.error)
            .ok();
        let message = detail
            .as_ref()
            .and_then(|d| d.message.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let code = detail.and_then(|d| d.code);
        tracing::warn!(
            status = status.as_u16(),
            code,
            message,
            "Failed to {action}: the payment provider refused"
        );
        Err(PaymentError::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}
