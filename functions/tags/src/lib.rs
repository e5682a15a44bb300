//! The `tags` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /tags` and `GET /tags/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /tags/staff`, `GET|PATCH|DELETE /tags/staff/{id}`: staff, both languages.
//! - `POST /tags/staff/link` and `/unlink` with `{tagId, productId}`: answers the product.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::tags().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::tags().openapi()
}
