//! Link and unlink routes: a product to its brand, subcategory, labels and tags, and a subcategory to
//! its category. Which routes a kind has, and what their bodies name, come from its [`Spec`].
//!
//! Belta's rules: linking an already linked child, or unlinking an unlinked one, is a 400. The child's
//! new revision and the parent's `linkCount` change in one transaction.

use axum::{extract::State, handler::Handler, response::Response};
use shared::{
    ApiError, ApiResult, Id, Msg,
    auth::{AuthUser, Staff},
    clock::{now_millis, now_secs},
    extract::JsonBody,
};
use utoipa::ToSchema;

use super::{entities::entity_after_write, entity_or_404, guard_modify, json, product_or_404};
use crate::{
    CatalogState,
    api::{Api, Op},
    input::{LinkInput, MAX_LINKS_PER_PRODUCT, documented, required_ids},
    kind::{Kind, ProductLink, Slot, Spec},
    model::{Product, Record},
    store::Change,
    views::{self, ProductPaths, StaffEntityView, StaffProduct},
};

/// When a product has at most one of `kind` (its brand): `/products/staff/link-<route>`
/// `{productId, <kind>Id}` and `/unlink-<route>` `{productId, <kind>Id?}`, served by `products`.
pub fn slot_api(kind: Kind) -> Api {
    let spec = kind.spec();
    let api = Api::new("products");
    let ProductLink::One { route, slot } = &spec.product_link else {
        return api;
    };
    let field = spec.id_field;
    link_routes::<StaffProduct, _, _>(
        api,
        (
            format!("/products/staff/link-{route}"),
            format!("Link a product to a {route} `{{productId, {field}}}`"),
            Body::new(&["productId", field], &[]),
        ),
        (
            format!("/products/staff/unlink-{route}"),
            format!(
                "Unlink a product from its {route} `{{productId, {field}?}}`; a `{field}` it is not on is a 400"
            ),
            Body::new(&["productId"], &[field]),
        ),
        move |link| move |state, staff, body| link_one(kind, slot, state, staff, body, link),
    )
}

/// When a product keeps a list of `kind` (its labels): `/<kind>/staff/link` and `/unlink`
/// `{<kind>Id, productId}`, served by the kind's function.
pub fn list_api(kind: Kind) -> Api {
    let spec = kind.spec();
    let api = Api::new(spec.path);
    let ProductLink::Many { list } = &spec.product_link else {
        return api;
    };
    let body = format!("`{{{}, productId}}`", spec.id_field);
    link_routes::<StaffProduct, _, _>(
        api,
        (
            format!("/{}/staff/link", spec.path),
            format!("Link to a product {body}"),
            Body::new(&[spec.id_field, "productId"], &[]),
        ),
        (
            format!("/{}/staff/unlink", spec.path),
            format!("Unlink from a product {body}"),
            Body::new(&[spec.id_field, "productId"], &[]),
        ),
        move |link| move |state, staff, body| link_many(kind, list, state, staff, body, link),
    )
}

/// For a kind with a parent (a subcategory's category): `/<kind>/staff/link` `{<kind>Id,
/// <parent>Id}` and `/unlink` `{<kind>Id}`, answering the child. The parent's `linkCount` is what
/// keeps a category with subcategories from being deleted.
pub fn parent_api(kind: Kind) -> Api {
    let spec = kind.spec();
    let api = Api::new(spec.path);
    let Some(parent) = spec.parent else {
        return api;
    };
    let (child_field, parent_field) = (spec.id_field, parent.spec().id_field);
    link_routes::<StaffEntityView, _, _>(
        api,
        (
            format!("/{}/staff/link", spec.path),
            format!("Link to a category `{{{child_field}, {parent_field}}}`"),
            Body::new(&[child_field, parent_field], &[]),
        ),
        (
            format!("/{}/staff/unlink", spec.path),
            format!("Unlink from its category `{{{child_field}}}`"),
            Body::new(&[child_field], &[]),
        ),
        move |link| move |state, staff, body| link_parent(kind, parent, state, staff, body, link),
    )
}

/// The ids a link route's [`LinkInput`] must name, and those it may.
struct Body {
    required: Vec<&'static str>,
    optional: Vec<&'static str>,
}

impl Body {
    fn new(required: &[&'static str], optional: &[&'static str]) -> Body {
        Body {
            required: required.to_vec(),
            optional: optional.to_vec(),
        }
    }
}

/// A link and an unlink route on `api`, each a staff `POST` of a [`LinkInput`] answering `View`,
/// documented by its `(path, summary, body)`; they differ only in the direction `handler` is given.
fn link_routes<View: ToSchema + 'static, H, T>(
    api: Api,
    link: (String, String, Body),
    unlink: (String, String, Body),
    handler: impl Fn(bool) -> H,
) -> Api
where
    H: Handler<T, CatalogState>,
    T: 'static,
{
    let op = |(path, summary, body): (String, String, Body)| {
        Op::post(path, summary)
            .staff()
            .body_schema(move || documented::link(&body.required, &body.optional))
            .answers::<View>()
    };
    api.route(op(link), handler(true))
        .route(op(unlink), handler(false))
}

/// Sets (`Some`) or clears (`None`) a single-valued relation; returns the parent it concerns.
fn toggle_single(slot: &mut Option<Id>, target: Option<Id>) -> ApiResult<Id> {
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

/// Adds (`link`) or removes `parent` in a many-valued relation.
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

/// The id of `spec`'s kind that a link body names, under its field name.
fn named(spec: &Spec, body: &LinkInput) -> (&'static str, Option<Id>) {
    (spec.id_field, (spec.link_id)(body))
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), link))]
async fn link_one(
    kind: Kind,
    slot: &'static Slot<Option<Id>>,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(body): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Response> {
    let product = ("productId", body.product_id);
    let (product_id, parent) = if link {
        let [product, parent] = required_ids([product, named(kind.spec(), &body)])?;
        (product, Some(parent))
    } else {
        let [product] = required_ids([product])?;
        (product, named(kind.spec(), &body).1)
    };
    change_product_link(&state, &user, product_id, kind, parent, link, |product| {
        let slot = (slot.get_mut)(product);
        // An unlink that names the parent (the admin panel's unlink-brand sends `brandId`) undoes
        // only that link: a stale screen must not unlink whatever is linked now.
        if !link && parent.is_some_and(|p| *slot != Some(p)) {
            return Err(ApiError::BadRequest(Msg::NotLinked));
        }
        toggle_single(slot, parent.filter(|_| link))
    })
    .await
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), link))]
async fn link_many(
    kind: Kind,
    list: &'static Slot<Vec<Id>>,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(body): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Response> {
    let product = ("productId", body.product_id);
    let [parent, product_id] = required_ids([named(kind.spec(), &body), product])?;
    change_product_link(
        &state,
        &user,
        product_id,
        kind,
        Some(parent),
        link,
        |product| toggle_many((list.get_mut)(product), parent, link).map(|()| parent),
    )
    .await
}

/// Applies `toggle` (which answers the parent it concerns) to the product, moves that parent's
/// `linkCount`, and answers the product as staff see it.
async fn change_product_link(
    state: &CatalogState,
    user: &AuthUser,
    product_id: Id,
    kind: Kind,
    named_parent: Option<Id>,
    link: bool,
    toggle: impl FnOnce(&mut Product) -> ApiResult<Id>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &product_id)?;
    if let Some(parent) = named_parent {
        entity_or_404(&catalog, kind, &parent)?;
    }
    guard_modify(user, product)?;
    let mut revised = product.clone();
    let parent = toggle(&mut revised)?;
    revised.touch(now_millis());
    // The parent's link count changes too.
    guard_modify(user, entity_or_404(&catalog, kind, &parent)?)?;
    state
        .store
        .apply(vec![
            Change::replace(&revised),
            Change::count_links(kind, parent, if link { 1 } else { -1 }),
        ])
        .await?;
    let catalog = state.store.snapshot_after(catalog).await?;
    let product = product_or_404(&catalog, &product_id)?;
    Ok(json(views::product_staff(
        &catalog,
        product,
        ProductPaths::ALL,
        now_secs(),
    )))
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), link))]
async fn link_parent(
    kind: Kind,
    parent_kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(body): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Response> {
    let child = named(kind.spec(), &body);
    let (child_id, parent) = if link {
        let [child, parent] = required_ids([child, named(parent_kind.spec(), &body)])?;
        (child, Some(parent))
    } else {
        let [child] = required_ids([child])?;
        (child, None)
    };
    let catalog = state.store.snapshot().await?;
    let child = entity_or_404(&catalog, kind, &child_id)?;
    if let Some(parent) = parent {
        entity_or_404(&catalog, parent_kind, &parent)?;
    }
    guard_modify(&user, child)?;
    let mut revised = child.clone();
    let parent = toggle_single(&mut revised.category, parent)?;
    revised.touch(now_millis());
    let parent = entity_or_404(&catalog, parent_kind, &parent)?;
    // The parent's link count changes too.
    guard_modify(&user, parent)?;
    state
        .store
        .apply(vec![
            Change::replace(&revised),
            Change::count_links(parent_kind, parent.id, if link { 1 } else { -1 }),
        ])
        .await?;
    entity_after_write(&state, Some(catalog), kind, &child_id).await
}
