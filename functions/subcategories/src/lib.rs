//! The `subcategories` function: the routes every catalogue kind shares
//! (`catalog::routes`), plus linking a subcategory to its category:
//!
//! - `GET /subcategories[?categoryId]` and `GET /subcategories/{id}`: public, enabled items only;
//! - `GET|POST /subcategories/staff`, `GET|PATCH|DELETE /subcategories/staff/{id}`: staff;
//! - `POST /subcategories/staff/link` `{subcategoryId, categoryId}` and `/unlink` `{subcategoryId}`:
//!   answer the subcategory. The category's `linkCount` moves in the same transaction, which is what
//!   keeps a category with subcategories from being deleted.

use axum::Router;
use catalog::{CatalogState, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::subcategories().router())
}

/// This function's part of the OpenAPI document, declared with its routes.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    routes::subcategories().openapi()
}
