//! The `labels` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /labels` and `GET /labels/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /labels/staff`, `GET|PATCH|DELETE /labels/staff/{id}`: staff, both languages.
//! - `POST /labels/staff/link` and `/unlink` with `{labelId, productId}`: answers the product.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::labels().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::labels().openapi()
}
