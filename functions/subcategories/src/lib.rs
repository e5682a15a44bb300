//! The `subcategories` function: the routes every catalogue kind shares
//! (`catalog::routes`), plus linking a subcategory to its category:
//!
//! - `GET /subcategories[?categoryId]` and `GET /subcategories/{id}`: public, enabled items only;
//! - `GET|POST /subcategories/staff`, `GET|PATCH|DELETE /subcategories/staff/{id}`: staff;
//! - `POST /subcategories/staff/link` `{subcategoryId, categoryId}` and `/unlink` `{subcategoryId}`:
//!   answer the subcategory. The category's `linkCount` moves in the same transaction, which is what
//!   keeps a category with subcategories from being deleted.

use axum::Router;
use catalog::{CatalogState, docs, model::Kind, routes};

pub fn router(state: CatalogState) -> Router {
    state.into_router(routes::subcategories())
}

/// This function's part of the OpenAPI document.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut routes = docs::entity_routes(Kind::Subcategory);
    routes.push(docs::link_route(
        "/subcategories/staff/link",
        "Link to a category `{subcategoryId, categoryId}`",
    ));
    routes.push(docs::link_route(
        "/subcategories/staff/unlink",
        "Unlink from its category `{subcategoryId}`",
    ));
    docs::document("subcategories", routes)
}
