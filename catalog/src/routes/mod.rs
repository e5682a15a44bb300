//! The catalogue's routes, one module per function, and the rules every write shares.
//!
//! Every write follows one pattern: read the current snapshot (one GetItem while the version holds),
//! check the request against it, then apply one transaction whose every item is guarded by the `rev`
//! that was read. A concurrent change makes the guard fail (409, retry) instead of being overwritten,
//! and a failure leaves nothing half done. The response is rendered from the snapshot after the write.

mod entities;
mod links;
mod offers;
mod products;

use axum::{Json, Router};
use serde_json::{Value, json};
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{AuthUser, Role},
};

use crate::{
    CatalogState,
    index::Catalog,
    model::{Entity, Kind, Product, Record},
};

/// The routes of the `brands` function.
pub fn brands() -> Router<CatalogState> {
    entities::routes(Kind::Brand)
}

/// The routes of the `categories` function.
pub fn categories() -> Router<CatalogState> {
    entities::routes(Kind::Category)
}

/// The routes of the `subcategories` function: its kind's, plus the link to a category.
pub fn subcategories() -> Router<CatalogState> {
    entities::routes(Kind::Subcategory).merge(links::category_routes())
}

/// The routes of the `labels` function: its kind's, plus linking labels to products.
pub fn labels() -> Router<CatalogState> {
    entities::routes(Kind::Label).merge(links::product_link_routes(Kind::Label))
}

/// The routes of the `tags` function: its kind's, plus linking tags to products.
pub fn tags() -> Router<CatalogState> {
    entities::routes(Kind::Tag).merge(links::product_link_routes(Kind::Tag))
}

/// The routes of the `products` function.
pub fn products() -> Router<CatalogState> {
    products::routes()
}

/// The routes of the `offers` function.
pub fn offers() -> Router<CatalogState> {
    offers::routes()
}

/// Belta's rule: only an admin may change or delete a record marked `employeeReadOnly`.
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
pub fn deleted(msg: Msg, lang: Lang) -> Json<Value> {
    Json(json!({ "message": msg.text(lang) }))
}

pub fn product_or_404<'c>(catalog: &'c Catalog, id: &Id) -> ApiResult<&'c Product> {
    catalog
        .product(id)
        .ok_or(ApiError::NotFound(Msg::ProductNotFound))
}

pub fn entity_or_404<'c>(catalog: &'c Catalog, kind: Kind, id: &Id) -> ApiResult<&'c Entity> {
    catalog
        .entity(kind, id)
        .ok_or(ApiError::NotFound(kind.not_found()))
}
