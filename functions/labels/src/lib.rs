//! The `labels` function. The routes are the ones every catalogue kind shares
//! ([`shared::catalog::api::entity_routes`]):
//!
//! - `GET /labels` and `GET /labels/{id}`: public, enabled items only, one localized `name`;
//! - `GET|POST /labels/staff`, `GET|PATCH|DELETE /labels/staff/{id}`: staff, both languages.
//! - `POST /labels/staff/link` and `/unlink` with `{labelId, productId}`: answers the product.

use axum::Router;
use shared::catalog::{
    api::{entity_routes, product_link_routes},
    model::Kind,
};

pub use shared::catalog::api::{CatalogConfig as Config, CatalogState as AppState};

pub fn router(state: AppState) -> Router {
    state.serve(entity_routes(Kind::Label).merge(product_link_routes(Kind::Label)))
}
