//! Request bodies and list queries of the cart, checkout and order routes. Unknown fields are ignored.

use serde::Deserialize;
use shared::{
    FieldErrors, FieldIssue, Id,
    extract::Validate,
    pagination::{PageQuery, PageRequest},
};
use utoipa::{IntoParams, ToSchema};

use crate::{
    cart::{MAX_LINE_QUANTITY, MAX_LINES},
    model::OrderStatus,
};

/// Products one `add-multiple` may name: a guest cart may be larger than a cart (the rest goes to the
/// draft cart), but not without bound.
pub const MAX_ITEMS_PER_REQUEST: usize = 2 * MAX_LINES;
const _: () = assert!(
    MAX_ITEMS_PER_REQUEST == 60,
    "the documented `maxItems` of `products`"
);

fn status_parameter() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    shared::api::schema::to_schema(shared::api::schema::one_of(OrderStatus::NAMES))
}

/// What [`check_quantity`] accepts, as JSON Schema.
fn quantity_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    shared::api::schema::to_schema(shared::api::schema::integer(1, MAX_LINE_QUANTITY.into()))
}

fn check_quantity(errors: &mut FieldErrors, field: &str, quantity: u32) {
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        errors.add(
            field,
            FieldIssue::Range {
                min: "1".into(),
                max: MAX_LINE_QUANTITY.to_string(),
            },
        );
    }
}

/// `{productId, quantity}`.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineInput {
    pub product_id: Id,
    /// 1 to 1000.
    #[schema(schema_with = quantity_schema)]
    pub quantity: u32,
}

impl Validate for LineInput {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_quantity(&mut errors, "quantity", self.quantity);
        errors.finish()
    }
}

/// `{products: [{productId, quantity}]}` (the store sends the guest cart this way after login).
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinesInput {
    /// 1 to 60 products.
    #[schema(min_items = 1, max_items = 60)]
    pub products: Vec<LineInput>,
}

impl LinesInput {
    pub fn items(&self) -> Vec<(Id, u32)> {
        self.products
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect()
    }
}

impl Validate for LinesInput {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !(1..=MAX_ITEMS_PER_REQUEST).contains(&self.products.len()) {
            errors.add(
                "products",
                FieldIssue::Range {
                    min: "1".into(),
                    max: MAX_ITEMS_PER_REQUEST.to_string(),
                },
            );
        }
        for (i, line) in self.products.iter().enumerate() {
            check_quantity(
                &mut errors,
                &format!("products[{i}].quantity"),
                line.quantity,
            );
        }
        errors.finish()
    }
}

/// `{userId, productId, quantity}`: staff acting on a client's cart.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffLineInput {
    pub user_id: Id,
    pub product_id: Id,
    #[schema(schema_with = quantity_schema)]
    pub quantity: u32,
}

impl Validate for StaffLineInput {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        check_quantity(&mut errors, "quantity", self.quantity);
        errors.finish()
    }
}

/// `{successUrl, cancelUrl}`: where the payment page sends the browser back; both on one of the
/// shop's own origins (`ALLOWED_ORIGINS`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutInput {
    pub success_url: String,
    pub cancel_url: String,
}

impl Validate for CheckoutInput {}

/// `{status}`: `delivered` or `cancelled`, from `confirmed`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusInput {
    pub status: OrderStatus,
}

impl Validate for StatusInput {}

/// `?page&limit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CartListQuery {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 10, at most 100).
    pub limit: Option<u32>,
}

impl CartListQuery {
    pub fn paging(&self) -> PageRequest {
        PageQuery {
            page: self.page,
            limit: self.limit,
        }
        .into()
    }
}

impl Validate for CartListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        PageQuery {
            page: self.page,
            limit: self.limit,
        }
        .validate()
    }
}

/// `?page&limit&status&userId` (`userId`: staff only).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct OrderListQuery {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 10, at most 100).
    pub limit: Option<u32>,
    /// `confirmed`, `delivered` or `cancelled`.
    #[param(schema_with = status_parameter)]
    pub status: Option<OrderStatus>,
    /// Staff: one client's orders.
    #[param(schema_with = shared::api::schema::id_schema)]
    pub user_id: Option<Id>,
}

impl OrderListQuery {
    pub fn paging(&self) -> PageRequest {
        PageQuery {
            page: self.page,
            limit: self.limit,
        }
        .into()
    }
}

impl Validate for OrderListQuery {
    fn validate(&self) -> Result<(), FieldErrors> {
        PageQuery {
            page: self.page,
            limit: self.limit,
        }
        .validate()
    }
}

/// `?redirectUrl=`: where the browser goes once the order is placed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct SuccessQuery {
    pub redirect_url: String,
}

impl Validate for SuccessQuery {}
