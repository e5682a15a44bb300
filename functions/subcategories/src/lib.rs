//! The `subcategories` function: the routes every catalogue kind shares
//! ([`shared::catalog::api::entity_routes`]), plus linking a subcategory to its category:
//!
//! - `GET /subcategories[?categoryId]` and `GET /subcategories/{id}`: public, enabled items only;
//! - `GET|POST /subcategories/staff`, `GET|PATCH|DELETE /subcategories/staff/{id}`: staff;
//! - `POST /subcategories/staff/link` `{subcategoryId, categoryId}` and `/unlink` `{subcategoryId}`:
//!   answer the subcategory. The category's `linkCount` moves in the same transaction, which is what
//!   keeps a category with subcategories from being deleted.

use axum::{Json, Router, extract::State, routing::post};
use serde_json::Value;
use shared::{
    ApiResult,
    auth::Staff,
    catalog::{
        api::{entity_after_write, entity_or_404, entity_routes, guard_modify, toggle_single},
        docs,
        input::{LinkInput, required_ids},
        model::{Kind, Record},
        store::Change,
    },
    clock::now_millis,
    extract::JsonBody,
};

pub use shared::catalog::api::{CatalogConfig as Config, CatalogState as AppState};

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

pub fn router(state: AppState) -> Router {
    let links = Router::new()
        .route(
            "/subcategories/staff/link",
            post(|state, staff, body| link_category(state, staff, body, true)),
        )
        .route(
            "/subcategories/staff/unlink",
            post(|state, staff, body| link_category(state, staff, body, false)),
        );
    state.serve(entity_routes(Kind::Subcategory).merge(links))
}

async fn link_category(
    State(state): State<AppState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Json<Value>> {
    let subcategory = ("subcategoryId", input.subcategory_id);
    let (subcategory_id, category) = if link {
        let [subcategory, category] =
            required_ids([subcategory, ("categoryId", input.category_id)])?;
        (subcategory, Some(category))
    } else {
        (required_ids([subcategory])?[0], None)
    };
    let catalog = state.store.snapshot().await?;
    let subcategory = entity_or_404(&catalog, Kind::Subcategory, &subcategory_id)?;
    if let Some(category) = category {
        entity_or_404(&catalog, Kind::Category, &category)?;
    }
    guard_modify(&user, subcategory)?;
    let mut revised = subcategory.clone();
    let parent = toggle_single(&mut revised.category, category)?;
    revised.touch(now_millis());
    let parent = entity_or_404(&catalog, Kind::Category, &parent)?;
    state
        .store
        .apply(vec![
            Change::replace(&revised),
            Change::CountLinks {
                key: parent.key(),
                delta: if link { 1 } else { -1 },
            },
        ])
        .await?;
    entity_after_write(&state, Kind::Subcategory, &subcategory_id).await
}
