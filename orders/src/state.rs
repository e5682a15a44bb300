//! What the `carts`, `checkout` and `orders` functions run with: their settings and their state.

use std::sync::Arc;

use aws_config::SdkConfig;
use axum::{Router, extract::FromRef};
use catalog::store::CatalogStore;
use identity::users::UserStore;
use shared::{
    auth::{Authenticator, VerifierConfig},
    aws,
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
    http as shared_http,
    origin::{AllowedOrigins, origin_of},
};

use payments::{PaymentConfig, Payments};

use crate::store::OrdersStore;

/// Where the payment page sends the browser back, and where it may go after that.
#[derive(Clone, Debug)]
pub struct Redirects {
    /// `ALLOWED_ORIGINS`: the shop's own origins (the list CORS allows, `CorsAllowedOrigins`).
    pub allowed_origins: AllowedOrigins,
    /// `PUBLIC_API_URL`: this API's public base URL, where `/checkout/success/...` is served.
    pub public_api_url: String,
}

impl Redirects {
    fn read(env: &mut EnvReader) -> Self {
        let allowed_origins = AllowedOrigins::read(env);
        if allowed_origins.is_empty() {
            env.problem("ALLOWED_ORIGINS is missing");
        }
        let public_api_url = env.required("PUBLIC_API_URL");
        if !public_api_url.is_empty() && origin_of(&public_api_url).is_none() {
            env.problem("PUBLIC_API_URL must be an absolute http(s) URL");
        }
        Redirects {
            allowed_origins,
            public_api_url: public_api_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// A function's settings: the table, the token verifier, the body limit, and what it needs beyond:
/// the payment provider (checkout takes payments, orders refunds them) and, for checkout, where
/// browsers are sent.
pub struct OrdersConfig {
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    pub http: HttpConfig,
    pub payments: Option<PaymentConfig>,
    pub redirects: Option<Redirects>,
}

impl OrdersConfig {
    /// The `carts` function's settings.
    pub fn read(env: EnvReader) -> Result<Self, ConfigError> {
        Self::read_with(env, false, false)
    }

    /// The `orders` function's settings: also the payment provider (`PAYMENT_*`), for refunds.
    pub fn read_orders(env: EnvReader) -> Result<Self, ConfigError> {
        Self::read_with(env, true, false)
    }

    /// The `checkout` function's settings: the payment provider, `ALLOWED_ORIGINS` and
    /// `PUBLIC_API_URL`.
    pub fn read_checkout(env: EnvReader) -> Result<Self, ConfigError> {
        Self::read_with(env, true, true)
    }

    fn read_with(mut env: EnvReader, payments: bool, redirects: bool) -> Result<Self, ConfigError> {
        let config = OrdersConfig {
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
            http: HttpConfig::read(&mut env),
            payments: payments.then(|| PaymentConfig::read(&mut env)),
            redirects: redirects.then(|| Redirects::read(&mut env)),
        };
        env.finish()?;
        Ok(config)
    }
}

/// The state of every cart, checkout and order route.
#[derive(Clone)]
pub struct OrdersState {
    pub(crate) auth: Authenticator,
    pub(crate) store: OrdersStore,
    pub(crate) catalog: CatalogStore,
    pub(crate) users: UserStore,
    pub(crate) redirects: Option<Arc<Redirects>>,
    pub(crate) payments: Option<Payments>,
    http: HttpConfig,
}

impl OrdersState {
    pub fn new(config: OrdersConfig, sdk: &SdkConfig) -> Self {
        OrdersState::with_client(config, aws::dynamodb(sdk), sdk)
    }

    /// With a given DynamoDB client (the benchmark's counts its requests).
    pub fn with_client(
        config: OrdersConfig,
        db: aws_sdk_dynamodb::Client,
        sdk: &SdkConfig,
    ) -> Self {
        let table = config.table.table_name;
        let payments = config.payments.map(|p| Payments::new(p, sdk));
        OrdersState {
            auth: Authenticator::new(&config.verifier, db.clone(), table.clone()),
            store: OrdersStore::new(db.clone(), table.clone()),
            catalog: CatalogStore::new(db.clone(), table.clone()),
            users: UserStore::new(db, table),
            redirects: config.redirects.map(Arc::new),
            payments,
            http: config.http,
        }
    }

    /// The catalogue it prices from (the benchmark warms its snapshot).
    pub fn catalog(&self) -> &CatalogStore {
        &self.catalog
    }

    /// A function's router: `routes` with this state, wrapped like every router of the API.
    pub fn into_router(self, routes: Router<OrdersState>) -> Router {
        let http = self.http.clone();
        shared_http::api(routes.with_state(self), &http)
    }
}

impl FromRef<OrdersState> for Authenticator {
    fn from_ref(state: &OrdersState) -> Self {
        state.auth.clone()
    }
}
