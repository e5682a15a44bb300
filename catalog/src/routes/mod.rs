//! The catalogue's routes, and the rules every write shares. Each function's [`Api`] (its router and
//! its OpenAPI paths, from one table) is one function here: [`brands`], ..., [`offers`].
//!
//! Every write follows one pattern: read the current snapshot (one Query of the version while it
//! holds), check the request against it, then apply one transaction whose every item is guarded by the
//! `rev` that was read. A concurrent change makes the guard fail (409, retry) instead of being
//! overwritten, and a failure leaves nothing half done. The response is rendered from the snapshot after
//! the write, read once the snapshot the write was computed from is let go
//! ([`crate::store::CatalogStore::snapshot_after`]), so that it catches up in place.

mod entities;
mod links;
mod offers;
mod products;

use axum::{
    Json,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{AuthUser, Role},
};

use crate::{
    api::Api,
    index::Catalog,
    kind::Kind,
    model::{Entity, Product, Record},
    views::DeletedMessage,
};

/// The routes of a kind's function: the kind's own, linking products to it when a product keeps a
/// list of it, and linking it to its parent kind.
fn kind_api(kind: Kind) -> Api {
    entities::api(kind)
        .merge(links::list_api(kind))
        .merge(links::parent_api(kind))
}

pub fn brands() -> Api {
    kind_api(Kind::Brand)
}

pub fn categories() -> Api {
    kind_api(Kind::Category)
}

pub fn subcategories() -> Api {
    kind_api(Kind::Subcategory)
}

pub fn labels() -> Api {
    kind_api(Kind::Label)
}

pub fn tags() -> Api {
    kind_api(Kind::Tag)
}

/// The product routes, and linking a product to each kind it has at most one of.
pub fn products() -> Api {
    Kind::ALL.into_iter().fold(products::api(), |api, kind| {
        api.merge(links::slot_api(kind))
    })
}

pub fn offers() -> Api {
    offers::api()
}

/// Belta's rule: only an admin may change or delete a record marked `employeeReadOnly`. A request
/// passes it for every record it writes, not only the one it names (a product's offer, the products a
/// deleted label leaves, the brand a link counts on).
pub fn guard_modify(user: &AuthUser, record: &impl Record) -> ApiResult<()> {
    if record.employee_read_only() && user.role != Role::Admin {
        return Err(ApiError::Forbidden(Msg::OnlyAdminCanModify));
    }
    Ok(())
}

/// Belta's rule: only an admin may set `employeeReadOnly: true`.
pub fn guard_read_only_flag(user: &AuthUser, requested: Option<bool>) -> ApiResult<()> {
    if requested == Some(true) && user.role != Role::Admin {
        return Err(ApiError::Forbidden(Msg::OnlyAdminCanSetReadOnly));
    }
    Ok(())
}

/// `{message}` in the request's language, Belta's answer to a delete.
pub fn deleted(msg: Msg, lang: Lang) -> Response {
    json(DeletedMessage {
        message: msg.text(lang),
    })
}

/// A view as the JSON response body (serialized here, as views borrow from the snapshot).
pub fn json(view: impl Serialize) -> Response {
    Json(view).into_response()
}

pub fn product_or_404<'c>(catalog: &'c Catalog, id: &Id) -> ApiResult<&'c Product> {
    catalog
        .product(id)
        .ok_or(ApiError::NotFound(Msg::ProductNotFound))
}

pub fn entity_or_404<'c>(catalog: &'c Catalog, kind: Kind, id: &Id) -> ApiResult<&'c Entity> {
    catalog
        .entity(kind, id)
        .ok_or(ApiError::NotFound(kind.spec().not_found))
}
