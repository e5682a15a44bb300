//! The `offers` function: its routes and their documentation are in `catalog::routes::offers`.

use axum::Router;
use catalog::{CatalogState, docs, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::offers())
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    docs::document("offers", docs::offer_routes())
}
