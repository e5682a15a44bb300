//! The `products` function's routes.
//!
//! - `GET /products` and `GET /products/{id}`: the store's view. Enabled products only, one localized
//!   `name`/`description`, filters (`category` through the subcategory, `subcategory`, `brand`, `tag`,
//!   `label`, `minPrice`/`maxPrice` on the final price), Arabic-normalized `search` over the product's,
//!   brand's, subcategory's and tags' names, `sort`, and exact totals: all in memory, on the snapshot.
//! - `/products/staff` list, create, get, PATCH and DELETE; deleting a product deletes its offer and
//!   releases its brand, subcategory, labels and tags, in one transaction.
//! - `POST /products/staff/link-brand|unlink-brand|link-subcategory|unlink-subcategory` are
//!   [`super::links::slot_api`].

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::Staff,
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
};

use super::{deleted, guard_modify, guard_read_only_flag, json, product_or_404};
use crate::{
    CatalogState,
    api::{Api, Op},
    caching::Revalidation,
    index::Catalog,
    input::{Changes, NewProduct, ProductInput, documented},
    lists::{ProductListQuery, STAFF_ONLY, render},
    model::Record,
    store::Change,
    views::{self, DeletedMessage, ProductPaths, PublicProduct, StaffProduct},
};

pub fn api() -> Api {
    let one = "/products/staff/{id}";
    Api::new("products")
        .route(
            Op::get(
                "/products",
                "The store's product list: filters, search, sort, paging",
            )
            .query::<ProductListQuery>(STAFF_ONLY)
            .answers_page::<PublicProduct>()
            .revalidated(),
            public_list,
        )
        .route(
            Op::get("/products/{id}", "One enabled product, localized")
                .answers::<PublicProduct>()
                .revalidated(),
            public_get,
        )
        .route(
            Op::get("/products/staff", "List products (staff)")
                .staff()
                .query::<ProductListQuery>(STAFF_ONLY)
                .answers_page::<StaffProduct>(),
            staff_list,
        )
        .route(
            Op::post("/products/staff", "Create a product")
                .staff()
                .body_schema(documented::product_create)
                .created()
                .answers::<StaffProduct>(),
            create,
        )
        .route(
            Op::get(one, "Read a product (staff)")
                .staff()
                .answers::<StaffProduct>(),
            staff_get,
        )
        .route(
            Op::patch(one, "Change the fields sent")
                .staff()
                .body_schema(documented::product_patch)
                .answers::<StaffProduct>(),
            update,
        )
        .route(
            Op::delete(one, "Delete a product and its offer")
                .staff()
                .answers::<DeletedMessage>(),
            delete,
        )
}

#[tracing::instrument(skip_all)]
async fn public_list(
    State(state): State<CatalogState>,
    lang: Lang,
    cached: Revalidation,
    QueryParams(query): QueryParams<ProductListQuery>,
) -> ApiResult<Response> {
    let (version, catalog) = state.store.public_snapshot().await?;
    let now = now_secs();
    cached.respond(version, &catalog, lang, now, || {
        let page = query.run(&catalog, true, lang, now);
        let page = render(page, |e| {
            views::product_public(&catalog, &e.product, lang, now)
        });
        Ok(json(page).into_response())
    })
}

#[tracing::instrument(skip_all, fields(%id))]
async fn public_get(
    State(state): State<CatalogState>,
    lang: Lang,
    cached: Revalidation,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (version, catalog) = state.store.public_snapshot().await?;
    let now = now_secs();
    cached.respond(version, &catalog, lang, now, || {
        let product = product_or_404(&catalog, &id)?;
        if product.disabled {
            return Err(ApiError::NotFound(Msg::ProductNotFound));
        }
        let view = views::product_public(&catalog, product, lang, now);
        Ok(json(view).into_response())
    })
}

#[tracing::instrument(skip_all)]
async fn staff_list(
    State(state): State<CatalogState>,
    _: Staff,
    lang: Lang,
    QueryParams(query): QueryParams<ProductListQuery>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog, false, lang, now);
    Ok(json(render(page, |e| {
        views::product_staff(&catalog, &e.product, ProductPaths::LIST, now)
    })))
}

fn staff_view(catalog: &Catalog, id: &Id) -> ApiResult<Response> {
    let product = product_or_404(catalog, id)?;
    Ok(json(views::product_staff(
        catalog,
        product,
        ProductPaths::ALL,
        now_secs(),
    )))
}

#[tracing::instrument(skip_all, fields(%id))]
async fn staff_get(
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Response> {
    staff_view(&*state.store.snapshot().await?, &id)
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<ProductInput>,
) -> ApiResult<Response> {
    let new = NewProduct::try_from(input)?;
    guard_read_only_flag(&user, new.input().employee_read_only)?;
    let product = new.into_product(now_millis());
    state.store.apply(vec![Change::create(&product)]).await?;
    let view = staff_view(&*state.store.snapshot().await?, &product.id)?;
    Ok((StatusCode::CREATED, view).into_response())
}

#[tracing::instrument(skip_all, fields(%id))]
async fn update(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<ProductInput>,
) -> ApiResult<Response> {
    let changes = Changes::try_from(input)?;
    let catalog = state.store.snapshot().await?;
    let current = product_or_404(&catalog, &id)?;
    guard_modify(&user, current)?;
    guard_read_only_flag(&user, changes.input().employee_read_only)?;
    match current.revised_if_changed(now_millis(), |p| changes.apply(p)) {
        Some(revised) => state.store.apply(vec![Change::replace(&revised)]).await?,
        None => return staff_view(&catalog, &id),
    }
    staff_view(&*state.store.snapshot().await?, &id)
}

/// Deletes the product with its offer, and releases every entity it was linked to.
#[tracing::instrument(skip_all, fields(%id))]
async fn delete(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &id)?;
    guard_modify(&user, product)?;
    let mut changes = vec![Change::delete(product)];
    if let Some(offer) = product.offer.and_then(|o| catalog.offer(&o)) {
        guard_modify(&user, offer)?;
        changes.push(Change::delete(offer));
    }
    for (kind, parent) in product.parents() {
        changes.push(Change::count_links(kind, parent, -1));
    }
    state.store.apply(changes).await?;
    Ok(deleted(Msg::ProductDeleted, lang))
}
