//! Linking a product to its brand, subcategory, labels and tags, and a subcategory to its category.

use axum::{Json, Router, extract::State, routing::post};
use serde_json::Value;
use shared::{
    ApiError, ApiResult, Id, Msg,
    auth::{AuthUser, Staff},
    clock::{now_millis, now_secs},
    extract::JsonBody,
};

use super::{entities::entity_after_write, entity_or_404, guard_modify, product_or_404};
use crate::{
    CatalogState,
    input::{LinkInput, MAX_LINKS_PER_PRODUCT, required_ids},
    model::{Kind, Record},
    store::Change,
    views,
};

/// Sets (`Some`) or clears (`None`) a single-valued relation; returns the parent it concerns.
/// Belta's rule: linking an already linked child, or unlinking an unlinked one, is a 400.
pub fn toggle_single(slot: &mut Option<Id>, target: Option<Id>) -> ApiResult<Id> {
    match (target, *slot) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(Msg::AlreadyLinked)),
        (None, None) => Err(ApiError::BadRequest(Msg::NotLinked)),
        (Some(parent), None) => {
            *slot = Some(parent);
            Ok(parent)
        }
        (None, Some(parent)) => {
            *slot = None;
            Ok(parent)
        }
    }
}

/// Adds (`link`) or removes `parent` in a many-valued relation, with the same 400s.
fn toggle_many(list: &mut Vec<Id>, parent: Id, link: bool) -> ApiResult<()> {
    let present = list.contains(&parent);
    match (link, present) {
        (true, true) => Err(ApiError::BadRequest(Msg::AlreadyLinked)),
        (false, false) => Err(ApiError::BadRequest(Msg::NotLinked)),
        (true, false) if list.len() >= MAX_LINKS_PER_PRODUCT => {
            Err(ApiError::BadRequest(Msg::TooManyLinks))
        }
        (true, false) => {
            list.push(parent);
            Ok(())
        }
        (false, true) => {
            list.retain(|id| *id != parent);
            Ok(())
        }
    }
}

/// Links a product to (or unlinks it from) an entity of `kind`: its brand or subcategory (single; an
/// unlink may leave `parent` out), or one of its labels or tags (`parent` names which). The product's
/// new revision and the parent's `linkCount` change in one transaction. Answers the product as staff
/// see it.
pub async fn link_product(
    state: &CatalogState,
    user: &AuthUser,
    product_id: Id,
    kind: Kind,
    parent: Option<Id>,
    link: bool,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &product_id)?;
    if let Some(parent) = parent {
        entity_or_404(&catalog, kind, &parent)?;
    }
    guard_modify(user, product)?;
    let mut revised = product.clone();
    let parent = match kind {
        Kind::Brand | Kind::Subcategory => {
            let slot = if kind == Kind::Brand {
                &mut revised.brand
            } else {
                &mut revised.subcategory
            };
            // An unlink that names the parent (the admin panel's unlink-brand sends `brandId`) undoes
            // only that link: a stale screen must not unlink whatever is linked now.
            if !link && parent.is_some_and(|p| *slot != Some(p)) {
                return Err(ApiError::BadRequest(Msg::NotLinked));
            }
            toggle_single(slot, parent.filter(|_| link))?
        }
        Kind::Label | Kind::Tag => {
            let list = if kind == Kind::Label {
                &mut revised.labels
            } else {
                &mut revised.tags
            };
            let parent = parent.expect("label and tag links name their parent");
            toggle_many(list, parent, link)?;
            parent
        }
        Kind::Category => unreachable!("products do not link to categories"),
    };
    revised.touch(now_millis());
    let parent_key = entity_or_404(&catalog, kind, &parent)?.key();
    state
        .store
        .apply(vec![
            Change::replace(&revised),
            Change::CountLinks {
                key: parent_key,
                delta: if link { 1 } else { -1 },
            },
        ])
        .await?;
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &product_id)?;
    Ok(Json(views::product_staff(
        &catalog,
        product,
        true,
        now_secs(),
    )))
}

/// `POST /<labels|tags>/staff/link` and `/unlink` with `{<kind>Id, productId}`.
pub fn product_link_routes(kind: Kind) -> Router<CatalogState> {
    let base = format!("/{}/staff", kind.path());
    Router::new()
        .route(
            &format!("{base}/link"),
            post(move |state, staff, body| link_many(kind, state, staff, body, true)),
        )
        .route(
            &format!("{base}/unlink"),
            post(move |state, staff, body| link_many(kind, state, staff, body, false)),
        )
}

async fn link_many(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Json<Value>> {
    let (parent, field) = match kind {
        Kind::Label => (input.label_id, "labelId"),
        _ => (input.tag_id, "tagId"),
    };
    let [parent, product] = required_ids([(field, parent), ("productId", input.product_id)])?;
    link_product(&state, &user, product, kind, Some(parent), link).await
}

/// `POST /subcategories/staff/link` `{subcategoryId, categoryId}` and `/unlink` `{subcategoryId}`:
/// answer the subcategory. The category's `linkCount` moves in the same transaction, which is what
/// keeps a category with subcategories from being deleted.
pub fn category_routes() -> Router<CatalogState> {
    Router::new()
        .route(
            "/subcategories/staff/link",
            post(|state, staff, body| link_category(state, staff, body, true)),
        )
        .route(
            "/subcategories/staff/unlink",
            post(|state, staff, body| link_category(state, staff, body, false)),
        )
}

async fn link_category(
    State(state): State<CatalogState>,
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

/// `POST /products/staff/link-brand|unlink-brand|link-subcategory|unlink-subcategory`.
pub fn product_slot_routes() -> Router<CatalogState> {
    Router::new()
        .route(
            "/products/staff/link-brand",
            post(|s, u, b| link(s, u, b, Kind::Brand, true)),
        )
        .route(
            "/products/staff/unlink-brand",
            post(|s, u, b| link(s, u, b, Kind::Brand, false)),
        )
        .route(
            "/products/staff/link-subcategory",
            post(|s, u, b| link(s, u, b, Kind::Subcategory, true)),
        )
        .route(
            "/products/staff/unlink-subcategory",
            post(|s, u, b| link(s, u, b, Kind::Subcategory, false)),
        )
}

async fn link(
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<LinkInput>,
    kind: Kind,
    link: bool,
) -> ApiResult<Json<Value>> {
    let product = ("productId", input.product_id);
    let (product, parent) = match (kind, link) {
        (Kind::Brand, false) => (required_ids([product])?[0], input.brand_id),
        (_, false) => (required_ids([product])?[0], input.subcategory_id),
        (Kind::Brand, true) => {
            let [product, brand] = required_ids([product, ("brandId", input.brand_id)])?;
            (product, Some(brand))
        }
        _ => {
            let subcategory = ("subcategoryId", input.subcategory_id);
            let [product, subcategory] = required_ids([product, subcategory])?;
            (product, Some(subcategory))
        }
    };
    link_product(&state, &user, product, kind, parent, link).await
}
