//! The `offers` function's routes (staff only): `GET|POST /offers`, `GET|PATCH|DELETE /offers/{id}`.
//!
//! A product has at most one offer: the product's `offer` field holds it, and every offer write
//! replaces the product (or both products, when PATCH moves an offer with `product`) in the same
//! transaction, guarded by the revision that was read. The discounted `finalPrice` is never stored: it
//! is computed from the offer whenever the product is read, so it follows price, `minPrice`, the
//! offer's changes and its dates without any recalculation job.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{AuthUser, Staff},
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
};

use super::{deleted, guard_modify, guard_read_only_flag, json, product_or_404};
use crate::{
    CatalogState,
    api::{Api, Op},
    index::Catalog,
    input::{Changes, NewOffer, OfferInput, documented},
    lists::{OfferListQuery, render},
    model::{Offer, Product, Record},
    store::Change,
    views::{self, DeletedMessage, StaffOffer},
};

pub fn api() -> Api {
    Api::new("offers")
        .route(
            Op::get("/offers", "List offers")
                .staff()
                .query::<OfferListQuery>(&[])
                .answers_page::<StaffOffer>(),
            list,
        )
        .route(
            Op::post("/offers", "Create a product's offer")
                .staff()
                .body_schema(documented::offer_create)
                .created()
                .answers::<StaffOffer>(),
            create,
        )
        .route(
            Op::get("/offers/{id}", "Read an offer")
                .staff()
                .answers::<StaffOffer>(),
            read,
        )
        .route(
            Op::patch("/offers/{id}", "Change the fields sent; `product` moves it")
                .staff()
                .body_schema(documented::offer_patch)
                .answers::<StaffOffer>(),
            update,
        )
        .route(
            Op::delete("/offers/{id}", "Delete an offer")
                .staff()
                .answers::<DeletedMessage>(),
            delete,
        )
}

fn offer_or_404<'c>(catalog: &'c Catalog, id: &Id) -> ApiResult<&'c Offer> {
    catalog
        .offer(id)
        .ok_or(ApiError::NotFound(Msg::OfferNotFound))
}

fn view(catalog: &Catalog, id: &Id) -> ApiResult<Response> {
    Ok(json(views::offer_staff(
        catalog,
        offer_or_404(catalog, id)?,
        now_secs(),
    )))
}

/// Belta's `employeeReadOnly` rule for an offer, which also sets its product's final price: an
/// employee may change or delete it only when neither the offer nor its product is read-only.
fn guard_offer(catalog: &Catalog, user: &AuthUser, offer: &Offer) -> ApiResult<()> {
    guard_modify(user, offer)?;
    match catalog.product(&offer.product) {
        Some(product) => guard_modify(user, product),
        None => Ok(()),
    }
}

/// A product that may take an offer: it exists, has none, and the caller may change it.
fn free_product<'c>(catalog: &'c Catalog, user: &AuthUser, id: &Id) -> ApiResult<&'c Product> {
    let product = product_or_404(catalog, id)?;
    if product.offer.is_some() {
        return Err(ApiError::Conflict(Msg::ProductHasOffer));
    }
    guard_modify(user, product)?;
    Ok(product)
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<CatalogState>,
    _: Staff,
    QueryParams(query): QueryParams<OfferListQuery>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog);
    Ok(json(render(page, |o| views::offer_staff(&catalog, o, now))))
}

#[tracing::instrument(skip_all, fields(%id))]
async fn read(
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Response> {
    view(&*state.store.snapshot().await?, &id)
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<OfferInput>,
) -> ApiResult<Response> {
    let new = NewOffer::try_from(input)?;
    guard_read_only_flag(&user, new.input().employee_read_only)?;
    let product_id = new.product();
    let now = now_millis();
    let offer = new.into_offer(now)?;
    let catalog = state.store.snapshot().await?;
    let product = free_product(&catalog, &user, &product_id)?;
    let product = product.revised(now, |p| p.offer = Some(offer.id));
    state
        .store
        .apply(vec![Change::create(&offer), Change::replace(&product)])
        .await?;
    let view = view(&*state.store.snapshot_after(catalog).await?, &offer.id)?;
    Ok((StatusCode::CREATED, view).into_response())
}

#[tracing::instrument(skip_all, fields(%id))]
async fn update(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<OfferInput>,
) -> ApiResult<Response> {
    let changes = Changes::try_from(input)?;
    let catalog = state.store.snapshot().await?;
    let current = offer_or_404(&catalog, &id)?;
    guard_offer(&catalog, &user, current)?;
    guard_read_only_flag(&user, changes.input().employee_read_only)?;
    let now = now_millis();
    let target = changes.input().product.filter(|p| *p != current.product);
    let mut revised = current.clone();
    changes.apply(&mut revised)?;
    if target.is_none() && revised == *current {
        // Nothing to change: nothing is written.
        return view(&catalog, &id);
    }
    revised.touch(now);
    let mut changes = Vec::new();
    if let Some(target) = target {
        let to = free_product(&catalog, &user, &target)?;
        changes.push(Change::replace(&to.revised(now, |p| p.offer = Some(id))));
        if let Some(from) = catalog.product(&current.product) {
            changes.push(Change::replace(&from.revised(now, |p| p.offer = None)));
        }
        revised.product = target;
    }
    changes.push(Change::replace(&revised));
    state.store.apply(changes).await?;
    view(&*state.store.snapshot_after(catalog).await?, &id)
}

/// Deletes the offer and frees its product, whose final price is its price again.
#[tracing::instrument(skip_all, fields(%id))]
async fn delete(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let offer = offer_or_404(&catalog, &id)?;
    guard_offer(&catalog, &user, offer)?;
    let mut changes = vec![Change::delete(offer)];
    if let Some(product) = catalog.product(&offer.product) {
        changes.push(Change::replace(
            &product.revised(now_millis(), |p| p.offer = None),
        ));
    }
    state.store.apply(changes).await?;
    Ok(deleted(Msg::OfferDeleted, lang))
}
