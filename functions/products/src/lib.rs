//! The `products` function: its routes and their documentation are in `catalog::routes::products`.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::products().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::products().openapi()
}
