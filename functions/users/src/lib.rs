//! The `users` function: admins manage accounts. Belta has no such routes; these follow its staff
//! conventions (`/<entity>/staff`, `{data, metadata}` pages, `{error, code, fields?}` errors):
//!
//! - `GET /users/staff?page&limit&search&role`: users, newest first;
//! - `GET /users/staff/{id}`: one user;
//! - `PATCH /users/staff/{id}` `{role?, disabled?}`: change the role, disable or enable;
//! - `DELETE /users/staff/{id}`: delete the account and its personal data (orders are kept, anonymised).
//!
//! Only admins reach them (employees are staff, but do not manage accounts). Every change ends the
//! account's sessions in the same transaction, and none leaves the deployment without an enabled admin
//! (409 `last_admin`). What each does is `identity::admin`'s; this crate reads requests and writes answers.

mod routes;

use aws_config::SdkConfig;
use axum::{Router, extract::FromRef};
use identity::admin::Accounts;
use orders::store::OrdersStore;
use shared::{
    auth::{Authenticator, VerifierConfig},
    aws,
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
};

pub use routes::{UserListQuery, UserView};

/// The users function's settings.
pub struct Config {
    pub http: HttpConfig,
    pub table: TableConfig,
    pub verifier: VerifierConfig,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = Config {
            http: HttpConfig::read(&mut env),
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
        };
        env.finish()?;
        Ok(config)
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct UsersState {
    http: HttpConfig,
    auth: Authenticator,
    accounts: Accounts,
    /// Only to delete a deleted user's carts, which are the orders crate's items.
    carts: OrdersStore,
}

impl UsersState {
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        Self::with_client(config, aws::dynamodb(sdk))
    }

    pub fn with_client(config: Config, db: aws_sdk_dynamodb::Client) -> Self {
        let table = config.table.table_name;
        UsersState {
            http: config.http,
            auth: Authenticator::new(&config.verifier, db.clone(), &table),
            accounts: Accounts::new(db.clone(), &table),
            carts: OrdersStore::new(db, table),
        }
    }
}

impl FromRef<UsersState> for Authenticator {
    fn from_ref(state: &UsersState) -> Self {
        state.auth.clone()
    }
}

pub fn router(state: UsersState) -> Router {
    let http = state.http.clone();
    shared::http::api(routes::users().router().with_state(state), &http)
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::users().openapi()
}
