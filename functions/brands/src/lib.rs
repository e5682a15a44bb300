//! The `brands` function. The routes are the ones every catalogue kind shares
//! ([`shared::catalog::api::entity_routes`]):
//!
//! - `GET /brands` and `GET /brands/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /brands/staff`, `GET|PATCH|DELETE /brands/staff/{id}`: staff, both languages.

use axum::Router;
use shared::catalog::{api::entity_routes, docs, model::Kind};

pub use shared::catalog::api::{CatalogConfig as Config, CatalogState as AppState};

pub fn router(state: AppState) -> Router {
    state.serve(entity_routes(Kind::Brand))
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    docs::document("brands", docs::entity_routes(Kind::Brand))
}
