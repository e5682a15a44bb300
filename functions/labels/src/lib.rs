//! The `labels` function. The routes are the ones every catalogue kind shares
//! (`catalog::routes`):
//!
//! - `GET /labels` and `GET /labels/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /labels/staff`, `GET|PATCH|DELETE /labels/staff/{id}`: staff, both languages.
//! - `POST /labels/staff/link` and `/unlink` with `{labelId, productId}`: answers the product.

use axum::Router;
use catalog::{CatalogState, docs, model::Kind, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::labels())
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut routes = docs::entity_routes(Kind::Label);
    routes.extend(docs::product_link_routes(Kind::Label));
    docs::document("labels", routes)
}
