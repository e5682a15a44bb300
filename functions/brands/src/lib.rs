//! The `brands` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /brands` and `GET /brands/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /brands/staff`, `GET|PATCH|DELETE /brands/staff/{id}`: staff, both languages.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::brands().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::brands().openapi()
}
