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
};

use crate::{origin::AllowedOrigins, store::OrdersStore};

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
        let origins = env.required("ALLOWED_ORIGINS");
        let allowed_origins = AllowedOrigins::parse(&origins).unwrap_or_else(|entry| {
            env.problem(format!(
                "ALLOWED_ORIGINS must be a comma-separated list of origins (got {entry:?})"
            ));
            AllowedOrigins::parse("").expect("an empty list parses")
        });
        let public_api_url = env.required("PUBLIC_API_URL");
        if !public_api_url.is_empty() && crate::origin::origin_of(&public_api_url).is_none() {
            env.problem("PUBLIC_API_URL must be an absolute http(s) URL");
        }
        Redirects {
            allowed_origins,
            public_api_url: public_api_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// A function's settings: the table, the token verifier, the body limit, and, for checkout, where
/// browsers are sent.
pub struct OrdersConfig {
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    pub http: HttpConfig,
    pub redirects: Option<Redirects>,
}

impl OrdersConfig {
    /// The `carts` and `orders` functions' settings.
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Self::read_common(&mut env, false);
        env.finish()?;
        Ok(config)
    }

    /// The `checkout` function's settings: also `ALLOWED_ORIGINS` and `PUBLIC_API_URL`.
    pub fn read_checkout(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Self::read_common(&mut env, true);
        env.finish()?;
        Ok(config)
    }

    fn read_common(env: &mut EnvReader, redirects: bool) -> Self {
        OrdersConfig {
            table: TableConfig::read(env),
            verifier: VerifierConfig::read(env),
            http: HttpConfig::read(env),
            redirects: redirects.then(|| Redirects::read(env)),
        }
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
    http: HttpConfig,
}

impl OrdersState {
    pub fn new(config: OrdersConfig, sdk: &SdkConfig) -> Self {
        OrdersState::with_client(config, aws::dynamodb(sdk))
    }

    /// With a given DynamoDB client (the benchmark's counts its requests).
    pub fn with_client(config: OrdersConfig, db: aws_sdk_dynamodb::Client) -> Self {
        let table = config.table.table_name;
        OrdersState {
            auth: Authenticator::new(&config.verifier, db.clone(), table.clone()),
            store: OrdersStore::new(db.clone(), table.clone()),
            catalog: CatalogStore::new(db.clone(), table.clone()),
            users: UserStore::new(db, table),
            redirects: config.redirects.map(Arc::new),
            http: config.http,
        }
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
