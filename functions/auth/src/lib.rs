//! The `auth` function: Belta's `/auth/*` contract, sessions per device, and the refresh routes of the
//! three other seed systems, over HTTP. What they decide is the `identity` crate's; this crate reads
//! requests into identity's values, calls it, and writes each route's answer.
//!
//! # Layout
//! - [`account`]: register, login, `me`, deleting one's own account.
//! - [`refresh`]: the four refresh conventions, each a thin presenter of `identity`'s one decision.
//! - [`otp`]: sending and verifying one-time codes for email confirmation and password reset.
//! - [`reset`]: redeeming a reset token (`/auth/reset-password`).
//! - [`sessions`]: list, logout, logout-all, end one session.
//! - [`oauth`]: sign-in with GitHub (Belta's store) and Google (seed 002).
//! - [`responses`]: the login-shaped body, and how each identity error answers (mapped once, here).
//! - [`secrets`]: reading the token signing key, from init on, without making init wait for it.

pub mod account;
pub mod oauth;
pub mod otp;
pub mod refresh;
pub mod reset;
pub mod responses;
pub mod secrets;
pub mod sessions;

use aws_config::SdkConfig;
use axum::{
    Router,
    extract::FromRef,
    routing::{delete, get, post},
};
use identity::{Identity, PendingKey, SigningKey};
use shared::{
    auth::{Authenticator, VerifierConfig},
    aws,
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
    mail::{MailQueue, MailQueueConfig},
};
use utoipa::OpenApi;

/// The auth function's settings.
pub struct Config {
    pub http: HttpConfig,
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    /// Token lifetimes, the refresh grace window, the code length.
    pub identity: identity::Config,
    /// `MAIL_QUEUE_URL`: where one-time codes and notices go to be mailed (by the `mailer` function).
    pub mail_queue: MailQueueConfig,
    /// Sign-in providers, their secrets' location, the allowed redirect origins.
    pub oauth: oauth::OAuthConfig,
    /// `TOKEN_SIGNING_SECRET_ID`: the Secrets Manager secret holding the private signing key
    /// (`identity::SigningKey`); only this function may read it.
    pub signing_secret_id: String,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Config {
            http: HttpConfig::read(&mut env),
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
            identity: identity::Config::read(&mut env),
            mail_queue: MailQueueConfig::read(&mut env),
            oauth: oauth::OAuthConfig::read(&mut env),
            signing_secret_id: env.required("TOKEN_SIGNING_SECRET_ID"),
        };
        env.finish()?;
        Ok(config)
    }
}

/// Everything a handler needs; cheap to clone (clients and keys are shared).
#[derive(Clone)]
pub struct AppState {
    pub http: HttpConfig,
    pub auth: Authenticator,
    pub identity: Identity,
    /// Mails leave through the queue: no answer waits for SES.
    pub mail: MailQueue,
    pub oauth: oauth::OAuthState,
    /// Only to delete a deleted account's carts, which are the orders crate's items.
    pub carts: orders::store::OrdersStore,
}

/// Reads the private signing key and checks that it is published (one `GetSecretValue`); what
/// [`AppState::new`] starts at init.
pub async fn load_signing_key(config: &Config, sdk: &SdkConfig) -> anyhow::Result<SigningKey> {
    secrets::load_signing_key(
        &aws_sdk_secretsmanager::Client::new(sdk),
        &config.signing_secret_id,
        &config.verifier.public_keys,
    )
    .await
}

impl AppState {
    /// Starts reading the signing key and returns without waiting for it
    /// ([`secrets::read_in_background`]): only the requests that sign or check a code wait for it.
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        let secrets = aws_sdk_secretsmanager::Client::new(sdk);
        let signing = secrets::read_in_background(
            secrets.clone(),
            config.signing_secret_id.clone(),
            config.verifier.public_keys.clone(),
        );
        Self::with_clients(config, &signing, aws::dynamodb(sdk), aws::sqs(sdk), secrets)
    }

    /// With a key given rather than read (benchmarks, and tests with no Secrets Manager behind them).
    pub fn with_key(config: Config, signing: &PendingKey, sdk: &SdkConfig) -> Self {
        let secrets = aws_sdk_secretsmanager::Client::new(sdk);
        Self::with_clients(config, signing, aws::dynamodb(sdk), aws::sqs(sdk), secrets)
    }

    /// With given clients and key (the benchmarks pass a DynamoDB client that counts requests).
    pub fn with_clients(
        config: Config,
        signing: &PendingKey,
        db: aws_sdk_dynamodb::Client,
        sqs: aws_sdk_sqs::Client,
        secrets: aws_sdk_secretsmanager::Client,
    ) -> Self {
        let table = config.table.table_name;
        AppState {
            oauth: oauth::OAuthState::new(config.oauth, signing, secrets),
            http: config.http,
            auth: Authenticator::new(&config.verifier, db.clone(), &table),
            identity: Identity::new(
                &config.verifier,
                signing,
                config.identity,
                db.clone(),
                &table,
            ),
            carts: orders::store::OrdersStore::new(db, &table),
            mail: MailQueue::new(config.mail_queue, sqs),
        }
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let http = state.http.clone();
    let routes = Router::new()
        .route("/auth/register", post(account::register))
        .route("/auth/login", post(account::login))
        .route("/auth/me", get(account::me).delete(account::delete_me))
        .route("/auth/refresh-token", post(refresh::belta))
        .route("/auth/send-otp", post(otp::send_for_user))
        .route("/auth/verify-otp", post(otp::verify_for_user))
        .route("/auth/send-guest-otp", post(otp::send_for_guest))
        .route("/auth/verify-guest-otp", post(otp::verify_for_guest))
        .route("/auth/reset-password", post(reset::reset_password))
        .route("/auth/sessions", get(sessions::list))
        .route("/auth/sessions/{id}", delete(sessions::end_one))
        .route("/auth/logout", post(sessions::logout))
        .route("/auth/logout-all", post(sessions::logout_all))
        .route("/auth/github", get(oauth::github::start))
        .route("/auth/github/callback", get(oauth::github::callback))
        .route("/auth/register-github", post(oauth::github::register))
        .route("/auth/google", post(oauth::google::id_token))
        .route("/v1/auth/google", get(oauth::google::consent_url))
        .route("/v1/auth/google/callback", get(oauth::google::callback))
        .route("/api/refresh-token/", post(refresh::drf))
        .route("/v1/auth/refresh-token", get(refresh::blazex))
        .route("/api/v1/token-refresh", post(refresh::hesabe))
        .with_state(state);
    shared::http::api(routes, &http)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        account::register, account::login, account::me, account::delete_me, refresh::belta, otp::send_for_user, otp::verify_for_user,
        otp::send_for_guest, otp::verify_for_guest, reset::reset_password, sessions::list, sessions::end_one,
        sessions::logout, sessions::logout_all, refresh::drf, refresh::blazex, refresh::hesabe,
        oauth::github::start, oauth::github::callback, oauth::github::register, oauth::google::id_token,
        oauth::google::consent_url, oauth::google::callback,
    ),
    components(schemas(responses::LoginBody, responses::Success, responses::UserBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
