//! The `products` function: its routes and their documentation are in `catalog::routes::products`.

use axum::Router;
use catalog::{CatalogState, docs, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::products())
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    docs::document("products", docs::product_routes())
}
