//! The `labels` function. The routes are the ones every catalogue kind shares
//! ([`shared::catalog::api::entity_routes`]):
//!
//! - `GET /labels` and `GET /labels/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /labels/staff`, `GET|PATCH|DELETE /labels/staff/{id}`: staff, both languages.
//! - `POST /labels/staff/link` and `/unlink` with `{labelId, productId}`: answers the product.

use axum::Router;
use shared::catalog::{
    api::{entity_routes, product_link_routes},
    docs,
    model::Kind,
};

pub use shared::catalog::api::{CatalogConfig as Config, CatalogState as AppState};

pub fn router(state: AppState) -> Router {
    state.serve(entity_routes(Kind::Label).merge(product_link_routes(Kind::Label)))
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut routes = docs::entity_routes(Kind::Label);
    routes.extend(docs::product_link_routes(Kind::Label));
    docs::document("labels", routes)
}
