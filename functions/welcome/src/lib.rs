//! The `welcome` function: Belta's `GET /` page, a health check, and the API description.
//!
//! It also owns the greedy `/{proxy+}` route, so any path no other function owns gets the JSON 404 of
//! this API instead of API Gateway's own answer.

use axum::{Json, Router, http::header, response::IntoResponse, routing::get};
use serde::Serialize;
use shared::{
    config::{ConfigError, EnvReader, HttpConfig},
    http::api,
};
use utoipa::{OpenApi, ToSchema};

/// The OpenAPI description of the whole API, generated from the code by `ops openapi` and committed;
/// a test fails when it is stale.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

/// Belta's welcome page, byte for byte.
pub const WELCOME_HTML: &str = "<body><h1>Welcome to Belta Shop!</h1></body>";

#[derive(Clone, Debug)]
pub struct Config {
    pub http: HttpConfig,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let http = HttpConfig::read(&mut env);
        env.finish()?;
        Ok(Config { http })
    }
}

pub fn router(config: Config) -> Router {
    let routes = Router::new()
        .route("/", get(welcome_page))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi_json));
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

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "welcome",
    responses((status = 200, description = "OpenAPI 3.1 description of the API", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

#[derive(OpenApi)]
#[openapi(paths(welcome_page, health, openapi_json))]
pub struct ApiDoc;
