//! The `brands` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /brands` and `GET /brands/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /brands/staff`, `GET|PATCH|DELETE /brands/staff/{id}`: staff, both languages.

use axum::Router;
use catalog::{CatalogState, docs, model::Kind, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::brands())
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    docs::document("brands", docs::entity_routes(Kind::Brand))
}
