//! The `welcome` function: Belta's `GET /` page, a health check, the API description, and the public
//! keys that verify this API's tokens (`/.well-known/jwks.json`).
//!
//! The keys are served here rather than by `auth`: they come from plain configuration (the same
//! `TOKEN_PUBLIC_KEYS` every function verifies with), so this small public function answers them
//! without touching the signing key's secret, and a client polling them never starts an `auth`
//! instance.
//!
//! It also owns the greedy `/{proxy+}` route, so any path no other function owns gets the JSON 404 of
//! this API instead of API Gateway's own answer.

use axum::{
    Json, Router, body::Bytes, extract::State, http::header, response::IntoResponse, routing::get,
};
use serde::Serialize;
use shared::{
    auth::{PublicKeys, keys::JwkSet},
    config::{ConfigError, EnvReader, HttpConfig},
    http::api,
};
use utoipa::{OpenApi, ToSchema};

/// The OpenAPI description of the whole API, generated from the code by `ops openapi` and committed;
/// a test fails when it is stale.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

/// Belta's welcome page, byte for byte.
pub const WELCOME_HTML: &str = "<body><h1>Welcome to Belta Shop!</h1></body>";

/// How long a client may keep the key set. A new key is published at least this long before tokens are
/// signed with it (README, "Token keys and their rotation"), so no cached set misses it.
pub const JWKS_CACHE_CONTROL: &str = "public, max-age=3600";

#[derive(Clone, Debug)]
pub struct Config {
    pub http: HttpConfig,
    /// `TOKEN_PUBLIC_KEYS`, as every function verifies with.
    pub public_keys: PublicKeys,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let http = HttpConfig::read(&mut env);
        let public_keys = PublicKeys::read(&mut env);
        env.finish()?;
        Ok(Config { http, public_keys })
    }
}

pub fn router(config: Config) -> Router {
    // Rendered once: the set never changes while the function runs.
    let jwks =
        Bytes::from(serde_json::to_vec(&config.public_keys.jwks()).expect("a JWK set serializes"));
    let routes = Router::new()
        .route("/", get(welcome_page))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json))
        .route("/.well-known/jwks.json", get(jwks_json))
        .with_state(jwks);
    api(routes, &config.http)
}

/// Belta's welcome page.
#[utoipa::path(get, path = "/", tag = "welcome",
    responses((status = 200, description = "Belta's welcome page", content_type = "text/html", body = String)))]
async fn welcome_page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        WELCOME_HTML,
    )
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok` when the function answers.
    status: &'static str,
    /// The deployed build's version.
    version: &'static str,
}

/// Liveness: the function runs. It touches no dependency, so it stays cheap and says nothing about
/// the table or the bucket.
#[utoipa::path(get, path = "/health", tag = "welcome", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The top of an OpenAPI document, for this document's own description.
#[derive(ToSchema)]
#[allow(dead_code)] // describes `OPENAPI_JSON`; never built
struct OpenApiDocument {
    /// `3.1.0`.
    openapi: String,
    info: serde_json::Value,
    paths: serde_json::Value,
    components: serde_json::Value,
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "welcome",
    responses((status = 200, description = "OpenAPI 3.1 description of the API", content_type = "application/json", body = OpenApiDocument)))]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// The public keys that verify this API's tokens (RFC 7517): every key tokens may be signed with now,
/// by `kid`. During a key rotation it lists two. Public and cacheable for an hour.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "welcome",
    responses((status = 200, description = "The JWK set of the token keys", content_type = "application/json", body = JwkSet,
        headers(("Cache-Control" = String, description = "`public, max-age=3600`")))))]
async fn jwks_json(State(jwks): State<Bytes>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, JWKS_CACHE_CONTROL),
        ],
        jwks,
    )
}

#[derive(OpenApi)]
#[openapi(paths(welcome_page, health, openapi_json, jwks_json))]
pub struct ApiDoc;
