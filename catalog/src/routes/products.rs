//! The `products` function's routes.
//!
//! - `GET /products` and `GET /products/{id}`: the store's view. Enabled products only, one localized
//!   `name`/`description`, filters (`category` through the subcategory, `subcategory`, `brand`, `tag`,
//!   `label`, `minPrice`/`maxPrice` on the final price), Arabic-normalized `search` over the product's,
//!   brand's, subcategory's and tags' names, `sort`, and exact totals: all in memory, on the snapshot.
//! - `/products/staff` list, create, get, PATCH and DELETE; deleting a product deletes its offer and
//!   releases its brand, subcategory, labels and tags, in one transaction.
//! - `POST /products/staff/link-brand|unlink-brand|link-subcategory|unlink-subcategory` ([`super::links`]).

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use http::StatusCode;
use serde_json::Value;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::Staff,
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
    pagination::Page,
};

use super::{deleted, guard_modify, guard_read_only_flag, links, product_or_404};
use crate::{
    CatalogState,
    index::Catalog,
    input::ProductInput,
    lists::{ProductListQuery, render},
    model::{Product, Record},
    store::{Change, record_key},
    views,
};

pub fn routes() -> Router<CatalogState> {
    Router::new()
        .route("/products", get(public_list))
        .route("/products/{id}", get(public_get))
        .route("/products/staff", get(staff_list).post(create))
        .route(
            "/products/staff/{id}",
            get(staff_get).patch(update).delete(delete),
        )
        .merge(links::product_slot_routes())
}

async fn public_list(
    State(state): State<CatalogState>,
    lang: Lang,
    QueryParams(query): QueryParams<ProductListQuery>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog, true, lang, now);
    let page = render(page, |e| {
        views::product_public(&catalog, &e.product, lang, now)
    });
    Ok(Json(page).into_response())
}

async fn public_get(
    State(state): State<CatalogState>,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &id)?;
    if product.disabled {
        return Err(ApiError::NotFound(Msg::ProductNotFound));
    }
    let view = views::product_public(&catalog, product, lang, now_secs());
    Ok(Json(view).into_response())
}

async fn staff_list(
    State(state): State<CatalogState>,
    _: Staff,
    lang: Lang,
    QueryParams(query): QueryParams<ProductListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog, false, lang, now);
    Ok(Json(render(page, |e| {
        views::product_staff(&catalog, &e.product, false, now)
    })))
}

fn staff_view(catalog: &Catalog, id: &Id) -> ApiResult<Json<Value>> {
    let product = product_or_404(catalog, id)?;
    Ok(Json(views::product_staff(
        catalog,
        product,
        true,
        now_secs(),
    )))
}

async fn staff_get(
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    staff_view(&*state.store.snapshot().await?, &id)
}

async fn create(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<ProductInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    input.check_complete()?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let mut product = Product::new(now_millis());
    input.apply(&mut product);
    state.store.apply(vec![Change::create(&product)]).await?;
    let view = staff_view(&*state.store.snapshot().await?, &product.id)?;
    Ok((StatusCode::CREATED, view))
}

async fn update(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<ProductInput>,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let current = product_or_404(&catalog, &id)?;
    guard_modify(&user, current)?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let revised = current.revised(now_millis(), |p| input.apply(p));
    state.store.apply(vec![Change::replace(&revised)]).await?;
    staff_view(&*state.store.snapshot().await?, &id)
}

/// Deletes the product with its offer, and releases every entity it was linked to.
async fn delete(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &id)?;
    guard_modify(&user, product)?;
    let mut changes = vec![Change::delete(product)];
    if let Some(offer) = product.offer.and_then(|o| catalog.offer(&o)) {
        changes.push(Change::delete(offer));
    }
    for (kind, parent) in product.parents() {
        changes.push(Change::CountLinks {
            key: record_key(kind.tag(), &parent),
            delta: -1,
        });
    }
    state.store.apply(changes).await?;
    Ok(deleted(Msg::ProductDeleted, lang))
}
