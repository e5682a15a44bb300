//! The `categories` function. The routes are the ones every catalogue kind shares
//! ([`shared::catalog::api::entity_routes`]):
//!
//! - `GET /categories` and `GET /categories/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /categories/staff`, `GET|PATCH|DELETE /categories/staff/{id}`: staff, both languages.

use axum::Router;
use shared::catalog::{api::entity_routes, docs, model::Kind};

pub use shared::catalog::api::{CatalogConfig as Config, CatalogState as AppState};

pub fn router(state: AppState) -> Router {
    state.serve(entity_routes(Kind::Category))
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    docs::document("categories", docs::entity_routes(Kind::Category))
}
