//! The `offers` function's routes (staff only): `GET|POST /offers`, `GET|PATCH|DELETE /offers/{id}`.
//!
//! A product has at most one offer: the product's `offer` field holds it, and every offer write
//! replaces the product (or both products, when PATCH moves an offer with `product`) in the same
//! transaction, guarded by the revision that was read. The discounted `finalPrice` is never stored: it
//! is computed from the offer whenever the product is read, so it follows price, `minPrice`, the
//! offer's changes and its dates without any recalculation job.

use axum::{Json, Router, extract::State, routing::get};
use http::StatusCode;
use serde_json::Value;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{AuthUser, Staff},
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
    pagination::Page,
};

use super::{deleted, guard_modify, guard_read_only_flag, product_or_404};
use crate::{
    CatalogState,
    index::Catalog,
    input::OfferInput,
    lists::{OfferListQuery, render},
    model::{Offer, Product, Record},
    store::Change,
    views,
};

pub fn routes() -> Router<CatalogState> {
    Router::new()
        .route("/offers", get(list).post(create))
        .route("/offers/{id}", get(read).patch(update).delete(delete))
}

fn offer_or_404<'c>(catalog: &'c Catalog, id: &Id) -> ApiResult<&'c Offer> {
    catalog
        .offer(id)
        .ok_or(ApiError::NotFound(Msg::OfferNotFound))
}

fn view(catalog: &Catalog, id: &Id) -> ApiResult<Json<Value>> {
    Ok(Json(views::offer_staff(
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

async fn list(
    State(state): State<CatalogState>,
    _: Staff,
    QueryParams(query): QueryParams<OfferListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog);
    Ok(Json(render(page, |o| views::offer_staff(&catalog, o, now))))
}

async fn read(
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    view(&*state.store.snapshot().await?, &id)
}

async fn create(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<OfferInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    input.check_complete()?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let product_id = input.product_id.expect("checked complete");
    let now = now_millis();
    let mut offer = Offer::new(product_id, now);
    input.apply(&mut offer)?;
    let catalog = state.store.snapshot().await?;
    let product = free_product(&catalog, &user, &product_id)?;
    let product = product.revised(now, |p| p.offer = Some(offer.id));
    state
        .store
        .apply(vec![Change::create(&offer), Change::replace(&product)])
        .await?;
    let view = view(&*state.store.snapshot().await?, &offer.id)?;
    Ok((StatusCode::CREATED, view))
}

async fn update(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<OfferInput>,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let current = offer_or_404(&catalog, &id)?;
    guard_offer(&catalog, &user, current)?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let now = now_millis();
    let target = input.product.filter(|p| *p != current.product);
    let mut revised = current.clone();
    input.apply(&mut revised)?;
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
    view(&*state.store.snapshot().await?, &id)
}

/// Deletes the offer and frees its product, whose final price is its price again.
async fn delete(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
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
