//! What every catalogue function runs with: its settings and its state.

use aws_config::SdkConfig;
use axum::{Router, extract::FromRef};
use shared::{
    auth::{Authenticator, VerifierConfig},
    aws,
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
    http as shared_http,
};

use std::time::Duration;

use crate::store::{CatalogStore, DEFAULT_PUBLIC_FRESHNESS};

/// A catalogue function's settings: the table, the token verifier, the body limit and how fresh a
/// public read is.
pub struct CatalogConfig {
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    pub http: HttpConfig,
    /// `CATALOG_FRESHNESS_MS` (default 1000, at most 60000; 0 checks on every read): how long a public
    /// read trusts a catalogue version this process confirmed ([`crate::snapshot`]).
    pub public_freshness: Duration,
    /// `CATALOG_SNAPSHOT_BUCKET` ([`crate::stored`]).
    pub snapshot_bucket: Option<String>,
}

impl CatalogConfig {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let freshness_ms = env.checked(
            "CATALOG_FRESHNESS_MS",
            DEFAULT_PUBLIC_FRESHNESS.as_millis() as u64,
            "a whole number of milliseconds from 0 to 60000",
            |ms| *ms <= 60_000,
        );
        let config = CatalogConfig {
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
            http: HttpConfig::read(&mut env),
            public_freshness: Duration::from_millis(freshness_ms),
            snapshot_bucket: crate::stored::bucket_setting(&env),
        };
        env.finish()?;
        Ok(config)
    }
}

/// The state of every catalogue route: who is calling, and the catalogue.
#[derive(Clone)]
pub struct CatalogState {
    auth: Authenticator,
    pub(crate) store: CatalogStore,
    http: HttpConfig,
}

impl CatalogState {
    pub fn new(config: CatalogConfig, sdk: &SdkConfig) -> Self {
        CatalogState::with_clients(config, aws::dynamodb(sdk), sdk)
    }

    /// With a given DynamoDB client (the benchmark's counts its requests).
    pub fn with_clients(
        config: CatalogConfig,
        db: aws_sdk_dynamodb::Client,
        sdk: &SdkConfig,
    ) -> Self {
        let object = config
            .snapshot_bucket
            .map(|bucket| crate::stored::SnapshotObject {
                s3: aws::s3(sdk),
                bucket,
            });
        CatalogState {
            auth: Authenticator::new(
                &config.verifier,
                db.clone(),
                config.table.table_name.clone(),
            ),
            store: CatalogStore::new(db, config.table.table_name)
                .with_public_freshness(config.public_freshness)
                .with_snapshot_object(object),
            http: config.http,
        }
    }

    /// A function's router: `routes` with this state, wrapped like every router of the API.
    pub fn into_router(self, routes: Router<CatalogState>) -> Router {
        let http = self.http.clone();
        shared_http::api(routes.with_state(self), &http)
    }
}

impl FromRef<CatalogState> for Authenticator {
    fn from_ref(state: &CatalogState) -> Self {
        state.auth.clone()
    }
}
