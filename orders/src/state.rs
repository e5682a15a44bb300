//! What the `carts`, `checkout` and `orders` functions run with: their settings and their state.

use std::sync::Arc;

use aws_config::SdkConfig;
use axum::{Router, extract::FromRef};
use catalog::{store::CatalogStore, stored::SnapshotObject};
use identity::users::UserStore;
use shared::{
    ApiResult,
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
    /// `PUBLIC_API_URL`: this API's public base URL, where `/checkout/success/...` is served. Empty
    /// (the template's default): the domain API Gateway received the request on, see
    /// [`Redirects::api_base_url`].
    pub public_api_url: Option<String>,
}

impl Redirects {
    fn read(env: &mut EnvReader) -> Self {
        let allowed_origins = AllowedOrigins::read(env);
        if allowed_origins.is_empty() {
            env.problem("ALLOWED_ORIGINS is missing");
        }
        let public_api_url = env.optional("PUBLIC_API_URL");
        if public_api_url
            .as_deref()
            .is_some_and(|url| origin_of(url).is_none())
        {
            env.problem("PUBLIC_API_URL must be an absolute http(s) URL");
        }
        Redirects {
            allowed_origins,
            public_api_url: public_api_url.map(|url| url.trim_end_matches('/').to_owned()),
        }
    }

    /// The base URL the payment page sends the browser back to: `PUBLIC_API_URL` when set, else
    /// `https://` and the domain API Gateway received this request on (`gateway_domain`, from
    /// [`shared::extract::GatewayDomain`]; never the client's Host header). The template cannot name
    /// the API's own URL in the function's environment: the API refers to the function, so that would
    /// be a circular dependency (tools/check_template.py). With neither, the function is misconfigured
    /// (outside API Gateway, `PUBLIC_API_URL` must be set): a 500, logged with what is missing.
    pub fn api_base_url(&self, gateway_domain: Option<&str>) -> ApiResult<String> {
        if let Some(url) = &self.public_api_url {
            return Ok(url.clone());
        }
        match gateway_domain {
            Some(domain) if is_domain_name(domain) => Ok(format!("https://{domain}")),
            Some(domain) => Err(anyhow::anyhow!(
                "PUBLIC_API_URL is empty and API Gateway's domain name {domain:?} is not a host name"
            )
            .into()),
            None => Err(anyhow::anyhow!(
                "PUBLIC_API_URL is empty and the request did not come through API Gateway (no \
                 requestContext.domainName): set PUBLIC_API_URL to the API's public base URL"
            )
            .into()),
        }
    }
}

/// A DNS name such as `abc123.execute-api.eu-central-1.amazonaws.com`: nothing that could turn
/// `https://<it>` into another URL (a path, credentials, a port).
fn is_domain_name(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
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
    /// `CATALOG_SNAPSHOT_BUCKET`: where its catalogue snapshot starts from ([`catalog::stored`]).
    pub snapshot_bucket: Option<String>,
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
            snapshot_bucket: catalog::stored::bucket_setting(&env),
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
            catalog: CatalogStore::new(db.clone(), table.clone()).with_snapshot_object(
                config.snapshot_bucket.map(|bucket| SnapshotObject {
                    s3: aws::s3(sdk),
                    bucket,
                }),
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn redirects(public_api_url: Option<&str>) -> Redirects {
        Redirects {
            allowed_origins: AllowedOrigins::default(),
            public_api_url: public_api_url.map(str::to_owned),
        }
    }

    #[test]
    fn the_configured_url_wins_over_the_gateway_domain() {
        let base = redirects(Some("https://d111.cloudfront.net"))
            .api_base_url(Some("abc123.execute-api.eu-central-1.amazonaws.com"))
            .unwrap();
        assert_eq!(base, "https://d111.cloudfront.net");
    }

    #[test]
    fn without_a_configured_url_the_gateway_domain_is_the_base() {
        let base = redirects(None)
            .api_base_url(Some("abc123.execute-api.eu-central-1.amazonaws.com"))
            .unwrap();
        assert_eq!(
            base,
            "https://abc123.execute-api.eu-central-1.amazonaws.com"
        );
    }

    #[test]
    fn without_either_or_with_a_domain_that_is_not_one_it_is_a_500() {
        for (domain, case) in [
            (None, "no API Gateway"),
            (Some(""), "empty"),
            (Some("evil.example/x"), "a path"),
            (Some("user@evil.example"), "credentials"),
            (Some("evil.example:8443"), "a port"),
        ] {
            let error = redirects(None).api_base_url(domain).unwrap_err();
            assert!(
                matches!(error, shared::ApiError::Unexpected(_)),
                "{case}: {error:?}"
            );
        }
    }

    #[test]
    fn an_empty_public_api_url_reads_as_unset_and_a_trailing_slash_goes() {
        let read = |value: &str| {
            let mut env = EnvReader::from_pairs([
                ("ALLOWED_ORIGINS", "https://shop.example"),
                ("PUBLIC_API_URL", value),
            ]);
            let redirects = Redirects::read(&mut env);
            (redirects.public_api_url, env.finish())
        };
        assert_eq!(read(""), (None, Ok(())));
        assert_eq!(
            read("https://d111.cloudfront.net/"),
            (Some("https://d111.cloudfront.net".to_owned()), Ok(()))
        );
        assert!(read("d111.cloudfront.net").1.is_err(), "not absolute");
    }
}
