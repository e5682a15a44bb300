//! The `categories` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /categories` and `GET /categories/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /categories/staff`, `GET|PATCH|DELETE /categories/staff/{id}`: staff, both languages.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::categories().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::categories().openapi()
}
